//! Storage conformance: the two migration trees produce the same schema, and the claims that
//! make work happen once (job periods, outbox rows) hold with several server instances.

use crate::both;
use crate::harness::{Kind, open_app, pg_url};
use jiff::SignedDuration;
use patron_app::App;
use patron_store::messages::outbox::NewMessage;
use patron_store::{ConnectOptions, Db};
use std::collections::BTreeSet;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn migration_trees_produce_the_same_schema() {
    let Some(_) = pg_url() else { return };
    let Some((sqlite, _, _)) = open_app(Kind::Sqlite, |_| {}).await else {
        return;
    };
    let Some((pg, _, _)) = open_app(Kind::Postgres, |_| {}).await else {
        return;
    };
    let a = sqlite.db().schema_shape().await.expect("sqlite shape");
    let b = pg.db().schema_shape().await.expect("pg shape");
    assert!(a.tables.len() >= 14, "{:?}", a.tables.keys());
    for (table, cols) in &a.tables {
        assert_eq!(Some(cols), b.tables.get(table), "table {table} differs");
    }
    assert_eq!(
        a.tables.keys().collect::<Vec<_>>(),
        b.tables.keys().collect::<Vec<_>>()
    );
    assert_eq!(a.constraints, b.constraints, "constraint names");
    assert_eq!(a.indexes, b.indexes, "index names");
    assert_eq!(a.triggers, b.triggers, "trigger names");
    assert!(a.constraints.contains("uq_staff_username") && a.indexes.contains("ix_outbox_due"));
}

/// A second application (another server instance) on the same database.
async fn second_instance(app: &App) -> App {
    let db = Db::connect(&ConnectOptions::new(app.config().database_url()))
        .await
        .expect("connect");
    App::new(
        db,
        app.clock().clone(),
        app.config().clone(),
        app.keys().clone(),
    )
}

async fn job_periods_run_once_across_instances(kind: Kind) {
    let Some((a, clock, _)) = open_app(kind, |_| {}).await else {
        return;
    };
    let b = second_instance(&a).await;
    assert_ne!(a.instance(), b.instance());
    for _ in 0..3 {
        let (ra, rb) = tokio::join!(
            patron_app::jobs::run_due(&a, a.now()),
            patron_app::jobs::run_due(&b, b.now())
        );
        let mut ran: Vec<&str> = ra
            .expect("a")
            .iter()
            .chain(rb.expect("b").iter())
            .map(|r| r.job)
            .collect();
        ran.sort();
        let expected: Vec<&str> = if kind == Kind::Sqlite {
            vec![
                "audit_checkpoint",
                "backup",
                "campaigns",
                "escalation",
                "followups",
                "greetings",
                "member_notices",
                "outbox_retention",
                "points_expiry",
                "reclassify",
                "session_cleanup",
                "surveys",
                "tier_review",
            ]
        } else {
            vec![
                "audit_checkpoint",
                "campaigns",
                "escalation",
                "followups",
                "greetings",
                "member_notices",
                "outbox_retention",
                "points_expiry",
                "reclassify",
                "session_cleanup",
                "surveys",
                "tier_review",
            ]
        };
        assert_eq!(
            ran, expected,
            "each due job ran exactly once between the two instances"
        );
        // Same period again: nothing runs.
        assert!(
            patron_app::jobs::run_due(&a, a.now())
                .await
                .expect("again")
                .is_empty()
        );
        clock.advance(SignedDuration::from_hours(24));
    }
    let runs = a.db().recent_job_runs(100).await.expect("runs");
    assert!(
        runs.iter().all(|r| r.outcome.as_deref() == Some("ok")),
        "all finished ok"
    );
}
both!(job_periods_run_once_across_instances);

async fn outbox_rows_are_claimed_by_one_instance(kind: Kind) {
    let Some((a, _, _)) = open_app(kind, |_| {}).await else {
        return;
    };
    let b = second_instance(&a).await;
    for i in 0..60 {
        let to = format!("staff{i}@shop.example.cn");
        let m = NewMessage::plain(a.keys().as_ref(), "email", "test", &to, "s", "b", 3);
        a.db().enqueue_message(&m, a.now()).await.expect("enqueue");
    }
    async fn drain(app: App) -> Vec<i64> {
        let mut got = Vec::new();
        loop {
            let rows = app
                .db()
                .claim_messages(app.instance(), app.now(), SignedDuration::from_mins(5), 7)
                .await
                .expect("claim");
            if rows.is_empty() {
                return got;
            }
            got.extend(rows.iter().map(|r| r.id));
        }
    }
    let (x, y) = tokio::join!(
        tokio::spawn(drain(a.clone())),
        tokio::spawn(drain(b.clone()))
    );
    let (x, y) = (x.expect("a"), y.expect("b"));
    let xs: BTreeSet<i64> = x.iter().copied().collect();
    let ys: BTreeSet<i64> = y.iter().copied().collect();
    assert!(xs.is_disjoint(&ys), "no row claimed by both instances");
    assert_eq!(x.len() + y.len(), 60);
    assert_eq!(xs.union(&ys).count(), 60);
    // A claim whose lease ran out (its instance died) is taken over; the dead instance can no
    // longer record the delivery.
    let later = a.now() + SignedDuration::from_mins(6);
    let retaken = b
        .db()
        .claim_messages(b.instance(), later, SignedDuration::from_mins(5), 100)
        .await
        .expect("claim");
    assert_eq!(retaken.len(), 60, "expired leases are claimable again");
    let first = retaken[0].id;
    assert!(
        !a.db()
            .mark_sent(first, a.instance(), later)
            .await
            .expect("mark"),
        "old owner refused"
    );
    assert!(
        b.db()
            .mark_sent(first, b.instance(), later)
            .await
            .expect("mark")
    );
}
both!(outbox_rows_are_claimed_by_one_instance);

/// Migration 0008 rewrote two SQLite tables as WITHOUT ROWID and the sales source check as
/// comparisons: the rules still hold on the rewritten definitions, in a new connection.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rewritten_sqlite_tables_keep_their_rules() {
    let Some((app, _, _)) = open_app(Kind::Sqlite, |_| {}).await else {
        return;
    };
    let sql = |name: &'static str| {
        let pool = app.db().pool().clone();
        async move {
            sqlx::query_scalar::<_, String>("SELECT sql FROM sqlite_master WHERE name = $1")
                .bind(name)
                .fetch_one(&pool)
                .await
                .expect("schema")
        }
    };
    assert!(
        sql("sales")
            .await
            .contains("source = 'till' OR source = 'console'")
    );
    assert!(sql("sale_lines").await.contains("WITHOUT ROWID"));
    assert!(sql("customer_months").await.contains("WITHOUT ROWID"));
    let store = crate::harness::store(&app, "S1").await;
    let insert = |source: &'static str| {
        let pool = app.db().pool().clone();
        async move {
            sqlx::query(
                "INSERT INTO sales (store_id, receipt_no, till_name, sold_at_ms, local_month, \
                 local_day, list_fen, discount_fen, net_fen, points_value_fen, paid_fen, \
                 eligible_fen, points_earned, points_redeemed, source, created_at) \
                 VALUES ($1, $2, 't', 0, 202601, 20260101, 0, 0, 0, 0, 0, 0, 0, 0, $2, 0)",
            )
            .bind(store)
            .bind(source)
            .execute(&pool)
            .await
        }
    };
    assert!(insert("import").await.is_ok());
    let refused = insert("elsewhere").await.expect_err("bad source");
    assert!(refused.to_string().contains("CHECK"), "{refused}");
    // A line of a sale that does not exist breaks the foreign key of the rewritten table.
    let orphan = sqlx::query(
        "INSERT INTO sale_lines (sale_id, line_no, sku, name, category, quantity, \
         unit_price_fen, discount_fen, net_fen, paid_fen, earns) \
         VALUES (999999, 1, 'x', 'x', 'x', 1, 0, 0, 0, 0, 1)",
    )
    .execute(app.db().pool())
    .await;
    assert!(orphan.is_err());
}
