//! Backups: `patron backup create` then `restore` gives back exactly the data of the backup;
//! the scheduled job writes one backup per period and prunes old ones; PostgreSQL says to
//! use pg_dump.

use crate::both;
use crate::harness::{Kind, fresh_db_url, open_app, pg_url, temp_dir};
use patron_store::{ConnectOptions, Db};
use sqlx::{Column, Row};
use std::io::Write;
use std::process::{Command, Stdio};

fn patron(dir: &std::path::Path, args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_patron"))
        .args(args)
        .arg("--data-dir")
        .arg(dir)
        .output()
        .expect("run patron");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

fn add_user(dir: &std::path::Path, username: &str, role: &str, store: Option<&str>) {
    let mut args = vec![
        "user",
        "add",
        "--username",
        username,
        "--role",
        role,
        "--password-stdin",
    ];
    if let Some(s) = store {
        args.extend(["--store", s]);
    }
    let mut child = Command::new(env!("CARGO_BIN_EXE_patron"))
        .args(&args)
        .arg("--data-dir")
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all("柜台密码很长很安全\n".as_bytes())
        .expect("write");
    let out = child.wait_with_output().expect("wait");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Every row of every table, as text, in a stable order.
async fn dump(url: &str) -> Vec<String> {
    let db = Db::connect(&ConnectOptions::new(url))
        .await
        .expect("connect");
    let mut out = Vec::new();
    for table in db.schema_shape().await.expect("shape").tables.keys() {
        let rows = sqlx::query(sqlx::AssertSqlSafe(format!(
            "SELECT * FROM {table} ORDER BY 1, 2"
        )))
        .fetch_all(db.pool())
        .await
        .expect("select");
        for row in rows {
            let mut line = format!("{table}:");
            for (i, col) in row.columns().iter().enumerate() {
                let v = row
                    .try_get::<Option<i64>, _>(i)
                    .map(|v| format!("{v:?}"))
                    .or_else(|_| {
                        row.try_get::<Option<String>, _>(i)
                            .map(|v| format!("{v:?}"))
                    })
                    .unwrap_or_else(|_| "?".into());
                line.push_str(&format!(" {}={v}", col.name()));
            }
            out.push(line);
        }
    }
    db.close().await;
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backup_then_restore_gives_identical_data() {
    let dir = temp_dir();
    let url = format!("sqlite://{}?mode=rwc", dir.join("patron.db").display());
    let (ok, out) = patron(
        &dir,
        &["store", "add", "--code", "SH01", "--name", "上海徐汇旗舰店"],
    );
    assert!(ok, "{out}");
    add_user(&dir, "boss", "admin", None);
    add_user(&dir, "li.na", "sales_associate", Some("SH01"));
    let (ok, out) = patron(
        &dir,
        &["apikey", "create", "--store", "SH01", "--name", "收银台"],
    );
    assert!(ok && out.starts_with("pk_"), "{out}");
    let backup = dir.join("before.db");
    let (ok, out) = patron(
        &dir,
        &["backup", "create", "--out", backup.to_str().expect("utf8")],
    );
    assert!(ok, "{out}");
    let snapshot = dump(&url).await;
    assert!(
        snapshot.iter().any(|l| l.contains("li.na")) && snapshot.len() > 40,
        "{} rows",
        snapshot.len()
    );

    // Life goes on after the backup...
    patron(
        &dir,
        &["store", "add", "--code", "SH02", "--name", "上海浦东店"],
    );
    patron(&dir, &["user", "disable", "li.na"]);
    assert_ne!(dump(&url).await, snapshot);

    // ...and the restore brings back exactly the backed-up state.
    let (ok, out) = patron(&dir, &["backup", "restore", backup.to_str().expect("utf8")]);
    assert!(ok, "{out}");
    assert_eq!(dump(&url).await, snapshot);
    let (ok, out) = patron(&dir, &["audit", "verify"]);
    assert!(ok, "restored chain verifies: {out}");

    // A file that is not a Patron backup is refused before anything is replaced.
    let junk = dir.join("junk.db");
    std::fs::write(&junk, b"not a database").expect("write");
    let (ok, out) = patron(&dir, &["backup", "restore", junk.to_str().expect("utf8")]);
    assert!(!ok && out.contains("not"), "{out}");
    assert_eq!(
        dump(&url).await,
        snapshot,
        "a refused restore changes nothing"
    );

    // Restoring under a running server is refused (the data folder is locked).
    let _lock = patron_app::datadir::lock(&dir).expect("lock");
    let (ok, out) = patron(&dir, &["backup", "restore", backup.to_str().expect("utf8")]);
    assert!(!ok && out.contains("another Patron process"), "{out}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn postgres_backups_point_to_pg_dump() {
    let dir = temp_dir();
    let Some(url) = fresh_db_url(Kind::Postgres, &dir).await else {
        return;
    };
    let out = Command::new(env!("CARGO_BIN_EXE_patron"))
        .args(["backup", "create", "--data-dir"])
        .arg(&dir)
        .env("PATRON_DATABASE_URL", &url)
        .output()
        .expect("run");
    let text = String::from_utf8_lossy(&out.stderr);
    assert!(!out.status.success());
    assert!(text.contains("pg_dump --format=custom"), "{text}");
    let _ = pg_url();
}

async fn scheduled_backups_run_once_per_day_and_prune(kind: Kind) {
    let Some((app, clock, dir)) = open_app(kind, |_| {}).await else {
        return;
    };
    if kind == Kind::Postgres {
        // Disabled by default on PostgreSQL, where backups belong to pg_dump.
        let s = patron_app::jobs::schedule_of(&app, patron_app::jobs::Job::Backup)
            .await
            .expect("schedule");
        assert_eq!(s, patron_domain::schedule::Schedule::Disabled);
        return;
    }
    app.db()
        .put_setting(
            &patron_domain::Actor::system("test"),
            "backup.keep",
            "2",
            app.now(),
        )
        .await
        .expect("setting");
    // 02:00 UTC is 10:00 in Shanghai: today's 03:00 backup is due (catch-up).
    let first = patron_app::jobs::run_due(&app, app.now())
        .await
        .expect("run");
    assert!(
        first
            .iter()
            .any(|r| r.job == "backup" && r.outcome == "ok" && r.period_key == "2026-11-23"),
        "{first:?}"
    );
    let again = patron_app::jobs::run_due(&app, app.now())
        .await
        .expect("run");
    assert!(
        !again.iter().any(|r| r.job == "backup"),
        "once per day: {again:?}"
    );
    for _ in 0..3 {
        clock.advance(jiff::SignedDuration::from_hours(24));
        patron_app::jobs::run_due(&app, app.now())
            .await
            .expect("run");
    }
    let files = std::fs::read_dir(dir.join("backups")).expect("dir").count();
    assert_eq!(files, 2, "pruned to the configured number");
}
both!(scheduled_backups_run_once_per_day_and_prune);

/// Visit photos live in the data folder, not the database: a backup carries them in the
/// folder beside it, and a restore brings them back with the rows that name them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn backups_carry_the_visit_photos() {
    let Some((app, _clock, dir)) = open_app(Kind::Sqlite, |_| {}).await else {
        return;
    };
    // Three months of trade: this test needs the demo's kinds of data, not its years.
    patron_app::demo::seed_with(&app, patron_app::demo::DemoHistory { months: 3 })
        .await
        .expect("seed");
    let visit: i64 =
        sqlx::query_scalar("SELECT MIN(id) FROM appointments WHERE status = 'scheduled'")
            .fetch_one(app.db().pool())
            .await
            .expect("a scheduled visit");
    let actor = patron_domain::Actor::cli("test");
    app.complete_visit(
        &actor,
        patron_store::Scope::Chain,
        visit,
        "已安装",
        Some(patron_app::service::appointments::Photo {
            bytes: crate::orders::PNG.to_vec(),
        }),
    )
    .await
    .expect("done with a photo");
    let name: String = sqlx::query_scalar("SELECT proof_photo FROM appointments WHERE id = $1")
        .bind(visit)
        .fetch_one(app.db().pool())
        .await
        .expect("photo name");
    let live = dir.join("photos").join(&name);
    let sealed = std::fs::read(&live).expect("photo on disk");

    let file = dir.join("with-photos.db");
    let written = patron_app::backup::create(&app, Some(&file), app.now())
        .await
        .expect("backup");
    assert_eq!(written, file);
    let carried = patron_app::backup::photos_of(&file).join(&name);
    assert_eq!(
        std::fs::read(&carried).expect("photo in the backup"),
        sealed
    );

    // The photo is lost from the data folder; the restore brings it back.
    let config = (*app.config()).clone();
    app.db().close().await;
    std::fs::remove_file(&live).expect("lose the photo");
    patron_app::backup::restore(&config, &file, jiff::Timestamp::UNIX_EPOCH)
        .await
        .expect("restore");
    assert_eq!(std::fs::read(&live).expect("photo restored"), sealed);
    let aside = std::fs::read_dir(&dir)
        .expect("data folder")
        .filter_map(|e| e.ok())
        .filter(|e| {
            e.file_name()
                .to_string_lossy()
                .starts_with("photos.before-restore-")
        })
        .count();
    assert_eq!(
        aside, 1,
        "the photos folder that was replaced is kept aside"
    );

    // Pruning a backup removes its photos with it.
    let backups = dir.join("pruned");
    std::fs::create_dir_all(&backups).expect("dir");
    for n in ["patron-1.db", "patron-2.db"] {
        std::fs::copy(&file, backups.join(n)).expect("copy");
        std::fs::create_dir_all(patron_app::backup::photos_of(&backups.join(n))).expect("dir");
    }
    assert_eq!(patron_app::backup::prune(&backups, 1).expect("prune"), 1);
    assert!(!backups.join("patron-1.photos").exists());
    assert!(backups.join("patron-2.photos").is_dir());
}
