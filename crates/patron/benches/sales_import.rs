//! Sales history import on the embedded SQLite default.
//!
//! `cargo bench -p patron --bench sales_import -- [LINES] [RUNS]` (default 1,000,000 lines,
//! 3 runs). The figure is 20,000,000 lines; the rate is what is compared.
//!
//! A CSV of LINES sale lines (4 lines a receipt on average, one receipt in two for one of
//! 10,000 members found by phone) goes through `App::import_sales` into a fresh database:
//! stream, group, check, price, write sales and lines, update each member's statistics and
//! tier, no points. Timed from the file's bytes to the last commit. Reference, measured in the
//! same run: the same lines written by plain multi-row INSERTs into one unindexed table.

// A benchmark is a command whose output is its figures, printed for the person running it.
#![allow(clippy::print_stdout)]

use patron_app::{App, Config, ManualClock};
use patron_domain::Actor;
use patron_store::{ConnectOptions, Db, Scope};
use std::sync::Arc;
use std::time::{Duration, Instant};

const MEMBERS: usize = 10_000;

fn generate(lines: usize) -> Vec<u8> {
    let mut out = String::from("小票号,销售时间,门店,手机号,商品编码,商品名称,品类,数量,单价\n");
    let (mut n, mut receipt) = (0usize, 0usize);
    let mut seed = 12345u64;
    let mut next = || {
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        (seed >> 33) as usize
    };
    while n < lines {
        receipt += 1;
        let count = 1 + next() % 7;
        let phone = if receipt % 2 == 0 {
            format!("139{:08}", (next() % MEMBERS) * 37 + 11)
        } else {
            String::new()
        };
        // Receipts in time order over 2025 and 2026, shop hours.
        let minute = receipt * 525_600 / (lines / 4 + 1);
        let day = jiff::civil::date(2025, 1, 1)
            .checked_add(jiff::Span::new().days((minute / 1440).min(690) as i64))
            .unwrap_or(jiff::civil::date(2026, 11, 1));
        for _ in 0..count.min(lines - n) {
            let sku = next() % 5000;
            out.push_str(&format!(
                "R{receipt},{day} {:02}:{:02},S01,{phone},SKU{sku},商品{sku},cat{},{},{}.{:02}\n",
                10 + (minute / 60) % 11,
                minute % 60,
                sku % 40,
                1 + next() % 4,
                5 + next() % 500,
                next() % 100
            ));
            n += 1;
        }
    }
    out.into_bytes()
}

async fn open(dir: &std::path::Path) -> App {
    let config = Config {
        data_dir: dir.to_path_buf(),
        ..Config::default()
    };
    let url = format!("sqlite://{}?mode=rwc", dir.join("patron.db").display());
    let db = Db::connect(&ConnectOptions::new(url))
        .await
        .expect("connect");
    db.migrate().await.expect("migrate");
    let keys = App::open_keyring(&config, &db).await.expect("keys");
    let clock = Arc::new(ManualClock::new(
        jiff::Timestamp::from_second(1_795_000_000).expect("time"),
    ));
    let app = App::new(db, clock, Arc::new(config), Arc::new(keys));
    app.db().seed_roles(app.now()).await.expect("roles");
    let store = app
        .create_store(None, "S01", "基准门店", "Asia/Shanghai", None)
        .await
        .expect("store");
    for i in 0..MEMBERS {
        let input = patron_domain::customers::CustomerInput {
            name: format!("会员{i}"),
            mobile: format!("139{:08}", i * 37 + 11),
            ..Default::default()
        };
        let options = patron_app::customers::CreateOptions {
            store_id: Some(store.id),
            ..Default::default()
        };
        app.create_customer(&Actor::cli("bench"), Scope::Chain, &input, &options)
            .await
            .expect("member");
    }
    app
}

async fn plain_insert(dir: &std::path::Path, csv: &[u8]) -> Duration {
    let url = format!("sqlite://{}?mode=rwc", dir.join("plain.db").display());
    let db = Db::connect(&ConnectOptions::new(url))
        .await
        .expect("connect");
    sqlx::query("CREATE TABLE plain (receipt TEXT, at TEXT, store TEXT, phone TEXT, sku TEXT, name TEXT, category TEXT, quantity TEXT, price TEXT)")
        .execute(db.pool())
        .await
        .expect("table");
    let started = Instant::now();
    let mut reader = csv::Reader::from_reader(csv);
    let rows: Vec<csv::StringRecord> = reader.records().map(|r| r.expect("row")).collect();
    for batch in rows.chunks(10_000) {
        let mut tx = db.begin_write().await.expect("tx");
        for chunk in batch.chunks(100) {
            let sql = format!(
                "INSERT INTO plain VALUES {}",
                vec!["(?,?,?,?,?,?,?,?,?)"; chunk.len()].join(",")
            );
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for row in chunk {
                for c in 0..9 {
                    q = q.bind(row.get(c).unwrap_or("").to_string());
                }
            }
            q.execute(&mut *tx).await.expect("insert");
        }
        tx.commit().await.expect("commit");
    }
    let took = started.elapsed();
    db.close().await;
    took
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
    let lines: usize = args
        .first()
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let runs: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(3);
    let csv = generate(lines);
    println!(
        "sales import: {lines} lines ({:.1} MB), {runs} runs",
        csv.len() as f64 / 1e6
    );
    let (mut imports, mut plains) = (Vec::new(), Vec::new());
    for r in 0..runs {
        let dir =
            std::env::temp_dir().join(format!("patron-bench-sales-{}-{r}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let plain = plain_insert(&dir, &csv).await;
        let app = open(&dir).await;
        let started = Instant::now();
        let report = app
            .import_sales(csv.as_slice(), false, &|_| {})
            .await
            .expect("import");
        let took = started.elapsed();
        assert_eq!(report.lines, lines);
        assert!(report.rejected.is_empty(), "{:?}", report.rejected.first());
        println!(
            "run {}: import {:.1} s ({:.0} lines/s, {} receipts); reference plain INSERT {:.1} s ({:.0} lines/s)",
            r + 1,
            took.as_secs_f64(),
            lines as f64 / took.as_secs_f64(),
            report.sales,
            plain.as_secs_f64(),
            lines as f64 / plain.as_secs_f64()
        );
        imports.push(took);
        plains.push(plain);
        app.db().close().await;
        let _ = std::fs::remove_dir_all(&dir);
    }
    let (i, p) = (median(imports), median(plains));
    println!(
        "median: import {:.1} s = {:.0} lines/s; reference {:.1} s = {:.0} lines/s; ratio {:.1}",
        i.as_secs_f64(),
        lines as f64 / i.as_secs_f64(),
        p.as_secs_f64(),
        lines as f64 / p.as_secs_f64(),
        i.as_secs_f64() / p.as_secs_f64()
    );
}
