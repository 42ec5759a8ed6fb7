//! `patron import customers` and `patron keys rotate`: the long-running data commands, with a
//! progress bar on the terminal.

use anyhow::{Context, bail};
use clap::{Args, ValueEnum};
use indicatif::{ProgressBar, ProgressStyle};
use patron_app::customers::import::{ImportMode, ImportOptions, MatchBy, guess_mapping};
use patron_app::{App, AppError};
use patron_domain::Actor;
use patron_domain::Scope;
use patron_domain::customers::ConsentPurpose;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Mode {
    /// Only new customers; rows matching an existing one are rejected.
    Create,
    /// Update the matching customer (non-empty cells overwrite), create the rest.
    Upsert,
}

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Match {
    Phone,
    Archive,
    Id,
}

#[derive(Args, Debug)]
pub struct ImportArgs {
    /// A .csv (UTF-8 or GBK) or .xlsx file; the first row holds the headers.
    pub file: PathBuf,
    /// Check every row and write the report, but change nothing.
    #[arg(long)]
    pub dry_run: bool,
    /// Write the rejected rows (row, column, masked value, reason) to this CSV file.
    #[arg(long)]
    pub report: Option<PathBuf>,
    #[arg(long, value_enum, default_value = "create")]
    pub mode: Mode,
    /// How a row is matched to an existing customer.
    #[arg(long = "match", value_enum, default_value = "phone")]
    pub match_by: Match,
    /// Home store (code) for rows without a store column.
    #[arg(long)]
    pub store: Option<String>,
    /// A consent the store holds on paper for every row (repeatable), e.g. --consent service
    /// --consent id_number.
    #[arg(long = "consent")]
    pub consents: Vec<String>,
    /// First load of a large file: one transaction for the whole file, with the customer
    /// indexes rebuilt at the end. Several times faster; all rows or none; other writers
    /// (the till, the console) wait until it commits, so run it while the shop is closed.
    /// New customers only.
    #[arg(long)]
    pub bulk: bool,
    /// Language of the reasons in the report: zh-CN or en.
    #[arg(long, default_value = "zh-CN")]
    pub lang: String,
}

/// Exit codes: 0 every row imported, 2 some rows rejected (see the report), 1 failure.
// Command output: the report on standard output, warnings on standard error.
#[allow(clippy::print_stdout, clippy::print_stderr)]
pub async fn import_customers(app: &App, args: ImportArgs) -> anyhow::Result<ExitCode> {
    let bytes = std::fs::read(&args.file)
        .with_context(|| format!("cannot read {}", args.file.display()))?;
    let lang = patron_web::Lang::parse(&args.lang).unwrap_or(patron_web::Lang::Zh);
    let table = app.read_table(&bytes).map_err(|e| match e {
        AppError::Field(f) => anyhow::anyhow!("{}: {}", args.file.display(), lang.t(f.key)),
        e => anyhow::anyhow!("{}: {e}", args.file.display()),
    })?;
    let mapping = guess_mapping(&table.headers);
    let unmapped: Vec<&str> = table
        .headers
        .iter()
        .zip(&mapping)
        .filter(|(_, m)| m.is_none())
        .map(|(h, _)| h.as_str())
        .collect();
    if !unmapped.is_empty() {
        eprintln!("ignoring columns: {}", unmapped.join(", "));
    }
    let default_store = match &args.store {
        Some(code) => Some(crate::cli::store_id(app, code).await?),
        None => None,
    };
    let mut consents = Vec::new();
    for c in &args.consents {
        match ConsentPurpose::parse(c) {
            Some(p) => consents.push(p),
            None => bail!("unknown consent purpose '{c}'"),
        }
    }
    if args.bulk && matches!(args.mode, Mode::Upsert) {
        bail!("--bulk creates new customers only; use --mode create, or leave out --bulk");
    }
    let options = ImportOptions {
        mode: match args.mode {
            Mode::Create => ImportMode::Create,
            Mode::Upsert => ImportMode::Upsert,
        },
        match_by: match args.match_by {
            Match::Phone => MatchBy::Phone,
            Match::Archive => MatchBy::Archive,
            Match::Id => MatchBy::IdNumber,
        },
        dry_run: args.dry_run,
        bulk: args.bulk,
        default_store,
        consents,
        ..Default::default()
    };
    let bar = ProgressBar::new(table.rows.len() as u64);
    bar.set_style(
        ProgressStyle::with_template("{bar:40} {pos}/{len} rows  {per_sec}  ETA {eta}")
            .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let progress = {
        let bar = bar.clone();
        move |n: usize| bar.set_position(n as u64)
    };
    let report = app
        .import_customers(
            &Actor::cli("import"),
            Scope::Chain,
            &table,
            &mapping,
            &options,
            &progress,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{e}"))?;
    bar.finish_and_clear();
    let verb = if args.dry_run { "would be " } else { "" };
    println!(
        "{} rows: {} {verb}created, {} {verb}updated, {} rejected",
        report.rows,
        report.created,
        report.updated,
        report.rejected()
    );
    if let Some(path) = &args.report {
        let mut w = csv::Writer::from_path(path)
            .with_context(|| format!("cannot write {}", path.display()))?;
        w.write_record(match lang {
            patron_web::Lang::Zh => ["行", "列", "值（已脱敏）", "原因"],
            patron_web::Lang::En => ["row", "column", "value (masked)", "reason"],
        })?;
        for p in &report.problems {
            w.write_record([
                p.row.to_string(),
                p.column.clone(),
                p.value.clone(),
                lang.t(p.key).to_string(),
            ])?;
        }
        w.flush()?;
        println!("report written to {}", path.display());
    } else {
        for p in report.problems.iter().take(20) {
            println!(
                "row {} {}: {}",
                p.row,
                p.column,
                patron_web::Lang::En.t(p.key)
            );
        }
    }
    Ok(if report.problems.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// `patron import sales`: streams the file, with a bar of lines read.
// Command output: the counts and each rejected row, on standard output.
#[allow(clippy::print_stdout)]
pub async fn import_sales(
    app: &App,
    file: &std::path::Path,
    earn: bool,
    lang: &str,
) -> anyhow::Result<ExitCode> {
    let lang = patron_web::Lang::parse(lang).unwrap_or(patron_web::Lang::Zh);
    let f = std::fs::File::open(file).with_context(|| format!("cannot read {}", file.display()))?;
    let bar = ProgressBar::new_spinner();
    bar.set_style(
        ProgressStyle::with_template("{spinner} {pos} lines  {per_sec}  {elapsed}")
            .unwrap_or_else(|_| ProgressStyle::default_spinner()),
    );
    let progress = {
        let bar = bar.clone();
        move |n: usize| bar.set_position(n as u64)
    };
    let started = std::time::Instant::now();
    let report = app
        .import_sales(
            std::io::BufReader::with_capacity(1 << 20, f),
            earn,
            &progress,
        )
        .await
        .map_err(|e| anyhow::anyhow!("{}: {} ({e})", file.display(), lang.t(&explain_key(&e))))?;
    bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    println!(
        "{} lines, {} receipts saved, {} rejected, in {secs:.1} s ({:.0} lines/s)",
        report.lines,
        report.sales,
        report.rejected.len(),
        report.lines as f64 / secs.max(1e-9)
    );
    for (receipt, field, key) in report.rejected.iter().take(20) {
        println!("{receipt} {field}: {}", lang.t(key));
    }
    Ok(if report.rejected.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(2)
    })
}

/// The message key of an error, for the CLI's one-line failure.
fn explain_key(e: &patron_app::AppError) -> String {
    e.field_errors()
        .first()
        .map_or_else(|| "error.internal".to_string(), |f| f.key.to_string())
}

/// Adds a data key, then re-encrypts every sealed value under it. Safe while the server runs:
/// a row edited meanwhile is skipped (it is already under a key the server reads) and is
/// picked up by running the command again.
// Command output: the new key version and what to keep, on standard output.
#[allow(clippy::print_stdout)]
pub async fn rotate_keys(app: &App) -> anyhow::Result<ExitCode> {
    let version = app.keys().rotate().map_err(|e| anyhow::anyhow!("{e}"))?;
    println!("new data key version {version} written to the key file");
    let r = app.reseal_all().await.map_err(|e| anyhow::anyhow!("{e}"))?;
    println!(
        "re-encrypted {} rows and files under key {version}; {} changed meanwhile",
        r.done, r.skipped
    );
    println!("keep a copy of the key file: older backups need the older keys in it");
    Ok(ExitCode::SUCCESS)
}
