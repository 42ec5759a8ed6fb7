//! Between typed customer values and sealed rows: which columns are encrypted, what the blind
//! indexes are computed over, and the search keys of a name. Values are normalised before
//! indexing (E.164 phones, 18-character ID numbers, addresses without spaces or punctuation).

use crate::AppError;
use crate::keyring::Keyring;
use jiff::civil::Date;
use patron_domain::customers::{
    CustomerDraft, Gender, LunarDay, Profile, SourceChannel, mask_address, mask_email,
};
use patron_domain::id_number::IdNumber;
use patron_domain::name_index::name_keys;
use patron_domain::phone::Phone;
use patron_store::customers::{CustomerRecord, CustomerWrite, DuplicateProbe};

const TABLE: &str = "customers";

/// A customer file, opened. Not `Display`: personal fields are shown masked unless revealed.
#[derive(Debug, Clone)]
pub struct Customer {
    pub id: i64,
    pub store_id: i64,
    pub archive_no: String,
    pub name: String,
    pub gender: Gender,
    pub birthday: Option<Date>,
    pub lunar_birthday: Option<LunarDay>,
    pub mobile: Option<Phone>,
    pub other_phones: Vec<Phone>,
    pub email: Option<String>,
    pub addresses: Vec<String>,
    pub id_number: Option<IdNumber>,
    pub notes: String,
    pub source: SourceChannel,
    pub guardian_consent: bool,
    pub profile: Profile,
    pub owner_staff_id: Option<i64>,
    pub missing: Vec<String>,
    pub completeness: i64,
    pub status: patron_domain::customers::CustomerStatus,
    pub merged_into: Option<i64>,
    pub verified_at: jiff::Timestamp,
    pub created_at: jiff::Timestamp,
    pub updated_at: jiff::Timestamp,
    pub tags: Vec<String>,
}

impl Customer {
    pub fn masked_mobile(&self) -> String {
        self.mobile.as_ref().map(Phone::masked).unwrap_or_default()
    }

    pub fn masked_id_number(&self) -> String {
        self.id_number
            .as_ref()
            .map(IdNumber::masked)
            .unwrap_or_default()
    }

    pub fn masked_email(&self) -> String {
        self.email.as_deref().map(mask_email).unwrap_or_default()
    }

    pub fn masked_addresses(&self) -> Vec<String> {
        self.addresses.iter().map(|a| mask_address(a)).collect()
    }

    /// `1990-**-**`: the year only, so age is visible and the birthday is not.
    pub fn masked_birthday(&self) -> String {
        self.birthday
            .map(|d| format!("{}-**-**", d.year()))
            .unwrap_or_default()
    }
}

#[derive(serde::Serialize, serde::Deserialize)]
struct Birthday {
    solar: Option<String>,
    lunar: Option<String>,
}

pub(crate) fn seal(keys: &Keyring, column: &str, id: i64, plain: &str) -> String {
    keys.seal_text(TABLE, column, id, plain.as_bytes())
}

fn seal_opt(keys: &Keyring, column: &str, id: i64, plain: Option<&str>) -> Option<String> {
    plain.map(|p| seal(keys, column, id, p))
}

pub(crate) fn open(
    keys: &Keyring,
    column: &str,
    id: i64,
    sealed: &str,
) -> Result<String, AppError> {
    let plain = keys
        .open_text(TABLE, column, id, sealed)
        .map_err(|e| AppError::Internal(format!("{TABLE}.{column} of {id}: {e}")))?;
    String::from_utf8(plain)
        .map_err(|_| AppError::Internal(format!("{TABLE}.{column} of {id} is not UTF-8")))
}

fn open_opt(
    keys: &Keyring,
    column: &str,
    id: i64,
    sealed: Option<&str>,
) -> Result<Option<String>, AppError> {
    sealed.map(|s| open(keys, column, id, s)).transpose()
}

/// The profile sealed as a whole: it holds the WeChat id, the employer and custom fields.
pub(crate) fn seal_profile(keys: &Keyring, id: i64, p: &Profile) -> String {
    seal(
        keys,
        "profile",
        id,
        &serde_json::to_string(p).unwrap_or_else(|_| "{}".into()),
    )
}

/// A sealed profile, or the JSON of a row written before profiles were sealed (sealed ones
/// are base64 and never start with `{`).
pub(crate) fn open_profile(keys: &Keyring, id: i64, stored: &str) -> Result<Profile, AppError> {
    let json = if stored.starts_with('{') {
        stored.to_string()
    } else {
        open(keys, "profile", id, stored)?
    };
    // An unreadable profile is an error, not an empty one: the next save would wipe it.
    serde_json::from_str(&json)
        // (The position only: serde's message can quote the value, which is personal.)
        .map_err(|e| {
            AppError::Internal(format!(
                "profile of customer {id} does not parse at line {}, column {}",
                e.line(),
                e.column()
            ))
        })
}

/// Addresses compared for duplicates: no spaces or punctuation, full-width digits folded.
pub(crate) fn normalise_address(a: &str) -> String {
    a.chars()
        .filter(|c| c.is_alphanumeric())
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            c => c.to_ascii_lowercase(),
        })
        .collect()
}

fn namebirth(keys: &Keyring, name: &str, birthday: Option<Date>) -> Option<String> {
    birthday.map(|b| keys.blind_index("namebirth", &format!("{}|{b}", name.trim())))
}

/// The search keys of a name: every full spelling and the name as written (`name`), and the
/// initials (`initials`), all lower case.
pub(crate) fn name_search_keys(name: &str) -> Vec<(String, String)> {
    let k = name_keys(name);
    let mut out: Vec<(String, String)> = k
        .full
        .into_iter()
        .map(|f| ("name".to_string(), f))
        .chain(k.initials.into_iter().map(|i| ("initials".to_string(), i)))
        .collect();
    out.push(("name".into(), name.trim().to_lowercase()));
    out.sort();
    out.dedup();
    out
}

/// The sealed row for a parsed file.
pub(crate) fn write_row(
    keys: &Keyring,
    id: i64,
    store_id: i64,
    d: &CustomerDraft,
    owner: Option<i64>,
    tags: Vec<String>,
) -> CustomerWrite {
    let missing = patron_domain::customers::missing_fields(d, owner.is_some());
    let birthday = Birthday {
        solar: d.birthday.map(|b| b.to_string()),
        lunar: d.lunar_birthday.map(|l| l.render()),
    };
    let birthday_json = (birthday.solar.is_some() || birthday.lunar.is_some())
        .then(|| serde_json::to_string(&birthday).unwrap_or_default());
    let phones: Vec<&str> = d.other_phones.iter().map(Phone::e164).collect();
    let mut keys_out = name_search_keys(d.name.as_str());
    for p in &d.other_phones {
        keys_out.push(("phone".into(), keys.blind_index("phone", p.e164())));
    }
    for a in &d.addresses {
        keys_out.push((
            "address".into(),
            keys.blind_index("address", &normalise_address(a)),
        ));
    }
    CustomerWrite {
        id,
        store_id,
        name: d.name.as_str().to_string(),
        gender: d.gender.as_str().into(),
        birthday_lunar: d.lunar_birthday.is_some(),
        guardian_consent: d.guardian_consent,
        mobile_enc: seal_opt(keys, "mobile", id, d.mobile.as_ref().map(Phone::e164)),
        mobile_idx: d
            .mobile
            .as_ref()
            .map(|p| keys.blind_index("phone", p.e164())),
        last4_idx: d
            .mobile
            .as_ref()
            .map(|p| keys.blind_index("last4", p.last4())),
        phones_enc: (!phones.is_empty()).then(|| {
            seal(
                keys,
                "phones",
                id,
                &serde_json::to_string(&phones).unwrap_or_default(),
            )
        }),
        id_number_enc: seal_opt(
            keys,
            "id_number",
            id,
            d.id_number.as_ref().map(IdNumber::as_str),
        ),
        id_idx: d
            .id_number
            .as_ref()
            .map(|n| keys.blind_index("id", n.as_str())),
        email_enc: seal_opt(keys, "email", id, d.email.as_ref().map(|e| e.as_str())),
        birthday_enc: seal_opt(keys, "birthday", id, birthday_json.as_deref()),
        address_enc: (!d.addresses.is_empty()).then(|| {
            seal(
                keys,
                "address",
                id,
                &serde_json::to_string(&d.addresses).unwrap_or_default(),
            )
        }),
        notes_enc: (!d.notes.is_empty()).then(|| seal(keys, "notes", id, &d.notes)),
        namebirth_idx: namebirth(keys, d.name.as_str(), d.birthday),
        profile: seal_profile(keys, id, &d.profile),
        source: d.source.as_str().into(),
        owner_staff_id: owner,
        missing: missing.join(","),
        completeness: patron_domain::customers::completeness(missing.len()),
        keys: keys_out,
        tags,
    }
}

/// What to look for duplicates by.
pub(crate) fn probe(keys: &Keyring, d: &CustomerDraft) -> DuplicateProbe {
    DuplicateProbe {
        mobile_idx: d
            .mobile
            .as_ref()
            .map(|p| keys.blind_index("phone", p.e164())),
        id_idx: d
            .id_number
            .as_ref()
            .map(|n| keys.blind_index("id", n.as_str())),
        namebirth_idx: namebirth(keys, d.name.as_str(), d.birthday),
        address_keys: d
            .addresses
            .iter()
            .map(|a| keys.blind_index("address", &normalise_address(a)))
            .collect(),
        name_spellings: name_keys(d.name.as_str()).full.into_iter().collect(),
    }
}

/// Opens a stored row. Stored values were valid when written, so a parse failure here means
/// damage, reported as an internal error.
pub(crate) fn open_record(
    keys: &Keyring,
    r: CustomerRecord,
    tags: Vec<String>,
) -> Result<Customer, AppError> {
    let id = r.id;
    let damaged =
        |what: &str| AppError::Internal(format!("customer {id}: stored {what} is invalid"));
    let far_future = jiff::civil::date(9999, 12, 31);
    let mobile = open_opt(keys, "mobile", id, r.mobile_enc.as_deref())?
        .map(|m| Phone::parse(&m).map_err(|_| damaged("mobile")))
        .transpose()?;
    let other_phones = match open_opt(keys, "phones", id, r.phones_enc.as_deref())? {
        Some(j) => serde_json::from_str::<Vec<String>>(&j)
            .map_err(|_| damaged("phones"))?
            .iter()
            .map(|p| Phone::parse(p).map_err(|_| damaged("phones")))
            .collect::<Result<_, _>>()?,
        None => Vec::new(),
    };
    let id_number = open_opt(keys, "id_number", id, r.id_number_enc.as_deref())?
        .map(|n| IdNumber::parse(&n, far_future).map_err(|_| damaged("id_number")))
        .transpose()?;
    let (birthday, lunar_birthday) =
        match open_opt(keys, "birthday", id, r.birthday_enc.as_deref())? {
            Some(j) => {
                let b: Birthday = serde_json::from_str(&j).map_err(|_| damaged("birthday"))?;
                (
                    b.solar.and_then(|s| s.parse::<Date>().ok()),
                    b.lunar.and_then(|l| LunarDay::parse(&l).ok()),
                )
            }
            None => (None, None),
        };
    let addresses = match open_opt(keys, "address", id, r.address_enc.as_deref())? {
        Some(j) => serde_json::from_str(&j).map_err(|_| damaged("address"))?,
        None => Vec::new(),
    };
    Ok(Customer {
        id,
        store_id: r.store_id,
        archive_no: r.archive_no,
        name: r.name,
        gender: Gender::parse(&r.gender).unwrap_or(Gender::Unknown),
        birthday,
        lunar_birthday,
        mobile,
        other_phones,
        email: open_opt(keys, "email", id, r.email_enc.as_deref())?,
        addresses,
        id_number,
        notes: open_opt(keys, "notes", id, r.notes_enc.as_deref())?.unwrap_or_default(),
        source: SourceChannel::parse(&r.source).unwrap_or(SourceChannel::Checkout),
        guardian_consent: r.guardian_consent,
        profile: open_profile(keys, id, &r.profile)?,
        owner_staff_id: r.owner_staff_id,
        missing: r
            .missing
            .split(',')
            .filter(|s| !s.is_empty())
            .map(str::to_string)
            .collect(),
        completeness: r.completeness,
        status: r.status,
        merged_into: r.merged_into,
        verified_at: r.verified_at,
        created_at: r.created_at,
        updated_at: r.updated_at,
        tags,
    })
}

/// Names of the fields an edit changes (for the audit log; never the values).
pub(crate) fn changed_fields(
    before: &Customer,
    d: &CustomerDraft,
    owner: Option<i64>,
    tags: &[String],
) -> Vec<&'static str> {
    let mut out = Vec::new();
    let mut check = |name: &'static str, same: bool| {
        if !same {
            out.push(name);
        }
    };
    check("name", before.name == d.name.as_str());
    check("gender", before.gender == d.gender);
    check(
        "birthday",
        before.birthday == d.birthday && before.lunar_birthday == d.lunar_birthday,
    );
    check("mobile", before.mobile == d.mobile);
    check("other_phones", before.other_phones == d.other_phones);
    check(
        "email",
        before.email.as_deref() == d.email.as_ref().map(|e| e.as_str()),
    );
    check("addresses", before.addresses == d.addresses);
    check("id_number", before.id_number == d.id_number);
    check("notes", before.notes == d.notes);
    check("profile", before.profile == d.profile);
    check(
        "guardian_consent",
        before.guardian_consent == d.guardian_consent,
    );
    check("owner", before.owner_staff_id == owner);
    check("tags", before.tags == tags);
    out
}

/// The draft a stored file corresponds to (for merging and re-sealing).
pub(crate) fn as_draft(c: &Customer) -> Result<CustomerDraft, AppError> {
    Ok(CustomerDraft {
        name: patron_domain::customers::CustomerName::parse(&c.name)?,
        gender: c.gender,
        birthday: c.birthday,
        lunar_birthday: c.lunar_birthday,
        mobile: c.mobile.clone(),
        other_phones: c.other_phones.clone(),
        email: c
            .email
            .as_deref()
            .map(patron_domain::customers::Email::parse)
            .transpose()?,
        addresses: c.addresses.clone(),
        id_number: c.id_number.clone(),
        notes: c.notes.clone(),
        source: c.source,
        guardian_consent: c.guardian_consent,
        profile: c.profile.clone(),
    })
}

impl Customer {
    /// The file as form input, for editing and for partial updates.
    pub fn to_input(&self) -> patron_domain::customers::CustomerInput {
        patron_domain::customers::CustomerInput {
            name: self.name.clone(),
            gender: self.gender.as_str().into(),
            birthday: self.birthday.map(|b| b.to_string()).unwrap_or_default(),
            lunar_birthday: self.lunar_birthday.map(|l| l.render()).unwrap_or_default(),
            mobile: self
                .mobile
                .as_ref()
                .map(|p| p.e164().to_string())
                .unwrap_or_default(),
            other_phones: self
                .other_phones
                .iter()
                .map(|p| p.e164().to_string())
                .collect(),
            email: self.email.clone().unwrap_or_default(),
            addresses: self.addresses.clone(),
            id_number: self
                .id_number
                .as_ref()
                .map(|n| n.as_str().to_string())
                .unwrap_or_default(),
            notes: self.notes.clone(),
            source: self.source.as_str().into(),
            guardian_consent: self.guardian_consent,
            profile: self.profile.clone(),
        }
    }
}

/// The solar birthday in a sealed birthday column, if one is recorded (for the birthday gift
/// sweep, which opens nothing else).
/// Both birthdays on file: the solar date and the lunar month-day.
pub(crate) fn birthdays(
    keys: &Keyring,
    id: i64,
    sealed: Option<&str>,
) -> Result<(Option<Date>, Option<LunarDay>), AppError> {
    Ok(match open_opt(keys, "birthday", id, sealed)? {
        Some(j) => match serde_json::from_str::<Birthday>(&j) {
            Ok(b) => (
                b.solar.and_then(|s| s.parse::<Date>().ok()),
                b.lunar.and_then(|l| LunarDay::parse(&l).ok()),
            ),
            Err(_) => (None, None),
        },
        None => (None, None),
    })
}

pub(crate) fn solar_birthday(
    keys: &Keyring,
    id: i64,
    sealed: Option<&str>,
) -> Result<Option<Date>, AppError> {
    Ok(match open_opt(keys, "birthday", id, sealed)? {
        Some(j) => serde_json::from_str::<Birthday>(&j)
            .ok()
            .and_then(|b| b.solar)
            .and_then(|s| s.parse::<Date>().ok()),
        None => None,
    })
}
