//! The customer form as typed (`CustomerInput`) and as parsed (`CustomerDraft`), with the
//! cross-checks between fields and the PIPL guardian rule; also what a complete file has.

use super::{
    ContactChannel, CustomerName, Email, GUARDIAN_AGE, Gender, LunarDay, SourceChannel, age_on,
    parse_date,
};
use crate::FieldError;
use crate::id_number::{IdNumber, Sex};
use crate::phone::{Phone, PhoneKind};
use jiff::civil::Date;
use std::collections::BTreeMap;

/// Everything else the handbooks ask to know. Stored sealed as a whole; the WeChat id, the
/// employer and custom fields marked personal identify a person and are masked for roles
/// that may not reveal personal data.
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
    /// The language the customer reads what Patron sends them in (`CUSTOMER_LANGUAGES`);
    /// empty for the store's default.
    pub language: String,
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

    /// The profile with the fields that identify a person masked: the WeChat id, the
    /// employer and the custom fields whose keys are in `personal`.
    pub fn masked(&self, personal: &[String]) -> Profile {
        let mut p = self.clone();
        p.wechat = mask_text(&p.wechat);
        p.employer = mask_text(&p.employer);
        for (k, v) in p.custom.iter_mut() {
            if personal.contains(k) {
                *v = mask_text(v);
            }
        }
        p
    }
}

/// The first character and three stars (the length is not shown); blank stays blank.
pub fn mask_text(s: &str) -> String {
    match s.trim().chars().next() {
        Some(first) => format!("{first}***"),
        None => String::new(),
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
        profile.language = profile.language.trim().to_string();
        if !profile.language.is_empty() && !CUSTOMER_LANGUAGES.contains(&profile.language.as_str())
        {
            errors.push(FieldError::new("language", "error.language.invalid"));
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

/// The languages a customer may choose for what they receive, by code.
pub const CUSTOMER_LANGUAGES: &[&str] = &["zh-CN", "en"];

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
