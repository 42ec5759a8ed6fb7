//! Customer files: parse what staff type, seal personal data under the keyring, compute blind
//! indexes and search keys, and hand sealed rows to storage. Reading reverses it. Every view,
//! reveal and export of personal data leaves an audit row.

mod api_reads;
mod care;
pub mod export;
pub mod import;
mod merge;
mod patch;
mod profile_page;
mod query;
pub(crate) mod sealing;
pub mod segments;

pub use api_reads::{MAX_PAGE, RevealRequest};
pub use care::{InteractionInput, TimelineItem};
pub use import::{TableLimits, read_table};
pub use patch::CustomerPatch;
pub use profile_page::CustomerProfile;
pub use query::{CustomerList, CustomerPage, CustomerQuery, Lookup};
pub use sealing::Customer;

use crate::{App, AppError};
use patron_domain::FieldError;
use patron_domain::audit::Actor;
use patron_domain::customers::{
    ConsentChannel, ConsentPurpose, CustomerDraft, CustomerInput, HouseholdLink, archive_number,
};
use patron_domain::staff::StaffStatus;
use patron_store::Scope;
pub use patron_store::customers::{COUNT_CAP, CustomFieldRow, CustomerViewRow};
use patron_store::customers::{ConsentEvent, DuplicateProbe, NewCustomer};

/// A tag as staff type it: 1 to 20 characters; at most 30 per customer.
pub fn parse_tags(tags: &[String]) -> Result<Vec<String>, FieldError> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let t = t.trim();
        if t.is_empty() {
            continue;
        }
        if t.chars().count() > 20 || t.chars().any(char::is_control) {
            return Err(FieldError::new("tags", "error.tag.invalid"));
        }
        if !out.iter().any(|x| x == t) {
            out.push(t.to_string());
        }
    }
    if out.len() > 30 {
        return Err(FieldError::new("tags", "error.tag.too_many"));
    }
    Ok(out)
}

/// Consents given when a file is created: purposes granted, how, against which notice.
#[derive(Debug, Clone, Default)]
pub struct ConsentGrant {
    pub purposes: Vec<ConsentPurpose>,
    pub channel: Option<ConsentChannel>,
}

/// Everything a create carries beyond the profile.
#[derive(Debug, Clone, Default)]
pub struct CreateOptions {
    /// Home store; staff bound to a store can only use their own.
    pub store_id: Option<i64>,
    pub owner_staff_id: Option<i64>,
    pub tags: Vec<String>,
    pub consents: ConsentGrant,
}

/// An edit of a whole file, as a form submits it.
#[derive(Debug, Clone, Default)]
pub struct CustomerEdit {
    pub input: CustomerInput,
    pub tags: Vec<String>,
    pub owner_staff_id: Option<i64>,
    /// The customer confirmed the file today (resets the re-verification clock).
    pub verified: bool,
}

/// A created file and the files it may duplicate (by reason).
#[derive(Debug, Clone)]
pub struct Created {
    pub id: i64,
    pub archive_no: String,
    pub possible_duplicates: Vec<(i64, &'static str)>,
}

impl App {
    pub(crate) fn today(&self) -> jiff::civil::Date {
        self.config.timezone().to_datetime(self.now()).date()
    }

    /// Decides the home store: scoped staff may only create in their own store.
    fn home_store(&self, scope: Scope, wanted: Option<i64>) -> Result<i64, AppError> {
        match (scope, wanted) {
            (Scope::Store(own), None) => Ok(own),
            (Scope::Store(own), Some(s)) if s == own => Ok(own),
            (Scope::Store(_), Some(_)) => Err(AppError::Forbidden),
            (Scope::Chain, Some(s)) => Ok(s),
            (Scope::Chain, None) => Err(FieldError::new("store_id", "error.store.required").into()),
        }
    }

    /// Checks the owner is an active staff member who may serve this store.
    async fn check_owner(&self, owner: Option<i64>, store_id: i64) -> Result<(), AppError> {
        let Some(id) = owner else { return Ok(()) };
        let bad = || AppError::from(FieldError::new("owner_staff_id", "error.owner.invalid"));
        let staff = self
            .db
            .get_staff(Scope::Chain, id)
            .await
            .map_err(|_| bad())?;
        let chain_wide = staff.role.is_chain_wide();
        if staff.status != StaffStatus::Active || !(chain_wide || staff.store_id == Some(store_id))
        {
            return Err(bad());
        }
        Ok(())
    }

    /// Parses, checks and stores a new customer file.
    pub async fn create_customer(
        &self,
        actor: &Actor,
        scope: Scope,
        input: &CustomerInput,
        options: &CreateOptions,
    ) -> Result<Created, AppError> {
        let today = self.today();
        let mut errors = Vec::new();
        let draft = CustomerDraft::parse(input, today)
            .map_err(|e| errors.extend(e))
            .ok();
        let tags = parse_tags(&options.tags).map_err(|e| errors.push(e)).ok();
        let custom = match &draft {
            Some(d) => self.check_custom_values(&d.profile.custom).await?,
            None => Vec::new(),
        };
        errors.extend(custom);
        if let Some(d) = &draft {
            errors.extend(
                self.check_household(scope, &d.profile.household, &[])
                    .await?,
            );
        }
        if let Some(d) = &draft
            && d.id_number.is_some()
            && !options
                .consents
                .purposes
                .contains(&ConsentPurpose::IdNumber)
        {
            errors.push(FieldError::new(
                "id_number",
                "error.id_number.consent_required",
            ));
        }
        let (Some(draft), Some(tags), true) = (draft, tags, errors.is_empty()) else {
            return Err(errors.into());
        };
        let store_id = self.home_store(scope, options.store_id)?;
        let store = self
            .db
            .get_store(Scope::Chain, store_id)
            .await
            .map_err(|_| AppError::from(FieldError::new("store_id", "error.store.required")))?;
        self.check_owner(options.owner_staff_id, store_id).await?;
        let id = self.db.allocate_ids("customers", 1).await?;
        let row = sealing::write_row(
            &self.keys,
            id,
            store_id,
            &draft,
            options.owner_staff_id,
            tags,
        );
        let probe = sealing::probe(&self.keys, &draft);
        self.ensure_id_number_free(&draft, None).await?;
        let possible_duplicates = self.db.duplicate_candidates(scope, &probe, None).await?;
        let channel = options.consents.channel.unwrap_or(ConsentChannel::Counter);
        let consents = options
            .consents
            .purposes
            .iter()
            .map(|p| ConsentEvent {
                purpose: p.as_str().into(),
                granted: true,
                notice_version: self.config.customers.notice_version.clone(),
                channel: channel.as_str().into(),
            })
            .collect();
        let format = self.config.customers.archive_format.clone();
        let code = store.code.clone();
        let new = NewCustomer {
            row,
            archive: Box::new(move |seq| archive_number(&format, &code, seq)),
            consents,
        };
        let numbers = self
            .db
            .insert_customers(actor, std::slice::from_ref(&new), self.now())
            .await?;
        Ok(Created {
            id,
            archive_no: numbers.into_iter().next().unwrap_or_default(),
            possible_duplicates: possible_duplicates
                .into_iter()
                .filter(|(_, r)| *r != "phone")
                .collect(),
        })
    }

    /// Replaces a file's profile. Fields not in the input are cleared, as in a form.
    pub async fn update_customer(
        &self,
        actor: &Actor,
        scope: Scope,
        id: i64,
        edit: &CustomerEdit,
    ) -> Result<(), AppError> {
        let (input, tags, owner_staff_id) = (&edit.input, &edit.tags, edit.owner_staff_id);
        let today = self.today();
        let before = self.load_customer(scope, id).await?;
        let mut errors = Vec::new();
        let draft = CustomerDraft::parse(input, today)
            .map_err(|e| errors.extend(e))
            .ok();
        let tags = parse_tags(tags).map_err(|e| errors.push(e)).ok();
        if let Some(d) = &draft {
            errors.extend(self.check_custom_values(&d.profile.custom).await?);
            errors.extend(
                self.check_household(scope, &d.profile.household, &before.profile.household)
                    .await?,
            );
            let had_consent = self
                .db
                .consent_state(id)
                .await?
                .iter()
                .any(|(p, g, _)| p == ConsentPurpose::IdNumber.as_str() && *g);
            if d.id_number.is_some() && !had_consent {
                errors.push(FieldError::new(
                    "id_number",
                    "error.id_number.consent_required",
                ));
            }
        }
        let (Some(draft), Some(tags), true) = (draft, tags, errors.is_empty()) else {
            return Err(errors.into());
        };
        self.check_owner(owner_staff_id, before.store_id).await?;
        let row = sealing::write_row(
            &self.keys,
            id,
            before.store_id,
            &draft,
            owner_staff_id,
            tags,
        );
        self.ensure_id_number_free(&draft, Some(id)).await?;
        let changed = sealing::changed_fields(&before, &draft, owner_staff_id, &row.tags);
        self.db
            .update_customer(actor, scope, &row, &changed, edit.verified, self.now())
            .await?;
        Ok(())
    }

    /// An ID number belongs to one person: refuse it if another active file (anywhere in the
    /// chain, whatever the caller's scope) already has it.
    async fn ensure_id_number_free(
        &self,
        draft: &CustomerDraft,
        exclude: Option<i64>,
    ) -> Result<(), AppError> {
        let Some(n) = &draft.id_number else {
            return Ok(());
        };
        let probe = DuplicateProbe {
            id_idx: Some(self.keys.blind_index("id", n.as_str())),
            ..Default::default()
        };
        if self
            .db
            .duplicate_candidates(Scope::Chain, &probe, exclude)
            .await?
            .is_empty()
        {
            Ok(())
        } else {
            Err(AppError::Conflict {
                key: "error.customer.id_taken",
                field: Some("id_number"),
            })
        }
    }

    /// A household link names another customer: a new one must name a customer within
    /// `scope`, or a store-bound role could tie another store's customer to a file (and see
    /// it through the link). Links the file already had stay as they are.
    async fn check_household(
        &self,
        scope: Scope,
        links: &[HouseholdLink],
        kept: &[HouseholdLink],
    ) -> Result<Option<FieldError>, AppError> {
        let new = links
            .iter()
            .filter(|l| !kept.iter().any(|k| k.customer_id == l.customer_id));
        for link in new {
            match self.db.get_customer(scope, link.customer_id).await {
                Ok(_) => {}
                Err(patron_store::StoreError::NotFound) => {
                    return Ok(Some(FieldError::new("household", "error.household.member")));
                }
                Err(e) => return Err(e.into()),
            }
        }
        Ok(None)
    }

    /// Checks admin-defined field values; unknown keys are refused.
    async fn check_custom_values(
        &self,
        values: &std::collections::BTreeMap<String, String>,
    ) -> Result<Vec<FieldError>, AppError> {
        if values.is_empty() {
            return Ok(Vec::new());
        }
        let defs = self.db.list_custom_fields().await?;
        let mut errors = Vec::new();
        for (key, value) in values {
            let Some(def) = defs.iter().find(|d| &d.field_key == key && d.active) else {
                errors.push(FieldError::new("custom", "error.custom_field.unknown"));
                continue;
            };
            if value.trim().is_empty() {
                continue;
            }
            use patron_domain::customers::FieldKind;
            let ok = match def.kind {
                FieldKind::Number => value.trim().parse::<f64>().is_ok_and(f64::is_finite),
                FieldKind::Date => patron_domain::customers::parse_date(value, "custom").is_ok(),
                FieldKind::Choice => def.choice_list().iter().any(|c| c == value.trim()),
                FieldKind::Text => value.chars().count() <= 200,
            };
            if !ok {
                errors.push(FieldError::new("custom", "error.custom_field.invalid"));
            }
        }
        Ok(errors)
    }
}

/// Custom fields, saved list views, and customers named in lists.
impl App {
    /// Every custom field, active or not.
    pub async fn custom_fields(&self) -> Result<Vec<CustomFieldRow>, AppError> {
        Ok(self.db.list_custom_fields().await?)
    }

    /// Switches a custom field on or off (audited).
    pub async fn set_custom_field_active(
        &self,
        actor: &Actor,
        id: i64,
        active: bool,
    ) -> Result<(), AppError> {
        Ok(self
            .db
            .set_custom_field_active(actor, id, active, self.now())
            .await?)
    }

    /// A staff member's saved customer-list views.
    pub async fn customer_views(&self, staff_id: i64) -> Result<Vec<CustomerViewRow>, AppError> {
        Ok(self.db.list_customer_views(staff_id).await?)
    }

    pub async fn save_customer_view(
        &self,
        staff_id: i64,
        name: &str,
        query: &str,
    ) -> Result<(), AppError> {
        Ok(self
            .db
            .save_customer_view(staff_id, name, query, self.now())
            .await?)
    }

    pub async fn delete_customer_view(&self, staff_id: i64, id: i64) -> Result<(), AppError> {
        Ok(self.db.delete_customer_view(staff_id, id).await?)
    }

    /// "Archive number and name" of each customer in scope, in the order asked; ones out of
    /// scope or gone are left out. For links to other files (duplicates, household).
    pub async fn customer_labels(
        &self,
        scope: Scope,
        ids: &[i64],
    ) -> Result<Vec<(i64, String)>, AppError> {
        let mut out = Vec::with_capacity(ids.len());
        for &id in ids {
            match self.db.get_customer(scope, id).await {
                Ok(c) => out.push((c.id, format!("{} {}", c.archive_no, c.name))),
                Err(patron_store::StoreError::NotFound) => {}
                Err(e) => return Err(e.into()),
            }
        }
        Ok(out)
    }
}
