//! The binary as operators use it: clear one-line errors for a bad database URL, config
//! checks, user and key commands, and a graceful stop on SIGTERM.

use crate::harness::temp_dir;
use std::io::Write;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

fn patron() -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_patron"));
    c.env_remove("PATRON_DATABASE_URL");
    c
}

#[test]
fn a_bad_database_url_gets_one_clear_line() {
    let dir = temp_dir();
    for (url, expected) in [
        (
            "mysql://root@127.0.0.1/x",
            "unsupported database URL scheme 'mysql'",
        ),
        (
            "postgres://patron:s3cret@127.0.0.1:1/patron",
            "cannot open postgres database postgres://patron:***@127.0.0.1:1/patron: error communicating with database: Connection refused",
        ),
        (
            "sqlite:///nonexistent-folder/deeper/patron.db",
            "cannot open sqlite database",
        ),
    ] {
        let out = patron()
            .args(["migrate", "--data-dir"])
            .arg(&dir)
            .env("PATRON_DATABASE_URL", url)
            .output()
            .expect("run");
        let err = String::from_utf8_lossy(&out.stderr);
        assert!(!out.status.success(), "{url}");
        let lines: Vec<&str> = err.lines().filter(|l| l.starts_with("patron:")).collect();
        assert_eq!(lines.len(), 1, "{err}");
        assert!(lines[0].contains(expected), "{url}: {err}");
        assert!(!err.contains("s3cret"), "no password in messages");
    }
}

#[test]
fn config_example_and_check() {
    let dir = temp_dir();
    let out = patron().args(["config", "example"]).output().expect("run");
    let example = String::from_utf8_lossy(&out.stdout).to_string();
    assert!(example.contains("[security]") && example.contains("totp_required_roles"));
    std::fs::write(dir.join("patron.toml"), &example).expect("write");
    let ok = patron()
        .args(["config", "check", "--data-dir"])
        .arg(&dir)
        .output()
        .expect("run");
    assert!(
        ok.status.success(),
        "{}",
        String::from_utf8_lossy(&ok.stderr)
    );
    std::fs::write(
        dir.join("patron.toml"),
        "[server]\nlisten = \"127.0.0.1:8080\"\nlistne = 1\n",
    )
    .expect("write");
    let bad = patron()
        .args(["config", "check", "--data-dir"])
        .arg(&dir)
        .output()
        .expect("run");
    assert!(!bad.status.success());
    assert!(String::from_utf8_lossy(&bad.stderr).contains("listne"));
    let env = patron()
        .args(["config", "check", "--data-dir"])
        .arg(temp_dir())
        .env("PATRON_SERVER_LISTEN", "0.0.0.0:8080")
        .output()
        .expect("run");
    assert!(!env.status.success(), "plain HTTP off loopback is refused");
    assert!(String::from_utf8_lossy(&env.stderr).contains("HTTPS"));
}

#[test]
fn operator_commands() {
    let dir = temp_dir();
    let run = |args: &[&str], stdin: Option<&str>| {
        let mut child = patron()
            .args(args)
            .arg("--data-dir")
            .arg(&dir)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("spawn");
        if let Some(s) = stdin {
            child
                .stdin
                .take()
                .expect("stdin")
                .write_all(s.as_bytes())
                .expect("write");
        }
        let out = child.wait_with_output().expect("wait");
        (
            out.status.success(),
            String::from_utf8_lossy(&out.stdout).to_string(),
            String::from_utf8_lossy(&out.stderr).to_string(),
        )
    };
    assert!(
        run(
            &["store", "add", "--code", "hz01", "--name", "杭州西湖店"],
            None
        )
        .0
    );
    let (ok, _, err) = run(&["store", "add", "--code", "HZ01", "--name", "重复"], None);
    assert!(!ok && err.contains("store code already exists"), "{err}");
    assert!(
        run(
            &[
                "user",
                "add",
                "--username",
                "boss",
                "--role",
                "admin",
                "--password-stdin"
            ],
            Some("老板的密码很长很长\n")
        )
        .0
    );
    let (ok, _, err) = run(
        &[
            "user",
            "add",
            "--username",
            "weak",
            "--role",
            "sales_associate",
            "--store",
            "HZ01",
            "--password-stdin",
        ],
        Some("12345678\n"),
    );
    assert!(
        !ok && err.contains("password: This password is too common"),
        "{err}"
    );
    let (ok, _, err) = run(
        &[
            "user",
            "add",
            "--username",
            "clerk",
            "--role",
            "data_clerk",
            "--password-stdin",
        ],
        Some("资料员的长密码很安全\n"),
    );
    assert!(
        !ok && err.contains("store_id: This role needs a store"),
        "{err}"
    );
    assert!(
        run(
            &[
                "user",
                "add",
                "--username",
                "clerk",
                "--role",
                "data_clerk",
                "--store",
                "HZ01",
                "--password-stdin"
            ],
            Some("资料员的长密码很安全\n")
        )
        .0
    );
    let (ok, token, err) = run(
        &["token", "create", "--user", "clerk", "--name", "BI"],
        None,
    );
    assert!(ok && token.trim().starts_with("pt_"));
    assert!(err.contains("valid until "), "the expiry is shown: {err}");
    let (ok, out, _) = run(&["user", "reset-password", "clerk"], None);
    assert!(ok && out.contains("one-time password"));
    assert!(run(&["user", "disable", "clerk"], None).0);
    let (ok, _, err) = run(&["user", "disable", "boss"], None);
    assert!(!ok && err.contains("last active administrator"), "{err}");
    let (ok, out, _) = run(&["audit", "verify"], None);
    assert!(ok && out.contains("audit log intact"), "{out}");
    let (ok, out, _) = run(&["check", "ledger"], None);
    assert!(ok && out.contains("points ledger consistent"), "{out}");
}

#[test]
fn sigterm_stops_the_server_gracefully() {
    let dir = temp_dir();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .expect("bind")
        .local_addr()
        .expect("addr")
        .port();
    let child = patron()
        .args([
            "serve",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--data-dir",
        ])
        .arg(&dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(Instant::now() < deadline, "server did not start");
        std::thread::sleep(Duration::from_millis(100));
    }
    // A second server on the same data folder is refused.
    let other = patron()
        .args(["serve", "--listen", "127.0.0.1:0", "--data-dir"])
        .arg(&dir)
        .output()
        .expect("run");
    assert!(String::from_utf8_lossy(&other.stderr).contains("another Patron process"));
    let kill = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .expect("kill");
    assert!(kill.success());
    let out = child.wait_with_output().expect("wait");
    assert!(out.status.success(), "clean exit on SIGTERM");
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(
        log.contains("shutting down") && log.contains("stopped"),
        "{log}"
    );
    assert!(
        String::from_utf8_lossy(&out.stdout).contains("First run: open"),
        "first run tells where to set up"
    );
}

/// A request that is being received when shutdown begins is still answered in full.
async fn in_flight_requests_finish_on_shutdown(kind: crate::harness::Kind) {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let Some(s) = crate::harness::start(kind, |_| {}).await else {
        return;
    };
    let login = crate::harness::Client::new(&s.base);
    login.get("/login").await;
    let csrf = login.csrf();
    let cookie = format!(
        "patron_csrf={}",
        login.cookie("patron_csrf").expect("csrf cookie")
    );
    let body = format!("username=owner&password=wrong-password&_csrf={csrf}");
    let addr = s.base.trim_start_matches("http://").to_string();
    let mut conn = tokio::net::TcpStream::connect(&addr)
        .await
        .expect("connect");
    let head = format!(
        "POST /login HTTP/1.1\r\nHost: {addr}\r\nCookie: {cookie}\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    conn.write_all(head.as_bytes()).await.expect("head");
    let (first, rest) = body.split_at(10);
    conn.write_all(first.as_bytes()).await.expect("first half");
    tokio::time::sleep(Duration::from_millis(200)).await;
    s.begin_shutdown();
    tokio::time::sleep(Duration::from_millis(200)).await;
    conn.write_all(rest.as_bytes()).await.expect("second half");
    let mut answer = String::new();
    conn.read_to_string(&mut answer).await.expect("read");
    assert!(
        answer.starts_with("HTTP/1.1 401"),
        "the in-flight sign-in was answered: {}",
        answer.lines().next().unwrap_or("")
    );
    let denied = crate::harness::audit(&s.app, "auth.login", "").await;
    assert_eq!(denied.len(), 1, "and its audit row was written");
    let base = s.base.clone();
    s.shutdown().await;
    assert!(
        tokio::net::TcpStream::connect(base.trim_start_matches("http://"))
            .await
            .is_err(),
        "no new connections after shutdown"
    );
}
crate::both!(in_flight_requests_finish_on_shutdown);

/// `patron demo`'s data: every role, a till key per store, and an admin whose printed
/// password works once and must then be replaced. Seeding twice adds nothing.
async fn demo_data(kind: crate::harness::Kind) {
    let Some(s) = crate::harness::start_fresh(kind, |_| {}).await else {
        return;
    };
    let seed = patron_app::demo::seed(&s.app)
        .await
        .expect("seed")
        .expect("first seed");
    let staff = s
        .app
        .db()
        .list_staff(patron_store::Scope::Chain)
        .await
        .expect("staff");
    assert_eq!(staff.len(), 22);
    for role in patron_domain::Role::ALL {
        assert!(
            staff.iter().any(|m| m.role.as_str() == role.as_str()),
            "{}",
            role.as_str()
        );
    }
    assert_eq!(
        s.app
            .db()
            .list_stores(patron_store::Scope::Chain)
            .await
            .expect("stores")
            .len(),
        3
    );
    assert_eq!(
        s.app
            .db()
            .list_api_keys(patron_store::Scope::Chain)
            .await
            .expect("keys")
            .len(),
        3
    );
    // About 2,000 customers, spread over the stores, with duplicates waiting to be merged.
    let (_, total) = s
        .app
        .db()
        .search_customers(
            patron_store::Scope::Chain,
            &patron_store::customers::CustomerFilter {
                limit: 1,
                ..Default::default()
            },
        )
        .await
        .expect("customers");
    assert!((1900..=2000).contains(&total), "{total} demo customers");
    let pairs = s
        .app
        .duplicate_pairs(patron_store::Scope::Chain)
        .await
        .expect("pairs");
    assert!(pairs.len() >= 10, "{} duplicate pairs", pairs.len());
    // Products and two years of sales (`demo_sales` looks closer): members with purchases,
    // points and higher tiers, and a ledger that balances.
    assert!(s.app.db().count_products().await.expect("products") >= 10);
    let (sales, tiers): (i64, i64) = sqlx::query_as(
        "SELECT (SELECT COUNT(*) FROM sales), \
         (SELECT COUNT(*) FROM memberships WHERE tier_code <> 'standard')",
    )
    .fetch_one(s.app.db().pool())
    .await
    .expect("counts");
    assert!(sales > 2000, "{sales} demo sales");
    assert!(tiers > 50, "{tiers} members above the entry tier");
    let offered = s.app.db().rewards_offered(s.app.now()).await.expect("mall");
    assert_eq!(offered.len(), 3, "the demo mall has its rewards");
    assert!(offered.iter().any(|r| r.kind.code() == "coupon"));
    assert_eq!(
        s.app.db().points_mismatches().await.expect("ledger"),
        vec![]
    );
    // Every customer classified, and follow-ups due today for the associates.
    let today = patron_domain::care::followup::day_number(
        s.app.config().timezone().to_datetime(s.app.now()).date(),
    );
    let due_today = s
        .app
        .db()
        .open_followups(
            patron_store::Scope::Chain,
            patron_store::care::followups::Assignee::All,
            today,
            10_000,
        )
        .await
        .expect("follow-ups");
    assert!(
        due_today.len() > 10,
        "{} follow-ups due today",
        due_today.len()
    );
    // Customers at risk on the warning list, each with the signs behind the score.
    let at_risk = s
        .app
        .at_risk(patron_store::Scope::Chain, None, 1_000)
        .await
        .expect("at risk");
    assert!(at_risk.len() > 5, "{} customers at risk", at_risk.len());
    crate::demo_service::after_sales(&s.app).await;
    crate::demo_sales::two_years(&s.app).await;
    assert!(
        at_risk
            .iter()
            .all(|(r, signs)| r.score >= 50 && !signs.is_empty())
    );
    let zs = s
        .app
        .search_customers(
            &patron_domain::Actor::cli("test"),
            patron_store::Scope::Chain,
            &patron_app::customers::CustomerQuery {
                q: "zw".into(),
                ..Default::default()
            },
        )
        .await
        .expect("search");
    assert!(!zs.customers.is_empty());
    for c in &zs.customers {
        let keys = patron_domain::name_index::name_keys(&c.name);
        assert!(
            keys.initials.iter().any(|k| k.starts_with("zw")),
            "{} found by zw",
            c.name
        );
    }
    assert!(
        patron_app::demo::seed(&s.app)
            .await
            .expect("again")
            .is_none(),
        "an existing database is left alone"
    );
    let c = crate::harness::Client::new(&s.base);
    assert_eq!(
        c.login(&seed.admin_username, &seed.admin_password)
            .await
            .location,
        "/account/password-required"
    );
}
crate::both!(demo_data);
