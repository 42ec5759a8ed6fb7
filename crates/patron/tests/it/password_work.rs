//! Password hashing: refused set-up costs no hash, hashes run on a bounded pool off the
//! async workers (the tills keep being served), and stored hashes carry the intended
//! Argon2id parameters.

use crate::both;
use crate::harness::{Client, Kind, PASSWORD, staff, start, store};
use std::time::{Duration, Instant};

async fn setup_is_refused_before_any_hashing(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let c = Client::new(&s.base);
    c.get("/login").await;
    let before = s.app.passwords().stats().done;
    for password in ["12345678", PASSWORD, "另一个足够长的新密码口令"] {
        let again = c
            .post(
                "/setup",
                &[
                    ("username", "intruder"),
                    ("display_name", "X"),
                    ("email", ""),
                    ("password", password),
                ],
            )
            .await;
        assert_eq!(
            (again.status, again.location.as_str()),
            (303, "/login"),
            "set-up is done: refused whatever the password"
        );
    }
    assert_eq!(
        s.app.passwords().stats().done,
        before,
        "no password was hashed"
    );
    assert!(
        s.app
            .db()
            .staff_by_username("intruder")
            .await
            .expect("query")
            .is_none()
    );
}
both!(setup_is_refused_before_any_hashing);

async fn sign_in(http: &reqwest::Client, base: &str, username: &str) -> u16 {
    let token = "pooltestcsrftoken01234";
    http.post(format!("{base}/login"))
        .header("cookie", format!("patron_csrf={token}"))
        .form(&[
            ("username", username),
            ("password", "wrong-password"),
            ("_csrf", token),
        ])
        .send()
        .await
        .expect("POST /login")
        .status()
        .as_u16()
}

async fn sign_ins_queue_on_a_bounded_pool_while_the_server_answers(kind: Kind) {
    let Some(s) = start(kind, |c| {
        c.security.password_hash_concurrency = 1;
        c.security.password_hash_wait_seconds = 60;
        c.security.login_max_failures_per_ip = 1000;
    })
    .await
    else {
        return;
    };
    // One client for all: building one loads the TLS roots, work that would be timed here.
    let http = reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("client");
    let before = s.app.passwords().stats().done;
    let began = Instant::now();
    let mut logins = tokio::task::JoinSet::new();
    for i in 0..24 {
        let (http, base) = (http.clone(), s.base.clone());
        logins.spawn(async move { sign_in(&http, &base, &format!("guest{i}")).await });
    }
    // While the hashes queue, the async workers stay free: the health check (no database
    // work, so only the workers are measured) answers at once.
    while s.app.passwords().stats().done - before < 2 {
        tokio::time::sleep(Duration::from_millis(2)).await;
    }
    let mut latencies = Vec::new();
    while s.app.passwords().stats().done - before < 20 {
        let t = Instant::now();
        let health = http
            .get(format!("{}/healthz", s.base))
            .send()
            .await
            .expect("healthz");
        assert_eq!(health.status().as_u16(), 200);
        latencies.push(t.elapsed());
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    while let Some(done) = logins.join_next().await {
        assert_eq!(done.expect("login task"), 401);
    }
    let burst = began.elapsed();
    let stats = s.app.passwords().stats();
    assert_eq!(stats.done - before, 24, "every sign-in was checked");
    assert!(
        latencies.len() >= 3,
        "the burst was too short to probe ({burst:?})"
    );
    // The median, as the machine's own load can stall any one answer. Were hashes computed
    // on the worker, a typical answer would wait half a hash or more.
    latencies.sort();
    let typical = latencies[latencies.len() / 2];
    let per_hash = burst / 24;
    assert!(
        typical * 4 < per_hash,
        "a health check typically took {typical:?} while each hash took {per_hash:?}"
    );
    assert_eq!(stats.peak, 1, "never more hashes at once than configured");
}
/// As `both!`, with one async worker: a hash computed on it would hold up every other request.
mod sign_ins_queue_on_a_bounded_pool_while_the_server_answers {
    use crate::harness::Kind;

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn sqlite() {
        patron_app::install_tls();
        super::sign_ins_queue_on_a_bounded_pool_while_the_server_answers(Kind::Sqlite).await
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 1)]
    async fn postgres() {
        patron_app::install_tls();
        super::sign_ins_queue_on_a_bounded_pool_while_the_server_answers(Kind::Postgres).await
    }
}

async fn a_full_pool_answers_busy(kind: Kind) {
    let Some(s) = start(kind, |c| {
        c.security.password_hash_concurrency = 1;
        c.security.password_hash_wait_seconds = 0;
    })
    .await
    else {
        return;
    };
    let mut logins = tokio::task::JoinSet::new();
    for i in 0..12 {
        let base = s.base.clone();
        logins.spawn(async move {
            let c = Client::new(&base);
            c.login(&format!("guest{i}"), "wrong-password").await
        });
    }
    let answers = logins.join_all().await;
    let busy: Vec<_> = answers.iter().filter(|r| r.status == 503).collect();
    assert!(!busy.is_empty(), "twelve at once with room for one");
    assert!(answers.iter().any(|r| r.status == 401));
    assert!(
        busy.iter().all(|r| r.body.contains("服务器正忙")),
        "a clear message in the reader's language"
    );
    // A busy answer did not count as a failed attempt.
    let st = store(&s.app, "S01").await;
    staff(&s.app, "li.na", "sales_associate", Some(st)).await;
    let c = Client::new(&s.base);
    assert_eq!(c.login("li.na", PASSWORD).await.location, "/console");
}
both!(a_full_pool_answers_busy);

/// `$argon2id$v=19$m=…,t=…,p=…$salt$hash`, read back from the database.
async fn stored_hashes_carry_the_intended_argon2id_parameters(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let st = store(&s.app, "S01").await;
    staff(&s.app, "li.na", "sales_associate", Some(st)).await;
    for name in ["owner", "li.na"] {
        let stored = s
            .app
            .db()
            .staff_by_username(name)
            .await
            .expect("query")
            .and_then(|r| r.password_hash)
            .expect("a password hash");
        let parts: Vec<&str> = stored.split('$').collect();
        assert_eq!(parts.len(), 6, "{stored}");
        assert_eq!(parts[1], "argon2id", "algorithm");
        assert_eq!(parts[2], "v=19", "version 0x13");
        let params: std::collections::BTreeMap<&str, u32> = parts[3]
            .split(',')
            .map(|kv| {
                let (k, v) = kv.split_once('=').expect("k=v");
                (k, v.parse().expect("number"))
            })
            .collect();
        // OWASP's baseline for Argon2id: 19 MiB, 2 passes, 1 lane.
        assert_eq!(params.get("m"), Some(&19_456), "{stored}");
        assert_eq!(params.get("t"), Some(&2), "{stored}");
        assert_eq!(params.get("p"), Some(&1), "{stored}");
        let decode = |b64: &str| {
            data_encoding::BASE64_NOPAD
                .decode(b64.as_bytes())
                .expect("base64")
                .len()
        };
        assert!(decode(parts[4]) >= 16, "salt of at least 128 bits");
        assert_eq!(decode(parts[5]), 32, "256-bit output");
    }
}
both!(stored_hashes_carry_the_intended_argon2id_parameters);
