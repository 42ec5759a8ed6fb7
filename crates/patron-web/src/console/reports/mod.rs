//! The report pages (`report.read`): an overview of the period's figures with their
//! comparisons, sales by any grouping, customer indicators over time, cohorts and the
//! lifecycle flow, points and coupon cost, sales against their targets. Every page is the same view: filters, figure
//! cards (each with its definition as a tooltip), charts drawn on the server, the data table
//! one click away, and the table as xlsx or CSV (`format=xlsx|csv` on the page's address).

pub mod cohorts;
pub mod customers;
pub mod loyalty;
pub mod overview;
pub mod sales;
pub mod targets;

use crate::identity::Ctx;
use crate::view::Page;
use askama::Template;
use axum::response::Response;
use patron_app::reports::table::{Cell, ReportTable, change};
use patron_app::security::Principal;
use patron_app::{App, AppError};
use patron_domain::Scope;

/// One filter of a report's form.
pub enum Field {
    Date {
        name: &'static str,
        label: &'static str,
        value: String,
    },
    Month {
        name: &'static str,
        label: &'static str,
        value: String,
    },
    Text {
        name: &'static str,
        label: &'static str,
        value: String,
    },
    Select {
        name: &'static str,
        label: &'static str,
        options: Vec<(String, String, bool)>,
    },
}

/// A headline figure with its changes against the previous period and a year earlier.
pub struct Card {
    pub id: &'static str,
    pub label: String,
    pub definition: String,
    pub value: String,
    pub vs_previous: Option<Change>,
    pub vs_year_ago: Option<Change>,
    pub spark: String,
}

pub struct Change {
    pub text: String,
    /// `up`, `down` or `flat`, for the arrow's colour.
    pub class: &'static str,
}

/// A table as the page shows it.
pub struct ViewTable {
    pub id: String,
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<(String, bool)>>,
}

impl ViewTable {
    pub fn of(id: &str, t: &ReportTable) -> ViewTable {
        ViewTable {
            id: id.to_string(),
            title: t.title.clone(),
            headers: t.headers.clone(),
            rows: t
                .rows
                .iter()
                .map(|r| {
                    r.iter()
                        .map(|c| (c.display(), !matches!(c, Cell::Text(_))))
                        .collect()
                })
                .collect(),
        }
    }
}

#[derive(Template)]
#[template(path = "report.html")]
pub struct ReportView {
    pub page: Page,
    pub action: &'static str,
    pub fields: Vec<Field>,
    pub cards: Vec<Card>,
    pub charts: Vec<String>,
    pub tables: Vec<ViewTable>,
    pub exports: Vec<(&'static str, String)>,
    pub notes: Vec<String>,
    pub links: Vec<(&'static str, &'static str)>,
    /// The form that sets a sales target, for who may (the targets page).
    pub target_form: Option<TargetForm>,
}

/// The sales-target form: the stores to choose from (code, name) and what it holds.
pub struct TargetForm {
    pub stores: Vec<(String, String)>,
    pub store: String,
    pub month: String,
    pub target: String,
}

impl ReportView {
    pub fn new(page: Page, action: &'static str) -> ReportView {
        ReportView {
            page,
            action,
            fields: Vec::new(),
            cards: Vec::new(),
            charts: Vec::new(),
            tables: Vec::new(),
            exports: Vec::new(),
            notes: Vec::new(),
            links: Vec::new(),
            target_form: None,
        }
    }

    /// Links to this page's table as xlsx and CSV, with the filters of `query`.
    pub fn set_exports(&mut self, query: &str) {
        let sep = if query.is_empty() { "" } else { "&" };
        self.exports = vec![
            (
                "reports.xlsx",
                format!("{}?{query}{sep}format=xlsx", self.action),
            ),
            (
                "reports.csv",
                format!("{}?{query}{sep}format=csv", self.action),
            ),
        ];
    }
}

/// Figures where a rise is bad news: their arrows keep their direction, their colours swap.
const LOWER_IS_BETTER: [&str; 1] = ["churn_rate"];

/// The change of figure `key`, coloured by whether it is good news (`change_of` for the rest).
pub fn change_for(key: &str, now: Option<f64>, before: Option<f64>) -> Option<Change> {
    let mut c = change_of(now, before)?;
    if LOWER_IS_BETTER.contains(&key) {
        c.class = match c.class {
            "up" => "up worse",
            "down" => "down better",
            other => other,
        };
    }
    Some(c)
}

/// The change from `before` to `now` as "+12.5 %", with its direction.
pub fn change_of(now: Option<f64>, before: Option<f64>) -> Option<Change> {
    let c = change(now?, before?)?;
    Some(Change {
        text: format!("{}{:.1} %", if c > 0.0 { "+" } else { "" }, c * 100.0),
        class: if c > 0.0005 {
            "up"
        } else if c < -0.0005 {
            "down"
        } else {
            "flat"
        },
    })
}

/// The store filter: the chain's stores (a store-bound role has only its own, no choice).
pub async fn store_field(
    app: &App,
    p: &Principal,
    lang: crate::i18n::Lang,
    chosen: &str,
) -> Result<Option<Field>, AppError> {
    if p.scope() != Scope::Chain {
        return Ok(None);
    }
    let dir = app.directory().await?;
    let mut options = vec![(
        String::new(),
        lang.t("reports.all_stores").to_string(),
        chosen.is_empty(),
    )];
    options.extend(
        dir.stores(Scope::Chain)
            .map(|s| (s.code.clone(), s.name.clone(), s.code == chosen)),
    );
    Ok(Some(Field::Select {
        name: "store",
        label: "reports.store",
        options,
    }))
}

/// `from`/`to` as typed, else the default period: the month so far.
pub fn period_or_default(
    app: &App,
    from: &str,
    to: &str,
) -> Result<patron_app::reports::Period, AppError> {
    patron_app::reports::Period::parse_or_month_to_date(from, to, app.report_today())
}

/// Money on a chart's axis: yuan without fen.
pub fn axis_yuan(fen: f64) -> String {
    patron_app::reports::table::yuan((fen / 100.0).round() as i64 * 100)
        .trim_end_matches(".00")
        .to_string()
}

pub fn axis_share(v: f64) -> String {
    format!("{:.0} %", v * 100.0)
}

pub fn axis_count(v: f64) -> String {
    patron_app::reports::table::group_digits(v.round() as i64)
}

/// The page, the file it was asked as, or the failure.
pub fn answer(built: Result<Option<Response>, AppError>, ctx: &Ctx, view: ReportView) -> Response {
    match built {
        Ok(None) => crate::view::render(&view),
        Ok(Some(file)) => file,
        Err(e) => failed(e, ctx, view),
    }
}

/// A failed report: a page for the reader, the field's message above the form when it was
/// bad input.
pub fn failed(e: AppError, ctx: &Ctx, mut view: ReportView) -> Response {
    match e {
        AppError::Field(_) | AppError::Fields(_) => {
            view.page = view.page.with_error(&e);
            crate::view::render(&view)
        }
        other => crate::error::WebError::page(other, ctx.lang).into_response_page(),
    }
}

/// The query string of a page's filters, for its export links.
pub fn query_of(pairs: &[(&str, &str)]) -> String {
    serde_urlencoded::to_string(
        pairs
            .iter()
            .filter(|(_, v)| !v.is_empty())
            .collect::<Vec<_>>(),
    )
    .unwrap_or_default()
}
