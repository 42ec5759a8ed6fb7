//! Reading customer files: the list and its search box, the profile (audited), revealing one
//! field with a reason (audited), and the till's lookup by phone (audited).

use super::sealing::{self, Customer};
use crate::security::Principal;
use crate::{App, AppError};
use patron_domain::audit::Actor;
use patron_domain::customers::Reverification;
use patron_domain::phone::Phone;
use patron_domain::{Capability, FieldError};
use patron_store::Scope;
use patron_store::customers::{CustomerFilter, CustomerSort, DuplicatePair, SegmentFilter};

/// The list's inputs as they come from a search box and filter controls.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct CustomerQuery {
    /// Name, pinyin or initials; a mobile (full) or its last 4 digits; an archive number;
    /// an ID number.
    pub q: String,
    pub tag: String,
    #[serde(deserialize_with = "blank_as_none")]
    pub owner: Option<i64>,
    #[serde(deserialize_with = "blank_as_none")]
    pub store: Option<i64>,
    /// Only files due for re-verification.
    pub stale: bool,
    /// Only incomplete files.
    pub incomplete: bool,
    /// Segment conditions: spend class, lifecycle, tier, a consent in force, no purchase
    /// for at least `idle_days`, a purchase within `recent_days`, a category bought, a
    /// churn score of at least `churn`.
    pub class: String,
    pub lifecycle: String,
    pub tier: String,
    pub consent: String,
    #[serde(deserialize_with = "blank_as_none")]
    pub idle_days: Option<i64>,
    #[serde(deserialize_with = "blank_as_none")]
    pub recent_days: Option<i64>,
    pub category: String,
    #[serde(deserialize_with = "blank_as_none")]
    pub churn: Option<i64>,
    /// Bought this product (SKU), ever.
    pub sku: String,
    /// Birthday in this month (1-12) of the current year. Birthdays are sealed, so this is
    /// a segment condition (checked on each candidate's opened birthday), not a list filter.
    #[serde(deserialize_with = "blank_as_none")]
    pub birth_month: Option<i64>,
    pub sort: String,
    #[serde(deserialize_with = "blank_as_zero")]
    pub page: i64,
    #[serde(deserialize_with = "blank_as_zero")]
    pub per_page: i64,
}

/// A select left at "all" submits an empty value: that means no filter, not an error.
fn blank_as_none<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<i64>, D::Error> {
    let s: Option<String> = serde::Deserialize::deserialize(d)?;
    match s.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(v) => v.parse().map(Some).map_err(serde::de::Error::custom),
    }
}

fn blank_as_zero<'de, D: serde::Deserializer<'de>>(d: D) -> Result<i64, D::Error> {
    Ok(blank_as_none(d)?.unwrap_or(0))
}

pub struct CustomerPage {
    pub customers: Vec<Customer>,
    /// Matches, counted up to `patron_store::customers::COUNT_CAP` (+1 means "more").
    pub total: i64,
    pub page: i64,
    pub per_page: i64,
}

/// What the till gets: enough to greet and identify, nothing more.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Lookup {
    pub id: i64,
    pub name: String,
    pub masked_mobile: String,
    pub archive_no: String,
}

impl App {
    /// Opens a file without auditing (internal use: edits, merges).
    pub(crate) async fn load_customer(&self, scope: Scope, id: i64) -> Result<Customer, AppError> {
        let r = self.db.get_customer(scope, id).await?;
        let tags = self.db.customer_tags(id).await?;
        sealing::open_record(&self.keys, r, tags)
    }

    /// Opens stored rows with their tags (one query for all the tags).
    pub(crate) async fn open_records(
        &self,
        records: Vec<patron_store::customers::CustomerRecord>,
    ) -> Result<Vec<Customer>, AppError> {
        let ids: Vec<i64> = records.iter().map(|r| r.id).collect();
        let mut tags: std::collections::HashMap<i64, Vec<String>> = Default::default();
        for (id, tag) in self.db.tags_of(&ids).await? {
            tags.entry(id).or_default().push(tag);
        }
        records
            .into_iter()
            .map(|r| {
                let t = tags.remove(&r.id).unwrap_or_default();
                sealing::open_record(&self.keys, r, t)
            })
            .collect()
    }

    /// Opens a file for a person to look at; the view is audited.
    pub async fn view_customer(
        &self,
        actor: &Actor,
        scope: Scope,
        id: i64,
    ) -> Result<Customer, AppError> {
        let c = self.load_customer(scope, id).await?;
        self.db
            .audit_customer_read(actor, "customer.view", Some(id), "", self.now())
            .await?;
        Ok(c)
    }

    /// Shows one personal field in full. Needs the reveal capability and a reason; both the
    /// field and the reason are audited.
    pub async fn reveal_customer_field(
        &self,
        by: &Principal,
        request_id: Option<String>,
        id: i64,
        field: &str,
        reason: &str,
    ) -> Result<String, AppError> {
        if !by.can(Capability::CustomerPiiReveal) {
            return Err(AppError::Forbidden);
        }
        let reason = reason.trim();
        if reason.chars().count() < 2 || reason.chars().count() > 200 {
            return Err(FieldError::new("reason", "error.reveal.reason").into());
        }
        let c = self.load_customer(by.scope(), id).await?;
        let value = match field {
            "mobile" => c.mobile.as_ref().map(|p| p.national().to_string()),
            "id_number" => c.id_number.as_ref().map(|n| n.as_str().to_string()),
            "email" => c.email.clone(),
            "addresses" => (!c.addresses.is_empty()).then(|| c.addresses.join("；")),
            "birthday" => c.birthday.map(|b| b.to_string()),
            "other_phones" => (!c.other_phones.is_empty()).then(|| {
                c.other_phones
                    .iter()
                    .map(|p| p.national().to_string())
                    .collect::<Vec<_>>()
                    .join("；")
            }),
            _ => return Err(FieldError::new("field", "error.reveal.field").into()),
        };
        self.db
            .audit_customer_read(
                &by.actor(request_id),
                "customer.reveal",
                Some(id),
                &format!("field={field}; reason={reason}"),
                self.now(),
            )
            .await?;
        Ok(value.unwrap_or_default())
    }

    /// The re-verification rule as configured (`customers.reverify_days`).
    fn reverification(&self) -> Reverification {
        Reverification {
            days: self.config.customers.reverify_days,
        }
    }

    /// Whether a file last verified at `verified_at` is due for re-verification now (the
    /// list's filter, and the mark on the list and the customer page).
    pub fn reverification_due(&self, verified_at: jiff::Timestamp) -> bool {
        self.reverification()
            .is_due(verified_at.as_millisecond(), self.now())
    }

    /// The storage filter for a list query (search text classified, filters applied).
    pub(crate) fn filter_for(&self, q: &CustomerQuery) -> CustomerFilter {
        let per_page = if q.per_page <= 0 {
            50
        } else {
            q.per_page.min(super::MAX_PAGE)
        };
        let page = q.page.max(1);
        let mut f = CustomerFilter {
            tag: Some(q.tag.trim().to_string()).filter(|t| !t.is_empty()),
            owner_staff_id: q.owner,
            store_id: q.store,
            sort: CustomerSort::parse(&q.sort),
            offset: (page - 1) * per_page,
            limit: per_page,
            ..Default::default()
        };
        if q.stale {
            f.verified_before = Some(self.reverification().due_before(self.now()));
        }
        if q.incomplete {
            f.completeness_below = Some(100);
        }
        let text = |v: &str| Some(v.trim().to_string()).filter(|t| !t.is_empty());
        let days_ago = |d: i64| self.now().as_millisecond() - d.max(0) * 86_400_000;
        f.segment = SegmentFilter {
            spend_class: text(&q.class),
            lifecycle: text(&q.lifecycle),
            tier: text(&q.tier),
            consent: text(&q.consent),
            last_purchase_before: q.idle_days.map(days_ago),
            last_purchase_since: q.recent_days.map(days_ago),
            category: text(&q.category),
            min_churn: q.churn,
            sku: text(&q.sku),
        };
        self.classify(&mut f, q.q.trim());
        f
    }

    /// The customer list: classifies the search text and applies the filters.
    pub async fn search_customers(
        &self,
        actor: &Actor,
        scope: Scope,
        q: &CustomerQuery,
    ) -> Result<CustomerPage, AppError> {
        let f = self.filter_for(q);
        let (page, per_page) = (q.page.max(1), f.limit);
        let (records, total) = self.db.search_customers(scope, &f).await?;
        let customers = self.open_records(records).await?;
        if !q.q.trim().is_empty() {
            self.db
                .audit_customer_read(
                    actor,
                    "customer.search",
                    None,
                    &format!("results={}", customers.len()),
                    self.now(),
                )
                .await?;
        }
        Ok(CustomerPage {
            customers,
            total,
            page,
            per_page,
        })
    }

    /// Decides what the search text is. Digits: a mobile, its last four, or an ID number;
    /// letters followed by digits with a dash: an archive number; anything else: a name.
    fn classify(&self, f: &mut CustomerFilter, text: &str) {
        if text.is_empty() {
            return;
        }
        let compact: String = text
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        if compact.len() == 4 && compact.bytes().all(|b| b.is_ascii_digit()) {
            f.last4_idx = Some(self.keys.blind_index("last4", &compact));
        } else if let Some(id) = (compact.len() >= 15)
            .then(|| {
                patron_domain::id_number::IdNumber::parse(text, jiff::civil::date(9999, 12, 31))
                    .ok()
            })
            .flatten()
        {
            f.id_idx = Some(self.keys.blind_index("id", id.as_str()));
        } else if let Ok(p) = Phone::parse(text) {
            f.mobile_idx = Some(self.keys.blind_index("phone", p.e164()));
        } else if text.contains('-') && text.chars().any(|c| c.is_ascii_digit()) {
            f.archive_prefix = Some(text.to_string());
        } else {
            f.name_prefix = Some(text.to_lowercase().split_whitespace().collect());
        }
    }

    /// The till's lookup by mobile: the customer it belongs to, if exactly one does.
    pub async fn lookup_member(
        &self,
        actor: &Actor,
        scope: Scope,
        phone: &str,
    ) -> Result<Lookup, AppError> {
        let p = Phone::parse(phone)?;
        let found = self
            .db
            .customers_by_phone(scope, &self.keys.blind_index("phone", p.e164()))
            .await?;
        let c = match found.as_slice() {
            [one] => one,
            [] => return Err(AppError::NotFound),
            _ => {
                return Err(AppError::Conflict {
                    key: "error.customer.ambiguous_phone",
                    field: Some("phone"),
                });
            }
        };
        self.db
            .audit_customer_read(actor, "customer.lookup", Some(c.id), "", self.now())
            .await?;
        Ok(Lookup {
            id: c.id,
            name: c.name.clone(),
            masked_mobile: p.masked(),
            archive_no: c.archive_no.clone(),
        })
    }

    /// Possible duplicates of one file, with reasons.
    pub async fn duplicates_of(
        &self,
        scope: Scope,
        c: &Customer,
    ) -> Result<Vec<(i64, &'static str)>, AppError> {
        let draft = sealing::as_draft(c)?;
        let probe = sealing::probe(&self.keys, &draft);
        Ok(self
            .db
            .duplicate_candidates(scope, &probe, Some(c.id))
            .await?)
    }

    /// Pairs waiting for review across the caller's scope.
    pub async fn duplicate_pairs(&self, scope: Scope) -> Result<Vec<DuplicatePair>, AppError> {
        Ok(self.db.duplicate_pairs(scope, 200).await?)
    }

    /// The review page of possible duplicates: the first `limit` pairs waiting in the
    /// caller's scope, each with both files opened (audited as one view each).
    pub async fn duplicate_review(
        &self,
        actor: &Actor,
        scope: Scope,
        limit: usize,
    ) -> Result<Vec<(DuplicatePair, Customer, Customer)>, AppError> {
        let mut out = Vec::new();
        for pair in self.duplicate_pairs(scope).await?.into_iter().take(limit) {
            let mut both = self
                .view_customers(actor, scope, &[pair.first, pair.second])
                .await?
                .into_iter();
            let (Some(a), Some(b)) = (both.next(), both.next()) else {
                return Err(AppError::NotFound);
            };
            out.push((pair, a, b));
        }
        Ok(out)
    }

    /// Opens several files (for side-by-side review), audited as one view each.
    pub async fn view_customers(
        &self,
        actor: &Actor,
        scope: Scope,
        ids: &[i64],
    ) -> Result<Vec<Customer>, AppError> {
        let mut out = Vec::new();
        for id in ids {
            out.push(self.view_customer(actor, scope, *id).await?);
        }
        Ok(out)
    }
}

/// What the customer list shows: one page of customers, the directory for store and staff
/// names and the filters' choices, and the viewer's saved views.
pub struct CustomerList {
    pub page: CustomerPage,
    pub directory: std::sync::Arc<crate::directory::Directory>,
    pub views: Vec<patron_store::customers::CustomerViewRow>,
}

impl App {
    /// The customer list for one viewer, its parts read concurrently.
    pub async fn customer_list(
        &self,
        actor: &Actor,
        scope: Scope,
        staff_id: i64,
        q: &CustomerQuery,
    ) -> Result<CustomerList, AppError> {
        let (page, directory, views) = tokio::try_join!(
            self.search_customers(actor, scope, q),
            self.directory(),
            async { Ok::<_, AppError>(self.db.list_customer_views(staff_id).await?) },
        )?;
        Ok(CustomerList {
            page,
            directory,
            views,
        })
    }
}
