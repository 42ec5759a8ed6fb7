//! Who may act on a role: editing a role's capability set, and managing the accounts that hold
//! a role. One rule for both: nobody acts on a role that holds something they do not hold
//! (or on the admin role unless they are an admin), and nobody edits their own role's set.

use crate::security::Principal;
use crate::{App, AppError};
use patron_domain::{Capability, Role};
use std::collections::BTreeSet;

impl App {
    /// Refuses when `by` may not manage accounts holding `role`: the role is admin and `by` is
    /// not, or the role holds a capability `by` lacks. The operator's CLI (`None`) may.
    pub(crate) async fn ensure_may_manage(
        &self,
        by: Option<&Principal>,
        role: Role,
    ) -> Result<(), AppError> {
        let Some(p) = by else {
            return Ok(());
        };
        if p.role == Role::Admin {
            return Ok(());
        }
        if role == Role::Admin
            || !self
                .db
                .role_capabilities(role)
                .await?
                .is_subset(&p.capabilities)
        {
            return Err(AppError::Forbidden);
        }
        Ok(())
    }

    /// Replaces an editable role's capability set. The caller's own role is off limits (a
    /// role would otherwise widen itself), and so is a role, old or new set, holding
    /// capabilities the caller lacks.
    pub async fn set_role_capabilities(
        &self,
        by: &Principal,
        role: Role,
        caps: &BTreeSet<Capability>,
        request_id: Option<String>,
    ) -> Result<(), AppError> {
        // The admin role is not editable at all: the store refuses it, with its own answer.
        if role.is_editable() {
            if by.role == role {
                return Err(AppError::Forbidden);
            }
            self.ensure_may_manage(Some(by), role).await?;
            if by.role != Role::Admin && !caps.is_subset(&by.capabilities) {
                return Err(AppError::Forbidden);
            }
        }
        self.db
            .set_role_capabilities(&by.actor(request_id), role, caps, self.now())
            .await?;
        Ok(())
    }
}

impl App {
    /// What a role may do, as configured.
    pub async fn role_capabilities(
        &self,
        role: patron_domain::Role,
    ) -> Result<std::collections::BTreeSet<patron_domain::Capability>, AppError> {
        Ok(self.db.role_capabilities(role).await?)
    }
}
