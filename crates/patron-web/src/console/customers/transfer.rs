//! The import wizard (upload, column mapping with a masked preview, dry run or import with a
//! progress bar, the report) and the export form. An uploaded file is kept sealed under the
//! data key in `<data>/imports/` until it has been imported, and only its uploader can use it.

use super::Choices;
use crate::console::see_other;
use crate::i18n::Lang;
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use crate::view::{Page, render};
use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, State};
use axum::http::{StatusCode, header};
use axum::response::{IntoResponse, Response};
use patron_app::AppError;
use patron_app::customers::CustomerQuery;
use patron_app::customers::export::{ExportFormat, ExportRequest};
use patron_app::customers::import::{
    FIELDS, ImportMode, ImportOptions, ImportReport, MatchBy, guess_mapping, mask_cell,
};
use patron_domain::Capability;
use patron_domain::customers::ConsentPurpose;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

/// Largest file the console accepts (about 300,000 rows of CSV).
pub const UPLOAD_LIMIT: usize = 64 * 1024 * 1024;

pub struct ImportJob {
    staff_id: i64,
    total: usize,
    done: Arc<AtomicUsize>,
    dry_run: bool,
    result: Option<Result<ImportReport, AppError>>,
}

#[derive(Default)]
pub struct ImportJobs(std::sync::Mutex<HashMap<String, ImportJob>>);

impl ImportJobs {
    fn with<T>(&self, f: impl FnOnce(&mut HashMap<String, ImportJob>) -> T) -> T {
        let mut map = self.0.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut map)
    }
}

#[derive(Template)]
#[template(path = "customer_import.html")]
pub struct UploadPage {
    page: Page,
    upload_action: String,
}

pub async fn import_page(Staff(p, ctx): Staff) -> Response {
    let page = Page::console(ctx.lang, &p, "import.title", "/console/customers/import");
    let upload_action = format!("/console/customers/import?_csrf={}", page.csrf);
    render(&UploadPage {
        page,
        upload_action,
    })
}

fn page_error(e: AppError, ctx: &Ctx) -> Response {
    crate::error::WebError::page(e, ctx.lang).into_response_page()
}

pub async fn upload(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    mut multipart: Multipart,
) -> Response {
    // A form that cannot be read whole is one over the size limit (the route's body limit).
    let too_large = || {
        AppError::from(patron_domain::FieldError::new(
            "file",
            "error.import.too_large",
        ))
    };
    let mut bytes = Vec::new();
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) if field.name() == Some("file") => match field.bytes().await {
                Ok(b) => bytes = b.to_vec(),
                Err(_) => return page_error(too_large(), &ctx),
            },
            Ok(Some(_)) => {}
            Ok(None) => break,
            Err(_) => return page_error(too_large(), &ctx),
        }
    }
    let token = match state.app.stash_upload(p.staff_id, &bytes) {
        Ok(t) => t,
        Err(e) => return page_error(e, &ctx),
    };
    see_other(&format!("/console/customers/import/{token}"))
}

pub struct Column {
    pub index: usize,
    pub header: String,
    pub field: String,
    pub sample: String,
}

#[derive(Template)]
#[template(path = "customer_import_map.html")]
pub struct MappingPage {
    page: Page,
    token: String,
    rows: usize,
    columns: Vec<Column>,
    fields: Vec<Choices>,
    stores: Vec<Choices>,
    purposes: Vec<Choices>,
}

pub async fn mapping_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(token): Path<String>,
) -> Response {
    let table = match state.app.load_upload(p.staff_id, &token) {
        Ok(t) => t,
        Err(e) => return page_error(e, &ctx),
    };
    let guessed = guess_mapping(&table.headers);
    let columns = table
        .headers
        .iter()
        .enumerate()
        .map(|(i, h)| Column {
            index: i,
            header: h.clone(),
            field: guessed[i].unwrap_or("").to_string(),
            sample: table
                .rows
                .iter()
                .take(3)
                .map(|r| mask_cell(r.get(i).map(String::as_str).unwrap_or("")))
                .collect::<Vec<_>>()
                .join(" / "),
        })
        .collect();
    let lang = ctx.lang;
    let (stores, _) = match super::choices(&state, &p).await {
        Ok(c) => c,
        Err(e) => return page_error(e, &ctx),
    };
    render(&MappingPage {
        page: Page::console(lang, &p, "import.map_title", "/console/customers/import"),
        token,
        rows: table.rows.len(),
        columns,
        fields: FIELDS
            .iter()
            .map(|(f, _)| Choices {
                value: f.to_string(),
                label: lang.t(&format!("import.field.{f}")).to_string(),
            })
            .collect(),
        stores,
        purposes: ConsentPurpose::ALL
            .iter()
            .map(|c| Choices {
                value: c.as_str().into(),
                label: lang.t(&format!("purpose.{}", c.as_str())).into(),
            })
            .collect(),
    })
}

/// Starts a dry run or the import in the background and shows its progress.
pub async fn start(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(token): Path<String>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let table = match state.app.load_upload(p.staff_id, &token) {
        Ok(t) => t,
        Err(e) => return page_error(e, &ctx),
    };
    let get = |k: &str| {
        pairs
            .iter()
            .find(|(key, _)| key == k)
            .map(|(_, v)| v.as_str())
            .unwrap_or("")
    };
    let mapping: Vec<Option<&'static str>> = (0..table.headers.len())
        .map(|i| {
            let chosen = get(&format!("map.{i}"));
            FIELDS.iter().map(|(f, _)| *f).find(|f| *f == chosen)
        })
        .collect();
    let options = ImportOptions {
        mode: if get("mode") == "upsert" {
            ImportMode::Upsert
        } else {
            ImportMode::Create
        },
        match_by: match get("match") {
            "archive" => MatchBy::Archive,
            "id" => MatchBy::IdNumber,
            _ => MatchBy::Phone,
        },
        dry_run: get("action") != "run",
        default_store: crate::console::opt_id(get("store_id")),
        consents: pairs
            .iter()
            .filter(|(k, _)| k == "consent")
            .filter_map(|(_, v)| ConsentPurpose::parse(v))
            .collect(),
        ..Default::default()
    };
    let done = Arc::new(AtomicUsize::new(0));
    state.imports.with(|m| {
        m.insert(
            token.clone(),
            ImportJob {
                staff_id: p.staff_id,
                total: table.rows.len(),
                done: done.clone(),
                dry_run: options.dry_run,
                result: None,
            },
        )
    });
    let actor = p.actor(ctx.rid());
    let scope = p.scope();
    let bg = state.clone();
    let job_token = token.clone();
    tokio::spawn(async move {
        let progress = move |n: usize| done.store(n, Ordering::Relaxed);
        let result = bg
            .app
            .import_customers(&actor, scope, &table, &mapping, &options, &progress)
            .await;
        if !options.dry_run && result.is_ok() {
            bg.app.discard_upload(&job_token);
        }
        bg.imports.with(|m| {
            if let Some(job) = m.get_mut(&job_token) {
                job.result = Some(result);
            }
        });
    });
    see_other(&format!("/console/customers/import/{token}/status"))
}

pub struct ProblemLine {
    pub row: usize,
    pub column: String,
    pub value: String,
    pub reason: &'static str,
}

#[derive(Template)]
#[template(path = "customer_import_status.html")]
pub struct StatusPage {
    page: Page,
    token: String,
    running: bool,
    dry_run: bool,
    total: usize,
    done: usize,
    created: usize,
    updated: usize,
    rejected: usize,
    problems: Vec<ProblemLine>,
}

pub async fn status(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(token): Path<String>,
) -> Response {
    let lang = ctx.lang;
    let snapshot = state.imports.with(|m| {
        m.get(&token).filter(|j| j.staff_id == p.staff_id).map(|j| {
            (
                j.total,
                j.done.load(Ordering::Relaxed),
                j.dry_run,
                j.result.as_ref().map(|r| match r {
                    Ok(rep) => Ok(rep.clone()),
                    Err(e) => Err(e.to_string()),
                }),
            )
        })
    });
    let Some((total, done, dry_run, result)) = snapshot else {
        // No run in this server's memory (never started, or the server restarted): if the
        // upload is still there, offer the mapping again; otherwise there is nothing.
        return match state.app.load_upload(p.staff_id, &token) {
            Ok(_) => see_other(&format!("/console/customers/import/{token}")),
            Err(e) => page_error(e, &ctx),
        };
    };
    let report = match result {
        Some(Err(cause)) => return page_error(AppError::Internal(cause), &ctx),
        Some(Ok(r)) => Some(r),
        None => None,
    };
    let page = Page::console(lang, &p, "import.status_title", "/console/customers/import");
    let r = report.clone().unwrap_or_default();
    render(&StatusPage {
        page,
        token,
        running: report.is_none(),
        dry_run,
        total,
        done,
        created: r.created,
        updated: r.updated,
        rejected: r.rejected(),
        problems: r
            .problems
            .iter()
            .take(1000)
            .map(|pr| ProblemLine {
                row: pr.row,
                column: pr.column.clone(),
                value: pr.value.clone(),
                reason: lang.t(pr.key),
            })
            .collect(),
    })
}

#[derive(Template)]
#[template(path = "customer_export.html")]
pub struct ExportPage {
    page: Page,
    query: String,
    can_full: bool,
    threshold: i64,
}

pub async fn export_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    axum::extract::RawQuery(query): axum::extract::RawQuery,
) -> Response {
    render(&ExportPage {
        page: Page::console(ctx.lang, &p, "export.title", "/console/customers/export"),
        query: query.unwrap_or_default(),
        can_full: p.can(Capability::CustomerPiiReveal),
        threshold: state.app.config().customers.export_reason_rows,
    })
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct ExportForm {
    #[serde(default)]
    query: String,
    #[serde(default)]
    format: String,
    #[serde(default)]
    full: String,
    #[serde(default)]
    reason: String,
}

pub async fn export(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(form): Form<ExportForm>,
) -> Response {
    let lang: Lang = ctx.lang;
    let q: CustomerQuery = serde_urlencoded::from_str(&form.query).unwrap_or_default();
    let format = if form.format == "xlsx" {
        ExportFormat::Xlsx
    } else {
        ExportFormat::Csv
    };
    match state
        .app
        .export_customers(
            &p,
            ctx.rid(),
            &ExportRequest {
                query: q,
                format,
                full: form.full == "1",
                reason: form.reason.clone(),
            },
            lang,
        )
        .await
    {
        Ok(out) => {
            let (ctype, ext) = match format {
                ExportFormat::Csv => ("text/csv; charset=utf-8", "csv"),
                ExportFormat::Xlsx => (
                    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                    "xlsx",
                ),
            };
            let day = state
                .app
                .config()
                .timezone()
                .to_datetime(state.app.now())
                .date();
            (
                StatusCode::OK,
                [
                    (header::CONTENT_TYPE, ctype.to_string()),
                    (
                        header::CONTENT_DISPOSITION,
                        format!("attachment; filename=\"customers-{day}.{ext}\""),
                    ),
                ],
                out.bytes,
            )
                .into_response()
        }
        Err(e) => {
            crate::console::on_form_error(&e, lang, async {
                let mut page = Page::console(lang, &p, "export.title", "/console/customers/export");
                page = page.with_error(&e);
                render(&ExportPage {
                    page,
                    query: form.query.clone(),
                    can_full: p.can(Capability::CustomerPiiReveal),
                    threshold: state.app.config().customers.export_reason_rows,
                })
            })
            .await
        }
    }
}
