//! Checkout throughput and latency over HTTP, the way tills call it.
//!
//! `cargo bench -p patron --bench checkout -- [SECONDS] [RUNS]` (default 20 s, 3 runs). Set
//! `PATRON_BENCH_PG_URL=postgres://…/postgres` to run the same load on PostgreSQL too (a
//! fresh database is created for each run).
//!
//! Each run starts the real server in this process on a fresh database (SQLite with
//! `synchronous=FULL`: every acknowledged sale is on disk), creates 2,000 members, and drives
//! it with 64 concurrent clients, each posting checkouts of 5 lines with a fresh
//! Idempotency-Key, 70% for a member found by phone and 30% anonymous, for SECONDS. Reported:
//! sales per second, p50 and p99 latency. Reference, measured in the same run on the same
//! disk: how many `fsync`s a second the disk makes (write 4 KiB, `sync_data`, repeat), i.e.
//! the rate of durable commits one at a time.

// A benchmark is a command whose output is its figures, printed for the person running it.
#![allow(clippy::print_stdout)]

use patron_app::{App, Config, ManualClock};
use patron_domain::Actor;
use patron_store::{ConnectOptions, Db, Scope, Synchronous};
use std::io::Write;
use std::sync::Arc;
use std::time::{Duration, Instant};

const CLIENTS: usize = 64;
const MEMBERS: usize = 2_000;

fn fsync_rate(dir: &std::path::Path, secs: f64) -> f64 {
    let path = dir.join("fsync-probe");
    let mut f = std::fs::File::create(&path).expect("probe file");
    let block = [7u8; 4096];
    let start = Instant::now();
    let mut n = 0u64;
    while start.elapsed().as_secs_f64() < secs {
        f.write_all(&block).expect("write");
        f.sync_data().expect("fsync");
        n += 1;
    }
    let rate = n as f64 / start.elapsed().as_secs_f64();
    let _ = std::fs::remove_file(path);
    rate
}

async fn open(dir: &std::path::Path, url: String) -> App {
    let config = Config {
        data_dir: dir.to_path_buf(),
        ..Config::default()
    };
    let mut opts = ConnectOptions::new(url);
    opts.synchronous = Synchronous::Full;
    opts.max_connections = 16;
    let db = Db::connect(&opts).await.expect("connect");
    db.migrate().await.expect("migrate");
    let keys = App::open_keyring(&config, &db).await.expect("keys");
    let clock = Arc::new(ManualClock::new(
        jiff::Timestamp::from_second(1_795_000_000).expect("time"),
    ));
    let app = App::new(db, clock, Arc::new(config), Arc::new(keys));
    app.db().seed_roles(app.now()).await.expect("roles");
    app
}

fn pct(v: &mut [Duration], p: f64) -> Duration {
    v.sort();
    v[((v.len() as f64 * p).ceil() as usize)
        .saturating_sub(1)
        .min(v.len() - 1)]
}

struct Run {
    sales_per_sec: f64,
    p50: Duration,
    p99: Duration,
}

async fn run(app: App, secs: u64) -> Run {
    let store = app
        .create_store(None, "B01", "压测门店", "Asia/Shanghai", None)
        .await
        .expect("store");
    let till = app
        .create_api_key(None, store.id, "压测收银台", None)
        .await
        .expect("key");
    let mut phones = Vec::with_capacity(MEMBERS);
    for i in 0..MEMBERS {
        let mobile = format!("139{:08}", i * 37 + 11);
        let input = patron_domain::customers::CustomerInput {
            name: format!("会员{i}"),
            mobile: mobile.clone(),
            ..Default::default()
        };
        let options = patron_app::customers::CreateOptions {
            store_id: Some(store.id),
            ..Default::default()
        };
        app.create_customer(&Actor::cli("bench"), Scope::Chain, &input, &options)
            .await
            .expect("member");
        phones.push(mobile);
    }
    let state = patron_web::AppState::new(app.clone()).expect("state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, mut rx) = tokio::sync::watch::channel(false);
    let served = tokio::spawn(patron_web::serve(state, listener, async move {
        let _ = rx.wait_for(|s| *s).await;
    }));
    let http = reqwest::Client::builder()
        .pool_max_idle_per_host(CLIENTS)
        .build()
        .expect("client");
    let phones = Arc::new(phones);
    let deadline = Instant::now() + Duration::from_secs(secs);
    let started = Instant::now();
    let mut tasks = tokio::task::JoinSet::new();
    for c in 0..CLIENTS {
        let (http, base, till, phones) = (http.clone(), base.clone(), till.clone(), phones.clone());
        tasks.spawn(async move {
            let mut latencies = Vec::new();
            let mut n = 0usize;
            while Instant::now() < deadline {
                n += 1;
                let seq = c * 10_000_000 + n;
                let lines: Vec<serde_json::Value> = (0..5)
                    .map(|k| {
                        let category = ["tile", "paint", "bath", "light", "hardware"][k];
                        serde_json::json!({"sku": format!("SKU-{}", (seq + k) % 500), "name": "商品",
                            "category": category,
                            "quantity": 1 + (seq + k) % 3, "unit_price_fen": 1000 + ((seq * 7 + k) % 90_000) as i64})
                    })
                    .collect();
                let mut body = serde_json::json!({"store_code": "B01", "receipt_no": format!("R{seq}"), "lines": lines});
                if seq % 10 < 7 {
                    body["phone"] = serde_json::json!(phones[seq % phones.len()]);
                }
                let t = Instant::now();
                let res = http
                    .post(format!("{base}/api/v1/checkout"))
                    .header("authorization", format!("Bearer {till}"))
                    .header("idempotency-key", format!("k{seq}"))
                    .json(&body)
                    .send()
                    .await
                    .expect("send");
                let status = res.status().as_u16();
                let _ = res.bytes().await;
                assert_eq!(status, 201, "checkout failed");
                latencies.push(t.elapsed());
            }
            latencies
        });
    }
    let mut all = Vec::new();
    while let Some(done) = tasks.join_next().await {
        all.extend(done.expect("client"));
    }
    let elapsed = started.elapsed().as_secs_f64();
    let _ = stop.send(true);
    let _ = served.await;
    let mismatches = app.db().points_mismatches().await.expect("ledger");
    assert!(mismatches.is_empty(), "ledger consistent after the load");
    Run {
        sales_per_sec: all.len() as f64 / elapsed,
        p50: pct(&mut all, 0.50),
        p99: pct(&mut all, 0.99),
    }
}

async fn fresh_pg(admin: &str, n: usize) -> String {
    use sqlx::Connection;
    let name = format!("patron_bench_{}_{n}", std::process::id());
    let mut conn = sqlx::PgConnection::connect(admin).await.expect("pg admin");
    sqlx::query(sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}")))
        .execute(&mut conn)
        .await
        .expect("create database");
    let base = admin.rsplit_once('/').map_or(admin, |(b, _)| b);
    format!("{base}/{name}")
}

/// A backend's figures over the runs: name, sales/s, p50 ms, p99 ms.
type Series = (String, Vec<f64>, Vec<f64>, Vec<f64>);

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

#[tokio::main(flavor = "multi_thread")]
async fn main() {
    patron_app::install_tls();
    let args: Vec<String> = std::env::args()
        .skip(1)
        .filter(|a| !a.starts_with("--"))
        .collect();
    let secs: u64 = args.first().and_then(|a| a.parse().ok()).unwrap_or(20);
    let runs: usize = args.get(1).and_then(|a| a.parse().ok()).unwrap_or(3);
    let pg = std::env::var("PATRON_BENCH_PG_URL").ok();
    println!("checkout: {CLIENTS} clients, 5 lines a sale, {secs} s a run, {runs} runs");
    let mut table: Vec<Series> = Vec::new();
    let mut fsyncs = Vec::new();
    for r in 0..runs {
        let dir =
            std::env::temp_dir().join(format!("patron-bench-checkout-{}-{r}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("dir");
        let rate = fsync_rate(&dir, 3.0);
        fsyncs.push(rate);
        println!("run {}: disk fsync rate {rate:.0}/s", r + 1);
        let mut backends = vec![(
            "SQLite, synchronous=FULL".to_string(),
            format!("sqlite://{}?mode=rwc", dir.join("patron.db").display()),
        )];
        if let Some(admin) = &pg {
            backends.push(("PostgreSQL".to_string(), fresh_pg(admin, r).await));
        }
        for (i, (name, url)) in backends.into_iter().enumerate() {
            let app = open(&dir.join(format!("b{i}")), url).await;
            let res = run(app, secs).await;
            println!(
                "run {}: {name}: {:.0} sales/s, p50 {:.1} ms, p99 {:.1} ms ({:.1} × fsync rate)",
                r + 1,
                res.sales_per_sec,
                res.p50.as_secs_f64() * 1e3,
                res.p99.as_secs_f64() * 1e3,
                res.sales_per_sec / rate
            );
            match table.iter_mut().find(|t| t.0 == name) {
                Some(t) => {
                    t.1.push(res.sales_per_sec);
                    t.2.push(res.p50.as_secs_f64() * 1e3);
                    t.3.push(res.p99.as_secs_f64() * 1e3);
                }
                None => table.push((
                    name,
                    vec![res.sales_per_sec],
                    vec![res.p50.as_secs_f64() * 1e3],
                    vec![res.p99.as_secs_f64() * 1e3],
                )),
            }
        }
        let _ = std::fs::remove_dir_all(&dir);
    }
    let fsync = median(fsyncs);
    println!("\nmedians over {runs} runs; reference: disk fsync rate {fsync:.0}/s");
    for (name, tput, p50, p99) in table {
        let tput = median(tput);
        println!(
            "{name}: {tput:.0} sales/s ({:.1} × fsync rate), p50 {:.1} ms, p99 {:.1} ms",
            tput / fsync,
            median(p50),
            median(p99)
        );
    }
}
