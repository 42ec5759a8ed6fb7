//! Customer pages in the console: the create form with inline messages in Chinese, masked
//! display and reveal with a reason (audited), one-click consent changes, the timeline,
//! search by initials, the re-verification list, duplicates and merge, and handover.

use crate::both;
use crate::harness::{Client, Kind, PASSWORD, audit, staff, start, store};

async fn customer_pages(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let s1 = store(&s.app, "S01").await;
    let manager = staff(&s.app, "liu.qiang", "store_manager", Some(s1)).await;
    let clerk = staff(&s.app, "li.na", "sales_associate", Some(s1)).await;
    let c = Client::new(&s.base);
    assert_eq!(c.login("liu.qiang", PASSWORD).await.location, "/console");

    // Bad input: every field's message beside it, in Chinese, with what was typed kept.
    let form = c.get("/console/customers/new").await;
    assert_eq!(form.status, 200);
    assert!(
        form.body
            .contains("name=\"consent\" value=\"service\" checked"),
        "service consent preselected"
    );
    let bad = c
        .post(
            "/console/customers",
            &[
                ("name", ""),
                ("mobile", "138001"),
                ("email", "a@b"),
                ("birthday", "1990-13-01"),
                ("hobbies", "钓鱼"),
            ],
        )
        .await;
    assert_eq!(bad.status, 200);
    for message in [
        "请输入客户姓名",
        "电话号码无效",
        "电子邮箱格式不正确",
        "日期格式应为",
    ] {
        assert!(
            bad.body.contains(message),
            "{message} shown in {}",
            bad.body
        );
    }
    assert!(bad.body.contains("value=\"钓鱼\""), "typed values kept");
    assert_eq!(
        s.app
            .db()
            .search_customers(patron_store::Scope::Chain, &Default::default())
            .await
            .map(|r| r.1)
            .unwrap_or(-1),
        0
    );

    let created = c
        .post(
            "/console/customers",
            &[
                ("name", "张三"),
                ("mobile", "138 0013 8000"),
                ("email", "zhang@qq.com"),
                (
                    "addresses",
                    "上海市徐汇区漕溪北路 88 号\n上海市静安区南京西路 1 号",
                ),
                ("owner_staff_id", &clerk.to_string()),
                ("tags", "VIP，装修中"),
                ("consent", "service"),
                ("consent", "marketing_sms"),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let page_url = created.location.split('?').next().unwrap_or("").to_string();
    let id: i64 = page_url
        .rsplit('/')
        .next()
        .and_then(|x| x.parse().ok())
        .expect("id");
    let page = c.get(&page_url).await;
    assert!(
        page.body.contains("138****8000") && !page.body.contains("13800138000"),
        "masked"
    );
    assert!(page.body.contains("S01-000001"));
    assert!(page.body.contains("VIP") && page.body.contains("装修中"));

    // Reveal needs a reason; the field and the reason are audited.
    let no_reason = c
        .post(
            &format!("/console/customers/{id}/reveal"),
            &[("field", "mobile"), ("reason", "")],
        )
        .await;
    assert!(no_reason.body.contains("请填写查看原因"));
    c.get(&page_url).await;
    let shown = c
        .post(
            &format!("/console/customers/{id}/reveal"),
            &[("field", "mobile"), ("reason", "客户来电核对")],
        )
        .await;
    assert!(shown.body.contains("13800138000"), "revealed");
    let rows = audit(&s.app, "customer.reveal", "").await;
    assert_eq!(rows[0].detail, "field=mobile; reason=客户来电核对");
    assert!(audit(&s.app, "customer.view", "").await.len() >= 2);

    // Withdrawing takes the same one step as granting.
    c.get(&page_url).await;
    let w = c
        .post(
            &format!("/console/customers/{id}/consents"),
            &[("purpose", "marketing_sms"), ("granted", "0")],
        )
        .await;
    assert_eq!(w.status, 303);
    let consents = s.app.consents_of(id).await.expect("consents");
    assert!(
        consents
            .iter()
            .any(|(p, g, _)| p.as_str() == "marketing_sms" && !g)
    );
    assert!(
        consents
            .iter()
            .any(|(p, g, _)| p.as_str() == "service" && *g)
    );
    c.get(&page_url).await;
    c.post(
        &format!("/console/customers/{id}/interactions"),
        &[
            ("kind", "visit"),
            ("channel", "门店"),
            ("outcome", "看了地板"),
            ("note", "周末带家人再来"),
        ],
    )
    .await;
    let page = c.get(&format!("{page_url}?tab=interactions")).await;
    assert!(page.body.contains("周末带家人再来") && page.body.contains("看了地板"));

    // The list finds by initials and by the last four digits; "my customers" is per owner.
    let list = c
        .get("/console/customers?q=zs&tag=&owner=&store=&sort=newest")
        .await;
    assert_eq!(list.status, 200, "an empty select means no filter");
    assert!(list.body.contains("张三"));
    let list = c.get("/console/customers?q=8000").await;
    assert!(list.body.contains("张三"));
    let none = c.get("/console/customers?q=lisi").await;
    assert!(!none.body.contains(&page_url));
    let mine = c.get("/console/customers/mine").await;
    assert!(
        !mine.body.contains(&page_url),
        "the manager does not own it"
    );

    // After 90 days without verification the file is on the re-verification list.
    s.clock.advance(jiff::SignedDuration::from_hours(24 * 91));
    assert_eq!(c.login("liu.qiang", PASSWORD).await.location, "/console");
    let due = c.get("/console/customers?stale=true").await;
    assert!(
        due.body.contains(&page_url),
        "due for re-verification: {}",
        due.body
    );
    c.post(&format!("/console/customers/{id}/verify"), &[])
        .await;
    let due = c.get("/console/customers?stale=true").await;
    assert!(!due.body.contains(&page_url), "verified today");

    // A second file with the same name and an address written differently: similar name
    // and same address make it a duplicate; the manager merges it.
    c.get("/console/customers/new").await;
    let second = c
        .post(
            "/console/customers",
            &[
                ("name", "章三"),
                ("mobile", "13900139000"),
                ("addresses", "上海市徐汇区漕溪北路88号"),
            ],
        )
        .await;
    assert_eq!(second.status, 303, "{}", second.body);
    let dupes = c.get("/console/customers/duplicates").await;
    assert!(
        dupes.body.contains("章三") && dupes.body.contains("姓名相近且地址相同"),
        "{}",
        dupes.body
    );
    let other: i64 = second
        .location
        .split('?')
        .next()
        .and_then(|u| u.rsplit('/').next())
        .and_then(|x| x.parse().ok())
        .expect("id");
    let merged = c
        .post(
            "/console/customers/merge",
            &[
                ("survivor_id", &id.to_string()),
                ("merged_id", &other.to_string()),
            ],
        )
        .await;
    assert_eq!(merged.status, 303);
    let after = c.get("/console/customers/duplicates").await;
    assert!(after.body.contains("没有待处理的重复客户"));

    // Handover moves every customer of the clerk to the manager, one log line each.
    c.get("/console/customers/handover").await;
    let h = c
        .post(
            "/console/customers/handover",
            &[
                ("from_staff_id", &clerk.to_string()),
                ("to_staff_id", &manager.to_string()),
                ("reason", "离职"),
            ],
        )
        .await;
    assert_eq!(h.status, 303);
    let mine = c.get("/console/customers/mine").await;
    assert!(mine.body.contains("张三"));
    let log = s.app.db().owner_log(id, 10).await.expect("log");
    assert_eq!(
        (
            log[0].from_staff_id,
            log[0].to_staff_id,
            log[0].reason.as_str()
        ),
        (Some(clerk), Some(manager), "离职")
    );
}
both!(customer_pages);
