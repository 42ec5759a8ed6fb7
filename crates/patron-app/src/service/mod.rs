//! After-sales service: the rules of the service desk (categories, root causes, SLA
//! targets, assignment), tickets through their workflow, and the escalation job.

pub mod appointments;
mod assignment;
pub mod escalation;
pub mod orders;
pub mod reports;
pub mod resolution;
pub mod rules_form;
pub mod survey_answers;
pub mod survey_results;
pub mod surveys;
pub mod ticket_files;
pub mod ticket_page;
pub mod tickets;
pub mod warranties;

use crate::{App, AppError};
use patron_domain::FieldError;
use patron_domain::audit::Actor;
use patron_domain::calendar::HolidayCalendar;
use patron_domain::service::order::{Pipeline, default_pipelines};
use patron_domain::service::sla::OpeningHours;
use patron_domain::service::ticket::{DEFAULT_CATEGORIES, DEFAULT_ROOT_CAUSES, SlaPolicy};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::path::Path;

/// Writes a sealed file readable by the owner only, under a temporary name renamed over
/// `path`, so a crash never leaves half a file (nor half of a re-sealed one).
pub(crate) async fn write_sealed_file(path: &Path, sealed: &[u8]) -> std::io::Result<()> {
    let mut tmp = path.as_os_str().to_owned();
    tmp.push(".tmp");
    tokio::fs::write(&tmp, sealed).await?;
    crate::datadir::restrict(Path::new(&tmp), 0o600)?;
    tokio::fs::rename(&tmp, path).await
}

/// An e-mail to a staff member about a ticket of `store_id` (an escalation, a request for
/// approval): a service message with the ticket's subject and codes, never the customer's
/// words.
pub(crate) fn staff_email<'a>(
    sealer: &'a dyn patron_store::sealed::Sealer,
    staff_id: i64,
    email: &'a str,
    subject: &'a str,
    body: &'a str,
    store_id: i64,
) -> patron_store::messages::outbox::NewMessage<'a> {
    patron_store::messages::outbox::NewMessage {
        channel: "email",
        purpose: "escalation",
        recipient: email,
        subject,
        body,
        sealer,
        max_attempts: crate::outbox::DEFAULT_MAX_ATTEMPTS,
        staff_id: Some(staff_id),
        customer_id: None,
        store_id: Some(store_id),
        marketing: false,
        campaign: None,
        payload: None,
    }
}

pub const RULES_KEY: &str = "service.rules";

/// How a new ticket finds its handler when the person filing it names nobody.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Assignment {
    /// Left unassigned for the store manager to hand out.
    Manual,
    /// The store's after-sales staff in turn.
    RoundRobin,
    /// The store's after-sales staff member with the fewest open tickets.
    LeastBusy,
}

/// The service desk's settings.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct ServiceRules {
    pub categories: Vec<String>,
    pub root_causes: Vec<String>,
    pub sla: SlaPolicy,
    pub assignment: Assignment,
    /// Days the customer has to answer the satisfaction follow-up before the ticket closes
    /// with a flag.
    pub csat_wait_days: u32,
    /// A rating (1-5) at or below this reopens the ticket.
    pub reopen_at_or_below: u32,
    /// Order pipelines by name (`confirmed > preparing > ... > completed`).
    pub pipelines: BTreeMap<String, String>,
    /// The pipeline a store's new orders take by default (store id to pipeline name);
    /// stores not listed take `default_pipeline`.
    pub store_pipelines: BTreeMap<i64, String>,
    pub default_pipeline: String,
    /// Days before a warranty ends that the customer is reminded (0: no reminders).
    pub warranty_notice_days: u32,
    /// Compensation worth more than this (fen) waits for a second person holding
    /// `ticket.approve` before it is given.
    pub approval_above_fen: i64,
    /// Compensation one member of staff may give in a store day without a second person
    /// (fen), over all their resolutions; past it each resolution waits for approval.
    pub daily_approval_above_fen: i64,
}

/// ¥1,000: five compensations at the default per-request threshold.
pub const DEFAULT_DAILY_APPROVAL_ABOVE_FEN: i64 = 100_000;

impl Default for ServiceRules {
    fn default() -> Self {
        Self {
            categories: DEFAULT_CATEGORIES.iter().map(|c| c.to_string()).collect(),
            root_causes: DEFAULT_ROOT_CAUSES.iter().map(|c| c.to_string()).collect(),
            sla: SlaPolicy::default(),
            assignment: Assignment::LeastBusy,
            csat_wait_days: 7,
            reopen_at_or_below: 2,
            pipelines: default_pipelines()
                .into_iter()
                .map(|(name, p)| (name, p.render()))
                .collect(),
            store_pipelines: BTreeMap::new(),
            default_pipeline: "delivery_installation".into(),
            warranty_notice_days: 30,
            approval_above_fen: 20_000,
            daily_approval_above_fen: DEFAULT_DAILY_APPROVAL_ABOVE_FEN,
        }
    }
}

impl ServiceRules {
    pub fn check(&self) -> Result<(), FieldError> {
        let code_ok = |c: &String| {
            !c.is_empty()
                && c.len() <= 40
                && c.chars()
                    .all(|ch| ch.is_ascii_lowercase() || ch.is_ascii_digit() || ch == '_')
        };
        if self.categories.is_empty() || !self.categories.iter().all(code_ok) {
            return Err(FieldError::new("categories", "error.service.codes"));
        }
        if self.root_causes.is_empty() || !self.root_causes.iter().all(code_ok) {
            return Err(FieldError::new("root_causes", "error.service.codes"));
        }
        if !(1..=30).contains(&self.csat_wait_days) {
            return Err(FieldError::new("csat_wait_days", "error.service.csat_wait"));
        }
        if !(1..=4).contains(&self.reopen_at_or_below) {
            return Err(FieldError::new(
                "reopen_at_or_below",
                "error.service.reopen_at",
            ));
        }
        if self.pipelines.is_empty() || !self.pipelines.keys().all(code_ok) {
            return Err(FieldError::new("pipelines", "error.service.codes"));
        }
        for text in self.pipelines.values() {
            Pipeline::parse(text)?;
        }
        let known = |name: &String| self.pipelines.contains_key(name);
        if !known(&self.default_pipeline) || !self.store_pipelines.values().all(known) {
            return Err(FieldError::new("pipeline", "error.order.pipeline_name"));
        }
        if self.warranty_notice_days > 180 {
            return Err(FieldError::new(
                "warranty_notice_days",
                "error.service.warranty_notice",
            ));
        }
        self.sla.check()
    }

    /// The pipeline named `name`, or the store's default when `name` is blank: its name and
    /// stages.
    pub fn pipeline(&self, store_id: i64, name: &str) -> Result<(String, Pipeline), FieldError> {
        let name = match name.trim() {
            "" => self
                .store_pipelines
                .get(&store_id)
                .unwrap_or(&self.default_pipeline)
                .clone(),
            n => n.to_string(),
        };
        let text = self
            .pipelines
            .get(&name)
            .ok_or(FieldError::new("pipeline", "error.order.pipeline_name"))?;
        Ok((name, Pipeline::parse(text)?))
    }
}

impl App {
    pub async fn service_rules(&self) -> Result<ServiceRules, AppError> {
        match self.db.setting(RULES_KEY).await? {
            None => Ok(ServiceRules::default()),
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| AppError::Internal(format!("stored service rules unreadable: {e}"))),
        }
    }

    pub async fn save_service_rules(
        &self,
        actor: &Actor,
        rules: &ServiceRules,
    ) -> Result<(), AppError> {
        rules.check()?;
        let text = serde_json::to_string(rules)
            .map_err(|e| AppError::Internal(format!("service rules: {e}")))?;
        self.db
            .put_setting(actor, RULES_KEY, &text, self.now())
            .await?;
        Ok(())
    }

    /// Sets a store's service hours from their text (`mon-sun 09:00-18:00; holidays
    /// closed`); blank restores the default.
    pub async fn set_opening_hours(&self, store_id: i64, text: &str) -> Result<(), AppError> {
        let stored = if text.trim().is_empty() {
            None
        } else {
            Some(OpeningHours::parse(text)?.render())
        };
        self.db
            .set_opening_hours(store_id, stored.as_deref(), self.now())
            .await?;
        Ok(())
    }

    /// What the SLA clock of a store's tickets runs on: hours, holiday table, time zone.
    pub(crate) async fn business_time(
        &self,
        store_id: i64,
    ) -> Result<(OpeningHours, HolidayCalendar, jiff::tz::TimeZone), AppError> {
        let store = self
            .db
            .get_store(patron_store::Scope::Chain, store_id)
            .await?;
        let hours = match store.opening_hours.as_deref() {
            Some(text) => OpeningHours::parse(text).unwrap_or_default(),
            None => OpeningHours::default(),
        };
        Ok((hours, self.holiday_calendar().await?, self.zone_of(&store)))
    }

    /// A store's time zone (the head office's when the store names none it knows): what
    /// its visit windows, order numbers and "today" are read in.
    pub async fn store_timezone(&self, store_id: i64) -> Result<jiff::tz::TimeZone, AppError> {
        let store = self
            .db
            .get_store(patron_store::Scope::Chain, store_id)
            .await?;
        Ok(self.zone_of(&store))
    }

    fn zone_of(&self, store: &patron_store::stores::StoreRow) -> jiff::tz::TimeZone {
        jiff::tz::TimeZone::get(&store.timezone).unwrap_or_else(|_| self.config.timezone())
    }
}
