//! What the role × route walk works on: the objects each route needs (a store, a customer
//! with a card, another whose membership ended, a coupon template, a pending adjustment, …)
//! and the path with its ids filled in. The bodies it sends are in `matrix::forms`.

use crate::harness::{staff, unique};
use patron_store::Scope;

pub(crate) struct Fixture {
    pub(crate) store: i64,
    pub(crate) other_store: i64,
    pub(crate) target: i64,
    pub(crate) key: i64,
    pub(crate) own_token: i64,
    pub(crate) staff_token: i64,
    pub(crate) customer: i64,
    pub(crate) other_customer: i64,
    pub(crate) view: i64,
    pub(crate) me: i64,
    pub(crate) upload: String,
    pub(crate) field: i64,
    pub(crate) template: i64,
    pub(crate) adjustment: i64,
    pub(crate) reward: i64,
    pub(crate) order: i64,
    pub(crate) playbook: i64,
    pub(crate) segment: i64,
    pub(crate) ticket: i64,
    /// A ticket whose compensation waits for approval (asked by someone else), and a file
    /// attached to `ticket`.
    pub(crate) asked: i64,
    pub(crate) attachment: i64,
    pub(crate) survey: i64,
    pub(crate) delivery_order: i64,
    /// A scheduled visit, and a completed one with a photo.
    pub(crate) visit: i64,
    pub(crate) shot: i64,
    pub(crate) warranty: i64,
    /// An open follow-up task on `customer`.
    pub(crate) followup: i64,
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
    } else if template.starts_with("/console/segments/")
        || template.starts_with("/api/v1/segments/")
    {
        f.segment
    } else if template.contains("/tickets/")
        && (template.ends_with("/approve")
            || template.ends_with("/reject")
            || template.ends_with("/withdraw"))
    {
        f.asked
    } else if template.starts_with("/console/service/attachments/")
        || template.starts_with("/api/v1/attachments/")
    {
        f.attachment
    } else if template.starts_with("/console/service/tickets/")
        || template.starts_with("/api/v1/tickets/")
    {
        f.ticket
    } else if template.starts_with("/console/surveys/") {
        f.survey
    } else if template.starts_with("/console/orders/") || template.starts_with("/api/v1/orders/") {
        f.delivery_order
    } else if (template.starts_with("/console/visits/") || template.starts_with("/api/v1/visits/"))
        && template.ends_with("/photo")
    {
        f.shot
    } else if template.starts_with("/console/visits/") || template.starts_with("/api/v1/visits/") {
        f.visit
    } else if template.starts_with("/console/warranties/")
        || template.starts_with("/api/v1/warranties/")
    {
        f.warranty
    } else if template.starts_with("/console/followups/") {
        f.followup
    } else if template.starts_with("/console/mall/rewards/") {
        f.reward
    } else if template.starts_with("/console/mall/orders/") {
        f.order
    } else if template.starts_with("/api/v1/coupon-templates/") {
        f.template
    } else if template.starts_with("/console/stores/") {
        f.store
    } else if template.starts_with("/console/staff/") || template.starts_with("/api/v1/staff/") {
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
    let key = s.app.db().list_api_keys(Scope::Chain).await.expect("keys")[0].id;
    s.app
        .create_api_token(None, me, "mine", None)
        .await
        .expect("token");
    let own_token = s
        .app
        .db()
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
        .db()
        .list_api_tokens(Scope::Chain, Some(target))
        .await
        .expect("tokens")[0]
        .id;
    let mut customers = Vec::new();
    for name in ["矩阵甲", "矩阵乙"] {
        let input = patron_domain::customers::CustomerInput {
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
        .db()
        .save_customer_view(me, &view_name, "q=zs", s.app.now())
        .await
        .expect("view");
    let view = s
        .app
        .db()
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
            false,
        )
        .await
        .expect("field");
    let template = s
        .app
        .create_coupon_template(
            &patron_domain::Actor::system("test"),
            patron_store::Scope::Chain,
            &patron_app::membership::coupons::TemplateInput {
                name: "矩阵券".into(),
                amount_fen: Some(500),
                valid_days: 7,
                ..Default::default()
            },
        )
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
    let lot = patron_store::membership::points::NewLot {
        points: 1_000,
        usable_from: s.app.now(),
        expires_at: None,
    };
    let note = patron_store::membership::points::EntryNote {
        reason: "矩阵".into(),
        reference: String::new(),
        actor_name: "matrix".into(),
    };
    s.app
        .db()
        .earn_points(
            customers[0],
            &lot,
            patron_store::membership::points::EntryKind::Adjust,
            &note,
            s.app.now(),
        )
        .await
        .expect("points");
    let reward = s
        .app
        .create_reward(
            &matrix,
            patron_store::Scope::Chain,
            &patron_app::membership::mall::RewardInput {
                name: "矩阵礼品".into(),
                points_price: 10,
                stock: Some(100),
                valid_from: s.app.now(),
                ..Default::default()
            },
        )
        .await
        .expect("reward");
    let request = patron_app::membership::mall::RedeemRequest {
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
        .create_playbook(
            &patron_domain::Actor::system("test"),
            patron_store::Scope::Chain,
            &patron_app::care::churn::PlaybookForm {
                name: unique("pb"),
                min_score: 50,
                make_task: true,
                control_percent: 10,
                cooldown_days: 90,
                ..Default::default()
            },
        )
        .await
        .expect("playbook");
    let segment = s
        .app
        .db()
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
    let (asked, attachment) =
        crate::matrix::service::ticket_fixture(s, &matrix, customers[0], ticket).await;
    let survey = s
        .app
        .surveys()
        .await
        .expect("surveys")
        .first()
        .expect("the built-in follow-up")
        .row
        .id;
    let (delivery_order, visit, shot, warranty) =
        crate::matrix::service::service_fixture(s, customers[0], target).await;
    // Written directly: tasks are planned from classes and cadences the walk does not need.
    let followup: i64 = sqlx::query_scalar(
        "INSERT INTO followup_tasks (customer_id, store_id, kind, ref, reason, due_day, status, \
         created_at) VALUES ($1, $2, 'stale_profile', 'matrix', '', 0, 'open', 0) RETURNING id",
    )
    .bind(customers[0])
    .bind(store_id)
    .fetch_one(s.app.db().pool())
    .await
    .expect("follow-up task");
    Fixture {
        followup,
        delivery_order,
        visit,
        shot,
        warranty,
        survey,
        playbook,
        segment,
        ticket,
        asked,
        attachment,
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
