//! A complaint's whole life in headless Chromium: filed from the service desk, acknowledged,
//! resolved with a root cause, then closed by the customer's satisfied answer on the survey
//! page (no sign-in), which the ticket page shows.

use crate::both;
use crate::browser::WebDriver;
use crate::harness::{Kind, PASSWORD, start, store};
use patron_store::Scope;

async fn a_complaint_is_filed_resolved_and_closed_in_a_browser(kind: Kind) {
    let Some(browser) = WebDriver::start().await else {
        return;
    };
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let s1 = store(app, "S1").await;
    let customer = crate::messages::customer(app, s1, "13700137201", "", &[]).await;

    browser.goto(&format!("{}/login", s.base)).await;
    browser.fill("input[name=username]", "owner").await;
    browser.fill("input[name=password]", PASSWORD).await;
    browser.click("form.card button[type=submit]").await;
    browser.wait_url("/console").await;

    // Filed from the desk's form.
    browser.goto(&format!("{}/console/service", s.base)).await;
    browser
        .fill("#new-ticket input[name=customer_id]", &customer.to_string())
        .await;
    browser
        .click("#new-ticket select[name=category] option[value='installation']")
        .await;
    browser
        .fill("#new-ticket input[name=subject]", "地板安装后有异响")
        .await;
    browser
        .fill("#new-ticket textarea[name=description]", "客厅踩上去咯吱响")
        .await;
    browser.click("#new-ticket button[type=submit]").await;
    browser.wait_url("ok=ticket_filed").await;
    let text = browser.text().await;
    assert!(
        text.contains("地板安装后有异响") && text.contains("新建"),
        "{text}"
    );
    let url = browser.url().await;
    let id: i64 = url
        .rsplit('/')
        .next()
        .and_then(|tail| tail.split('?').next())
        .and_then(|n| n.parse().ok())
        .expect("ticket id in the address");

    // Acknowledged, then resolved with its root cause.
    browser.click("#act button[value=acknowledge]").await;
    browser.wait_url("ok=ticket_saved").await;
    assert!(browser.text().await.contains("已受理"));
    // From the plain address again, so the next wait sees the resolution's page, not this.
    browser
        .goto(&format!("{}/console/service/tickets/{id}", s.base))
        .await;
    browser.wait_url(&format!("/tickets/{id}")).await;
    browser
        .click("#resolve select[name=root_cause] option[value='installation_error']")
        .await;
    browser
        .fill("#resolve input[name=corrective_action]", "重新固定龙骨")
        .await;
    browser
        .click("#resolve select[name=compensation] option[value='repair']")
        .await;
    browser.click("#resolve button[type=submit]").await;
    browser.wait_url("ok=ticket_saved").await;
    assert!(browser.text().await.contains("已解决"));
    browser
        .screenshot(&format!("ticket-resolved-{kind:?}"))
        .await;

    // The customer answers the follow-up on their phone: satisfied, so it closes.
    let link = app
        .renew_ticket_survey_link(Scope::Chain, id)
        .await
        .expect("link");
    let path = &link[link.find("/s/").expect("path")..];
    browser.goto(&format!("{}{path}", s.base)).await;
    browser.wait_url("/s/").await;
    browser.click("input[name=q0][value='5']").await;
    browser.click("form button[type=submit]").await;
    // The answer page is rendered by the post itself: read the body by script until the
    // new page is in (an element read while the old page unloads would be stale).
    let mut thanked = false;
    for _ in 0..50 {
        let body = browser
            .call(
                "POST",
                "/execute/sync",
                serde_json::json!({"script": "return document.body ? document.body.innerText : ''", "args": []}),
            )
            .await;
        if body.as_str().is_some_and(|t| t.contains("感谢您的反馈")) {
            thanked = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(thanked, "the customer is thanked");

    browser
        .goto(&format!("{}/console/service/tickets/{id}", s.base))
        .await;
    browser.wait_url(&format!("/tickets/{id}")).await;
    let text = browser.text().await;
    assert!(text.contains("已关闭") && text.contains("5 / 5"), "{text}");
    let row = app.db().ticket(Scope::Chain, id).await.expect("ticket");
    assert_eq!(
        (
            row.status.code(),
            row.satisfaction,
            row.root_cause.as_deref()
        ),
        ("closed", Some(5), Some("installation_error"))
    );
    browser.call("DELETE", "", serde_json::json!({})).await;
}
both!(a_complaint_is_filed_resolved_and_closed_in_a_browser);
