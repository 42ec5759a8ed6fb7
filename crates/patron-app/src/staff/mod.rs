//! Staff administration: first-run set-up, creating and inviting accounts, changing roles and
//! stores, disabling, and password-reset links. The rules that keep privileges in check:
//! nobody hands out, or manages an account holding, a role with capabilities they do not hold
//! themselves (`roles.rs`), store-bound staff act only within their own store, and the last
//! active administrator cannot be removed.

pub(crate) mod day_limits;
pub(crate) mod roles;

use crate::credentials::{self, token_hash};
use crate::i18n::both;
use crate::outbox::DEFAULT_MAX_ATTEMPTS;
use crate::security::Principal;
use crate::{App, AppError};
use jiff::SignedDuration;
use patron_domain::password::NewPassword;
use patron_domain::staff::StaffStatus;
use patron_domain::staff::{DisplayName, Email, Username};
use patron_domain::store::StoreStatus;
use patron_domain::{Actor, FieldError, Role};
use patron_store::Scope;
use patron_store::messages::outbox::NewMessage;
use patron_store::staff::NewStaff;
pub use patron_store::staff::StaffRow;
use patron_store::staff::links::NewLink;

/// The editable fields of an account, as submitted.
#[derive(Debug, Clone, Default)]
pub struct StaffInput {
    pub username: String,
    pub display_name: String,
    pub email: String,
    pub role: String,
    pub store_id: Option<i64>,
}

/// How a new account gets its first password.
#[derive(Debug, Clone)]
pub enum FirstPassword {
    /// Set by the creator; the holder must change it at first sign-in.
    Set(String),
    /// An e-mailed invitation link where the holder chooses it.
    Invite,
}

struct Checked {
    username: Username,
    display_name: DisplayName,
    email: Option<Email>,
    role: Role,
    store_id: Option<i64>,
}

impl App {
    /// The audit actor of a use case: the principal, or the operator at the command line.
    pub(crate) fn actor_of(by: Option<&Principal>, request_id: Option<String>) -> Actor {
        match by {
            Some(p) => p.actor(request_id),
            None => Actor::cli("operator"),
        }
    }

    async fn check_staff_input(
        &self,
        by: Option<&Principal>,
        input: &StaffInput,
    ) -> Result<Checked, AppError> {
        let username = Username::parse(&input.username)?;
        let display_name = DisplayName::parse(&input.display_name)?;
        let email = if input.email.trim().is_empty() {
            None
        } else {
            Some(Email::parse(&input.email)?)
        };
        let role = Role::parse(&input.role).ok_or(FieldError::new("role", "error.role.invalid"))?;
        let store_id = if role.is_chain_wide() {
            None
        } else {
            let id = input
                .store_id
                .ok_or(FieldError::new("store_id", "error.staff.store_required"))?;
            let store = self
                .db
                .get_store(Scope::Chain, id)
                .await
                .map_err(|_| FieldError::new("store_id", "error.store.unknown"))?;
            if store.status != StoreStatus::Open {
                return Err(FieldError::new("store_id", "error.store.closed").into());
            }
            Some(id)
        };
        if let Some(p) = by
            && !p.scope().allows(store_id)
        {
            return Err(AppError::Forbidden);
        }
        self.ensure_may_manage(by, role).await?;
        Ok(Checked {
            username,
            display_name,
            email,
            role,
            store_id,
        })
    }

    /// First-run set-up: creates the first administrator. Fails once set-up is done. With
    /// `must_change_password` the password is one-time (the demo's printed password).
    pub async fn create_first_admin(
        &self,
        input: &StaffInput,
        password: &str,
        must_change_password: bool,
        request_id: Option<String>,
    ) -> Result<i64, AppError> {
        let input = StaffInput {
            role: Role::Admin.as_str().into(),
            store_id: None,
            ..input.clone()
        };
        // Refused before any work: after set-up this form is open to anyone, and a password
        // hash costs real CPU and memory.
        if self.db.setup_done().await? {
            return Err(AppError::Conflict {
                key: "error.setup.done",
                field: None,
            });
        }
        let c = self.check_staff_input(None, &input).await?;
        let pw = NewPassword::parse(password, c.username.as_str())?;
        let hash = self.passwords.hash(pw.expose()).await?;
        let staff = NewStaff {
            username: c.username.as_str(),
            display_name: c.display_name.as_str(),
            email: c.email.as_ref().map(Email::as_str),
            role: Role::Admin,
            store_id: None,
            password_hash: Some(&hash),
            must_change_password,
            status: StaffStatus::Active,
        };
        Ok(self
            .db
            .create_first_admin(&Actor::anonymous(request_id), &staff, self.now())
            .await?)
    }

    /// Creates an account. `by` is `None` for the operator's CLI.
    pub async fn create_staff(
        &self,
        by: Option<&Principal>,
        input: &StaffInput,
        first: FirstPassword,
        request_id: Option<String>,
    ) -> Result<i64, AppError> {
        let c = self.check_staff_input(by, input).await?;
        let actor = Self::actor_of(by, request_id);
        let now = self.now();
        let mut staff = NewStaff {
            username: c.username.as_str(),
            display_name: c.display_name.as_str(),
            email: c.email.as_ref().map(Email::as_str),
            role: c.role,
            store_id: c.store_id,
            password_hash: None,
            must_change_password: false,
            status: StaffStatus::Active,
        };
        match first {
            FirstPassword::Set(pw) => {
                let pw = NewPassword::parse(&pw, c.username.as_str())?;
                let hash = self.passwords.hash(pw.expose()).await?;
                staff.password_hash = Some(&hash);
                staff.must_change_password = by.is_some();
                Ok(self.db.create_staff(&actor, &staff, now).await?)
            }
            FirstPassword::Invite => {
                let email = c
                    .email
                    .as_ref()
                    .ok_or(FieldError::new("email", "error.email.required_for_invite"))?;
                staff.status = StaffStatus::Invited;
                let token = credentials::random_token(32);
                let url = format!("{}/invite/{token}", self.config.public_url());
                let body = invitation_body(
                    c.display_name.as_str(),
                    c.username.as_str(),
                    &url,
                    self.config.security.link_valid_hours,
                );
                let subject = both("mail.invite_subject", " / ", &[]);
                let message = self.staff_mail(email.as_str(), "staff_invite", &subject, &body);
                let hash = token_hash(&token);
                let link = self.link("invite", &hash);
                Ok(self
                    .db
                    .invite_staff(&actor, &staff, &link, &message, now)
                    .await?)
            }
        }
    }

    fn link<'a>(&self, purpose: &'a str, hash: &'a str) -> NewLink<'a> {
        NewLink {
            purpose,
            token_hash: hash,
            expires_at: self.now()
                + SignedDuration::from_hours(self.config.security.link_valid_hours),
        }
    }

    pub(crate) fn staff_mail<'a>(
        &'a self,
        to: &'a str,
        purpose: &'a str,
        subject: &'a str,
        body: &'a str,
    ) -> NewMessage<'a> {
        NewMessage::plain(
            self.keys.as_ref(),
            "email",
            purpose,
            to,
            subject,
            body,
            DEFAULT_MAX_ATTEMPTS,
        )
    }

    pub async fn update_staff(
        &self,
        by: Option<&Principal>,
        id: i64,
        input: &StaffInput,
        request_id: Option<String>,
    ) -> Result<(), AppError> {
        let scope = by.map(Principal::scope).unwrap_or(Scope::Chain);
        let current = self.db.get_staff(scope, id).await?;
        self.ensure_may_manage(by, current.role).await?;
        let input = StaffInput {
            username: current.username.clone(),
            ..input.clone()
        };
        let c = self.check_staff_input(by, &input).await?;
        if let Some(p) = by
            && p.staff_id == id
            && c.role != current.role
        {
            return Err(AppError::Conflict {
                key: "error.staff.own_role",
                field: Some("role"),
            });
        }
        if current.role == Role::Admin
            && c.role != Role::Admin
            && current.status == StaffStatus::Active
        {
            self.ensure_other_admin().await?;
        }
        let actor = Self::actor_of(by, request_id);
        self.db
            .update_staff(
                &actor,
                scope,
                id,
                c.display_name.as_str(),
                c.email.as_ref().map(Email::as_str),
                c.role,
                c.store_id,
                self.now(),
            )
            .await?;
        Ok(())
    }

    async fn ensure_other_admin(&self) -> Result<(), AppError> {
        if self.db.count_active_admins().await? <= 1 {
            return Err(AppError::Conflict {
                key: "error.staff.last_admin",
                field: None,
            });
        }
        Ok(())
    }

    /// Disables or re-enables an account. Disabling ends its sessions at once.
    pub async fn set_staff_active(
        &self,
        by: Option<&Principal>,
        id: i64,
        active: bool,
        request_id: Option<String>,
    ) -> Result<(), AppError> {
        let scope = by.map(Principal::scope).unwrap_or(Scope::Chain);
        let current = self.db.get_staff(scope, id).await?;
        if by.is_some_and(|p| p.staff_id == id) {
            return Err(AppError::Conflict {
                key: "error.staff.self_disable",
                field: None,
            });
        }
        self.ensure_may_manage(by, current.role).await?;
        if !active && current.role == Role::Admin && current.status == StaffStatus::Active {
            self.ensure_other_admin().await?;
        }
        let status = if active {
            StaffStatus::Active
        } else {
            StaffStatus::Disabled
        };
        if current.status == StaffStatus::Invited && active {
            return Ok(());
        }
        self.db
            .set_staff_status(
                &Self::actor_of(by, request_id),
                scope,
                id,
                status,
                self.now(),
            )
            .await?;
        Ok(())
    }

    /// E-mails the account a password-reset link.
    pub async fn send_reset_link(
        &self,
        by: Option<&Principal>,
        id: i64,
        request_id: Option<String>,
    ) -> Result<(), AppError> {
        let scope = by.map(Principal::scope).unwrap_or(Scope::Chain);
        let staff = self.db.get_staff(scope, id).await?;
        self.ensure_may_manage(by, staff.role).await?;
        let email = staff
            .email
            .clone()
            .ok_or(FieldError::new("email", "error.email.required_for_reset"))?;
        let token = credentials::random_token(32);
        let url = format!("{}/reset/{token}", self.config.public_url());
        let body = reset_body(
            &staff.display_name,
            &staff.username,
            &url,
            self.config.security.link_valid_hours,
        );
        let subject = both("mail.reset_subject", " / ", &[]);
        let message = self.staff_mail(&email, "staff_reset", &subject, &body);
        let hash = token_hash(&token);
        let link = self.link("reset", &hash);
        self.db
            .create_reset_link(
                &Self::actor_of(by, request_id),
                id,
                &link,
                &message,
                self.now(),
            )
            .await?;
        Ok(())
    }

    /// Sets a new one-time password for an account (operator CLI); returns it, to show once.
    pub async fn reset_password_to_temporary(&self, username: &str) -> Result<String, AppError> {
        let name = Username::parse(username)?;
        let staff = self
            .db
            .staff_by_username(name.as_str())
            .await?
            .ok_or(AppError::NotFound)?;
        let password = credentials::random_token(10);
        let hash = self.passwords.hash(&password).await?;
        self.db
            .set_password(
                &Actor::cli("operator"),
                staff.id,
                &hash,
                true,
                None,
                self.now(),
            )
            .await?;
        Ok(password)
    }

    /// Who a live link is for (to greet them on the form).
    pub async fn peek_link(&self, purpose: &str, token: &str) -> Result<String, AppError> {
        let found = self
            .db
            .peek_link(purpose, &token_hash(token), self.now())
            .await?;
        found
            .map(|(_, username)| username)
            .ok_or(AppError::NotFound)
    }

    /// Uses an invitation or reset link to set a password.
    pub async fn accept_link(
        &self,
        purpose: &str,
        token: &str,
        password: &str,
    ) -> Result<i64, AppError> {
        let username = self.peek_link(purpose, token).await?;
        let pw = NewPassword::parse(password, &username)?;
        let hash = self.passwords.hash(pw.expose()).await?;
        Ok(self
            .db
            .consume_link(purpose, &token_hash(token), &hash, self.now())
            .await?)
    }
}

// Account mail goes out in both languages: whoever opens it has not chosen one yet.
fn invitation_body(name: &str, username: &str, url: &str, hours: i64) -> String {
    account_mail("mail.invite_body", name, username, url, hours)
}

fn reset_body(name: &str, username: &str, url: &str, hours: i64) -> String {
    account_mail("mail.reset_body", name, username, url, hours)
}

fn account_mail(key: &str, name: &str, username: &str, url: &str, hours: i64) -> String {
    let hours = hours.to_string();
    let args = [
        ("name", name),
        ("username", username),
        ("url", url),
        ("hours", hours.as_str()),
    ];
    format!("{}\n", both(key, "\n\n---\n\n", &args))
}

impl App {
    /// Whether the first administrator exists (until then every page leads to set-up).
    pub async fn setup_done(&self) -> Result<bool, AppError> {
        Ok(self.db.setup_done().await?)
    }

    /// One staff member's account, within the caller's scope.
    pub async fn staff_member(&self, scope: Scope, id: i64) -> Result<StaffRow, AppError> {
        Ok(self.db.get_staff(scope, id).await?)
    }

    /// Every staff account in scope, with the details the staff page shows.
    pub async fn staff_accounts(&self, scope: Scope) -> Result<Vec<StaffRow>, AppError> {
        Ok(self.db.list_staff(scope).await?)
    }

    /// The account with this user name, if any.
    pub async fn staff_by_username(&self, name: &Username) -> Result<Option<StaffRow>, AppError> {
        Ok(self.db.staff_by_username(name.as_str()).await?)
    }
}
