//! The SLA escalation job: a ticket whose first-response deadline passes goes to its
//! store's managers; one whose resolution deadline passes goes to the admins as well.
//! Each breach is flagged on the ticket and in its timeline once, with an e-mail to each
//! person it goes to (staff with an address), however often or wherever the job runs.

use crate::{App, AppError};
use jiff::Timestamp;
use patron_store::outbox::NewMessage;

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
        let now_ms = patron_store::ms(now);
        for t in self.db.tickets_breaching(now).await? {
            let response_late =
                t.responded_at.is_none() && t.response_due_at <= now_ms && t.breached_response == 0;
            let resolution_late =
                t.resolution_due_at.is_some_and(|d| d <= now_ms) && t.breached_resolution == 0;
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
                    .filter(|s| s.status == "active")
                    .filter(|s| {
                        (s.role == "store_manager" && s.store_id == Some(t.store_id))
                            || (level >= 2 && s.role == "admin")
                    })
                    .collect();
                let subject = if resolution {
                    format!("工单 #{} 已超过解决时限", t.id)
                } else {
                    format!("工单 #{} 已超过首次响应时限", t.id)
                };
                // The subject line is the ticket's, not the customer's words.
                let body = format!(
                    "{subject}：{}（{} / {}）。请在服务台处理：/console/service/tickets/{}",
                    t.subject, t.category, t.severity, t.id
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
