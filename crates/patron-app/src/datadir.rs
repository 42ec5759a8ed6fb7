//! The data folder: database, backups, outbox files. Created with owner-only permissions; a
//! lock file keeps two servers (or a server and `backup restore`) from using it at once.

use std::fs::{File, OpenOptions};
use std::path::{Path, PathBuf};

/// Holds the data folder's lock until dropped.
#[derive(Debug)]
pub struct DataDirLock {
    _file: File,
    pub dir: PathBuf,
}

#[derive(Debug, thiserror::Error)]
pub enum DataDirError {
    #[error("cannot create data folder {0}: {1}")]
    Create(String, std::io::Error),
    #[error("another Patron process is using the data folder {0} (stop it first)")]
    InUse(String),
}

pub fn ensure(dir: &Path) -> Result<(), DataDirError> {
    std::fs::create_dir_all(dir).map_err(|e| DataDirError::Create(dir.display().to_string(), e))?;
    restrict(dir, 0o700).map_err(|e| DataDirError::Create(dir.display().to_string(), e))
}

/// Creates the folder if needed and takes its lock.
pub fn lock(dir: &Path) -> Result<DataDirLock, DataDirError> {
    ensure(dir)?;
    let path = dir.join("patron.lock");
    let file = OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&path)
        .map_err(|e| DataDirError::Create(path.display().to_string(), e))?;
    match file.try_lock() {
        Ok(()) => Ok(DataDirLock {
            _file: file,
            dir: dir.to_path_buf(),
        }),
        Err(_) => Err(DataDirError::InUse(dir.display().to_string())),
    }
}

/// Sets Unix permission bits (owner-only folders and files for personal data).
pub fn restrict(path: &Path, mode: u32) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))?;
    }
    #[cfg(not(unix))]
    let _ = (path, mode);
    Ok(())
}
