//! Reclassification: every active customer's classes recomputed from the running statistics
//! (`patron_analytics::classes`), the changed ones written, and the run recorded with the
//! movement between spend classes. Run by the nightly job, `patron reclassify`, and the
//! classes page.

use crate::{App, AppError};
use patron_analytics::classes::{Classes, Rules, SpendClass, classify};
use patron_domain::{Actor, FieldError};
use patron_store::care::classes::{ClassRunRecord, FactsRow};
use serde::Serialize;
use std::collections::BTreeMap;
use std::time::Instant;

/// The setting holding the rules, as JSON; absent means the defaults.
pub const RULES_KEY: &str = "classes.rules";

/// How many customers moved from one spend class to another in a run (`from` is `None` for
/// customers classified for the first time).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct Move {
    pub from: Option<SpendClass>,
    pub to: SpendClass,
    pub customers: i64,
}

/// What a run did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Reclassified {
    pub run_id: i64,
    pub customers: usize,
    pub changed: usize,
    /// Movement between the spend classes of the rules' scope.
    pub moves: Vec<Move>,
    pub took_ms: i64,
}

impl App {
    /// The classification rules in force.
    pub async fn class_rules(&self) -> Result<Rules, AppError> {
        let Some(text) = self.db.setting(RULES_KEY).await? else {
            return Ok(Rules::default());
        };
        serde_json::from_str(&text)
            .map_err(|e| AppError::Internal(format!("stored class rules unreadable: {e}")))
    }

    /// Checks and saves new rules; they apply from the next run.
    pub async fn save_class_rules(&self, actor: &Actor, rules: &Rules) -> Result<(), AppError> {
        rules
            .check()
            .map_err(|e| AppError::from(FieldError::new(e.field, e.key)))?;
        let text = serde_json::to_string(rules)
            .map_err(|e| AppError::Internal(format!("class rules: {e}")))?;
        self.db
            .put_setting(actor, RULES_KEY, &text, self.now())
            .await?;
        Ok(())
    }

    /// Recomputes every active customer's classes as of `now`.
    pub async fn reclassify(&self, now: jiff::Timestamp) -> Result<Reclassified, AppError> {
        let started = Instant::now();
        let today_ms = now.as_millisecond();
        let window_from = crate::sales::calendar(now, &self.config.timezone()).window_from;
        let rules = self.class_rules().await?;
        let rules_text = serde_json::to_string(&rules)
            .map_err(|e| AppError::Internal(format!("class rules: {e}")))?;
        let run = Run {
            rules,
            rules_text,
            today_ms,
            started,
        };
        match self.db.open_sqlite_bulk()? {
            Some(mut conn) => {
                let work = move || -> Result<Reclassified, AppError> {
                    let rows = conn.class_facts(window_from)?;
                    let (changed, moves) = compare(&rows, &run.rules, today_ms);
                    let moves_text = moves_json(&moves)?;
                    let run_id = conn.write_classes(&changed, &run.record(&rows, &moves_text))?;
                    Ok(run.done(run_id, &rows, &changed, moves))
                };
                tokio::task::spawn_blocking(work)
                    .await
                    .map_err(|e| AppError::Internal(format!("reclassification: {e}")))?
            }
            None => {
                let rows = self.db.class_facts(window_from).await?;
                let (changed, moves) = compare(&rows, &run.rules, today_ms);
                let moves_text = moves_json(&moves)?;
                let run_id = self
                    .db
                    .write_classes(&changed, &run.record(&rows, &moves_text))
                    .await?;
                Ok(run.done(run_id, &rows, &changed, moves))
            }
        }
    }
}

/// One reclassification under way.
struct Run {
    rules: Rules,
    rules_text: String,
    today_ms: i64,
    started: Instant,
}

impl Run {
    fn record<'a>(&'a self, rows: &[FactsRow], moves_text: &'a str) -> ClassRunRecord<'a> {
        ClassRunRecord {
            at_ms: self.today_ms,
            customers: rows.len() as i64,
            rules: &self.rules_text,
            moves: moves_text,
            took_ms: self.started.elapsed().as_millis() as i64,
        }
    }

    fn done(
        &self,
        run_id: i64,
        rows: &[FactsRow],
        changed: &[Classes],
        moves: Vec<Move>,
    ) -> Reclassified {
        Reclassified {
            run_id,
            customers: rows.len(),
            changed: changed.len(),
            moves,
            took_ms: self.started.elapsed().as_millis() as i64,
        }
    }
}

/// Classifies `rows` and keeps the classes that differ from the stored ones, with the
/// movement between spend classes of the rules' scope.
fn compare(rows: &[FactsRow], rules: &Rules, today_ms: i64) -> (Vec<Classes>, Vec<Move>) {
    let facts: Vec<_> = rows.iter().map(|(f, _)| *f).collect();
    let classes = classify(&facts, rules, today_ms);
    let mut moves: BTreeMap<(Option<SpendClass>, SpendClass), i64> = BTreeMap::new();
    let mut changed = Vec::new();
    for ((_, stored), new) in rows.iter().zip(classes) {
        if stored.as_ref() == Some(&new) {
            continue;
        }
        let from = stored.as_ref().map(|s| s.spend(rules.scope));
        let to = new.spend(rules.scope);
        if from != Some(to) {
            *moves.entry((from, to)).or_default() += 1;
        }
        changed.push(new);
    }
    let moves = moves
        .into_iter()
        .map(|((from, to), customers)| Move {
            from,
            to,
            customers,
        })
        .collect();
    (changed, moves)
}

fn moves_json(moves: &[Move]) -> Result<String, AppError> {
    serde_json::to_string(moves).map_err(|e| AppError::Internal(format!("class moves: {e}")))
}

/// What the classes page shows: counts per class within scope, the recent runs, and the
/// movement between spend classes in the latest run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClassOverview {
    pub counts: Vec<patron_store::care::classes::ClassCount>,
    pub runs: Vec<patron_store::care::classes::ClassRun>,
    pub moves: Vec<Move>,
}

impl App {
    pub async fn class_overview(
        &self,
        scope: patron_store::Scope,
    ) -> Result<ClassOverview, AppError> {
        let counts = self.db.class_counts(scope).await?;
        let runs = self.db.class_runs(10).await?;
        let moves = match runs.first() {
            Some(r) => serde_json::from_str(&r.moves)
                .map_err(|e| AppError::Internal(format!("stored class moves unreadable: {e}")))?,
            None => Vec::new(),
        };
        Ok(ClassOverview {
            counts,
            runs,
            moves,
        })
    }
}
