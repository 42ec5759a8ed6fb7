//! Importing customer files from CSV (UTF-8 with or without BOM, or GBK/GB18030 as Excel on
//! Chinese Windows saves it) and xlsx. Headers may be our field names or the usual Chinese
//! ones; a mapping can override the guess. Valid rows are written (each row whole or not at
//! all), invalid rows go to a report with row, column, masked value and reason.

use super::sealing;
use super::{ConsentGrant, parse_tags};
use crate::{App, AppError};
use patron_domain::FieldError;
use patron_domain::audit::Actor;
use patron_domain::customer::{ConsentChannel, ConsentPurpose, CustomerDraft, archive_number};
use patron_store::Scope;
use patron_store::customers::{ConsentEvent, NewCustomer};
use std::collections::{HashMap, HashSet};

use super::import_row::{row_input, split_list};
pub use super::table::{FIELDS, Table, guess_mapping, mask_cell, read_table};

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
    /// Rows per transaction. Larger batches write each index page fewer times (the blind
    /// indexes are random keys); 5,000 rows hold the write lock for about a second.
    pub batch: usize,
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

/// A parsed row on its way in.
pub(super) struct Ready {
    pub(super) row_no: usize,
    pub(super) draft: CustomerDraft,
    pub(super) tags: Vec<String>,
    pub(super) store_id: i64,
    pub(super) owner: Option<i64>,
    pub(super) mobile_idx: Option<String>,
    pub(super) id_idx: Option<String>,
    pub(super) archive_no: String,
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
        let stores: HashMap<String, (i64, String)> = self
            .db
            .list_stores(scope)
            .await?
            .into_iter()
            .map(|s| (s.code.to_uppercase(), (s.id, s.code)))
            .collect();
        let codes: HashMap<i64, String> = stores.values().cloned().collect();
        let staff: Vec<(i64, String, String, Option<i64>, bool)> = self
            .db
            .list_staff(scope)
            .await?
            .into_iter()
            .filter(|s| s.status == "active")
            .map(|s| {
                let chain = patron_domain::Role::parse(&s.role).is_some_and(|r| r.is_chain_wide());
                (s.id, s.username, s.display_name, s.store_id, chain)
            })
            .collect();
        let default_store = match (scope, options.default_store) {
            (Scope::Store(own), None) => Some(own),
            (Scope::Store(own), Some(s)) if s != own => return Err(AppError::Forbidden),
            (_, s) => s,
        };
        let today = self.today();
        let mut report = ImportReport {
            rows: table.rows.len(),
            ..Default::default()
        };
        let column_of = |field: &str| -> String {
            mapping
                .iter()
                .position(|m| *m == Some(field))
                .and_then(|i| table.headers.get(i).cloned())
                .unwrap_or_else(|| field.to_string())
        };
        let mut seen_mobile: HashSet<String> = HashSet::new();
        let mut seen_id: HashSet<String> = HashSet::new();
        let format = self.config.customers.archive_format.clone();
        let notice = self.config.customers.notice_version.clone();
        let grant = ConsentGrant {
            purposes: options.consents.clone(),
            channel: Some(ConsentChannel::Import),
        };
        let mut done = 0;
        for (batch_no, chunk) in table.rows.chunks(options.batch.max(1)).enumerate() {
            let mut ready: Vec<Ready> = Vec::new();
            for (i, cells) in chunk.iter().enumerate() {
                let row_no = batch_no * options.batch.max(1) + i + 2;
                let get = |field: &str| -> String {
                    mapping
                        .iter()
                        .position(|m| *m == Some(field))
                        .and_then(|c| cells.get(c))
                        .cloned()
                        .unwrap_or_default()
                };
                let mut problems: Vec<FieldError> = Vec::new();
                let input = row_input(&get);
                let draft = match CustomerDraft::parse(&input, today) {
                    Ok(d) => Some(d),
                    Err(e) => {
                        problems.extend(e);
                        None
                    }
                };
                let tags = parse_tags(&split_list(&get("tags")))
                    .map_err(|e| problems.push(e))
                    .ok();
                let store_cell = get("store");
                let store_id = if store_cell.is_empty() {
                    default_store
                } else {
                    stores.get(&store_cell.trim().to_uppercase()).map(|s| s.0)
                };
                if store_id.is_none() {
                    problems.push(FieldError::new("store", "error.import.store"));
                }
                let owner_cell = get("owner");
                let owner = if owner_cell.is_empty() {
                    None
                } else {
                    let found = staff.iter().find(|s| {
                        (s.1 == owner_cell || s.2 == owner_cell) && (s.4 || s.3 == store_id)
                    });
                    if found.is_none() {
                        problems.push(FieldError::new("owner", "error.owner.invalid"));
                    }
                    found.map(|s| s.0)
                };
                if let Some(d) = &draft
                    && d.id_number.is_some()
                    && !grant.purposes.contains(&ConsentPurpose::IdNumber)
                {
                    problems.push(FieldError::new(
                        "id_number",
                        "error.id_number.consent_required",
                    ));
                }
                let (Some(draft), Some(tags), Some(store_id), true) =
                    (draft, tags, store_id, problems.is_empty())
                else {
                    for p in problems {
                        let field = match p.field {
                            "guardian_consent" => "birthday",
                            f => f,
                        };
                        report.problems.push(RowProblem {
                            row: row_no,
                            column: column_of(field),
                            value: mask_cell(&get(field)),
                            key: p.key,
                        });
                    }
                    continue;
                };
                let mobile_idx = draft
                    .mobile
                    .as_ref()
                    .map(|p| self.keys.blind_index("phone", p.e164()));
                let id_idx = draft
                    .id_number
                    .as_ref()
                    .map(|n| self.keys.blind_index("id", n.as_str()));
                let mut dup = None;
                if let Some(m) = &mobile_idx
                    && !seen_mobile.insert(m.clone())
                {
                    dup = Some("mobile");
                }
                if let Some(n) = &id_idx
                    && !seen_id.insert(n.clone())
                {
                    dup = Some("id_number");
                }
                if let Some(field) = dup {
                    report.problems.push(RowProblem {
                        row: row_no,
                        column: column_of(field),
                        value: mask_cell(&get(field)),
                        key: "error.import.duplicate_in_file",
                    });
                    continue;
                }
                ready.push(Ready {
                    row_no,
                    draft,
                    tags,
                    store_id,
                    owner,
                    mobile_idx,
                    id_idx,
                    archive_no: get("archive_no"),
                });
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
                    column: column_of(column),
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
            if !options.dry_run {
                report.created += self
                    .write_creates(actor, &creates, &codes, &format, &notice, &grant)
                    .await?;
                for (id, r) in &updates {
                    match self.upsert_one(actor, scope, *id, r).await {
                        Ok(()) => report.updated += 1,
                        Err(e) => {
                            for f in e.field_errors() {
                                report.problems.push(RowProblem {
                                    row: r.row_no,
                                    column: column_of(f.field),
                                    value: String::new(),
                                    key: f.key,
                                });
                            }
                        }
                    }
                }
            } else {
                report.created += creates.len();
                report.updated += updates.len();
            }
            done += chunk.len();
            progress(done);
        }
        report.problems.sort_by_key(|p| p.row);
        if report.created > 10_000 && !options.dry_run {
            self.db.analyze().await?;
        }
        Ok(report)
    }

    async fn write_creates(
        &self,
        actor: &Actor,
        rows: &[Ready],
        codes: &HashMap<i64, String>,
        format: &str,
        notice: &str,
        grant: &ConsentGrant,
    ) -> Result<usize, AppError> {
        if rows.is_empty() {
            return Ok(0);
        }
        let first = self.db.allocate_ids("customers", rows.len() as i64).await?;
        let news: Vec<NewCustomer> = rows
            .iter()
            .enumerate()
            .map(|(i, r)| {
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
            .collect();
        self.db.import_customers(actor, &news, self.now()).await?;
        Ok(news.len())
    }
}
