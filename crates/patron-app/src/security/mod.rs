//! Signing in and staying signed in: who a caller is (`Principal`, `Till`), the stages of
//! signing in, and the use cases in `signin` (password, sessions, tokens, till keys),
//! `second_factor` (TOTP) and `sessions` (a person's live sessions, and ending them); how
//! many tries they get (`attempts`); who the client is (`client_address`).

mod account;
mod attempts;
mod client_address;
pub mod rate_limit;
mod second_factor;
mod sessions;
mod signin;

pub use account::MyAccount;
pub use client_address::{Cidr, client_address};

use patron_domain::{Actor, ActorKind, Capability, Role};
use patron_store::Scope;
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

    /// Who a rate limit counts: the token or the session, not the staff member, so one
    /// leaked token is held back without stopping its owner's other sessions.
    pub fn caller(&self) -> rate_limit::Caller {
        match self.via {
            Via::Session { id, .. } => rate_limit::Caller::Session(id),
            Via::Token { id } => rate_limit::Caller::Token(id),
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
    /// The store's time zone: its day boundaries decide visits, months and bonus days.
    pub timezone: String,
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

/// The e-mail sent to an account's owner when someone gets past their password (subject and
/// body from the message catalogs, in both languages). It names no secret.
#[derive(Debug, Clone, Default)]
pub struct LockNotice {
    pub subject: String,
    pub body: String,
}
