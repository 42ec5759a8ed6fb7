//! Reclassification on both backends: spend-share classes per store and chain-wide from the
//! running statistics, frequency, RFM value, lifecycle and labels; a second run changes
//! nothing; a new sale moves its customer and the run records the movement; rules are
//! checked before they are saved.

use crate::both;
use crate::harness::{Client, Kind, PASSWORD, start, store};
use crate::points::customer;
use patron_analytics::classes::{Label, Level, Lifecycle, Rules, SpendBasis, SpendClass};
use patron_domain::Actor;

async fn reclassification_from_running_statistics(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let (s1, s2) = (store(&s.app, "S1").await, store(&s.app, "S2").await);
    // Twelve-month spend in S1: 3,000, 2,500, 2,000, 1,500, 1,000 yuan (10,000 in all).
    let phones = [
        "13300000001",
        "13300000002",
        "13300000003",
        "13300000004",
        "13300000005",
    ];
    let mut ids = Vec::new();
    for p in phones {
        ids.push(customer(&s.app, s1, p).await);
    }
    let small_store = customer(&s.app, s2, "13300000006").await;
    let old = customer(&s.app, s1, "13300000007").await;
    let never = customer(&s.app, s1, "13300000008").await;
    // The harness's today is 2026-11-23.
    let csv = "小票号,销售时间,门店,手机号,商品编码,商品名称,品类,数量,单价\n\
         B0,2022-01-05 10:00,S1,13300000007,X,旧货,misc,1,900\n\
         B1,2026-01-10 10:00,S1,13300000001,X,货,misc,1,1000\n\
         B2,2026-10-01 10:00,S1,13300000001,X,货,misc,1,2000\n\
         B3,2026-10-02 10:00,S1,13300000002,X,货,misc,1,2500\n\
         B4,2026-10-03 10:00,S1,13300000003,X,货,misc,1,2000\n\
         B5,2026-10-04 10:00,S1,13300000004,X,货,misc,1,1500\n\
         B6,2026-10-05 10:00,S1,13300000005,X,货,misc,1,1000\n\
         B7,2026-10-06 10:00,S2,13300000006,X,货,misc,1,100\n";
    let report = s
        .app
        .import_sales(csv.as_bytes(), false, &|_| {})
        .await
        .expect("history");
    assert!(report.rejected.is_empty(), "{:?}", report.rejected);

    let first = s.app.reclassify(s.app.now()).await.expect("reclassify");
    assert_eq!(first.customers, 8);
    assert_eq!(first.changed, 8, "every customer classified the first time");
    let classes = |id| {
        let db = s.app.db().clone();
        async move {
            db.stored_classes(id)
                .await
                .expect("read")
                .expect("classified")
        }
    };
    // Spend before each in S1 (of 10,000): 0, 3,000, 5,500, 7,500, 9,000; the old customer
    // bought nothing in the twelve months.
    let expected = [
        SpendClass::Key,
        SpendClass::Major,
        SpendClass::Ordinary,
        SpendClass::Ordinary,
        SpendClass::Small,
    ];
    for (id, class) in ids.iter().zip(expected) {
        let c = classes(*id).await;
        assert_eq!(c.spend_store, class, "customer {id}");
        assert_eq!(c.store_id, s1);
        assert_eq!(c.frequency, Level::Low, "at most two visits");
    }
    // Chain-wide the S2 customer's 100 yuan is the smallest spend; within S2 it is all.
    let c = classes(small_store).await;
    assert_eq!(
        (c.spend_store, c.spend_chain),
        (SpendClass::Key, SpendClass::Small)
    );
    assert_eq!(
        c.label,
        Label::Vip,
        "key in its own store, the default scope"
    );
    let top = classes(ids[0]).await;
    assert_eq!(top.label, Label::Vip);
    // Two visits 264 days apart, the last 53 days ago: active.
    assert_eq!(top.lifecycle, Some(Lifecycle::Active));
    assert_eq!(classes(ids[1]).await.lifecycle, Some(Lifecycle::New));
    assert_eq!(classes(ids[1]).await.label, Label::Regular);
    let gone = classes(old).await;
    assert_eq!(gone.spend_store, SpendClass::Small);
    assert_eq!(gone.lifecycle, Some(Lifecycle::Lost));
    assert_eq!(gone.rfm.map(|r| r.r), Some(1), "the least recent buyer");
    let prospect = classes(never).await;
    assert_eq!(prospect.label, Label::Potential);
    assert_eq!(
        (prospect.lifecycle, prospect.rfm, prospect.value),
        (None, None, None)
    );
    assert_eq!(
        top.rfm.map(|r| (r.r, r.m)),
        Some((1, 5)),
        "second least recent of seven"
    );

    let again = s.app.reclassify(s.app.now()).await.expect("again");
    assert_eq!((again.customers, again.changed), (8, 0));
    assert!(again.moves.is_empty());

    // A big sale moves the smallest S1 customer to the top.
    let more = "小票号,销售时间,门店,手机号,商品编码,商品名称,品类,数量,单价\n\
         B8,2026-11-20 10:00,S1,13300000005,X,货,misc,1,20000\n";
    s.app
        .import_sales(more.as_bytes(), false, &|_| {})
        .await
        .expect("sale");
    let moved = s.app.reclassify(s.app.now()).await.expect("moved");
    assert_eq!(classes(ids[4]).await.spend_store, SpendClass::Key);
    // Of 30,000 now, 21,000 is spent before the former top customer: 70 %.
    assert_eq!(classes(ids[0]).await.spend_store, SpendClass::Ordinary);
    let small_to_key = moved
        .moves
        .iter()
        .find(|m| m.from == Some(SpendClass::Small) && m.to == SpendClass::Key)
        .map(|m| m.customers);
    assert_eq!(small_to_key, Some(1));
    let runs = s.app.db().class_runs(10).await.expect("runs");
    assert_eq!(runs.len(), 3);
    assert_eq!(runs[0].id, moved.run_id);
    assert_eq!(runs[0].changed, moved.changed as i64);
    assert!(runs[0].moves.contains("\"from\":\"small\",\"to\":\"key\""));

    // The classes page: counts within the store, and the latest run's movement.
    let overview = s
        .app
        .class_overview(patron_store::Scope::Store(s2))
        .await
        .expect("overview");
    let spend: Vec<(&str, i64)> = overview
        .counts
        .iter()
        .filter(|c| c.dimension == "spend")
        .map(|c| (c.code.as_str(), c.customers))
        .collect();
    assert_eq!(spend, vec![("key", 1)], "only S2's customer, key within S2");
    let c = Client::new(&s.base);
    c.login("owner", PASSWORD).await;
    let page = c.get("/console/care/classes").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"moves\""));
    assert!(
        page.body
            .contains("小客户</td><td>重要客户</td><td class=\"num\">1<"),
        "small to key"
    );
    let run = c.post("/console/care/classes/run", &[]).await;
    assert_eq!(run.status, 303);
    assert_eq!(s.app.db().class_runs(10).await.expect("runs").len(), 4);

    // Rules: checked, saved, used by the next run.
    let actor = Actor::cli("test");
    let bad = Rules {
        key_pct: 60,
        ..Rules::default()
    };
    let err = s
        .app
        .save_class_rules(&actor, &bad)
        .await
        .expect_err("refused");
    assert_eq!(err.field_errors()[0].field, "key_pct");
    let by_count = Rules {
        basis: SpendBasis::Count,
        ..Rules::default()
    };
    s.app
        .save_class_rules(&actor, &by_count)
        .await
        .expect("saved");
    assert_eq!(s.app.class_rules().await.expect("rules"), by_count);
    s.app.reclassify(s.app.now()).await.expect("by count");
    // Five buyers in S1 this year, by rank: the first fifth is key, up to half major.
    assert_eq!(classes(ids[4]).await.spend_store, SpendClass::Key);
    assert_eq!(classes(ids[0]).await.spend_store, SpendClass::Major);
    assert_eq!(classes(ids[1]).await.spend_store, SpendClass::Major);
    assert_eq!(classes(ids[3]).await.spend_store, SpendClass::Small);
}
both!(reclassification_from_running_statistics);
