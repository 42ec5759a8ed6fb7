//! Resolving a ticket: a coded root cause, the corrective action and any compensation.
//! Compensation worth more than the service desk's threshold is not given at once: the
//! resolution waits as a request for a second person holding `ticket.approve` (the store's
//! managers are told by e-mail), who approves it (the ticket is then resolved as asked, in
//! the same transaction that marks the request approved) or rejects it with a reason.

use super::tickets::{Settled, text};
use crate::customers::sealing;
use crate::i18n::Phrase;
use crate::membership::adjust::PlannedAdjustment;
use crate::membership::coupons::PlannedCoupons;
use crate::staff::day_limits::Tally;
use crate::{App, AppError};
use patron_domain::FieldError;
use patron_domain::audit::Actor;
use patron_domain::capability::Capability;
pub use patron_domain::service::compensation::Compensation;
use patron_domain::service::ticket::{Action, Status};
use patron_domain::staff::StaffStatus;
use patron_store::Scope;
use patron_store::messages::outbox::NewMessage;
use patron_store::service::compensation::{Gift, NewRequest, RequestRow};
use patron_store::service::tickets::TicketRow;

/// A resolution as typed.
#[derive(Debug, Clone, Default)]
pub struct Resolution {
    pub root_cause: String,
    pub corrective_action: String,
    pub compensation: Compensation,
}

/// What became of a resolution.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Resolved {
    /// The ticket moved to this status.
    Done(Status),
    /// The compensation waits for approval (the request's id); the ticket has not moved
    /// from the status given.
    AwaitingApproval(i64, Status),
}

/// A resolution about to be written, as typed or as approved.
struct Settle<'a> {
    root_cause: &'a str,
    corrective_action: &'a str,
    compensation: Compensation,
    note: &'a str,
    /// The request this carries out; its points are applied whatever the programme's
    /// threshold for manual points, since a second person has just approved them.
    approves: Option<i64>,
}

/// How a pending request is closed without approval.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Closing {
    /// By an approver (`ticket.approve`).
    Reject,
    /// By the service desk (`ticket.manage`).
    Withdraw,
}

/// What a resolution gives through the ledger or the coupon register, checked.
enum Planned {
    Points(PlannedAdjustment),
    Coupon(PlannedCoupons),
    Nothing,
}

/// A pending request, opened for the ticket page.
#[derive(Debug, Clone)]
pub struct PendingCompensation {
    pub row: RequestRow,
    pub compensation: Compensation,
    pub note: String,
}

fn conflict(key: &'static str) -> AppError {
    AppError::Conflict { key, field: None }
}

impl App {
    /// Resolves a ticket, or asks for approval when the compensation is worth more than
    /// the service desk's threshold.
    pub async fn resolve_ticket(
        &self,
        actor: &Actor,
        scope: Scope,
        id: i64,
        r: &Resolution,
        note: &str,
    ) -> Result<Resolved, AppError> {
        let rules = self.service_rules().await?;
        let root_cause = r.root_cause.trim();
        if !rules.root_causes.iter().any(|c| c == root_cause) {
            return Err(FieldError::new("root_cause", "error.ticket.root_cause").into());
        }
        let corrective = text("corrective_action", &r.corrective_action, 1_000)?;
        let row = self.db.ticket(scope, id).await?;
        let status = row.status;
        status.after(Action::Resolve)?;
        if self.db.pending_compensation(row.id).await?.is_some() {
            return Err(conflict("error.ticket.approval_pending"));
        }
        let value = self.compensation_value(&r.compensation).await?;
        let s = Settle {
            root_cause,
            corrective_action: &corrective,
            compensation: r.compensation.clone(),
            note,
            approves: None,
        };
        // Within the per-request threshold it still counts on the resolver's daily total
        // (reopening a ticket and compensating again, or many small compensations); past
        // that total it waits for a second person as a large one does.
        let counted = if value > rules.approval_above_fen {
            None
        } else {
            self.count_for_today(
                actor,
                Tally::CompensationFen,
                value,
                rules.daily_approval_above_fen,
            )
            .await?
        };
        let Some(counted) = counted else {
            let request = self.ask_approval(actor, &row, &s, value).await?;
            return Ok(Resolved::AwaitingApproval(request, status));
        };
        let settled = self.settle(actor, scope, &row, s).await;
        if settled.is_err() {
            self.uncount(counted).await;
        }
        settled.map(Resolved::Done)
    }

    /// Approves a ticket's pending request (not one's own): the compensation is given and
    /// the ticket resolved as asked.
    pub async fn approve_compensation(
        &self,
        actor: &Actor,
        scope: Scope,
        ticket_id: i64,
    ) -> Result<Status, AppError> {
        let row = self.db.ticket(scope, ticket_id).await?;
        let p = self.pending(&row).await?;
        if actor.id.is_some() && p.row.requested_by == actor.id {
            return Err(FieldError::new("id", "error.ticket.own_request").into());
        }
        let s = Settle {
            root_cause: &p.row.root_cause,
            corrective_action: &p.row.corrective_action,
            compensation: p.compensation.clone(),
            note: &p.note,
            approves: Some(p.row.id),
        };
        self.settle(actor, scope, &row, s).await
    }

    /// Closes a ticket's pending request unapproved, with a reason on the timeline: a
    /// rejection by an approver, or a withdrawal by anyone handling tickets (typically the
    /// one who asked, to resolve it differently; it gives nothing, so it needs no approver).
    /// The ticket stays open for another resolution.
    pub async fn close_compensation(
        &self,
        actor: &Actor,
        scope: Scope,
        ticket_id: i64,
        reason: &str,
        how: Closing,
    ) -> Result<(), AppError> {
        let reason = text("reason", reason, 500)?;
        let row = self.db.ticket(scope, ticket_id).await?;
        let p = self.pending(&row).await?;
        let sealed = sealing::seal(&self.keys, "ticket", row.customer_id, &reason);
        let kind = match how {
            Closing::Reject => "compensation_rejected",
            Closing::Withdraw => "compensation_withdrawn",
        };
        self.db
            .close_compensation(&p.row, actor.id, kind, Some(&sealed), self.now())
            .await
            .map_err(AppError::from)
    }

    /// The request pending on a ticket, opened, if any.
    pub async fn pending_compensation(
        &self,
        row: &TicketRow,
    ) -> Result<Option<PendingCompensation>, AppError> {
        let Some(r) = self.db.pending_compensation(row.id).await? else {
            return Ok(None);
        };
        let compensation = serde_json::from_str(&r.compensation)
            .map_err(|e| AppError::Internal(format!("compensation request {}: {e}", r.id)))?;
        let note = match &r.note_enc {
            Some(n) => sealing::open(&self.keys, "ticket", row.customer_id, n)?,
            None => String::new(),
        };
        Ok(Some(PendingCompensation {
            row: r,
            compensation,
            note,
        }))
    }

    /// Requests waiting for approval within `scope`, oldest first.
    pub async fn compensation_requests(&self, scope: Scope) -> Result<Vec<RequestRow>, AppError> {
        Ok(self.db.pending_compensations(scope, 200).await?)
    }

    async fn pending(&self, row: &TicketRow) -> Result<PendingCompensation, AppError> {
        self.pending_compensation(row)
            .await?
            .ok_or_else(|| conflict("error.ticket.no_request"))
    }

    /// What a compensation is worth in fen: points at the till's redemption rate, a coupon
    /// at its face value or cap (a percentage without a cap counts as unlimited).
    pub async fn compensation_value(&self, c: &Compensation) -> Result<i64, AppError> {
        Ok(match c {
            Compensation::None => 0,
            Compensation::Points { points, .. } => {
                if *points <= 0 {
                    return Err(FieldError::new("points", "error.adjust.points").into());
                }
                let per_yuan = self.loyalty().await?.settings.redeem_points_per_yuan.max(1);
                points.saturating_mul(100).saturating_add(per_yuan - 1) / per_yuan
            }
            Compensation::Coupon { template_id, .. } => {
                let t = self
                    .db
                    .coupon_template(*template_id)
                    .await
                    .map_err(|_| FieldError::new("amount", "error.ticket.coupon"))?;
                if t.status != patron_domain::membership::coupon::TemplateStatus::Active {
                    return Err(FieldError::new("amount", "error.ticket.coupon").into());
                }
                t.amount_fen.or(t.cap_fen).unwrap_or(i64::MAX)
            }
            Compensation::Refund { amount_fen } => {
                if *amount_fen <= 0 {
                    return Err(FieldError::new("amount", "error.ticket.amount").into());
                }
                *amount_fen
            }
            Compensation::Replacement { value_fen } | Compensation::Repair { value_fen } => {
                if *value_fen < 0 {
                    return Err(FieldError::new("amount", "error.ticket.amount").into());
                }
                *value_fen
            }
        })
    }

    /// Records the resolution as a request and tells the approvers.
    async fn ask_approval(
        &self,
        actor: &Actor,
        row: &TicketRow,
        s: &Settle<'_>,
        value: i64,
    ) -> Result<i64, AppError> {
        let json = serde_json::to_string(&s.compensation)
            .map_err(|e| AppError::Internal(format!("compensation: {e}")))?;
        let note = s.note.trim();
        let sealed =
            (!note.is_empty()).then(|| sealing::seal(&self.keys, "ticket", row.customer_id, note));
        // Staff have no language on file: the configured one.
        let lang = self.config.language();
        let ticket = row.id.to_string();
        let subject = lang.format("mail.compensation_subject", &[("ticket", &ticket)]);
        // The ticket's subject and the amount, not the customer's words.
        let body = lang.format(
            "mail.compensation_body",
            &[
                ("subject", &subject),
                ("ticket_subject", &row.subject),
                ("value", &patron_domain::money::format_yuan(value)),
                ("link", &format!("/console/service/tickets/{}", row.id)),
            ],
        );
        let approvers = self.approvers(row.store_id, actor.id).await?;
        let outbox: Vec<NewMessage> = approvers
            .iter()
            .map(|(id, email)| {
                super::staff_email(
                    self.keys.as_ref(),
                    *id,
                    email,
                    &subject,
                    &body,
                    row.store_id,
                )
            })
            .collect();
        let request = NewRequest {
            ticket_id: row.id,
            customer_id: row.customer_id,
            store_id: row.store_id,
            round: row.reopen_count,
            root_cause: s.root_cause,
            corrective_action: s.corrective_action,
            compensation: &json,
            value_fen: value,
            note_enc: sealed.as_deref(),
            requested_by: actor.id,
        };
        Ok(self
            .db
            .request_compensation(&request, &outbox, self.now())
            .await?)
    }

    /// Active staff with an e-mail address who may approve for `store` (their role holds
    /// `ticket.approve` and is chain-wide or bound to that store), but not `asker`.
    async fn approvers(
        &self,
        store: i64,
        asker: Option<i64>,
    ) -> Result<Vec<(i64, String)>, AppError> {
        let mut may = std::collections::BTreeMap::new();
        let mut out = Vec::new();
        for s in self.db.list_staff(Scope::Chain).await? {
            let role = s.role;
            if s.status != StaffStatus::Active || Some(s.id) == asker {
                continue;
            }
            if !(role.is_chain_wide() || s.store_id == Some(store)) {
                continue;
            }
            let allowed = match may.get(&role) {
                Some(a) => *a,
                None => {
                    let a = self
                        .db
                        .role_capabilities(role)
                        .await?
                        .contains(&Capability::TicketApprove);
                    may.insert(role, a);
                    a
                }
            };
            if let Some(email) = s.email.filter(|e| allowed && !e.trim().is_empty()) {
                out.push((s.id, email));
            }
        }
        Ok(out)
    }

    /// Resolves the ticket and gives the compensation (points and coupons through the
    /// ledger and the coupon register) in the same transaction: if someone moved the ticket
    /// first, nothing is given. The reason written on them names the ticket and its round
    /// (a reopened ticket may be compensated again).
    async fn settle(
        &self,
        actor: &Actor,
        scope: Scope,
        row: &TicketRow,
        s: Settle<'_>,
    ) -> Result<Status, AppError> {
        // Kept as a phrase: the ledger and the coupon register show it in the reader's language.
        let reason = match row.reopen_count {
            0 => Phrase::new("ledger.compensation"),
            n => Phrase::new("ledger.compensation_reopened").arg("times", n),
        }
        .arg("ticket", row.id)
        .to_stored();
        let customer = [row.customer_id];
        let (compensation, planned) = match s.compensation {
            Compensation::Points { points, .. } => {
                let approved = s.approves.is_some();
                let p = self
                    .plan_adjustment(scope, &customer, points, &reason, approved, None)
                    .await?;
                let applied = p.apply;
                (Compensation::Points { points, applied }, Planned::Points(p))
            }
            Compensation::Coupon { template_id, .. } => {
                let c = self
                    .plan_coupons(scope, template_id, &customer, &reason, None)
                    .await?;
                let code = c.codes().into_iter().next().unwrap_or_default();
                (
                    Compensation::Coupon { template_id, code },
                    Planned::Coupon(c),
                )
            }
            other => (other, Planned::Nothing),
        };
        let gift = match &planned {
            Planned::Points(p) => Some(Gift::Points(p.batch())),
            Planned::Coupon(c) => Some(Gift::Coupon(c.issue())),
            Planned::Nothing => None,
        };
        let json = serde_json::to_string(&compensation)
            .map_err(|e| AppError::Internal(format!("compensation: {e}")))?;
        let settled = Settled {
            root_cause: s.root_cause,
            corrective_action: s.corrective_action,
            compensation: &json,
            gift,
            approves: s.approves,
        };
        let to = self
            .change(
                actor,
                row,
                Action::Resolve,
                s.note,
                Some(settled),
                super::tickets::Rating::default(),
            )
            .await?;
        // The satisfaction follow-up goes at once; if it cannot, the surveys job asks.
        if let Err(e) = self.ask_satisfaction(row.id).await {
            tracing::warn!(ticket = row.id, error = %e, "satisfaction follow-up not sent yet");
        }
        Ok(to)
    }
}
