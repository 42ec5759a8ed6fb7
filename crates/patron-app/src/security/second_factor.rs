//! The second factor: TOTP secrets sealed at rest, the code step of signing in, enrolment
//! and turning it off.

use super::attempts::totp_key;
use super::{LockNotice, Principal, Stage};
use crate::credentials;
use crate::{App, AppError};
use patron_domain::{AuditEvent, Outcome, totp};
use patron_store::Scope;
use patron_store::messages::outbox::NewMessage;
use patron_store::security::throttle::Reserved;
use patron_store::staff::StaffRow;

impl App {
    /// The TOTP secret as stored: sealed under the data key, bound to the account's row.
    fn seal_totp(&self, staff_id: i64, secret_b32: &str) -> String {
        self.keys
            .seal_text("staff", "totp_secret", staff_id, secret_b32.as_bytes())
    }

    /// The base32 secret of an account, if it has one that opens with our keys.
    pub(super) fn open_totp(&self, staff: &StaffRow) -> Option<String> {
        let sealed = staff.totp_secret.as_deref()?;
        let plain = self
            .keys
            .open_text("staff", "totp_secret", staff.id, sealed)
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

    /// The second step of signing in. Wrong codes count against the account's own second-
    /// factor key, which a right password does not reset (a right code does); each code is counted before it is
    /// checked, so parallel guesses cannot pass the limit. The failure that locks the step
    /// tells the owner by e-mail (`notice`): whoever typed the codes knew the password.
    pub async fn complete_totp(
        &self,
        p: &Principal,
        code: &str,
        notice: &LockNotice,
        request_id: Option<String>,
    ) -> Result<Stage, AppError> {
        let now = self.now();
        let actor = p.actor(request_id);
        let reservation = match self
            .db
            .throttle_reserve(&totp_key(p.staff_id), self.totp_rule(), now)
            .await?
        {
            Reserved::Granted(r) => r,
            Reserved::Locked(_) => {
                let event = AuditEvent::ok("auth.totp", "staff", p.staff_id)
                    .with_outcome(Outcome::Denied)
                    .with_detail("throttled");
                self.db.record_audit(&actor, &event, now).await?;
                return Err(AppError::TooManyAttempts);
            }
        };
        let staff = self.db.get_staff(Scope::Chain, p.staff_id).await?;
        if !staff.totp_enabled || !self.check_code(&staff, code).await? {
            let locked = reservation.set_lock.is_some();
            let event = AuditEvent::ok("auth.totp", "staff", p.staff_id)
                .with_outcome(Outcome::Denied)
                .with_detail(if locked { "locked" } else { "wrong_code" });
            self.db.record_audit(&actor, &event, now).await?;
            if locked && let Some(to) = staff.email.as_deref().filter(|e| !e.is_empty()) {
                let mail = self.staff_mail(to, "staff_totp_locked", &notice.subject, &notice.body);
                self.db
                    .enqueue_message(
                        &NewMessage {
                            staff_id: Some(staff.id),
                            ..mail
                        },
                        now,
                    )
                    .await?;
            }
            return Err(AppError::Field(patron_domain::FieldError::new(
                "code",
                "error.totp.wrong",
            )));
        }
        // A right code comes only from the owner's app: the count starts again, so earlier
        // typos and one more later do not lock the owner out and tell them their password
        // is known. (A right password alone never resets it.)
        self.db.throttle_succeed(&totp_key(p.staff_id), now).await?;
        self.db
            .record_audit(
                &actor,
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
        if staff.totp_enabled {
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

    /// The secret the enrolment page shows: the one being enrolled, or a new enrolment.
    pub async fn totp_enrolment(
        &self,
        p: &Principal,
        request_id: Option<String>,
    ) -> Result<String, AppError> {
        match self.pending_totp_secret(p).await? {
            Some(secret) => Ok(secret),
            None => self.begin_totp_enrolment(p, request_id).await,
        }
    }

    /// The pending secret, if enrolment has begun and is not yet confirmed.
    pub async fn pending_totp_secret(&self, p: &Principal) -> Result<Option<String>, AppError> {
        let staff = self.db.get_staff(Scope::Chain, p.staff_id).await?;
        Ok(if !staff.totp_enabled {
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
        let Some(secret) = staff.totp_secret.clone().filter(|_| !staff.totp_enabled) else {
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
}
