//! The back-office pages of the loyalty programme, driven as a person would: the settings
//! form changes how a sale earns, coupons are created and issued to pasted phones, a large
//! adjustment from the customer page waits on the approvals page, and the liability report
//! counts what members hold.

use crate::both;
use crate::harness::{Client, Kind, PASSWORD, staff, start, store};
use crate::points::customer;
use serde_json::json;

async fn loyalty_pages_change_what_the_till_does(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let s1 = store(&s.app, "S1").await;
    let member = customer(&s.app, s1, "13600136000").await;
    let till = s
        .app
        .create_api_key(None, s1, "收银台", None)
        .await
        .expect("key");
    let owner = Client::new(&s.base);
    owner.login("owner", PASSWORD).await;

    let page = owner.get("/console/loyalty").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("钻石卡"), "the tiers are shown");
    // A bad line is refused with its field, and nothing is saved.
    let mut form: Vec<(String, String)> = vec![
        ("per_yuan_permille".into(), "2000".into()),
        ("categories".into(), "tobacco=0\nnonsense".into()),
        ("bonuses".into(), String::new()),
        ("pending_days".into(), "0".into()),
        ("expiry_rule".into(), "after_months".into()),
        ("expiry_n".into(), "12".into()),
        ("redeem_points_per_yuan".into(), "100".into()),
        ("refund_when_spent".into(), "block".into()),
        ("approval_above".into(), "300".into()),
        ("card_format".into(), "8860{seq:08}".into()),
        ("card_valid_months".into(), "12".into()),
    ];
    for (i, (code, name, spend)) in [("standard", "普通会员", ""), ("vip", "贵宾", "5000")]
        .iter()
        .enumerate()
    {
        form.push((format!("tier_code_{i}"), code.to_string()));
        form.push((format!("tier_name_{i}"), name.to_string()));
        form.push((format!("tier_min_spend_{i}"), spend.to_string()));
        form.push((format!("tier_points_permille_{i}"), "1000".into()));
        form.push((format!("tier_discount_permille_{i}"), "1000".into()));
    }
    let refs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let bad = owner.post("/console/loyalty", &refs).await;
    assert!(bad.body.contains("每行一项"), "the pairs error is shown");
    assert_eq!(
        s.app
            .loyalty()
            .await
            .expect("programme")
            .settings
            .per_yuan_permille,
        1000
    );
    form[1].1 = "tobacco=0".into();
    let refs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let saved = owner.post("/console/loyalty", &refs).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let programme = s.app.loyalty().await.expect("programme");
    assert_eq!(programme.settings.per_yuan_permille, 2000);
    assert_eq!(programme.ladder.tiers().len(), 2);

    // The till now earns 2 points a yuan, nothing on tobacco.
    let (st, r, _) = crate::harness::api_with_key(
        &s.base,
        &till,
        "k1",
        json!({"store_code": "S1", "receipt_no": "L1",
        "phone": "13600136000", "lines": [
            {"sku": "A", "category": "tile", "quantity": 1, "unit_price_fen": 10000},
            {"sku": "B", "category": "tobacco", "quantity": 1, "unit_price_fen": 5000}]}),
    )
    .await;
    assert_eq!((st, &r["points_earned"]), (201, &json!(200)), "{r}");

    // Coupons: a template, then issued to a pasted phone.
    let made = owner
        .post(
            "/console/coupons/templates",
            &[
                ("name", "满100减10"),
                ("kind", "amount"),
                ("value", "10"),
                ("min_spend", "100"),
                ("valid_days", "30"),
            ],
        )
        .await;
    assert_eq!(made.status, 303, "{}", made.body);
    let template = s.app.db().coupon_templates().await.expect("templates")[0].id;
    let issued = owner
        .post(
            "/console/coupons/issue",
            &[
                ("template_id", &template.to_string()),
                ("customers", "136 0013 6000\n"),
                ("reason", "会员日"),
            ],
        )
        .await;
    assert_eq!(issued.status, 303, "{}", issued.body);
    assert_eq!(
        s.app.usable_coupons(member).await.expect("coupons").len(),
        1
    );
    let page = owner.get("/console/coupons").await;
    assert!(page.body.contains("满100减10") && page.body.contains("¥10.00"));
    let unknown = owner
        .post(
            "/console/coupons/issue",
            &[
                ("template_id", &template.to_string()),
                ("customers", "13999999999"),
                ("reason", "会员日"),
            ],
        )
        .await;
    assert!(
        unknown.body.contains("找不到对应客户"),
        "unknown phones are named as the problem"
    );

    // An adjustment above the threshold (300) waits; a manager approves it.
    let asked = owner
        .post(
            &format!("/console/customers/{member}/points"),
            &[("points", "500"), ("reason", "装修补偿")],
        )
        .await;
    assert_eq!(asked.status, 303);
    assert!(asked.location.contains("adjustment_pending"));
    assert_eq!(
        s.app.db().points_balance(member).await.expect("balance"),
        200
    );
    staff(&s.app, "mgr", "store_manager", Some(s1)).await;
    let manager = Client::new(&s.base);
    manager.login("mgr", PASSWORD).await;
    let approvals = manager.get("/console/points").await;
    assert!(approvals.body.contains("装修补偿"));
    let id = s
        .app
        .pending_adjustments(patron_store::Scope::Chain)
        .await
        .expect("pending")[0]
        .id;
    let done = manager
        .post(&format!("/console/points/adjustments/{id}/approve"), &[])
        .await;
    assert_eq!(done.status, 303);
    assert_eq!(
        s.app.db().points_balance(member).await.expect("balance"),
        700
    );

    let report = owner.get("/console/reports/points").await;
    assert_eq!(report.status, 200);
    assert!(
        report.body.contains("700 (¥7.00)"),
        "outstanding points and their value"
    );
    s.shutdown().await;
}
both!(loyalty_pages_change_what_the_till_does);

/// The till page: a member found by phone, a sale rung up once even when the form is sent
/// twice, and the receipt refunded.
async fn the_till_page_rings_up_and_refunds(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let s1 = store(&s.app, "S1").await;
    let member = customer(&s.app, s1, "13500135000").await;
    staff(&s.app, "cashier", "sales_associate", Some(s1)).await;
    let c = Client::new(&s.base);
    c.login("cashier", PASSWORD).await;
    let page = c.get("/console/till?phone=135%200013%205000").await;
    assert_eq!(page.status, 200);
    assert!(
        page.body.contains("135****5000") && page.body.contains("普通会员"),
        "{}",
        page.body
    );
    let member_id = member.to_string();
    let form = [
        ("key", "form-key-1"),
        ("phone", "13500135000"),
        ("member_id", member_id.as_str()),
        ("receipt_no", "S1-T1"),
        ("sku_0", "TILE"),
        ("qty_0", "2"),
        ("price_0", "150"),
        ("sku_1", "GLUE"),
        ("qty_1", "1"),
        ("price_1", "20.50"),
    ];
    let first = c.post("/console/till/sale", &form).await;
    assert_eq!(first.status, 303, "{}", first.body);
    let shown = c.get(&first.location).await;
    assert!(
        shown.body.contains("¥320.50") && shown.body.contains("320"),
        "{}",
        shown.body
    );
    let again = c.post("/console/till/sale", &form).await;
    assert_eq!(again.status, 303, "a resent form is answered, not repeated");
    let sales = s.app.db().sales_of(member, 10).await.expect("sales");
    assert_eq!(sales.len(), 1);
    assert_eq!(sales[0].paid_fen, 32_050);
    let staff_id: Option<i64> = sqlx::query_scalar("SELECT staff_id FROM sales")
        .fetch_one(s.app.db().pool())
        .await
        .expect("staff");
    assert!(staff_id.is_some(), "the sale is attributed to the cashier");

    let refunded = c
        .post(
            "/console/till/refund",
            &[
                ("key", "form-key-2"),
                ("receipt_no", "S1-T1"),
                ("reason", "不要了"),
            ],
        )
        .await;
    assert_eq!(refunded.status, 303, "{}", refunded.body);
    assert_eq!(s.app.db().points_balance(member).await.expect("balance"), 0);
    let bad = c
        .post(
            "/console/till/sale",
            &[
                ("key", "form-key-3"),
                ("receipt_no", "S1-T2"),
                ("sku_0", "X"),
                ("qty_0", "0"),
                ("price_0", "1"),
            ],
        )
        .await;
    assert!(bad.body.contains("数量"), "the quantity error is shown");
    s.shutdown().await;
}
both!(the_till_page_rings_up_and_refunds);
