//! The signed-in person's own account page: who they are, their live sessions, their
//! personal API tokens and, while they set up a second factor, the secret to scan.

use super::Principal;
use crate::{App, AppError};
use patron_domain::Scope;
use patron_store::security::credentials::ApiTokenRow;
use patron_store::security::sessions::SessionSummary;
use patron_store::staff::StaffRow;

/// What the account page shows of its owner. No `Debug`: the staff row and the pending
/// secret are credentials.
#[derive(Clone)]
pub struct MyAccount {
    pub staff: StaffRow,
    pub sessions: Vec<SessionSummary>,
    pub tokens: Vec<ApiTokenRow>,
    /// The secret being enrolled, while the second factor is not on yet.
    pub pending_totp: Option<String>,
    /// Whether the person's role must sign in with a second factor.
    pub totp_required: bool,
}

impl App {
    /// The caller's own account, sessions and tokens.
    pub async fn my_account(&self, p: &Principal) -> Result<MyAccount, AppError> {
        let (staff, sessions, tokens) = tokio::try_join!(
            self.staff_member(Scope::Chain, p.staff_id),
            self.my_sessions(p),
            self.api_tokens(Scope::Chain, Some(p.staff_id)),
        )?;
        let pending_totp = if staff.totp_enabled {
            None
        } else {
            self.open_totp(&staff)
        };
        Ok(MyAccount {
            totp_required: self.requires_totp(p.role),
            staff,
            sessions,
            tokens,
            pending_totp,
        })
    }
}
