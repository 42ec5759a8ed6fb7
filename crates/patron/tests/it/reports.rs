//! Reports over HTTP on both backends against a small fixture whose answers were worked out
//! by hand from the written definitions (in the comments beside each sale): the summary with
//! its previous period and year-ago comparison, sales by every grouping, cohorts, the
//! lifecycle flow, exports, store scoping, and a rebuild that gives back the same roll-ups.
//!
//! Stores S1 and S2 are in Asia/Shanghai (UTC+8): the sale at 2026-02-28T16:00Z is on
//! 1 March there, the one at 2026-03-31T15:59Z on 1 April.

use crate::both;
use crate::checkout::Till;
use crate::harness::{Kind, Server, api, staff, start, store, token_for};
use crate::points::customer;
use serde_json::{Value, json};

pub(crate) struct Fixture {
    pub(crate) s: Server,
    pub(crate) token: String,
    s2: i64,
}

fn line(sku: &str, category: &str, quantity: i64, price: i64, discount: i64) -> Value {
    json!({"sku": sku, "name": sku, "category": category, "quantity": quantity,
           "unit_price_fen": price, "discount_fen": discount})
}

/// A sale made at `at`, sent as it happens (the clock is set to a minute after).
async fn sell(
    s: &Server,
    till: &Till,
    store: &str,
    receipt: &str,
    phone: Option<&str>,
    at: &str,
    lines: Value,
) {
    let t: jiff::Timestamp = at.parse().unwrap();
    s.clock.set(t + jiff::SignedDuration::from_mins(1));
    let mut body = json!({"store_code": store, "receipt_no": receipt, "lines": lines,
                          "sold_at": at});
    if let Some(p) = phone {
        body["phone"] = json!(p);
    }
    let (st, r, _) = till.post("/api/v1/checkout", Some(receipt), &body).await;
    assert_eq!(st, 201, "{receipt}: {r}");
}

pub(crate) async fn fixture(kind: Kind) -> Option<Fixture> {
    let s = start(kind, |_| {}).await?;
    // Members A, B, C get their files in 2025; D on 10 March 2026 (a new customer then).
    s.clock.set("2025-01-02T02:00:00Z".parse().unwrap());
    let s1 = store(&s.app, "S1").await;
    let s2 = store(&s.app, "S2").await;
    customer(&s.app, s1, "13800000001").await;
    customer(&s.app, s2, "13800000002").await;
    customer(&s.app, s1, "13800000003").await;
    let t1 = Till {
        base: s.base.clone(),
        key: s
            .app
            .create_api_key(None, s1, "S1 till", None)
            .await
            .unwrap(),
    };
    let t2 = Till {
        base: s.base.clone(),
        key: s
            .app
            .create_api_key(None, s2, "S2 till", None)
            .await
            .unwrap(),
    };
    let (a, b, c) = (
        Some("13800000001"),
        Some("13800000002"),
        Some("13800000003"),
    );
    // A year earlier: A's first sale ever (10 March 2025), ¥100.
    sell(
        &s,
        &t1,
        "S1",
        "Y1",
        a,
        "2025-03-10T04:00:00Z",
        json!([line("TILE", "tile", 1, 10_000, 0)]),
    )
    .await;
    // Previous period (29 Jan to 28 Feb 2026): A on 5 Feb, C on 10 Feb (C's first sale).
    sell(
        &s,
        &t1,
        "S1",
        "P1",
        a,
        "2026-02-05T04:00:00Z",
        json!([line("TILE", "tile", 1, 10_000, 0)]),
    )
    .await;
    sell(
        &s,
        &t1,
        "S1",
        "P2",
        c,
        "2026-02-10T04:00:00Z",
        json!([line("TILE", "tile", 1, 10_000, 0)]),
    )
    .await;
    // March 2026.
    // R5: B, S2, 1 Mar 00:00 local (28 Feb in UTC), paint 2 × ¥50 = ¥100: B's first sale.
    sell(
        &s,
        &t2,
        "S2",
        "R5",
        b,
        "2026-02-28T16:00:00Z",
        json!([line("PAINT", "paint", 2, 5_000, 0)]),
    )
    .await;
    // R1: A, S1, 2 Mar 10:00, tile 2 × ¥100 + paint 1 × ¥50 = ¥250, 3 items.
    sell(
        &s,
        &t1,
        "S1",
        "R1",
        a,
        "2026-03-02T02:00:00Z",
        json!([
            line("TILE", "tile", 2, 10_000, 0),
            line("PAINT", "paint", 1, 5_000, 0)
        ]),
    )
    .await;
    // R2: walk-in, S1, 2 Mar 23:30, tile ¥100 less ¥10 = ¥90.
    sell(
        &s,
        &t1,
        "S1",
        "R2",
        None,
        "2026-03-02T15:30:00Z",
        json!([line("TILE", "tile", 1, 10_000, 1_000)]),
    )
    .await;
    s.clock.set("2026-03-10T02:00:00Z".parse().unwrap());
    customer(&s.app, s1, "13800000004").await;
    // R3: A, S1, 16 Mar 00:30 local (15 Mar in UTC), paint 3 × ¥50 = ¥150.
    sell(
        &s,
        &t1,
        "S1",
        "R3",
        a,
        "2026-03-15T16:30:00Z",
        json!([line("PAINT", "paint", 3, 5_000, 0)]),
    )
    .await;
    // On 20 March (12:00 local) one of R1's two tiles comes back: ¥100 refunded that day.
    s.clock.set("2026-03-20T04:00:00Z".parse().unwrap());
    let (st, r, _) = t1
        .post(
            "/api/v1/refunds",
            Some("T1"),
            &json!({"store_code": "S1", "receipt_no": "R1", "refund_no": "T1",
                    "lines": [{"line_no": 1, "quantity": 1}], "reason": "多买了"}),
        )
        .await;
    assert_eq!(st, 201, "{r}");
    assert_eq!(r["paid_fen"], 10_000, "{r}");
    // R4: B, S2, 1 April local: outside March.
    sell(
        &s,
        &t2,
        "S2",
        "R4",
        b,
        "2026-03-31T16:30:00Z",
        json!([line("TILE", "tile", 1, 10_000, 0)]),
    )
    .await;
    // Satisfaction answers: in March CSAT 5, 4, 2 and NPS 10, 9, 7, 3; in February CSAT 1.
    let pool = s.app.db().pool().clone();
    let member_a: i64 = sqlx::query_scalar("SELECT MIN(id) FROM customers")
        .fetch_one(&pool)
        .await
        .unwrap();
    let answers: [(&str, i64, &str); 8] = [
        ("csat", 5, "2026-03-05T04:00:00Z"),
        ("csat", 4, "2026-03-05T04:00:00Z"),
        ("csat", 2, "2026-03-31T15:00:00Z"),
        ("nps", 10, "2026-03-05T04:00:00Z"),
        ("nps", 9, "2026-03-05T04:00:00Z"),
        ("nps", 7, "2026-03-05T04:00:00Z"),
        ("nps", 3, "2026-03-05T04:00:00Z"),
        // 31 March 16:00 UTC is 1 April in Shanghai: outside March.
        ("csat", 1, "2026-03-31T16:00:00Z"),
    ];
    for (n, (kind, score, at)) in answers.iter().enumerate() {
        let at_ms = at.parse::<jiff::Timestamp>().unwrap().as_millisecond();
        let n = i64::try_from(n).unwrap();
        let inv: i64 = sqlx::query_scalar(
            "INSERT INTO survey_invitations (survey_id, customer_id, store_id, occasion, token_hash, \
             sent_at, expires_at, answered_at) VALUES (1, $1, $2, $3, $4, $5, $5, $5) RETURNING id",
        )
        .bind(member_a)
        .bind(s1)
        .bind(format!("test:{n}"))
        .bind(format!("hash{n}"))
        .bind(at_ms)
        .fetch_one(&pool)
        .await
        .unwrap();
        sqlx::query(
            "INSERT INTO survey_answers (invitation_id, survey_id, customer_id, store_id, question_no, \
             kind, score, answered_at) VALUES ($1, 1, $2, $3, 1, $4, $5, $6)",
        )
        .bind(inv)
        .bind(member_a)
        .bind(s1)
        .bind(*kind)
        .bind(*score)
        .bind(at_ms)
        .execute(&pool)
        .await
        .unwrap();
    }
    let token = token_for(&s.app, "owner").await;
    Some(Fixture { s, token, s2 })
}

/// Every row of every roll-up table as `table|store|…`, in order.
async fn rollup_rows(f: &Fixture) -> Vec<String> {
    let mut out = Vec::new();
    for (table, key) in [
        ("report_days", "day, member"),
        ("report_hours", "day, hour"),
        ("report_staff_days", "day, staff_id"),
        ("report_category_days", "day, category"),
        ("report_product_days", "day, sku, category"),
        ("report_product_months", "month, sku, category"),
    ] {
        let sql = format!(
            "SELECT CAST(store_id AS TEXT) || '|' || CAST({} AS TEXT) || '|' || \
             CAST(receipts AS TEXT) || '|' || CAST(items AS TEXT) || '|' || \
             CAST(net_fen AS TEXT) || '|' || CAST(refund_fen AS TEXT) FROM {table} \
             ORDER BY store_id, {key}",
            key.replace(", ", " AS TEXT) || '|' || CAST(")
        );
        let rows: Vec<(String,)> = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .fetch_all(f.s.app.db().pool())
            .await
            .unwrap();
        out.extend(rows.into_iter().map(|(r,)| format!("{table}|{r}")));
    }
    out
}

pub(crate) async fn get(f: &Fixture, path: &str) -> Value {
    let (st, body, _) = api(&f.s.base, "GET", path, Some(&f.token), None).await;
    assert_eq!(st, 200, "{path}: {body}");
    body
}

pub(crate) fn close(v: &Value, want: f64) -> bool {
    v.as_f64().is_some_and(|x| (x - want).abs() < 1e-9)
}

async fn summary_follows_the_definitions(kind: Kind) {
    let Some(f) = fixture(kind).await else {
        return;
    };
    let s = get(&f, "/api/v1/reports/summary?from=2026-03-01&to=2026-03-31").await;
    // Sales R1 ¥250, R2 ¥90, R3 ¥150, R5 ¥100 = ¥590, less the ¥100 refund = ¥490.
    assert_eq!(s["net_sales_fen"], 49_000, "{s}");
    assert_eq!(s["receipts"], 4);
    assert_eq!(s["average_order_fen"], 12_250);
    // 3 + 1 + 3 + 2 items over 4 receipts.
    assert!(close(&s["items_per_receipt"], 2.25), "{s}");
    // Member sales R1, R3, R5 less R1's refund: ¥400 of ¥490.
    assert!(close(&s["member_sales_share"], 40_000.0 / 49_000.0), "{s}");
    // A (2 and 16 March) and B (1 March).
    assert_eq!(s["active_customers"], 2);
    assert!(close(&s["repeat_rate"], 0.5));
    assert!(close(&s["purchase_frequency"], 1.5));
    // Previous period: A and C; A came back.
    assert!(close(&s["retention_rate"], 0.5));
    assert!(close(&s["churn_rate"], 0.5));
    // B's first sale ever is 1 March; A's was in 2025, C's in February.
    assert_eq!(s["first_time_buyers"], 1);
    // D's file was made on 10 March.
    assert_eq!(s["new_customers"], 1);
    // CSAT 5, 4, 2: two of three; NPS 10, 9, 7, 3: (2 − 1) / 4.
    assert!(close(&s["csat"], 2.0 / 3.0), "{s}");
    assert!(close(&s["nps"], 25.0), "{s}");
    assert_eq!(
        (s["csat_answers"].clone(), s["nps_answers"].clone()),
        (json!(3), json!(4))
    );
    // 环比: 29 Jan to 28 Feb: P1 and P2, ¥200, A and C active, both first... C only is first.
    let p = &s["previous"];
    assert_eq!(
        (p["from"].as_str(), p["to"].as_str()),
        (Some("2026-01-29"), Some("2026-02-28"))
    );
    assert_eq!(
        (p["net_sales_fen"].clone(), p["receipts"].clone()),
        (json!(20_000), json!(2))
    );
    assert_eq!(
        (
            p["active_customers"].clone(),
            p["first_time_buyers"].clone()
        ),
        (json!(2), json!(1))
    );
    assert!(p["csat"].is_null(), "no answers then: null, not 0");
    // 同比: March 2025: Y1, A's first sale; nobody was active in the month before it.
    let y = &s["year_ago"];
    assert_eq!(
        (y["net_sales_fen"].clone(), y["first_time_buyers"].clone()),
        (json!(10_000), json!(1))
    );
    assert!(y["retention_rate"].is_null());
    assert!(y["churn_rate"].is_null());

    // One store: S2 had only R5 in March; B is new there.
    let s2 = get(
        &f,
        "/api/v1/reports/summary?from=2026-03-01&to=2026-03-31&store=S2",
    )
    .await;
    assert_eq!(
        (s2["store"].as_str(), s2["net_sales_fen"].clone()),
        (Some("S2"), json!(10_000))
    );
    assert!(close(&s2["member_sales_share"], 1.0));
    assert_eq!(s2["active_customers"], 1);
    assert!(s2["retention_rate"].is_null(), "nobody bought at S2 before");

    // Bad input names its field.
    let (st, e, _) = api(
        &f.s.base,
        "GET",
        "/api/v1/reports/summary?from=2026-03-31&to=2026-03-01",
        Some(&f.token),
        None,
    )
    .await;
    assert_eq!((st, e["field"].as_str()), (422, Some("to")), "{e}");
    let (st, e, _) = api(
        &f.s.base,
        "GET",
        "/api/v1/reports/summary?from=2026-03-01&to=2026-03-31&store=NOPE",
        Some(&f.token),
        None,
    )
    .await;
    assert_eq!((st, e["field"].as_str()), (422, Some("store")), "{e}");
}
both!(summary_follows_the_definitions);

fn row<'a>(r: &'a Value, key: &str) -> &'a Value {
    r["rows"]
        .as_array()
        .unwrap()
        .iter()
        .find(|x| x["key"] == key)
        .unwrap_or_else(|| panic!("no row {key} in {r}"))
}

async fn sales_by_every_grouping(kind: Kind) {
    let Some(f) = fixture(kind).await else {
        return;
    };
    let q = |g: &str| format!("/api/v1/reports/sales?from=2026-03-01&to=2026-03-31&group_by={g}");
    let days = get(&f, &q("day")).await;
    assert_eq!(
        days["rows"].as_array().unwrap().len(),
        31,
        "every day, sales or not"
    );
    assert_eq!(row(&days, "2026-03-01")["net_sales_fen"], 10_000);
    let d2 = row(&days, "2026-03-02");
    assert_eq!(
        (d2["receipts"].clone(), d2["net_fen"].clone()),
        (json!(2), json!(34_000))
    );
    assert_eq!(row(&days, "2026-03-16")["net_fen"], 15_000);
    let d20 = row(&days, "2026-03-20");
    assert_eq!(
        (
            d20["refund_fen"].clone(),
            d20["net_sales_fen"].clone(),
            d20["receipts"].clone()
        ),
        (json!(10_000), json!(-10_000), json!(0))
    );
    assert_eq!(days["total"]["net_sales_fen"], 49_000);

    let stores = get(&f, &q("store")).await;
    assert_eq!(row(&stores, "S1")["net_sales_fen"], 39_000);
    assert_eq!(row(&stores, "S1")["receipts"], 3);
    assert_eq!(row(&stores, "S2")["net_sales_fen"], 10_000);
    assert_eq!(stores["rows"][0]["key"], "S1", "best first");

    let cats = get(&f, &q("category")).await;
    // Tile: R1 ¥200 + R2 ¥90, less the ¥100 refunded; paint: R1 ¥50 + R3 ¥150 + R5 ¥100.
    let tile = row(&cats, "tile");
    assert_eq!(
        (
            tile["receipts"].clone(),
            tile["items"].clone(),
            tile["net_sales_fen"].clone()
        ),
        (json!(2), json!(3), json!(19_000))
    );
    let paint = row(&cats, "paint");
    assert_eq!(
        (
            paint["receipts"].clone(),
            paint["items"].clone(),
            paint["net_sales_fen"].clone()
        ),
        (json!(3), json!(6), json!(30_000))
    );

    let products = get(&f, &format!("{}&category=tile", q("product"))).await;
    assert_eq!(products["rows"].as_array().unwrap().len(), 1);
    assert_eq!(row(&products, "TILE")["net_sales_fen"], 19_000);
    let all_products = get(&f, &q("product")).await;
    // PAINT ¥300 of ¥490 (61 %) is A; TILE starts at 61 %, under 80 %: A too.
    assert_eq!(row(&all_products, "PAINT")["abc"], "A");
    // A period across months: 15 Feb to 2 March reads February whole? No: days only.
    let span = get(
        &f,
        "/api/v1/reports/sales?from=2026-02-01&to=2026-03-02&group_by=product",
    )
    .await;
    // February (whole month) P1, P2 tiles ¥200; 1–2 March: R1, R2 tiles ¥290, R1 and R5 paint ¥150.
    assert_eq!(row(&span, "TILE")["net_fen"], 49_000);
    assert_eq!(row(&span, "PAINT")["net_fen"], 15_000);

    let hours = get(&f, &q("hour")).await;
    assert_eq!(row(&hours, "10")["net_fen"], 25_000);
    assert_eq!(row(&hours, "23")["net_fen"], 9_000);
    assert_eq!(
        row(&hours, "0")["net_fen"],
        25_000,
        "R3 and R5 at midnight local"
    );
    assert_eq!(row(&hours, "12")["refund_fen"], 10_000);

    let weekdays = get(&f, &q("weekday")).await;
    // 1 March 2026 is a Sunday; 2 and 16 March Mondays; 20 March a Friday.
    assert_eq!(row(&weekdays, "7")["net_sales_fen"], 10_000);
    assert_eq!(row(&weekdays, "1")["net_sales_fen"], 49_000);
    assert_eq!(row(&weekdays, "5")["net_sales_fen"], -10_000);
    assert_eq!(weekdays["rows"].as_array().unwrap().len(), 7);

    let members = get(&f, &q("member")).await;
    assert_eq!(row(&members, "member")["net_sales_fen"], 40_000);
    assert_eq!(row(&members, "walk_in")["net_sales_fen"], 9_000);

    let weeks = get(&f, &q("week")).await;
    // The week of Monday 23 Feb holds 1 March (a Sunday).
    assert_eq!(row(&weeks, "2026-02-23")["net_fen"], 10_000);
    let months = get(
        &f,
        "/api/v1/reports/sales?from=2026-01-01&to=2026-04-30&group_by=month",
    )
    .await;
    assert_eq!(row(&months, "2026-02")["net_fen"], 20_000);
    assert_eq!(row(&months, "2026-04")["net_fen"], 10_000);

    let staff_rows = get(&f, &q("staff")).await;
    assert_eq!(
        row(&staff_rows, "")["net_sales_fen"],
        49_000,
        "no staff on till sales"
    );

    let (st, e, _) = api(
        &f.s.base,
        "GET",
        &format!("{}&category=tile", q("hour")),
        Some(&f.token),
        None,
    )
    .await;
    assert_eq!((st, e["field"].as_str()), (422, Some("group_by")), "{e}");
    let (st, e, _) = api(&f.s.base, "GET", &q("colour"), Some(&f.token), None).await;
    assert_eq!((st, e["field"].as_str()), (422, Some("group_by")), "{e}");

    // Exports: the same table as CSV (fen) and xlsx.
    let res = reqwest::Client::new()
        .get(format!("{}{}&format=csv", f.s.base, q("store")))
        .header("authorization", format!("Bearer {}", f.token))
        .header("accept-language", "en")
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let csv = res.text().await.unwrap();
    assert!(csv.contains("Net sales"), "{csv}");
    assert!(
        csv.lines()
            .any(|l| l.contains("(S1)") && l.contains(",39000,")),
        "{csv}"
    );
    let res = reqwest::Client::new()
        .get(format!("{}{}&format=xlsx", f.s.base, q("day")))
        .header("authorization", format!("Bearer {}", f.token))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    assert!(
        res.bytes().await.unwrap().starts_with(b"PK"),
        "an xlsx (zip) file"
    );

    // The roll-ups rebuilt from the raw rows answer the same.
    let before: Vec<Value> = {
        let mut v = Vec::new();
        for g in [
            "day", "store", "category", "product", "hour", "member", "staff",
        ] {
            v.push(get(&f, &q(g)).await);
        }
        v
    };
    let tables_before = rollup_rows(&f).await;
    assert!(
        tables_before
            .iter()
            .any(|r| r.starts_with("report_product_days|0|")),
        "the chain's own rows (store 0) are kept: {tables_before:?}"
    );
    f.s.app.rebuild_reports().await.unwrap();
    // Every roll-up row, the stores' and the chain's, comes back the same from the raw rows.
    assert_eq!(rollup_rows(&f).await, tables_before);
    for (g, was) in [
        "day", "store", "category", "product", "hour", "member", "staff",
    ]
    .iter()
    .zip(&before)
    {
        assert_eq!(&get(&f, &q(g)).await, was, "{g} after a rebuild");
    }
}
both!(sales_by_every_grouping);

async fn cohorts_lifecycle_and_scope(kind: Kind) {
    let Some(f) = fixture(kind).await else {
        return;
    };
    let c = get(
        &f,
        "/api/v1/reports/cohorts?from_month=2025-03&to_month=2026-04",
    )
    .await;
    let cohorts = c["cohorts"].as_array().unwrap();
    assert_eq!(cohorts.len(), 14);
    // A: first March 2025, again February (k = 11) and March 2026 (k = 12).
    assert_eq!(cohorts[0]["month"], "2025-03");
    assert_eq!(cohorts[0]["size"], 1);
    let a = cohorts[0]["active"].as_array().unwrap();
    assert_eq!(a.len(), 14);
    assert_eq!(
        (
            a[0].clone(),
            a[1].clone(),
            a[11].clone(),
            a[12].clone(),
            a[13].clone()
        ),
        (json!(1), json!(0), json!(1), json!(1), json!(0))
    );
    assert!(close(&cohorts[0]["retention"][12], 1.0));
    // C: February 2026 only; B: March (R5) and April (R4).
    let feb = cohorts.iter().find(|x| x["month"] == "2026-02").unwrap();
    assert_eq!(
        (feb["size"].clone(), feb["active"].clone()),
        (json!(1), json!([1, 0, 0]))
    );
    let mar = cohorts.iter().find(|x| x["month"] == "2026-03").unwrap();
    assert_eq!(
        (mar["size"].clone(), mar["active"].clone()),
        (json!(1), json!([1, 1]))
    );
    let empty = cohorts.iter().find(|x| x["month"] == "2025-06").unwrap();
    assert!(empty["retention"][0].is_null());

    let l = get(
        &f,
        "/api/v1/reports/lifecycle?from_month=2025-03&to_month=2026-04",
    )
    .await;
    let at = |m: &str| {
        l["months"]
            .as_array()
            .unwrap()
            .iter()
            .find(|x| x["month"] == m)
            .unwrap()
            .clone()
    };
    assert_eq!(at("2025-03")["new"], 1);
    assert_eq!(at("2025-04")["lapsing"], 1);
    // A's gap: March 2025 to February 2026: lost in October 2025, won back in February.
    assert_eq!(at("2025-10")["lost"], 1);
    assert_eq!(at("2026-02")["won_back"], 1);
    assert_eq!(at("2026-02")["new"], 1, "C");
    assert_eq!(at("2026-03")["active"], 1, "A, February and March");
    assert_eq!(at("2026-03")["new"], 1, "B");
    assert_eq!(at("2026-04")["active"], 1, "B, March and April");
    assert_eq!(at("2026-04")["lapsing"], 1, "A");

    let (st, e, _) = api(
        &f.s.base,
        "GET",
        "/api/v1/reports/cohorts?from_month=2026-13&to_month=x",
        Some(&f.token),
        None,
    )
    .await;
    assert_eq!(st, 422, "{e}");

    // A store manager sees their store only.
    let s2 = f.s2;
    staff(&f.s.app, "mgr2", "store_manager", Some(s2)).await;
    let mgr = token_for(&f.s.app, "mgr2").await;
    let (st, own, _) = api(
        &f.s.base,
        "GET",
        "/api/v1/reports/summary?from=2026-03-01&to=2026-03-31",
        Some(&mgr),
        None,
    )
    .await;
    assert_eq!(
        (st, own["store"].as_str(), own["net_sales_fen"].clone()),
        (200, Some("S2"), json!(10_000))
    );
    let (st, _, _) = api(
        &f.s.base,
        "GET",
        "/api/v1/reports/sales?from=2026-03-01&to=2026-03-31&store=S1",
        Some(&mgr),
        None,
    )
    .await;
    assert_eq!(st, 403);
    // A sales associate may not read reports at all.
    staff(&f.s.app, "assoc2", "sales_associate", Some(s2)).await;
    let assoc = token_for(&f.s.app, "assoc2").await;
    let (st, _, _) = api(
        &f.s.base,
        "GET",
        "/api/v1/reports/summary?from=2026-03-01&to=2026-03-31",
        Some(&assoc),
        None,
    )
    .await;
    assert_eq!(st, 403);
}
both!(cohorts_lifecycle_and_scope);
