//! Tickets through their workflow: filing (with the SLA deadlines in the store's business
//! hours and an automatic handler), the staff's actions, assignment, and resolution with a
//! root cause, a corrective action and compensation through the real points ledger and
//! coupons. Descriptions and notes are sealed like the customer's file.

use crate::customers::sealing;
use crate::i18n::{Lang, Phrase};
use crate::{App, AppError};
use jiff::Timestamp;
use patron_domain::FieldError;
use patron_domain::audit::Actor;
use patron_domain::service::sla::{BusinessClock, SlaClock};
use patron_domain::service::ticket::{Action, Severity, Status, TicketChannel, TicketType};
use patron_store::Scope;
use patron_store::service::compensation::Gift;
use patron_store::service::tickets::{NewTicket, TicketChange};
pub use patron_store::service::tickets::{Queue, TicketRow};
use serde::Deserialize;

pub use super::resolution::{Compensation, Resolution, Resolved};

/// A ticket as typed in the console or posted to the API.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct TicketForm {
    pub customer_id: i64,
    pub channel: String,
    pub ticket_type: String,
    pub category: String,
    pub severity: String,
    pub subject: String,
    pub description: String,
    pub sale_id: Option<i64>,
    pub item_ref: String,
    /// A staff member to handle it; `None`: by the desk's assignment rule.
    pub assignee_id: Option<i64>,
}

/// What resolving writes: the root cause, the corrective action, the compensation (JSON),
/// the points or coupon it gives (in the same transaction as the ticket's change) and the
/// approved request it carries out, if any.
#[derive(Debug, Clone, Copy)]
pub(super) struct Settled<'a> {
    pub(super) root_cause: &'a str,
    pub(super) corrective_action: &'a str,
    pub(super) compensation: &'a str,
    pub(super) gift: Option<Gift<'a>>,
    pub(super) approves: Option<i64>,
}

/// The customer's rating a change records.
#[derive(Debug, Clone, Copy, Default)]
pub(super) struct Rating {
    pub(super) satisfaction: Option<i64>,
    pub(super) unanswered: bool,
}

/// One entry of a ticket's timeline, opened.
#[derive(Debug, Clone)]
pub struct TimelineEntry {
    pub at: Timestamp,
    pub staff_id: Option<i64>,
    pub kind: String,
    pub from: Option<Status>,
    pub to: Option<Status>,
    /// What was written, with a note the app wrote (a [`Phrase`]) in the configured language.
    pub note: String,
    /// The note the app wrote, for a reader in another language.
    pub phrase: Option<Phrase>,
}

impl TimelineEntry {
    /// The note in the reader's language.
    pub fn note_in(&self, lang: Lang) -> String {
        self.phrase
            .as_ref()
            .map_or_else(|| self.note.clone(), |p| p.render(lang))
    }
}

/// A ticket with its description and timeline opened.
#[derive(Debug, Clone)]
pub struct TicketView {
    pub row: TicketRow,
    pub description: String,
    pub timeline: Vec<TimelineEntry>,
    pub status: Status,
    pub compensation: Compensation,
}

pub(super) fn text(field: &'static str, v: &str, max: usize) -> Result<String, FieldError> {
    let v = v.trim();
    if v.is_empty() || v.chars().count() > max {
        return Err(FieldError::new(field, "error.ticket.text"));
    }
    Ok(v.to_string())
}

impl App {
    /// Files a ticket. The first-response and resolution deadlines count from now in the
    /// store's business hours. With `request_key` (the API's `Idempotency-Key`), a retry
    /// returns the ticket filed the first time: `(id, false)`.
    pub async fn file_ticket(
        &self,
        actor: &Actor,
        scope: Scope,
        form: &TicketForm,
        request_key: Option<&str>,
    ) -> Result<(i64, bool), AppError> {
        self.file(actor, scope, form, request_key, None).await
    }

    /// Files a ticket for a warranty claim (warranty, kind), linked in one transaction.
    pub(crate) async fn file_ticket_with_claim(
        &self,
        actor: &Actor,
        scope: Scope,
        form: &TicketForm,
        request_key: Option<&str>,
        claim: (i64, &str),
    ) -> Result<(i64, bool), AppError> {
        self.file(actor, scope, form, request_key, Some(claim))
            .await
    }

    async fn file(
        &self,
        actor: &Actor,
        scope: Scope,
        form: &TicketForm,
        request_key: Option<&str>,
        claim: Option<(i64, &str)>,
    ) -> Result<(i64, bool), AppError> {
        let rules = self.service_rules().await?;
        let channel = TicketChannel::parse(&form.channel)?;
        let kind = TicketType::parse(&form.ticket_type)?;
        let severity = Severity::parse(&form.severity)?;
        if !rules.categories.iter().any(|c| c == form.category.trim()) {
            return Err(FieldError::new("category", "error.ticket.category").into());
        }
        let subject = text("subject", &form.subject, 120)?;
        let description = text("description", &form.description, 4_000)?;
        let item_ref = form.item_ref.trim();
        if item_ref.chars().count() > 80 {
            return Err(FieldError::new("item_ref", "error.ticket.text").into());
        }
        let customer = self
            .db
            .get_customer(scope, form.customer_id)
            .await
            .map_err(|_| FieldError::new("customer_id", "error.ticket.customer"))?;
        if let Some(sale) = form.sale_id {
            let owner = self
                .db
                .sale_customer(sale)
                .await
                .map_err(|_| FieldError::new("sale_id", "error.ticket.sale"))?;
            if owner != Some(customer.id) {
                return Err(FieldError::new("sale_id", "error.ticket.sale").into());
            }
        }
        let store_id = customer.store_id;
        let assignee = match form.assignee_id {
            Some(id) => {
                self.ticket_handler(store_id, id).await?;
                Some(id)
            }
            None => self.pick_handler(&rules, store_id).await?,
        };
        let (hours, holidays, tz) = self.business_time(store_id).await?;
        let clock = BusinessClock {
            hours: &hours,
            holidays: &holidays,
            tz,
        };
        let now = self.now();
        let (respond, resolve) = rules.sla.targets_for(form.category.trim(), severity);
        let sealed = sealing::seal(&self.keys, "ticket", customer.id, &description);
        let t = NewTicket {
            customer_id: customer.id,
            store_id,
            channel: channel.code(),
            ticket_type: kind.code(),
            category: form.category.trim(),
            severity: severity.code(),
            subject: &subject,
            description_enc: &sealed,
            sale_id: form.sale_id,
            item_ref: (!item_ref.is_empty()).then_some(item_ref),
            assignee_id: assignee,
            created_by: actor.id,
            response_due_at: clock.add(now, respond),
            resolution_target_min: resolve,
            resolution_due_at: clock.add(now, resolve),
            request_key,
            claim,
        };
        Ok(self.db.file_ticket(&t, now).await?)
    }

    /// Files a ticket (or finds the one a retry with `request_key` filed) and reads it back as
    /// the API answers: the ticket, and whether it is new.
    pub async fn ticket_filed(
        &self,
        actor: &Actor,
        scope: Scope,
        form: &TicketForm,
        request_key: Option<&str>,
    ) -> Result<(TicketView, bool), AppError> {
        let (id, fresh) = self.file_ticket(actor, scope, form, request_key).await?;
        Ok((self.view_ticket(actor, scope, id).await?, fresh))
    }

    /// A ticket with its description and timeline; the view is audited.
    pub async fn view_ticket(
        &self,
        actor: &Actor,
        scope: Scope,
        id: i64,
    ) -> Result<TicketView, AppError> {
        let row = self.db.ticket(scope, id).await?;
        let description =
            sealing::open(&self.keys, "ticket", row.customer_id, &row.description_enc)?;
        let mut timeline = Vec::new();
        for e in self.db.ticket_events(id).await? {
            let note = match &e.note_enc {
                Some(n) => sealing::open(&self.keys, "ticket", row.customer_id, n)?,
                None => String::new(),
            };
            let phrase = Phrase::from_stored(&note);
            let note = match &phrase {
                Some(p) => p.render(self.config.language()),
                None => note,
            };
            timeline.push(TimelineEntry {
                at: e.at,
                staff_id: e.staff_id,
                kind: e.kind,
                from: e.from_status,
                to: e.to_status,
                note,
                phrase,
            });
        }
        self.audit_ticket_read(actor, &row).await?;
        let status = row.status;
        let compensation = row
            .compensation
            .as_deref()
            .and_then(|c| serde_json::from_str(c).ok())
            .unwrap_or_default();
        Ok(TicketView {
            row,
            description,
            timeline,
            status,
            compensation,
        })
    }

    async fn audit_ticket_read(&self, actor: &Actor, row: &TicketRow) -> Result<(), AppError> {
        let event = patron_domain::AuditEvent::ok("ticket.read", "customer", row.customer_id)
            .with_detail(format!("ticket {}", row.id));
        self.db.record_audit(actor, &event, self.now()).await?;
        Ok(())
    }

    pub async fn tickets(
        &self,
        scope: Scope,
        queue: &Queue,
        limit: i64,
    ) -> Result<Vec<TicketRow>, AppError> {
        Ok(self.db.tickets(scope, queue, limit).await?)
    }

    /// Hands a ticket to a staff member who may handle the store's tickets.
    pub async fn assign_ticket(
        &self,
        actor: &Actor,
        scope: Scope,
        id: i64,
        staff_id: i64,
    ) -> Result<(), AppError> {
        let row = self.db.ticket(scope, id).await?;
        self.ticket_handler(row.store_id, staff_id).await?;
        Ok(self
            .db
            .assign_ticket(&row, staff_id, actor.id, self.now())
            .await?)
    }

    /// Adds a note to the timeline.
    pub async fn note_ticket(
        &self,
        actor: &Actor,
        scope: Scope,
        id: i64,
        note: &str,
    ) -> Result<(), AppError> {
        let row = self.db.ticket(scope, id).await?;
        let note = text("note", note, 2_000)?;
        let sealed = sealing::seal(&self.keys, "ticket", row.customer_id, &note);
        Ok(self
            .db
            .ticket_note(&row, actor.id, "note", Some(&sealed), self.now())
            .await?)
    }

    /// Moves a ticket by one step of the workflow, with an optional note. The SLA clock
    /// stops while waiting on the customer and starts again when they answer or the
    /// ticket is reopened. Resolving needs `resolve_ticket`.
    pub async fn act_on_ticket(
        &self,
        actor: &Actor,
        scope: Scope,
        id: i64,
        action: Action,
        note: &str,
    ) -> Result<Status, AppError> {
        if action == Action::Resolve {
            return Err(FieldError::new("root_cause", "error.ticket.root_cause").into());
        }
        let row = self.db.ticket(scope, id).await?;
        self.change(actor, &row, action, note, None, Rating::default())
            .await
    }

    /// Applies one step to a ticket as read; a concurrent change in between is a conflict.
    pub(super) async fn change(
        &self,
        actor: &Actor,
        row: &TicketRow,
        action: Action,
        note: &str,
        resolution: Option<Settled<'_>>,
        rating: Rating,
    ) -> Result<Status, AppError> {
        let (change, to, now) = self
            .plan_change(actor, row, action, note, resolution, rating)
            .await?;
        self.db
            .change_ticket(&change, row.customer_id, now)
            .await
            .map_err(|e| match e {
                patron_store::StoreError::Conflict { constraint }
                    if constraint == "ck_tickets_status" =>
                {
                    AppError::Conflict {
                        key: "error.ticket.moved",
                        field: None,
                    }
                }
                e => e.into(),
            })?;
        Ok(to)
    }

    /// What a step writes (the status it leads to, the SLA clock paused or running, the
    /// sealed note) and when, for `change` or a caller that writes it in its own
    /// transaction.
    pub(super) async fn plan_change<'a>(
        &self,
        actor: &'a Actor,
        row: &TicketRow,
        action: Action,
        note: &str,
        resolution: Option<Settled<'a>>,
        rating: Rating,
    ) -> Result<(TicketChange<'a>, Status, Timestamp), AppError> {
        let from = row.status;
        let to = from.after(action)?;
        let now = self.now();
        let (hours, holidays, tz) = self.business_time(row.store_id).await?;
        let clock = BusinessClock {
            hours: &hours,
            holidays: &holidays,
            tz,
        };
        let sla = SlaClock {
            used_minutes: row.sla_used_min,
            running_since: row.sla_running_since,
        };
        let sla = match to {
            Status::WaitingCustomer | Status::Resolved | Status::Closed => sla.pause(now, &clock),
            _ => sla.resume(now),
        };
        let note = note.trim();
        let change = TicketChange {
            id: row.id,
            from: from.code(),
            to: to.code(),
            staff_id: actor.id,
            kind: action.code(),
            note_enc: (!note.is_empty())
                .then(|| sealing::seal(&self.keys, "ticket", row.customer_id, note)),
            // Any step by staff out of `new` is the first response.
            responded: action != Action::CustomerReplied,
            sla_used_min: sla.used_minutes,
            sla_running_since: sla.running_since,
            resolution_due_at: sla.due(row.resolution_target_min, &clock),
            resolved: to == Status::Resolved,
            closed: to == Status::Closed,
            reopened: action == Action::Reopen,
            resolution: resolution.map(|r| (r.root_cause, r.corrective_action, r.compensation)),
            satisfaction: rating.satisfaction,
            unanswered: rating.unanswered,
            approves: resolution.and_then(|r| r.approves.map(|id| (id, actor.id))),
            gift: resolution.and_then(|r| r.gift).map(|g| (actor, g)),
        };
        Ok((change, to, now))
    }
}

impl App {
    /// One ticket, within the caller's scope.
    pub async fn ticket(&self, scope: Scope, id: i64) -> Result<TicketRow, AppError> {
        Ok(self.db.ticket(scope, id).await?)
    }
}
