//! Bulk actions reaching a segment: a saved customer view (its filters) picks who gets a
//! coupon or a points adjustment from the console, within the staff member's scope.

use crate::both;
use crate::harness::{Client, Kind, PASSWORD, start, store};
use crate::points::customer;
use patron_app::sales::coupons::TemplateInput;

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
        .db
        .staff_by_username("owner")
        .await
        .expect("query")
        .expect("owner")
        .id;
    app.db
        .save_customer_view(owner_id, "一店客户", &format!("store={s1}"), app.now())
        .await
        .expect("view");
    let view = app.db.list_customer_views(owner_id).await.expect("views")[0].id;
    let template = app
        .create_coupon_template(&TemplateInput {
            name: "老客回馈".into(),
            amount_fen: Some(2_000),
            valid_days: 30,
            ..Default::default()
        })
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
        assert_eq!(app.db.points_balance(*c).await.expect("balance"), 100);
    }
    assert_eq!(app.db.points_balance(elsewhere).await.expect("balance"), 0);
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
    assert_eq!(app.db.points_balance(in_s1[0]).await.expect("balance"), 100);
    s.shutdown().await;
}
both!(saved_views_are_segments_for_coupons_and_points);
