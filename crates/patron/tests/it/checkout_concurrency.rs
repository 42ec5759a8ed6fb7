//! Sales written together and sales racing: a batch is all or nothing with the refused sale
//! named; through the till only the refused sale fails; two servers sharing a database never
//! overdraw an account.

use crate::both;
use crate::checkout::{Till, ledger_is_sound, sale, setup};
use crate::harness::Kind;
use serde_json::json;

/// Sales written together: all or nothing, the refused one named, the rest written again
/// without it; through the till, only the refused sale fails.
async fn a_refused_sale_leaves_its_batch_standing(kind: Kind) {
    let Some((s, till, store_id, member)) = setup(kind).await else {
        return;
    };
    let ladder = patron_domain::membership::TierLadder::standard();
    let now = s.app.now();
    let cal = patron_app::sales::calendar(now, &jiff::tz::TimeZone::UTC);
    let sale = |receipt: &str, redeem: i64| patron_store::sales::NewSale {
        store_id,
        receipt_no: receipt.into(),
        customer_id: Some(member),
        till_name: "test".into(),
        staff_id: None,
        sold_at: now,
        recorded_at: now,
        lines: vec![patron_store::sales::NewSaleLine {
            sku: "X".into(),
            name: "X".into(),
            category: "misc".into(),
            quantity: 1,
            unit_price_fen: 5000,
            discount_fen: 0,
            net_fen: 5000,
            paid_fen: 5000 - redeem,
            earns: true,
        }],
        points_redeemed: redeem,
        points_value_fen: redeem,
        coupons: Vec::new(),
        earned: Some(patron_store::membership::points::NewLot {
            points: 10,
            usable_from: now,
            expires_at: None,
        }),
        eligible_fen: 5000 - redeem,
        source: patron_store::sales::SaleSource::Till,
        calendar: cal,
        actor_name: "test".into(),
    };
    let (a, b, c) = (sale("B-1", 0), sale("B-2", 500), sale("B-3", 0));
    let refused = s
        .app
        .db()
        .record_sales_together(&[
            (&a, &ladder, None),
            (&b, &ladder, None),
            (&c, &ladder, None),
        ])
        .await;
    assert!(
        matches!(
            refused,
            Err(patron_store::sales::BatchRefused::Sale {
                index: 1,
                refused: patron_store::sales::SaleRefused::Points(_)
            })
        ),
        "B-2 wanted more points than the member had: {refused:?}"
    );
    assert!(
        s.app
            .db()
            .sales_of(member, 10)
            .await
            .expect("sales")
            .is_empty(),
        "a refused batch commits nothing"
    );
    // Written again without the refused sale, the rest commits together.
    let written = s
        .app
        .db()
        .record_sales_together(&[(&a, &ladder, None), (&c, &ladder, None)])
        .await
        .expect("the rest commits");
    assert_eq!(written.len(), 2);
    assert_eq!(
        s.app.db().points_balance(member).await.expect("balance"),
        20
    );
    ledger_is_sound(&s).await;

    // Through the till: many checkouts at once, one of them redeeming more than the member
    // has. It alone is refused, whatever batch it lands in.
    let till = std::sync::Arc::new(till);
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..30 {
        let till = till.clone();
        tasks.spawn(async move {
            let points = if n == 17 { 100_000 } else { 0 };
            let body = json!({"store_code": "S1", "receipt_no": format!("M-{n}"), "phone": "13800138000",
                "lines": [{"sku": "X", "category": "misc", "quantity": 1, "unit_price_fen": 2000}],
                "points_to_redeem": points});
            let (st, v, _) = till.post("/api/v1/checkout", Some(&format!("m-{n}")), &body).await;
            (n, st, v)
        });
    }
    while let Some(done) = tasks.join_next().await {
        let (n, st, v) = done.expect("task");
        if n == 17 {
            assert_eq!((st, v["field"].as_str()), (422, Some("points")), "{v}");
        } else {
            assert_eq!(st, 201, "{v}");
        }
    }
    assert_eq!(
        s.app.db().sales_of(member, 100).await.expect("sales").len(),
        2 + 29
    );
    ledger_is_sound(&s).await;
    s.shutdown().await;
}
both!(a_refused_sale_leaves_its_batch_standing);

/// Two servers sharing one database, 1,000 redemptions against one account at once, half on
/// each: the balance never goes below zero and every point taken is one a sale recorded.
async fn redemptions_on_two_servers_never_overdraw(kind: Kind) {
    let Some((s, till, _, member)) = setup(kind).await else {
        return;
    };
    s.app
        .db()
        .earn_points(
            member,
            &patron_store::membership::points::NewLot {
                points: 1000,
                usable_from: s.app.now(),
                expires_at: None,
            },
            patron_store::membership::points::EntryKind::Adjust,
            &patron_store::membership::points::EntryNote {
                reason: "test".into(),
                reference: String::new(),
                actor_name: "test".into(),
            },
            s.app.now(),
        )
        .await
        .expect("earn");
    // The second server: its own process state (writer, in-flight keys, caches), the same
    // database and key file.
    let config = (**s.app.config()).clone();
    let db = patron_store::Db::connect(&patron_store::ConnectOptions::new(config.database_url()))
        .await
        .expect("connect");
    let keys = patron_app::App::open_keyring(&config, &db)
        .await
        .expect("keys");
    let other = patron_app::App::new(
        db,
        s.clock.clone(),
        std::sync::Arc::new(config),
        std::sync::Arc::new(keys),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind");
    let second = format!("http://{}", listener.local_addr().expect("addr"));
    let (stop, mut rx) = tokio::sync::watch::channel(false);
    let served = tokio::spawn(patron_web::serve(
        patron_web::AppState::new(other).expect("state"),
        listener,
        async move {
            let _ = rx.wait_for(|s| *s).await;
        },
    ));
    let bases = [till.base.clone(), second];
    let key = till.key.clone();
    let gate = std::sync::Arc::new(tokio::sync::Semaphore::new(100));
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..1000usize {
        let till = Till {
            base: bases[n % 2].clone(),
            key: key.clone(),
        };
        let gate = gate.clone();
        tasks.spawn(async move {
            let _permit = gate.acquire().await.expect("permit");
            // 3 points pay 3 fen of a ¥1 line; the 97 fen paid earn nothing.
            let body = sale(
                &format!("TWO-{n}"),
                json!([{"sku": "X", "category": "misc", "quantity": 1, "unit_price_fen": 100}]),
                3,
            );
            till.post("/api/v1/checkout", Some(&format!("two-{n}")), &body)
                .await
        });
    }
    let mut ok = 0i64;
    while let Some(done) = tasks.join_next().await {
        let (st, v, _) = done.expect("task");
        match st {
            201 => ok += 1,
            422 => assert_eq!(v["field"], "points", "{v}"),
            other => panic!("unexpected {other}: {v}"),
        }
    }
    let balance = s.app.db().points_balance(member).await.expect("balance");
    assert!(balance >= 0, "balance {balance}");
    assert_eq!(
        balance,
        1000 - 3 * ok,
        "every point taken was recorded by a sale"
    );
    assert!(ok > 0);
    ledger_is_sound(&s).await;
    let _ = stop.send(true);
    let _ = served.await;
    s.shutdown().await;
}
both!(redemptions_on_two_servers_never_overdraw);
