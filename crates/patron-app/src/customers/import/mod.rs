//! Importing customer files from CSV (UTF-8 with or without BOM, or GBK/GB18030 as Excel on
//! Chinese Windows saves it) and xlsx. Headers may be our field names or the usual Chinese
//! ones; a mapping can override the guess. Valid rows are written (each row whole or not at
//! all), invalid rows go to a report with row, column, masked value and reason.

mod row;
mod sheet_bounds;
mod table;

use crate::customers::ConsentGrant;
use crate::customers::sealing;
use crate::{App, AppError};
use patron_domain::FieldError;
use patron_domain::audit::Actor;
use patron_domain::customers::{ConsentChannel, ConsentPurpose, archive_number};
use patron_domain::staff::StaffStatus;
use patron_store::Db;
use patron_store::Scope;
use patron_store::customers::{BulkLoad, ConsentEvent, NewCustomer};
use std::collections::{HashMap, HashSet};

use row::{Ready, RowCheck, StaffRef, par_map};
pub use table::{FIELDS, Table, TableLimits, guess_mapping, mask_cell, read_table};

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ImportMode {
    /// Only new customers; a row matching an existing one is rejected.
    Create,
    /// Update the match (non-empty cells overwrite), create the rest.
    Upsert,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MatchBy {
    Phone,
    Archive,
    IdNumber,
}

#[derive(Debug, Clone)]
pub struct ImportOptions {
    pub mode: ImportMode,
    pub match_by: MatchBy,
    pub dry_run: bool,
    /// Home store for rows without a store column.
    pub default_store: Option<i64>,
    /// Consents the store holds on paper for every row (recorded with channel `import`).
    pub consents: Vec<ConsentPurpose>,
    /// Rows per transaction (per write, in a bulk load). Larger batches write each index
    /// page fewer times (the blind indexes are random keys); 5,000 rows hold the write lock
    /// for about a second.
    pub batch: usize,
    /// Loads the whole file in one transaction with the customer indexes rebuilt at the end:
    /// several times faster for a first load of a large file, all or nothing, and other
    /// writers wait until it commits. New customers only (`ImportMode::Create`).
    pub bulk: bool,
}

impl Default for ImportOptions {
    fn default() -> Self {
        Self {
            mode: ImportMode::Create,
            match_by: MatchBy::Phone,
            dry_run: false,
            default_store: None,
            consents: Vec::new(),
            batch: 5000,
            bulk: false,
        }
    }
}

/// One refused row: spreadsheet row number (header = 1), column header, masked value, and
/// the catalog key of the reason.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RowProblem {
    pub row: usize,
    pub column: String,
    pub value: String,
    pub key: &'static str,
}

#[derive(Debug, Clone, Default)]
pub struct ImportReport {
    pub rows: usize,
    pub created: usize,
    pub updated: usize,
    pub problems: Vec<RowProblem>,
}

impl ImportReport {
    pub fn rejected(&self) -> usize {
        self.problems
            .iter()
            .map(|p| p.row)
            .collect::<HashSet<_>>()
            .len()
    }
}

/// Where the batches of an import go.
enum Sink {
    /// Each batch in a transaction of its own.
    Batches(Db),
    /// Every batch in one transaction, indexes rebuilt at the end.
    Bulk(BulkLoad),
}

impl Sink {
    async fn write(
        &mut self,
        actor: &Actor,
        rows: &[NewCustomer],
        now: jiff::Timestamp,
    ) -> Result<usize, AppError> {
        match self {
            Sink::Batches(db) => db.import_customers(actor, rows, now).await?,
            Sink::Bulk(load) => load.write(actor, rows, now).await?,
        };
        Ok(rows.len())
    }
}

/// A batch being written by its own task, which hands the sink back with the number of
/// customers written.
type Write = tokio::task::JoinHandle<(Sink, Result<usize, AppError>)>;

/// Waits for a batch's write and takes the sink back.
async fn finish(write: Write, sink: &mut Option<Sink>) -> Result<usize, AppError> {
    let (back, written) = write
        .await
        .map_err(|e| AppError::Internal(format!("import batch: {e}")))?;
    *sink = Some(back);
    written
}

impl App {
    /// Imports a table. `mapping[i]` names the field of column `i`. `progress` is called with
    /// the number of rows handled so far.
    pub async fn import_customers(
        &self,
        actor: &Actor,
        scope: Scope,
        table: &Table,
        mapping: &[Option<&'static str>],
        options: &ImportOptions,
        progress: &(dyn Fn(usize) + Send + Sync),
    ) -> Result<ImportReport, AppError> {
        if !mapping.contains(&Some("name")) {
            return Err(FieldError::new("mapping", "error.import.no_name").into());
        }
        if options.bulk && options.mode != ImportMode::Create {
            return Err(FieldError::new("mode", "error.import.bulk_create_only").into());
        }
        let stores: HashMap<String, (i64, String)> = self
            .db
            .list_stores(scope)
            .await?
            .into_iter()
            .map(|s| (s.code.to_uppercase(), (s.id, s.code)))
            .collect();
        let codes: HashMap<i64, String> = stores.values().cloned().collect();
        let staff: Vec<StaffRef> = self
            .db
            .list_staff(scope)
            .await?
            .into_iter()
            .filter(|s| s.status == StaffStatus::Active)
            .map(|s| {
                let chain = s.role.is_chain_wide();
                StaffRef {
                    id: s.id,
                    username: s.username,
                    display_name: s.display_name,
                    store_id: s.store_id,
                    chain_wide: chain,
                }
            })
            .collect();
        let default_store = match (scope, options.default_store) {
            (Scope::Store(own), None) => Some(own),
            (Scope::Store(own), Some(s)) if s != own => return Err(AppError::Forbidden),
            (_, s) => s,
        };
        let mut report = ImportReport {
            rows: table.rows.len(),
            ..Default::default()
        };
        let mut seen_mobile: HashSet<String> = HashSet::new();
        let mut seen_id: HashSet<String> = HashSet::new();
        let format = self.config.customers.archive_format.clone();
        let notice = self.config.customers.notice_version.clone();
        let grant = ConsentGrant {
            purposes: options.consents.clone(),
            channel: Some(ConsentChannel::Import),
        };
        let rows = RowCheck {
            mapping,
            headers: &table.headers,
            stores: &stores,
            staff: &staff,
            default_store,
            today: self.today(),
            id_number_consent: grant.purposes.contains(&ConsentPurpose::IdNumber),
            keys: &self.keys,
        };
        let mut done = 0;
        // Ids for every row up front: sealing binds each value to its row id, and a bulk
        // load holds the write lock that handing out ids needs. Rows that are refused or
        // update a file leave their ids unused.
        let mut next_id = if options.dry_run {
            0
        } else {
            self.db
                .allocate_ids("customers", table.rows.len() as i64)
                .await?
        };
        let mut sink = match (options.dry_run, options.bulk) {
            (true, _) => None,
            (false, false) => Some(Sink::Batches(self.db.clone())),
            (false, true) => Some(Sink::Bulk(self.db.begin_bulk_load().await?)),
        };
        // Batch N is written by a task of its own while batch N+1 is parsed and sealed.
        let mut in_flight: Option<Write> = None;
        for (batch_no, chunk) in table.rows.chunks(options.batch.max(1)).enumerate() {
            let first_row = batch_no * options.batch.max(1) + 2;
            let checked = par_map(chunk, |i, cells| rows.check(first_row + i, cells));
            let mut ready: Vec<Ready> = Vec::with_capacity(checked.len());
            for r in checked {
                let r = match r {
                    Ok(r) => r,
                    Err(problems) => {
                        report.problems.extend(problems);
                        continue;
                    }
                };
                // The first of two rows with one mobile or ID number counts.
                let mut dup = None;
                if let Some(m) = &r.mobile_idx
                    && !seen_mobile.insert(m.clone())
                {
                    dup = Some("mobile");
                }
                if let Some(n) = &r.id_idx
                    && !seen_id.insert(n.clone())
                {
                    dup = Some("id_number");
                }
                if let Some(field) = dup {
                    let cells = &chunk[r.row_no - first_row];
                    report.problems.push(RowProblem {
                        row: r.row_no,
                        column: rows.column_of(field),
                        value: mask_cell(&rows.cell(cells, field)),
                        key: "error.import.duplicate_in_file",
                    });
                    continue;
                }
                ready.push(r);
            }

            // Which rows match existing customers, looked up per batch.
            let lookup = |rows: &[Ready], f: fn(&Ready) -> Option<String>| {
                rows.iter().filter_map(f).collect::<Vec<_>>()
            };
            let by_mobile: HashMap<String, i64> = self
                .db
                .customers_with("mobile_idx", &lookup(&ready, |r| r.mobile_idx.clone()))
                .await?
                .into_iter()
                .collect();
            let by_id: HashMap<String, i64> = self
                .db
                .customers_with("id_idx", &lookup(&ready, |r| r.id_idx.clone()))
                .await?
                .into_iter()
                .collect();
            let by_archive: HashMap<String, i64> = self
                .db
                .customers_with(
                    "archive_no",
                    &lookup(&ready, |r| {
                        Some(r.archive_no.clone()).filter(|a| !a.is_empty())
                    }),
                )
                .await?
                .into_iter()
                .collect();
            let mut creates: Vec<Ready> = Vec::new();
            let mut updates: Vec<(i64, Ready)> = Vec::new();
            for r in ready {
                let phone_owner = r
                    .mobile_idx
                    .as_ref()
                    .and_then(|m| by_mobile.get(m))
                    .copied();
                let id_owner = r.id_idx.as_ref().and_then(|m| by_id.get(m)).copied();
                let matched = match options.match_by {
                    MatchBy::Phone => phone_owner,
                    MatchBy::IdNumber => id_owner,
                    MatchBy::Archive => by_archive.get(&r.archive_no).copied(),
                };
                let problem = |column: &str, key: &'static str| RowProblem {
                    row: r.row_no,
                    column: rows.column_of(column),
                    value: String::new(),
                    key,
                };
                match (options.mode, matched) {
                    (ImportMode::Create, Some(_)) => {
                        report.problems.push(problem(
                            match options.match_by {
                                MatchBy::Phone => "mobile",
                                MatchBy::IdNumber => "id_number",
                                MatchBy::Archive => "archive_no",
                            },
                            "error.import.exists",
                        ));
                    }
                    (_, m) if phone_owner.is_some() && phone_owner != m => {
                        report
                            .problems
                            .push(problem("mobile", "error.customer.mobile_taken"));
                    }
                    (_, m) if id_owner.is_some() && id_owner != m => {
                        report
                            .problems
                            .push(problem("id_number", "error.customer.id_taken"));
                    }
                    (ImportMode::Upsert, Some(id)) => updates.push((id, r)),
                    (_, None) => creates.push(r),
                }
            }
            if options.dry_run {
                report.created += creates.len();
                report.updated += updates.len();
                done += chunk.len();
                progress(done);
                continue;
            }
            let news = self.seal_creates(next_id, &creates, &codes, &format, &notice, &grant);
            next_id += creates.len() as i64;
            if let Some(write) = in_flight.take() {
                report.created += finish(write, &mut sink).await?;
            }
            done += chunk.len();
            for (id, r) in &updates {
                match self.upsert_one(actor, scope, *id, r).await {
                    Ok(()) => report.updated += 1,
                    Err(e) => {
                        for f in e.field_errors() {
                            report.problems.push(RowProblem {
                                row: r.row_no,
                                column: rows.column_of(f.field),
                                value: String::new(),
                                key: f.key,
                            });
                        }
                    }
                }
            }
            // `news` first: taking the sink for nothing would drop it.
            if !news.is_empty()
                && let Some(mut target) = sink.take()
            {
                let (actor, now) = (actor.clone(), self.now());
                in_flight = Some(tokio::spawn(async move {
                    let written = target.write(&actor, &news, now).await;
                    (target, written)
                }));
            }
            progress(done);
        }
        if let Some(write) = in_flight.take() {
            report.created += finish(write, &mut sink).await?;
        }
        if let Some(Sink::Bulk(load)) = sink {
            load.finish().await?;
        }
        report.problems.sort_by_key(|p| p.row);
        if report.created > 10_000 && !options.dry_run {
            self.db.analyze().await?;
        }
        Ok(report)
    }

    /// The rows of new customers, sealed, with ids from `first` on.
    fn seal_creates(
        &self,
        first: i64,
        rows: &[Ready],
        codes: &HashMap<i64, String>,
        format: &str,
        notice: &str,
        grant: &ConsentGrant,
    ) -> Vec<NewCustomer> {
        par_map(rows, |i, r| {
            let id = first + i as i64;
            let row = sealing::write_row(
                &self.keys,
                id,
                r.store_id,
                &r.draft,
                r.owner,
                r.tags.clone(),
            );
            let code = codes.get(&r.store_id).cloned().unwrap_or_default();
            let format = format.to_string();
            NewCustomer {
                row,
                archive: Box::new(move |seq| archive_number(&format, &code, seq)),
                consents: grant
                    .purposes
                    .iter()
                    .map(|p| ConsentEvent {
                        purpose: p.as_str().into(),
                        granted: true,
                        notice_version: notice.to_string(),
                        channel: ConsentChannel::Import.as_str().into(),
                    })
                    .collect(),
            }
        })
    }
}
