//! Monthly sales targets on both backends, on the reports fixture's receipts: targets set
//! through the API (replaced when set again, bad input refused by field, every change
//! audited), held against each store's and the chain's net sales month by month and for the
//! year, counting only the store months that have a target; the cockpit's month so far; the
//! console page and the home card.

use crate::both;
use crate::harness::{Kind, api};
use crate::reports::{close, fixture, get};
use serde_json::{Value, json};

async fn targets_hold_net_sales_against_what_was_set(kind: Kind) {
    let Some(f) = fixture(kind).await else {
        return;
    };
    let put = |body: Value| {
        let (base, token) = (f.s.base.clone(), f.token.clone());
        async move {
            api(
                &base,
                "PUT",
                "/api/v1/reports/targets",
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    for (store, month, fen) in [
        ("S1", "2026-03", 50_000),
        ("S2", "2026-03", 20_000),
        ("S1", "2026-04", 0),
    ] {
        let (st, body, _) = put(json!({"store": store, "month": month, "target_fen": fen})).await;
        assert_eq!(st, 204, "{body}");
    }
    // Set again: replaced, not added.
    let (st, _, _) = put(json!({"store": "S1", "month": "2026-03", "target_fen": 50_000})).await;
    assert_eq!(st, 204);
    // Bad input names the field and changes nothing.
    for (body, field) in [
        (
            json!({"store": "S1", "month": "2026-13", "target_fen": 1}),
            "month",
        ),
        (
            json!({"store": "S1", "month": "2026-05", "target_fen": -1}),
            "target",
        ),
        (
            json!({"store": "NOPE", "month": "2026-05", "target_fen": 1}),
            "store",
        ),
    ] {
        let (st, b, _) = put(body).await;
        assert_eq!(st, 422, "{b}");
        assert!(b.to_string().contains(field), "{field}: {b}");
    }

    // Net sales by store and local month, from the fixture's receipts: S1 February P1 + P2
    // = 20,000; S1 March R1 25,000 + R2 9,000 + R3 15,000 less the 10,000 refund = 39,000;
    // S2 March R5 10,000 (1 March local); S2 April R4 10,000.
    let r = get(&f, "/api/v1/reports/targets?year=2026").await;
    let lines = r["lines"].as_array().expect("lines");
    assert_eq!(lines.len(), 3, "S1, S2 and their total: {r}");
    let month = |line: &Value, m: usize| line["months"][m - 1].clone();
    let (s1, s2, total) = (&lines[0], &lines[1], &lines[2]);
    assert_eq!(
        (s1["store"].as_str(), total["store"].as_str()),
        (Some("S1"), Some(""))
    );
    assert_eq!(month(s1, 3)["target_fen"], 50_000);
    assert_eq!(month(s1, 3)["net_sales_fen"], 39_000);
    assert!(close(&month(s1, 3)["attainment"], 39_000.0 / 50_000.0));
    assert_eq!(month(s1, 2)["target_fen"], Value::Null, "none set");
    assert_eq!(month(s1, 2)["net_sales_fen"], 20_000);
    assert_eq!(month(s1, 2)["attainment"], Value::Null);
    assert_eq!(month(s1, 4)["target_fen"], 0);
    assert_eq!(
        month(s1, 4)["attainment"],
        Value::Null,
        "a target of 0 has no share"
    );
    // The year: targets set in March (50,000) and April (0), held against those months'
    // net sales (39,000 + 0), not February's.
    assert_eq!(s1["year"]["target_fen"], 50_000);
    assert_eq!(s1["year"]["net_sales_fen"], 59_000);
    assert_eq!(s1["year"]["targeted_sales_fen"], 39_000);
    assert!(close(&s1["year"]["attainment"], 39_000.0 / 50_000.0));
    assert_eq!(month(s2, 3)["net_sales_fen"], 10_000);
    assert_eq!(month(s2, 4)["net_sales_fen"], 10_000);
    assert!(close(&month(s2, 3)["attainment"], 0.5));
    assert_eq!(month(total, 3)["target_fen"], 70_000);
    assert_eq!(month(total, 3)["net_sales_fen"], 49_000);
    assert!(close(&month(total, 3)["attainment"], 49_000.0 / 70_000.0));
    // April: S1's target of 0 and S2 without one: no share; S2's April sales are not held
    // against anything.
    assert_eq!(month(total, 4)["target_fen"], 0);
    assert_eq!(month(total, 4)["net_sales_fen"], 10_000);
    assert_eq!(month(total, 4)["targeted_sales_fen"], 0);
    assert_eq!(month(total, 4)["attainment"], Value::Null);
    assert_eq!(total["year"]["net_sales_fen"], 79_000);
    assert_eq!(total["year"]["targeted_sales_fen"], 49_000);
    assert!(close(&total["year"]["attainment"], 49_000.0 / 70_000.0));
    // One store by code.
    let one = get(&f, "/api/v1/reports/targets?year=2026&store=S2").await;
    assert_eq!(one["lines"].as_array().map(Vec::len), Some(1), "{one}");
    let sets = crate::harness::audit(&f.s.app, "report.target.set", "").await;
    assert_eq!(
        sets.len(),
        4,
        "every target set is audited, refusals are not writes"
    );

    // The cockpit, on 25 March: the chain's March so far against the sum of the targets.
    f.s.clock.set("2026-03-25T04:00:00Z".parse().unwrap());
    let owner =
        f.s.app
            .db()
            .staff_by_username("owner")
            .await
            .unwrap()
            .unwrap()
            .id;
    let c =
        f.s.app
            .cockpit(&crate::transfer::principal(&f.s.app, owner).await)
            .await
            .unwrap();
    let t = c.target.expect("targets are set for March");
    assert_eq!((t.target_fen, t.net_sales_fen), (70_000, 49_000));
    assert!(t.attainment.is_some_and(|a| (a - 0.7).abs() < 1e-9));
    assert!((t.elapsed - 25.0 / 31.0).abs() < 1e-9);

    // The console page: the table, the chart and, for the owner, the form.
    let web = crate::harness::Client::new(&f.s.base);
    web.login("owner", crate::harness::PASSWORD).await;
    let page = web.get("/console/reports/targets?year=2026").await;
    assert_eq!(page.status, 200);
    for part in ["targets-table", "target-form", "<svg", "78.0"] {
        assert!(page.body.contains(part), "{part}: {}", page.body);
    }
    let home = web.get("/console").await;
    assert!(home.body.contains("cockpit-target"), "{}", home.body);
    assert!(home.body.contains("70.0 %"), "{}", home.body);
}
both!(targets_hold_net_sales_against_what_was_set);
