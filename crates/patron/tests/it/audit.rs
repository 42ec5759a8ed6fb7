//! The audit log: every write and denied attempt is recorded, and the hash chain catches
//! edits, deletions and reordering, named by `patron audit verify`.

use crate::both;
use crate::harness::{Kind, PASSWORD, open_app, staff, store};
use patron_store::Db;

fn patron() -> std::process::Command {
    std::process::Command::new(env!("CARGO_BIN_EXE_patron"))
}

/// Runs `patron audit verify` against the database; returns (exit code, stdout+stderr).
fn verify_cli(url: &str, dir: &std::path::Path) -> (i32, String) {
    let out = patron()
        .args(["audit", "verify", "--data-dir"])
        .arg(dir)
        .env("PATRON_DATABASE_URL", url)
        .output()
        .expect("run patron");
    (
        out.status.code().unwrap_or(-1),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

async fn exec(db: &Db, sql: &str) {
    sqlx::query(sqlx::AssertSqlSafe(sql.to_string()))
        .execute(db.pool())
        .await
        .unwrap_or_else(|e| panic!("{sql}: {e}"));
}

async fn tamper_detection(kind: Kind) {
    let Some((app, _clock, dir)) = open_app(kind, |_| {}).await else {
        return;
    };
    let st = store(&app, "SH01").await;
    for i in 0..4 {
        staff(&app, &format!("user.{i}"), "sales_associate", Some(st)).await;
    }
    app.login("user.0", "wrong password", Some("127.0.0.1"), None)
        .await
        .expect_err("denied");
    app.login("user.0", PASSWORD, Some("127.0.0.1"), None)
        .await
        .expect("login");
    let url = app.config.database_url();
    let n = app.db.verify_audit().await.expect("db").expect("intact");
    assert!(n >= 7, "store, 4 staff, a denied and a good login: {n}");
    let (code, out) = verify_cli(&url, &dir);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("{n} records verified")), "{out}");

    // The database itself refuses edits while its guards are in place.
    let refused = sqlx::query("UPDATE audit_log SET outcome = 'ok' WHERE seq = 2")
        .execute(app.db.pool())
        .await;
    assert!(refused.is_err(), "append-only trigger");
    assert!(
        sqlx::query("DELETE FROM audit_log WHERE seq = 2")
            .execute(app.db.pool())
            .await
            .is_err()
    );

    let pg = kind == Kind::Postgres;
    let suffix = if pg { " ON audit_log" } else { "" };
    exec(
        &app.db,
        &format!("DROP TRIGGER tr_audit_log_no_update{suffix}"),
    )
    .await;
    exec(
        &app.db,
        &format!("DROP TRIGGER tr_audit_log_no_delete{suffix}"),
    )
    .await;

    // An edit is named at its row; undoing it makes the chain whole again.
    let original: String = sqlx::query_scalar("SELECT detail FROM audit_log WHERE seq = 3")
        .fetch_one(app.db.pool())
        .await
        .expect("q");
    exec(
        &app.db,
        "UPDATE audit_log SET detail = 'admin' WHERE seq = 3",
    )
    .await;
    let (code, out) = verify_cli(&url, &dir);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("first bad record is #3"), "{out}");
    sqlx::query("UPDATE audit_log SET detail = $1 WHERE seq = 3")
        .bind(&original)
        .execute(app.db.pool())
        .await
        .expect("undo");
    assert_eq!(verify_cli(&url, &dir).0, 0);

    // Reordering two rows is caught at the first moved one.
    let swap = [
        "UPDATE audit_log SET seq = -1 WHERE seq = 6",
        "UPDATE audit_log SET seq = 6 WHERE seq = 5",
        "UPDATE audit_log SET seq = 5 WHERE seq = -1",
    ];
    for sql in swap {
        exec(&app.db, sql).await;
    }
    let (code, out) = verify_cli(&url, &dir);
    assert_eq!(code, 2);
    assert!(out.contains("first bad record is #5"), "{out}");
    for sql in swap {
        exec(&app.db, sql).await;
    }
    assert_eq!(verify_cli(&url, &dir).0, 0, "swapped back");

    // A deleted row is caught where the gap begins.
    exec(&app.db, "DELETE FROM audit_log WHERE seq = 4").await;
    let (code, out) = verify_cli(&url, &dir);
    assert_eq!(code, 2);
    assert!(out.contains("first bad record is #5"), "{out}");
}
both!(tamper_detection);

/// Truncating the newest rows is caught by the stored head.
async fn truncation_is_detected(kind: Kind) {
    let Some((app, _clock, _dir)) = open_app(kind, |_| {}).await else {
        return;
    };
    let st = store(&app, "SH01").await;
    staff(&app, "a.one", "sales_associate", Some(st)).await;
    staff(&app, "a.two", "sales_associate", Some(st)).await;
    let n = app.db.verify_audit().await.expect("db").expect("intact");
    let suffix = if kind == Kind::Postgres {
        " ON audit_log"
    } else {
        ""
    };
    exec(
        &app.db,
        &format!("DROP TRIGGER tr_audit_log_no_delete{suffix}"),
    )
    .await;
    exec(&app.db, &format!("DELETE FROM audit_log WHERE seq = {n}")).await;
    let bad = app
        .db
        .verify_audit()
        .await
        .expect("db")
        .expect_err("truncated");
    assert_eq!(bad.first_bad_seq(), n);
}
both!(truncation_is_detected);

/// Concurrent appends from many tasks keep the sequence gapless and the chain linear.
async fn concurrent_appends_keep_the_chain(kind: Kind) {
    let Some((app, _clock, _dir)) = open_app(kind, |_| {}).await else {
        return;
    };
    let mut tasks = Vec::new();
    for i in 0..40 {
        let app = app.clone();
        tasks.push(tokio::spawn(async move {
            let event = patron_domain::AuditEvent::ok("test.concurrent", "n", i);
            app.db
                .record_audit(&patron_domain::Actor::system("test"), &event, app.now())
                .await
                .expect("append")
        }));
    }
    let mut seqs = Vec::new();
    for t in tasks {
        seqs.push(t.await.expect("task"));
    }
    seqs.sort();
    seqs.dedup();
    assert_eq!(seqs.len(), 40, "no sequence number handed out twice");
    assert!(app.db.verify_audit().await.expect("db").is_ok());
}
both!(concurrent_appends_keep_the_chain);
