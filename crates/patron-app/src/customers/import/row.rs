//! One import row: the form input a spreadsheet row becomes, its checks (run on every core,
//! since parsing and sealing a million rows costs more than writing them), and how an upsert
//! merges it into the stored file (non-empty cells overwrite, lists are joined).

use super::{RowProblem, mask_cell};
use crate::customers::parse_tags;
use crate::keyring::Keyring;
use crate::{App, AppError};
use jiff::civil::Date;
use patron_domain::FieldError;
use patron_domain::audit::Actor;
use patron_domain::customers::{CustomerDraft, CustomerInput};
use patron_store::Scope;
use std::collections::HashMap;

impl App {
    /// Non-empty imported values overwrite the stored file; empty cells keep what is there.
    pub(super) async fn upsert_one(
        &self,
        actor: &Actor,
        scope: Scope,
        id: i64,
        r: &Ready,
    ) -> Result<(), AppError> {
        let before = self.load_customer(scope, id).await?;
        let mut input = before.to_input();
        let d = &r.draft;
        input.name = d.name.as_str().to_string();
        let keep = |target: &mut String, v: String| {
            if !v.is_empty() {
                *target = v;
            }
        };
        keep(
            &mut input.mobile,
            d.mobile
                .as_ref()
                .map(|p| p.e164().to_string())
                .unwrap_or_default(),
        );
        keep(
            &mut input.email,
            d.email
                .as_ref()
                .map(|e| e.as_str().to_string())
                .unwrap_or_default(),
        );
        keep(
            &mut input.birthday,
            d.birthday.map(|b| b.to_string()).unwrap_or_default(),
        );
        keep(
            &mut input.lunar_birthday,
            d.lunar_birthday.map(|l| l.render()).unwrap_or_default(),
        );
        keep(
            &mut input.id_number,
            d.id_number
                .as_ref()
                .map(|n| n.as_str().to_string())
                .unwrap_or_default(),
        );
        keep(&mut input.notes, d.notes.clone());
        if d.gender != patron_domain::customers::Gender::Unknown {
            input.gender = d.gender.as_str().into();
        }
        for p in &d.other_phones {
            if !input.other_phones.contains(&p.e164().to_string()) {
                input.other_phones.push(p.e164().to_string());
            }
        }
        for a in &d.addresses {
            if !input.addresses.contains(a) {
                input.addresses.push(a.clone());
            }
        }
        let p = &mut input.profile;
        let src = &d.profile;
        for (mine, theirs) in [
            (&mut p.employer, &src.employer),
            (&mut p.job_title, &src.job_title),
            (&mut p.occupation, &src.occupation),
            (&mut p.family_status, &src.family_status),
            (&mut p.hobbies, &src.hobbies),
            (&mut p.habits, &src.habits),
            (&mut p.clothing_size, &src.clothing_size),
            (&mut p.shoe_size, &src.shoe_size),
            (&mut p.preferred_channel, &src.preferred_channel),
            (&mut p.language, &src.language),
            (&mut p.contact_time, &src.contact_time),
            (&mut p.wechat, &src.wechat),
        ] {
            if !theirs.is_empty() {
                *mine = theirs.clone();
            }
        }
        let mut tags = before.tags.clone();
        for t in &r.tags {
            if !tags.contains(t) {
                tags.push(t.clone());
            }
        }
        let edit = crate::customers::CustomerEdit {
            input,
            tags,
            owner_staff_id: r.owner.or(before.owner_staff_id),
            verified: false,
        };
        self.update_customer(actor, scope, id, &edit).await
    }
}

pub(super) fn split_list(s: &str) -> Vec<String> {
    s.split([',', '，', '、', ';', '；', '|'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
        .map(str::to_string)
        .collect()
}

pub(super) fn row_input(get: &dyn Fn(&str) -> String) -> CustomerInput {
    let mut input = CustomerInput {
        name: get("name"),
        gender: get("gender"),
        birthday: get("birthday"),
        lunar_birthday: get("lunar_birthday"),
        mobile: get("mobile"),
        other_phones: split_list(&get("other_phones")),
        email: get("email"),
        addresses: get("addresses")
            .split(['；', ';', '\n'])
            .map(str::trim)
            .filter(|a| !a.is_empty())
            .map(str::to_string)
            .collect(),
        id_number: get("id_number"),
        notes: get("notes"),
        source: {
            let s = get("source");
            if s.is_empty() { "import".into() } else { s }
        },
        ..Default::default()
    };
    let p = &mut input.profile;
    p.employer = get("employer");
    p.job_title = get("job_title");
    p.occupation = get("occupation");
    p.family_status = get("family_status");
    p.hobbies = get("hobbies");
    p.habits = get("habits");
    p.clothing_size = get("clothing_size");
    p.shoe_size = get("shoe_size");
    let channel = get("preferred_channel");
    p.preferred_channel = patron_domain::customers::ContactChannel::parse_loose(&channel)
        .map(|c| c.as_str().to_string())
        .unwrap_or(channel);
    p.contact_time = get("contact_time");
    p.wechat = get("wechat");
    let language = get("language");
    p.language = crate::i18n::Lang::parse_loose(&language)
        .map(|l| l.code().to_string())
        .unwrap_or(language);
    input
}

/// A checked row on its way in.
pub(super) struct Ready {
    pub(super) row_no: usize,
    pub(super) draft: CustomerDraft,
    pub(super) tags: Vec<String>,
    pub(super) store_id: i64,
    pub(super) owner: Option<i64>,
    pub(super) mobile_idx: Option<String>,
    pub(super) id_idx: Option<String>,
    pub(super) archive_no: String,
}

/// An active staff member a row may name as owner.
pub(super) struct StaffRef {
    pub(super) id: i64,
    pub(super) username: String,
    pub(super) display_name: String,
    pub(super) store_id: Option<i64>,
    pub(super) chain_wide: bool,
}

/// What every row of one file is checked against.
pub(super) struct RowCheck<'a> {
    /// `mapping[i]` names the field of column `i`.
    pub(super) mapping: &'a [Option<&'static str>],
    pub(super) headers: &'a [String],
    /// Store code in upper case to (id, code).
    pub(super) stores: &'a HashMap<String, (i64, String)>,
    pub(super) staff: &'a [StaffRef],
    pub(super) default_store: Option<i64>,
    pub(super) today: Date,
    /// Whether the store holds the separate consent an ID number needs.
    pub(super) id_number_consent: bool,
    pub(super) keys: &'a Keyring,
}

impl RowCheck<'_> {
    /// The header of the column mapped to `field`, or the field's name.
    pub(super) fn column_of(&self, field: &str) -> String {
        self.mapping
            .iter()
            .position(|m| *m == Some(field))
            .and_then(|i| self.headers.get(i).cloned())
            .unwrap_or_else(|| field.to_string())
    }

    /// The cell of `field` in a row, empty when no column maps to it.
    pub(super) fn cell(&self, cells: &[String], field: &str) -> String {
        self.mapping
            .iter()
            .position(|m| *m == Some(field))
            .and_then(|c| cells.get(c))
            .cloned()
            .unwrap_or_default()
    }

    /// Parses and checks one row (`row_no` counts the header as row 1): the row ready to
    /// match and write, or every problem found in it.
    pub(super) fn check(&self, row_no: usize, cells: &[String]) -> Result<Ready, Vec<RowProblem>> {
        let get = |field: &str| self.cell(cells, field);
        let mut problems: Vec<FieldError> = Vec::new();
        let draft = CustomerDraft::parse(&row_input(&get), self.today)
            .map_err(|e| problems.extend(e))
            .ok();
        let tags = parse_tags(&split_list(&get("tags")))
            .map_err(|e| problems.push(e))
            .ok();
        let store_cell = get("store");
        let store_id = if store_cell.is_empty() {
            self.default_store
        } else {
            self.stores
                .get(&store_cell.trim().to_uppercase())
                .map(|s| s.0)
        };
        if store_id.is_none() {
            problems.push(FieldError::new("store", "error.import.store"));
        }
        let owner_cell = get("owner");
        let owner = if owner_cell.is_empty() {
            None
        } else {
            let found = self.staff.iter().find(|s| {
                (s.username == owner_cell || s.display_name == owner_cell)
                    && (s.chain_wide || s.store_id == store_id)
            });
            if found.is_none() {
                problems.push(FieldError::new("owner", "error.owner.invalid"));
            }
            found.map(|s| s.id)
        };
        if let Some(d) = &draft
            && d.id_number.is_some()
            && !self.id_number_consent
        {
            problems.push(FieldError::new(
                "id_number",
                "error.id_number.consent_required",
            ));
        }
        let (Some(draft), Some(tags), Some(store_id), true) =
            (draft, tags, store_id, problems.is_empty())
        else {
            return Err(problems
                .into_iter()
                .map(|p| {
                    let field = match p.field {
                        "guardian_consent" => "birthday",
                        f => f,
                    };
                    RowProblem {
                        row: row_no,
                        column: self.column_of(field),
                        value: mask_cell(&get(field)),
                        key: p.key,
                    }
                })
                .collect());
        };
        let mobile_idx = draft
            .mobile
            .as_ref()
            .map(|p| self.keys.blind_index("phone", p.e164()));
        let id_idx = draft
            .id_number
            .as_ref()
            .map(|n| self.keys.blind_index("id", n.as_str()));
        Ok(Ready {
            row_no,
            draft,
            tags,
            store_id,
            owner,
            mobile_idx,
            id_idx,
            archive_no: get("archive_no"),
        })
    }
}

/// `f` over `items` on every core, results in order. Import rows are independent, and a
/// batch of thousands is worth a few threads.
pub(super) fn par_map<T: Sync, R: Send>(items: &[T], f: impl Fn(usize, &T) -> R + Sync) -> Vec<R> {
    let threads = std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(1)
        .min(8);
    if threads < 2 || items.len() < 64 {
        return items.iter().enumerate().map(|(i, t)| f(i, t)).collect();
    }
    let per = items.len().div_ceil(threads);
    let f = &f;
    std::thread::scope(|scope| {
        let parts: Vec<_> = items
            .chunks(per)
            .enumerate()
            .map(|(k, part)| {
                scope.spawn(move || {
                    part.iter()
                        .enumerate()
                        .map(|(i, t)| f(k * per + i, t))
                        .collect::<Vec<R>>()
                })
            })
            .collect();
        parts
            .into_iter()
            .flat_map(|p| match p.join() {
                Ok(v) => v,
                Err(panic) => std::panic::resume_unwind(panic),
            })
            .collect()
    })
}
