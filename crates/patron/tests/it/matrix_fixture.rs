//! What the role × route walk sends: the objects each route needs (a store, a customer with
//! a card, another whose membership ended, a coupon template, a pending adjustment, …), the
//! path with its ids filled in, and a valid form or JSON body per route.

use crate::harness::{PASSWORD, staff, unique};
use patron_domain::Role;
use patron_store::Scope;

pub(crate) struct Fixture {
    store: i64,
    other_store: i64,
    target: i64,
    key: i64,
    own_token: i64,
    staff_token: i64,
    customer: i64,
    other_customer: i64,
    view: i64,
    me: i64,
    upload: String,
    field: i64,
    template: i64,
    adjustment: i64,
    reward: i64,
    order: i64,
    playbook: i64,
    segment: i64,
    ticket: i64,
}

/// A mobile number no other test customer has.
pub(crate) fn unique_mobile() -> String {
    // A counter from a random start: the walk creates over a thousand customers, enough for
    // random numbers to collide now and then.
    static NEXT: std::sync::OnceLock<std::sync::atomic::AtomicU64> = std::sync::OnceLock::new();
    let next = NEXT.get_or_init(|| {
        let b = patron_app::credentials::random_bytes(8);
        std::sync::atomic::AtomicU64::new(
            u64::from_le_bytes(b.try_into().expect("8 bytes")) % 50_000_000,
        )
    });
    let n = next.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 100_000_000;
    format!("139{n:08}")
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
        ("POST", p) if p.ends_with("/approve") || p.ends_with("/reject") => None,
        ("POST", p) if p.ends_with("/membership/end") => Some(json!({"reason": "矩阵"})),
        ("POST", p) if p.ends_with("/ranking") => Some(json!({"opt_out": true})),
        ("POST", p) if p.ends_with("/issue") => {
            Some(json!({"customer_ids": [f.customer], "reason": "矩阵"}))
        }
        ("POST", _) => Some(json!({"code": unique("A").to_uppercase(), "name": "接口门店"})),
        _ => None,
    }
}

pub(crate) fn path_for(template: &str, f: &Fixture) -> String {
    let id = if template.ends_with("/close") || template.ends_with("/reopen") {
        f.other_store
    } else if template.starts_with("/console/custom-fields/") {
        f.field
    } else if template.starts_with("/console/customers/views/") {
        f.view
    } else if template.ends_with("/membership/rejoin") {
        f.other_customer
    } else if template.starts_with("/console/customers/")
        || template.starts_with("/api/v1/customers/")
    {
        f.customer
    } else if template.starts_with("/api/v1/points/adjustments/")
        || template.starts_with("/console/points/adjustments/")
    {
        f.adjustment
    } else if template.starts_with("/console/care/churn/playbooks/") {
        f.playbook
    } else if template.starts_with("/console/segments/") {
        f.segment
    } else if template.starts_with("/console/service/tickets/")
        || template.starts_with("/api/v1/tickets/")
    {
        f.ticket
    } else if template.starts_with("/console/mall/rewards/") {
        f.reward
    } else if template.starts_with("/console/mall/orders/") {
        f.order
    } else if template.starts_with("/api/v1/coupon-templates/") {
        f.template
    } else if template.starts_with("/console/stores/") {
        f.store
    } else if template.starts_with("/console/staff/") {
        f.target
    } else if template.starts_with("/console/keys/") {
        f.key
    } else if template.starts_with("/console/account/tokens/") {
        f.own_token
    } else {
        f.staff_token
    };
    template
        .replace("{id}", &id.to_string())
        .replace("{role}", "data_clerk")
        .replace("{job}", "session_cleanup")
        .replace("{code}", "en")
        .replace("{token}", &f.upload)
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
        "/console/segments" => f(&[("name", unique("seg")), ("g1_sku", "T1".into())]),
        "/console/service/tickets" => f(&[
            ("customer_id", fx.customer.to_string()),
            ("channel", "phone".into()),
            ("ticket_type", "complaint".into()),
            ("category", "logistics".into()),
            ("severity", "normal".into()),
            ("subject", "矩阵投诉".into()),
            ("description", "矩阵".into()),
        ]),
        p if p.starts_with("/console/service/tickets/") && p.ends_with("/act") => {
            f(&[("action", "note".into()), ("note", "矩阵".into())])
        }
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

pub(crate) async fn fixture(
    s: &crate::harness::Server,
    store_id: i64,
    other_store: i64,
    me: i64,
) -> Fixture {
    let target = staff(
        &s.app,
        &unique("target."),
        "sales_associate",
        Some(store_id),
    )
    .await;
    s.app
        .create_api_key(None, store_id, "矩阵", None)
        .await
        .expect("key");
    let key = s.app.db.list_api_keys(Scope::Chain).await.expect("keys")[0].id;
    s.app
        .create_api_token(None, me, "mine", None)
        .await
        .expect("token");
    let own_token = s
        .app
        .db
        .list_api_tokens(Scope::Chain, Some(me))
        .await
        .expect("tokens")[0]
        .id;
    s.app
        .create_api_token(None, target, "theirs", None)
        .await
        .expect("token");
    let staff_token = s
        .app
        .db
        .list_api_tokens(Scope::Chain, Some(target))
        .await
        .expect("tokens")[0]
        .id;
    let mut customers = Vec::new();
    for name in ["矩阵甲", "矩阵乙"] {
        let input = patron_domain::customer::CustomerInput {
            name: name.into(),
            mobile: unique_mobile(),
            ..Default::default()
        };
        let options = patron_app::customers::CreateOptions {
            store_id: Some(store_id),
            ..Default::default()
        };
        let c = s
            .app
            .create_customer(
                &patron_domain::Actor::cli("matrix"),
                Scope::Chain,
                &input,
                &options,
            )
            .await
            .expect("customer");
        customers.push(c.id);
    }
    let view_name = unique("v");
    s.app
        .db
        .save_customer_view(me, &view_name, "q=zs", s.app.now())
        .await
        .expect("view");
    let view = s
        .app
        .db
        .list_customer_views(me)
        .await
        .expect("views")
        .into_iter()
        .find(|v| v.name == view_name)
        .expect("saved")
        .id;
    let upload = s
        .app
        .stash_upload(me, "姓名,手机号\n矩阵,13900000000\n".as_bytes())
        .expect("upload");
    let field = s
        .app
        .create_custom_field(
            &patron_domain::Actor::cli("matrix"),
            &format!("f{}", unique("").to_lowercase()),
            "房屋面积",
            "number",
            "",
        )
        .await
        .expect("field");
    let template = s
        .app
        .create_coupon_template(&patron_app::sales::coupons::TemplateInput {
            name: "矩阵券".into(),
            amount_fen: Some(500),
            valid_days: 7,
            ..Default::default()
        })
        .await
        .expect("template");
    s.app
        .issue_card(
            &patron_domain::Actor::cli("matrix"),
            Scope::Chain,
            customers[0],
        )
        .await
        .expect("card");
    s.app
        .end_membership(
            &patron_domain::Actor::cli("matrix"),
            Scope::Chain,
            customers[1],
            "矩阵注销",
        )
        .await
        .expect("ended");
    let adjustment = s
        .app
        .adjust_points(
            &patron_domain::Actor::cli("matrix"),
            patron_store::Scope::Chain,
            &[customers[0]],
            5000,
            "矩阵审批",
        )
        .await
        .expect("adjustment")
        .ids[0];
    let matrix = patron_domain::Actor::cli("matrix");
    let lot = patron_store::points::NewLot {
        points: 1_000,
        usable_from: s.app.now(),
        expires_at: None,
    };
    let note = patron_store::points::EntryNote {
        reason: "矩阵".into(),
        reference: String::new(),
        actor_name: "matrix".into(),
    };
    s.app
        .db
        .earn_points(
            customers[0],
            &lot,
            patron_store::points::EntryKind::Adjust,
            &note,
            s.app.now(),
        )
        .await
        .expect("points");
    let reward = s
        .app
        .create_reward(
            &matrix,
            &patron_app::sales::mall::RewardInput {
                name: "矩阵礼品".into(),
                points_price: 10,
                stock: Some(100),
                valid_from: s.app.now(),
                ..Default::default()
            },
        )
        .await
        .expect("reward");
    let request = patron_app::sales::mall::RedeemRequest {
        reward_id: reward,
        quantity: 1,
        note: String::new(),
    };
    let mut at_store = matrix.clone();
    at_store.store_id = Some(store_id);
    let order = s
        .app
        .redeem_reward(&at_store, Scope::Chain, customers[0], &request)
        .await
        .expect("order")
        .order_id;
    let playbook = s
        .app
        .create_playbook(&patron_app::care::churn::PlaybookForm {
            name: unique("pb"),
            min_score: 50,
            make_task: true,
            control_percent: 10,
            cooldown_days: 90,
            ..Default::default()
        })
        .await
        .expect("playbook");
    let segment = s
        .app
        .db
        .save_segment(
            None,
            None,
            &unique("seg"),
            "[\"sku=T1\"]",
            None,
            s.app.now(),
        )
        .await
        .expect("segment");
    let (ticket, _) = s
        .app
        .file_ticket(
            &matrix,
            Scope::Chain,
            &patron_app::service::tickets::TicketForm {
                customer_id: customers[0],
                channel: "phone".into(),
                ticket_type: "complaint".into(),
                category: "logistics".into(),
                severity: "normal".into(),
                subject: "矩阵投诉".into(),
                description: "矩阵".into(),
                ..Default::default()
            },
            None,
        )
        .await
        .expect("ticket");
    Fixture {
        playbook,
        segment,
        ticket,
        reward,
        order,
        adjustment,
        template,
        field,
        upload,
        view,
        me,
        customer: customers[0],
        other_customer: customers[1],
        store: store_id,
        other_store,
        target,
        key,
        own_token,
        staff_token,
    }
}
