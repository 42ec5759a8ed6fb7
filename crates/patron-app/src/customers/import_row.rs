//! One import row: the form input a spreadsheet row becomes, and how an upsert merges it into
//! the stored file (non-empty cells overwrite, lists are joined).

use super::import::Ready;
use crate::{App, AppError};
use patron_domain::audit::Actor;
use patron_domain::customer::CustomerInput;
use patron_store::Scope;

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
        if d.gender != patron_domain::customer::Gender::Unknown {
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
        let edit = super::CustomerEdit {
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
    p.preferred_channel = patron_domain::customer::ContactChannel::parse_loose(&channel)
        .map(|c| c.as_str().to_string())
        .unwrap_or(channel);
    p.contact_time = get("contact_time");
    p.wechat = get("wechat");
    input
}
