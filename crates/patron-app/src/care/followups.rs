//! The follow-up (回访) engine: the nightly plan (cadence per spend class, a call after each
//! purchase, before points or a card run out, re-verifying stale key files), each owner's
//! daily list (customers without an owner fall to the store manager), logging a contact
//! (closes the task and schedules the next), and cadence adherence per staff member.

use crate::i18n::Phrase;
use crate::security::Principal;
use crate::{App, AppError};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use patron_domain::care::classes::SpendClass;
use patron_domain::care::followup::{ContactOutcome, FollowupRules, TaskKind, date_of, day_number};
use patron_domain::customers::InteractionKind;
use patron_domain::{Actor, FieldError, Role};
use patron_store::care::followups::{AdherenceRow, Assignee, NextTask, TaskRow};
use patron_store::customers::InteractionRow;

pub const RULES_KEY: &str = "followups.rules";

/// What one planning run added, per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct PlanReport {
    pub cadence: u64,
    pub after_purchase: u64,
    pub after_complaint: u64,
    pub after_visit: u64,
    pub expiry: u64,
    pub stale: u64,
}

impl std::fmt::Display for PlanReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "follow-ups planned: {} cadence, {} after purchase, {} after complaints, {} after visits, {} before expiry, {} stale files",
            self.cadence,
            self.after_purchase,
            self.after_complaint,
            self.after_visit,
            self.expiry,
            self.stale
        )
    }
}

/// An open task on a list, with its due date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Task {
    pub row: TaskRow,
    pub due: Date,
    /// Days since the last purchase, if any.
    pub days_since_purchase: Option<i64>,
}

/// A staff member's list: overdue, today, and the coming days.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct DailyList {
    pub overdue: Vec<Task>,
    pub today: Vec<Task>,
    pub upcoming: Vec<Task>,
}

/// A contact as staff log it.
#[derive(Debug, Clone, Default, serde::Deserialize)]
#[serde(default)]
pub struct ContactInput {
    /// `call`, `visit` or `message`.
    pub channel: String,
    pub outcome: String,
    pub note: String,
    /// When to follow up next (`YYYY-MM-DD`); blank: by the cadence.
    pub next: String,
}

/// The most tasks one list shows.
const LIST_LIMIT: i64 = 500;

impl App {
    pub async fn followup_rules(&self) -> Result<FollowupRules, AppError> {
        match self.db.setting(RULES_KEY).await? {
            None => Ok(FollowupRules::default()),
            Some(t) => serde_json::from_str(&t)
                .map_err(|e| AppError::Internal(format!("stored follow-up rules unreadable: {e}"))),
        }
    }

    pub async fn save_followup_rules(
        &self,
        actor: &Actor,
        rules: &FollowupRules,
    ) -> Result<(), AppError> {
        rules.check()?;
        let text = serde_json::to_string(rules)
            .map_err(|e| AppError::Internal(format!("follow-up rules: {e}")))?;
        self.db
            .put_setting(actor, RULES_KEY, &text, self.now())
            .await?;
        Ok(())
    }

    fn local_today(&self, now: Timestamp) -> Date {
        self.config.timezone().to_datetime(now).date()
    }

    /// Plans the day's tasks (the `followups` job). Safe to run any number of times.
    pub async fn plan_followups(&self, now: Timestamp) -> Result<PlanReport, AppError> {
        let rules = self.followup_rules().await?;
        let today_date = self.local_today(now);
        let today = day_number(today_date);
        let mut report = PlanReport::default();
        for class in [
            SpendClass::Key,
            SpendClass::Major,
            SpendClass::Ordinary,
            SpendClass::Small,
        ] {
            let days = i64::from(rules.cadence_days(class));
            report.cadence += self.db.plan_cadence(class.code(), days, today, now).await?;
        }
        if rules.after_purchase_days > 0 {
            let tz = self.config.timezone();
            let day = date_of(today - i64::from(rules.after_purchase_days))
                .ok_or_else(|| AppError::Internal("date out of range".into()))?;
            let (from, to) = crate::clock::day_bounds(day, &tz)?;
            for s in self.db.list_stores(patron_store::Scope::Chain).await? {
                report.after_purchase += self
                    .db
                    .plan_after_purchase(s.id, from, to, today, now)
                    .await?;
            }
        }
        if rules.after_complaint_days > 0 {
            // Complaints resolved N days ago; a week more catches the days no server ran
            // (each ticket is planned once).
            let to = now - SignedDuration::from_hours(24 * i64::from(rules.after_complaint_days));
            let from = to - SignedDuration::from_hours(24 * 7);
            for (ticket, customer) in self.db.complaints_resolved_between(from, to).await? {
                let reason = Phrase::new("timeline.after_complaint")
                    .arg("ticket", ticket)
                    .to_stored();
                let reference = format!("ticket:{ticket}");
                if self
                    .db
                    .plan_event(
                        customer,
                        TaskKind::AfterComplaint,
                        &reference,
                        &reason,
                        today,
                        now,
                    )
                    .await?
                {
                    report.after_complaint += 1;
                }
            }
        }
        if rules.after_visit_days > 0 {
            // Deliveries and installations done N days ago, with the same week of catching
            // up (each visit is planned once).
            let to = now - SignedDuration::from_hours(24 * i64::from(rules.after_visit_days));
            let from = to - SignedDuration::from_hours(24 * 7);
            for (visit, customer, kind) in self.db.visits_done_between(from, to).await? {
                let reason = Phrase::new(if kind == "installation" {
                    "timeline.after_installation"
                } else {
                    "timeline.after_delivery"
                })
                .arg("visit", visit)
                .to_stored();
                let reference = format!("visit:{visit}");
                if self
                    .db
                    .plan_event(
                        customer,
                        TaskKind::AfterVisit,
                        &reference,
                        &reason,
                        today,
                        now,
                    )
                    .await?
                {
                    report.after_visit += 1;
                }
            }
        }
        if rules.expiry_days > 0 {
            let ahead = now + SignedDuration::from_hours(24 * i64::from(rules.expiry_days));
            let tz = self.config.timezone();
            let day_of = |ms: i64| {
                Timestamp::from_millisecond(ms - 1)
                    .map(|t| tz.to_datetime(t).date().to_string())
                    .unwrap_or_default()
            };
            for d in self.db.points_expiring(now, ahead).await? {
                let until = day_of(d.at_ms);
                let reason = Phrase::new("timeline.points_expiry")
                    .arg("points", d.amount)
                    .arg("day", &until)
                    .to_stored();
                let reference = format!("points:{until}");
                if self
                    .db
                    .plan_event(
                        d.customer_id,
                        TaskKind::Expiry,
                        &reference,
                        &reason,
                        today,
                        now,
                    )
                    .await?
                {
                    report.expiry += 1;
                }
            }
            for d in self.db.cards_expiring(now, ahead).await? {
                let until = day_of(d.at_ms);
                let reason = Phrase::new("timeline.card_expiry")
                    .arg("day", &until)
                    .to_stored();
                let reference = format!("card:{}:{until}", d.label);
                if self
                    .db
                    .plan_event(
                        d.customer_id,
                        TaskKind::Expiry,
                        &reference,
                        &reason,
                        today,
                        now,
                    )
                    .await?
                {
                    report.expiry += 1;
                }
            }
        }
        if rules.stale_days > 0 {
            let before = now - SignedDuration::from_hours(24 * i64::from(rules.stale_days));
            report.stale += self
                .db
                .plan_stale_profiles(before, &today_date.year().to_string(), today, now)
                .await?;
        }
        Ok(report)
    }

    /// The list of `p`: their customers' tasks (a store manager's also take in the store's
    /// customers without an owner), or with `team` everyone's within their scope.
    pub async fn daily_list(&self, p: &Principal, team: bool) -> Result<DailyList, AppError> {
        let rules = self.followup_rules().await?;
        let now = self.now();
        let today = day_number(self.local_today(now));
        let who = if team {
            Assignee::All
        } else {
            Assignee::Staff {
                staff_id: p.staff_id,
                unowned: p.role == Role::StoreManager,
            }
        };
        let until = today + i64::from(rules.upcoming_days);
        let rows = self
            .db
            .open_followups(p.scope(), who, until, LIST_LIMIT)
            .await?;
        let mut list = DailyList::default();
        for row in rows {
            let Some(due) = date_of(row.due_day) else {
                continue;
            };
            let days_since_purchase = row.last_purchase.map(|t| {
                (now.as_millisecond() - t.as_millisecond())
                    .div_euclid(patron_domain::care::classes::DAY_MS)
            });
            let bucket = match row.due_day.cmp(&today) {
                std::cmp::Ordering::Less => &mut list.overdue,
                std::cmp::Ordering::Equal => &mut list.today,
                std::cmp::Ordering::Greater => &mut list.upcoming,
            };
            bucket.push(Task {
                row,
                due,
                days_since_purchase,
            });
        }
        Ok(list)
    }

    /// Logs a contact on a task: it is closed with its outcome, the contact goes on the
    /// customer's timeline, and the next contact is scheduled (the date given, else tomorrow
    /// when the customer was not reached, else the class's cadence). False when the task was
    /// already closed (the form was sent twice).
    pub async fn log_followup(
        &self,
        p: &Principal,
        request_id: Option<String>,
        task_id: i64,
        input: &ContactInput,
    ) -> Result<bool, AppError> {
        let channel = InteractionKind::parse(&input.channel)
            .filter(|k| *k != InteractionKind::Note)
            .ok_or(FieldError::new("channel", "error.followup.channel"))?;
        let outcome = ContactOutcome::parse(&input.outcome)
            .ok_or(FieldError::new("outcome", "error.followup.outcome"))?;
        let note = input.note.trim();
        if note.chars().count() > 2000 {
            return Err(FieldError::new("note", "error.text.too_long").into());
        }
        let now = self.now();
        let today = day_number(self.local_today(now));
        let task = self.db.followup_task(p.scope(), task_id).await?;
        let rules = self.followup_rules().await?;
        let next_day = match input.next.trim() {
            "" if !outcome.reached() => Some(today + 1),
            "" => task
                .spend_class
                .as_deref()
                .and_then(SpendClass::from_code)
                .map(|c| i64::from(rules.cadence_days(c)))
                .filter(|d| *d > 0)
                .map(|d| today + d),
            text => {
                let d: Date = patron_domain::customers::parse_date(text, "next")?;
                let n = day_number(d);
                if n < today || n > today + 366 {
                    return Err(FieldError::new("next", "error.followup.next").into());
                }
                Some(n)
            }
        };
        let next = next_day.map(|due_day| NextTask {
            due_day,
            reason: task.spend_class.clone().unwrap_or_default(),
        });
        let id = self.db.allocate_ids("interactions", 1).await?;
        let note_enc = self.seal_interaction_note(id, note);
        let row = InteractionRow {
            id,
            customer_id: task.customer_id,
            store_id: 0,
            kind: channel.as_str().into(),
            channel: format!("followup:{}", task.kind.as_str()),
            outcome: outcome.as_str().into(),
            note_enc,
            staff_id: Some(p.staff_id),
            actor_name: p.display_name.clone(),
            at: now,
        };
        Ok(self
            .db
            .log_followup(
                &p.actor(request_id),
                p.scope(),
                task_id,
                outcome.as_str(),
                &row,
                next.as_ref(),
                today,
                now,
            )
            .await?)
    }

    /// Adherence over the `days` days before today (tasks due then: on time, late, missed).
    pub async fn followup_adherence(
        &self,
        p: &Principal,
        days: i64,
    ) -> Result<Vec<AdherenceRow>, AppError> {
        let today = day_number(self.local_today(self.now()));
        Ok(self
            .db
            .followup_adherence(p.scope(), today - days, today - 1)
            .await?)
    }
}
