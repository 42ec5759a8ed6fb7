//! Job runs. Inserting `(job, period_key)` is the claim: the primary key lets exactly one
//! instance start a period's run, however many servers tick at once and however often they
//! restart.

use crate::decode::{Millis, OptMillis};
use crate::{Db, StoreError, ms};
use jiff::Timestamp;

#[derive(Debug, Clone, sqlx::FromRow)]
pub struct JobRunRow {
    pub job: String,
    pub period_key: String,
    pub instance: String,
    #[sqlx(try_from = "Millis")]
    pub started_at: Timestamp,
    #[sqlx(try_from = "OptMillis")]
    pub finished_at: Option<Timestamp>,
    /// `ok` or `failed`, shown as it is; `None` while running.
    pub outcome: Option<String>,
    pub detail: Option<String>,
}

impl Db {
    /// Claims the period for this instance; false if it was already claimed.
    pub async fn try_start_job(
        &self,
        job: &str,
        period_key: &str,
        instance: &str,
        now: Timestamp,
    ) -> Result<bool, StoreError> {
        let n = sqlx::query(
            "INSERT INTO job_runs (job, period_key, instance, started_at) VALUES ($1, $2, $3, $4) \
             ON CONFLICT (job, period_key) DO NOTHING",
        )
        .bind(job)
        .bind(period_key)
        .bind(instance)
        .bind(ms(now))
        .execute(self.pool())
        .await?
        .rows_affected();
        Ok(n == 1)
    }

    pub async fn finish_job(
        &self,
        job: &str,
        period_key: &str,
        outcome: &str,
        detail: &str,
        now: Timestamp,
    ) -> Result<(), StoreError> {
        sqlx::query("UPDATE job_runs SET finished_at = $1, outcome = $2, detail = $3 WHERE job = $4 AND period_key = $5")
            .bind(ms(now))
            .bind(outcome)
            .bind(detail)
            .bind(job)
            .bind(period_key)
            .execute(self.pool())
            .await?;
        Ok(())
    }

    pub async fn recent_job_runs(&self, limit: i64) -> Result<Vec<JobRunRow>, StoreError> {
        Ok(sqlx::query_as(
            "SELECT job, period_key, instance, started_at, finished_at, outcome, detail FROM job_runs \
             ORDER BY started_at DESC LIMIT $1",
        )
        .bind(limit)
        .fetch_all(self.pool())
        .await?)
    }
}
