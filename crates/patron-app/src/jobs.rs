//! Scheduled jobs. Each job is `run_once(app, now)`; `run_due` asks each job's schedule (from
//! settings; blank disables) which period `now` is in, claims that period in `job_runs`, and
//! runs it. The claim is what makes a period run once across restarts and instances.

use crate::outbox::Dispatcher;
use crate::{App, AppError, backup};
use jiff::{SignedDuration, Timestamp};
use patron_domain::schedule::Schedule;
use std::time::Duration;
use tokio::sync::watch;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Job {
    SessionCleanup,
    Backup,
    /// Ends points lots whose expiry has passed: an `expire` entry for each, balance lowered.
    PointsExpiry,
    /// Reviews members a year after they reached their tier (down one tier at most).
    TierReview,
    /// Tells members what is about to run out (points, card, coupons, tier, warranties) and
    /// gives the tier's birthday gifts.
    MemberNotices,
    /// Recomputes every customer's classes and churn score from the running statistics.
    Reclassify,
    /// Birthday, festival, anniversary and member-day greetings of the day.
    Greetings,
    /// Plans the day's follow-up tasks (cadence per class, events).
    Followups,
    /// Runs the playbooks scheduled as campaigns for the day.
    Campaigns,
    /// Flags tickets past their SLA deadlines and escalates them.
    Escalation,
    /// Sends the satisfaction follow-up of resolved tickets (closing those left
    /// unanswered) and the after-purchase survey.
    Surveys,
    /// Signs the audit log's head into the checkpoint file (and e-mails it to the admins).
    AuditCheckpoint,
    /// Deletes finished outbox messages older than `outbox.retention_days`.
    OutboxRetention,
}

impl Job {
    pub const ALL: &'static [Job] = &[
        Job::SessionCleanup,
        Job::Backup,
        Job::PointsExpiry,
        Job::TierReview,
        Job::MemberNotices,
        Job::Reclassify,
        Job::Greetings,
        Job::Followups,
        Job::Campaigns,
        Job::Escalation,
        Job::Surveys,
        Job::OutboxRetention,
        // Last, so that it sees the rows the other jobs of the same pass wrote.
        Job::AuditCheckpoint,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Job::SessionCleanup => "session_cleanup",
            Job::Backup => "backup",
            Job::PointsExpiry => "points_expiry",
            Job::TierReview => "tier_review",
            Job::MemberNotices => "member_notices",
            Job::Reclassify => "reclassify",
            Job::Greetings => "greetings",
            Job::Followups => "followups",
            Job::Campaigns => "campaigns",
            Job::Escalation => "escalation",
            Job::Surveys => "surveys",
            Job::AuditCheckpoint => "audit_checkpoint",
            Job::OutboxRetention => "outbox_retention",
        }
    }

    pub fn setting_key(self) -> String {
        format!("jobs.{}.schedule", self.name())
    }

    /// Used until an admin sets a schedule. Where the database is not backed up to files
    /// (PostgreSQL: pg_dump's job), the backup job starts disabled.
    pub fn default_schedule(self, file_backups: bool) -> &'static str {
        match (self, file_backups) {
            (Job::SessionCleanup, _) => "every 15m",
            (Job::Backup, true) => "daily 03:00",
            (Job::Backup, false) => "",
            // Lots expire at local midnight (store time zone); a run early each morning
            // (head-office time) ends them before the first sale of the day.
            (Job::PointsExpiry, _) => "daily 00:10",
            (Job::TierReview, _) => "daily 01:00",
            // Late enough in the morning to be outside quiet hours when the messages go.
            (Job::MemberNotices, _) => "daily 09:30",
            // After the night's expiry and tier review, before the follow-up lists are read.
            (Job::Reclassify, _) => "daily 02:00",
            // Quiet hours end at 09:00; greetings go out first thing after.
            (Job::Greetings, _) => "daily 09:00",
            // After the night's reclassification, before the first shift reads its list.
            (Job::Followups, _) => "daily 06:00",
            // After the greetings, outside quiet hours.
            (Job::Campaigns, _) => "daily 10:00",
            (Job::Escalation, _) => "every 15m",
            // The outbox holds messages back through quiet hours.
            (Job::Surveys, _) => "every 15m",
            // After the night's jobs and backup, so the day's checkpoint covers them.
            (Job::AuditCheckpoint, _) => "daily 04:00",
            // Quiet time, before the morning's messages.
            (Job::OutboxRetention, _) => "daily 04:00",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JobReport {
    pub job: &'static str,
    pub period_key: String,
    pub outcome: &'static str,
    pub detail: String,
}

/// The job's schedule: the setting if present and valid, else the default.
pub async fn schedule_of(app: &App, job: Job) -> Result<Schedule, AppError> {
    let text = app.db.setting(&job.setting_key()).await?;
    let text = text
        .as_deref()
        .unwrap_or(job.default_schedule(app.db.backs_up_to_files()));
    Ok(Schedule::parse(text).unwrap_or(Schedule::Disabled))
}

/// What the settings page shows of the jobs.
#[derive(Debug, Clone)]
pub struct SettingsPage {
    pub schedules: Vec<(Job, Schedule)>,
    pub backup_keep: String,
    pub runs: Vec<patron_store::jobs::JobRunRow>,
}

/// Runs one job now, whatever its schedule; returns a one-line summary.
pub async fn run_once(app: &App, job: Job, now: Timestamp) -> Result<String, AppError> {
    match job {
        Job::SessionCleanup => {
            let idle = SignedDuration::from_mins(app.config.security.session_idle_minutes);
            let n = app.db.delete_expired_sessions(now, now - idle).await?;
            Ok(format!("{n} expired sessions removed"))
        }
        Job::Backup => {
            let path = backup::create(app, None, now).await?;
            let keep = app
                .db
                .setting("backup.keep")
                .await?
                .and_then(|v| v.parse().ok())
                .unwrap_or(backup::DEFAULT_KEEP);
            let pruned = backup::prune(&backup::backup_dir(&app.config), keep)
                .map_err(|e| AppError::Internal(e.to_string()))?;
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            Ok(format!("{name} written, {pruned} old backups removed"))
        }
        Job::PointsExpiry => {
            let n = app.db.expire_points(now).await?;
            Ok(format!("{n} points expired"))
        }
        Job::MemberNotices => {
            let gifts = app.grant_birthday_gifts(now).await?;
            let report = app.send_member_notices(now).await?;
            let warranties = app.send_warranty_notices(now).await?;
            Ok(format!(
                "{report}; {gifts} birthday gifts; {warranties} warranty reminders"
            ))
        }
        Job::Greetings => Ok(app.send_greetings(now).await?.to_string()),
        Job::Followups => Ok(app.plan_followups(now).await?.to_string()),
        Job::Campaigns => app.run_scheduled_playbooks().await,
        Job::Escalation => Ok(app.escalate_tickets(now).await?.to_string()),
        Job::Surveys => Ok(app.run_surveys(now).await?.to_string()),
        Job::AuditCheckpoint => {
            let (c, mailed) = app
                .write_audit_checkpoint(
                    patron_domain::audit::checkpoint::CheckpointKind::Daily,
                    now,
                )
                .await?;
            Ok(format!(
                "checkpoint at record #{} written, e-mailed to {mailed} admins",
                c.seq
            ))
        }
        Job::OutboxRetention => {
            let days = app.config.outbox.retention_days;
            let n = app
                .db
                .sweep_outbox(now - SignedDuration::from_hours(24 * days))
                .await?;
            Ok(format!(
                "{n} outbox messages older than {days} days removed"
            ))
        }
        Job::Reclassify => {
            let r = app.reclassify(now).await?;
            let at_risk = app.score_churn(now).await?;
            Ok(format!(
                "{} customers classified, {} changed, {} ms; {at_risk} churn scores",
                r.customers, r.changed, r.took_ms
            ))
        }
        Job::TierReview => {
            let programme = app.loyalty().await?;
            let tz = app.config.timezone();
            let window = crate::sales::calendar(now, &tz).window_from;
            let a_year_ago = crate::sales::years_from(now, -1, &tz);
            let r = app
                .db
                .review_tiers(&programme.ladder, window, a_year_ago, now)
                .await?;
            Ok(format!(
                "{} members reviewed: {} down, {} up",
                r.members, r.down, r.up
            ))
        }
    }
}

/// Runs every job whose current period has not been claimed yet.
pub async fn run_due(app: &App, now: Timestamp) -> Result<Vec<JobReport>, AppError> {
    let tz = app.config.timezone();
    let mut reports = Vec::new();
    for &job in Job::ALL {
        let Some(period) = schedule_of(app, job).await?.due_period(now, &tz) else {
            continue;
        };
        if !app
            .db
            .try_start_job(job.name(), &period, &app.instance, now)
            .await?
        {
            continue;
        }
        let (outcome, detail) = match run_once(app, job, now).await {
            Ok(detail) => ("ok", detail),
            Err(e) => {
                tracing::error!(job = job.name(), error = %e, "job failed");
                ("failed", e.to_string())
            }
        };
        app.db
            .finish_job(job.name(), &period, outcome, &detail, app.now())
            .await?;
        reports.push(JobReport {
            job: job.name(),
            period_key: period,
            outcome,
            detail,
        });
    }
    Ok(reports)
}

/// The background loop of a server: the outbox every few seconds, the schedules every 30
/// seconds. Returns when `shutdown` turns true, after finishing the pass in progress.
pub async fn worker(app: App, mut shutdown: watch::Receiver<bool>) {
    let dispatcher = match Dispatcher::new(app.clone()) {
        Ok(d) => d,
        Err(e) => {
            tracing::error!(error = %e, "message dispatcher not started");
            return;
        }
    };
    let mut ticks: u64 = 0;
    loop {
        if let Err(e) = dispatcher.run_once(app.now()).await {
            tracing::error!(error = %e, "outbox pass failed");
        }
        if ticks.is_multiple_of(6)
            && let Err(e) = run_due(&app, app.now()).await
        {
            tracing::error!(error = %e, "scheduler pass failed");
        }
        ticks += 1;
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(5)) => {}
            _ = shutdown.changed() => {}
        }
        if *shutdown.borrow() {
            return;
        }
    }
}

/// Job settings as the settings page edits them.
impl App {
    /// Saves every job's schedule (blank disables) and how many backups to keep. The form is
    /// judged whole first: one bad field saves nothing.
    pub async fn save_job_settings(
        &self,
        actor: &patron_domain::Actor,
        field: impl Fn(&str) -> String,
    ) -> Result<(), AppError> {
        let mut schedules = Vec::new();
        for &job in Job::ALL {
            let schedule = Schedule::parse(&field(job.name())).map_err(|_| {
                patron_domain::FieldError::new(job.name(), "error.schedule.invalid")
            })?;
            schedules.push((job, schedule));
        }
        let keep: usize = field("keep")
            .trim()
            .parse()
            .ok()
            .filter(|k| (1..=365).contains(k))
            .ok_or(patron_domain::FieldError::new("keep", "error.keep.invalid"))?;
        let now = self.now();
        for (job, schedule) in schedules {
            self.db
                .put_setting(actor, &job.setting_key(), &schedule.to_string(), now)
                .await?;
        }
        self.db
            .put_setting(actor, "backup.keep", &keep.to_string(), now)
            .await?;
        Ok(())
    }

    /// How many backups are kept.
    pub async fn backup_keep(&self) -> Result<String, AppError> {
        Ok(self
            .db
            .setting("backup.keep")
            .await?
            .unwrap_or_else(|| backup::DEFAULT_KEEP.to_string()))
    }

    /// The latest job runs, newest first.
    pub async fn recent_job_runs(
        &self,
        limit: i64,
    ) -> Result<Vec<patron_store::jobs::JobRunRow>, AppError> {
        Ok(self.db.recent_job_runs(limit).await?)
    }

    /// The settings page: every job with its schedule, how many backups are kept, and the
    /// latest `runs` job runs, newest first.
    pub async fn settings_page(&self, runs: i64) -> Result<SettingsPage, AppError> {
        let schedules = async {
            let mut out = Vec::with_capacity(Job::ALL.len());
            for &job in Job::ALL {
                out.push((job, schedule_of(self, job).await?));
            }
            Ok::<_, AppError>(out)
        };
        let (schedules, backup_keep, runs) =
            tokio::try_join!(schedules, self.backup_keep(), self.recent_job_runs(runs))?;
        Ok(SettingsPage {
            schedules,
            backup_keep,
            runs,
        })
    }

    /// Runs a job now, outside its schedule, and records who asked.
    pub async fn run_job_now(
        &self,
        actor: &patron_domain::Actor,
        job: Job,
    ) -> Result<String, AppError> {
        let now = self.now();
        let detail = run_once(self, job, now).await?;
        let event =
            patron_domain::AuditEvent::ok("job.run", "job", job.name()).with_detail(detail.clone());
        self.db.record_audit(actor, &event, now).await?;
        Ok(detail)
    }
}
