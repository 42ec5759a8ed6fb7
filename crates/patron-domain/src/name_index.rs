//! Search keys for people's names, so staff can type `zs` or `zhangs` and find 张三. Surnames
//! are read every way they can be (单 is Shàn as a surname, Dān elsewhere; 曾 Zēng or Céng;
//! 尉迟 Yùchí), given names by their usual reading; both full spellings and initials are kept.

use pinyin::{ToPinyin, ToPinyinMulti};
use std::collections::BTreeSet;

/// Two-character surnames whose second character belongs to the surname too.
const COMPOUND_SURNAMES: &[&str] = &[
    "欧阳", "司马", "诸葛", "上官", "慕容", "尉迟", "令狐", "皇甫", "东方", "夏侯", "司徒", "公孙",
    "轩辕", "长孙", "宇文", "澹台", "单于", "南宫", "西门", "独孤",
];

/// What a name is found by: full spellings (`zhangsan`) and initials (`zs`), lower case.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct NameKeys {
    pub full: BTreeSet<String>,
    pub initials: BTreeSet<String>,
}

/// Each syllable's possible (spelling, initial) pairs, in order.
fn syllables(name: &str) -> Vec<Vec<(String, String)>> {
    let chars: Vec<char> = name.trim().chars().collect();
    let surname_len = if COMPOUND_SURNAMES.iter().any(|s| name.trim().starts_with(s)) {
        2
    } else {
        1
    };
    let mut out = Vec::new();
    let mut latin = String::new();
    let flush = |latin: &mut String, out: &mut Vec<Vec<(String, String)>>| {
        if !latin.is_empty() {
            let word = latin.to_lowercase();
            let initial = word.chars().next().map(String::from).unwrap_or_default();
            out.push(vec![(word, initial)]);
            latin.clear();
        }
    };
    let mut hanzi_seen = 0;
    for c in &chars {
        if c.is_ascii_alphabetic() {
            latin.push(*c);
            continue;
        }
        flush(&mut latin, &mut out);
        if c.is_whitespace() || matches!(c, '·' | '•' | '-' | '.') {
            continue;
        }
        let in_surname = hanzi_seen < surname_len;
        hanzi_seen += 1;
        let readings: Vec<(String, String)> = if in_surname {
            c.to_pinyin_multi()
                .map(|m| {
                    m.into_iter()
                        .map(|p| (p.plain().to_string(), p.first_letter().to_string()))
                        .collect()
                })
                .unwrap_or_default()
        } else {
            c.to_pinyin()
                .map(|p| vec![(p.plain().to_string(), p.first_letter().to_string())])
                .unwrap_or_default()
        };
        let mut unique: Vec<(String, String)> = Vec::new();
        for r in readings {
            if !unique.contains(&r) {
                unique.push(r);
            }
        }
        if !unique.is_empty() {
            out.push(unique);
        }
    }
    flush(&mut latin, &mut out);
    out
}

/// The search keys of a name (Chinese, Latin or mixed).
pub fn name_keys(name: &str) -> NameKeys {
    let mut keys = NameKeys::default();
    let mut partial: Vec<(String, String)> = vec![(String::new(), String::new())];
    for options in syllables(name) {
        let mut next = Vec::new();
        for (full, initials) in &partial {
            for (spelling, initial) in &options {
                next.push((format!("{full}{spelling}"), format!("{initials}{initial}")));
            }
        }
        partial = next;
    }
    for (full, initials) in partial {
        if !full.is_empty() {
            keys.full.insert(full);
            keys.initials.insert(initials);
        }
    }
    keys
}

/// Whether a typed query (pinyin or initials, any case, spaces ignored) finds the name.
pub fn matches(keys: &NameKeys, query: &str) -> bool {
    let q: String = query
        .chars()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    !q.is_empty()
        && (keys.full.iter().any(|f| f.starts_with(&q))
            || keys.initials.iter().any(|i| i.starts_with(&q)))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pinyin_and_initials() {
        let k = name_keys("张晓明");
        assert!(k.full.contains("zhangxiaoming") && k.initials.contains("zxm"));
        assert!(
            matches(&k, "zxm")
                && matches(&k, "Zhang Xiao")
                && matches(&k, "zx")
                && !matches(&k, "wang")
        );
        assert!(matches(&name_keys("张三"), "zs"));
    }

    #[test]
    fn polyphonic_surnames_are_found_under_every_reading() {
        let shan = name_keys("单雄信");
        assert!(
            shan.full.contains("shanxiongxin") && shan.full.contains("danxiongxin"),
            "{shan:?}"
        );
        assert!(matches(&shan, "sxx") && matches(&shan, "dxx"));
        let zeng = name_keys("曾国藩");
        assert!(matches(&zeng, "zengguofan") && matches(&zeng, "cgf"));
        let xie = name_keys("解缙");
        assert!(matches(&xie, "xiejin"), "{xie:?}");
        let yuchi = name_keys("尉迟恭");
        assert!(
            matches(&yuchi, "yuchigong") && matches(&yuchi, "ycg"),
            "{yuchi:?}"
        );
        assert!(matches(&name_keys("欧阳修"), "oyx"));
    }

    #[test]
    fn latin_and_mixed_names() {
        let k = name_keys("Li Na");
        assert!(k.full.contains("lina") && k.initials.contains("ln"));
        let mixed = name_keys("王Amy");
        assert!(matches(&mixed, "wangamy") && matches(&mixed, "wa"));
        assert_eq!(name_keys("  "), NameKeys::default());
    }
}
