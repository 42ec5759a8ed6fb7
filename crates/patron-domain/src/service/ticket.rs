//! Tickets (投诉与反馈): what they are about, how severe, and the workflow. Every change is an
//! `Action` checked against the current `Status`; the caller records it in the timeline.

use crate::FieldError;
use serde::{Deserialize, Serialize};

codes!(
    /// Where the ticket came from.
    TicketChannel, "channel", "error.ticket.channel" {
        Phone => "phone", InStore => "in_store", Wechat => "wechat", Email => "email",
        Sms => "sms", Web => "web", Api => "api",
    }
);

codes!(
    TicketType, "ticket_type", "error.ticket.type" {
        Complaint => "complaint", Suggestion => "suggestion", Inquiry => "inquiry", Praise => "praise",
    }
);

codes!(
    /// How bad it is; ordered, worst last.
    Severity, "severity", "error.ticket.severity" {
        Low => "low", Normal => "normal", High => "high", Critical => "critical",
    }
);

codes!(
    Status, "status", "error.ticket.status" {
        New => "new", Acknowledged => "acknowledged", InProgress => "in_progress",
        WaitingCustomer => "waiting_customer", Resolved => "resolved", Closed => "closed",
    }
);

codes!(
    /// A change of status asked for by staff (or by the customer's answer).
    Action, "action", "error.ticket.action" {
        Acknowledge => "acknowledge", Start => "start", WaitOnCustomer => "wait",
        CustomerReplied => "customer_replied", Resolve => "resolve", Close => "close",
        Reopen => "reopen",
    }
);

codes!(
    /// Where a resolution waiting for a second person's approval stands.
    ApprovalStatus, "status", "error.ticket.status" {
        Pending => "pending", Approved => "approved", Rejected => "rejected",
    }
);

/// The default categories (configurable: the list is kept in settings).
pub const DEFAULT_CATEGORIES: [&str; 7] = [
    "product_quality",
    "service_attitude",
    "logistics",
    "installation",
    "price",
    "privacy",
    "other",
];

/// The default root-cause codes a resolution records.
pub const DEFAULT_ROOT_CAUSES: [&str; 9] = [
    "product_defect",
    "wrong_item",
    "late_delivery",
    "installation_error",
    "staff_attitude",
    "pricing_error",
    "poor_communication",
    "customer_misuse",
    "other",
];

impl Status {
    /// Whether the ticket still needs work (counts as open for queues and churn).
    pub fn is_open(self) -> bool {
        !matches!(self, Status::Resolved | Status::Closed)
    }

    /// The status after `action`, or the error naming why it cannot happen now.
    pub fn after(self, action: Action) -> Result<Status, FieldError> {
        use Action as A;
        use Status as S;
        let next = match (self, action) {
            (S::New, A::Acknowledge) => S::Acknowledged,
            (S::New | S::Acknowledged, A::Start) => S::InProgress,
            (S::New | S::Acknowledged | S::InProgress, A::WaitOnCustomer) => S::WaitingCustomer,
            (S::WaitingCustomer, A::CustomerReplied) => S::InProgress,
            (S::New | S::Acknowledged | S::InProgress | S::WaitingCustomer, A::Resolve) => {
                S::Resolved
            }
            (S::Resolved, A::Close) => S::Closed,
            (S::Resolved | S::Closed, A::Reopen) => S::InProgress,
            _ => return Err(FieldError::new("action", "error.ticket.transition")),
        };
        Ok(next)
    }

    /// The actions open from this status, for the ticket page's buttons.
    pub fn actions(self) -> Vec<Action> {
        Action::ALL
            .iter()
            .copied()
            .filter(|a| self.after(*a).is_ok())
            .collect()
    }
}

/// The targets of one category and severity, in working minutes.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SlaTarget {
    /// A category code, or `*` for any.
    pub category: String,
    pub severity: Severity,
    pub first_response_minutes: i64,
    pub resolution_minutes: i64,
}

/// The SLA policies: the most specific target wins (the category's, then any category's).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct SlaPolicy {
    pub targets: Vec<SlaTarget>,
}

impl Default for SlaPolicy {
    /// Critical: answer within 1 working hour, resolve within 1 working day (8 hours);
    /// high 2 h and 2 days; normal 4 h and 3 days; low 8 h and 5 days.
    fn default() -> Self {
        let t = |severity, first_h: i64, resolve_h: i64| SlaTarget {
            category: "*".into(),
            severity,
            first_response_minutes: first_h * 60,
            resolution_minutes: resolve_h * 60,
        };
        Self {
            targets: vec![
                t(Severity::Critical, 1, 8),
                t(Severity::High, 2, 16),
                t(Severity::Normal, 4, 24),
                t(Severity::Low, 8, 40),
            ],
        }
    }
}

impl SlaPolicy {
    /// (first response, resolution) minutes for a ticket.
    pub fn targets_for(&self, category: &str, severity: Severity) -> (i64, i64) {
        let found = self
            .targets
            .iter()
            .find(|t| t.category == category && t.severity == severity)
            .or_else(|| {
                self.targets
                    .iter()
                    .find(|t| t.category == "*" && t.severity == severity)
            });
        match found {
            Some(t) => (t.first_response_minutes, t.resolution_minutes),
            None => {
                let d = Self::default();
                let t = d
                    .targets
                    .iter()
                    .find(|t| t.severity == severity)
                    .map(|t| (t.first_response_minutes, t.resolution_minutes));
                t.unwrap_or((240, 1440))
            }
        }
    }

    pub fn check(&self) -> Result<(), FieldError> {
        for t in &self.targets {
            if t.first_response_minutes <= 0
                || t.resolution_minutes < t.first_response_minutes
                || t.resolution_minutes > 60 * 24 * 60
            {
                return Err(FieldError::new("sla", "error.service.sla"));
            }
        }
        Ok(())
    }
}
