//! A partial update of a customer file, as the API sends it: the fields given replace the
//! stored ones, the others keep their values; the answer is the file read back as the API
//! reads it (masked, audited, counted against the caller's read limit).

use super::api_reads::RevealRequest;
use super::{Customer, CustomerEdit};
use crate::security::Principal;
use crate::{App, AppError};
use patron_domain::customers::Profile;

/// Fields to change; `None` keeps the stored value.
#[derive(Debug, Clone, Default)]
pub struct CustomerPatch {
    pub name: Option<String>,
    pub gender: Option<String>,
    pub birthday: Option<String>,
    pub lunar_birthday: Option<String>,
    pub mobile: Option<String>,
    pub other_phones: Option<Vec<String>>,
    pub email: Option<String>,
    pub addresses: Option<Vec<String>>,
    pub id_number: Option<String>,
    pub notes: Option<String>,
    pub source: Option<String>,
    pub guardian_consent: Option<bool>,
    pub profile: Option<Profile>,
    pub tags: Option<Vec<String>>,
    /// `Some(None)` removes the owner.
    pub owner_staff_id: Option<Option<i64>>,
    /// The customer confirmed the file today (resets the re-verification clock).
    pub verified: bool,
}

impl App {
    /// Applies `patch` to file `id` and reads it back as the API answers (masked).
    pub async fn patch_customer(
        &self,
        by: &Principal,
        request_id: Option<String>,
        id: i64,
        patch: CustomerPatch,
    ) -> Result<Customer, AppError> {
        let actor = by.actor(request_id.clone());
        let c = self.view_customer(&actor, by.scope(), id).await?;
        let mut input = c.to_input();
        let set = |target: &mut String, v: Option<String>| {
            if let Some(v) = v {
                *target = v;
            }
        };
        set(&mut input.name, patch.name);
        set(&mut input.gender, patch.gender);
        set(&mut input.birthday, patch.birthday);
        set(&mut input.lunar_birthday, patch.lunar_birthday);
        set(&mut input.mobile, patch.mobile);
        set(&mut input.email, patch.email);
        set(&mut input.id_number, patch.id_number);
        set(&mut input.notes, patch.notes);
        set(&mut input.source, patch.source);
        if let Some(v) = patch.other_phones {
            input.other_phones = v;
        }
        if let Some(v) = patch.addresses {
            input.addresses = v;
        }
        if let Some(v) = patch.guardian_consent {
            input.guardian_consent = v;
        }
        if let Some(v) = patch.profile {
            input.profile = v;
        }
        let edit = CustomerEdit {
            input,
            tags: patch.tags.unwrap_or_else(|| c.tags.clone()),
            owner_staff_id: patch.owner_staff_id.unwrap_or(c.owner_staff_id),
            verified: patch.verified,
        };
        self.update_customer(&actor, by.scope(), id, &edit).await?;
        let (c, _) = self
            .api_customer(by, request_id, id, &RevealRequest::default())
            .await?;
        Ok(c)
    }
}
