//! Orders, visits and warranties over the API, on both backends: every call a client may
//! retry (creating an order, moving it, completing or cancelling a visit, registering an
//! item, filing a claim) gives the same answer twice and does the work once; bad input
//! names its field; another store's staff do not see the order.

use crate::both;
use crate::harness::{Kind, api, staff, start, store};
use crate::orders::{sale, sent_to};
use serde_json::{Value, json};

async fn orders_visits_and_warranties_over_the_api(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let s1 = store(app, "S1").await;
    let s2 = store(app, "S2").await;
    let desk = staff(app, "api.desk", "after_sales", Some(s1)).await;
    let fitter = staff(app, "api.fitter", "after_sales", Some(s1)).await;
    let elsewhere = staff(app, "api.s2", "after_sales", Some(s2)).await;
    let mobile = "13700137201";
    let customer = crate::messages::customer(app, s1, mobile, "api@example.cn", &[]).await;
    let sale_id = sale(app, "R-API-1", mobile).await;
    let token = app
        .create_api_token(None, desk, "desk", None)
        .await
        .expect("token")
        .secret;
    let other_token = app
        .create_api_token(None, elsewhere, "s2", None)
        .await
        .expect("token")
        .secret;
    let base = s.base.clone();
    let call =
        |method: &'static str, path: String, body: Option<Value>, key: Option<&'static str>| {
            let (base, token) = (base.clone(), token.clone());
            async move {
                let http = reqwest::Client::new();
                let mut req = http
                    .request(method.parse().expect("method"), format!("{base}{path}"))
                    .header("authorization", format!("Bearer {token}"));
                if let Some(k) = key {
                    req = req.header("idempotency-key", k);
                }
                if let Some(b) = body {
                    req = req.json(&b);
                }
                let res = req.send().await.expect("call");
                let status = res.status().as_u16();
                let v: Value = res.json().await.unwrap_or(Value::Null);
                (status, v)
            }
        };

    // An order from the sale; the retry returns it without a second order or notice.
    let body = json!({"sale_id": sale_id, "address": "上海市徐汇区漕溪北路 1 号 1201"});
    let (status, order) = call(
        "POST",
        "/api/v1/orders".into(),
        Some(body.clone()),
        Some("o-1"),
    )
    .await;
    assert_eq!(status, 201, "{order}");
    let id = order["id"].as_i64().expect("id");
    assert_eq!(order["customer_id"], customer);
    assert_eq!(order["status"], "confirmed");
    assert_eq!(order["total_fen"], 20 * 26_800 + 320_000);
    assert_eq!(order["lines"].as_array().map(Vec::len), Some(2));
    assert_eq!(order["next"][0], "preparing");
    let (status, retry) = call("POST", "/api/v1/orders".into(), Some(body), Some("o-1")).await;
    assert_eq!((status, retry["id"].as_i64()), (200, Some(id)));
    assert_eq!(sent_to(app, mobile).await.len(), 1, "one confirmation");
    let (status, problem) = call(
        "POST",
        "/api/v1/orders".into(),
        Some(json!({"customer_id": customer, "lines": [{"sku": "X", "name": "坏", "quantity": 0, "unit_price_fen": 100}]})),
        None,
    )
    .await;
    assert_eq!(
        (status, problem["field"].clone()),
        (422, json!("lines")),
        "{problem}"
    );
    let (_, listed) = call(
        "GET",
        format!("/api/v1/orders?customer_id={customer}"),
        None,
        None,
    )
    .await;
    assert_eq!(listed.as_array().map(Vec::len), Some(1), "{listed}");
    let (status, _) = call("GET", "/api/v1/orders?limit=0".into(), None, None).await;
    assert_eq!(status, 422);

    // Moving it: a retried move changes nothing; going back is refused.
    let stage = json!({"to": "preparing", "note": "备货中"});
    let (status, moved) = call(
        "POST",
        format!("/api/v1/orders/{id}/stage"),
        Some(stage.clone()),
        None,
    )
    .await;
    assert_eq!(status, 200, "{moved}");
    assert_eq!(
        (moved["status"].clone(), moved["changed"].clone()),
        (json!("preparing"), json!(true))
    );
    let (_, again) = call(
        "POST",
        format!("/api/v1/orders/{id}/stage"),
        Some(stage),
        None,
    )
    .await;
    assert_eq!(again["changed"], false);
    let (status, back) = call(
        "POST",
        format!("/api/v1/orders/{id}/stage"),
        Some(json!({"to": "confirmed"})),
        None,
    )
    .await;
    assert_eq!(status, 422, "{back}");
    assert_eq!(
        sent_to(app, mobile).await.len(),
        2,
        "one notice for the one move"
    );

    // A delivery visit on the fitter's calendar; a clash is refused on the assignee.
    let visit = json!({"kind": "delivery", "date": "2026-11-25", "from": "09:00", "to": "11:00", "assignee_id": fitter});
    let (status, booked) = call(
        "POST",
        format!("/api/v1/orders/{id}/visits"),
        Some(visit),
        None,
    )
    .await;
    assert_eq!(status, 201, "{booked}");
    let visit_id = booked["id"].as_i64().expect("visit");
    assert_eq!(booked["status"], "scheduled");
    assert_eq!(booked["address"], "上海市徐汇区漕溪北路 1 号 1201");
    // 09:00 in Shanghai is 01:00 UTC.
    let nine = jiff::Timestamp::from_second(1_795_568_400)
        .expect("ts")
        .as_millisecond();
    assert_eq!(booked["starts_at"], nine);
    let clash = json!({"kind": "installation", "date": "2026-11-25", "from": "10:00", "to": "12:00", "assignee_id": fitter});
    let (status, problem) = call(
        "POST",
        format!("/api/v1/orders/{id}/visits"),
        Some(clash),
        None,
    )
    .await;
    assert_eq!(
        (status, problem["field"].clone()),
        (409, json!("assignee_id")),
        "{problem}"
    );
    let no_reason =
        json!({"date": "2026-11-26", "from": "14:00", "to": "16:00", "assignee_id": fitter});
    let (status, problem) = call(
        "POST",
        format!("/api/v1/visits/{visit_id}/reschedule"),
        Some(no_reason),
        None,
    )
    .await;
    assert_eq!(
        (status, problem["field"].clone()),
        (422, json!("reason")),
        "{problem}"
    );
    let moved_visit = json!({"date": "2026-11-26", "from": "14:00", "to": "16:00", "assignee_id": fitter, "reason": "客户改期"});
    let (status, v) = call(
        "POST",
        format!("/api/v1/visits/{visit_id}/reschedule"),
        Some(moved_visit),
        None,
    )
    .await;
    assert_eq!(status, 200, "{v}");
    assert_eq!(v["starts_at"], nine + 29 * 3_600_000);
    let done = json!({"note": "已送达，客户签收"});
    let (status, v) = call(
        "POST",
        format!("/api/v1/visits/{visit_id}/complete"),
        Some(done.clone()),
        None,
    )
    .await;
    assert_eq!((status, v["status"].clone()), (200, json!("done")), "{v}");
    let (status, v) = call(
        "POST",
        format!("/api/v1/visits/{visit_id}/complete"),
        Some(done),
        None,
    )
    .await;
    assert_eq!(
        (status, v["proof_note"].clone()),
        (200, json!("已送达，客户签收")),
        "a retry"
    );
    let (_, order) = call("GET", format!("/api/v1/orders/{id}"), None, None).await;
    assert_eq!(order["status"], "delivered", "{order}");
    let completions = order["timeline"]
        .as_array()
        .map(|t| t.iter().filter(|e| e["kind"] == "visit_done").count());
    assert_eq!(completions, Some(1), "{order}");

    // An installer's app completes with a photo (multipart) and fetches it back.
    let (status, _) = call(
        "GET",
        format!("/api/v1/visits/{visit_id}/photo"),
        None,
        None,
    )
    .await;
    assert_eq!(status, 404, "completed without a photo");
    let install = json!({"kind": "installation", "date": "2026-11-27", "from": "10:00", "to": "12:00", "assignee_id": fitter});
    let (status, v) = call(
        "POST",
        format!("/api/v1/orders/{id}/visits"),
        Some(install),
        None,
    )
    .await;
    assert_eq!(status, 201, "{v}");
    let install_id = v["id"].as_i64().expect("visit id");
    let complete_with = |bytes: &'static [u8]| {
        let (base, token) = (base.clone(), token.clone());
        async move {
            let form = reqwest::multipart::Form::new()
                .text("note", "已安装，现场照片")
                .part(
                    "photo",
                    reqwest::multipart::Part::bytes(bytes).file_name("p.png"),
                );
            let res = reqwest::Client::new()
                .post(format!("{base}/api/v1/visits/{install_id}/complete"))
                .header("authorization", format!("Bearer {token}"))
                .multipart(form)
                .send()
                .await
                .expect("call");
            let status = res.status().as_u16();
            (status, res.json::<Value>().await.unwrap_or(Value::Null))
        }
    };
    let (status, problem) = complete_with(b"GIF89a not a photo we take").await;
    assert_eq!(
        (status, problem["field"].clone()),
        (422, json!("photo")),
        "{problem}"
    );
    let (status, v) = complete_with(crate::orders::PNG).await;
    assert_eq!((status, v["has_photo"].clone()), (200, json!(true)), "{v}");
    assert_eq!(v["proof_note"], "已安装，现场照片");
    let res = reqwest::Client::new()
        .get(format!("{base}/api/v1/visits/{install_id}/photo"))
        .header("authorization", format!("Bearer {token}"))
        .send()
        .await
        .expect("photo");
    assert_eq!(res.status().as_u16(), 200);
    assert_eq!(
        res.headers()
            .get("content-type")
            .and_then(|v| v.to_str().ok()),
        Some("image/png")
    );
    assert_eq!(
        res.bytes().await.expect("bytes").as_ref(),
        crate::orders::PNG
    );
    let (status, _, _) = api(
        &s.base,
        "GET",
        &format!("/api/v1/orders/{id}"),
        Some(&other_token),
        None,
    )
    .await;
    assert_eq!(status, 404, "another store's staff do not see it");
    let (status, _, _) = api(
        &s.base,
        "GET",
        &format!("/api/v1/visits/{install_id}/photo"),
        Some(&other_token),
        None,
    )
    .await;
    assert_eq!(status, 404, "nor its photo");

    // The heater under warranty: registered once, found by serial and by phone, claimed once.
    let item = json!({"sale_id": sale_id, "sku": "H1", "serial": "API-H1-0001", "months": 36});
    let (status, w) = call(
        "POST",
        "/api/v1/warranties".into(),
        Some(item.clone()),
        None,
    )
    .await;
    assert_eq!(status, 201, "{w}");
    let wid = w["id"].as_i64().expect("warranty");
    assert_eq!(
        (w["product"].clone(), w["customer_id"].clone()),
        (json!("燃气热水器"), json!(customer))
    );
    assert_eq!(w["ends_on"], "2029-11-22");
    let (status, again) = call("POST", "/api/v1/warranties".into(), Some(item), None).await;
    assert_eq!((status, again["id"].as_i64()), (200, Some(wid)), "a retry");
    let someone = crate::points::customer(app, s1, "13700137202").await;
    let theirs = json!({"customer_id": someone, "sku": "H1", "product": "燃气热水器", "serial": "API-H1-0001", "months": 12});
    let (status, problem) = call("POST", "/api/v1/warranties".into(), Some(theirs), None).await;
    assert_eq!(
        (status, problem["field"].clone()),
        (409, json!("serial")),
        "{problem}"
    );
    for q in ["API-H1-0001", mobile] {
        let (_, found) = call("GET", format!("/api/v1/warranties?q={q}"), None, None).await;
        assert_eq!(found.as_array().map(Vec::len), Some(1), "{q}: {found}");
    }
    let claim = json!({"kind": "repair", "description": "点火后熄火"});
    let (status, filed) = call(
        "POST",
        format!("/api/v1/warranties/{wid}/claims"),
        Some(claim.clone()),
        Some("c-1"),
    )
    .await;
    assert_eq!(status, 201, "{filed}");
    let (status, retried) = call(
        "POST",
        format!("/api/v1/warranties/{wid}/claims"),
        Some(claim),
        Some("c-1"),
    )
    .await;
    assert_eq!(
        (status, retried["ticket_id"].clone()),
        (200, filed["ticket_id"].clone())
    );
    let (_, w) = call("GET", format!("/api/v1/warranties/{wid}"), None, None).await;
    assert_eq!(w["claims"].as_array().map(Vec::len), Some(1), "{w}");
    let (status, problem) = call(
        "POST",
        format!("/api/v1/warranties/{wid}/claims"),
        Some(json!({"kind": "upgrade", "description": "想换新款"})),
        None,
    )
    .await;
    assert_eq!(
        (status, problem["field"].clone()),
        (422, json!("kind")),
        "{problem}"
    );
    s.shutdown().await;
}
both!(orders_visits_and_warranties_over_the_api);
