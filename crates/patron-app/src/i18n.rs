//! The message catalog: every string a person reads, in zh-CN (the default) and English.
//! It lives here, below the web layer, because the app writes texts too (notices, e-mails
//! to staff, ledger reasons, timeline notes); the web layer only picks the reader's language.
//! Catalogs are TOML files compiled into the binary; a test checks both have the same keys
//! and that every key the code and templates use exists.

use std::collections::{BTreeMap, HashMap};
use std::sync::OnceLock;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Lang {
    #[default]
    Zh,
    En,
}

impl Lang {
    pub fn code(self) -> &'static str {
        match self {
            Lang::Zh => "zh-CN",
            Lang::En => "en",
        }
    }

    pub fn parse(s: &str) -> Option<Lang> {
        let s = s.trim().to_ascii_lowercase();
        if s.starts_with("zh") {
            Some(Lang::Zh)
        } else if s.starts_with("en") {
            Some(Lang::En)
        } else {
            None
        }
    }

    /// A language as people write it in a spreadsheet: a code (`zh-CN`, `en`) or its name
    /// in either language (中文, 英文, English, Chinese).
    pub fn parse_loose(s: &str) -> Option<Lang> {
        match s.trim() {
            "中文" | "简体中文" | "汉语" | "Chinese" | "chinese" => Some(Lang::Zh),
            "英文" | "英语" | "English" | "english" => Some(Lang::En),
            "" => None,
            other => Lang::parse(other),
        }
    }

    /// The message, if the catalog has it (for keys that come from a query string).
    pub fn try_t(self, key: &str) -> Option<&'static str> {
        let catalogs = catalogs();
        let table = match self {
            Lang::Zh => &catalogs.0,
            Lang::En => &catalogs.1,
        };
        table.get(key).map(String::as_str)
    }

    pub fn t(self, key: &str) -> &'static str {
        self.try_t(key).unwrap_or_else(|| {
            tracing::warn!(key, "missing message");
            MISSING
        })
    }

    /// The message with its `{name}` parameters filled in.
    pub fn format(self, key: &str, args: &[(&str, &str)]) -> String {
        fill(self.t(key), args.iter().copied())
    }

    /// A calendar day as people write it: 2026年11月23日 or 2026-11-23.
    pub fn date(self, d: jiff::civil::Date) -> String {
        match self {
            Lang::Zh => format!("{}年{}月{}日", d.year(), d.month(), d.day()),
            Lang::En => format!("{}-{:02}-{:02}", d.year(), d.month(), d.day()),
        }
    }

    /// A text kept in the database: a [`Phrase`] in this language, or free text as written
    /// (what people typed, and rows stored before phrases existed).
    pub fn stored(self, text: &str) -> String {
        match Phrase::from_stored(text) {
            Some(p) => p.render(self),
            None => text.to_string(),
        }
    }
}

/// A message in both languages, Chinese first, for mail whose reader's language is not
/// known (account invitations and resets, audit checkpoints).
pub fn both(key: &str, separator: &str, args: &[(&str, &str)]) -> String {
    format!(
        "{}{separator}{}",
        Lang::Zh.format(key, args),
        Lang::En.format(key, args)
    )
}

/// Fills `{name}` in one pass, so a value that itself holds `{…}` (a customer's name) is
/// never filled again.
fn fill<'a>(text: &str, args: impl Iterator<Item = (&'a str, &'a str)>) -> String {
    let args: Vec<(&str, &str)> = args.collect();
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let value = after.find('}').and_then(|close| {
            let name = &after[..close];
            args.iter()
                .find(|(n, _)| *n == name)
                .map(|(_, v)| (*v, close))
        });
        match value {
            Some((v, close)) => {
                out.push_str(v);
                rest = &after[close + 1..];
            }
            None => {
                out.push('{');
                rest = after;
            }
        }
    }
    out.push_str(rest);
    out
}

/// A text written now and read later, perhaps in another language: a catalog key and its
/// parameters. Stored as a small JSON object in the same text column free text goes in, and
/// rendered in the reader's language when shown ([`Lang::stored`]).
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Phrase {
    key: String,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    args: BTreeMap<String, String>,
    /// Calendar days (ISO), written the reader's way when rendered.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    dates: BTreeMap<String, String>,
}

impl Phrase {
    pub fn new(key: &str) -> Phrase {
        Phrase {
            key: key.to_string(),
            args: BTreeMap::new(),
            dates: BTreeMap::new(),
        }
    }

    pub fn arg(mut self, name: &str, value: impl ToString) -> Phrase {
        self.args.insert(name.to_string(), value.to_string());
        self
    }

    pub fn date(mut self, name: &str, day: jiff::civil::Date) -> Phrase {
        self.dates.insert(name.to_string(), day.to_string());
        self
    }

    pub fn render(&self, lang: Lang) -> String {
        let days: Vec<(&str, String)> = self
            .dates
            .iter()
            .map(|(k, d)| {
                let shown = d.parse().map_or_else(|_| d.clone(), |d| lang.date(d));
                (k.as_str(), shown)
            })
            .collect();
        fill(
            lang.t(&self.key),
            self.args
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .chain(days.iter().map(|(k, v)| (*k, v.as_str()))),
        )
    }

    /// The form kept in the database.
    pub fn to_stored(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// A stored phrase whose key the catalog knows; anything else is free text.
    pub fn from_stored(text: &str) -> Option<Phrase> {
        if !text.starts_with("{\"key\":") {
            return None;
        }
        let p: Phrase = serde_json::from_str(text).ok()?;
        Lang::Zh.try_t(&p.key).is_some().then_some(p)
    }
}

/// Shown where a catalog lacks a key; tests look for it on every page.
pub const MISSING: &str = "[missing message]";

type Catalog = HashMap<String, String>;

fn catalogs() -> &'static (Catalog, Catalog) {
    static CATALOGS: OnceLock<(Catalog, Catalog)> = OnceLock::new();
    CATALOGS.get_or_init(|| {
        (
            load(include_str!("../messages/zh-CN.toml")),
            load(include_str!("../messages/en.toml")),
        )
    })
}

/// Flattens `[section] key = "…"` into `section.key`.
fn load(text: &str) -> Catalog {
    let mut out = HashMap::new();
    let Ok(value) = text.parse::<toml::Table>() else {
        return out;
    };
    fn walk(prefix: &str, t: &toml::Table, out: &mut Catalog) {
        for (k, v) in t {
            let key = if prefix.is_empty() {
                k.clone()
            } else {
                format!("{prefix}.{k}")
            };
            match v {
                toml::Value::String(s) => {
                    out.insert(key, s.clone());
                }
                toml::Value::Table(inner) => walk(&key, inner, out),
                _ => {}
            }
        }
    }
    walk("", &value, &mut out);
    out
}

/// Keys of both catalogs, for the completeness test.
pub fn catalog_keys() -> (Vec<String>, Vec<String>) {
    let (zh, en) = catalogs();
    let mut a: Vec<String> = zh.keys().cloned().collect();
    let mut b: Vec<String> = en.keys().cloned().collect();
    a.sort();
    b.sort();
    (a, b)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_language_a_customer_may_choose_is_one_the_catalogs_have() {
        for code in patron_domain::customers::CUSTOMER_LANGUAGES {
            assert_eq!(Lang::parse(code).map(Lang::code), Some(*code));
            assert_ne!(Lang::Zh.t(&format!("language.{code}")), MISSING);
        }
    }

    #[test]
    fn a_spreadsheet_names_a_language_by_code_or_by_name() {
        for (cell, lang) in [
            ("中文", Some(Lang::Zh)),
            (" zh-CN ", Some(Lang::Zh)),
            ("英文", Some(Lang::En)),
            ("English", Some(Lang::En)),
            ("en", Some(Lang::En)),
            ("", None),
            ("français", None),
        ] {
            assert_eq!(Lang::parse_loose(cell), lang, "{cell}");
        }
    }

    #[test]
    fn a_phrase_is_stored_and_read_in_either_language() {
        let p = Phrase::new("error.not_found");
        let stored = p.to_stored();
        assert_eq!(Phrase::from_stored(&stored), Some(p));
        assert_eq!(Lang::En.stored(&stored), Lang::En.t("error.not_found"));
        assert_ne!(Lang::Zh.stored(&stored), Lang::En.stored(&stored));
    }

    #[test]
    fn free_text_and_unknown_keys_show_as_written() {
        assert_eq!(Lang::En.stored("投诉 #3 解决后回访"), "投诉 #3 解决后回访");
        let unknown = r#"{"key":"nothing.here"}"#;
        assert_eq!(Lang::En.stored(unknown), unknown);
    }

    #[test]
    fn parameters_are_filled_once() {
        assert_eq!(
            fill("{a} and {b}", [("a", "{b}"), ("b", "2")].into_iter()),
            "{b} and 2"
        );
        assert_eq!(fill("{seq} {x", [("x", "1")].into_iter()), "{seq} {x");
    }
}
