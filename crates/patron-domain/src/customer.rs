//! The customer file (客户档案) as typed values: what a form or an import row becomes once
//! parsed. Parsing gathers every field's error at once, so a form can show them all inline,
//! cross-checks the ID number against birthday and gender, and applies the PIPL rule that a
//! child under 14 may only have the minimum recorded until a guardian has consented.

use crate::FieldError;
use crate::id_number::{IdNumber, Sex};
use crate::phone::{Phone, PhoneKind};
use jiff::civil::Date;
use std::collections::BTreeMap;

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

/// Everything else the handbooks ask to know; not secret enough to encrypt, searchable later.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(default)]
pub struct Profile {
    pub employer: String,
    pub job_title: String,
    pub occupation: String,
    pub family_status: String,
    pub hobbies: String,
    pub habits: String,
    pub clothing_size: String,
    pub shoe_size: String,
    pub preferred_channel: String,
    pub contact_time: String,
    pub wechat: String,
    /// Household members: ids of other customers, with the relation ("配偶", "子女").
    pub household: Vec<HouseholdLink>,
    /// Admin-defined fields by key, values already checked against their definition.
    pub custom: BTreeMap<String, String>,
}

#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct HouseholdLink {
    pub customer_id: i64,
    pub relation: String,
}

impl Profile {
    /// True when nothing beyond the minimum is filled in.
    pub fn is_empty(&self) -> bool {
        *self == Profile::default()
    }
}

/// The raw input of a create or edit: strings as typed. Empty means "not given".
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct CustomerInput {
    pub name: String,
    pub gender: String,
    pub birthday: String,
    pub lunar_birthday: String,
    pub mobile: String,
    pub other_phones: Vec<String>,
    pub email: String,
    pub addresses: Vec<String>,
    pub id_number: String,
    pub notes: String,
    pub source: String,
    pub guardian_consent: bool,
    pub profile: Profile,
}

/// A parsed customer file, ready to be sealed and stored.
#[derive(Debug, Clone, PartialEq)]
pub struct CustomerDraft {
    pub name: CustomerName,
    pub gender: Gender,
    pub birthday: Option<Date>,
    pub lunar_birthday: Option<LunarDay>,
    pub mobile: Option<Phone>,
    pub other_phones: Vec<Phone>,
    pub email: Option<Email>,
    pub addresses: Vec<String>,
    pub id_number: Option<IdNumber>,
    pub notes: String,
    pub source: SourceChannel,
    pub guardian_consent: bool,
    pub profile: Profile,
}

fn keep<T>(errors: &mut Vec<FieldError>, r: Result<T, FieldError>) -> Option<T> {
    r.map_err(|e| errors.push(e)).ok()
}

fn text(input: &str, max: usize, field: &'static str) -> Result<String, FieldError> {
    let s = input.trim();
    if s.chars().count() > max || s.chars().any(|c| c.is_control() && c != '\n') {
        return Err(FieldError::new(field, "error.text.too_long"));
    }
    Ok(s.to_string())
}

impl CustomerDraft {
    /// Parses a whole form; returns every field error found, not just the first.
    pub fn parse(input: &CustomerInput, today: Date) -> Result<Self, Vec<FieldError>> {
        let mut errors = Vec::new();
        let name = keep(&mut errors, CustomerName::parse(&input.name));
        let gender = keep(
            &mut errors,
            Gender::parse_loose(&input.gender)
                .ok_or(FieldError::new("gender", "error.gender.invalid")),
        );
        let birthday = if input.birthday.trim().is_empty() {
            None
        } else {
            keep(
                &mut errors,
                parse_date(&input.birthday, "birthday").and_then(|d| {
                    if d > today {
                        Err(FieldError::new("birthday", "error.birthday.future"))
                    } else {
                        Ok(d)
                    }
                }),
            )
        };
        let lunar_birthday = if input.lunar_birthday.trim().is_empty() {
            None
        } else {
            keep(&mut errors, LunarDay::parse(&input.lunar_birthday))
        };
        let mobile = if input.mobile.trim().is_empty() {
            None
        } else {
            keep(
                &mut errors,
                Phone::parse_mobile(&input.mobile).map_err(|e| FieldError::new("mobile", e.key)),
            )
        };
        let mut other_phones = Vec::new();
        for p in input.other_phones.iter().filter(|p| !p.trim().is_empty()) {
            if let Some(p) = keep(
                &mut errors,
                Phone::parse(p).map_err(|e| FieldError::new("other_phones", e.key)),
            ) && Some(&p) != mobile.as_ref()
                && !other_phones.contains(&p)
            {
                other_phones.push(p);
            }
        }
        let email = if input.email.trim().is_empty() {
            None
        } else {
            keep(&mut errors, Email::parse(&input.email))
        };
        let mut addresses = Vec::new();
        for a in input.addresses.iter().filter(|a| !a.trim().is_empty()) {
            if let Some(a) = keep(&mut errors, text(a, 200, "addresses"))
                && !addresses.contains(&a)
            {
                addresses.push(a);
            }
        }
        let id_number = if input.id_number.trim().is_empty() {
            None
        } else {
            keep(&mut errors, IdNumber::parse(&input.id_number, today))
        };
        let notes = keep(&mut errors, text(&input.notes, 2000, "notes")).unwrap_or_default();
        let source = if input.source.trim().is_empty() {
            Some(SourceChannel::Checkout)
        } else {
            keep(
                &mut errors,
                SourceChannel::parse(&input.source)
                    .ok_or(FieldError::new("source", "error.source.invalid")),
            )
        };
        let mut profile = input.profile.clone();
        for (value, max, field) in [
            (&mut profile.employer, 100, "employer"),
            (&mut profile.job_title, 60, "job_title"),
            (&mut profile.occupation, 60, "occupation"),
            (&mut profile.family_status, 60, "family_status"),
            (&mut profile.hobbies, 200, "hobbies"),
            (&mut profile.habits, 500, "habits"),
            (&mut profile.clothing_size, 20, "clothing_size"),
            (&mut profile.shoe_size, 20, "shoe_size"),
            (&mut profile.contact_time, 60, "contact_time"),
            (&mut profile.wechat, 60, "wechat"),
        ] {
            if let Some(v) = keep(&mut errors, text(value, max, field)) {
                *value = v;
            }
        }
        if !profile.preferred_channel.trim().is_empty()
            && ContactChannel::parse(&profile.preferred_channel).is_none()
        {
            errors.push(FieldError::new(
                "preferred_channel",
                "error.preferred_channel.invalid",
            ));
        }

        // The ID number is the better source of birth date and sex; a profile that disagrees
        // with it is a typing error in one of them, so both are flagged rather than guessed.
        let (mut birthday, mut gender) = (birthday, gender);
        if let Some(id) = &id_number {
            match birthday {
                Some(b) if b != id.birth_date() => {
                    errors.push(FieldError::new("birthday", "error.birthday.id_mismatch"));
                }
                None => birthday = Some(id.birth_date()),
                _ => {}
            }
            let id_gender = match id.sex() {
                Sex::Male => Gender::Male,
                Sex::Female => Gender::Female,
            };
            match gender {
                Some(Gender::Unknown) => gender = Some(id_gender),
                Some(g) if g != id_gender => {
                    errors.push(FieldError::new("gender", "error.gender.id_mismatch"));
                }
                _ => {}
            }
        }

        let draft = match (name, gender, source) {
            (Some(name), Some(gender), Some(source)) if errors.is_empty() => CustomerDraft {
                name,
                gender,
                birthday,
                lunar_birthday,
                mobile,
                other_phones,
                email,
                addresses,
                id_number,
                notes,
                source,
                guardian_consent: input.guardian_consent,
                profile,
            },
            _ => return Err(errors),
        };
        if let Some(e) = draft.minor_violation(today) {
            return Err(vec![e]);
        }
        Ok(draft)
    }

    pub fn is_minor(&self, today: Date) -> bool {
        self.birthday
            .is_some_and(|b| age_on(b, today) < GUARDIAN_AGE)
    }

    /// For a child without guardian consent, only name, mobile, birthday and source may be kept.
    fn minor_violation(&self, today: Date) -> Option<FieldError> {
        if !self.is_minor(today) || self.guardian_consent {
            return None;
        }
        let beyond_minimum = !self.other_phones.is_empty()
            || self.email.is_some()
            || !self.addresses.is_empty()
            || self.id_number.is_some()
            || !self.notes.is_empty()
            || self.lunar_birthday.is_some()
            || !self.profile.is_empty();
        beyond_minimum.then_some(FieldError::new(
            "guardian_consent",
            "error.customer.guardian_required",
        ))
    }

    /// The mobile if there is one; a customer is findable at the till by it.
    pub fn mobile_kind_ok(&self) -> bool {
        self.mobile
            .as_ref()
            .is_none_or(|p| p.kind() == PhoneKind::Mobile)
    }
}

/// What a complete file has; `missing` lists the fields still to collect, in this order.
pub const COMPLETENESS_FIELDS: &[&str] = &[
    "mobile",
    "gender",
    "birthday",
    "address",
    "email_or_wechat",
    "owner",
    "occupation",
    "hobbies",
    "preferred_channel",
    "sizes",
];

/// Which of `COMPLETENESS_FIELDS` a file lacks.
pub fn missing_fields(draft: &CustomerDraft, has_owner: bool) -> Vec<&'static str> {
    let p = &draft.profile;
    let present = |f: &str| match f {
        "mobile" => draft.mobile.is_some(),
        "gender" => draft.gender != Gender::Unknown,
        "birthday" => draft.birthday.is_some() || draft.lunar_birthday.is_some(),
        "address" => !draft.addresses.is_empty(),
        "email_or_wechat" => draft.email.is_some() || !p.wechat.is_empty(),
        "owner" => has_owner,
        "occupation" => !p.occupation.is_empty() || !p.job_title.is_empty(),
        "hobbies" => !p.hobbies.is_empty(),
        "preferred_channel" => !p.preferred_channel.is_empty(),
        "sizes" => !p.clothing_size.is_empty() || !p.shoe_size.is_empty(),
        _ => true,
    };
    COMPLETENESS_FIELDS
        .iter()
        .copied()
        .filter(|f| !present(f))
        .collect()
}

/// Percentage of `COMPLETENESS_FIELDS` present.
pub fn completeness(missing: usize) -> i64 {
    let total = COMPLETENESS_FIELDS.len();
    ((total - missing.min(total)) * 100 / total) as i64
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
