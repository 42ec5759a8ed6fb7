//! Signing in and staying signed in: password checks with throttling, server-side sessions
//! with idle and absolute expiry, the TOTP second step and enrolment, forced password
//! changes, and the principals behind API tokens and till keys.

use crate::credentials::{self, token_hash};
use crate::{App, AppError};
use jiff::{SignedDuration, Timestamp};
use patron_domain::password::NewPassword;
use patron_domain::staff::Username;
use patron_domain::{Actor, ActorKind, AuditEvent, Capability, Outcome, Role, totp};
use patron_store::Scope;
use patron_store::sessions::NewSession;
use patron_store::staff::StaffRow;
use patron_store::throttle::ThrottleRule;
use std::collections::BTreeSet;

/// How far a session has got through signing in. Only `Full` reaches the console; the others
/// are limited to the one page that completes them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Stage {
    Full,
    Totp,
    Enrol,
    ChangePassword,
}

impl Stage {
    pub fn as_str(self) -> &'static str {
        match self {
            Stage::Full => "full",
            Stage::Totp => "totp",
            Stage::Enrol => "enrol",
            Stage::ChangePassword => "change_password",
        }
    }

    fn parse(s: &str) -> Stage {
        match s {
            "full" => Stage::Full,
            "totp" => Stage::Totp,
            "enrol" => Stage::Enrol,
            _ => Stage::ChangePassword,
        }
    }
}

/// How a staff principal authenticated.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Via {
    Session { id: i64, csrf: String, stage: Stage },
    Token { id: i64 },
}

/// A signed-in staff member (by session or personal token), with what their role allows.
#[derive(Debug, Clone)]
pub struct Principal {
    pub staff_id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub store_id: Option<i64>,
    pub capabilities: BTreeSet<Capability>,
    pub via: Via,
}

impl Principal {
    /// Chain-wide roles see the chain; the others their own store, or nothing if unassigned.
    pub fn scope(&self) -> Scope {
        if self.role.is_chain_wide() {
            Scope::Chain
        } else {
            Scope::Store(self.store_id.unwrap_or(-1))
        }
    }

    pub fn can(&self, cap: Capability) -> bool {
        self.capabilities.contains(&cap)
    }

    pub fn stage(&self) -> Stage {
        match &self.via {
            Via::Session { stage, .. } => *stage,
            Via::Token { .. } => Stage::Full,
        }
    }

    pub fn actor(&self, request_id: Option<String>) -> Actor {
        Actor {
            kind: match self.via {
                Via::Session { .. } => ActorKind::Staff,
                Via::Token { .. } => ActorKind::ApiToken,
            },
            id: Some(self.staff_id),
            name: self.username.clone(),
            role: Some(self.role),
            store_id: self.store_id,
            request_id,
        }
    }
}

/// A till, authenticated by its store-bound API key.
#[derive(Debug, Clone)]
pub struct Till {
    pub key_id: i64,
    pub key_name: String,
    pub store_id: i64,
    pub store_code: String,
}

impl Till {
    pub fn actor(&self, request_id: Option<String>) -> Actor {
        Actor {
            kind: ActorKind::ApiKey,
            id: Some(self.key_id),
            name: self.key_name.clone(),
            role: None,
            store_id: Some(self.store_id),
            request_id,
        }
    }
}

/// A new session: the cookie value (shown once, stored hashed) and the CSRF token.
#[derive(Debug, Clone)]
pub struct IssuedSession {
    pub token: String,
    pub csrf: String,
    pub stage: Stage,
}

impl App {
    fn rule(&self, max: i64) -> ThrottleRule {
        let s = &self.config.security;
        ThrottleRule {
            max_failures: max,
            window: SignedDuration::from_mins(s.login_window_minutes),
            lock_for: SignedDuration::from_mins(s.login_lock_minutes),
        }
    }

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
        let role = Role::parse(&staff.role).unwrap_or(Role::SalesAssociate);
        if staff.totp_enabled == 1 && !totp_done {
            Stage::Totp
        } else if staff.must_change_password == 1 {
            Stage::ChangePassword
        } else if staff.totp_enabled == 0 && self.requires_totp(role) {
            Stage::Enrol
        } else {
            Stage::Full
        }
    }

    /// Checks a username and password. Unknown users and wrong passwords get the same error
    /// after the same work; both count against the account's and the address's limits.
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
        let user_key = format!(
            "user:{}",
            if name.is_empty() {
                username.trim().to_lowercase()
            } else {
                name.clone()
            }
        );
        let ip_key = ip.map(|ip| format!("ip:{ip}"));
        let mut actor = Actor::anonymous(request_id);
        let locked_user = self
            .db
            .throttle_locked_until(&user_key, now)
            .await?
            .is_some();
        let locked_ip = match &ip_key {
            Some(k) => self.db.throttle_locked_until(k, now).await?.is_some(),
            None => false,
        };
        let staff = if name.is_empty() {
            None
        } else {
            self.db.staff_by_username(&name).await?
        };
        actor.id = staff.as_ref().map(|s| s.id);
        if locked_user || locked_ip {
            let event = AuditEvent {
                action: "auth.login".into(),
                target_kind: None,
                target_id: None,
                outcome: Outcome::Denied,
                detail: "throttled".into(),
            };
            self.db.record_audit(&actor, &event, now).await?;
            return Err(AppError::TooManyAttempts);
        }
        let usable = staff.as_ref().filter(|s| s.status == "active");
        let ok =
            credentials::verify_password(password, usable.and_then(|s| s.password_hash.as_deref()));
        let Some(staff) = usable.filter(|_| ok) else {
            self.db
                .throttle_fail(
                    &user_key,
                    self.rule(self.config.security.login_max_failures_per_account),
                    now,
                )
                .await?;
            if let Some(k) = &ip_key {
                self.db
                    .throttle_fail(
                        k,
                        self.rule(self.config.security.login_max_failures_per_ip),
                        now,
                    )
                    .await?;
            }
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
        self.db.throttle_clear(&user_key).await?;
        let stage = self.next_stage(staff, false);
        let issued = self.issue_session(staff.id, stage, now).await?;
        self.db.record_login(staff.id, now).await?;
        actor.name = staff.username.clone();
        actor.kind = ActorKind::Staff;
        actor.role = Role::parse(&staff.role);
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
        let now = self.now().as_millisecond();
        let idle_ms = self.config.security.session_idle_minutes * 60_000;
        if s.expires_at <= now || s.last_seen_at + idle_ms <= now || s.status != "active" {
            self.db.delete_session(s.session_id).await?;
            return Ok(None);
        }
        if now - s.last_seen_at > 60_000 {
            self.db.touch_session(s.session_id, self.now()).await?;
        }
        let Some(role) = Role::parse(&s.role) else {
            return Ok(None);
        };
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
        let Some(role) = Role::parse(&p.role) else {
            return Ok(None);
        };
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

    async fn advance(&self, p: &Principal, staff: &StaffRow) -> Result<Stage, AppError> {
        let stage = self.next_stage(staff, true);
        if let Via::Session { id, .. } = p.via {
            self.db.set_session_stage(id, stage.as_str()).await?;
        }
        Ok(stage)
    }

    /// The TOTP secret as stored: sealed under the data key, bound to the account's row.
    fn seal_totp(&self, staff_id: i64, secret_b32: &str) -> String {
        data_encoding::BASE64.encode(&self.keys.seal(
            "staff",
            "totp_secret",
            staff_id,
            secret_b32.as_bytes(),
        ))
    }

    /// The base32 secret of an account, if it has one that opens with our keys.
    fn open_totp(&self, staff: &StaffRow) -> Option<String> {
        let blob = data_encoding::BASE64
            .decode(staff.totp_secret.as_deref()?.as_bytes())
            .ok()?;
        let plain = self
            .keys
            .open("staff", "totp_secret", staff.id, &blob)
            .ok()?;
        String::from_utf8(plain).ok()
    }

    async fn check_code(&self, staff: &StaffRow, code: &str) -> Result<bool, AppError> {
        let secret = self
            .open_totp(staff)
            .as_deref()
            .and_then(credentials::decode_totp_secret);
        let Some(secret) = secret else {
            return Ok(false);
        };
        match totp::verify(&secret, code, self.now().as_second(), staff.totp_last_step) {
            Some(step) => Ok(self.db.use_totp_step(staff.id, step).await?),
            None => Ok(false),
        }
    }

    /// The second step of signing in. Wrong codes count against the account like passwords.
    pub async fn complete_totp(
        &self,
        p: &Principal,
        code: &str,
        request_id: Option<String>,
    ) -> Result<Stage, AppError> {
        let now = self.now();
        let key = format!("user:{}", p.username);
        if self.db.throttle_locked_until(&key, now).await?.is_some() {
            return Err(AppError::TooManyAttempts);
        }
        let staff = self.db.get_staff(Scope::Chain, p.staff_id).await?;
        if staff.totp_enabled != 1 || !self.check_code(&staff, code).await? {
            self.db
                .throttle_fail(
                    &key,
                    self.rule(self.config.security.login_max_failures_per_account),
                    now,
                )
                .await?;
            let event =
                AuditEvent::ok("auth.totp", "staff", p.staff_id).with_outcome(Outcome::Denied);
            self.db
                .record_audit(&p.actor(request_id), &event, now)
                .await?;
            return Err(AppError::Field(patron_domain::FieldError::new(
                "code",
                "error.totp.wrong",
            )));
        }
        self.db.throttle_clear(&key).await?;
        self.db
            .record_audit(
                &p.actor(request_id),
                &AuditEvent::ok("auth.totp", "staff", p.staff_id),
                now,
            )
            .await?;
        self.advance(p, &staff).await
    }

    /// Starts (or restarts) enrolment: a new secret, not yet active. Returns it in base32.
    pub async fn begin_totp_enrolment(
        &self,
        p: &Principal,
        request_id: Option<String>,
    ) -> Result<String, AppError> {
        let staff = self.db.get_staff(Scope::Chain, p.staff_id).await?;
        if staff.totp_enabled == 1 {
            return Err(AppError::Conflict {
                key: "error.totp.already",
                field: None,
            });
        }
        let secret = credentials::new_totp_secret();
        let sealed = self.seal_totp(p.staff_id, &secret);
        self.db
            .set_totp(
                &p.actor(request_id),
                p.staff_id,
                Some(&sealed),
                false,
                self.now(),
            )
            .await?;
        Ok(secret)
    }

    /// The pending secret, if enrolment has begun and is not yet confirmed.
    pub async fn pending_totp_secret(&self, p: &Principal) -> Result<Option<String>, AppError> {
        let staff = self.db.get_staff(Scope::Chain, p.staff_id).await?;
        Ok(if staff.totp_enabled == 0 {
            self.open_totp(&staff)
        } else {
            None
        })
    }

    /// Confirms enrolment with a first code from the app; the secret becomes active.
    pub async fn confirm_totp_enrolment(
        &self,
        p: &Principal,
        code: &str,
        request_id: Option<String>,
    ) -> Result<Stage, AppError> {
        let staff = self.db.get_staff(Scope::Chain, p.staff_id).await?;
        let Some(secret) = staff
            .totp_secret
            .clone()
            .filter(|_| staff.totp_enabled == 0)
        else {
            return Err(AppError::Conflict {
                key: "error.totp.not_started",
                field: None,
            });
        };
        if !self.check_code(&staff, code).await? {
            return Err(AppError::Field(patron_domain::FieldError::new(
                "code",
                "error.totp.wrong",
            )));
        }
        self.db
            .set_totp(
                &p.actor(request_id),
                p.staff_id,
                Some(&secret),
                true,
                self.now(),
            )
            .await?;
        let staff = self.db.get_staff(Scope::Chain, p.staff_id).await?;
        self.advance(p, &staff).await
    }

    /// Turns TOTP off, with a current code; refused for roles that require it.
    pub async fn disable_totp(
        &self,
        p: &Principal,
        code: &str,
        request_id: Option<String>,
    ) -> Result<(), AppError> {
        if self.requires_totp(p.role) {
            return Err(AppError::Conflict {
                key: "error.totp.required",
                field: None,
            });
        }
        let staff = self.db.get_staff(Scope::Chain, p.staff_id).await?;
        if !self.check_code(&staff, code).await? {
            return Err(AppError::Field(patron_domain::FieldError::new(
                "code",
                "error.totp.wrong",
            )));
        }
        self.db
            .set_totp(&p.actor(request_id), p.staff_id, None, false, self.now())
            .await?;
        Ok(())
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
        if !credentials::verify_password(current, staff.password_hash.as_deref()) {
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
        let hash = credentials::hash_password(new.expose())?;
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
