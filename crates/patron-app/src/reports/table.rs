//! A report as a table in the reader's language: what the xlsx and CSV exports, the CLI's
//! text output and the pages' data tables are made from, so they cannot disagree.

use super::cohorts::{CohortReport, LifecycleReport};
use super::loyalty::LoyaltyReport;
use super::sales::{GroupBy, SalesReport};
use super::summary::{Figures, Summary};
use crate::AppError;
use crate::i18n::Lang;

/// One cell: text, a count, an amount in fen, a share (0–1) or a plain number.
#[derive(Debug, Clone, PartialEq)]
pub enum Cell {
    Text(String),
    Int(i64),
    Fen(i64),
    Share(f64),
    Number(f64),
    Empty,
}

impl Cell {
    /// As people read it: ¥1,234.50, 12.5 %, 1,234.
    pub fn display(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Int(n) => group_digits(*n),
            Cell::Fen(f) => yuan(*f),
            Cell::Share(s) => format!("{:.1} %", s * 100.0),
            Cell::Number(n) => format!("{n:.2}"),
            Cell::Empty => "—".into(),
        }
    }

    /// As a machine reads it (CSV): amounts in fen, shares as fractions.
    pub fn raw(&self) -> String {
        match self {
            Cell::Text(t) => t.clone(),
            Cell::Int(n) | Cell::Fen(n) => n.to_string(),
            Cell::Share(s) => format!("{s:.6}"),
            Cell::Number(n) => format!("{n:.4}"),
            Cell::Empty => String::new(),
        }
    }
}

fn opt<T>(v: Option<T>, f: impl Fn(T) -> Cell) -> Cell {
    v.map_or(Cell::Empty, f)
}

/// `1234567` as `1,234,567`.
pub fn group_digits(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// Fen as `¥1,234.50`.
pub fn yuan(fen: i64) -> String {
    let sign = if fen < 0 { "-" } else { "" };
    let a = fen.unsigned_abs();
    let yuan = i64::try_from(a / 100).unwrap_or(i64::MAX);
    format!("{sign}¥{}.{:02}", group_digits(yuan), a % 100)
}

/// A titled table.
#[derive(Debug, Clone, PartialEq)]
pub struct ReportTable {
    pub title: String,
    pub headers: Vec<String>,
    pub rows: Vec<Vec<Cell>>,
}

/// The figures in the summary's order: (key, label key, cell of a period).
pub const FIGURES: [&str; 14] = [
    "net_sales_fen",
    "receipts",
    "average_order_fen",
    "items_per_receipt",
    "member_sales_share",
    "active_customers",
    "new_customers",
    "first_time_buyers",
    "repeat_rate",
    "retention_rate",
    "churn_rate",
    "purchase_frequency",
    "csat",
    "nps",
];

/// One figure of a period as a cell.
pub fn figure_cell(f: &Figures, key: &str) -> Cell {
    let count = |n: u64| Cell::Int(i64::try_from(n).unwrap_or(i64::MAX));
    match key {
        "net_sales_fen" => Cell::Fen(f.net_sales_fen),
        "receipts" => Cell::Int(f.receipts),
        "average_order_fen" => opt(f.average_order_fen, Cell::Fen),
        "items_per_receipt" => opt(f.items_per_receipt, Cell::Number),
        "member_sales_share" => opt(f.member_sales_share, Cell::Share),
        "active_customers" => count(f.active_customers),
        "new_customers" => count(f.new_customers),
        "first_time_buyers" => count(f.first_time_buyers),
        "repeat_rate" => opt(f.repeat_rate, Cell::Share),
        "retention_rate" => opt(f.retention_rate, Cell::Share),
        "churn_rate" => opt(f.churn_rate, Cell::Share),
        "purchase_frequency" => opt(f.purchase_frequency, Cell::Number),
        "csat" => opt(f.csat, Cell::Share),
        "nps" => opt(f.nps, Cell::Number),
        _ => Cell::Empty,
    }
}

/// The change from `before` to `now` as a share of `before` (`None` without a base).
pub fn change(now: f64, before: f64) -> Option<f64> {
    (before != 0.0).then(|| (now - before) / before.abs())
}

/// A figure's value as a number, for changes and charts.
pub fn figure_value(f: &Figures, key: &str) -> Option<f64> {
    match figure_cell(f, key) {
        Cell::Int(n) | Cell::Fen(n) => Some(n as f64),
        Cell::Share(s) | Cell::Number(s) => Some(s),
        _ => None,
    }
}

pub fn summary_table(s: &Summary, lang: Lang) -> ReportTable {
    let headers = vec![
        lang.t("reports.col.figure").to_string(),
        format!("{} ~ {}", s.figures.from, s.figures.to),
        lang.t("reports.col.previous").to_string(),
        lang.t("reports.col.year_ago").to_string(),
    ];
    let rows = FIGURES
        .iter()
        .map(|k| {
            vec![
                Cell::Text(lang.t(&format!("reports.fig.{k}")).to_string()),
                figure_cell(&s.figures, k),
                figure_cell(&s.previous, k),
                figure_cell(&s.year_ago, k),
            ]
        })
        .collect();
    ReportTable {
        title: lang.t("reports.summary.title").to_string(),
        headers,
        rows,
    }
}

/// The label of a sales row's key in the reader's language.
pub fn sales_label(group_by: GroupBy, key: &str, name: &str, lang: Lang) -> String {
    match group_by {
        GroupBy::Member => lang.t(&format!("reports.member.{key}")).to_string(),
        GroupBy::Weekday => lang.t(&format!("reports.weekday.{key}")).to_string(),
        GroupBy::Hour => format!("{key}:00"),
        GroupBy::Staff if key.is_empty() => lang.t("reports.no_staff").to_string(),
        GroupBy::Store | GroupBy::Staff | GroupBy::Category | GroupBy::Product
            if !name.is_empty() =>
        {
            format!("{name} ({key})")
        }
        _ => key.to_string(),
    }
}

pub fn sales_table(r: &SalesReport, lang: Lang) -> ReportTable {
    let mut headers: Vec<String> = [
        format!("reports.group.{}", r.group_by.code()),
        "reports.col.receipts".into(),
        "reports.col.items".into(),
        "reports.col.net".into(),
        "reports.col.refund".into(),
        "reports.col.net_sales".into(),
        "reports.col.average_order".into(),
        "reports.col.share".into(),
    ]
    .iter()
    .map(|k| lang.t(k).to_string())
    .collect();
    let product = r.group_by == GroupBy::Product;
    if product {
        headers.push(lang.t("reports.col.abc").to_string());
    }
    let line = |label: String, row: &super::sales::SalesRow| {
        let mut cells = vec![
            Cell::Text(label),
            Cell::Int(row.receipts),
            Cell::Int(row.items),
            Cell::Fen(row.net_fen),
            Cell::Fen(row.refund_fen),
            Cell::Fen(row.net_sales_fen),
            opt(row.average_order_fen, Cell::Fen),
            opt(row.share, Cell::Share),
        ];
        if product {
            cells.push(opt(row.abc, |c| Cell::Text(c.to_string())));
        }
        cells
    };
    let mut rows: Vec<Vec<Cell>> = r
        .rows
        .iter()
        .map(|row| line(sales_label(r.group_by, &row.key, &row.name, lang), row))
        .collect();
    rows.push(line(lang.t("reports.total").to_string(), &r.total));
    ReportTable {
        title: format!(
            "{} · {}",
            lang.t("reports.sales.title"),
            lang.t(&format!("reports.group.{}", r.group_by.code()))
        ),
        headers,
        rows,
    }
}

pub fn cohort_table(r: &CohortReport, lang: Lang) -> ReportTable {
    let width = r.cohorts.first().map_or(1, |c| c.retention.len());
    let mut headers = vec![
        lang.t("reports.col.cohort").to_string(),
        lang.t("reports.col.size").to_string(),
    ];
    headers
        .extend((0..width).map(|k| lang.format("reports.col.month_k", &[("k", &k.to_string())])));
    let rows = r
        .cohorts
        .iter()
        .map(|c| {
            let mut cells = vec![
                Cell::Text(c.month.clone()),
                Cell::Int(i64::try_from(c.size).unwrap_or(i64::MAX)),
            ];
            cells.extend(c.retention.iter().map(|v| opt(*v, Cell::Share)));
            cells
        })
        .collect();
    ReportTable {
        title: lang.t("reports.cohorts.title").to_string(),
        headers,
        rows,
    }
}

pub fn lifecycle_table(r: &LifecycleReport, lang: Lang) -> ReportTable {
    let keys = [
        "month",
        "new",
        "active",
        "returning",
        "won_back",
        "lapsing",
        "lost",
    ];
    let headers = keys
        .iter()
        .map(|k| lang.t(&format!("reports.life.{k}")).to_string())
        .collect();
    let n = |v: u64| Cell::Int(i64::try_from(v).unwrap_or(i64::MAX));
    let rows = r
        .months
        .iter()
        .map(|m| {
            vec![
                Cell::Text(m.month.clone()),
                n(m.new),
                n(m.active),
                n(m.returning),
                n(m.won_back),
                n(m.lapsing),
                n(m.lost),
            ]
        })
        .collect();
    ReportTable {
        title: lang.t("reports.lifecycle.title").to_string(),
        headers,
        rows,
    }
}

pub fn loyalty_table(r: &LoyaltyReport, lang: Lang) -> ReportTable {
    let keys = [
        "reports.axis.month",
        "reports.col.points_earned",
        "reports.col.points_value",
        "reports.col.coupon",
        "reports.col.points_sales",
        "reports.col.coupon_sales",
        "reports.col.net_sales",
        "reports.col.cost_share",
    ];
    let line = |label: String, m: &super::loyalty::LoyaltyMonth| {
        vec![
            Cell::Text(label),
            Cell::Int(m.points_earned),
            Cell::Fen(m.points_value_fen),
            Cell::Fen(m.coupon_fen),
            Cell::Fen(m.points_sales_fen),
            Cell::Fen(m.coupon_sales_fen),
            Cell::Fen(m.net_sales_fen),
            opt(m.cost_share, Cell::Share),
        ]
    };
    let mut rows: Vec<Vec<Cell>> = r.months.iter().map(|m| line(m.month.clone(), m)).collect();
    rows.push(line(lang.t("reports.total").to_string(), &r.total));
    ReportTable {
        title: lang.t("reports.loyalty.title").to_string(),
        headers: keys.iter().map(|k| lang.t(k).to_string()).collect(),
        rows,
    }
}

/// Targets against net sales: a row a store (or the chain's total) and month, then its year.
pub fn targets_table(r: &super::targets::TargetsReport, lang: Lang) -> ReportTable {
    let keys = [
        "reports.store",
        "reports.axis.month",
        "reports.col.target",
        "reports.col.net_sales",
        "reports.col.targeted_sales",
        "reports.col.attainment",
    ];
    let mut rows = Vec::new();
    for l in &r.lines {
        let who = if l.code.is_empty() {
            lang.t("reports.targets.chain").to_string()
        } else {
            format!("{} ({})", l.name, l.code)
        };
        let year = format!("{} {}", l.year.month, lang.t("reports.targets.whole_year"));
        for (label, m) in l
            .months
            .iter()
            .map(|m| (m.month.clone(), m))
            .chain(std::iter::once((year, &l.year)))
        {
            rows.push(vec![
                Cell::Text(who.clone()),
                Cell::Text(label),
                opt(m.target_fen, Cell::Fen),
                Cell::Fen(m.net_sales_fen),
                Cell::Fen(m.targeted_sales_fen),
                opt(m.attainment, Cell::Share),
            ]);
        }
    }
    ReportTable {
        title: lang.t("reports.targets.title").to_string(),
        headers: keys.iter().map(|k| lang.t(k).to_string()).collect(),
        rows,
    }
}

/// The table as a spreadsheet: figures as numbers (amounts in yuan with two decimals, shares
/// formatted as percentages), names as neutralised text.
pub fn to_xlsx(t: &ReportTable) -> Result<Vec<u8>, AppError> {
    use rust_xlsxwriter::{Format, Workbook};
    let fail = |e: rust_xlsxwriter::XlsxError| AppError::Internal(e.to_string());
    let mut book = Workbook::new();
    let bold = Format::new().set_bold();
    let money = Format::new().set_num_format("¥#,##0.00");
    let share = Format::new().set_num_format("0.0%");
    let number = Format::new().set_num_format("0.00");
    let sheet = book.add_worksheet();
    // Sheet names are at most 31 characters and cannot hold some punctuation.
    let name: String = t
        .title
        .chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect();
    sheet.set_name(&name).map_err(fail)?;
    for (c, h) in t.headers.iter().enumerate() {
        let c = u16::try_from(c).unwrap_or(u16::MAX);
        sheet
            .write_string_with_format(0, c, h, &bold)
            .map_err(fail)?;
        sheet.set_column_width(c, 14).map_err(fail)?;
    }
    for (r, row) in t.rows.iter().enumerate() {
        let r = u32::try_from(r + 1).unwrap_or(u32::MAX);
        for (c, cell) in row.iter().enumerate() {
            let c = u16::try_from(c).unwrap_or(u16::MAX);
            match cell {
                Cell::Text(s) => {
                    sheet
                        .write_string(r, c, crate::customers::export::neutralise(s))
                        .map_err(fail)?;
                }
                Cell::Int(n) => {
                    sheet.write_number(r, c, *n as f64).map_err(fail)?;
                }
                Cell::Fen(f) => {
                    sheet
                        .write_number_with_format(r, c, *f as f64 / 100.0, &money)
                        .map_err(fail)?;
                }
                Cell::Share(s) => {
                    sheet
                        .write_number_with_format(r, c, *s, &share)
                        .map_err(fail)?;
                }
                Cell::Number(n) => {
                    sheet
                        .write_number_with_format(r, c, *n, &number)
                        .map_err(fail)?;
                }
                Cell::Empty => {}
            }
        }
    }
    book.save_to_buffer().map_err(fail)
}

/// The table as CSV (UTF-8 with a byte-order mark, for spreadsheet programs): amounts in fen,
/// shares as fractions.
pub fn to_csv(t: &ReportTable) -> Result<Vec<u8>, AppError> {
    let mut w = csv::Writer::from_writer(vec![0xEF, 0xBB, 0xBF]);
    let fail = |e: csv::Error| AppError::Internal(e.to_string());
    w.write_record(&t.headers).map_err(fail)?;
    for row in &t.rows {
        w.write_record(row.iter().map(|c| match c {
            Cell::Text(s) => crate::customers::export::neutralise(s),
            other => other.raw(),
        }))
        .map_err(fail)?;
    }
    w.into_inner()
        .map_err(|e| AppError::Internal(e.to_string()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_and_counts_read_as_people_write_them() {
        assert_eq!(yuan(123_456_789), "¥1,234,567.89");
        assert_eq!(yuan(-5), "-¥0.05");
        assert_eq!(group_digits(999), "999");
        assert_eq!(group_digits(-1_000), "-1,000");
        assert_eq!(Cell::Share(0.125).display(), "12.5 %");
        assert_eq!(change(120.0, 100.0), Some(0.2));
        assert_eq!(change(1.0, 0.0), None);
    }
}
