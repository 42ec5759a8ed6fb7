//! Backups of the embedded database: online copies while the server runs, pruning of old
//! ones, and an offline restore that checks the file before it replaces anything. Visit
//! photos live in the data folder, not the database; a backup `NAME.db` carries them in
//! the folder `NAME.photos` beside it, and a restore brings them back with the database.

use crate::keyring::Keyring;
use crate::{App, AppError, Config, audit, datadir};
use jiff::Timestamp;
use patron_store::{ConnectOptions, Db};
use std::path::{Path, PathBuf};

pub const DEFAULT_KEEP: usize = 14;

pub fn backup_dir(config: &Config) -> PathBuf {
    config.data_dir.join("backups")
}

/// The folder of visit photos that goes with the backup `file`.
pub fn photos_of(file: &Path) -> PathBuf {
    file.with_extension("photos")
}

/// Writes a consistent copy, and the visit photos beside it; returns its path. `out`
/// defaults to `backups/patron-<UTC time>.db`.
pub async fn create(app: &App, out: Option<&Path>, now: Timestamp) -> Result<PathBuf, AppError> {
    let path = match out {
        Some(p) => p.to_path_buf(),
        None => {
            let dir = backup_dir(&app.config);
            datadir::ensure(&dir).map_err(|e| AppError::Internal(e.to_string()))?;
            dir.join(format!("patron-{}.db", now.strftime("%Y%m%dT%H%M%S%.3fZ")))
        }
    };
    app.db.backup_to(&path).await?;
    datadir::restrict(&path, 0o600).map_err(io)?;
    // After the copy of the database: a visit's photo is on disk before its row commits,
    // so every photo the copy names is here already.
    let photos = app.photo_dir();
    if photos.is_dir() {
        copy_photos(&photos, &photos_of(&path)).map_err(io)?;
    }
    Ok(path)
}

/// Copies the photo files of `from` into `to` (created). Photos are never changed in place
/// (key rotation writes a new file and renames it over the old), so a hard link is a true
/// copy and costs no space; across file systems the file is copied.
fn copy_photos(from: &Path, to: &Path) -> std::io::Result<()> {
    datadir::ensure(to).map_err(std::io::Error::other)?;
    for entry in std::fs::read_dir(from)? {
        let entry = entry?;
        if !entry.file_type()?.is_file() {
            continue;
        }
        let target = to.join(entry.file_name());
        if std::fs::hard_link(entry.path(), &target).is_err() {
            std::fs::copy(entry.path(), &target)?;
        }
    }
    Ok(())
}

/// Deletes all but the newest `keep` automatic backups; returns how many were removed.
pub fn prune(dir: &Path, keep: usize) -> std::io::Result<usize> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("patron-") && n.ends_with(".db"))
        })
        .collect();
    files.sort();
    let excess = files.len().saturating_sub(keep);
    for f in &files[..excess] {
        std::fs::remove_file(f)?;
        let photos = photos_of(f);
        if photos.is_dir() {
            std::fs::remove_dir_all(photos)?;
        }
    }
    Ok(excess)
}

/// Replaces the embedded database with `file`, and the visit photos with the backup's when it
/// carries them (backups made before photos were backed up do not; the photos folder is then
/// left as it is). The server must be stopped (the data folder lock proves it). The old
/// database is kept beside it as `patron.db.before-restore-<time>`, the old photos folder as
/// `photos.before-restore-<time>`. The restored log's head is recorded as a `restore`
/// checkpoint (see `audit::record_restore`), so verification accepts the log set back.
pub async fn restore(config: &Config, file: &Path, now: Timestamp) -> Result<PathBuf, AppError> {
    if !config.database.url.is_empty() && !config.database.url.starts_with("sqlite:") {
        return Err(AppError::Unsupported(
            patron_store::backup::PG_DUMP_ADVICE.to_string(),
        ));
    }
    let _lock =
        datadir::lock(&config.data_dir).map_err(|e| AppError::Unsupported(e.to_string()))?;
    // The key file signs the restore checkpoint; without it the checkpoints written so far
    // would call the restored log truncated, so refuse before anything is replaced.
    let keys = Keyring::load(&config.data_dir).ok();
    if keys.is_none() && audit::checkpoint_file(&config.data_dir).exists() {
        return Err(AppError::Unsupported(format!(
            "the key file {} cannot be read; it is needed to record the restore in the audit checkpoints",
            crate::keyring::key_path(&config.data_dir).display()
        )));
    }
    let head = check_backup_file(file).await?;
    let target = match config.database.url.strip_prefix("sqlite://") {
        Some(rest) => PathBuf::from(rest.split('?').next().unwrap_or(rest)),
        None => config.data_dir.join("patron.db"),
    };
    let tmp = target.with_extension("db.restoring");
    std::fs::copy(file, &tmp).map_err(io)?;
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(io)?;
    let aside = format!("before-restore-{}", now.strftime("%Y%m%dT%H%M%SZ"));
    let kept = target.with_extension(format!("db.{aside}"));
    if target.exists() {
        std::fs::rename(&target, &kept).map_err(io)?;
    }
    for suffix in ["-wal", "-shm"] {
        let side = PathBuf::from(format!("{}{suffix}", target.display()));
        if side.exists() {
            std::fs::remove_file(side).map_err(io)?;
        }
    }
    std::fs::rename(&tmp, &target).map_err(io)?;
    datadir::restrict(&target, 0o600).map_err(io)?;
    let photos = photos_of(file);
    if photos.is_dir() {
        let live = config
            .data_dir
            .join(crate::service::appointments::PHOTO_DIR);
        if live.exists() {
            std::fs::rename(&live, live.with_extension(&aside)).map_err(io)?;
        }
        copy_photos(&photos, &live).map_err(io)?;
    }
    if let Some(keys) = &keys {
        audit::record_restore(config, keys, head, now)?;
    }
    Ok(kept)
}

/// A backup must be an intact SQLite file with Patron's migrations in it. Returns where its
/// audit log ends.
async fn check_backup_file(file: &Path) -> Result<(i64, String), AppError> {
    if !file.is_file() {
        return Err(AppError::Unsupported(format!(
            "{} is not a file",
            file.display()
        )));
    }
    let opts = ConnectOptions {
        wal: false,
        max_connections: 1,
        ..ConnectOptions::new(format!("sqlite://{}?mode=ro", file.display()))
    };
    let db = Db::connect(&opts).await.map_err(|e| {
        AppError::Unsupported(format!(
            "{} is not a readable SQLite database: {e}",
            file.display()
        ))
    })?;
    let intact = db.is_intact_patron_db().await;
    let head = db.audit_end().await;
    db.close().await;
    match (intact, head) {
        (Ok(true), Ok(head)) => Ok(head),
        _ => Err(AppError::Unsupported(format!(
            "{} is not an intact Patron backup",
            file.display()
        ))),
    }
}

fn io(e: std::io::Error) -> AppError {
    AppError::Internal(e.to_string())
}
