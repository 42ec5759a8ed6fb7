//! Looking after a file over time: consent decisions, interactions on the timeline, the owner
//! staff member (专属导购) and handovers, and re-sealing under a new key.

use crate::{App, AppError};
use patron_domain::FieldError;
use patron_domain::audit::Actor;
use patron_domain::customers::{ConsentChannel, ConsentPurpose, InteractionKind};
use patron_store::Scope;
use patron_store::customers::{ConsentEvent, InteractionRow, TimelineEntry};

/// One timeline line, opened (interaction notes decrypted).
#[derive(Debug, Clone)]
pub struct TimelineItem {
    pub at_ms: i64,
    /// `interaction`, `consent` or `owner`.
    pub kind: &'static str,
    /// Interaction kind, consent purpose, or owner-change reason.
    pub what: String,
    pub channel: String,
    pub outcome: String,
    pub note: String,
    pub actor: String,
    pub granted: Option<bool>,
    pub from_staff: Option<i64>,
    pub to_staff: Option<i64>,
}

/// An interaction as staff record it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct InteractionInput {
    pub kind: String,
    pub channel: String,
    pub outcome: String,
    pub note: String,
    /// When it happened (epoch ms); blank: now.
    pub at_ms: Option<i64>,
}

impl App {
    /// An interaction's note sealed for its row (`None` when blank).
    pub(crate) fn seal_interaction_note(&self, id: i64, note: &str) -> Option<String> {
        (!note.is_empty()).then(|| {
            self.keys
                .seal_text("customer_interactions", "note", id, note.as_bytes())
        })
    }

    /// Grants or withdraws consents: the same single step either way.
    pub async fn set_consents(
        &self,
        actor: &Actor,
        scope: Scope,
        customer_id: i64,
        decisions: &[(ConsentPurpose, bool)],
        channel: ConsentChannel,
    ) -> Result<(), AppError> {
        let events: Vec<ConsentEvent> = decisions
            .iter()
            .map(|(p, granted)| ConsentEvent {
                purpose: p.as_str().into(),
                granted: *granted,
                notice_version: self.config.customers.notice_version.clone(),
                channel: channel.as_str().into(),
            })
            .collect();
        self.db
            .record_consents(actor, scope, customer_id, &events, self.now())
            .await?;
        Ok(())
    }

    /// The latest decision per purpose, every purpose listed (undecided = not granted).
    pub async fn consents_of(
        &self,
        customer_id: i64,
    ) -> Result<Vec<(ConsentPurpose, bool, Option<i64>)>, AppError> {
        let state = self.db.consent_state(customer_id).await?;
        Ok(ConsentPurpose::ALL
            .iter()
            .map(|p| {
                let found = state.iter().find(|(s, _, _)| s == p.as_str());
                (*p, found.is_some_and(|f| f.1), found.map(|f| f.2))
            })
            .collect())
    }

    pub async fn add_interaction(
        &self,
        actor: &Actor,
        scope: Scope,
        customer_id: i64,
        staff_id: Option<i64>,
        input: &InteractionInput,
    ) -> Result<i64, AppError> {
        let kind = InteractionKind::parse(&input.kind)
            .ok_or(FieldError::new("kind", "error.interaction.kind"))?;
        let short = |s: &str, field: &'static str| -> Result<String, AppError> {
            let s = s.trim();
            if s.chars().count() > 60 || s.chars().any(char::is_control) {
                return Err(FieldError::new(field, "error.text.too_long").into());
            }
            Ok(s.to_string())
        };
        let channel = short(&input.channel, "channel")?;
        let outcome = short(&input.outcome, "outcome")?;
        let note = input.note.trim();
        if note.chars().count() > 2000 {
            return Err(FieldError::new("note", "error.text.too_long").into());
        }
        let now = self.now().as_millisecond();
        let at_ms = input.at_ms.unwrap_or(now);
        if at_ms > now + 60_000 {
            return Err(FieldError::new("at_ms", "error.interaction.future").into());
        }
        let at = jiff::Timestamp::from_millisecond(at_ms)
            .map_err(|_| FieldError::new("at_ms", "error.date.invalid"))?;
        let id = self.db.allocate_ids("interactions", 1).await?;
        let note_enc = self.seal_interaction_note(id, note);
        let row = InteractionRow {
            id,
            customer_id,
            store_id: 0,
            kind: kind.as_str().into(),
            channel,
            outcome,
            note_enc,
            staff_id,
            actor_name: actor.name.clone(),
            at,
        };
        self.db
            .add_interaction(actor, scope, &row, self.now())
            .await?;
        Ok(id)
    }

    /// The newest entries of a file's timeline, notes opened.
    pub async fn timeline(
        &self,
        customer_id: i64,
        limit: i64,
    ) -> Result<Vec<TimelineItem>, AppError> {
        let mut out = Vec::new();
        for e in self.db.timeline(customer_id, limit).await? {
            out.push(match e {
                TimelineEntry::Interaction(r) => {
                    let note = match &r.note_enc {
                        Some(s) => {
                            let plain = self
                                .keys
                                .open_text("customer_interactions", "note", r.id, s)
                                .map_err(|e| {
                                    AppError::Internal(format!("interaction {}: {e}", r.id))
                                })?;
                            String::from_utf8_lossy(&plain).into_owned()
                        }
                        None => String::new(),
                    };
                    TimelineItem {
                        at_ms: r.at.as_millisecond(),
                        kind: "interaction",
                        what: r.kind,
                        channel: r.channel,
                        outcome: r.outcome,
                        note,
                        actor: r.actor_name,
                        granted: None,
                        from_staff: None,
                        to_staff: None,
                    }
                }
                TimelineEntry::Consent(r) => TimelineItem {
                    at_ms: r.at.as_millisecond(),
                    kind: "consent",
                    what: r.purpose,
                    channel: r.channel,
                    outcome: r.notice_version,
                    note: String::new(),
                    actor: r.actor_name,
                    granted: Some(r.granted),
                    from_staff: None,
                    to_staff: None,
                },
                TimelineEntry::Owner(r) => TimelineItem {
                    at_ms: r.at.as_millisecond(),
                    kind: "owner",
                    what: r.reason,
                    channel: String::new(),
                    outcome: String::new(),
                    note: String::new(),
                    actor: r.actor_name,
                    granted: None,
                    from_staff: r.from_staff_id,
                    to_staff: r.to_staff_id,
                },
            });
        }
        Ok(out)
    }

    pub async fn mark_verified(
        &self,
        actor: &Actor,
        scope: Scope,
        id: i64,
    ) -> Result<(), AppError> {
        Ok(self
            .db
            .mark_customer_verified(actor, scope, id, self.now())
            .await?)
    }

    /// Assigns customers to an owner (or none). Every change goes to the binding log.
    pub async fn assign_owner(
        &self,
        actor: &Actor,
        scope: Scope,
        customer_ids: &[i64],
        to: Option<i64>,
        reason: &str,
    ) -> Result<u64, AppError> {
        let reason = reason.trim();
        if reason.is_empty() || reason.chars().count() > 100 {
            return Err(FieldError::new("reason", "error.owner.reason").into());
        }
        // The owner must fit each customer's store: check each store once, not each customer.
        let mut stores = std::collections::BTreeSet::new();
        for id in customer_ids {
            stores.insert(self.db.get_customer(scope, *id).await?.store_id);
        }
        for store in stores {
            self.check_owner(to, store).await?;
        }
        Ok(self
            .db
            .assign_owner(actor, scope, customer_ids, to, reason, self.now())
            .await?)
    }

    /// Hands every customer of one staff member to another (when someone leaves).
    pub async fn hand_over(
        &self,
        actor: &Actor,
        scope: Scope,
        from: i64,
        to: i64,
        reason: &str,
    ) -> Result<u64, AppError> {
        if from == to {
            return Err(FieldError::new("to_staff_id", "error.owner.same").into());
        }
        // Both staff members within the caller's scope, or nothing is handed anywhere.
        for staff in [from, to] {
            self.db.get_staff(scope, staff).await?;
        }
        let ids = self.db.customers_owned_by(scope, from).await?;
        if ids.is_empty() {
            return Ok(0);
        }
        self.assign_owner(actor, scope, &ids, Some(to), reason)
            .await
    }
}

impl App {
    /// Adds an admin-defined field: key `[a-z][a-z0-9_]{1,29}`, a label, a type, for a
    /// choice field at least two options separated by `|`, and whether its values identify a
    /// person (`personal`: masked for roles that may not reveal personal data).
    pub async fn create_custom_field(
        &self,
        actor: &Actor,
        key: &str,
        label: &str,
        kind: &str,
        choices: &str,
        personal: bool,
    ) -> Result<i64, AppError> {
        let key = key.trim();
        let key_ok = (2..=30).contains(&key.len())
            && key.starts_with(|c: char| c.is_ascii_lowercase())
            && key
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_');
        if !key_ok {
            return Err(FieldError::new("field_key", "error.custom_field.key").into());
        }
        let label = label.trim();
        if label.is_empty() || label.chars().count() > 30 {
            return Err(FieldError::new("label", "error.custom_field.label").into());
        }
        let kind = patron_domain::customers::CustomFieldKind::parse(kind)
            .ok_or(FieldError::new("kind", "error.custom_field.kind"))?;
        let list: Vec<&str> = choices
            .split('|')
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .collect();
        let choices = if kind == patron_domain::customers::CustomFieldKind::Choice {
            if list.len() < 2 {
                return Err(FieldError::new("choices", "error.custom_field.choices").into());
            }
            list.join("|")
        } else {
            String::new()
        };
        Ok(self
            .db
            .create_custom_field(
                actor,
                &patron_store::customers::NewCustomField {
                    key,
                    label,
                    kind: kind.as_str(),
                    choices: &choices,
                    personal,
                },
                self.now(),
            )
            .await?)
    }

    /// The keys of the custom fields marked personal.
    pub async fn personal_custom_keys(&self) -> Result<Vec<String>, AppError> {
        Ok(self
            .db
            .list_custom_fields()
            .await?
            .into_iter()
            .filter(|f| f.personal)
            .map(|f| f.field_key)
            .collect())
    }

    /// The profile as a viewer sees it: whole, or with the fields that identify a person
    /// masked.
    pub async fn profile_for(&self, c: &mut super::Customer, whole: bool) -> Result<(), AppError> {
        if !whole {
            c.profile = c.profile.masked(&self.personal_custom_keys().await?);
        }
        Ok(())
    }
}

impl App {
    /// Links two customers of one household (配偶, 子女 …), on both files.
    pub async fn link_household(
        &self,
        actor: &Actor,
        scope: Scope,
        id: i64,
        other_archive_no: &str,
        relation: &str,
    ) -> Result<i64, AppError> {
        let relation = relation.trim();
        if relation.is_empty() || relation.chars().count() > 10 {
            return Err(FieldError::new("relation", "error.household.relation").into());
        }
        let me = self.load_customer(scope, id).await?;
        let found = self
            .db
            .customers_with("archive_no", &[other_archive_no.trim().to_string()])
            .await?;
        let other_id = found
            .iter()
            .map(|(_, i)| *i)
            .find(|i| *i != id)
            .ok_or(FieldError::new("archive_no", "error.household.unknown"))?;
        let other = self.load_customer(scope, other_id).await?;
        for (c, target) in [(&me, other_id), (&other, id)] {
            let mut input = c.to_input();
            if input
                .profile
                .household
                .iter()
                .any(|h| h.customer_id == target)
            {
                continue;
            }
            input
                .profile
                .household
                .push(patron_domain::customers::HouseholdLink {
                    customer_id: target,
                    relation: relation.to_string(),
                });
            let edit = super::CustomerEdit {
                input,
                tags: c.tags.clone(),
                owner_staff_id: c.owner_staff_id,
                verified: false,
            };
            self.update_customer(actor, scope, c.id, &edit).await?;
        }
        Ok(other_id)
    }
}
