//! Warranties on both backends: registered from a sale, found by serial and phone,
//! reminded once before they end, and claimed as tickets.

use crate::both;
use crate::harness::{Kind, audit, staff, start, store};
use crate::orders::{key_of, sale, sent_to};
use jiff::SignedDuration;
use patron_app::service::warranties::{ClaimForm, WarrantyForm};
use patron_store::Scope;

async fn warranties_are_found_reminded_and_claimed(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let s1 = store(app, "S1").await;
    let desk = staff(app, "after.one", "after_sales", Some(s1)).await;
    let actor = crate::transfer::principal(app, desk).await.actor(None);
    let mobile = "13700137103";
    let customer = crate::messages::customer(app, s1, mobile, "heater@example.cn", &[]).await;
    let sale_id = sale(app, "R-WAR-1", "13700137103").await;

    let form = WarrantyForm {
        sale_id: Some(sale_id),
        sku: "H1".into(),
        serial: "JSQ25-0001".into(),
        months: 36,
        terms: "整机三年，主要部件五年".into(),
        ..Default::default()
    };
    let id = app
        .register_warranty(&actor, Scope::Chain, &form)
        .await
        .expect("register");
    let (w, claims) = app.warranty(Scope::Chain, id).await.expect("w");
    assert_eq!(
        (w.customer_id, w.product.as_str()),
        (customer, "燃气热水器")
    );
    assert_eq!(
        (w.starts_on.as_str(), w.ends_on.as_str()),
        ("2026-11-23", "2029-11-22")
    );
    assert!(claims.is_empty());
    let e = app
        .register_warranty(&actor, Scope::Chain, &form)
        .await
        .expect_err("same serial");
    assert_eq!(key_of(e), "error.warranty.serial_taken");
    let not_sold = WarrantyForm {
        sku: "X9".into(),
        ..form.clone()
    };
    let e = app
        .register_warranty(&actor, Scope::Chain, &not_sold)
        .await
        .expect_err("not in the sale");
    assert_eq!(key_of(e), "error.warranty.sale");

    // Found by serial and by phone; the phone lookup is audited.
    let by_serial = app
        .find_warranties(&actor, Scope::Chain, "JSQ25-0001")
        .await
        .expect("find");
    assert_eq!(by_serial.iter().map(|w| w.id).collect::<Vec<_>>(), [id]);
    let by_phone = app
        .find_warranties(&actor, Scope::Chain, "137 0013 7103")
        .await
        .expect("find");
    assert_eq!(by_phone.len(), 1);
    assert!(!audit(app, "warranty.lookup", "").await.is_empty());
    assert!(
        app.find_warranties(&actor, Scope::Chain, "NOPE")
            .await
            .expect("find")
            .is_empty()
    );

    // One ending within 30 days is reminded once; the three-year one is not.
    let old = WarrantyForm {
        customer_id: customer,
        sku: "F1".into(),
        product: "实木地板".into(),
        starts_on: "2025-12-10".into(),
        months: 12,
        ..Default::default()
    };
    let old_id = app
        .register_warranty(&actor, Scope::Chain, &old)
        .await
        .expect("old");
    assert_eq!(app.send_warranty_notices(app.now()).await.expect("job"), 1);
    assert_eq!(app.send_warranty_notices(app.now()).await.expect("job"), 0);
    let notices = sent_to(app, mobile).await;
    assert_eq!(notices.len(), 1);
    assert!(notices[0].contains("实木地板") && notices[0].contains("2026-12-09"));

    // A claim opens a ticket about the item, linked to the warranty.
    let claim = ClaimForm {
        kind: "repair".into(),
        description: "热水器点火失败".into(),
    };
    let (ticket, _) = app
        .claim_warranty(&actor, Scope::Chain, id, &claim, None)
        .await
        .expect("claim");
    let t = app.db().ticket(Scope::Chain, ticket).await.expect("ticket");
    assert_eq!(t.item_ref.as_deref(), Some("JSQ25-0001"));
    assert_eq!(
        (t.category.as_str(), t.sale_id),
        ("product_quality", Some(sale_id))
    );
    let (_, claims) = app.warranty(Scope::Chain, id).await.expect("w");
    assert_eq!(claims.len(), 1);
    assert_eq!(
        (claims[0].ticket_id, claims[0].kind.as_str()),
        (ticket, "repair")
    );
    let bad = ClaimForm {
        kind: "upgrade".into(),
        ..claim.clone()
    };
    let e = app
        .claim_warranty(&actor, Scope::Chain, id, &bad, None)
        .await
        .expect_err("kind");
    assert_eq!(key_of(e), "error.warranty.claim_kind");

    // After its last day a warranty takes no claims.
    s.clock.advance(SignedDuration::from_hours(24 * 17));
    let e = app
        .claim_warranty(&actor, Scope::Chain, old_id, &claim, None)
        .await
        .expect_err("expired");
    assert_eq!(key_of(e), "error.warranty.expired");
    s.shutdown().await;
}
both!(warranties_are_found_reminded_and_claimed);
