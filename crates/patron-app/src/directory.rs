//! The directory: every store and every staff member with the few facts lists and choices
//! show (names, roles, store, status). Pages need them all the time; it is read once and kept
//! until this process changes a store or a staff member, or for at most `FRESH_FOR` (changes
//! made by another server process on a shared database show after that).

use crate::{App, AppError};
use jiff::{SignedDuration, Timestamp};
use patron_domain::staff::StaffStatus;
use patron_domain::{Role, Scope};
use patron_store::stores::StoreRow;
use std::sync::{Arc, Mutex};

/// How long a copy is trusted when nothing in this process changed it.
const FRESH_FOR: SignedDuration = SignedDuration::from_secs(30);

/// A staff member as lists show them: no credentials.
#[derive(Debug, Clone)]
pub struct StaffEntry {
    pub id: i64,
    pub username: String,
    pub display_name: String,
    pub role: Role,
    pub store_id: Option<i64>,
    pub status: StaffStatus,
}

/// Stores ordered by code, staff by username (the order of the store's lists).
#[derive(Debug, Default)]
pub struct Directory {
    stores: Vec<StoreRow>,
    staff: Vec<StaffEntry>,
}

impl Directory {
    /// The stores a scope may see.
    pub fn stores(&self, scope: Scope) -> impl Iterator<Item = &StoreRow> {
        self.stores.iter().filter(move |s| scope.allows(Some(s.id)))
    }

    /// The staff a scope may see: a store-bound scope sees its own store's staff.
    pub fn staff(&self, scope: Scope) -> impl Iterator<Item = &StaffEntry> {
        self.staff.iter().filter(move |s| scope.allows(s.store_id))
    }

    pub fn store(&self, id: i64) -> Option<&StoreRow> {
        self.stores.iter().find(|s| s.id == id)
    }

    pub fn store_name(&self, id: i64) -> Option<&str> {
        self.store(id).map(|s| s.name.as_str())
    }

    pub fn staff_member(&self, id: i64) -> Option<&StaffEntry> {
        self.staff.iter().find(|s| s.id == id)
    }

    pub fn staff_name(&self, id: i64) -> Option<&str> {
        self.staff_member(id).map(|s| s.display_name.as_str())
    }
}

struct Copy {
    /// The store's change count when the copy was read.
    version: u64,
    read_at: Timestamp,
    directory: Arc<Directory>,
}

/// The application's copy of the directory, shared by the clones of `App`.
#[derive(Default, Clone)]
pub(crate) struct DirectoryCache(Arc<Mutex<Option<Copy>>>);

impl App {
    /// Every store and staff member (filter with the caller's scope), from the copy while it
    /// is current, else read again.
    pub async fn directory(&self) -> Result<Arc<Directory>, AppError> {
        let now = self.now();
        let version = self.db.directory_version();
        if let Ok(copy) = self.directory.0.lock()
            && let Some(c) = copy.as_ref()
            && c.version == version
            && now.duration_since(c.read_at) < FRESH_FOR
            && c.read_at <= now
        {
            return Ok(c.directory.clone());
        }
        // The version is taken before reading: a change made meanwhile makes the next call
        // read again.
        let stores = self.db.list_stores(Scope::Chain).await?;
        let staff = self
            .db
            .list_staff(Scope::Chain)
            .await?
            .into_iter()
            .map(|s| StaffEntry {
                id: s.id,
                username: s.username,
                display_name: s.display_name,
                role: s.role,
                store_id: s.store_id,
                status: s.status,
            })
            .collect();
        let directory = Arc::new(Directory { stores, staff });
        if let Ok(mut copy) = self.directory.0.lock() {
            *copy = Some(Copy {
                version,
                read_at: now,
                directory: directory.clone(),
            });
        }
        Ok(directory)
    }
}

impl App {
    /// The stores a scope may see, ordered by code (from the directory).
    pub async fn stores(&self, scope: Scope) -> Result<Vec<StoreRow>, AppError> {
        Ok(self.directory().await?.stores(scope).cloned().collect())
    }

    /// The staff a scope may see, ordered by user name (from the directory).
    pub async fn staff_list(&self, scope: Scope) -> Result<Vec<StaffEntry>, AppError> {
        Ok(self.directory().await?.staff(scope).cloned().collect())
    }
}
