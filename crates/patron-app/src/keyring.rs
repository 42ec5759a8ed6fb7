//! Keys for personal data at rest. Field values are sealed with XChaCha20-Poly1305 under a
//! versioned data key, with the table, column and row id bound as associated data, so a
//! ciphertext copied to another row or column does not open. Exact-match lookups (phone, ID
//! number, last four digits) use keyed HMAC-SHA256 blind indexes under a separate key.
//!
//! The audit log's key is derived from the index key (see `audit_key`).
//!
//! The key file lives in the data folder (`keys/patron.keys`), never in the database, and
//! must be readable by its owner only: Patron refuses to start otherwise.

use crate::credentials::random_bytes;
use crate::datadir;
use chacha20poly1305::XChaCha20Poly1305;
use chacha20poly1305::aead::{Aead, KeyInit, Payload};
use data_encoding::{BASE64, HEXLOWER};
use hmac::{Hmac, Mac};
use patron_domain::audit::AuditKey;
use sha2::Sha256;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::{Mutex, RwLock};
use std::time::{Duration, Instant, SystemTime};

const NONCE_LEN: usize = 24;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum KeyError {
    #[error(
        "key file {0} is missing; restore it from your key backup (data encrypted with it cannot be read without it)"
    )]
    Missing(String),
    #[error("key file {0} is readable by other users; run `chmod 600 {0}`")]
    TooOpen(String),
    #[error("key file {0} is damaged: {1}")]
    Damaged(String, String),
    #[error("cannot write key file {0}: {1}")]
    Write(String, String),
    #[error("a value could not be decrypted (wrong key, wrong place, or tampered with)")]
    Open,
}

/// The loaded keys. Not `Debug`: it holds secrets.
///
/// `patron keys rotate` may add a key while a server runs. The server then opens values
/// sealed under the new key by re-reading the file when it meets an unknown version, and
/// starts sealing with the new key once it notices the file changed (checked at most every
/// 30 seconds), so rotation needs no restart.
pub struct Keyring {
    path: PathBuf,
    state: RwLock<KeyState>,
    checked: Mutex<Instant>,
}

#[derive(Clone)]
struct KeyState {
    current: u8,
    data: BTreeMap<u8, Vec<u8>>,
    index: Vec<u8>,
    modified: Option<SystemTime>,
}

const RECHECK: Duration = Duration::from_secs(30);

#[derive(serde::Serialize, serde::Deserialize)]
#[serde(deny_unknown_fields)]
struct KeyFile {
    current: u8,
    index: String,
    data: BTreeMap<String, String>,
}

pub fn key_path(data_dir: &Path) -> PathBuf {
    data_dir.join("keys").join("patron.keys")
}

impl Keyring {
    /// Loads the key file; refuses a missing or over-readable one.
    pub fn load(data_dir: &Path) -> Result<Keyring, KeyError> {
        let path = key_path(data_dir);
        let shown = path.display().to_string();
        if !path.exists() {
            return Err(KeyError::Missing(shown));
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path)
                .map_err(|e| KeyError::Damaged(shown.clone(), e.to_string()))?
                .permissions()
                .mode();
            if mode & 0o077 != 0 {
                return Err(KeyError::TooOpen(shown));
            }
        }
        let text = std::fs::read_to_string(&path)
            .map_err(|e| KeyError::Damaged(shown.clone(), e.to_string()))?;
        let file: KeyFile =
            toml::from_str(&text).map_err(|e| KeyError::Damaged(shown.clone(), e.to_string()))?;
        let decode = |s: &str| BASE64.decode(s.as_bytes()).ok().filter(|k| k.len() == 32);
        let index = decode(&file.index)
            .ok_or_else(|| KeyError::Damaged(shown.clone(), "index key".into()))?;
        let mut data = BTreeMap::new();
        for (version, key) in &file.data {
            let v: u8 = version
                .parse()
                .map_err(|_| KeyError::Damaged(shown.clone(), format!("key version {version}")))?;
            data.insert(
                v,
                decode(key).ok_or_else(|| {
                    KeyError::Damaged(shown.clone(), format!("data key {version}"))
                })?,
            );
        }
        if !data.contains_key(&file.current) {
            return Err(KeyError::Damaged(
                shown,
                format!("current key {} is not in the file", file.current),
            ));
        }
        Ok(Keyring::with_state(
            path.clone(),
            KeyState {
                current: file.current,
                data,
                index,
                modified: modified(&path),
            },
        ))
    }

    fn with_state(path: PathBuf, state: KeyState) -> Keyring {
        Keyring {
            path,
            state: RwLock::new(state),
            checked: Mutex::new(Instant::now()),
        }
    }

    fn state(&self) -> KeyState {
        self.state.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// Re-reads the key file (after a rotation by another process).
    fn reload(&self) {
        let data_dir = self.path.parent().and_then(Path::parent);
        if let Some(fresh) = data_dir.and_then(|d| Keyring::load(d).ok()) {
            let new = fresh.state();
            *self.state.write().unwrap_or_else(|p| p.into_inner()) = new;
        }
    }

    /// Reloads if the file changed since it was read; looks at most every 30 seconds.
    fn reload_if_changed(&self) {
        let due = match self.checked.lock() {
            Ok(mut t) if t.elapsed() >= RECHECK => {
                *t = Instant::now();
                true
            }
            _ => false,
        };
        if due && modified(&self.path) != self.state().modified {
            self.reload();
        }
    }

    /// Creates a new key file (first start of an installation). Fails if one exists.
    pub fn create(data_dir: &Path) -> Result<Keyring, KeyError> {
        let path = key_path(data_dir);
        let shown = path.display().to_string();
        if path.exists() {
            return Err(KeyError::Write(shown, "a key file already exists".into()));
        }
        let ring = Keyring::with_state(
            path,
            KeyState {
                current: 1,
                data: BTreeMap::from([(1, random_bytes(32))]),
                index: random_bytes(32),
                modified: None,
            },
        );
        ring.save(&ring.state())?;
        Ok(ring)
    }

    /// Adds a new data key and makes it current; older keys stay for reading until the
    /// re-encryption pass has moved every value.
    pub fn rotate(&self) -> Result<u8, KeyError> {
        self.reload();
        let mut state = self.state();
        let next = state.current.checked_add(1).ok_or_else(|| {
            KeyError::Write(
                self.path.display().to_string(),
                "too many key versions".into(),
            )
        })?;
        state.data.insert(next, random_bytes(32));
        state.current = next;
        self.save(&state)?;
        state.modified = modified(&self.path);
        *self.state.write().unwrap_or_else(|p| p.into_inner()) = state;
        Ok(next)
    }

    pub fn current_version(&self) -> u8 {
        self.state().current
    }

    fn save(&self, state: &KeyState) -> Result<(), KeyError> {
        let shown = self.path.display().to_string();
        let fail = |e: std::io::Error| KeyError::Write(shown.clone(), e.to_string());
        if let Some(dir) = self.path.parent() {
            datadir::ensure(dir).map_err(|e| KeyError::Write(shown.clone(), e.to_string()))?;
        }
        let file = KeyFile {
            current: state.current,
            index: BASE64.encode(&state.index),
            data: state
                .data
                .iter()
                .map(|(v, k)| (v.to_string(), BASE64.encode(k)))
                .collect(),
        };
        let text =
            toml::to_string(&file).map_err(|e| KeyError::Write(shown.clone(), e.to_string()))?;
        let tmp = self.path.with_file_name(".patron.keys.new");
        // Written owner-only from the first byte, then moved into place in one step.
        {
            use std::io::Write;
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create(true).truncate(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut f = options.open(&tmp).map_err(fail)?;
            f.write_all(b"# Patron keys. Back this file up apart from the database; without it, personal data cannot be read.\n").map_err(fail)?;
            f.write_all(text.as_bytes()).map_err(fail)?;
            f.sync_all().map_err(fail)?;
        }
        std::fs::rename(&tmp, &self.path).map_err(fail)
    }

    fn aad(table: &str, column: &str, row_id: i64) -> Vec<u8> {
        format!("{table}.{column}:{row_id}").into_bytes()
    }

    /// Encrypts a field value of one row: `version ‖ nonce ‖ ciphertext`.
    pub fn seal(&self, table: &str, column: &str, row_id: i64, plaintext: &[u8]) -> Vec<u8> {
        self.reload_if_changed();
        let state = self.state();
        let key = &state.data[&state.current];
        let nonce = random_bytes(NONCE_LEN);
        let cipher = XChaCha20Poly1305::new_from_slice(key)
            .expect("data keys are 32 bytes (checked on load)");
        let aad = Self::aad(table, column, row_id);
        let nonce_arr = nonce.as_slice().try_into().expect("nonce is 24 bytes");
        let sealed = cipher
            .encrypt(
                nonce_arr,
                Payload {
                    msg: plaintext,
                    aad: &aad,
                },
            )
            .expect("XChaCha20-Poly1305 encrypts any field-sized value");
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(state.current);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        out
    }

    /// Decrypts what `seal` produced for the same table, column and row.
    pub fn open(
        &self,
        table: &str,
        column: &str,
        row_id: i64,
        blob: &[u8],
    ) -> Result<Vec<u8>, KeyError> {
        if blob.len() < 1 + NONCE_LEN + 16 {
            return Err(KeyError::Open);
        }
        let mut state = self.state();
        if !state.data.contains_key(&blob[0]) {
            self.reload();
            state = self.state();
        }
        let key = state.data.get(&blob[0]).ok_or(KeyError::Open)?;
        let cipher = XChaCha20Poly1305::new_from_slice(key).map_err(|_| KeyError::Open)?;
        let nonce = blob[1..1 + NONCE_LEN]
            .try_into()
            .map_err(|_| KeyError::Open)?;
        let aad = Self::aad(table, column, row_id);
        cipher
            .decrypt(
                nonce,
                Payload {
                    msg: &blob[1 + NONCE_LEN..],
                    aad: &aad,
                },
            )
            .map_err(|_| KeyError::Open)
    }

    /// `seal`, as base64 for a text column (every `_enc` column).
    pub fn seal_text(&self, table: &str, column: &str, row_id: i64, plaintext: &[u8]) -> String {
        BASE64.encode(&self.seal(table, column, row_id, plaintext))
    }

    /// Opens what `seal_text` wrote; text that is not base64 does not open either.
    pub fn open_text(
        &self,
        table: &str,
        column: &str,
        row_id: i64,
        sealed: &str,
    ) -> Result<Vec<u8>, KeyError> {
        let blob = BASE64
            .decode(sealed.as_bytes())
            .map_err(|_| KeyError::Open)?;
        self.open(table, column, row_id, &blob)
    }

    /// The key version a sealed value was written with (for the re-encryption pass).
    pub fn version_of(blob: &[u8]) -> Option<u8> {
        blob.first().copied()
    }

    /// A blind index for exact lookups: HMAC-SHA256 over the purpose and the normalised value
    /// (E.164 phone, 18-character ID number, last four digits), truncated to 128 bits, as hex.
    pub fn blind_index(&self, purpose: &str, normalised: &str) -> String {
        let state = self.state.read().unwrap_or_else(|p| p.into_inner());
        let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&state.index)
            .expect("HMAC takes any key length");
        mac.update(purpose.as_bytes());
        mac.update(&[0]);
        mac.update(normalised.as_bytes());
        // 128 bits are plenty to tell values apart and halve the size of every index entry.
        HEXLOWER.encode(&mac.finalize().into_bytes()[..16])
    }

    /// The key the audit chain and its checkpoints are MAC'd with: HMAC of a fixed label
    /// under the index key. Derived rather than stored, so every key file already holds it
    /// (servers sharing a database share the key file, and with it this key), and it stays
    /// the same through `rotate`, which adds data keys only, and through a restore, which
    /// leaves the key file alone. The label starts with 0xFF, a byte no UTF-8 purpose of
    /// `blind_index` can start with, so no blind index equals it.
    pub fn audit_key(&self) -> AuditKey {
        let state = self.state.read().unwrap_or_else(|p| p.into_inner());
        let mut mac = <Hmac<Sha256> as hmac::KeyInit>::new_from_slice(&state.index)
            .expect("HMAC takes any key length");
        mac.update(&[0xFF]);
        mac.update(b"patron audit chain v1");
        let bytes = mac.finalize().into_bytes();
        AuditKey::from_bytes(bytes[..].try_into().expect("HMAC-SHA256 gives 32 bytes"))
    }
}

fn modified(path: &Path) -> Option<SystemTime> {
    std::fs::metadata(path).and_then(|m| m.modified()).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn dir() -> PathBuf {
        let d = std::env::temp_dir().join(format!(
            "patron-keys-{}",
            crate::credentials::random_token(6)
        ));
        std::fs::create_dir_all(&d).expect("mkdir");
        d
    }

    #[test]
    fn seals_and_opens_only_in_place() {
        let d = dir();
        let ring = Keyring::create(&d).expect("create");
        let blob = ring.seal("customers", "mobile", 7, "+8613800138000".as_bytes());
        assert!(
            !blob.windows(4).any(|w| w == b"1380"),
            "no plaintext in the ciphertext"
        );
        assert_eq!(
            ring.open("customers", "mobile", 7, &blob).as_deref(),
            Ok("+8613800138000".as_bytes())
        );
        assert_eq!(
            ring.open("customers", "mobile", 8, &blob),
            Err(KeyError::Open),
            "another row"
        );
        assert_eq!(
            ring.open("customers", "email", 7, &blob),
            Err(KeyError::Open),
            "another column"
        );
        let mut tampered = blob.clone();
        let last = tampered.len() - 1;
        tampered[last] ^= 1;
        assert_eq!(
            ring.open("customers", "mobile", 7, &tampered),
            Err(KeyError::Open)
        );
        assert_ne!(
            blob,
            ring.seal("customers", "mobile", 7, "+8613800138000".as_bytes()),
            "random nonces"
        );
    }

    #[test]
    fn rotation_keeps_old_values_readable() {
        let d = dir();
        let ring = Keyring::create(&d).expect("create");
        let old = ring.seal("customers", "id_number", 1, b"11010519491231002X");
        assert_eq!(ring.rotate(), Ok(2));
        let new = ring.seal("customers", "id_number", 1, b"11010519491231002X");
        assert_eq!(
            (Keyring::version_of(&old), Keyring::version_of(&new)),
            (Some(1), Some(2))
        );
        let reloaded = Keyring::load(&d).expect("load");
        assert_eq!(reloaded.current_version(), 2);
        assert!(reloaded.open("customers", "id_number", 1, &old).is_ok());
        assert!(reloaded.open("customers", "id_number", 1, &new).is_ok());
        assert_eq!(
            reloaded.audit_key(),
            ring.audit_key(),
            "the audit key outlives rotation"
        );
        assert_ne!(
            reloaded.audit_key(),
            Keyring::create(&dir()).expect("create").audit_key()
        );
    }

    #[test]
    fn a_running_server_reads_values_sealed_under_a_key_added_by_another_process() {
        let d = dir();
        let server = Keyring::create(&d).expect("create");
        let cli = Keyring::load(&d).expect("load");
        assert_eq!(cli.rotate(), Ok(2));
        let new = cli.seal("customers", "mobile", 3, b"+8613800138000");
        assert_eq!(server.current_version(), 1, "not reloaded yet");
        assert_eq!(
            server.open("customers", "mobile", 3, &new).as_deref(),
            Ok(b"+8613800138000".as_slice()),
            "unknown version: the file is read again"
        );
        assert_eq!(server.current_version(), 2);
        assert_eq!(
            Keyring::version_of(&server.seal("customers", "mobile", 3, b"x")),
            Some(2)
        );
    }

    #[test]
    fn the_key_file_must_exist_and_be_private() {
        let d = dir();
        assert!(matches!(Keyring::load(&d), Err(KeyError::Missing(_))));
        let ring = Keyring::create(&d).expect("create");
        assert!(Keyring::create(&d).is_err(), "never overwrites keys");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let path = key_path(&d);
            assert_eq!(
                std::fs::metadata(&path).expect("meta").permissions().mode() & 0o777,
                0o600
            );
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).expect("chmod");
            assert!(matches!(Keyring::load(&d), Err(KeyError::TooOpen(_))));
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).expect("chmod");
        }
        let again = Keyring::load(&d).expect("load");
        assert_eq!(
            ring.blind_index("phone", "+8613800138000"),
            again.blind_index("phone", "+8613800138000"),
            "stable"
        );
        assert_ne!(
            ring.blind_index("phone", "+8613800138000"),
            ring.blind_index("last4", "+8613800138000"),
            "purpose separates"
        );
        let other = Keyring::create(&dir()).expect("create");
        assert_ne!(
            ring.blind_index("phone", "+8613800138000"),
            other.blind_index("phone", "+8613800138000"),
            "keyed"
        );
    }
}
