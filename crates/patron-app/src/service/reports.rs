//! The service report of a period: the tickets filed in it, each read as one fact (time to
//! first response counted in its store's business hours), summarised in
//! `patron_domain::service::report`, and the same as an xlsx workbook.

use crate::{App, AppError};
use jiff::civil::Date;
use patron_domain::service::report::{ServiceReport, TicketFact, summarise};
use patron_domain::service::sla::BusinessClock;
use patron_store::Scope;
use std::collections::HashMap;

/// At most this many tickets go into one report.
pub const REPORT_LIMIT: i64 = 200_000;

impl App {
    /// The report of the tickets filed from `from` to `to` (both days included, in the
    /// head office's time zone) within `scope`.
    pub async fn service_report(
        &self,
        scope: Scope,
        from: Date,
        to: Date,
    ) -> Result<ServiceReport, AppError> {
        let tz = self.config.timezone();
        let (start, _) = crate::clock::day_bounds(from, &tz)?;
        let (_, end) = crate::clock::day_bounds(to, &tz)?;
        let rows = self
            .db
            .tickets_filed_between(scope, start, end, REPORT_LIMIT)
            .await?;
        let sales: Vec<i64> = rows
            .iter()
            .filter(|r| r.item_ref.is_none())
            .filter_map(|r| r.sale_id)
            .collect();
        let products: HashMap<i64, String> = self
            .db
            .first_line_names(&sales)
            .await?
            .into_iter()
            .collect();
        let mut clocks = HashMap::new();
        let mut facts = Vec::with_capacity(rows.len());
        for r in rows {
            if let std::collections::hash_map::Entry::Vacant(e) = clocks.entry(r.store_id) {
                e.insert(self.business_time(r.store_id).await?);
            }
            let Some((hours, holidays, zone)) = clocks.get(&r.store_id) else {
                continue;
            };
            let clock = BusinessClock {
                hours,
                holidays,
                tz: zone.clone(),
            };
            let response_minutes = r
                .responded_at
                .map(|d| clock.minutes_between(r.created_at, d));
            let product = match (&r.item_ref, r.sale_id) {
                (Some(item), _) => item.clone(),
                (None, Some(sale)) => products.get(&sale).cloned().unwrap_or_default(),
                (None, None) => String::new(),
            };
            facts.push(TicketFact {
                store_id: r.store_id,
                category: r.category.clone(),
                product,
                assignee_id: r.assignee_id,
                root_cause: r.root_cause.clone(),
                response_minutes,
                response_breached: r.breached_response,
                resolution_minutes: r.resolved_at.map(|_| r.sla_used_min),
                resolution_breached: r.breached_resolution,
                reopened: r.reopen_count > 0,
                satisfaction: r.satisfaction,
                closed_unanswered: r.closed_unanswered,
            });
        }
        Ok(summarise(&facts))
    }
}

/// The report as an xlsx workbook: the figures, then one sheet per breakdown. `label`
/// names codes (categories, root causes, stores, staff) in the reader's language.
pub fn report_xlsx(
    r: &ServiceReport,
    label: &dyn Fn(&str, &str) -> String,
) -> Result<Vec<u8>, AppError> {
    use rust_xlsxwriter::{Format, Workbook};
    let fail = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let opt = |v: Option<f64>| v.map(|x| format!("{x:.1}")).unwrap_or_default();
    let minutes = |v: Option<i64>| v.map(|x| x.to_string()).unwrap_or_default();
    let mut sheets: Vec<(String, Vec<String>, Vec<Vec<String>>)> = vec![(
        label("sheet", "summary"),
        vec![label("col", "figure"), label("col", "value")],
        vec![
            vec![label("fig", "total"), r.total.to_string()],
            vec![label("fig", "response_on_time"), opt(r.response_on_time)],
            vec![
                label("fig", "resolution_on_time"),
                opt(r.resolution_on_time),
            ],
            vec![label("fig", "response_median"), minutes(r.response.median)],
            vec![label("fig", "response_p90"), minutes(r.response.p90)],
            vec![
                label("fig", "resolution_median"),
                minutes(r.resolution.median),
            ],
            vec![label("fig", "resolution_p90"), minutes(r.resolution.p90)],
            vec![label("fig", "reopen_rate"), opt(r.reopen_rate)],
            vec![label("fig", "rated"), r.rated.to_string()],
            vec![label("fig", "satisfaction"), opt(r.satisfaction_average)],
            vec![label("fig", "satisfied"), opt(r.satisfied)],
            vec![
                label("fig", "closed_unanswered"),
                r.closed_unanswered.to_string(),
            ],
        ],
    )];
    let count_sheet = |name: &str, rows: Vec<(String, i64)>| {
        (
            label("sheet", name),
            vec![label("col", name), label("col", "count")],
            rows.into_iter()
                .map(|(k, n)| vec![k, n.to_string()])
                .collect::<Vec<_>>(),
        )
    };
    sheets.push(count_sheet(
        "category",
        r.by_category
            .iter()
            .map(|(c, n)| (label("category", c), *n))
            .collect(),
    ));
    sheets.push(count_sheet(
        "store",
        r.by_store
            .iter()
            .map(|(s, n)| (label("store", &s.to_string()), *n))
            .collect(),
    ));
    sheets.push(count_sheet("product", r.by_product.clone()));
    sheets.push(count_sheet(
        "staff",
        r.by_staff
            .iter()
            .map(|(s, n)| {
                let id = s.map(|s| s.to_string()).unwrap_or_default();
                (label("staff", &id), *n)
            })
            .collect(),
    ));
    sheets.push((
        label("sheet", "pareto"),
        vec![
            label("col", "cause"),
            label("col", "count"),
            label("col", "percent"),
            label("col", "cumulative"),
        ],
        r.pareto
            .iter()
            .map(|p| {
                vec![
                    label("cause", &p.cause),
                    p.count.to_string(),
                    format!("{:.1}", p.percent),
                    format!("{:.1}", p.cumulative),
                ]
            })
            .collect(),
    ));
    for (name, header, rows) in sheets {
        let sheet = book.add_worksheet();
        sheet.set_name(&name).map_err(fail)?;
        for (c, h) in header.iter().enumerate() {
            sheet
                .write_string_with_format(0, c as u16, h, &bold)
                .map_err(fail)?;
        }
        for (r, row) in rows.iter().enumerate() {
            for (c, cell) in row.iter().enumerate() {
                let at = (r as u32 + 1, c as u16);
                // Figures as numbers, names as (neutralised) text.
                match cell.parse::<f64>() {
                    Ok(n) if c > 0 => sheet.write_number(at.0, at.1, n).map_err(fail)?,
                    _ => sheet
                        .write_string(at.0, at.1, crate::customers::export::neutralise(cell))
                        .map_err(fail)?,
                };
            }
        }
    }
    book.save_to_buffer().map_err(fail)
}
