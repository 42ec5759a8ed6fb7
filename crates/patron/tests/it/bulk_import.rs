//! Bulk loads of customer files (`--bulk`): one transaction for the whole file, random-key
//! indexes dropped and rebuilt, consents and first owners written many rows per statement.

use crate::both;
use crate::harness::{Kind, audit, open_app, staff, store};
use patron_app::customers::CustomerQuery;
use patron_app::customers::import::{
    ImportMode, ImportOptions, TableLimits, guess_mapping, read_table,
};
use patron_domain::Actor;
use patron_store::Scope;

/// A bulk load: the whole file in one transaction, random-key indexes rebuilt at the end;
/// consents and first owners written many rows per statement; create mode only.
async fn bulk_loads_a_file_whole(kind: Kind) {
    let Some((app, _clock, _dir)) = open_app(kind, |_| {}).await else {
        return;
    };
    let s01 = store(&app, "S01").await;
    let lina = staff(&app, "li.na", "sales_associate", Some(s01)).await;
    let csv = "姓名,手机号,地址,导购\n\
        周一,13800138001,上海市徐汇区漕溪北路 1 号,li.na\n\
        吴二,13800138002,,\n\
        郑三,1380013800,,\n\
        冯四,13800138004,,li.na\n";
    let table = read_table(csv.as_bytes(), &TableLimits::default()).expect("read");
    let mapping = guess_mapping(&table.headers);
    let actor = Actor::cli("test");
    let bulk = ImportOptions {
        bulk: true,
        default_store: Some(s01),
        consents: vec![patron_domain::customers::ConsentPurpose::Service],
        batch: 2,
        ..Default::default()
    };
    let report = app
        .import_customers(&actor, Scope::Chain, &table, &mapping, &bulk, &|_| {})
        .await
        .expect("bulk load");
    assert_eq!((report.created, report.rejected()), (3, 1));
    assert_eq!(report.problems[0].key, "error.phone.invalid");

    // Every random-key index is back, and answers.
    let indexes: i64 = sqlx::query_scalar(sqlx::AssertSqlSafe(match kind {
        Kind::Sqlite => {
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'index' AND name IN \
             ('uq_customers_mobile_idx', 'ix_customers_last4', 'ix_customers_namebirth', \
             'ix_customers_name', 'ix_customer_keys_lookup')"
        }
        Kind::Postgres => {
            "SELECT COUNT(*) FROM pg_indexes WHERE indexname IN \
             ('uq_customers_mobile_idx', 'ix_customers_last4', 'ix_customers_namebirth', \
             'ix_customers_name', 'ix_customer_keys_lookup')"
        }
    }))
    .fetch_one(app.db().pool())
    .await
    .expect("indexes");
    assert_eq!(indexes, 5);
    let find = |q: &str| CustomerQuery {
        q: q.into(),
        ..Default::default()
    };
    for (q, name) in [
        ("13800138004", "冯四"),
        ("zhouyi", "周一"),
        ("8002", "吴二"),
    ] {
        let page = app
            .search_customers(&actor, Scope::Chain, &find(q))
            .await
            .expect("search");
        let names: Vec<&str> = page.customers.iter().map(|c| c.name.as_str()).collect();
        assert_eq!(names, [name], "search {q}");
    }
    let zhou = app
        .search_customers(&actor, Scope::Chain, &find("13800138001"))
        .await
        .expect("search")
        .customers
        .remove(0);
    assert_eq!(zhou.owner_staff_id, Some(lina));
    assert_eq!(zhou.addresses, ["上海市徐汇区漕溪北路 1 号"]);
    let log = app.db().owner_log(zhou.id, 10).await.expect("owner log");
    assert_eq!(
        log.iter()
            .map(|l| (l.from_staff_id, l.to_staff_id, l.reason.as_str()))
            .collect::<Vec<_>>(),
        [(None, Some(lina), "import")]
    );
    let consents = app.db().consent_events(zhou.id, 10).await.expect("ledger");
    assert_eq!(
        consents
            .iter()
            .map(|c| (c.purpose.as_str(), i64::from(c.granted), c.channel.as_str()))
            .collect::<Vec<_>>(),
        [("service", 1, "import")]
    );
    let state = app.consents_of(zhou.id).await.expect("state");
    assert!(
        state
            .iter()
            .any(|(p, granted, _)| p.as_str() == "service" && *granted)
    );
    // One audit row per batch of two, naming its ids.
    let rows = audit(&app, "customer.import", "").await;
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert!(rows.iter().all(|r| r.detail.starts_with("created=")));

    // A second load continues the archive numbers, and a mobile already on file is refused.
    let more = "姓名,手机号\n陈五,13800138005\n冯四,13800138004\n";
    let t2 = read_table(more.as_bytes(), &TableLimits::default()).expect("read");
    let again = app
        .import_customers(
            &actor,
            Scope::Chain,
            &t2,
            &guess_mapping(&t2.headers),
            &bulk,
            &|_| {},
        )
        .await
        .expect("second load");
    assert_eq!(
        (again.created, again.problems[0].key),
        (1, "error.import.exists")
    );
    let chen = app
        .search_customers(&actor, Scope::Chain, &find("13800138005"))
        .await
        .expect("search")
        .customers
        .remove(0);
    assert_eq!(chen.archive_no, "S01-000004");

    // Updating files is not a bulk load's job.
    let refused = app
        .import_customers(
            &actor,
            Scope::Chain,
            &t2,
            &guess_mapping(&t2.headers),
            &ImportOptions {
                mode: ImportMode::Upsert,
                ..bulk.clone()
            },
            &|_| {},
        )
        .await;
    match refused {
        Err(patron_app::AppError::Field(e)) => {
            assert_eq!((e.field, e.key), ("mode", "error.import.bulk_create_only"))
        }
        other => panic!("expected a field error, got {other:?}"),
    }
}
both!(bulk_loads_a_file_whole);
