//! A person's live sessions: listing them, ending all but the current one, and a staff
//! manager ending all of someone's (a lost tablet, a person leaving).

use super::{Principal, Via};
use crate::{App, AppError};
use jiff::SignedDuration;
use patron_store::Scope;
use patron_store::security::sessions::SessionSummary;

impl App {
    /// The caller's live sessions, newest first.
    pub async fn my_sessions(&self, p: &Principal) -> Result<Vec<SessionSummary>, AppError> {
        let now = self.now();
        let idle = SignedDuration::from_mins(self.config.security.session_idle_minutes);
        Ok(self.db.list_sessions(p.staff_id, now, now - idle).await?)
    }

    /// Ends the caller's sessions except the one making the request; returns how many ended.
    pub async fn end_my_other_sessions(
        &self,
        p: &Principal,
        request_id: Option<String>,
    ) -> Result<u64, AppError> {
        let keep = match p.via {
            Via::Session { id, .. } => Some(id),
            Via::Token { .. } => None,
        };
        Ok(self
            .db
            .end_sessions(&p.actor(request_id), p.staff_id, keep, self.now())
            .await?)
    }

    /// Ends every session of account `id` (within the caller's scope, and only for an account
    /// whose role the caller may manage); the caller's own current session survives.
    pub async fn end_staff_sessions(
        &self,
        by: Option<&Principal>,
        id: i64,
        request_id: Option<String>,
    ) -> Result<u64, AppError> {
        let scope = by.map(Principal::scope).unwrap_or(Scope::Chain);
        let target = self.db.get_staff(scope, id).await?;
        self.ensure_may_manage(by, target.role).await?;
        let keep = by.and_then(|p| match p.via {
            Via::Session { id: own, .. } if p.staff_id == id => Some(own),
            _ => None,
        });
        Ok(self
            .db
            .end_sessions(&Self::actor_of(by, request_id), id, keep, self.now())
            .await?)
    }
}
