//! The real server killed with SIGKILL twenty times under a checkout load. Every sale a till
//! saw acknowledged must be there; a request cut off mid-way is retried with its key after
//! the restart and must then be written exactly once; no sale is half-written; every points
//! balance equals its ledger.

use crate::harness::temp_dir;
use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

fn patron(dir: &Path) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_patron"));
    c.env_remove("PATRON_DATABASE_URL")
        .arg("--data-dir")
        .arg(dir);
    c
}

fn run(dir: &Path, args: &[&str]) -> String {
    let out = patron(dir)
        .args(args)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .output()
        .expect("run patron");
    assert!(
        out.status.success(),
        "{args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

async fn serve(dir: &Path) -> (Child, String) {
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let child = patron(dir)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}")])
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(30);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (child, format!("http://127.0.0.1:{port}"))
}

/// The body of sale `n`: five lines, every other one for the member.
fn body(n: u64) -> serde_json::Value {
    let lines: Vec<serde_json::Value> = (0..5)
        .map(|k| {
            serde_json::json!({"sku": format!("S{k}"), "name": "商品", "category": "misc",
            "quantity": 1 + (n + k) % 3, "unit_price_fen": 1000 + (n * 13 + k) % 5000})
        })
        .collect();
    let mut b =
        serde_json::json!({"store_code": "S01", "receipt_no": format!("K{n}"), "lines": lines});
    if n.is_multiple_of(2) {
        b["phone"] = serde_json::json!("13912345672");
    }
    b
}

async fn post(base: &str, till: &str, n: u64) -> Option<u16> {
    let res = reqwest::Client::new()
        .post(format!("{base}/api/v1/checkout"))
        .header("authorization", format!("Bearer {till}"))
        .header("idempotency-key", format!("crash-{n}"))
        .timeout(Duration::from_secs(10))
        .json(&body(n))
        .send()
        .await
        .ok()?;
    let status = res.status().as_u16();
    res.bytes().await.ok()?;
    Some(status)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn sigkill_under_load_loses_no_acknowledged_sale() {
    patron_app::install_tls();
    let dir = temp_dir();
    run(&dir, &["store", "add", "--code", "S01", "--name", "压力店"]);
    let csv = dir.join("member.csv");
    std::fs::write(&csv, "姓名,手机号\n杀不死,13912345672\n").expect("csv");
    let _ = patron(&dir)
        .args([
            "import",
            "customers",
            csv.to_str().expect("path"),
            "--store",
            "S01",
        ])
        .output()
        .expect("import");
    let till = run(
        &dir,
        &["apikey", "create", "--store", "S01", "--name", "till"],
    )
    .trim()
    .to_string();

    // n -> acknowledged (true) or sent without an answer (false).
    let sent: Arc<Mutex<BTreeMap<u64, bool>>> = Arc::default();
    let mut next = 0u64;
    let mut seed = 0x5eed_u64;
    for round in 0..20 {
        let (mut child, base) = serve(&dir).await;
        // First, retry every request that never got an answer: written once, or now.
        let unanswered: Vec<u64> = sent
            .lock()
            .expect("lock")
            .iter()
            .filter(|(_, ok)| !**ok)
            .map(|(n, _)| *n)
            .collect();
        for n in unanswered {
            let st = post(&base, &till, n).await;
            assert_eq!(st, Some(201), "retry of sale {n} after restart {round}");
            sent.lock().expect("lock").insert(n, true);
        }
        let mut clients = tokio::task::JoinSet::new();
        for c in 0..8u64 {
            let (base, till, sent) = (base.clone(), till.clone(), sent.clone());
            let start = next + c * 100_000;
            clients.spawn(async move {
                for n in start.. {
                    sent.lock().expect("lock").insert(n, false);
                    match post(&base, &till, n).await {
                        Some(201) => {
                            sent.lock().expect("lock").insert(n, true);
                        }
                        Some(other) => panic!("sale {n}: status {other}"),
                        None => return,
                    }
                }
            });
        }
        next += 8 * 100_000;
        seed = seed
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        tokio::time::sleep(Duration::from_millis(150 + (seed >> 33) % 400)).await;
        Command::new("kill")
            .args(["-KILL", &child.id().to_string()])
            .status()
            .expect("kill");
        let _ = child.wait();
        while clients.join_next().await.is_some() {}
    }

    // A last start to answer what the last kill cut off.
    let (mut child, base) = serve(&dir).await;
    let unanswered: Vec<u64> = sent
        .lock()
        .expect("lock")
        .iter()
        .filter(|(_, ok)| !**ok)
        .map(|(n, _)| *n)
        .collect();
    for n in unanswered {
        assert_eq!(post(&base, &till, n).await, Some(201));
        sent.lock().expect("lock").insert(n, true);
    }
    Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    let _ = child.wait();

    let sent = sent.lock().expect("lock").clone();
    assert!(sent.len() > 200, "{} sales sent: the load ran", sent.len());
    println!("{} sales over 20 kills", sent.len());
    let url = format!("sqlite://{}", dir.join("patron.db").display());
    let db = patron_store::Db::connect(&patron_store::ConnectOptions::new(url))
        .await
        .expect("open");
    let receipts: Vec<(String, i64, Option<i64>, i64)> = sqlx::query_as(
        "SELECT s.receipt_no, (SELECT COUNT(*) FROM sale_lines l WHERE l.sale_id = s.id), \
         s.customer_id, s.points_earned FROM sales s",
    )
    .fetch_all(db.pool())
    .await
    .expect("sales");
    assert_eq!(receipts.len(), sent.len(), "exactly one sale per key sent");
    let stored: std::collections::BTreeSet<String> = receipts.iter().map(|r| r.0.clone()).collect();
    for n in sent.keys() {
        assert!(
            stored.contains(&format!("K{n}")),
            "acknowledged sale K{n} is stored"
        );
    }
    for (receipt, lines, customer, earned) in &receipts {
        assert_eq!(*lines, 5, "{receipt} is whole");
        if customer.is_some() && *earned > 0 {
            let entries: i64 = sqlx::query_scalar(
                "SELECT COUNT(*) FROM points_entries e JOIN sales s ON e.reference = 'sale:' || s.id \
                 WHERE s.receipt_no = $1 AND e.kind = 'earn'",
            )
            .bind(receipt)
            .fetch_one(db.pool())
            .await
            .expect("entries");
            assert_eq!(entries, 1, "{receipt} earned once");
        }
    }
    let member_sales = receipts.iter().filter(|r| r.2.is_some()).count() as i64;
    let purchases: i64 = sqlx::query_scalar("SELECT purchase_count FROM customer_stats")
        .fetch_one(db.pool())
        .await
        .expect("stats");
    assert_eq!(purchases, member_sales, "statistics counted each sale once");
    assert_eq!(db.points_mismatches().await.expect("ledger"), vec![]);
}
