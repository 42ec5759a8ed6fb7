//! The audit log: every write and denied attempt is recorded, and the keyed hash chain and
//! the checkpoints outside the database catch edits, deletions, reordering, re-hashing
//! without the key and a cut-off tail, named by `patron audit verify`.

use crate::both;
use crate::harness::{Kind, PASSWORD, open_app, staff, store};
use patron_app::App;
use patron_domain::audit::{AuditKey, AuditRecord, chain_hash, chain_mac};
use patron_store::Db;
use patron_store::audit::AuditFilter;

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
    let url = app.config().database_url();
    let n = app.verify_audit().await.expect("db").expect("intact");
    assert!(n >= 7, "store, 4 staff, a denied and a good login: {n}");
    let (code, out) = verify_cli(&url, &dir);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("{n} records verified")), "{out}");

    // The database itself refuses edits while its guards are in place.
    let refused = sqlx::query("UPDATE audit_log SET outcome = 'ok' WHERE seq = 2")
        .execute(app.db().pool())
        .await;
    assert!(refused.is_err(), "append-only trigger");
    assert!(
        sqlx::query("DELETE FROM audit_log WHERE seq = 2")
            .execute(app.db().pool())
            .await
            .is_err()
    );

    let pg = kind == Kind::Postgres;
    let suffix = if pg { " ON audit_log" } else { "" };
    exec(
        app.db(),
        &format!("DROP TRIGGER tr_audit_log_no_update{suffix}"),
    )
    .await;
    exec(
        app.db(),
        &format!("DROP TRIGGER tr_audit_log_no_delete{suffix}"),
    )
    .await;

    // An edit is named at its row; undoing it makes the chain whole again.
    let original: String = sqlx::query_scalar("SELECT detail FROM audit_log WHERE seq = 3")
        .fetch_one(app.db().pool())
        .await
        .expect("q");
    exec(
        app.db(),
        "UPDATE audit_log SET detail = 'admin' WHERE seq = 3",
    )
    .await;
    let (code, out) = verify_cli(&url, &dir);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("first bad record is #3"), "{out}");
    sqlx::query("UPDATE audit_log SET detail = $1 WHERE seq = 3")
        .bind(&original)
        .execute(app.db().pool())
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
        exec(app.db(), sql).await;
    }
    let (code, out) = verify_cli(&url, &dir);
    assert_eq!(code, 2);
    assert!(out.contains("first bad record is #5"), "{out}");
    for sql in swap {
        exec(app.db(), sql).await;
    }
    assert_eq!(verify_cli(&url, &dir).0, 0, "swapped back");

    // A deleted row is caught where the gap begins.
    exec(app.db(), "DELETE FROM audit_log WHERE seq = 4").await;
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
    let n = app.verify_audit().await.expect("db").expect("intact");
    let suffix = if kind == Kind::Postgres {
        " ON audit_log"
    } else {
        ""
    };
    exec(
        app.db(),
        &format!("DROP TRIGGER tr_audit_log_no_delete{suffix}"),
    )
    .await;
    exec(app.db(), &format!("DELETE FROM audit_log WHERE seq = {n}")).await;
    let bad = app
        .verify_audit()
        .await
        .expect("db")
        .expect_err("truncated");
    assert_eq!(bad.first_bad_seq(), Some(n));
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
            app.db()
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
    assert!(app.verify_audit().await.expect("db").is_ok());
}
both!(concurrent_appends_keep_the_chain);

async fn drop_guards(db: &Db, kind: Kind) {
    let suffix = if kind == Kind::Postgres {
        " ON audit_log"
    } else {
        ""
    };
    for t in ["tr_audit_log_no_update", "tr_audit_log_no_delete"] {
        exec(db, &format!("DROP TRIGGER {t}{suffix}")).await;
    }
}

/// Every row, oldest first.
async fn rows(db: &Db) -> Vec<patron_store::audit::AuditRow> {
    let mut rows = db
        .list_audit(
            patron_store::Scope::Chain,
            &AuditFilter {
                limit: 500,
                ..Default::default()
            },
        )
        .await
        .expect("rows");
    rows.reverse();
    rows
}

/// What someone holding only the database would do: change row `from`'s detail (unless
/// `edit` is false), recompute every hash from there with `hash`, and set the head to match.
async fn rehash_from(db: &Db, from: i64, edit: bool, hash: impl Fn(&str, &AuditRecord) -> String) {
    let mut prev = patron_domain::audit::GENESIS.to_string();
    for row in rows(db).await {
        if row.seq < from {
            prev = row.hash.clone();
            continue;
        }
        let mut record = row.record();
        if edit && row.seq == from {
            record.detail = "rewritten".into();
        }
        let h = hash(&prev, &record);
        sqlx::query("UPDATE audit_log SET detail = $1, prev_hash = $2, hash = $3 WHERE seq = $4")
            .bind(&record.detail)
            .bind(&prev)
            .bind(&h)
            .bind(row.seq)
            .execute(db.pool())
            .await
            .expect("rewrite");
        prev = h;
    }
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&prev)
        .execute(db.pool())
        .await
        .expect("head");
}

async fn some_history(app: &App) {
    let st = store(app, "SH01").await;
    for i in 0..4 {
        staff(app, &format!("user.{i}"), "sales_associate", Some(st)).await;
    }
}

/// Recomputing the chain after an edit, with plain SHA-256 or with a key other than the key
/// file's, is caught at the edited row; so is moving the point where the keyed chain begins.
async fn a_chain_rehashed_without_the_key_fails(kind: Kind) {
    let Some((app, _clock, dir)) = open_app(kind, |_| {}).await else {
        return;
    };
    some_history(&app).await;
    let url = app.config().database_url();
    let n = app.verify_audit().await.expect("db").expect("intact");
    assert!(n >= 5, "{n}");
    drop_guards(app.db(), kind).await;

    rehash_from(app.db(), 3, true, chain_hash).await;
    let (code, out) = verify_cli(&url, &dir);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("first bad record is #3"), "{out}");

    let wrong = AuditKey::from_bytes([7; 32]);
    rehash_from(app.db(), 3, true, |p, r| chain_mac(&wrong, p, r)).await;
    let (code, out) = verify_cli(&url, &dir);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("first bad record is #3"), "{out}");

    // The whole log re-hashed plainly, the head claiming it was never keyed.
    rehash_from(app.db(), 1, false, chain_hash).await;
    exec(
        app.db(),
        &format!("UPDATE audit_head SET keyed_from = {} WHERE id = 1", n + 1),
    )
    .await;
    let (code, out) = verify_cli(&url, &dir);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("not signed with this key"), "{out}");
}
both!(a_chain_rehashed_without_the_key_fails);

/// Rows cut off the end, with the head set back to match, pass the database's own head but
/// not the checkpoint written outside it.
async fn a_deleted_tail_is_caught_by_the_checkpoint(kind: Kind) {
    let Some((app, _clock, dir)) = open_app(kind, |_| {}).await else {
        return;
    };
    some_history(&app).await;
    let url = app.config().database_url();
    let (c, _) = app
        .write_audit_checkpoint(
            patron_domain::audit::checkpoint::CheckpointKind::Manual,
            app.now(),
        )
        .await
        .expect("checkpoint");
    let n = c.seq;
    assert_eq!(verify_cli(&url, &dir).0, 0);

    drop_guards(app.db(), kind).await;
    let keep = n - 2;
    let kept_hash: String = sqlx::query_scalar("SELECT hash FROM audit_log WHERE seq = $1")
        .bind(keep)
        .fetch_one(app.db().pool())
        .await
        .expect("hash");
    exec(
        app.db(),
        &format!("DELETE FROM audit_log WHERE seq > {keep}"),
    )
    .await;
    sqlx::query("UPDATE audit_head SET seq = $1, hash = $2 WHERE id = 1")
        .bind(keep)
        .bind(&kept_hash)
        .execute(app.db().pool())
        .await
        .expect("head");
    let key = app.keys().audit_key();
    assert_eq!(
        app.db().verify_audit(&key, Vec::new()).await.expect("db"),
        Ok(keep),
        "the database alone cannot tell"
    );
    let (code, out) = verify_cli(&url, &dir);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains(&format!("first bad record is #{}", keep + 1))
            && out.contains(&format!("#{}..#{n} are missing", keep + 1)),
        "{out}"
    );

    // An edited checkpoint line is named too.
    let file = patron_app::audit::checkpoint_file(&dir);
    let text = std::fs::read_to_string(&file).expect("read");
    std::fs::write(
        &file,
        text.replace(&format!("seq={n} "), &format!("seq={keep} ")),
    )
    .expect("write");
    let (code, out) = verify_cli(&url, &dir);
    assert_eq!(code, 2, "{out}");
    assert!(out.contains("line 1 of the checkpoint file"), "{out}");
}
both!(a_deleted_tail_is_caught_by_the_checkpoint);

/// The daily job writes one signed checkpoint per day, across instances, e-mails it to the
/// active admins when mail goes out by SMTP, and the log verifies against it.
async fn the_checkpoint_job_runs_once_a_day(kind: Kind) {
    let Some((app, clock, dir)) = open_app(kind, |c| {
        c.mail.transport = "smtp".into();
        c.mail.smtp_host = "127.0.0.1".into();
    })
    .await
    else {
        return;
    };
    some_history(&app).await;
    staff(&app, "boss.one", "admin", None).await;
    staff(&app, "boss.two", "admin", None).await;
    let checkpoint_runs = |reports: Vec<patron_app::jobs::JobReport>| {
        reports
            .into_iter()
            .filter(|r| r.job == "audit_checkpoint")
            .inspect(|r| assert_eq!(r.outcome, "ok", "{}", r.detail))
            .count()
    };
    let lines = || {
        std::fs::read_to_string(patron_app::audit::checkpoint_file(&dir))
            .unwrap_or_default()
            .lines()
            .count()
    };
    let run = || patron_app::jobs::run_due(&app, app.now());
    assert_eq!(checkpoint_runs(run().await.expect("run")), 1);
    assert_eq!(
        checkpoint_runs(run().await.expect("again")),
        0,
        "once a day"
    );
    assert_eq!(lines(), 1);
    clock.advance(jiff::SignedDuration::from_hours(3));
    assert_eq!(checkpoint_runs(run().await.expect("later")), 0);
    clock.advance(jiff::SignedDuration::from_hours(21));
    store(&app, "SH02").await;
    assert_eq!(checkpoint_runs(run().await.expect("next day")), 1);
    assert_eq!(lines(), 2);

    let mails: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM outbox WHERE purpose = 'audit_checkpoint' AND staff_id IS NOT NULL",
    )
    .fetch_one(app.db().pool())
    .await
    .expect("count");
    assert_eq!(mails, 4, "two admins, two days");
    let n = app.verify_audit().await.expect("db").expect("intact");
    let (code, out) = verify_cli(&app.config().database_url(), &dir);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains(&format!("{n} records verified")), "{out}");
}
both!(the_checkpoint_job_runs_once_a_day);

/// A database from before the audit key: its rows keep their plain hashes, the chain is
/// keyed from the next row on, and that first keyed row seals the plain rows before it.
async fn rows_from_before_the_key_keep_plain_hashes(kind: Kind) {
    let Some((app, _clock, _dir)) = open_app(kind, |_| {}).await else {
        return;
    };
    some_history(&app).await;
    drop_guards(app.db(), kind).await;
    // As the log stood before migration 0024: plain hashes, no key named.
    rehash_from(app.db(), 1, false, chain_hash).await;
    exec(
        app.db(),
        "UPDATE audit_head SET key_id = NULL, keyed_from = NULL, keyed_seal = NULL WHERE id = 1",
    )
    .await;
    let (n, _) = app.db().audit_end().await.expect("end");

    App::open_keyring(app.config(), app.db())
        .await
        .expect("keys bind the log");
    let head = app.db().audit_head().await.expect("head");
    assert_eq!(head.keyed_from, Some(n + 1));
    assert_eq!(app.verify_audit().await.expect("db"), Ok(n));
    store(&app, "SH02").await;
    assert_eq!(app.verify_audit().await.expect("db"), Ok(n + 1));

    // A plain row edited and the plain part re-hashed: the keyed row after it disagrees.
    let tail = rows(app.db()).await.pop().expect("last row");
    rehash_from(app.db(), 2, true, chain_hash).await;
    sqlx::query("UPDATE audit_log SET prev_hash = $1, hash = $2 WHERE seq = $3")
        .bind(&tail.prev_hash)
        .bind(&tail.hash)
        .bind(tail.seq)
        .execute(app.db().pool())
        .await
        .expect("keyed row as it was");
    sqlx::query("UPDATE audit_head SET hash = $1 WHERE id = 1")
        .bind(&tail.hash)
        .execute(app.db().pool())
        .await
        .expect("head");
    let bad = app.verify_audit().await.expect("db").expect_err("caught");
    assert_eq!(bad.first_bad_seq(), Some(n + 1), "{bad}");
}
both!(rows_from_before_the_key_keep_plain_hashes);

fn cli(dir: &std::path::Path, args: &[&str]) -> (i32, String) {
    let out = patron()
        .args(args)
        .arg("--data-dir")
        .arg(dir)
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

/// `patron keys rotate` leaves the audit key alone, and a restore records the log it sets
/// back, so the rows and checkpoints of before still verify.
#[test]
fn the_audit_key_survives_key_rotation_and_restore() {
    let dir = crate::harness::temp_dir();
    let ok = |args: &[&str]| {
        let (code, out) = cli(&dir, args);
        assert_eq!(code, 0, "{args:?}: {out}");
        out
    };
    ok(&["store", "add", "--code", "SH01", "--name", "一店"]);
    ok(&["audit", "checkpoint"]);
    let backup = dir.join("before.db");
    ok(&["backup", "create", "--out", backup.to_str().expect("utf8")]);
    ok(&["store", "add", "--code", "SH02", "--name", "二店"]);
    ok(&["store", "add", "--code", "SH03", "--name", "三店"]);
    ok(&["audit", "checkpoint"]);
    ok(&["keys", "rotate"]);
    assert!(ok(&["audit", "verify"]).contains("3 records verified"));

    ok(&["backup", "restore", backup.to_str().expect("utf8")]);
    assert!(ok(&["audit", "verify"]).contains("1 records verified"));
    ok(&["store", "add", "--code", "SH04", "--name", "四店"]);
    assert!(ok(&["audit", "verify"]).contains("2 records verified"));

    // Without the restore's line, the checkpoint of three records calls the log cut short.
    let file = patron_app::audit::checkpoint_file(&dir);
    let text = std::fs::read_to_string(&file).expect("read");
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 3, "{text}");
    assert!(lines[2].starts_with("v1 restore seq=1 "), "{text}");
    std::fs::write(&file, format!("{}\n{}\n", lines[0], lines[1])).expect("write");
    let (code, out) = cli(&dir, &["audit", "verify"]);
    assert_eq!(code, 2, "{out}");
    assert!(
        out.contains("first bad record is #3") && out.contains("are missing"),
        "{out}"
    );
}
