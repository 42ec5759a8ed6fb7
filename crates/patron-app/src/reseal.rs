//! The key-rotation pass: every sealed value re-encrypted under the current data key while
//! the server runs. Customer profiles are rewritten a row at a time (their columns change
//! together); every other sealed column is listed in `patron_store::sealed::SEALED_COLUMNS`;
//! visit photos are files in the data folder, rewritten under the same name.

use crate::customers::sealing;
use crate::keyring::Keyring;
use crate::{App, AppError};
use data_encoding::BASE64;
use patron_store::sealed::{SEALED_COLUMNS, SealedColumn};

/// What a pass did.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Resealed {
    /// Rows and files now under the current key.
    pub done: u64,
    /// Rows changed while the pass read them; already under a key the server reads, and
    /// picked up by the next pass.
    pub skipped: u64,
}

impl App {
    /// Re-encrypts every sealed value under the current key, page by page.
    pub async fn reseal_all(&self) -> Result<Resealed, AppError> {
        self.seal_clear_profiles().await?;
        let mut r = self.reseal_profiles().await?;
        for col in SEALED_COLUMNS {
            self.reseal_column(col, &mut r).await?;
        }
        self.reseal_photos(&mut r).await?;
        Ok(r)
    }

    async fn reseal_profiles(&self) -> Result<Resealed, AppError> {
        let current = self.keys.current_version();
        let (mut r, mut after) = (Resealed::default(), 0);
        loop {
            let page = self.db.customers_after(after, 500).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for mut row in page {
                let id = row.id;
                let mut stale = false;
                for (column, value) in [
                    ("mobile", &mut row.mobile_enc),
                    ("phones", &mut row.phones_enc),
                    ("id_number", &mut row.id_number_enc),
                    ("email", &mut row.email_enc),
                    ("birthday", &mut row.birthday_enc),
                    ("address", &mut row.address_enc),
                    ("notes", &mut row.notes_enc),
                ] {
                    let Some(sealed) = value.as_deref() else {
                        continue;
                    };
                    if version(sealed) == Some(current) {
                        continue;
                    }
                    let plain = sealing::open(&self.keys, column, id, sealed)?;
                    *value = Some(sealing::seal(&self.keys, column, id, &plain));
                    stale = true;
                }
                if !row.profile.starts_with('{') && version(&row.profile) != Some(current) {
                    let plain = sealing::open_profile(&self.keys, id, &row.profile)?;
                    row.profile = sealing::seal_profile(&self.keys, id, &plain);
                    stale = true;
                }
                if stale {
                    if self.db.reseal_customer(&row, row.updated_at).await? {
                        r.done += 1;
                    } else {
                        r.skipped += 1;
                    }
                }
            }
        }
        Ok(r)
    }

    /// Seals the profiles of rows written before profiles were sealed (run at start-up and
    /// before a rotation pass); returns how many. A row changed meanwhile was sealed by its
    /// writer.
    pub async fn seal_clear_profiles(&self) -> Result<u64, AppError> {
        let (mut done, mut after) = (0, 0);
        loop {
            let page = self.db.clear_profiles(after, 500).await?;
            let Some(last) = page.last() else { break };
            after = last.0;
            for (id, json) in page {
                // Sealed as stored, not parsed and written again: a value today's `Profile`
                // does not read must not turn into an empty profile on the way.
                let sealed = sealing::seal(&self.keys, "profile", id, &json);
                if self.db.replace_profile(id, &json, &sealed).await? {
                    done += 1;
                }
            }
        }
        Ok(done)
    }

    async fn reseal_column(&self, col: &SealedColumn, r: &mut Resealed) -> Result<(), AppError> {
        let current = self.keys.current_version();
        let mut after = 0;
        loop {
            let page = self.db.sealed_values(col, after).await?;
            let Some(last) = page.last() else { break };
            after = last.0;
            for (id, bound_to, sealed) in page {
                let fail = |e: String| AppError::Internal(format!("{} of {id}: {e}", col.name()));
                let blob = BASE64
                    .decode(sealed.as_bytes())
                    .map_err(|_| fail("not base64".into()))?;
                if Keyring::version_of(&blob) == Some(current) {
                    continue;
                }
                let plain = self
                    .keys
                    .open(col.aad_table, col.aad_column, bound_to, &blob)
                    .map_err(|e| fail(e.to_string()))?;
                let fresh = self
                    .keys
                    .seal_text(col.aad_table, col.aad_column, bound_to, &plain);
                if self.db.reseal_value(col, id, &sealed, &fresh).await? {
                    r.done += 1;
                } else {
                    r.skipped += 1;
                }
            }
        }
        Ok(())
    }

    /// Visit photos: each file is sealed once and never edited, so it is rewritten under a
    /// temporary name and renamed over the old one.
    async fn reseal_photos(&self, r: &mut Resealed) -> Result<(), AppError> {
        let current = self.keys.current_version();
        let dir = self.photo_dir();
        let mut after = 0;
        loop {
            let page = self.db.visit_photos_after(after, 100).await?;
            let Some(last) = page.last() else { break };
            after = last.0;
            for (id, name) in page {
                let fail = |e: String| AppError::Internal(format!("visit photo {name}: {e}"));
                let path = dir.join(&name);
                let sealed = tokio::fs::read(&path)
                    .await
                    .map_err(|e| fail(e.to_string()))?;
                if Keyring::version_of(&sealed) == Some(current) {
                    continue;
                }
                let plain = self
                    .keys
                    .open("appointments", "proof_photo", id, &sealed)
                    .map_err(|e| fail(e.to_string()))?;
                let fresh = self.keys.seal("appointments", "proof_photo", id, &plain);
                crate::service::write_sealed_file(&path, &fresh)
                    .await
                    .map_err(|e| fail(e.to_string()))?;
                r.done += 1;
            }
        }
        Ok(())
    }
}

fn version(sealed: &str) -> Option<u8> {
    BASE64
        .decode(sealed.as_bytes())
        .ok()
        .and_then(|b| Keyring::version_of(&b))
}
