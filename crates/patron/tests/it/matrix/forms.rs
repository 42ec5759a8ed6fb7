//! What the role × route walk sends: a valid form or JSON body per route, built on the
//! objects of `matrix::fixture`, and the request that carries it.

use crate::harness::{Client, PASSWORD, Server, api, unique};
use crate::matrix::fixture::{Fixture, unique_mobile};
use patron_domain::Role;

/// What a route answered: status, body text and redirect target.
pub(crate) struct Answer {
    pub(crate) status: u16,
    pub(crate) body: String,
    pub(crate) location: String,
}

/// Sends `method path` as the walk does: the API with the bearer `token`, the console through
/// the signed-in `c`, with the body or upload the route takes (`store` fills store fields).
pub(crate) async fn send(
    s: &Server,
    c: &Client,
    token: &str,
    method: &str,
    path: &str,
    store: i64,
    f: &Fixture,
) -> Answer {
    let answer = |r: crate::harness::Resp| Answer {
        status: r.status,
        body: r.body,
        location: r.location,
    };
    let upload = |name: &str, bytes: &[u8]| {
        reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(bytes.to_vec()).file_name(name.to_string()),
        )
    };
    if path.starts_with("/api/") && path.ends_with("/attachments") && method == "POST" {
        let res = reqwest::Client::new()
            .post(format!("{}{path}", s.base))
            .header("authorization", format!("Bearer {token}"))
            .multipart(upload("m.pdf", b"%PDF-1.4 matrix"))
            .send()
            .await
            .expect("upload");
        return Answer {
            status: res.status().as_u16(),
            body: res.text().await.unwrap_or_default(),
            location: String::new(),
        };
    }
    if path.starts_with("/api/") {
        let body = api_body(method, path, f);
        let (status, json, _) = api(&s.base, method, path, Some(token), body).await;
        return Answer {
            status,
            body: json.to_string(),
            location: String::new(),
        };
    }
    c.get("/console").await;
    let with_csrf = format!("{path}?_csrf={}", c.csrf());
    if method == "GET" {
        let page = c.get(path).await;
        assert!(
            !page.body.contains("[missing message]"),
            "{path}: a message is missing from the catalog"
        );
        answer(page)
    } else if path == "/console/customers/import" {
        answer(
            c.multipart(&with_csrf, upload("m.csv", "姓名\n矩阵\n".as_bytes()))
                .await,
        )
    } else if path.ends_with("/attachments") {
        answer(
            c.multipart(&with_csrf, upload("m.pdf", b"%PDF-1.4 matrix"))
                .await,
        )
    } else if path.starts_with("/console/visits/") && path.ends_with("/complete") {
        let form = reqwest::multipart::Form::new().text("proof_note", "已完成");
        answer(c.multipart(&with_csrf, form).await)
    } else {
        let form = form_for(path, store, f);
        let pairs: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        answer(c.post(path, &pairs).await)
    }
}

pub(crate) fn api_body(method: &str, path: &str, f: &Fixture) -> Option<serde_json::Value> {
    use serde_json::json;
    match (method, path) {
        ("POST", "/api/v1/customers") => {
            Some(json!({"name": "矩阵客户", "mobile": unique_mobile(), "store_id": f.store}))
        }
        ("POST", "/api/v1/customers/merge") => {
            Some(json!({"survivor_id": f.customer, "merged_id": f.other_customer}))
        }
        ("POST", p) if p.ends_with("/interactions") => {
            Some(json!({"kind": "note", "note": "矩阵"}))
        }
        ("POST", p) if p.ends_with("/consents") => Some(json!({"grant": ["service"]})),
        ("PATCH", _) => Some(json!({"notes": "矩阵"})),
        ("PUT", p) if p.ends_with("/wechat") => Some(json!({"openid": "oMatrixOpenid_1"})),
        ("POST", "/api/v1/tickets") => Some(json!({
            "customer_id": f.customer, "ticket_type": "inquiry", "category": "other",
            "severity": "low", "subject": "矩阵", "description": "矩阵"
        })),
        ("POST", p) if p.ends_with("/actions") => Some(json!({"action": "start"})),
        ("POST", "/api/v1/coupon-templates") => {
            Some(json!({"name": "矩阵券", "amount_fen": 1000, "valid_days": 7}))
        }
        ("POST", "/api/v1/points/adjustments") => {
            Some(json!({"customer_ids": [f.customer], "points": 10, "reason": "矩阵"}))
        }
        ("POST", "/api/v1/orders") => Some(json!({
            "customer_id": f.customer,
            "lines": [{"sku": "M1", "name": "矩阵商品", "quantity": 2, "unit_price_fen": 1000}]
        })),
        ("POST", p) if p.ends_with("/stage") => Some(json!({"to": "preparing"})),
        ("POST", p) if p.starts_with("/api/v1/orders/") && p.ends_with("/visits") => Some(json!({
            "kind": "measure", "date": "2026-11-25", "from": "09:00", "to": "10:00",
            "assignee_id": f.target
        })),
        ("POST", p) if p.ends_with("/reschedule") => Some(json!({
            "date": "2026-11-26", "from": "09:00", "to": "10:00", "assignee_id": f.target,
            "reason": "客户改期"
        })),
        ("POST", p) if p.starts_with("/api/v1/visits/") && p.ends_with("/cancel") => {
            Some(json!({"reason": "客户取消"}))
        }
        ("POST", p) if p.starts_with("/api/v1/visits/") && p.ends_with("/complete") => {
            Some(json!({"note": "已完成"}))
        }
        ("POST", "/api/v1/warranties") => Some(json!({
            "customer_id": f.customer, "sku": "M1", "product": "矩阵商品", "months": 12
        })),
        ("POST", p) if p.ends_with("/claims") => {
            Some(json!({"kind": "repair", "description": "矩阵"}))
        }
        ("POST", "/api/v1/segments") => {
            Some(json!({"name": unique("seg"), "groups": [{"sku": "T1"}]}))
        }
        ("PUT", p) if p.starts_with("/api/v1/segments/") => {
            Some(json!({"name": unique("seg"), "groups": [{"class": "key"}, {"sku": "T1"}]}))
        }
        ("POST", p) if p.starts_with("/api/v1/tickets/") && p.ends_with("/resolve") => {
            Some(json!({"root_cause": "late_delivery", "corrective_action": "矩阵"}))
        }
        ("POST", p)
            if p.starts_with("/api/v1/tickets/")
                && (p.ends_with("/reject") || p.ends_with("/withdraw")) =>
        {
            Some(json!({"reason": "矩阵"}))
        }
        ("POST", p) if p.ends_with("/approve") || p.ends_with("/reject") => None,
        ("POST", p) if p.ends_with("/membership/end") => Some(json!({"reason": "矩阵"})),
        ("POST", p) if p.ends_with("/ranking") => Some(json!({"opt_out": true})),
        // The fixture's first store is S01.
        ("PUT", "/api/v1/reports/targets") => Some(json!({
            "store": "S01", "month": "2026-11", "target_fen": 10_000_000
        })),
        ("POST", p) if p.ends_with("/issue") => {
            Some(json!({"customer_ids": [f.customer], "reason": "矩阵"}))
        }
        ("POST", _) => Some(json!({"code": unique("A").to_uppercase(), "name": "接口门店"})),
        _ => None,
    }
}

pub(crate) fn form_for(path: &str, store: i64, fx: &Fixture) -> Vec<(String, String)> {
    let f = |pairs: &[(&str, String)]| {
        pairs
            .iter()
            .map(|(k, v)| (k.to_string(), v.clone()))
            .collect()
    };
    let s = store.to_string();
    match path {
        "/console/account/password" => f(&[
            ("current_password", "wrong".into()),
            ("password", "another long password".into()),
        ]),
        "/console/account/totp/confirm" | "/console/account/totp/disable" => {
            f(&[("code", "000000".into())])
        }
        "/console/account/tokens" => f(&[("name", "报表".into())]),
        "/console/reports/targets" => f(&[
            ("store", "S01".into()),
            ("month", "2026-11".into()),
            ("target", "100000".into()),
        ]),
        "/console/segments" => f(&[("name", unique("seg")), ("g1_sku", "T1".into())]),
        p if p.starts_with("/console/segments/") && !p.ends_with("/delete") => {
            f(&[("name", unique("seg")), ("g1_sku", "T1".into())])
        }
        p if p.starts_with("/console/followups/") => f(&[
            ("channel", "call".into()),
            ("outcome", "reached".into()),
            ("note", "矩阵".into()),
        ]),
        "/console/service/tickets" => f(&[
            ("customer_id", fx.customer.to_string()),
            ("channel", "phone".into()),
            ("ticket_type", "complaint".into()),
            ("category", "logistics".into()),
            ("severity", "normal".into()),
            ("subject", "矩阵投诉".into()),
            ("description", "矩阵".into()),
        ]),
        p if p.starts_with("/console/service/tickets/")
            && (p.ends_with("/reject") || p.ends_with("/withdraw")) =>
        {
            f(&[("reason", "矩阵".into())])
        }
        p if p.starts_with("/console/service/tickets/") && p.ends_with("/act") => {
            f(&[("action", "note".into()), ("note", "矩阵".into())])
        }
        "/console/orders" => f(&[
            ("customer_id", fx.customer.to_string()),
            ("lines", "M1 | 矩阵商品 | 2 | 10.00".into()),
            ("notify", "1".into()),
        ]),
        p if p.starts_with("/console/orders/") && p.ends_with("/move") => {
            f(&[("to", "preparing".into()), ("notify", "1".into())])
        }
        p if p.starts_with("/console/orders/") && p.ends_with("/note") => {
            f(&[("note", "矩阵".into())])
        }
        p if p.starts_with("/console/orders/") && p.ends_with("/visits") => f(&[
            ("kind", "measure".into()),
            ("date", "2026-11-25".into()),
            ("from", "09:00".into()),
            ("to", "10:00".into()),
            ("assignee_id", fx.target.to_string()),
        ]),
        p if p.starts_with("/console/visits/") && p.ends_with("/reschedule") => f(&[
            ("date", "2026-11-26".into()),
            ("from", "09:00".into()),
            ("to", "10:00".into()),
            ("assignee_id", fx.target.to_string()),
            ("reason", "客户改期".into()),
        ]),
        p if p.starts_with("/console/visits/") => f(&[("reason", "客户取消".into())]),
        "/console/warranties" => f(&[
            ("customer_id", fx.customer.to_string()),
            ("sku", "M1".into()),
            ("product", "矩阵商品".into()),
            ("months", "12".into()),
        ]),
        p if p.starts_with("/console/warranties/") => {
            f(&[("kind", "repair".into()), ("description", "矩阵".into())])
        }
        "/console/surveys" => f(&[
            ("name", unique("问卷")),
            ("questions", "nps: 推荐吗".into()),
            ("trigger", "manual".into()),
            ("active", "1".into()),
        ]),
        p if p.starts_with("/console/surveys/") && p.ends_with("/send") => f(&[
            ("segment_id", fx.segment.to_string()),
            ("batch", unique("b")),
        ]),
        p if p.starts_with("/console/surveys/") => f(&[
            ("name", "售后满意度回访".into()),
            ("questions", "csat: 满意吗".into()),
            ("trigger", "after_resolution".into()),
            ("active", "1".into()),
        ]),
        "/console/stores" => f(&[
            ("code", unique("M").to_uppercase()),
            ("name", "矩阵门店".into()),
            ("timezone", "Asia/Shanghai".into()),
        ]),
        "/console/staff" => f(&[
            ("username", unique("m.")),
            ("display_name", "矩阵员工".into()),
            ("email", "m@shop.example.cn".into()),
            ("role", "sales_associate".into()),
            ("store_id", s),
            ("mode", "password".into()),
            ("password", PASSWORD.into()),
        ]),
        "/console/keys" => f(&[("store_id", s), ("name", "收银台".into())]),
        "/console/custom-fields" => f(&[
            ("field_key", format!("k{}", unique("").to_lowercase())),
            ("label", "装修风格".into()),
            ("kind", "choice".into()),
            ("choices", "现代|中式".into()),
        ]),
        "/console/customers/views" => f(&[("name", unique("视图")), ("query", "q=zs".into())]),
        "/console/customers" => f(&[
            ("name", "矩阵客户".into()),
            ("mobile", unique_mobile()),
            ("store_id", s),
        ]),
        "/console/customers/merge" => f(&[
            ("survivor_id", fx.customer.to_string()),
            ("merged_id", fx.other_customer.to_string()),
        ]),
        "/console/customers/handover" => f(&[
            ("from_staff_id", fx.target.to_string()),
            ("to_staff_id", fx.me.to_string()),
            ("reason", "离职".into()),
        ]),
        p if p.ends_with("/reveal") => f(&[("field", "mobile".into()), ("reason", "核对".into())]),
        p if p.ends_with("/consents") => {
            f(&[("purpose", "service".into()), ("granted", "1".into())])
        }
        p if p.ends_with("/interactions") => f(&[("kind", "note".into()), ("note", "矩阵".into())]),
        p if p.ends_with("/points") => f(&[("points", "5".into()), ("reason", "矩阵".into())]),
        p if p.ends_with("/membership/end") => f(&[("reason", "矩阵".into())]),
        p if p.ends_with("/redeem") => f(&[
            ("reward_id", fx.reward.to_string()),
            ("quantity", "1".into()),
        ]),
        "/console/mall/rewards" => f(&[("name", "矩阵礼品".into()), ("points_price", "10".into())]),
        p if p.starts_with("/console/mall/rewards/") => f(&[("more_stock", "1".into())]),
        p if p.starts_with("/console/mall/orders/") => f(&[("to", "ready".into())]),
        "/console/till/sale" => f(&[
            ("key", unique("till")),
            ("receipt_no", unique("R")),
            ("sku_0", "A1".into()),
            ("qty_0", "1".into()),
            ("price_0", "12.50".into()),
        ]),
        "/console/coupons/templates" => f(&[
            ("name", "矩阵券".into()),
            ("kind", "amount".into()),
            ("value", "10".into()),
            ("valid_days", "7".into()),
        ]),
        "/console/coupons/issue" => f(&[
            ("template_id", fx.template.to_string()),
            ("customers", "13800000000".into()),
            ("reason", "矩阵".into()),
        ]),
        p if p.ends_with("/household") => f(&[
            ("archive_no", "S01-999999".into()),
            ("relation", "配偶".into()),
        ]),
        p if p.ends_with("/owner") => {
            f(&[("owner_staff_id", String::new()), ("reason", "调整".into())])
        }
        p if p.starts_with("/console/customers/") && p.matches('/').count() == 3 => {
            f(&[("name", "改名客户".into())])
        }
        "/console/settings" => f(&[
            ("session_cleanup", "every 15m".into()),
            ("backup", "daily 03:00".into()),
            ("keep", "14".into()),
        ]),
        p if p.starts_with("/console/stores/")
            && !p.ends_with("close")
            && !p.ends_with("reopen") =>
        {
            f(&[
                ("name", "改名门店".into()),
                ("timezone", "Asia/Shanghai".into()),
            ])
        }
        p if p.starts_with("/console/staff/") && p.matches('/').count() == 3 => f(&[
            ("display_name", "改名员工".into()),
            ("email", "t@shop.example.cn".into()),
            ("role", "sales_associate".into()),
            ("store_id", s),
        ]),
        p if p.starts_with("/console/roles/") => Role::DataClerk
            .default_capabilities()
            .iter()
            .map(|c| ("cap".to_string(), c.as_str().to_string()))
            .collect(),
        _ => Vec::new(),
    }
}
