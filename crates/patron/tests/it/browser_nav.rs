//! The console's navigation in headless Chromium, at a back-office desktop's width (1440)
//! and a phone's (390): the sidebar's sections, the current page marked in the menu and the
//! breadcrumb, the menu folded behind its button on the phone, and the customer page's tabs.

use crate::both;
use crate::browser::WebDriver;
use crate::harness::{Kind, PASSWORD, start, store};

/// Whether the page is no wider than the window (nothing makes the reader scroll sideways).
const FITS: &str = "return document.documentElement.scrollWidth <= window.innerWidth";

async fn the_navigation_works_on_a_desktop_and_a_phone(kind: Kind) {
    let Some(browser) = WebDriver::start().await else {
        return;
    };
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let s1 = store(&s.app, "S1").await;
    let customer = crate::messages::customer(&s.app, s1, "13700137301", "", &[]).await;
    let profile = format!("/console/customers/{customer}");

    browser.resize(1440, 900).await;
    browser.goto(&format!("{}/login", s.base)).await;
    browser.fill("input[name=username]", "owner").await;
    browser.fill("input[name=password]", PASSWORD).await;
    browser.click("form.card button[type=submit]").await;
    browser.wait_url("/console").await;

    // Desktop: the sidebar is open at the left, no menu button; the home page's section is
    // open and the others folded.
    assert!(!browser.displayed("#menu-button").await);
    assert!(browser.displayed("a[href='/console/till']").await);
    assert!(!browser.displayed("a[href='/console/orders']").await);
    browser.click("#section-customers > summary").await;
    browser
        .click("#section-customers a[href='/console/customers']")
        .await;
    browser.wait_url("/console/customers").await;
    assert_eq!(
        browser.text_of(".crumbs [aria-current=page]").await,
        "客户列表"
    );
    assert_eq!(
        browser
            .attribute(".sidebar a[aria-current=page]", "href")
            .await,
        "/console/customers"
    );
    assert!(
        browser
            .displayed("#section-customers a[href='/console/segments']")
            .await
    );
    let (left, width) = sidebar_box(&browser).await;
    assert!(
        left < 1.0 && width > 150.0 && width < 400.0,
        "{left} {width}"
    );
    browser.screenshot(&format!("nav-desktop-{kind:?}")).await;

    // The customer, from the list; the tabs switch by link.
    browser.click(&format!("a[href='{profile}']")).await;
    browser.wait_url(&profile).await;
    assert!(browser.displayed("#panel-overview").await);
    browser.click("#tab-points").await;
    browser.wait_url("tab=points").await;
    assert!(browser.displayed("#panel-points #membership").await);
    assert_eq!(
        browser.attribute("#tab-points", "aria-current").await,
        "page"
    );
    assert_eq!(
        browser.text_of(".crumbs [aria-current=page]").await,
        "客户档案"
    );
    assert_eq!(
        browser.attribute(".crumbs a", "href").await,
        "/console/customers"
    );

    // Phone: the menu folds behind its button; the content takes the width.
    browser.resize(390, 844).await;
    browser.goto(&format!("{}/console", s.base)).await;
    browser.wait_url("/console").await;
    assert!(browser.displayed("#menu-button").await);
    assert!(!browser.displayed("a[href='/console/till']").await);
    assert_eq!(browser.script(FITS).await, true, "home fits the phone");
    browser.click("#menu-button").await;
    assert!(browser.displayed("a[href='/console/till']").await);
    browser
        .screenshot(&format!("nav-phone-menu-{kind:?}"))
        .await;
    browser.click("#section-service > summary").await;
    browser
        .click("#section-service a[href='/console/orders']")
        .await;
    browser.wait_url("/console/orders").await;
    assert!(
        !browser.displayed("a[href='/console/orders']").await,
        "folded again"
    );
    let trail = browser.text_of(".crumbs").await;
    assert!(
        trail.contains("服务") && trail.contains("订单与上门"),
        "{trail}"
    );
    assert_eq!(
        browser
            .attribute(".sidebar a[aria-current=page]", "href")
            .await,
        "/console/orders"
    );
    assert_eq!(
        browser
            .attribute("#section-service > summary", "aria-current")
            .await,
        "true"
    );
    assert_eq!(browser.script(FITS).await, true, "orders fit the phone");

    browser.goto(&format!("{}{profile}", s.base)).await;
    browser.wait_url(&profile).await;
    browser.click("#tab-privacy").await;
    browser.wait_url("tab=privacy").await;
    assert!(browser.displayed("#consents").await);
    browser.click("#tab-interactions").await;
    browser.wait_url("tab=interactions").await;
    assert!(browser.displayed("#add-interaction").await);
    assert_eq!(
        browser.script(FITS).await,
        true,
        "the customer fits the phone"
    );
    browser
        .screenshot(&format!("nav-phone-customer-{kind:?}"))
        .await;
    browser.call("DELETE", "", serde_json::json!({})).await;
}
both!(the_navigation_works_on_a_desktop_and_a_phone);

/// The sidebar's left edge and width in CSS pixels.
async fn sidebar_box(browser: &WebDriver) -> (f64, f64) {
    let v = browser
        .script("const r = document.querySelector('.sidebar').getBoundingClientRect(); return [r.left, r.width];")
        .await;
    (v[0].as_f64().unwrap_or(-1.0), v[1].as_f64().unwrap_or(-1.0))
}
