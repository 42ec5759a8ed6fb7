//! Merging duplicates. The survivor keeps its own values; empty fields are filled from the
//! merged file; lists (phones, addresses, tags, household) are combined; a value that differs
//! and cannot be combined (a second e-mail) is written into the survivor's notes, so nothing
//! is lost. Two different ID numbers mean two people: the merge is refused.

use super::sealing::{self, Customer};
use crate::{App, AppError};
use patron_domain::audit::Actor;
use patron_domain::customers::{CustomerDraft, Gender};
use patron_store::Scope;
use patron_store::customers::MergePlan;

/// Combines two opened files into the survivor's new draft.
fn combine(
    keep: &Customer,
    gone: &Customer,
) -> Result<(CustomerDraft, Vec<String>, Option<i64>), AppError> {
    if let (Some(a), Some(b)) = (&keep.id_number, &gone.id_number)
        && a != b
    {
        return Err(AppError::Conflict {
            key: "error.merge.id_numbers_differ",
            field: Some("id_number"),
        });
    }
    let mut d = sealing::as_draft(keep)?;
    let other = sealing::as_draft(gone)?;
    let mut leftovers: Vec<String> = Vec::new();
    if d.gender == Gender::Unknown {
        d.gender = other.gender;
    }
    d.birthday = d.birthday.or(other.birthday);
    d.lunar_birthday = d.lunar_birthday.or(other.lunar_birthday);
    d.id_number = d.id_number.or(other.id_number);
    match (&d.mobile, other.mobile) {
        (None, m) => d.mobile = m,
        (Some(a), Some(b)) if *a != b => d.other_phones.push(b),
        _ => {}
    }
    for p in other.other_phones {
        if Some(&p) != d.mobile.as_ref() && !d.other_phones.contains(&p) {
            d.other_phones.push(p);
        }
    }
    match (&d.email, other.email) {
        (None, e) => d.email = e,
        (Some(a), Some(b)) if *a != b => leftovers.push(format!("email: {}", b.as_str())),
        _ => {}
    }
    for a in other.addresses {
        if !d.addresses.contains(&a) {
            d.addresses.push(a);
        }
    }
    d.guardian_consent |= other.guardian_consent;
    let (p, o) = (&mut d.profile, other.profile);
    // A language is a choice, not information: the survivor's stands.
    if p.language.is_empty() {
        p.language = o.language;
    }
    for (mine, theirs) in [
        (&mut p.employer, o.employer),
        (&mut p.job_title, o.job_title),
        (&mut p.occupation, o.occupation),
        (&mut p.family_status, o.family_status),
        (&mut p.hobbies, o.hobbies),
        (&mut p.habits, o.habits),
        (&mut p.clothing_size, o.clothing_size),
        (&mut p.shoe_size, o.shoe_size),
        (&mut p.preferred_channel, o.preferred_channel),
        (&mut p.contact_time, o.contact_time),
        (&mut p.wechat, o.wechat),
    ] {
        if mine.is_empty() {
            *mine = theirs;
        } else if !theirs.is_empty() && *mine != theirs {
            leftovers.push(theirs);
        }
    }
    for link in o.household {
        if link.customer_id != keep.id && !p.household.contains(&link) {
            p.household.push(link);
        }
    }
    for (k, v) in o.custom {
        p.custom.entry(k).or_insert(v);
    }
    if !other.notes.is_empty() && other.notes != d.notes {
        leftovers.push(other.notes);
    }
    if !leftovers.is_empty() {
        let block = format!("[{}] {}", gone.archive_no, leftovers.join("；"));
        d.notes = if d.notes.is_empty() {
            block
        } else {
            format!("{}\n{block}", d.notes)
        };
        let limit: String = d.notes.chars().take(4000).collect();
        d.notes = limit;
    }
    let mut tags = keep.tags.clone();
    for t in &gone.tags {
        if !tags.contains(t) {
            tags.push(t.clone());
        }
    }
    Ok((d, tags, keep.owner_staff_id.or(gone.owner_staff_id)))
}

impl App {
    /// Merges `merged_id` into `survivor_id`. Returns moved-row counts per table.
    pub async fn merge_customers(
        &self,
        actor: &Actor,
        scope: Scope,
        survivor_id: i64,
        merged_id: i64,
    ) -> Result<Vec<(&'static str, u64)>, AppError> {
        if survivor_id == merged_id {
            return Err(AppError::Conflict {
                key: "error.merge.same",
                field: None,
            });
        }
        let keep = self.load_customer(scope, survivor_id).await?;
        let gone = self.load_customer(scope, merged_id).await?;
        if keep.status != patron_domain::customers::CustomerStatus::Active
            || gone.status != patron_domain::customers::CustomerStatus::Active
        {
            return Err(AppError::NotFound);
        }
        let (draft, tags, owner) = combine(&keep, &gone)?;
        let survivor = sealing::write_row(&self.keys, keep.id, keep.store_id, &draft, owner, tags);
        let plan = MergePlan {
            survivor,
            merged_id,
        };
        Ok(self
            .db
            .merge_customers(actor, scope, &plan, self.now())
            .await?)
    }
}
