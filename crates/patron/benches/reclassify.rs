//! Reclassification of every customer on the embedded SQLite default.
//!
//! `cargo bench -p patron --bench reclassify -- [CUSTOMERS] [RUNS]` (default 1,000,000
//! customers, 3 runs; needs `pip install duckdb` for the reference).
//!
//! A population of CUSTOMERS in 20 stores (a fifth never bought; the others up to 15 sales
//! over three years, spend skewed so a few customers carry much of it) is written as Patron
//! keeps it: customers, running statistics and months. Timed: `App::reclassify` as the nightly
//! job runs it, read, classify, write, once from nothing (every row written) and once more
//! with nothing changed. Reference, in the same run: DuckDB computing the same classes from
//! the raw sales (`duckdb_classes.py`), load untimed. The two answers' class counts must agree.

// A benchmark is a command whose output is its figures, printed for the person running it.
#![allow(clippy::print_stdout)]

use patron_app::{App, Config, ManualClock};
use std::collections::{BTreeMap, BTreeSet};
use std::io::Write as _;
use std::sync::Arc;
use std::time::{Duration, Instant};

const STORES: i64 = 20;
const DAY_MS: i64 = 86_400_000;
/// 2026-11-23T02:00:00Z, 10:00 in Shanghai.
const NOW_S: i64 = 1_795_399_200;

struct Sale {
    customer: i64,
    sold_ms: i64,
    day: i64,
    month: i64,
    amount: i64,
}

/// Days since 1970-01-01 to (yyyymmdd, yyyymm).
fn civil(days: i64) -> (i64, i64) {
    let d = jiff::civil::date(1970, 1, 1)
        .checked_add(jiff::Span::new().days(days))
        .expect("date");
    let (y, m) = (i64::from(d.year()), i64::from(d.month()));
    (y * 10_000 + m * 100 + i64::from(d.day()), y * 100 + m)
}

fn generate(customers: i64) -> Vec<Sale> {
    let mut seed = 99u64;
    let mut next = move || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as i64
    };
    let today = NOW_S * 1000 / DAY_MS;
    let mut sales = Vec::new();
    for c in 1..=customers {
        if next() % 5 == 0 {
            continue;
        }
        let count = 1 + next() % 15;
        // A customer's usual basket: most small, a few large (a long tail of spend).
        let scale = 1 + (next() % 100).pow(3) / 2_000;
        let start = today - next() % 1_095;
        for _ in 0..count {
            let days = start + next() % (today - start + 1);
            let (day, month) = civil(days);
            sales.push(Sale {
                customer: c,
                // 10:00 in Shanghai.
                sold_ms: days * DAY_MS + 2 * 3_600_000,
                day,
                month,
                amount: (1_000 + next() % 50_000) * scale,
            });
        }
    }
    sales.sort_by_key(|s| (s.customer, s.sold_ms));
    sales
}

/// Writes customers, statistics and months straight into the database (the benchmark
/// measures reclassification, not how they got there).
fn fill(path: &std::path::Path, customers: i64, sales: &[Sale]) {
    let mut conn = rusqlite::Connection::open(path).expect("open");
    let tx = conn.transaction().expect("tx");
    {
        let mut customer = tx
            .prepare(
                "INSERT INTO customers (id, store_id, archive_no, name, gender, profile, source, \
                 missing, completeness, status, verified_at, created_at, updated_at) \
                 VALUES (?1, ?2, ?3, '基准', 'unknown', '{}', 'import', '', 0, 'active', 0, 0, 0)",
            )
            .expect("customers");
        for c in 1..=customers {
            customer
                .execute(rusqlite::params![c, 1 + c % STORES, format!("B{c}")])
                .expect("customer");
        }
        let mut stats = tx
            .prepare(
                "INSERT INTO customer_stats (customer_id, first_purchase_ms, last_purchase_ms, \
                 purchase_count, visit_count, last_visit_day, total_spend_fen, updated_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, 0)",
            )
            .expect("stats");
        let mut months = tx
            .prepare(
                "INSERT INTO customer_months (customer_id, month, spend_fen, visits, \
                 points_earned, last_day) VALUES (?1, ?2, ?3, ?4, 0, ?5)",
            )
            .expect("months");
        for run in sales.chunk_by(|a, b| a.customer == b.customer) {
            let days: BTreeSet<i64> = run.iter().map(|s| s.day).collect();
            let (first, last) = (&run[0], &run[run.len() - 1]);
            stats
                .execute(rusqlite::params![
                    first.customer,
                    first.sold_ms,
                    last.sold_ms,
                    run.len() as i64,
                    days.len() as i64,
                    last.day,
                    run.iter().map(|s| s.amount).sum::<i64>()
                ])
                .expect("stats row");
            let mut by_month: BTreeMap<i64, (i64, BTreeSet<i64>, i64)> = BTreeMap::new();
            for s in run {
                let m = by_month.entry(s.month).or_default();
                m.0 += s.amount;
                m.1.insert(s.day);
                m.2 = m.2.max(s.day);
            }
            for (month, (spend, days, last_day)) in by_month {
                months
                    .execute(rusqlite::params![
                        first.customer,
                        month,
                        spend,
                        days.len() as i64,
                        last_day
                    ])
                    .expect("month row");
            }
        }
    }
    tx.commit().expect("commit");
}

fn write_csv(dir: &std::path::Path, customers: i64, sales: &[Sale]) {
    let mut c =
        std::io::BufWriter::new(std::fs::File::create(dir.join("customers.csv")).expect("csv"));
    writeln!(c, "customer_id,store_id").expect("write");
    for id in 1..=customers {
        writeln!(c, "{id},{}", 1 + id % STORES).expect("write");
    }
    let mut s = std::io::BufWriter::new(std::fs::File::create(dir.join("sales.csv")).expect("csv"));
    writeln!(s, "customer_id,sold_ms,day,month,amount").expect("write");
    for x in sales {
        writeln!(
            s,
            "{},{},{},{},{}",
            x.customer, x.sold_ms, x.day, x.month, x.amount
        )
        .expect("write");
    }
}

async fn class_counts(app: &App) -> BTreeMap<String, BTreeMap<String, i64>> {
    let mut out = BTreeMap::new();
    for column in [
        "spend_store",
        "spend_chain",
        "frequency",
        "value_class",
        "lifecycle",
        "label",
    ] {
        let rows: Vec<(Option<String>, i64)> = sqlx::query_as(sqlx::AssertSqlSafe(format!(
            "SELECT {column}, COUNT(*) FROM customer_classes GROUP BY 1"
        )))
        .fetch_all(app.db().pool())
        .await
        .expect("counts");
        out.insert(
            column.to_string(),
            rows.into_iter()
                .map(|(k, v)| (k.unwrap_or_else(|| "-".into()), v))
                .collect(),
        );
    }
    out
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let customers: i64 = args
        .first()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let runs: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(3);
    let dir = std::env::temp_dir().join(format!("patron-bench-classes-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    let config = Config {
        data_dir: dir.clone(),
        ..Config::default()
    };
    let url = format!("sqlite://{}?mode=rwc", dir.join("patron.db").display());
    let db = patron_store::Db::connect(&patron_store::ConnectOptions::new(url))
        .await
        .expect("connect");
    db.migrate().await.expect("migrate");
    let keys = App::open_keyring(&config, &db).await.expect("keys");
    let now = jiff::Timestamp::from_second(NOW_S).expect("time");
    let app = App::new(
        db,
        Arc::new(ManualClock::new(now)),
        Arc::new(config),
        Arc::new(keys),
    );
    for s in 1..=STORES {
        app.create_store(None, &format!("S{s:02}"), "基准门店", "Asia/Shanghai", None)
            .await
            .expect("store");
    }
    let sales = generate(customers);
    fill(&dir.join("patron.db"), customers, &sales);
    write_csv(&dir, customers, &sales);
    println!(
        "reclassify: {customers} customers, {} sales, {runs} runs",
        sales.len()
    );
    drop(sales);
    let (mut full, mut steady) = (Vec::new(), Vec::new());
    for r in 0..runs {
        sqlx::query("DELETE FROM customer_classes")
            .execute(app.db().pool())
            .await
            .expect("clear");
        let started = Instant::now();
        let first = app.reclassify(now).await.expect("reclassify");
        let a = started.elapsed();
        let started = Instant::now();
        let again = app.reclassify(now).await.expect("again");
        let b = started.elapsed();
        assert_eq!(first.changed as i64, customers);
        assert_eq!(again.changed, 0);
        println!(
            "run {}: from nothing {:.2} s ({} written); unchanged {:.2} s",
            r + 1,
            a.as_secs_f64(),
            first.changed,
            b.as_secs_f64()
        );
        full.push(a);
        steady.push(b);
    }
    let window_from =
        patron_app::sales::calendar(now, &jiff::tz::TimeZone::get("Asia/Shanghai").expect("tz"))
            .window_from;
    let script = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/duckdb_classes.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(&dir)
        .arg((NOW_S * 1000).to_string())
        .arg(window_from.to_string())
        .arg(runs.to_string())
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let reference: serde_json::Value = serde_json::from_slice(&out.stdout).expect("json");
    let duck = reference["median_s"].as_f64().expect("median");
    let ours = class_counts(&app).await;
    let theirs: BTreeMap<String, BTreeMap<String, i64>> =
        serde_json::from_value(reference["counts"].clone()).expect("counts");
    assert_eq!(ours, theirs, "Patron's classes and DuckDB's differ");
    let (f, s) = (median(full), median(steady));
    println!(
        "median: from nothing {:.2} s, unchanged {:.2} s; DuckDB from raw sales {:.2} s; \
         ratio {:.2} / {:.2}; class counts agree: {ours:?}",
        f.as_secs_f64(),
        s.as_secs_f64(),
        duck,
        f.as_secs_f64() / duck,
        s.as_secs_f64() / duck
    );
    app.db().close().await;
    if std::env::var_os("PATRON_BENCH_KEEP").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
}
