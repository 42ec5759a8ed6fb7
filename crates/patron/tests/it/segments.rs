//! Bulk actions reaching a segment: a saved customer view (its filters) picks who gets a
//! coupon or a points adjustment from the console, within the staff member's scope.

use crate::both;
use crate::harness::{Client, Kind, PASSWORD, start, store};
use crate::points::customer;
use patron_app::customers::CustomerQuery;
use patron_app::membership::coupons::TemplateInput;

async fn saved_views_are_segments_for_coupons_and_points(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let s1 = store(app, "S1").await;
    let s2 = store(app, "S2").await;
    let mut in_s1 = Vec::new();
    for i in 0..3 {
        in_s1.push(customer(app, s1, &format!("1300013000{i}")).await);
    }
    let elsewhere = customer(app, s2, "13000130009").await;
    let owner_id = app
        .db()
        .staff_by_username("owner")
        .await
        .expect("query")
        .expect("owner")
        .id;
    app.db()
        .save_customer_view(owner_id, "一店客户", &format!("store={s1}"), app.now())
        .await
        .expect("view");
    let view = app.db().list_customer_views(owner_id).await.expect("views")[0].id;
    let template = app
        .create_coupon_template(
            &patron_domain::Actor::system("test"),
            patron_store::Scope::Chain,
            &TemplateInput {
                name: "老客回馈".into(),
                amount_fen: Some(2_000),
                valid_days: 30,
                ..Default::default()
            },
        )
        .await
        .expect("template");

    let owner = Client::new(&s.base);
    owner.login("owner", PASSWORD).await;
    let page = owner.get("/console/coupons").await;
    assert!(page.body.contains("一店客户"), "the view is offered");
    let both = owner
        .post(
            "/console/coupons/issue",
            &[
                ("template_id", &template.to_string()),
                ("customers", "13000130009"),
                ("view_id", &view.to_string()),
                ("reason", "回馈"),
            ],
        )
        .await;
    assert!(
        both.body.contains("二者选其一"),
        "a list and a view at once is refused"
    );
    let issued = owner
        .post(
            "/console/coupons/issue",
            &[
                ("template_id", &template.to_string()),
                ("view_id", &view.to_string()),
                ("reason", "回馈"),
            ],
        )
        .await;
    assert_eq!(issued.status, 303);
    for c in &in_s1 {
        assert_eq!(app.usable_coupons(*c).await.expect("coupons").len(), 1);
    }
    assert!(
        app.usable_coupons(elsewhere)
            .await
            .expect("coupons")
            .is_empty()
    );

    owner.get("/console/points").await;
    let adjusted = owner
        .post(
            "/console/points/bulk",
            &[
                ("view_id", &view.to_string()),
                ("points", "+100"),
                ("reason", "店庆赠分"),
            ],
        )
        .await;
    assert_eq!(adjusted.status, 303);
    assert!(
        adjusted.location.contains("points_adjusted"),
        "300 points in all is under the approval threshold"
    );
    for c in &in_s1 {
        assert_eq!(app.db().points_balance(*c).await.expect("balance"), 100);
    }
    assert_eq!(
        app.db().points_balance(elsewhere).await.expect("balance"),
        0
    );
    // Ten times as much needs a second person.
    let waiting = owner
        .post(
            "/console/points/bulk",
            &[
                ("customers", "13000130000\n13000130001"),
                ("points", "1000"),
                ("reason", "大额赠分"),
            ],
        )
        .await;
    assert!(waiting.location.contains("adjustment_pending"));
    assert_eq!(
        app.db().points_balance(in_s1[0]).await.expect("balance"),
        100
    );
    s.shutdown().await;
}
both!(saved_views_are_segments_for_coupons_and_points);

/// Segment conditions on the customer list: spend class, consent in force, days since the
/// last purchase, a category bought, churn score; all must hold; a saved view keeps them and
/// the console counts the matches.
async fn segment_conditions_narrow_the_list(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let s1 = store(app, "S1").await;
    let floor = customer(app, s1, "13600136001").await;
    let tiles = customer(app, s1, "13600136002").await;
    let idle = customer(app, s1, "13600136003").await;
    let _never = customer(app, s1, "13600136004").await;
    app.set_consents(
        &patron_domain::Actor::cli("test"),
        patron_store::Scope::Chain,
        floor,
        &[(patron_domain::customers::ConsentPurpose::MarketingSms, true)],
        patron_domain::customers::ConsentChannel::Counter,
    )
    .await
    .expect("consent");
    // The harness's today is 2026-11-23.
    let csv = "小票号,销售时间,门店,手机号,商品编码,商品名称,品类,数量,单价\n\
         R1,2026-11-20 15:00,S1,13600136001,F1,地板,floor,2,30000\n\
         R2,2026-11-01 15:00,S1,13600136002,T1,瓷砖,tiles,1,500\n\
         R3,2026-02-01 15:00,S1,13600136003,F2,地板,floor,1,800\n";
    let r = app
        .import_sales(csv.as_bytes(), false, &|_| {})
        .await
        .expect("import");
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    app.reclassify(app.now()).await.expect("classes");
    app.score_churn(app.now()).await.expect("churn");
    let ids = |q: CustomerQuery| async move {
        let mut v: Vec<i64> = app
            .search_customers(
                &patron_domain::Actor::cli("test"),
                patron_store::Scope::Chain,
                &q,
            )
            .await
            .expect("search")
            .customers
            .iter()
            .map(|c| c.id)
            .collect();
        v.sort();
        v
    };
    let q = |f: fn(&mut CustomerQuery)| {
        let mut q = CustomerQuery::default();
        f(&mut q);
        q
    };
    assert_eq!(
        ids(q(|q| q.category = "floor".into())).await,
        vec![floor, idle]
    );
    assert_eq!(ids(q(|q| q.idle_days = Some(90))).await, vec![idle]);
    assert_eq!(
        ids(q(|q| q.recent_days = Some(30))).await,
        vec![floor, tiles]
    );
    assert_eq!(
        ids(q(|q| q.consent = "marketing_sms".into())).await,
        vec![floor]
    );
    assert_eq!(
        ids(q(|q| q.class = "key".into())).await,
        vec![floor],
        "the biggest spender"
    );
    assert_eq!(ids(q(|q| q.churn = Some(50))).await, vec![idle]);
    // Conditions combine: floor buyers who bought recently.
    assert_eq!(
        ids(q(|q| {
            q.category = "floor".into();
            q.recent_days = Some(30)
        }))
        .await,
        vec![floor]
    );
    // The console keeps the conditions in the address a saved view stores, and counts.
    let c = Client::new(&s.base);
    c.login("owner", PASSWORD).await;
    let page = c
        .get("/console/customers?category=floor&idle_days=90")
        .await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("category=floor"),
        "the view form carries the conditions"
    );
    assert!(
        page.body.contains("13600136003") || page.body.contains("6003"),
        "{}",
        page.body
    );
    assert!(!page.body.contains("[missing"));
}
both!(segment_conditions_narrow_the_list);
