//! Checkout and refunds over HTTP on both backends: idempotency (missing key, replay, other
//! body, concurrent duplicates, retrying tills), points earned and redeemed, tier upgrades
//! and their undoing, refunds in parts, the refund policy, and the running statistics.

use crate::both;
use crate::harness::{Kind, Server, start, store};
use crate::points::customer;
use serde_json::{Value, json};

pub(crate) struct Till {
    pub(crate) base: String,
    pub(crate) key: String,
}

impl Till {
    pub(crate) async fn post(
        &self,
        path: &str,
        idem: Option<&str>,
        body: &Value,
    ) -> (u16, Value, bool) {
        let mut req = reqwest::Client::new()
            .post(format!("{}{path}", self.base))
            .header("authorization", format!("Bearer {}", self.key))
            .json(body);
        if let Some(k) = idem {
            req = req.header("idempotency-key", k);
        }
        let res = req.send().await.expect("request");
        let status = res.status().as_u16();
        let replayed = res.headers().get("idempotent-replayed").is_some();
        let text = res.text().await.expect("body");
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::Null),
            replayed,
        )
    }
}

pub(crate) async fn setup(kind: Kind) -> Option<(Server, Till, i64, i64)> {
    let s = start(kind, |_| {}).await?;
    let s1 = store(&s.app, "S1").await;
    let key = s
        .app
        .create_api_key(None, s1, "收银台 1", None)
        .await
        .expect("key");
    let member = customer(&s.app, s1, "13800138000").await;
    let till = Till {
        base: s.base.clone(),
        key,
    };
    Some((s, till, s1, member))
}

pub(crate) fn sale(receipt: &str, lines: Value, points: i64) -> Value {
    json!({"store_code": "S1", "receipt_no": receipt, "phone": "138 0013 8000",
           "lines": lines, "points_to_redeem": points})
}

pub(crate) async fn ledger_is_sound(s: &Server) {
    assert_eq!(
        s.app.db().points_mismatches().await.expect("check"),
        vec![],
        "balance equals the ledger and the lots"
    );
}

async fn checkout_is_idempotent_and_earns(kind: Kind) {
    let Some((s, till, _, member)) = setup(kind).await else {
        return;
    };
    let body = sale(
        "R-0001",
        json!([
            {"sku": "TILE-60", "name": "抛光砖 600×600", "category": "tile", "quantity": 2, "unit_price_fen": 15000, "discount_fen": 1000},
            {"sku": "PAINT-5L", "name": "乳胶漆 5L", "category": "paint", "quantity": 1, "unit_price_fen": 9900}
        ]),
        0,
    );
    let (st, p, _) = till.post("/api/v1/checkout", None, &body).await;
    assert_eq!(
        (st, p["code"].as_str()),
        (400, Some("idempotency_key_required"))
    );

    let (st, first, replayed) = till.post("/api/v1/checkout", Some("k-1"), &body).await;
    assert_eq!(st, 201, "{first}");
    assert!(!replayed);
    assert_eq!(first["paid_fen"], 38_900);
    assert_eq!(first["discount_fen"], 1000);
    assert_eq!(first["points_earned"], 389, "¥389 at 1 point per yuan");
    assert_eq!(first["balance"], 389);
    assert_eq!(first["tier"], "standard");
    assert!(first["points_expire_at"].is_string());

    // A replay gets the first answer unchanged and writes nothing.
    let (st, again, replayed) = till.post("/api/v1/checkout", Some("k-1"), &body).await;
    assert_eq!((st, replayed), (201, true));
    assert_eq!(again, first);
    // The same key with another body is refused; a new key for a used receipt conflicts.
    let mut other = body.clone();
    other["lines"][0]["quantity"] = json!(3);
    let (st, p, _) = till.post("/api/v1/checkout", Some("k-1"), &other).await;
    assert_eq!((st, p["field"].as_str()), (422, Some("Idempotency-Key")));
    let (st, p, _) = till.post("/api/v1/checkout", Some("k-2"), &body).await;
    assert_eq!((st, p["field"].as_str()), (409, Some("receipt_no")));
    assert_eq!(
        s.app.db().sales_of(member, 10).await.expect("sales").len(),
        1
    );

    // Redeeming 300 points pays ¥3; the rest earns.
    let (st, r, _) = till
        .post(
            "/api/v1/checkout",
            Some("k-3"),
            &sale(
                "R-0002",
                json!([{"sku": "GLUE", "category": "tool", "quantity": 1, "unit_price_fen": 10000}]),
                300,
            ),
        )
        .await;
    assert_eq!(st, 201, "{r}");
    assert_eq!(
        (&r["paid_fen"], &r["points_redeemed"], &r["points_earned"]),
        (&json!(9700), &json!(300), &json!(97))
    );
    assert_eq!(r["balance"], 389 - 300 + 97);
    let (st, p, _) = till
        .post(
            "/api/v1/checkout",
            Some("k-4"),
            &sale(
                "R-0003",
                json!([{"sku": "GLUE", "quantity": 100, "unit_price_fen": 10000}]),
                1000,
            ),
        )
        .await;
    assert_eq!((st, p["field"].as_str()), (422, Some("points")), "{p}");
    // Bad lines say which field is wrong, and change nothing.
    let (st, p, _) = till
        .post(
            "/api/v1/checkout",
            Some("k-5"),
            &sale(
                "R-0004",
                json!([{"sku": "GLUE", "quantity": 0, "unit_price_fen": 100}]),
                0,
            ),
        )
        .await;
    assert_eq!((st, p["field"].as_str()), (422, Some("lines")));

    // ¥2,000 more in twelve months reaches 银卡 at once, on this sale.
    let (st, up, _) = till
        .post(
            "/api/v1/checkout",
            Some("k-6"),
            &sale(
                "R-0005",
                json!([{"sku": "SINK", "category": "bath", "quantity": 3, "unit_price_fen": 100000}]),
                0,
            ),
        )
        .await;
    assert_eq!(st, 201, "{up}");
    assert_eq!(
        (&up["tier"], &up["upgraded_from"], &up["tier_name"]),
        (&json!("silver"), &json!("standard"), &json!("银卡"))
    );
    let stats = s
        .app
        .db()
        .customer_stats(member, 0)
        .await
        .expect("stats")
        .expect("bought");
    assert_eq!(
        (stats.purchase_count, stats.visit_count),
        (3, 1),
        "one day, one visit"
    );
    assert_eq!(stats.total_spend_fen, 38_900 + 9_700 + 300_000);

    // One sink back: a third of that sale's points go, the tier stays (still ≥ ¥2,000).
    let (st, r1, _) = till
        .post(
            "/api/v1/refunds",
            Some("r-1"),
            &json!({"store_code": "S1", "receipt_no": "R-0005", "refund_no": "T-1",
                    "lines": [{"line_no": 1, "quantity": 1}], "reason": "尺寸不合"}),
        )
        .await;
    assert_eq!(st, 201, "{r1}");
    assert_eq!(
        (&r1["paid_fen"], &r1["points_clawed"]),
        (&json!(100_000), &json!(1000))
    );
    assert_eq!(r1["tier"], "silver");
    let (st, again, replayed) = till
        .post(
            "/api/v1/refunds",
            Some("r-1"),
            &json!({"store_code": "S1", "receipt_no": "R-0005", "refund_no": "T-1",
                    "lines": [{"line_no": 1, "quantity": 1}], "reason": "尺寸不合"}),
        )
        .await;
    assert_eq!((st, replayed, &again), (201, true, &r1));
    // The other two: the upgrade this sale brought is undone.
    let (st, r2, _) = till
        .post(
            "/api/v1/refunds",
            Some("r-2"),
            &json!({"store_code": "S1", "receipt_no": "R-0005", "refund_no": "T-2"}),
        )
        .await;
    assert_eq!(st, 201, "{r2}");
    assert_eq!(
        (&r2["points_clawed"], &r2["tier"], &r2["downgraded_from"]),
        (&json!(2000), &json!("standard"), &json!("silver"))
    );
    let (st, p, _) = till
        .post(
            "/api/v1/refunds",
            Some("r-3"),
            &json!({"store_code": "S1", "receipt_no": "R-0005", "refund_no": "T-3"}),
        )
        .await;
    assert_eq!(
        (st, p["field"].as_str()),
        (422, Some("lines")),
        "nothing left"
    );
    // Refunding the sale that redeemed points gives them back.
    let (st, r4, _) = till
        .post(
            "/api/v1/refunds",
            Some("r-4"),
            &json!({"store_code": "S1", "receipt_no": "R-0002", "refund_no": "T-4"}),
        )
        .await;
    assert_eq!(st, 201, "{r4}");
    assert_eq!(
        (&r4["points_restored"], &r4["points_clawed"]),
        (&json!(300), &json!(97))
    );
    assert_eq!(r4["balance"], 389);
    let stats = s
        .app
        .db()
        .customer_stats(member, 0)
        .await
        .expect("stats")
        .expect("bought");
    assert_eq!(stats.total_spend_fen, 38_900);
    assert_eq!(stats.standing.spend_fen, 38_900);
    let history = s.app.db().tier_history(member).await.expect("history");
    assert_eq!(
        history
            .iter()
            .map(|h| (h.to_code.as_str(), h.reason.as_str()))
            .collect::<Vec<_>>(),
        [("standard", "refund"), ("silver", "upgrade")]
    );
    ledger_is_sound(&s).await;

    // Staff see it on the customer page: tier progress, lots, the ledger with reasons (the
    // points tab), and the purchases (their own tab).
    let c = crate::harness::Client::new(&s.base);
    c.login("owner", crate::harness::PASSWORD).await;
    let points = c
        .get(&format!("/console/customers/{member}?tab=points"))
        .await;
    assert_eq!(points.status, 200);
    let purchases = c
        .get(&format!("/console/customers/{member}?tab=purchases"))
        .await;
    assert_eq!(purchases.status, 200);
    let both = format!("{}{}", points.body, purchases.body);
    for shown in [
        "还差 ¥1,611.00 或 5 次到店 即可升级 银卡",
        "id=\"points-balance\">389<",
        "退货扣回",
        "退货返还",
        "refund T-4 of receipt R-0002",
        "R-0005",
        "¥3,000.00",
        "退货撤销升级",
    ] {
        assert!(both.contains(shown), "customer page shows {shown}");
    }
    s.shutdown().await;
}
both!(checkout_is_idempotent_and_earns);

async fn refund_policy_decides_when_points_were_spent(kind: Kind) {
    let Some((s, till, _, member)) = setup(kind).await else {
        return;
    };
    let line =
        |fen: i64| json!([{"sku": "X", "category": "misc", "quantity": 1, "unit_price_fen": fen}]);
    let (st, _, _) = till
        .post("/api/v1/checkout", Some("a"), &sale("A", line(10_000), 0))
        .await;
    assert_eq!(st, 201);
    // All 100 points pay for B.
    let (st, b, _) = till
        .post("/api/v1/checkout", Some("b"), &sale("B", line(100), 100))
        .await;
    assert_eq!((st, &b["balance"]), (201, &json!(0)), "{b}");

    // Policy "block": the refund of A is refused and nothing changes.
    let mut programme = s.app.loyalty().await.expect("programme").settings.clone();
    programme.refund_when_spent = patron_app::membership::loyalty::RefundPolicy::Block;
    s.app
        .save_loyalty(&patron_domain::Actor::cli("test"), programme.clone())
        .await
        .expect("save");
    let refund_a = json!({"store_code": "S1", "receipt_no": "A", "refund_no": "TA"});
    let (st, p, _) = till.post("/api/v1/refunds", Some("ra"), &refund_a).await;
    assert_eq!((st, p["field"].as_str()), (422, Some("points")), "{p}");
    assert!(
        p["title"].as_str().unwrap_or("").contains("积分"),
        "staff see why, in their language: {p}"
    );

    // Policy "negative": the refund goes through and the debt is shown.
    programme.refund_when_spent = patron_app::membership::loyalty::RefundPolicy::Negative;
    s.app
        .save_loyalty(&patron_domain::Actor::cli("test"), programme)
        .await
        .expect("save");
    let (st, r, _) = till.post("/api/v1/refunds", Some("ra2"), &refund_a).await;
    assert_eq!(st, 201, "{r}");
    assert_eq!(
        (&r["points_short"], &r["balance"]),
        (&json!(100), &json!(-100))
    );
    ledger_is_sound(&s).await;
    // Later earnings pay the debt first.
    let (st, c, _) = till
        .post("/api/v1/checkout", Some("c"), &sale("C", line(15_000), 0))
        .await;
    assert_eq!((st, &c["balance"]), (201, &json!(50)), "{c}");
    assert_eq!(
        s.app.db().points_balance(member).await.expect("balance"),
        50
    );
    let lots = s.app.db().points_lots(member).await.expect("lots");
    assert_eq!(lots.iter().map(|l| l.remaining).sum::<i64>(), 50);
    ledger_is_sound(&s).await;
    s.shutdown().await;
}
both!(refund_policy_decides_when_points_were_spent);

/// A till that retries each request 1 to 5 times, some at the same moment: one sale and one
/// earning per key; every answer is the first one or a 409 while it was being written.
async fn retrying_tills_write_each_sale_once(kind: Kind) {
    let Some((s, till, _, member)) = setup(kind).await else {
        return;
    };
    let till = std::sync::Arc::new(till);
    let mut tasks = tokio::task::JoinSet::new();
    for n in 0..20_i64 {
        let tries = 1 + n % 5;
        for _ in 0..tries {
            let till = till.clone();
            tasks.spawn(async move {
                let body = sale(
                    &format!("RT-{n}"),
                    json!([{"sku": "X", "category": "misc", "quantity": 1, "unit_price_fen": 1000 + n}]),
                    0,
                );
                let (st, v, _) = till
                    .post("/api/v1/checkout", Some(&format!("retry-{n}")), &body)
                    .await;
                (n, st, v)
            });
        }
    }
    let mut answers: std::collections::HashMap<i64, Value> = Default::default();
    while let Some(done) = tasks.join_next().await {
        let (n, st, v) = done.expect("task");
        match st {
            201 => {
                let first = answers.entry(n).or_insert_with(|| v.clone());
                assert_eq!(first, &v, "every success for one key is the same answer");
            }
            409 => assert_eq!(v["field"], "Idempotency-Key", "{v}"),
            other => panic!("unexpected {other}: {v}"),
        }
    }
    let sales = s.app.db().sales_of(member, 100).await.expect("sales");
    assert_eq!(sales.len(), 20, "one sale per key");
    let earned = s
        .app
        .db()
        .points_entries(member, 1000)
        .await
        .expect("entries")
        .into_iter()
        .filter(|e| e.kind.code() == "earn")
        .count();
    assert_eq!(earned, 20, "one earning per key");
    ledger_is_sound(&s).await;
    s.shutdown().await;
}
both!(retrying_tills_write_each_sale_once);
