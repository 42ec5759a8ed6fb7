//! Demo tickets: a few in every status of the workflow at each store, some resolved with
//! compensation, one reopened, and some filed days ago and never answered so the queue
//! shows breaches and the managers' escalation e-mails are in the outbox.

use crate::service::tickets::{Compensation, Resolution, TicketForm};
use crate::{App, AppError};
use jiff::SignedDuration;
use patron_domain::Actor;
use patron_domain::service::sla::BusinessClock;
use patron_domain::service::ticket::{Action, Severity};
use patron_store::Scope;
use patron_store::service::tickets::NewTicket;

/// (type, category, severity, subject, description)
const CASES: &[(&str, &str, &str, &str, &str)] = &[
    (
        "complaint",
        "logistics",
        "high",
        "送货比约定晚了两天",
        "客户说约好周六送货，周一才到，耽误了装修进度。",
    ),
    (
        "complaint",
        "installation",
        "critical",
        "地板安装后起拱",
        "安装一周后客厅地板中间起拱，要求上门处理。",
    ),
    (
        "complaint",
        "product_quality",
        "normal",
        "瓷砖有色差",
        "同一批次瓷砖颜色深浅不一，贴了一半才发现。",
    ),
    (
        "complaint",
        "service_attitude",
        "normal",
        "导购态度冷淡",
        "客户说问价格时导购爱答不理。",
    ),
    (
        "inquiry",
        "other",
        "low",
        "咨询保修期",
        "想知道橱柜五金件保修几年。",
    ),
    (
        "suggestion",
        "other",
        "low",
        "希望周末延长营业",
        "建议周末营业到晚上九点。",
    ),
    (
        "praise",
        "installation",
        "low",
        "安装师傅很专业",
        "客户表扬安装师傅细心，走前还打扫了现场。",
    ),
    (
        "complaint",
        "price",
        "high",
        "同款比网上贵",
        "客户发现同款龙头网上便宜一百元。",
    ),
];

pub(crate) async fn seed(app: &App, customers: &[(i64, i64)]) -> Result<(), AppError> {
    let actor = Actor::cli("demo");
    let mut filed = Vec::new();
    for (i, (kind, category, severity, subject, description)) in CASES.iter().enumerate() {
        let Some((customer_id, _)) = customers.get(i * 7) else {
            break;
        };
        let form = TicketForm {
            customer_id: *customer_id,
            channel: ["phone", "in_store", "wechat"][i % 3].into(),
            ticket_type: (*kind).into(),
            category: (*category).into(),
            severity: (*severity).into(),
            subject: (*subject).into(),
            description: (*description).into(),
            ..Default::default()
        };
        filed.push(app.file_ticket(&actor, Scope::Chain, &form, None).await?.0);
    }
    // Walk them through the workflow to different points.
    let step = |id: i64, action: Action, note: &'static str| {
        let actor = actor.clone();
        async move {
            app.act_on_ticket(&actor, Scope::Chain, id, action, note)
                .await
        }
    };
    if let [t0, t1, t2, t3, t4, t5, t6, t7] = filed[..] {
        step(t1, Action::Acknowledge, "已约师傅明天上门").await?;
        step(t2, Action::Start, "").await?;
        step(t2, Action::WaitOnCustomer, "请客户发来批次号照片").await?;
        step(t3, Action::Acknowledge, "已致电道歉").await?;
        let apology = Resolution {
            root_cause: "staff_attitude".into(),
            corrective_action: "店内服务规范培训一次".into(),
            compensation: Compensation::Points {
                points: 200,
                applied: false,
            },
        };
        app.resolve_ticket(&actor, Scope::Chain, t3, &apology, "补偿200积分")
            .await?;
        for t in [t4, t5, t6] {
            step(t, Action::Acknowledge, "").await?;
            let answered = Resolution {
                root_cause: "other".into(),
                corrective_action: "已答复客户".into(),
                compensation: Compensation::None,
            };
            app.resolve_ticket(&actor, Scope::Chain, t, &answered, "")
                .await?;
            if t == t5 {
                // This customer answers the satisfaction follow-up, which closes it.
                crate::demo::surveys::answer_follow_up(app, t5).await?;
            } else {
                step(t, Action::Close, "").await?;
            }
        }
        step(t4, Action::Reopen, "客户又来电补充").await?;
        // A refund above the desk's approval threshold: it waits for the store manager.
        step(t7, Action::Acknowledge, "").await?;
        let refund = Resolution {
            root_cause: "product_defect".into(),
            corrective_action: "通知供应商更换批次".into(),
            compensation: Compensation::Refund { amount_fen: 68_000 },
        };
        app.resolve_ticket(&actor, Scope::Chain, t7, &refund, "客户同意退货退款")
            .await?;
        let _ = t0;
    }
    // Two complaints filed three days ago and never answered: both deadlines missed.
    for (i, (customer_id, store_id)) in customers.iter().skip(3).step_by(11).take(2).enumerate() {
        let at = app.now() - SignedDuration::from_hours(72 + 5 * i as i64);
        let (hours, holidays, tz) = app.business_time(*store_id).await?;
        let clock = BusinessClock {
            hours: &hours,
            holidays: &holidays,
            tz,
        };
        let rules = app.service_rules().await?;
        let (respond, resolve) = rules.sla.targets_for("product_quality", Severity::High);
        let text = "柜门铰链断裂，客户三天前来电，至今无人回复。";
        let sealed = crate::customers::sealing::seal(&app.keys, "ticket", *customer_id, text);
        let t = NewTicket {
            customer_id: *customer_id,
            store_id: *store_id,
            channel: "phone",
            ticket_type: "complaint",
            category: "product_quality",
            severity: "high",
            subject: "柜门铰链断裂",
            description_enc: &sealed,
            sale_id: None,
            item_ref: Some("HG-3301"),
            assignee_id: None,
            created_by: None,
            response_due_at: clock.add(at, respond),
            resolution_target_min: resolve,
            resolution_due_at: clock.add(at, resolve),
            request_key: None,
            claim: None,
        };
        app.db.file_ticket(&t, at).await?;
    }
    app.escalate_tickets(app.now()).await?;
    Ok(())
}
