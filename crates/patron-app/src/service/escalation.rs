//! The SLA escalation job: a ticket whose first-response deadline passes goes to its
//! store's managers; one whose resolution deadline passes goes to the admins as well.
//! Each breach is flagged on the ticket and in its timeline once, with an e-mail to each
//! person it goes to (staff with an address), however often or wherever the job runs.

use crate::{App, AppError};
use jiff::Timestamp;
use patron_domain::Role;
use patron_domain::staff::StaffStatus;
use patron_store::messages::outbox::NewMessage;

/// What one run did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct EscalationReport {
    pub response_breaches: usize,
    pub resolution_breaches: usize,
}

impl std::fmt::Display for EscalationReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} first-response and {} resolution breaches escalated",
            self.response_breaches, self.resolution_breaches
        )
    }
}

impl App {
    pub async fn escalate_tickets(&self, now: Timestamp) -> Result<EscalationReport, AppError> {
        let mut report = EscalationReport::default();
        let staff = self.db.list_staff(patron_store::Scope::Chain).await?;
        for t in self.db.tickets_breaching(now).await? {
            let response_late =
                t.responded_at.is_none() && t.response_due_at <= now && !t.breached_response;
            let resolution_late =
                t.resolution_due_at.is_some_and(|d| d <= now) && !t.breached_resolution;
            for resolution in [false, true] {
                if !(if resolution {
                    resolution_late
                } else {
                    response_late
                }) {
                    continue;
                }
                let level = if resolution { 2 } else { 1 }.max(t.escalation_level);
                let to: Vec<&patron_store::staff::StaffRow> = staff
                    .iter()
                    .filter(|s| s.status == StaffStatus::Active)
                    .filter(|s| {
                        (s.role == Role::StoreManager && s.store_id == Some(t.store_id))
                            || (level >= 2 && s.role == Role::Admin)
                    })
                    .collect();
                // Staff have no language on file: the configured one.
                let lang = self.config.language();
                let ticket = t.id.to_string();
                let subject = lang.format(
                    if resolution {
                        "mail.escalation_resolution_subject"
                    } else {
                        "mail.escalation_response_subject"
                    },
                    &[("ticket", &ticket)],
                );
                // The subject line is the ticket's, not the customer's words.
                let body = lang.format(
                    "mail.escalation_body",
                    &[
                        ("subject", &subject),
                        ("ticket_subject", &t.subject),
                        ("category", &t.category),
                        ("severity", t.severity.code()),
                        ("link", &format!("/console/service/tickets/{}", t.id)),
                    ],
                );
                let messages: Vec<NewMessage> = to
                    .iter()
                    .filter_map(|s| {
                        s.email
                            .as_deref()
                            .filter(|e| !e.trim().is_empty())
                            .map(|e| (s.id, e))
                    })
                    .map(|(id, email)| {
                        super::staff_email(
                            self.keys.as_ref(),
                            id,
                            email,
                            &subject,
                            &body,
                            t.store_id,
                        )
                    })
                    .collect();
                if self
                    .db
                    .mark_breach(&t, resolution, level, &messages, now)
                    .await?
                {
                    if resolution {
                        report.resolution_breaches += 1;
                    } else {
                        report.response_breaches += 1;
                    }
                }
            }
        }
        Ok(report)
    }
}
