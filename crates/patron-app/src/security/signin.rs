//! Password sign-in with throttling, sessions with idle and absolute expiry, personal tokens
//! and till keys, sign-out, and changing one's password.

use super::attempts::SigninKeys;
use super::{IssuedSession, Principal, Stage, Till, Via};
use crate::credentials::{self, token_hash};
use crate::{App, AppError};
use jiff::{SignedDuration, Timestamp};
use patron_domain::password::NewPassword;
use patron_domain::staff::StaffStatus;
use patron_domain::staff::Username;
use patron_domain::{Actor, ActorKind, AuditEvent, Outcome, Role};
use patron_store::Scope;
use patron_store::security::sessions::NewSession;
use patron_store::staff::StaffRow;

impl App {
    pub fn requires_totp(&self, role: Role) -> bool {
        self.config
            .security
            .totp_required_roles
            .iter()
            .any(|r| r == role.as_str())
    }

    /// The first unfinished step for an account that has proved its password (and, when
    /// `totp_done`, its second factor).
    fn next_stage(&self, staff: &StaffRow, totp_done: bool) -> Stage {
        let role = staff.role;
        if staff.totp_enabled && !totp_done {
            Stage::Totp
        } else if staff.must_change_password {
            Stage::ChangePassword
        } else if !staff.totp_enabled && self.requires_totp(role) {
            Stage::Enrol
        } else {
            Stage::Full
        }
    }

    /// Checks a username and password. Unknown users and wrong passwords get the same error
    /// after the same work; both count against the limits in `attempts`, counted before the
    /// password is checked so parallel guesses cannot pass them.
    pub async fn login(
        &self,
        username: &str,
        password: &str,
        ip: Option<&str>,
        request_id: Option<String>,
    ) -> Result<IssuedSession, AppError> {
        let now = self.now();
        let name = Username::parse(username)
            .map(|u| u.as_str().to_string())
            .unwrap_or_default();
        let account = if name.is_empty() {
            username.trim().to_lowercase()
        } else {
            name.clone()
        };
        let keys = SigninKeys::new(&account, ip);
        let mut actor = Actor::anonymous(request_id);
        let staff = if name.is_empty() {
            None
        } else {
            self.db.staff_by_username(&name).await?
        };
        actor.id = staff.as_ref().map(|s| s.id);
        let held = match self.reserve_password_attempt(&keys, now).await {
            Ok(held) => held,
            Err(e) => {
                if matches!(e, AppError::TooManyAttempts) {
                    let event = AuditEvent {
                        action: "auth.login".into(),
                        target_kind: None,
                        target_id: None,
                        outcome: Outcome::Denied,
                        detail: "throttled".into(),
                    };
                    self.db.record_audit(&actor, &event, now).await?;
                }
                return Err(e);
            }
        };
        let usable = staff.as_ref().filter(|s| s.status == StaffStatus::Active);
        let stored = usable.and_then(|s| s.password_hash.as_deref());
        let ok = match self.passwords.verify(password, stored).await {
            Ok(ok) => ok,
            Err(e) => {
                // Never checked (the server is busy): the attempt does not count.
                self.release_attempts(&held).await?;
                return Err(e);
            }
        };
        let Some(staff) = usable.filter(|_| ok) else {
            let detail = if staff.is_none() {
                "unknown_user"
            } else {
                "bad_credentials"
            };
            let event = AuditEvent {
                action: "auth.login".into(),
                target_kind: None,
                target_id: None,
                outcome: Outcome::Denied,
                detail: detail.into(),
            };
            self.db.record_audit(&actor, &event, now).await?;
            return Err(AppError::Unauthenticated);
        };
        // The right password: its pair starts afresh and remembers the address; on the
        // shared keys the attempt is given back (it was not a failure).
        self.db.throttle_succeed(&keys.pair, now).await?;
        let shared: Vec<_> = held.into_iter().filter(|r| r.key != keys.pair).collect();
        self.release_attempts(&shared).await?;
        let stage = self.next_stage(staff, false);
        let issued = self.issue_session(staff.id, stage, now).await?;
        self.db.record_login(staff.id, now).await?;
        actor.name = staff.username.clone();
        actor.kind = ActorKind::Staff;
        actor.role = Some(staff.role);
        actor.store_id = staff.store_id;
        self.db
            .record_audit(
                &actor,
                &AuditEvent::ok("auth.login", "staff", staff.id).with_detail(stage.as_str()),
                now,
            )
            .await?;
        Ok(issued)
    }

    async fn issue_session(
        &self,
        staff_id: i64,
        stage: Stage,
        now: Timestamp,
    ) -> Result<IssuedSession, AppError> {
        let token = credentials::random_token(32);
        let csrf = credentials::random_token(20);
        let expires_at =
            now + SignedDuration::from_hours(self.config.security.session_absolute_hours);
        self.db
            .create_session(
                &NewSession {
                    token_hash: &token_hash(&token),
                    staff_id,
                    csrf_token: &csrf,
                    stage: stage.as_str(),
                    expires_at,
                },
                now,
            )
            .await?;
        Ok(IssuedSession { token, csrf, stage })
    }

    /// The principal behind a session cookie, if the session is live. Expired sessions are
    /// deleted on sight; live ones have their idle timer reset (at most once a minute).
    pub async fn session_principal(&self, token: &str) -> Result<Option<Principal>, AppError> {
        let Some(s) = self.db.session_by_token(&token_hash(token)).await? else {
            return Ok(None);
        };
        let now = self.now();
        let idle = SignedDuration::from_mins(self.config.security.session_idle_minutes);
        let seen_ago = now.duration_since(s.last_seen_at);
        if s.expires_at <= now || seen_ago >= idle || s.status != StaffStatus::Active {
            self.db.delete_session(s.session_id).await?;
            return Ok(None);
        }
        if seen_ago > SignedDuration::from_mins(1) {
            self.db.touch_session(s.session_id, now).await?;
        }
        let role = s.role;
        Ok(Some(Principal {
            staff_id: s.staff_id,
            username: s.username,
            display_name: s.display_name,
            role,
            store_id: s.store_id,
            capabilities: self.db.role_capabilities(role).await?,
            via: Via::Session {
                id: s.session_id,
                csrf: s.csrf_token,
                stage: Stage::parse(&s.stage),
            },
        }))
    }

    pub async fn token_principal(&self, bearer: &str) -> Result<Option<Principal>, AppError> {
        let Some(p) = self
            .db
            .authenticate_token(&token_hash(bearer), self.now())
            .await?
        else {
            return Ok(None);
        };
        let role = p.role;
        Ok(Some(Principal {
            staff_id: p.staff_id,
            display_name: p.username.clone(),
            username: p.username,
            role,
            store_id: p.store_id,
            capabilities: self.db.role_capabilities(role).await?,
            via: Via::Token { id: p.token_id },
        }))
    }

    pub async fn till(&self, bearer: &str) -> Result<Option<Till>, AppError> {
        Ok(self
            .db
            .authenticate_key(&token_hash(bearer), self.now())
            .await?
            .map(|k| Till {
                key_id: k.key_id,
                key_name: k.key_name,
                store_id: k.store_id,
                store_code: k.store_code,
                timezone: k.store_timezone,
            }))
    }

    pub async fn logout(&self, p: &Principal, request_id: Option<String>) -> Result<(), AppError> {
        if let Via::Session { id, .. } = p.via {
            self.db.delete_session(id).await?;
            self.db
                .record_audit(
                    &p.actor(request_id),
                    &AuditEvent::ok("auth.logout", "staff", p.staff_id),
                    self.now(),
                )
                .await?;
        }
        Ok(())
    }

    pub(super) async fn advance(&self, p: &Principal, staff: &StaffRow) -> Result<Stage, AppError> {
        let stage = self.next_stage(staff, true);
        if let Via::Session { id, .. } = p.via {
            self.db.set_session_stage(id, stage.as_str()).await?;
        }
        Ok(stage)
    }

    /// Changes one's own password (the current one is required). Other sessions end.
    pub async fn change_password(
        &self,
        p: &Principal,
        current: &str,
        new: &str,
        request_id: Option<String>,
    ) -> Result<Stage, AppError> {
        let staff = self.db.get_staff(Scope::Chain, p.staff_id).await?;
        if !self
            .passwords
            .verify(current, staff.password_hash.as_deref())
            .await?
        {
            return Err(AppError::Field(patron_domain::FieldError::new(
                "current_password",
                "error.password.wrong",
            )));
        }
        let new = NewPassword::parse(new, &staff.username)?;
        if current == new.expose() {
            return Err(AppError::Field(patron_domain::FieldError::new(
                "password",
                "error.password.same",
            )));
        }
        let hash = self.passwords.hash(new.expose()).await?;
        let keep = match p.via {
            Via::Session { id, .. } => Some(id),
            Via::Token { .. } => None,
        };
        self.db
            .set_password(
                &p.actor(request_id),
                p.staff_id,
                &hash,
                false,
                keep,
                self.now(),
            )
            .await?;
        let staff = self.db.get_staff(Scope::Chain, p.staff_id).await?;
        self.advance(p, &staff).await
    }
}
