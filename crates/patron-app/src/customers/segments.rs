//! Saved segments: up to `MAX_GROUPS` groups of the customer list's conditions, a customer
//! being in the segment when every condition of at least one group holds, plus the birthday
//! month (birthdays are sealed, so that condition is checked on the opened birthday, after
//! the list's query has narrowed the candidates). Members are found live within the viewer's
//! scope. Segments feed coupons and points (the bulk forms), and tasks, coupons and messages
//! with a control group (a playbook that reaches a segment).

use super::CustomerQuery;
use crate::membership::recipients::MAX_RECIPIENTS;
use crate::security::Principal;
use crate::{App, AppError};
use patron_domain::FieldError;
use patron_domain::care::classes::{Lifecycle, SpendClass};
use patron_domain::customers::ConsentPurpose;
use patron_store::Scope;
pub use patron_store::care::segments::SegmentRow;
use patron_store::customers::CustomerSort;
use std::collections::BTreeSet;

/// The most condition groups a segment has.
pub const MAX_GROUPS: usize = 3;

/// A segment as the builder submits it: each group as a list query string.
#[derive(Debug, Clone, Default)]
pub struct SegmentInput {
    pub name: String,
    /// `None`: the whole chain's (admins); store staff always save for their own store.
    pub store_id: Option<i64>,
    pub groups: Vec<String>,
}

/// Whether a group sets any condition at all (an empty group would match everyone).
fn has_condition(q: &CustomerQuery) -> bool {
    let text = [
        &q.q,
        &q.tag,
        &q.class,
        &q.lifecycle,
        &q.tier,
        &q.consent,
        &q.category,
        &q.sku,
    ];
    text.iter().any(|t| !t.trim().is_empty())
        || q.owner.is_some()
        || q.store.is_some()
        || q.stale
        || q.incomplete
        || q.idle_days.is_some()
        || q.recent_days.is_some()
        || q.churn.is_some()
        || q.birth_month.is_some()
}

/// Parses and checks one group's query string; `field` names the group in errors.
fn group(field: &'static str, query: &str) -> Result<CustomerQuery, FieldError> {
    let q: CustomerQuery = serde_urlencoded::from_str(query)
        .map_err(|_| FieldError::new(field, "error.segment.group"))?;
    if q.birth_month.is_some_and(|m| !(1..=12).contains(&m)) {
        return Err(FieldError::new(field, "error.segment.birth_month"));
    }
    if [q.idle_days, q.recent_days, q.churn]
        .into_iter()
        .flatten()
        .any(|d| !(0..=36_500).contains(&d))
    {
        return Err(FieldError::new(field, "error.segment.number"));
    }
    if q.sku.chars().count() > 64 || q.category.chars().count() > 64 {
        return Err(FieldError::new(field, "error.segment.group"));
    }
    let known = |v: &str, ok: bool| v.trim().is_empty() || ok;
    if !known(&q.class, SpendClass::from_code(q.class.trim()).is_some())
        || !known(
            &q.lifecycle,
            Lifecycle::from_code(q.lifecycle.trim()).is_some(),
        )
        || !known(&q.consent, ConsentPurpose::parse(&q.consent).is_some())
    {
        return Err(FieldError::new(field, "error.segment.value"));
    }
    Ok(q)
}

const GROUP_FIELDS: [&str; MAX_GROUPS] = ["group1", "group2", "group3"];

/// The groups a stored segment holds.
pub fn groups_of(row: &SegmentRow) -> Result<Vec<CustomerQuery>, AppError> {
    let raw: Vec<String> = serde_json::from_str(&row.groups)
        .map_err(|e| AppError::Internal(format!("segment {}: {e}", row.id)))?;
    raw.iter()
        .zip(GROUP_FIELDS)
        .map(|(g, f)| group(f, g).map_err(AppError::from))
        .collect()
}

impl App {
    /// Creates (`id` none) or replaces a segment. Checks every group; groups left empty are
    /// dropped, and at least one must remain.
    pub async fn save_segment(
        &self,
        p: &Principal,
        id: Option<i64>,
        input: &SegmentInput,
    ) -> Result<i64, AppError> {
        let name = input.name.trim();
        if name.is_empty() || name.chars().count() > 60 {
            return Err(FieldError::new("name", "error.segment.name").into());
        }
        if input.groups.len() > MAX_GROUPS {
            return Err(FieldError::new("group1", "error.segment.group").into());
        }
        let mut kept = Vec::new();
        for (raw, field) in input.groups.iter().zip(GROUP_FIELDS) {
            let q = group(field, raw)?;
            if has_condition(&q) {
                kept.push(raw.clone());
            }
        }
        if kept.is_empty() {
            return Err(FieldError::new("group1", "error.segment.empty").into());
        }
        let store_id = match p.scope() {
            Scope::Store(own) => Some(own),
            Scope::Chain => input.store_id,
        };
        if let Some(s) = store_id {
            self.db.get_store(Scope::Chain, s).await?;
        }
        if let Some(id) = id {
            self.editable_segment(p, id).await?;
        }
        let groups = serde_json::to_string(&kept).map_err(|e| AppError::Internal(e.to_string()))?;
        match self
            .db
            .save_segment(id, store_id, name, &groups, Some(p.staff_id), self.now())
            .await
        {
            Err(patron_store::StoreError::Conflict { .. }) => {
                Err(FieldError::new("name", "error.segment.name_taken").into())
            }
            other => Ok(other?),
        }
    }

    pub async fn delete_segment(&self, p: &Principal, id: i64) -> Result<(), AppError> {
        self.editable_segment(p, id).await?;
        match self.db.delete_segment(id).await {
            Err(patron_store::StoreError::Conflict { .. }) => {
                Err(FieldError::new("segment", "error.segment.in_use").into())
            }
            other => Ok(other?),
        }
    }

    /// A segment the staff member may change: one they can see, and for store staff one of
    /// their own store's (the chain's segments are read-only to them).
    async fn editable_segment(&self, p: &Principal, id: i64) -> Result<SegmentRow, AppError> {
        let row = self.db.segment(p.scope(), id).await?;
        match p.scope() {
            Scope::Store(own) if row.store_id != Some(own) => Err(AppError::Forbidden),
            _ => Ok(row),
        }
    }

    /// The customers of one list query within `scope`, in id order, with the birthday
    /// month checked on each candidate's opened birthday; `None` when more than
    /// `MAX_RECIPIENTS` match.
    pub(crate) async fn customers_of_query(
        &self,
        scope: Scope,
        q: &CustomerQuery,
    ) -> Result<Option<Vec<i64>>, AppError> {
        let mut f = self.filter_for(q);
        f.sort = CustomerSort::Id;
        f.offset = 0;
        f.limit = 1_000;
        f.after_id = None;
        let month = q.birth_month.and_then(|m| i8::try_from(m).ok());
        let year = self.today().year();
        let mut ids = Vec::new();
        loop {
            let (records, _) = self.db.search_customers(scope, &f).await?;
            let Some(last) = records.last() else { break };
            f.after_id = Some(last.id);
            for r in &records {
                if let Some(m) = month {
                    let (solar, lunar) =
                        super::sealing::birthdays(&self.keys, r.id, r.birthday_enc.as_deref())?;
                    if !patron_domain::calendar::birthday_in_month(year, m, solar, lunar) {
                        continue;
                    }
                }
                ids.push(r.id);
            }
            if ids.len() > MAX_RECIPIENTS {
                return Ok(None);
            }
        }
        Ok(Some(ids))
    }

    /// Everyone in a segment within `scope`, in id order; `None` when more than
    /// `MAX_RECIPIENTS` are.
    pub async fn segment_members(
        &self,
        scope: Scope,
        row: &SegmentRow,
    ) -> Result<Option<Vec<i64>>, AppError> {
        let mut all = BTreeSet::new();
        for q in groups_of(row)? {
            let Some(ids) = self.customers_of_query(scope, &q).await? else {
                return Ok(None);
            };
            all.extend(ids);
            if all.len() > MAX_RECIPIENTS {
                return Ok(None);
            }
        }
        Ok(Some(all.into_iter().collect()))
    }

    /// The members a bulk action reaches: refused when there are none or too many.
    pub async fn segment_recipients(
        &self,
        scope: Scope,
        segment_id: i64,
    ) -> Result<Vec<i64>, AppError> {
        let row = self.db.segment(scope, segment_id).await?;
        match self.segment_members(scope, &row).await? {
            None => Err(FieldError::new("customers", "error.coupon.customers").into()),
            Some(ids) if ids.is_empty() => {
                Err(FieldError::new("customers", "error.recipients.empty").into())
            }
            Some(ids) => Ok(ids),
        }
    }

    /// Members opened for display (the first few a page shows).
    pub async fn open_members(
        &self,
        scope: Scope,
        ids: &[i64],
    ) -> Result<Vec<super::Customer>, AppError> {
        let mut shown = Vec::with_capacity(ids.len());
        for id in ids {
            shown.push(self.load_customer(scope, *id).await?);
        }
        Ok(shown)
    }

    /// Segments visible within `scope`, each with its live members (`None`: more than
    /// `MAX_RECIPIENTS`).
    pub async fn segments_with_members(
        &self,
        scope: Scope,
    ) -> Result<Vec<(SegmentRow, Option<Vec<i64>>)>, AppError> {
        let mut out = Vec::new();
        for row in self.db.segments(scope).await? {
            let members = self.segment_members(scope, &row).await?;
            out.push((row, members));
        }
        Ok(out)
    }
}

impl App {
    /// The saved segments a scope may see.
    pub async fn segments(&self, scope: Scope) -> Result<Vec<SegmentRow>, AppError> {
        Ok(self.db.segments(scope).await?)
    }

    /// One saved segment, within the caller's scope.
    pub async fn segment(&self, scope: Scope, id: i64) -> Result<SegmentRow, AppError> {
        Ok(self.db.segment(scope, id).await?)
    }

    /// One saved segment with its members now (`segment_members`: `None` past the cap).
    pub async fn segment_with_members(
        &self,
        scope: Scope,
        id: i64,
    ) -> Result<(SegmentRow, Option<Vec<i64>>), AppError> {
        let row = self.segment(scope, id).await?;
        let members = self.segment_members(scope, &row).await?;
        Ok((row, members))
    }

    /// Saves a segment (`save_segment`) and reads it back with its members, as the API
    /// answers.
    pub async fn segment_saved(
        &self,
        p: &Principal,
        id: Option<i64>,
        input: &SegmentInput,
    ) -> Result<(SegmentRow, Option<Vec<i64>>), AppError> {
        let id = self.save_segment(p, id, input).await?;
        self.segment_with_members(p.scope(), id).await
    }
}
