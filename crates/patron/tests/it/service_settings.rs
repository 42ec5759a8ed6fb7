//! The service desk's settings page and a store's service hours, on both backends: a saved
//! SLA line sets the next ticket's deadline in the store's working hours, a store's own
//! pipeline shapes its next order, and a refused form keeps what was typed and saves
//! nothing.

use crate::both;
use crate::harness::{Client, Kind, PASSWORD, start, store};
use patron_app::service::orders::OrderForm;
use patron_app::service::tickets::TicketForm;
use patron_store::Scope;

async fn the_desk_is_configured_in_the_console(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let s1 = store(app, "S1").await;
    let customer = crate::points::customer(app, s1, "13700137301").await;
    let c = Client::new(&s.base);
    c.login("owner", PASSWORD).await;

    let page = c.get("/console/service/settings").await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("* critical 1 8"), "{}", page.body);
    assert!(!page.body.contains("[missing"));
    let field = |name: &str| {
        let start = page.body.find(&format!("name=\"{name}\"")).expect(name);
        let open = page.body[start..].find('>').expect("tag") + start + 1;
        let close = page.body[open..].find("</textarea>").expect("textarea") + open;
        page.body[open..close].to_string()
    };
    let categories = field("categories");
    let root_causes = field("root_causes");
    let store_field = format!("store_{s1}");
    let base = |sla: &str, pipelines: &str| {
        vec![
            ("categories".to_string(), categories.clone()),
            ("root_causes".to_string(), root_causes.clone()),
            ("sla".to_string(), sla.to_string()),
            ("assignment".to_string(), "manual".to_string()),
            ("csat_wait_days".to_string(), "5".to_string()),
            ("reopen_at_or_below".to_string(), "2".to_string()),
            ("pipelines".to_string(), pipelines.to_string()),
            ("default_pipeline".to_string(), "delivery".to_string()),
            (store_field.clone(), "measure_first".to_string()),
            ("warranty_notice_days".to_string(), "14".to_string()),
            ("approval_above".to_string(), "150.50".to_string()),
        ]
    };
    let pipelines = "delivery: confirmed > preparing > out_for_delivery > delivered > completed\n\
                     measure_first: confirmed > preparing > installed > completed";
    let post = |fields: Vec<(String, String)>| {
        let c = &c;
        async move {
            let pairs: Vec<(&str, &str)> = fields
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            c.post("/console/service/settings", &pairs).await
        }
    };

    // A refused form: the message, what was typed, and nothing saved.
    let refused = post(base("* urgent 1 8", pipelines)).await;
    assert_eq!(refused.status, 200);
    assert!(
        refused.body.contains("* urgent 1 8"),
        "the typed text stays"
    );
    assert!(
        refused.body.contains("每行写：类别 严重程度"),
        "{}",
        refused.body
    );
    assert_eq!(
        app.service_rules().await.expect("rules"),
        patron_app::service::ServiceRules::default()
    );

    let saved = post(base("* normal 4 24\nlogistics critical 0:30 4", pipelines)).await;
    assert_eq!(saved.status, 303, "{}", saved.body);
    let rules = app.service_rules().await.expect("rules");
    assert_eq!(rules.csat_wait_days, 5);
    assert_eq!(rules.warranty_notice_days, 14);
    assert_eq!(rules.approval_above_fen, 15_050);
    assert_eq!(
        rules.store_pipelines.get(&s1).map(String::as_str),
        Some("measure_first")
    );
    assert_eq!(rules.sla.targets.len(), 2);

    // The store's hours: every day 09:00-18:00 by default; now weekdays only.
    let bad = c
        .post(
            &format!("/console/stores/{s1}"),
            &[
                ("name", "改名不该生效"),
                ("timezone", "Asia/Shanghai"),
                ("opening_hours", "weekdays 9-6"),
            ],
        )
        .await;
    assert_eq!(bad.status, 200);
    assert!(bad.body.contains("营业时间格式不对"), "{}", bad.body);
    assert!(
        bad.body.contains("value=\"weekdays 9-6\""),
        "the typed text stays"
    );
    let kept = app.db().get_store(Scope::Chain, s1).await.expect("store");
    assert_ne!(kept.name, "改名不该生效", "nothing saved");
    let ok = c
        .post(
            &format!("/console/stores/{s1}"),
            &[
                ("name", "一号店"),
                ("timezone", "Asia/Shanghai"),
                ("opening_hours", "mon-fri 09:00-18:00; holidays closed"),
            ],
        )
        .await;
    assert_eq!(ok.status, 303, "{}", ok.body);
    let page = c.get(&format!("/console/stores/{s1}")).await;
    assert!(page.body.contains("mon-fri 09:00-18:00"), "{}", page.body);

    // The harness's today is Monday 10:00 in Shanghai: a critical delivery complaint is due
    // an answer 30 working minutes later.
    let actor = patron_domain::Actor::cli("test");
    let (ticket, _) = app
        .file_ticket(
            &actor,
            Scope::Chain,
            &TicketForm {
                customer_id: customer,
                channel: "phone".into(),
                ticket_type: "complaint".into(),
                category: "logistics".into(),
                severity: "critical".into(),
                subject: "送错货".into(),
                description: "送来的型号不对".into(),
                ..Default::default()
            },
            None,
        )
        .await
        .expect("ticket");
    let t = app.db().ticket(Scope::Chain, ticket).await.expect("row");
    assert_eq!(
        t.response_due_at.as_millisecond() - t.created_at.as_millisecond(),
        30 * 60_000
    );
    // Resolution: 4 working hours from 10:00 on a Monday is 14:00 the same day.
    assert_eq!(
        t.resolution_due_at
            .map(|d| d.as_millisecond() - t.created_at.as_millisecond()),
        Some(4 * 3_600_000)
    );

    // The store's own pipeline shapes its next order.
    let (order, _) = app
        .create_order(
            &actor,
            Scope::Chain,
            &OrderForm {
                customer_id: customer,
                lines: vec![patron_store::service::orders::OrderLine {
                    sku: "T1".into(),
                    name: "瓷砖".into(),
                    quantity: 1,
                    unit_price_fen: 100,
                }],
                ..Default::default()
            },
            None,
        )
        .await
        .expect("order");
    let row = app.db().order(Scope::Chain, order).await.expect("order");
    assert_eq!(row.stages, "confirmed > preparing > installed > completed");
    s.shutdown().await;
}
both!(the_desk_is_configured_in_the_console);
