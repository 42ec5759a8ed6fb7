//! Churn warning and win-back. Scores are recomputed after each night's reclassification
//! (`score_churn`); the warning list shows each customer's signs; a playbook reaches the
//! customers at or above its score with a follow-up task, a coupon and a message, keeps a
//! control group back if asked, and reports who came back.

use crate::i18n::Phrase;
use crate::outbox::template::Vars;
use crate::{App, AppError};
use jiff::Timestamp;
use patron_domain::FieldError;
use patron_domain::audit::Actor;
use patron_domain::care::churn::{ChurnFacts, ChurnRules, Sign, score};
use patron_domain::care::classes::DAY_MS;
use patron_domain::care::followup::day_number;
use patron_store::Scope;
pub use patron_store::care::churn::PlaybookResult;
use patron_store::care::churn::{AtRisk, PlaybookInput, PlaybookRow, Reach};

pub const RULES_KEY: &str = "churn.rules";
const PAGE: i64 = 5_000;

/// A playbook as typed in the console.
#[derive(Debug, Clone, Default)]
pub struct PlaybookForm {
    pub name: String,
    pub min_score: i64,
    pub make_task: bool,
    pub coupon_template_id: Option<i64>,
    pub message_template: String,
    pub control_percent: i64,
    pub cooldown_days: i64,
    /// Reach this segment's members (with a churn score of at least `min_score`, when that
    /// is above 0) instead of the warning list.
    pub segment_id: Option<i64>,
    /// Run by itself on this day as a scheduled campaign (head office's zone).
    pub run_on: Option<jiff::civil::Date>,
}

/// What running a playbook did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PlaybookRun {
    pub reached: usize,
    pub control: usize,
    /// Already reached within the cool-down.
    pub skipped: usize,
    /// Reached without a message: no channel could carry it.
    pub unreachable: usize,
}

/// `YYYYMM` of `months` months before the month `ym`.
fn months_before(ym: i64, months: i64) -> i64 {
    let index = (ym / 100) * 12 + (ym % 100 - 1) - months;
    (index / 12) * 100 + index % 12 + 1
}

/// Whether a customer falls in a playbook's control group: a fixed share by a hash of the
/// customer and playbook, so a rerun puts the same customers in the same group.
pub fn in_control(customer_id: i64, playbook_id: i64, percent: i64) -> bool {
    let h = (customer_id as u64)
        .wrapping_mul(0x9E37_79B9_7F4A_7C15)
        .wrapping_add((playbook_id as u64).wrapping_mul(0xC2B2_AE3D_27D4_EB4F));
    ((h >> 33) % 100) < percent.clamp(0, 100) as u64
}

impl App {
    pub async fn churn_rules(&self) -> Result<ChurnRules, AppError> {
        match self.db.setting(RULES_KEY).await? {
            None => Ok(ChurnRules::default()),
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| AppError::Internal(format!("stored churn rules unreadable: {e}"))),
        }
    }

    pub async fn save_churn_rules(
        &self,
        actor: &Actor,
        rules: &ChurnRules,
    ) -> Result<(), AppError> {
        rules.check()?;
        let text = serde_json::to_string(rules)
            .map_err(|e| AppError::Internal(format!("churn rules: {e}")))?;
        self.db
            .put_setting(actor, RULES_KEY, &text, self.now())
            .await?;
        Ok(())
    }

    /// Recomputes every buyer's churn score; returns how many are scored above zero.
    pub async fn score_churn(&self, now: Timestamp) -> Result<usize, AppError> {
        let rules = self.churn_rules().await?;
        let month = crate::sales::calendar(now, &self.config.timezone()).month;
        let (recent_from, before_from) = (months_before(month, 5), months_before(month, 11));
        let now_ms = now.as_millisecond();
        // A low rating counts for 90 days.
        let rated_since = now - jiff::SignedDuration::from_hours(24 * 90);
        let mut after = 0;
        let mut scored = 0;
        loop {
            let rows = self
                .db
                .churn_facts(after, PAGE, recent_from, before_from, rated_since)
                .await?;
            let Some(last) = rows.last().map(|r| r.customer_id) else {
                break;
            };
            let mut out = Vec::new();
            for r in &rows {
                let facts = ChurnFacts {
                    days_since_last: (now_ms - r.last_purchase_ms).max(0) / DAY_MS,
                    visits: r.visit_count,
                    span_days: (r.last_purchase_ms - r.first_purchase_ms).max(0) / DAY_MS,
                    visits_recent: r.visits_recent,
                    visits_before: r.visits_before,
                    spend_recent_fen: r.spend_recent_fen,
                    spend_before_fen: r.spend_before_fen,
                    open_complaints: r.open_complaints,
                    low_rating: r.low_ratings > 0,
                };
                let s = score(&facts, &rules);
                if s.score > 0 {
                    let reasons = serde_json::to_string(&s.signs)
                        .map_err(|e| AppError::Internal(format!("churn reasons: {e}")))?;
                    out.push((r.customer_id, r.store_id, i64::from(s.score), reasons));
                }
            }
            scored += out.len();
            self.db.write_churn_scores(after, last, &out, now).await?;
            after = last;
        }
        self.db.clear_churn_after(after).await?;
        Ok(scored)
    }

    /// The warning list within `scope` (one owner's customers when `owner` is given).
    pub async fn at_risk(
        &self,
        scope: Scope,
        owner: Option<i64>,
        limit: i64,
    ) -> Result<Vec<(AtRisk, Vec<Sign>)>, AppError> {
        let rules = self.churn_rules().await?;
        let rows = self
            .db
            .at_risk(scope, owner, i64::from(rules.warn_at), limit)
            .await?;
        rows.into_iter()
            .map(|r| {
                let signs: Vec<Sign> = serde_json::from_str(&r.reasons)
                    .map_err(|e| AppError::Internal(format!("churn reasons: {e}")))?;
                Ok((r, signs))
            })
            .collect()
    }

    /// Playbooks serve the whole chain: a store-bound `scope` runs them on its customers,
    /// never makes them.
    pub async fn create_playbook(
        &self,
        actor: &Actor,
        scope: Scope,
        form: &PlaybookForm,
    ) -> Result<i64, AppError> {
        scope.chain_wide()?;
        let name = form.name.trim();
        if name.is_empty() || name.chars().count() > 60 {
            return Err(FieldError::new("name", "error.churn.name").into());
        }
        if let Some(s) = form.segment_id {
            self.db.segment(Scope::Chain, s).await?;
        }
        let lowest = if form.segment_id.is_some() { 0 } else { 1 };
        if !(lowest..=100).contains(&form.min_score) {
            return Err(FieldError::new("min_score", "error.churn.percent").into());
        }
        if !(0..=50).contains(&form.control_percent) {
            return Err(FieldError::new("control_percent", "error.churn.control").into());
        }
        if !(1..=365).contains(&form.cooldown_days) {
            return Err(FieldError::new("cooldown_days", "error.churn.cooldown").into());
        }
        if let Some(t) = form.coupon_template_id {
            let t = self.db.coupon_template(t).await?;
            if t.status != patron_domain::membership::coupon::TemplateStatus::Active {
                return Err(FieldError::new("coupon_template_id", "error.coupon.retired").into());
            }
        }
        let message = form.message_template.trim();
        if !message.is_empty() && self.db.message_templates_named(message).await?.is_empty() {
            return Err(FieldError::new("message_template", "error.messages.no_template").into());
        }
        if !form.make_task && form.coupon_template_id.is_none() && message.is_empty() {
            return Err(FieldError::new("make_task", "error.churn.no_action").into());
        }
        if form.run_on.is_some_and(|d| d < self.today()) {
            return Err(FieldError::new("run_on", "error.churn.run_on_past").into());
        }
        let run_on = form.run_on.map(|d| d.to_string());
        let input = PlaybookInput {
            name,
            min_score: form.min_score,
            make_task: form.make_task,
            coupon_template_id: form.coupon_template_id,
            message_template: (!message.is_empty()).then_some(message),
            control_percent: form.control_percent,
            cooldown_days: form.cooldown_days,
            segment_id: form.segment_id,
            run_on: run_on.as_deref(),
        };
        Ok(self.db.create_playbook(actor, &input, self.now()).await?)
    }

    /// Runs a playbook over the warning list within `scope`: each customer at or above its
    /// score is reached once per cool-down (however often it is run), with the task, coupon
    /// and message written with the claim.
    pub async fn run_playbook(
        &self,
        actor: &Actor,
        scope: Scope,
        playbook_id: i64,
    ) -> Result<PlaybookRun, AppError> {
        let p: PlaybookRow = self
            .db
            .playbooks()
            .await?
            .into_iter()
            .find(|p| p.id == playbook_id)
            .ok_or(AppError::NotFound)?;
        let now = self.now();
        let today = day_number(self.today());
        let period = today / p.cooldown_days.max(1);
        let coupon = match p.coupon_template_id {
            Some(id) => Some(self.db.coupon_template(id).await?),
            None => None,
        };
        let campaign = format!("winback:{}", p.id);
        let reason = Phrase::new("timeline.winback")
            .arg("playbook", &p.name)
            .to_stored();
        let mut run = PlaybookRun::default();
        // (customer, churn score), in customer order.
        let mut targets: Vec<(i64, i64)> = self
            .db
            .at_risk(scope, None, p.min_score.max(1), 100_000)
            .await?
            .into_iter()
            .map(|r| (r.customer_id, r.score))
            .collect();
        if let Some(segment) = p.segment_id {
            let row = self.db.segment(scope, segment).await?;
            let members = self
                .segment_members(scope, &row)
                .await?
                .ok_or_else(|| FieldError::new("segment", "error.coupon.customers"))?;
            targets = if p.min_score > 0 {
                targets
                    .into_iter()
                    .filter(|t| members.binary_search(&t.0).is_ok())
                    .collect()
            } else {
                let scored: std::collections::HashMap<i64, i64> = targets.into_iter().collect();
                members
                    .into_iter()
                    .map(|id| (id, scored.get(&id).copied().unwrap_or(0)))
                    .collect()
            };
        }
        for (customer_id, score) in targets {
            let control = in_control(customer_id, p.id, p.control_percent);
            let code = coupon
                .as_ref()
                .map(|_| crate::membership::coupons::new_code());
            // The message and the customer's store it goes out for.
            let mut message = None;
            if !control && let Some(name) = &p.message_template {
                let c = self.load_customer(Scope::Chain, customer_id).await?;
                let mut extra = Vars::new();
                if let (Some(t), Some(code)) = (&coupon, &code) {
                    extra.insert("coupon", t.name.clone());
                    extra.insert("coupon_code", code.clone());
                }
                message = self
                    .compose_for(&c, name, &extra)
                    .await?
                    .map(|m| (m, c.store_id));
                if message.is_none() {
                    run.unreachable += 1;
                }
            }
            let reach = Reach {
                playbook_id: p.id,
                customer_id,
                period,
                score,
                control,
                run_by: actor.id,
                coupon: match (&coupon, &code) {
                    (Some(t), Some(code)) => Some((
                        t.id,
                        code.as_str(),
                        reason.as_str(),
                        now + jiff::SignedDuration::from_hours(24 * t.valid_days),
                    )),
                    _ => None,
                },
                task: p.make_task.then_some((reason.as_str(), today)),
                message: message.as_ref().map(|(m, store_id)| {
                    m.outbox_message(
                        self.keys.as_ref(),
                        "winback",
                        customer_id,
                        *store_id,
                        Some(&campaign),
                    )
                }),
            };
            match self.db.reach(&reach, now).await? {
                None => run.skipped += 1,
                Some(_) if control => run.control += 1,
                Some(_) => run.reached += 1,
            }
        }
        Ok(run)
    }
}

impl App {
    /// Runs the scheduled campaigns whose day has come (today, or a day missed while no
    /// server ran) and records the day each ran. Reaching is claimed per customer and
    /// cool-down, so a run from another server at the same time reaches nobody twice.
    pub async fn run_scheduled_playbooks(&self) -> Result<String, AppError> {
        let today = self.today().to_string();
        let actor = Actor::system("campaigns");
        let mut done = Vec::new();
        for p in self.db.playbooks().await? {
            let due = p.ran_on.is_none() && p.run_on.as_deref().is_some_and(|d| *d <= *today);
            if !due {
                continue;
            }
            let run = self.run_playbook(&actor, Scope::Chain, p.id).await?;
            if self.db.mark_playbook_ran(p.id, &today).await? {
                done.push(format!(
                    "{}: {} reached, {} control",
                    p.name, run.reached, run.control
                ));
            }
        }
        Ok(format!("{} campaigns run. {}", done.len(), done.join("; ")))
    }
}

impl App {
    /// Every win-back playbook.
    pub async fn playbooks(&self) -> Result<Vec<PlaybookRow>, AppError> {
        Ok(self.db.playbooks().await?)
    }

    /// What each run of a playbook reached and won back.
    pub async fn playbook_results(
        &self,
        playbook_id: i64,
    ) -> Result<Vec<PlaybookResult>, AppError> {
        Ok(self.db.playbook_results(playbook_id).await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn months_count_back_across_years() {
        assert_eq!(months_before(202611, 5), 202606);
        assert_eq!(months_before(202603, 5), 202510);
        assert_eq!(months_before(202601, 11), 202502);
        assert_eq!(months_before(202612, 0), 202612);
    }

    #[test]
    fn control_groups_are_stable_and_near_their_share() {
        let n = (1..=10_000).filter(|c| in_control(*c, 7, 10)).count();
        assert!((800..=1200).contains(&n), "{n}");
        assert_eq!(in_control(42, 7, 10), in_control(42, 7, 10));
        assert!(!(1..=1000).any(|c| in_control(c, 7, 0)));
    }
}
