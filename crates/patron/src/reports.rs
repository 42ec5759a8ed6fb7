//! `patron report summary|sales|cohorts|lifecycle` and `patron reports rebuild`: the reports
//! the console and the API give, for the whole chain, as a text table, CSV, xlsx or JSON.

use anyhow::{Context, bail};
use clap::{Args, Subcommand, ValueEnum};
use patron_app::App;
use patron_app::reports::sales::{GroupBy, SalesAsk};
use patron_app::reports::table::{self, ReportTable};
use patron_app::reports::{Period, cohorts::parse_month};
use patron_domain::Scope;
use patron_web::Lang;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand, Debug)]
pub enum ReportCmd {
    /// The headline figures of a period with the previous period and a year earlier.
    Summary(PeriodArgs),
    /// Sales grouped by day, week, month, store, category, product, staff, hour, weekday or
    /// member.
    Sales {
        #[command(flatten)]
        period: PeriodArgs,
        #[arg(long, default_value = "day")]
        group_by: String,
        /// A category code.
        #[arg(long)]
        category: Option<String>,
        /// A staff member's username.
        #[arg(long)]
        staff: Option<String>,
    },
    /// Cohort retention by month of first purchase (`--from` and `--to` as YYYY-MM).
    Cohorts(PeriodArgs),
    /// New, active, returning, won-back, lapsing and lost members month by month (YYYY-MM).
    Lifecycle(PeriodArgs),
}

#[derive(Subcommand, Debug)]
pub enum ReportsCmd {
    /// Rebuild every report roll-up from the raw sales and refunds.
    Rebuild,
}

#[derive(Args, Debug)]
pub struct PeriodArgs {
    /// First day (YYYY-MM-DD), or month for cohorts and lifecycle (YYYY-MM).
    #[arg(long)]
    from: String,
    /// Last day (inclusive), or month.
    #[arg(long)]
    to: String,
    /// A store code (default: the whole chain).
    #[arg(long)]
    store: Option<String>,
    #[arg(long, value_enum, default_value = "table")]
    format: Format,
    /// Where xlsx goes (required for xlsx; other formats print to standard output).
    #[arg(long)]
    out: Option<PathBuf>,
    /// The language of headers and labels: zh-CN or en.
    #[arg(long, default_value = "zh-CN")]
    lang: String,
}

#[derive(ValueEnum, Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    Table,
    Csv,
    Xlsx,
    Json,
}

#[allow(clippy::print_stdout)]
pub async fn run(app: &App, cmd: ReportCmd) -> anyhow::Result<ExitCode> {
    let scope = Scope::Chain;
    let (args, made) = match cmd {
        ReportCmd::Summary(a) => {
            let period = Period::parse(&a.from, &a.to).map_err(crate::cli::explain)?;
            let s = app
                .report_summary(scope, period, a.store.as_deref())
                .await
                .map_err(crate::cli::explain)?;
            let lang = lang(&a.lang);
            let json = serde_json::to_string_pretty(&s)?;
            (a, (table::summary_table(&s, lang), json))
        }
        ReportCmd::Sales {
            period: a,
            group_by,
            category,
            staff,
        } => {
            let period = Period::parse(&a.from, &a.to).map_err(crate::cli::explain)?;
            let by = GroupBy::parse(&group_by).map_err(crate::cli::explain)?;
            let ask = SalesAsk {
                store: a.store.clone(),
                category,
                staff,
            };
            let r = app
                .sales_report(scope, period, by, &ask)
                .await
                .map_err(crate::cli::explain)?;
            let json = serde_json::to_string_pretty(&r)?;
            let t = table::sales_table(&r, lang(&a.lang));
            (a, (t, json))
        }
        ReportCmd::Cohorts(a) => {
            let (from, to) = months(&a)?;
            let r = app
                .cohort_report(scope, from, to, a.store.as_deref())
                .await
                .map_err(crate::cli::explain)?;
            let json = serde_json::to_string_pretty(&r)?;
            let t = table::cohort_table(&r, lang(&a.lang));
            (a, (t, json))
        }
        ReportCmd::Lifecycle(a) => {
            let (from, to) = months(&a)?;
            let r = app
                .lifecycle_report(scope, from, to, a.store.as_deref())
                .await
                .map_err(crate::cli::explain)?;
            let json = serde_json::to_string_pretty(&r)?;
            let t = table::lifecycle_table(&r, lang(&a.lang));
            (a, (t, json))
        }
    };
    let (t, json) = made;
    match args.format {
        Format::Json => println!("{json}"),
        Format::Table => print!("{}", text(&t)),
        Format::Csv => {
            let bytes = table::to_csv(&t).map_err(crate::cli::explain)?;
            print!("{}", String::from_utf8_lossy(&bytes[3..]));
        }
        Format::Xlsx => {
            let Some(out) = args.out else {
                bail!("--out FILE is required for xlsx");
            };
            let bytes = table::to_xlsx(&t).map_err(crate::cli::explain)?;
            std::fs::write(&out, bytes)
                .with_context(|| format!("cannot write {}", out.display()))?;
            println!("written to {}", out.display());
        }
    }
    Ok(ExitCode::SUCCESS)
}

#[allow(clippy::print_stdout)]
pub async fn rebuild(app: &App) -> anyhow::Result<ExitCode> {
    let started = std::time::Instant::now();
    let done = app.rebuild_reports().await.map_err(crate::cli::explain)?;
    if done.dated > 0 {
        println!(
            "{} older sales and refunds given their local hour",
            done.dated
        );
    }
    for (table, rows) in &done.rows {
        println!("{table}: {rows} rows");
    }
    println!(
        "report roll-ups rebuilt in {} ms",
        started.elapsed().as_millis()
    );
    Ok(ExitCode::SUCCESS)
}

fn lang(code: &str) -> Lang {
    Lang::parse(code).unwrap_or(Lang::Zh)
}

fn months(a: &PeriodArgs) -> anyhow::Result<(i64, i64)> {
    let from = parse_month("from", &a.from).map_err(crate::cli::explain)?;
    let to = parse_month("to", &a.to).map_err(crate::cli::explain)?;
    Ok((from, to))
}

/// The table with its columns aligned (wide characters count twice), figures as people read
/// them.
fn text(t: &ReportTable) -> String {
    let cells: Vec<Vec<String>> = std::iter::once(t.headers.clone())
        .chain(
            t.rows
                .iter()
                .map(|r| r.iter().map(|c| c.display()).collect()),
        )
        .collect();
    let width = |s: &str| {
        s.chars()
            .map(|c| if c.len_utf8() > 1 { 2 } else { 1 })
            .sum::<usize>()
    };
    let columns = cells.iter().map(Vec::len).max().unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|c| {
            cells
                .iter()
                .filter_map(|r| r.get(c))
                .map(|s| width(s))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = format!("{}\n", t.title);
    for row in &cells {
        let line: Vec<String> = row
            .iter()
            .enumerate()
            .map(|(c, s)| {
                let pad = widths[c].saturating_sub(width(s));
                if c == 0 {
                    format!("{s}{}", " ".repeat(pad))
                } else {
                    format!("{}{s}", " ".repeat(pad))
                }
            })
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    }
    out
}
