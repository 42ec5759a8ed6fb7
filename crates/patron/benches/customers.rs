//! Customer import and search at scale, on the embedded SQLite default.
//!
//! `cargo bench -p patron --bench customers -- [ROWS] [RUNS]` (default 1,000,000 rows, 3 runs).
//!
//! Import: a generated CSV of ROWS customers (names, mobiles, birthdays, addresses, e-mails,
//! tags, owners) goes through `App::import_customers` (parse, validate, seal, index, write),
//! timed from the file's bytes to the last commit. Reference, measured in the same run: the
//! same rows written in clear by plain multi-row INSERTs into an unindexed table, i.e. the
//! cost of storage alone.
//!
//! Search: on the imported database, 200 queries of each kind through
//! `App::search_customers` (first page of 50 and the capped count), p50 and p95. Reference:
//! one full scan of the table (`SELECT COUNT(*) … WHERE name LIKE '%…%'`), what a search
//! without the indexes would cost.
//!
//! Lookup: the till's `GET /api/v1/members/lookup?phone=` over HTTP on the same database,
//! p50 and p99 of 2,000 lookups; reference `GET /healthz` through the same server and client.

// A benchmark is a command whose output is its figures, printed for the person running it.
#![allow(clippy::print_stdout)]

use patron_app::customers::CustomerQuery;
use patron_app::customers::import::{ImportOptions, TableLimits, guess_mapping, read_table};
use patron_app::{App, Config, ManualClock};
use patron_domain::Actor;
use patron_store::{ConnectOptions, Db, Scope};
use std::sync::Arc;
use std::time::{Duration, Instant};

const SURNAMES: &[&str] = &[
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "高", "林", "罗", "郑", "梁", "谢", "宋", "唐", "许", "韩", "冯", "邓", "曹", "曾", "单",
    "欧阳",
];
const GIVEN: &[&str] = &[
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明",
    "超", "秀英", "霞", "平", "刚", "桂英", "建华", "晓东", "雨涵", "子轩", "欣怡", "浩然",
];
const PREFIXES: &[&str] = &[
    "138", "139", "137", "136", "135", "158", "159", "186", "188", "189",
];

/// Makes one search of a kind.
type QueryMaker = Box<dyn Fn(&mut Dice) -> CustomerQuery>;

struct Dice(u64);
impl Dice {
    fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// A CSV of `n` customers with unique mobiles; every field the handbooks name for a few.
fn generate(n: usize) -> (Vec<u8>, Vec<String>) {
    let mut d = Dice(7);
    let mut out = String::from("姓名,手机号,生日,性别,地址,邮箱,爱好,所属门店,标签\n");
    let mut mobiles = Vec::with_capacity(n);
    for i in 0..n {
        let name = format!(
            "{}{}",
            SURNAMES[d.below(SURNAMES.len())],
            GIVEN[d.below(GIVEN.len())]
        );
        // Unique: the row number spread over the prefixes.
        let mobile = format!(
            "{}{:08}",
            PREFIXES[i % PREFIXES.len()],
            (i / PREFIXES.len()) * 7 + d.below(7)
        );
        mobiles.push(mobile.clone());
        let birthday = format!(
            "{}-{:02}-{:02}",
            1950 + d.below(55),
            1 + d.below(12),
            1 + d.below(28)
        );
        let gender = ["男", "女", ""][d.below(3)];
        let address = if d.below(10) < 7 {
            format!(
                "上海市徐汇区漕溪北路{}号{}室",
                1 + d.below(500),
                101 + d.below(30)
            )
        } else {
            String::new()
        };
        let email = if d.below(10) < 3 {
            format!("u{i}@example.cn")
        } else {
            String::new()
        };
        let hobby = ["钓鱼", "烘焙", "", "跑步", ""][d.below(5)];
        let store = ["S01", "S02", "S03"][d.below(3)];
        let tag = ["VIP", "", "", "装修中", ""][d.below(5)];
        out.push_str(&format!(
            "{name},{mobile},{birthday},{gender},{address},{email},{hobby},{store},{tag}\n"
        ));
    }
    (out.into_bytes(), mobiles)
}

async fn open(dir: &std::path::Path) -> App {
    let mut config = Config {
        data_dir: dir.to_path_buf(),
        ..Config::default()
    };
    config.database.url = format!("sqlite://{}?mode=rwc", dir.join("patron.db").display());
    let db = Db::connect(&ConnectOptions::new(config.database_url()))
        .await
        .expect("connect");
    db.migrate().await.expect("migrate");
    let keys = App::open_keyring(&config, &db).await.expect("keys");
    let clock = Arc::new(ManualClock::new(
        jiff::Timestamp::from_second(1_795_000_000).expect("time"),
    ));
    let app = App::new(db, clock, Arc::new(config), Arc::new(keys));
    app.db().seed_roles(app.now()).await.expect("roles");
    for code in ["S01", "S02", "S03"] {
        app.create_store(None, code, &format!("{code} 店"), "Asia/Shanghai", None)
            .await
            .expect("store");
    }
    app
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn pct(v: &[Duration], p: f64) -> Duration {
    let mut v = v.to_vec();
    v.sort();
    v[((v.len() as f64 * p).ceil() as usize)
        .saturating_sub(1)
        .min(v.len() - 1)]
}

/// The reference: the same rows in clear, multi-row INSERTs into a table without indexes.
async fn plain_insert(dir: &std::path::Path, csv: &[u8]) -> Duration {
    let db = Db::connect(&ConnectOptions::new(format!(
        "sqlite://{}?mode=rwc",
        dir.join("plain.db").display()
    )))
    .await
    .expect("connect");
    sqlx::query("CREATE TABLE plain (name TEXT, mobile TEXT, birthday TEXT, gender TEXT, address TEXT, email TEXT, hobby TEXT, store TEXT, tag TEXT)")
        .execute(db.pool())
        .await
        .expect("table");
    let started = Instant::now();
    let table = read_table(csv, &TableLimits::default()).expect("read");
    for batch in table.rows.chunks(1000) {
        let mut tx = db.begin_write().await.expect("tx");
        for chunk in batch.chunks(200) {
            let mut sql = String::from("INSERT INTO plain VALUES ");
            for r in 0..chunk.len() {
                if r > 0 {
                    sql.push(',');
                }
                sql.push('(');
                for c in 0..9 {
                    if c > 0 {
                        sql.push(',');
                    }
                    sql.push('?');
                }
                sql.push(')');
            }
            let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
            for row in chunk {
                for c in 0..9 {
                    q = q.bind(row.get(c).cloned().unwrap_or_default());
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

/// One import of the generated file into a fresh database, batched or as a bulk load,
/// timed from the file's bytes to the last commit.
async fn import(dir: &std::path::Path, csv: &[u8], rows: usize, bulk: bool) -> (App, Duration) {
    std::fs::create_dir_all(dir).expect("dir");
    let app = open(dir).await;
    let started = Instant::now();
    let table = read_table(csv, &TableLimits::default()).expect("read");
    let mapping = guess_mapping(&table.headers);
    let options = ImportOptions {
        bulk,
        ..Default::default()
    };
    let report = app
        .import_customers(
            &Actor::cli("bench"),
            Scope::Chain,
            &table,
            &mapping,
            &options,
            &|_| {},
        )
        .await
        .expect("import");
    let took = started.elapsed();
    assert_eq!(report.created, rows, "{:?}", report.problems.first());
    (app, took)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    patron_app::install_tls();
    let args: Vec<String> = std::env::args().filter(|a| !a.starts_with('-')).collect();
    let rows: usize = args
        .get(1)
        .and_then(|a| a.parse().ok())
        .unwrap_or(1_000_000);
    let runs: usize = args.get(2).and_then(|a| a.parse().ok()).unwrap_or(3);
    let (csv, mobiles) = generate(rows);
    println!(
        "rows: {rows}, CSV {:.1} MB, runs: {runs}",
        csv.len() as f64 / 1e6
    );

    let mut import_times = Vec::new();
    let mut bulk_times = Vec::new();
    let mut plain_times = Vec::new();
    let mut last: Option<(App, std::path::PathBuf)> = None;
    for run in 0..runs {
        let dir = std::env::temp_dir().join(format!("patron-bench-{}-{run}", std::process::id()));
        let (app, took) = import(&dir, &csv, rows, false).await;
        let bulk_dir = dir.with_extension("bulk");
        let (bulk_app, bulk_took) = import(&bulk_dir, &csv, rows, true).await;
        bulk_app.db().close().await;
        let _ = std::fs::remove_dir_all(&bulk_dir);
        let plain = plain_insert(&dir, &csv).await;
        println!(
            "run {run}: import {:.1} s ({:.0} rows/s); bulk load {:.1} s ({:.0} rows/s); plain insert {:.1} s",
            took.as_secs_f64(),
            rows as f64 / took.as_secs_f64(),
            bulk_took.as_secs_f64(),
            rows as f64 / bulk_took.as_secs_f64(),
            plain.as_secs_f64()
        );
        import_times.push(took);
        bulk_times.push(bulk_took);
        plain_times.push(plain);
        if let Some((old, old_dir)) = last.take() {
            old.close().await;
            let _ = std::fs::remove_dir_all(old_dir);
        }
        last = Some((app, dir));
    }
    let (imp, bulk, plain) = (
        median(import_times),
        median(bulk_times),
        median(plain_times),
    );
    println!(
        "IMPORT median {:.1} s for {rows} rows (bulk load {:.1} s); reference plain insert {:.1} s; ratios {:.2} and {:.2}",
        imp.as_secs_f64(),
        bulk.as_secs_f64(),
        plain.as_secs_f64(),
        imp.as_secs_f64() / plain.as_secs_f64(),
        bulk.as_secs_f64() / plain.as_secs_f64()
    );

    let (app, dir) = last.expect("one run");
    let actor = Actor::cli("bench");
    let mut d = Dice(99);
    let kinds: Vec<(&str, QueryMaker)> = vec![
        (
            "initials",
            Box::new(|d: &mut Dice| CustomerQuery {
                q: ["zs", "wf", "lj", "cm", "oyw"][d.below(5)].into(),
                ..Default::default()
            }),
        ),
        (
            "full pinyin",
            Box::new(|d: &mut Dice| CustomerQuery {
                q: ["zhangwei", "liuf", "chenjing", "shanm"][d.below(4)].into(),
                ..Default::default()
            }),
        ),
        (
            "hanzi",
            Box::new(|d: &mut Dice| CustomerQuery {
                q: ["王芳", "李", "张伟", "欧阳"][d.below(4)].into(),
                ..Default::default()
            }),
        ),
        ("mobile", {
            let mobiles = mobiles.clone();
            Box::new(move |d: &mut Dice| CustomerQuery {
                q: mobiles[d.below(mobiles.len())].clone(),
                ..Default::default()
            })
        }),
        (
            "last 4",
            Box::new(|d: &mut Dice| CustomerQuery {
                q: format!("{:04}", d.below(10_000)),
                ..Default::default()
            }),
        ),
        (
            "archive",
            Box::new(|d: &mut Dice| CustomerQuery {
                q: format!("S0{}-{:06}", 1 + d.below(3), d.below(300_000)),
                ..Default::default()
            }),
        ),
        (
            "tag",
            Box::new(|_: &mut Dice| CustomerQuery {
                tag: "VIP".into(),
                ..Default::default()
            }),
        ),
        (
            "store + newest",
            Box::new(|d: &mut Dice| CustomerQuery {
                store: Some(1 + d.below(3) as i64),
                ..Default::default()
            }),
        ),
        (
            "re-verification list",
            Box::new(|_: &mut Dice| CustomerQuery {
                stale: true,
                sort: "verified".into(),
                ..Default::default()
            }),
        ),
    ];
    let mut all = Vec::new();
    for (name, make) in &kinds {
        let mut times = Vec::new();
        for _ in 0..200 {
            let q = make(&mut d);
            let started = Instant::now();
            app.search_customers(&actor, Scope::Chain, &q)
                .await
                .expect("search");
            times.push(started.elapsed());
        }
        println!(
            "SEARCH {name:<22} p50 {:>7.2} ms  p95 {:>7.2} ms",
            pct(&times, 0.5).as_secs_f64() * 1e3,
            pct(&times, 0.95).as_secs_f64() * 1e3
        );
        all.extend(times);
    }
    let mut scans = Vec::new();
    for needle in ["芳", "伟", "静"] {
        let started = Instant::now();
        let n: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(format!(
            "SELECT COUNT(*) FROM customers WHERE name LIKE '%{needle}%'"
        )))
        .fetch_one(app.db().pool())
        .await
        .expect("scan");
        scans.push(started.elapsed());
        assert!(n > 0);
    }
    let p95 = pct(&all, 0.95);
    let scan = median(scans);
    println!(
        "SEARCH all kinds p95 {:.2} ms; reference full scan {:.1} ms; ratio {:.3}",
        p95.as_secs_f64() * 1e3,
        scan.as_secs_f64() * 1e3,
        p95.as_secs_f64() / scan.as_secs_f64()
    );
    lookup_over_http(&app, &mobiles).await;
    app.db().close().await;
    let _ = std::fs::remove_dir_all(dir);
}

/// The till's member lookup by phone over HTTP on the same database: the real server on a
/// local port, one keep-alive client, 2,000 lookups of random members after 200 to warm up.
/// Reference, same server and client: `GET /healthz` (the HTTP round trip alone).
async fn lookup_over_http(app: &App, mobiles: &[String]) {
    let store = app
        .db()
        .list_stores(Scope::Chain)
        .await
        .expect("stores")
        .remove(0);
    let key = app
        .create_api_key(None, store.id, "bench", None)
        .await
        .expect("key");
    let state = patron_web::AppState::new(app.clone()).expect("state");
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let base = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, mut rx) = tokio::sync::watch::channel(false);
    let served = tokio::spawn(patron_web::serve(state, listener, async move {
        let _ = rx.wait_for(|s| *s).await;
    }));
    let http = reqwest::Client::new();
    let mut d = Dice(4242);
    let time = |path: String, auth: bool| {
        let (http, base, key) = (http.clone(), base.clone(), key.clone());
        async move {
            let mut req = http.get(format!("{base}{path}"));
            if auth {
                req = req.header("authorization", format!("Bearer {key}"));
            }
            let started = Instant::now();
            let res = req.send().await.expect("send");
            let ok = res.status().is_success();
            let _ = res.bytes().await;
            assert!(ok, "{path}");
            started.elapsed()
        }
    };
    let (mut lookups, mut health) = (Vec::new(), Vec::new());
    for i in 0..2200 {
        let phone = &mobiles[d.below(mobiles.len())];
        let took = time(format!("/api/v1/members/lookup?phone={phone}"), true).await;
        let base_took = time("/healthz".into(), false).await;
        if i >= 200 {
            lookups.push(took);
            health.push(base_took);
        }
    }
    println!(
        "LOOKUP over HTTP p50 {:.2} ms  p99 {:.2} ms; reference /healthz p50 {:.2} ms  p99 {:.2} ms",
        pct(&lookups, 0.5).as_secs_f64() * 1e3,
        pct(&lookups, 0.99).as_secs_f64() * 1e3,
        pct(&health, 0.5).as_secs_f64() * 1e3,
        pct(&health, 0.99).as_secs_f64() * 1e3
    );
    let _ = stop.send(true);
    let _ = served.await;
}
