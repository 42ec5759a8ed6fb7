//! `patron import sales` on both backends: receipts grouped from consecutive lines, members by
//! phone or archive number, bad receipts reported and skipped whole, statistics and points
//! filled, and a second import of the same file changing nothing.

use crate::both;
use crate::harness::{Kind, start, store};
use crate::points::customer;

async fn sales_history_imports_once(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let s1 = store(&s.app, "S1").await;
    let member = customer(&s.app, s1, "13300133000").await;
    let archive = s
        .app
        .db()
        .get_customer(patron_store::Scope::Chain, member)
        .await
        .expect("member")
        .archive_no;
    let other = customer(&s.app, s1, "13300133001").await;
    let other_archive = s
        .app
        .db()
        .get_customer(patron_store::Scope::Chain, other)
        .await
        .expect("other")
        .archive_no;
    let csv = format!(
        "小票号,销售时间,门店,手机号,会员编号,商品编码,商品名称,品类,数量,单价\n\
         A1,2026-03-01 10:00,S1,133 0013 3000,,T1,瓷砖,tile,10,80.00\n\
         A1,2026-03-01 10:00,S1,133 0013 3000,,G1,瓷砖胶,tool,2,35.5\n\
         A2,2026-03-01 15:30,S1,,{other_archive},P1,乳胶漆,paint,1,458\n\
         A3,2026-05-02 11:00,S1,,,X1,杂项,misc,1,10\n\
         A4,昨天,S1,13300133000,,X1,杂项,misc,1,10\n\
         A5,2026-06-01 09:00,S9,13300133000,,X1,杂项,misc,1,10\n\
         A6,2026-07-01 09:00,S1,13300133000,,X1,杂项,misc,0,10\n\
         A7,2026-08-08 18:00,S1,,{archive},L1,吸顶灯,light,1,899\n"
    );
    let import = || s.app.import_sales(csv.as_bytes(), true, &|_| {});
    let report = import().await.expect("import");
    assert_eq!(report.lines, 8);
    assert_eq!(report.sales, 4, "A1, A2, A3 and A7");
    let mut rejected: Vec<(String, &str)> = report
        .rejected
        .iter()
        .map(|(r, f, _)| (r.clone(), *f))
        .collect();
    rejected.sort();
    assert_eq!(
        rejected,
        [
            ("A4".to_string(), "time"),
            ("A5".to_string(), "store"),
            ("A6".to_string(), "lines")
        ]
    );
    let stats = s
        .app
        .db()
        .customer_stats(member, 0)
        .await
        .expect("stats")
        .expect("bought");
    assert_eq!(stats.purchase_count, 2);
    assert_eq!(stats.visit_count, 2);
    assert_eq!(stats.total_spend_fen, 80_000 + 7_100 + 89_900);
    assert_eq!(
        s.app.db().points_balance(member).await.expect("balance"),
        871 + 899,
        "points at today's rate: ¥871 and ¥899"
    );
    assert_eq!(
        s.app
            .db()
            .customer_stats(other, 0)
            .await
            .expect("stats")
            .map(|x| x.total_spend_fen),
        Some(45_800)
    );

    let again = import().await.expect("second import");
    assert_eq!(again.sales, 0);
    assert_eq!(
        again
            .rejected
            .iter()
            .filter(|(_, _, k)| *k == "error.checkout.receipt_taken")
            .count(),
        4,
        "every stored receipt is reported, none written twice"
    );
    assert_eq!(
        s.app
            .db()
            .customer_stats(member, 0)
            .await
            .expect("stats")
            .map(|x| x.purchase_count),
        Some(2)
    );
    assert_eq!(
        s.app.db().points_mismatches().await.expect("ledger"),
        vec![]
    );
    s.shutdown().await;
}
both!(sales_history_imports_once);

/// The product list: Chinese headers, prices in yuan, bad rows reported by row and field,
/// a SKU listed twice taken from its last row, a second import updating.
async fn products_import_and_update(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let csv = "商品编码,商品名称,品类,品牌,售价\n\
               T-01,抛光砖,tile,马可波罗,89\n\
               P-01,乳胶漆,paint,立邦,458.00\n\
               X-01,坏价格,misc,,12.345\n\
               ,没有编码,misc,,1\n\
               T-01,抛光砖 600,tile,马可波罗,99.5\n";
    let r = s.app.import_products(csv.as_bytes()).await.expect("import");
    assert_eq!(r.saved, 2);
    assert_eq!(
        r.rejected,
        [
            (4, "price", "error.products.price"),
            (5, "sku", "error.sale.sku")
        ]
    );
    let tile = s
        .app
        .db()
        .product("T-01")
        .await
        .expect("read")
        .expect("saved");
    assert_eq!((tile.name.as_str(), tile.price_fen), ("抛光砖 600", 9950));
    let r = s
        .app
        .import_products("sku,name,category,price\nP-01,净味乳胶漆,paint,468\n".as_bytes())
        .await
        .expect("update");
    assert_eq!(r.saved, 1);
    let paint = s
        .app
        .db()
        .product("P-01")
        .await
        .expect("read")
        .expect("saved");
    assert_eq!(
        (paint.name.as_str(), paint.price_fen, paint.brand.as_str()),
        ("净味乳胶漆", 46_800, "")
    );
    let missing = s.app.import_products("sku,name\nA,B\n".as_bytes()).await;
    assert!(
        matches!(missing, Err(patron_app::AppError::Field(f)) if f.key == "error.products.columns")
    );
    // A till may send only the SKU: name and category come from the list.
    let s1 = store(&s.app, "S1").await;
    let till = s
        .app
        .create_api_key(None, s1, "收银台", None)
        .await
        .expect("key");
    let (st, r, _) = crate::harness::api_with_key(&s.base, &till, "p1", serde_json::json!({
        "store_code": "S1", "receipt_no": "P1", "lines": [{"sku": "T-01", "quantity": 2, "unit_price_fen": 9950}]})).await;
    assert_eq!(st, 201, "{r}");
    let sale_id = r["sale_id"].as_i64().expect("id");
    let lines = s.app.db().sale_lines(sale_id).await.expect("lines");
    assert_eq!(
        (lines[0].name.as_str(), lines[0].category.as_str()),
        ("抛光砖 600", "tile")
    );
    s.shutdown().await;
}
both!(products_import_and_update);

/// History without points goes through the bulk writer: statistics summed per member (two
/// receipts on one day are one visit, also across two imports), the tier judged on the last
/// twelve months only, a receipt listed twice in a file written once, and a second import
/// changing nothing.
async fn bulk_history_keeps_statistics_and_tiers(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let s1 = store(&s.app, "S1").await;
    let member = customer(&s.app, s1, "13300133010").await;
    let quiet = customer(&s.app, s1, "13300133011").await;
    // The clock stands at 2026-11-23: the rolling window starts in December 2025.
    let first = "小票号,销售时间,门店,手机号,商品编码,商品名称,品类,数量,单价\n\
         B1,2024-05-01 10:00,S1,13300133011,T1,瓷砖,tile,100,100\n\
         B2,2026-03-01 10:00,S1,13300133010,T1,瓷砖,tile,5,100\n\
         B3,2026-03-01 16:00,S1,13300133010,P1,乳胶漆,paint,1,500\n\
         B4,2026-03-05 11:00,S1,13300133010,P1,乳胶漆,paint,1,500\n\
         B4,2026-03-05 11:00,S1,13300133010,G1,瓷砖胶,tool,2,50\n\
         B5,2026-04-10 09:00,S1,13300133010,L1,吸顶灯,light,1,600\n\
         B6,2026-04-11 09:00,S1,,X1,杂项,misc,1,10\n\
         B2,2026-04-12 10:00,S1,13300133010,T1,瓷砖,tile,1,100\n\
         B7,2026-04-13 10:00,S1,13300133010,T1,瓷砖,tile,0,100\n";
    let report = s
        .app
        .import_sales(first.as_bytes(), false, &|_| {})
        .await
        .expect("import");
    assert_eq!((report.lines, report.sales), (9, 6), "{report:?}");
    let mut rejected: Vec<(&str, &str)> = report
        .rejected
        .iter()
        .map(|(r, f, _)| (r.as_str(), *f))
        .collect();
    rejected.sort();
    assert_eq!(rejected, [("B2", "receipt_no"), ("B7", "lines")]);

    let app = &s.app;
    let stats = |id| async move {
        app.db()
            .customer_stats(id, 202_512)
            .await
            .expect("stats")
            .expect("bought")
    };
    let m = stats(member).await;
    assert_eq!(
        (m.purchase_count, m.visit_count, m.total_spend_fen),
        (4, 3, 50_000 + 50_000 + 60_000 + 60_000)
    );
    assert_eq!((m.standing.spend_fen, m.standing.visits), (220_000, 3));
    let ladder = s.app.loyalty().await.expect("programme").ladder.clone();
    // ¥2,200 in the window: 银卡 (¥2,000); the history says why.
    assert_eq!(
        s.app.db().tier_code(member, &ladder).await.expect("tier"),
        "silver"
    );
    let history = s.app.db().tier_history(member).await.expect("history");
    assert_eq!(
        history
            .iter()
            .map(|h| (h.to_code.as_str(), h.reason.as_str(), h.reference.as_str()))
            .collect::<Vec<_>>(),
        [("silver", "upgrade", "import")]
    );
    // ¥10,000 in 2024 is history, not standing: no tier today.
    let q = stats(quiet).await;
    assert_eq!((q.total_spend_fen, q.standing.spend_fen), (1_000_000, 0));
    assert_eq!(
        s.app.db().tier_code(quiet, &ladder).await.expect("tier"),
        "standard"
    );

    // A later file: a receipt on the day of the last visit is not a new visit; the stored
    // receipts are reported and not counted again.
    let second = "小票号,销售时间,门店,手机号,商品编码,商品名称,品类,数量,单价\n\
         B5,2026-04-10 09:00,S1,13300133010,L1,吸顶灯,light,1,600\n\
         C1,2026-04-10 19:00,S1,13300133010,X1,杂项,misc,1,10\n\
         C2,2026-06-01 19:00,S1,13300133010,X1,杂项,misc,1,10\n";
    let again = s
        .app
        .import_sales(second.as_bytes(), false, &|_| {})
        .await
        .expect("second import");
    assert_eq!(again.sales, 2);
    assert_eq!(
        again.rejected,
        [(
            "B5".to_string(),
            "receipt_no",
            "error.checkout.receipt_taken"
        )]
    );
    let m = stats(member).await;
    assert_eq!(
        (m.purchase_count, m.visit_count, m.total_spend_fen),
        (6, 4, 222_000)
    );
    assert_eq!(m.standing.visits, 4);
    let sales = s.app.db().sales_of(member, 50).await.expect("sales");
    assert_eq!(sales.len(), 6);
    let lines = s
        .app
        .db()
        .sale_lines(sales.last().expect("oldest").id)
        .await
        .expect("lines");
    assert_eq!(
        lines
            .iter()
            .map(|l| (l.line_no, l.sku.as_str()))
            .collect::<Vec<_>>(),
        [(1, "T1")]
    );
    s.shutdown().await;
}
both!(bulk_history_keeps_statistics_and_tiers);

async fn index_names(app: &patron_app::App) -> Vec<String> {
    sqlx::query_scalar(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND tbl_name = 'sales' \
         AND (name = 'ix_sales_customer' OR name = 'ix_sales_store_time') ORDER BY name",
    )
    .fetch_all(app.db().pool())
    .await
    .expect("indexes")
}

/// A large import into a database holding fewer sales writes without the two secondary sales
/// indexes and builds them again at the end; an import smaller than what is stored keeps
/// them; and indexes missing after an import that died are built again by `migrate`. (The
/// threshold is lowered to one sale so a small file shows the large file's path.)
#[tokio::test]
async fn large_history_rebuilds_the_sales_indexes() {
    let Some((app, clock, _dir)) = crate::harness::open_app(Kind::Sqlite, |_| {}).await else {
        return;
    };
    let s1 = store(&app, "S1").await;
    customer(&app, s1, "13300133020").await;
    let options = patron_store::ConnectOptions {
        bulk_unindexed_from: 1,
        ..patron_store::ConnectOptions::new(app.config().database_url())
    };
    let db = patron_store::Db::connect(&options).await.expect("connect");
    let keys = patron_app::App::open_keyring(app.config(), &db)
        .await
        .expect("keys");
    let fast = patron_app::App::new(db, clock, app.config().clone(), std::sync::Arc::new(keys));
    let header = "小票号,销售时间,门店,手机号,商品编码,商品名称,品类,数量,单价\n";
    let first = format!(
        "{header}L1,2026-03-01 10:00,S1,13300133020,T1,瓷砖,tile,5,100\n\
         L2,2026-03-02 10:00,S1,,P1,乳胶漆,paint,1,500\n\
         L3,2026-03-03 10:00,S1,13300133020,P1,乳胶漆,paint,2,500\n"
    );
    let report = fast
        .import_sales(first.as_bytes(), false, &|_| {})
        .await
        .expect("first import");
    assert_eq!(report.sales, 3);
    assert!(report.reindexed, "three sales into an empty table");
    assert_eq!(
        index_names(&app).await,
        ["ix_sales_customer", "ix_sales_store_time"]
    );
    let second = format!("{header}L4,2026-03-04 10:00,S1,13300133020,T1,瓷砖,tile,1,100\n");
    let report = fast
        .import_sales(second.as_bytes(), false, &|_| {})
        .await
        .expect("second import");
    assert_eq!(report.sales, 1);
    assert!(!report.reindexed, "one sale against three stored");
    let stored: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM sales WHERE customer_id IS NOT NULL")
            .fetch_one(app.db().pool())
            .await
            .expect("count");
    assert_eq!(stored, 3);
    sqlx::query("DROP INDEX ix_sales_customer")
        .execute(app.db().pool())
        .await
        .expect("drop");
    assert_eq!(index_names(&app).await, ["ix_sales_store_time"]);
    app.db().migrate().await.expect("migrate");
    assert_eq!(
        index_names(&app).await,
        ["ix_sales_customer", "ix_sales_store_time"]
    );
}

/// The SQLite history writer checks a batch's references itself (SQLite's row-by-row checks
/// are off while it writes): a batch naming a member that does not exist is refused whole,
/// with the constraint named, and the same batch with the member corrected is written. Sales
/// ids keep rising after migration 0018 took AUTOINCREMENT off the table.
#[tokio::test]
async fn history_writer_checks_what_sales_refer_to() {
    let Some((app, _clock, _dir)) = crate::harness::open_app(Kind::Sqlite, |_| {}).await else {
        return;
    };
    let s1 = store(&app, "S1").await;
    let member = customer(&app, s1, "13300133021").await;
    let now = app.now();
    let sale = |receipt: &str, customer_id: i64| patron_store::sales::NewSale {
        store_id: s1,
        receipt_no: receipt.into(),
        customer_id: Some(customer_id),
        till_name: "import".into(),
        staff_id: None,
        sold_at: now,
        recorded_at: now,
        lines: vec![patron_store::sales::NewSaleLine {
            sku: "T1".into(),
            name: "瓷砖".into(),
            category: "tile".into(),
            quantity: 1,
            unit_price_fen: 10_000,
            discount_fen: 0,
            net_fen: 10_000,
            paid_fen: 10_000,
            earns: true,
        }],
        points_redeemed: 0,
        points_value_fen: 0,
        coupons: Vec::new(),
        earned: None,
        eligible_fen: 10_000,
        source: patron_store::sales::SaleSource::Import,
        calendar: patron_app::sales::calendar(now, &jiff::tz::TimeZone::UTC),
        actor_name: "import".into(),
    };
    let ladder = patron_domain::membership::TierLadder::standard();
    let tiers = patron_store::sales::bulk::TierCheck {
        ladder: &ladder,
        window_from: 0,
        now,
    };
    let mut writer = app
        .db()
        .open_sqlite_bulk()
        .expect("open")
        .expect("a SQLite file");
    let refused = writer.write(&[sale("H1", member), sale("H2", member + 1000)], &tiers);
    assert!(
        matches!(
            &refused,
            Err(patron_store::StoreError::Conflict { constraint }) if constraint == "fk_sales_customer"
        ),
        "{refused:?}"
    );
    let count = || async {
        sqlx::query_scalar::<_, i64>("SELECT COUNT(*) FROM sales")
            .fetch_one(app.db().pool())
            .await
            .expect("count")
    };
    assert_eq!(count().await, 0, "the whole batch is refused");
    let written = writer
        .write(&[sale("H1", member), sale("H2", member)], &tiers)
        .expect("write");
    assert_eq!((written.sales, written.lines), (2, 2));
    writer.finish().expect("finish");
    let definition: String =
        sqlx::query_scalar("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = 'sales'")
            .fetch_one(app.db().pool())
            .await
            .expect("definition");
    assert!(!definition.contains("AUTOINCREMENT"), "{definition}");
    let ids: Vec<i64> = sqlx::query_scalar("SELECT id FROM sales ORDER BY receipt_no")
        .fetch_all(app.db().pool())
        .await
        .expect("ids");
    assert_eq!(ids.len(), 2);
    assert!(ids[0] < ids[1], "{ids:?}");
}
