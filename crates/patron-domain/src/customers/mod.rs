//! The customer file (客户档案) as typed values: what a form or an import row becomes once
//! parsed. Parsing gathers every field's error at once, so a form can show them all inline,
//! cross-checks the ID number against birthday and gender, and applies the PIPL rule that a
//! child under 14 may only have the minimum recorded until a guardian has consented.

mod draft;
mod reverification;

pub use draft::{
    COMPLETENESS_FIELDS, CUSTOMER_LANGUAGES, CustomerDraft, CustomerInput, HouseholdLink, Profile,
    completeness, mask_text, missing_fields,
};
pub use reverification::Reverification;

use crate::FieldError;
use jiff::civil::Date;

/// Below this age (in whole years) a guardian must consent first (PIPL Art. 31).
pub const GUARDIAN_AGE: i16 = 14;

macro_rules! closed_set {
    ($(#[$m:meta])* $name:ident { $($variant:ident => $code:literal,)* }) => {
        $(#[$m])*
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
        pub enum $name { $($variant,)* }

        impl $name {
            pub const ALL: &'static [$name] = &[$($name::$variant,)*];

            pub fn as_str(self) -> &'static str {
                match self { $($name::$variant => $code,)* }
            }

            pub fn parse(s: &str) -> Option<Self> {
                match s.trim() { $($code => Some($name::$variant),)* _ => None }
            }
        }
    };
}

crate::stored::stored_codes! {
    /// A customer file's state: merged files stay as tombstones pointing at the survivor.
    CustomerStatus { Active => "active", Merged => "merged" }

    /// What a custom field holds.
    FieldKind { Text => "text", Number => "number", Date => "date", Choice => "choice" }
}

closed_set! {
    Gender { Unknown => "unknown", Female => "female", Male => "male", }
}

impl Gender {
    /// Accepts the codes and what people type in forms and spreadsheets.
    pub fn parse_loose(s: &str) -> Option<Self> {
        match s.trim().to_lowercase().as_str() {
            "" | "unknown" | "未知" | "保密" => Some(Gender::Unknown),
            "female" | "f" | "女" | "女士" | "w" => Some(Gender::Female),
            "male" | "m" | "男" | "男士" => Some(Gender::Male),
            _ => None,
        }
    }
}

closed_set! {
    /// Where the customer's details came from; the handbooks list these collection points.
    SourceChannel {
        Checkout => "checkout",
        MembershipApplication => "membership_application",
        VipCardForm => "vip_card_form",
        Lottery => "lottery",
        EventSignIn => "event_sign_in",
        Referral => "referral",
        NeighbourhoodVisit => "neighbourhood_visit",
        AssociationList => "association_list",
        OnlineForm => "online_form",
        Import => "import",
    }
}

closed_set! {
    /// How the customer prefers to be contacted.
    ContactChannel { Phone => "phone", Sms => "sms", Email => "email", Wechat => "wechat", }
}

impl ContactChannel {
    /// Also accepts the Chinese words people write in spreadsheets.
    pub fn parse_loose(s: &str) -> Option<Self> {
        match s.trim() {
            "电话" | "打电话" => Some(Self::Phone),
            "短信" => Some(Self::Sms),
            "邮件" | "邮箱" | "电子邮件" => Some(Self::Email),
            "微信" => Some(Self::Wechat),
            other => Self::parse(&other.to_lowercase()),
        }
    }
}

closed_set! {
    /// What a consent is for. Each is granted and withdrawn on its own.
    ConsentPurpose {
        Service => "service",
        MarketingSms => "marketing_sms",
        MarketingEmail => "marketing_email",
        Wechat => "wechat",
        Personalised => "personalised",
        IdNumber => "id_number",
        ThirdParty => "third_party",
    }
}

closed_set! {
    /// How a consent was given or withdrawn.
    ConsentChannel {
        Counter => "counter",
        PaperForm => "paper_form",
        Phone => "phone",
        Online => "online",
        Import => "import",
        Api => "api",
        SmsReply => "sms_reply",
        Unsubscribe => "unsubscribe",
    }
}

closed_set! {
    /// Kinds of interactions staff record on the timeline.
    InteractionKind { Visit => "visit", Call => "call", Message => "message", Note => "note", }
}

closed_set! {
    /// Admin-defined custom field types.
    CustomFieldKind { Text => "text", Number => "number", Date => "date", Choice => "choice", }
}

/// A person's name as written: 1 to 40 characters, no control characters.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CustomerName(String);

impl CustomerName {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let s: String = input.split_whitespace().collect::<Vec<_>>().join(" ");
        let len = s.chars().count();
        if len == 0 {
            return Err(FieldError::new("name", "error.customer_name.empty"));
        }
        if len > 40 || s.chars().any(char::is_control) {
            return Err(FieldError::new("name", "error.customer_name.invalid"));
        }
        Ok(Self(s))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An e-mail address: one `@`, a dotted domain, no spaces; kept as typed but lower-cased domain.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Email(String);

impl Email {
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let s = input.trim();
        let bad = || FieldError::new("email", "error.email.invalid");
        let (local, domain) = s.split_once('@').ok_or_else(bad)?;
        let ok_chars = |p: &str| !p.is_empty() && !p.chars().any(|c| c.is_whitespace() || c == '@');
        if s.len() > 254
            || !ok_chars(local)
            || !ok_chars(domain)
            || !domain.contains('.')
            || domain.starts_with('.')
            || domain.ends_with('.')
        {
            return Err(bad());
        }
        Ok(Self(format!("{local}@{}", domain.to_lowercase())))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// `z***@qq.com`: the first character of the mailbox and the domain.
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => {
            let first: String = local.chars().take(1).collect();
            format!("{first}***@{domain}")
        }
        None => "***".into(),
    }
}

/// An address keeps its first six characters (province and city, usually), the rest hidden.
pub fn mask_address(address: &str) -> String {
    let head: String = address.chars().take(6).collect();
    format!("{head}****")
}

/// Birthday month-day for those who celebrate by the lunar calendar (month 1–12, day 1–30).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct LunarDay {
    pub month: u8,
    pub day: u8,
    pub leap: bool,
}

impl LunarDay {
    /// `08-15`, `闰04-07` or `L04-07`.
    pub fn parse(input: &str) -> Result<Self, FieldError> {
        let bad = || FieldError::new("lunar_birthday", "error.lunar_birthday.invalid");
        let s = input.trim();
        let (leap, rest) = if let Some(r) = s.strip_prefix('闰') {
            (true, r)
        } else if let Some(r) = s.strip_prefix('L') {
            (true, r)
        } else {
            (false, s)
        };
        let (m, d) = rest.split_once('-').ok_or_else(bad)?;
        let month: u8 = m.parse().map_err(|_| bad())?;
        let day: u8 = d.parse().map_err(|_| bad())?;
        if !(1..=12).contains(&month) || !(1..=30).contains(&day) {
            return Err(bad());
        }
        Ok(Self { month, day, leap })
    }

    pub fn render(&self) -> String {
        format!(
            "{}{:02}-{:02}",
            if self.leap { "L" } else { "" },
            self.month,
            self.day
        )
    }
}

/// A date as people enter it: `1990-05-01`, `1990/5/1`, `19900501`, `1990年5月1日`.
pub fn parse_date(input: &str, field: &'static str) -> Result<Date, FieldError> {
    let bad = || FieldError::new(field, "error.date.invalid");
    let s: String = input
        .trim()
        .replace(['年', '月', '/', '.'], "-")
        .replace('日', "");
    let parts: Vec<&str> = if s.contains('-') {
        s.split('-').collect()
    } else if s.len() == 8 && s.bytes().all(|b| b.is_ascii_digit()) {
        vec![&s[0..4], &s[4..6], &s[6..8]]
    } else {
        return Err(bad());
    };
    if parts.len() != 3 {
        return Err(bad());
    }
    let y: i16 = parts[0].parse().map_err(|_| bad())?;
    let m: i8 = parts[1].parse().map_err(|_| bad())?;
    let d: i8 = parts[2].parse().map_err(|_| bad())?;
    Date::new(y, m, d).map_err(|_| bad())
}

/// Whole years between `birth` and `today`.
pub fn age_on(birth: Date, today: Date) -> i16 {
    let mut age = today.year() - birth.year();
    if (today.month(), today.day()) < (birth.month(), birth.day()) {
        age -= 1;
    }
    age
}

/// Renders an archive number from a format such as `{store}-{seq:06}`: `{store}` is the
/// store code, `{seq}` the sequence, optionally zero-padded to a width.
pub fn archive_number(format: &str, store_code: &str, seq: i64) -> String {
    let mut out = String::new();
    let mut rest = format;
    while let Some(start) = rest.find('{') {
        out.push_str(&rest[..start]);
        let Some(end) = rest[start..].find('}') else {
            out.push_str(&rest[start..]);
            return out;
        };
        let token = &rest[start + 1..start + end];
        match token.split_once(':') {
            None if token == "store" => out.push_str(store_code),
            None if token == "seq" => out.push_str(&seq.to_string()),
            Some(("seq", width)) => {
                let w: usize = width.trim_start_matches('0').parse().unwrap_or(0);
                out.push_str(&format!("{seq:0w$}"));
            }
            _ => out.push_str(&rest[start..=start + end]),
        }
        rest = &rest[start + end + 1..];
    }
    out.push_str(rest);
    out
}

/// Checks an archive format has a sequence in it (otherwise numbers would repeat).
pub fn check_archive_format(format: &str) -> Result<(), FieldError> {
    let probe = archive_number(format, "S", 7);
    if format.contains("{seq") && probe.contains('7') && probe.chars().count() <= 40 {
        Ok(())
    } else {
        Err(FieldError::new(
            "archive_format",
            "error.archive_format.invalid",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::id_number::IdNumber;
    use crate::phone::Phone;
    use jiff::civil::date;

    fn input() -> CustomerInput {
        CustomerInput {
            name: "张三".into(),
            mobile: "138 0013 8000".into(),
            ..Default::default()
        }
    }

    #[test]
    fn a_phone_number_and_a_name_are_enough() {
        let d = CustomerDraft::parse(&input(), date(2026, 11, 23)).expect("valid");
        assert_eq!(d.mobile.as_ref().map(Phone::e164), Some("+8613800138000"));
        assert_eq!(d.source, SourceChannel::Checkout);
        assert_eq!(d.gender, Gender::Unknown);
    }

    #[test]
    fn a_language_is_one_patron_writes_in_or_none() {
        let mut i = input();
        i.profile.language = " en ".into();
        let d = CustomerDraft::parse(&i, date(2026, 11, 23)).expect("valid");
        assert_eq!(d.profile.language, "en");
        i.profile.language = String::new();
        let d = CustomerDraft::parse(&i, date(2026, 11, 23)).expect("valid");
        assert_eq!(d.profile.language, "");
        i.profile.language = "fr".into();
        let errs = CustomerDraft::parse(&i, date(2026, 11, 23)).expect_err("unknown language");
        assert_eq!(errs.len(), 1);
        assert_eq!(
            (errs[0].field, errs[0].key),
            ("language", "error.language.invalid")
        );
    }

    #[test]
    fn every_error_is_reported_at_once() {
        let mut i = input();
        i.name = " ".into();
        i.mobile = "12345".into();
        i.email = "no-at-sign".into();
        i.birthday = "2030-01-01".into();
        let errs = CustomerDraft::parse(&i, date(2026, 11, 23)).expect_err("invalid");
        let fields: Vec<_> = errs.iter().map(|e| e.field).collect();
        assert_eq!(fields, ["name", "birthday", "mobile", "email"]);
    }

    #[test]
    fn the_id_number_fills_and_checks_birthday_and_gender() {
        let mut i = input();
        i.id_number = "11010519491231002x".into();
        let d = CustomerDraft::parse(&i, date(2026, 11, 23)).expect("valid");
        assert_eq!(d.birthday, Some(date(1949, 12, 31)));
        assert_eq!(d.gender, Gender::Female);
        assert_eq!(
            d.id_number.as_ref().map(IdNumber::as_str),
            Some("11010519491231002X")
        );

        i.birthday = "1950-01-01".into();
        i.gender = "男".into();
        let errs = CustomerDraft::parse(&i, date(2026, 11, 23)).expect_err("mismatch");
        let keys: Vec<_> = errs.iter().map(|e| e.key).collect();
        assert_eq!(
            keys,
            ["error.birthday.id_mismatch", "error.gender.id_mismatch"]
        );
    }

    #[test]
    fn children_need_a_guardian_before_more_than_the_minimum() {
        let mut i = input();
        i.birthday = "2015-06-01".into();
        assert!(
            CustomerDraft::parse(&i, date(2026, 11, 23)).is_ok(),
            "minimum is fine"
        );
        i.addresses = vec!["上海市徐汇区漕溪北路 1 号".into()];
        let errs = CustomerDraft::parse(&i, date(2026, 11, 23)).expect_err("needs guardian");
        assert_eq!(errs[0].field, "guardian_consent");
        i.guardian_consent = true;
        assert!(CustomerDraft::parse(&i, date(2026, 11, 23)).is_ok());
        // Fourteen today: no longer a child.
        i.guardian_consent = false;
        i.birthday = "2012-11-23".into();
        assert!(CustomerDraft::parse(&i, date(2026, 11, 23)).is_ok());
    }

    #[test]
    fn dates_in_the_usual_spellings() {
        for s in [
            "1990-05-01",
            "1990/5/1",
            "19900501",
            "1990年5月1日",
            "1990.05.01",
        ] {
            assert_eq!(parse_date(s, "birthday"), Ok(date(1990, 5, 1)), "{s}");
        }
        assert!(parse_date("1990-02-30", "birthday").is_err());
        assert!(parse_date("05/01/1990", "birthday").is_err());
    }

    #[test]
    fn archive_numbers_follow_the_format() {
        assert_eq!(archive_number("{store}-{seq:06}", "S01", 123), "S01-000123");
        assert_eq!(archive_number("VIP{seq}", "S01", 5), "VIP5");
        assert!(check_archive_format("{store}-{seq:06}").is_ok());
        assert!(check_archive_format("{store}").is_err());
    }

    #[test]
    fn completeness_counts_what_is_there() {
        let d = CustomerDraft::parse(&input(), date(2026, 11, 23)).expect("valid");
        let missing = missing_fields(&d, false);
        assert!(!missing.contains(&"mobile"));
        assert!(missing.contains(&"owner"));
        assert_eq!(completeness(missing.len()), 10);
        assert_eq!(completeness(0), 100);
    }

    #[test]
    fn masks() {
        assert_eq!(mask_email("zhang.san@qq.com"), "z***@qq.com");
        assert_eq!(mask_address("上海市徐汇区漕溪北路1号"), "上海市徐汇区****");
        assert_eq!(
            LunarDay::parse("闰04-07").map(|d| d.render()),
            Ok("L04-07".into())
        );
    }
}
