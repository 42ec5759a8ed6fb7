//! Navigation by job: the sidebar shows each role only the entries it may use, in sections a
//! store person thinks in (a section with nothing left is left out), marks the current page
//! and its section, and every console page carries its breadcrumb. The customer page opens
//! the tab its address names, and its forms land back on the tab they were sent from.

use crate::both;
use crate::harness::{Client, Kind, PASSWORD, staff, start, store};
use patron_domain::Role;

/// The sidebar of a page, for looking at the menu alone.
fn sidebar(body: &str) -> &str {
    let start = body.find("<aside class=\"sidebar\">").expect("a sidebar");
    let end = body[start..].find("</aside>").expect("its end") + start;
    &body[start..end]
}

fn crumbs(body: &str) -> &str {
    let start = body.find("<nav class=\"crumbs\"").expect("a breadcrumb");
    let end = body[start..].find("</nav>").expect("its end") + start;
    &body[start..end]
}

/// The addresses the sidebar links to.
fn entries(menu: &str) -> Vec<String> {
    menu.split("<li><a href=\"")
        .skip(1)
        .filter_map(|s| s.split('"').next())
        .map(str::to_string)
        .collect()
}

const CHAIN_SETTINGS: [&str; 4] = [
    "/console/staff",
    "/console/roles",
    "/console/keys",
    "/console/audit",
];

async fn the_menu_offers_each_role_what_it_may_use(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let s1 = store(&s.app, "S01").await;

    // The administrator sees every section, the chain's settings among them.
    let admin = Client::new(&s.base);
    admin.login("owner", PASSWORD).await;
    let page = admin.get("/console/customers").await;
    assert_eq!(page.status, 200);
    let menu = sidebar(&page.body);
    for section in [
        "工作台",
        "客户",
        "会员与积分",
        "营销与关怀",
        "服务",
        "报表分析",
        "设置",
    ] {
        assert!(
            menu.contains(&format!(">{section}</summary>")),
            "{section} shown to the administrator"
        );
    }
    let all = entries(menu);
    for href in CHAIN_SETTINGS {
        assert!(all.iter().any(|e| e == href), "{href} offered to the admin");
    }
    // The current page and its section are marked, the section open, the others closed.
    assert!(menu.contains("<a href=\"/console/customers\" aria-current=\"page\">客户列表</a>"));
    assert!(menu.contains("id=\"section-customers\" open>"));
    assert!(menu.contains("<summary aria-current=\"true\">客户</summary>"));
    assert_eq!(menu.matches("aria-current=\"page\"").count(), 1);
    assert_eq!(menu.matches(" open>").count(), 1, "only its section open");
    let trail = crumbs(&page.body);
    assert!(
        trail.contains("<span>客户</span>")
            && trail.contains("<span aria-current=\"page\">客户列表</span>"),
        "{trail}"
    );

    // A sales associate: no staff, roles, keys or audit log, and no section for service or
    // reports, which it has no page in.
    staff(&s.app, "assoc", "sales_associate", Some(s1)).await;
    let assoc = Client::new(&s.base);
    assoc.login("assoc", PASSWORD).await;
    let page = assoc.get("/console").await;
    let menu = sidebar(&page.body);
    let mine = entries(menu);
    for href in CHAIN_SETTINGS.iter().chain(&["/console/settings"]) {
        assert!(
            !mine.iter().any(|e| e == href),
            "{href} hidden from the associate"
        );
    }
    for href in ["/console/till", "/console/customers", "/console/account"] {
        assert!(
            mine.iter().any(|e| e == href),
            "{href} offered to the associate"
        );
    }
    for section in ["服务", "报表分析"] {
        assert!(
            !menu.contains(&format!(">{section}</summary>")),
            "{section} left out: nothing in it for the associate"
        );
    }
    assert!(
        page.body.contains("导购"),
        "the role in the reader's language"
    );

    // For every role, every entry it is offered opens (no entry leads to a refusal), and
    // the page marks that entry and starts its breadcrumb with the entry's section.
    for role in Role::ALL {
        let name = format!("nav.{}", role.as_str().replace('_', "-"));
        let store_id = (!role.is_chain_wide()).then_some(s1);
        staff(&s.app, &name, role.as_str(), store_id).await;
        let c = Client::new(&s.base);
        assert_eq!(c.login(&name, PASSWORD).await.location, "/console");
        let offered = entries(sidebar(&c.get("/console").await.body));
        assert!(!offered.is_empty());
        for href in offered {
            let page = c.get(&href).await;
            assert_eq!(page.status, 200, "{href} as {}", role.as_str());
            assert!(
                sidebar(&page.body).contains(&format!("<a href=\"{href}\" aria-current=\"page\">")),
                "{href} marked as {}",
                role.as_str()
            );
            assert!(crumbs(&page.body).matches("<li>").count() >= 2, "{href}");
        }
    }
    s.shutdown().await;
}
both!(the_menu_offers_each_role_what_it_may_use);

async fn the_customer_page_opens_the_tab_it_is_asked_for(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let s1 = store(&s.app, "S01").await;
    let c = Client::new(&s.base);
    c.login("owner", PASSWORD).await;
    c.get("/console/customers/new").await;
    let created = c
        .post(
            "/console/customers",
            &[
                ("name", "周雨"),
                ("mobile", "13900139000"),
                ("store_id", &s1.to_string()),
                ("consent", "service"),
            ],
        )
        .await;
    assert_eq!(created.status, 303, "{}", created.body);
    let url = created.location.split('?').next().unwrap_or("").to_string();
    let id = url.rsplit('/').next().unwrap_or("").to_string();

    // Without a tab, the overview; a sub-page of the customer list in the breadcrumb.
    let page = c.get(&url).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("id=\"panel-overview\""));
    assert!(
        page.body
            .contains("id=\"tab-overview\" aria-current=\"page\"")
    );
    assert!(page.body.contains("id=\"reveal-mobile\""));
    assert!(!page.body.contains("id=\"points-ledger\""));
    let trail = crumbs(&page.body);
    assert!(
        trail.contains("<a href=\"/console/customers\">客户列表</a>")
            && trail.contains("<span aria-current=\"page\">客户档案</span>"),
        "{trail}"
    );
    assert!(sidebar(&page.body).contains("<a href=\"/console/customers\" aria-current=\"page\">"));

    // Each tab shows its own panel and nothing of the others.
    for (tab, has, lacks) in [
        ("purchases", "id=\"purchases\"", "id=\"points-ledger\""),
        ("points", "id=\"points-ledger\"", "id=\"purchases\""),
        ("service", "id=\"customer-tickets\"", "id=\"reveal-mobile\""),
        (
            "privacy",
            "id=\"withdraw-service\"",
            "id=\"add-interaction\"",
        ),
        (
            "interactions",
            "id=\"add-interaction\"",
            "id=\"withdraw-service\"",
        ),
    ] {
        let page = c.get(&format!("{url}?tab={tab}")).await;
        assert_eq!(page.status, 200, "{tab}");
        assert!(page.body.contains(&format!("id=\"panel-{tab}\"")), "{tab}");
        assert!(
            page.body
                .contains(&format!("id=\"tab-{tab}\" aria-current=\"page\"")),
            "{tab}"
        );
        assert_eq!(
            page.body.matches("aria-current=\"page\"").count(),
            3,
            "{tab}"
        );
        assert!(page.body.contains(has), "{tab} shows {has}");
        assert!(!page.body.contains(lacks), "{tab} hides {lacks}");
    }
    let page = c.get(&format!("{url}?tab=nonsense")).await;
    assert!(page.body.contains("id=\"panel-overview\""), "unknown tab");

    // Forms land back on their tab.
    for (action, fields, tab) in [
        (
            "consents",
            vec![("purpose", "marketing_sms"), ("granted", "1")],
            "tab=privacy",
        ),
        (
            "interactions",
            vec![("kind", "call"), ("note", "回访电话")],
            "tab=interactions",
        ),
        ("ranking", vec![("opt_out", "1")], "tab=privacy"),
        ("card", vec![], "tab=points"),
        (
            "points",
            vec![("points", "20"), ("reason", "补录积分")],
            "tab=points",
        ),
    ] {
        c.get(&url).await;
        let done = c.post(&format!("{url}/{action}"), &fields).await;
        assert_eq!(done.status, 303, "{action}: {}", done.body);
        assert!(
            done.location
                .starts_with(&format!("/console/customers/{id}?{tab}&ok=")),
            "{action} lands on {tab}: {}",
            done.location
        );
    }
    // A form's error is shown on the tab the form is on.
    c.get(&url).await;
    let refused = c
        .post(
            &format!("{url}/points"),
            &[("points", "many"), ("reason", "扣减")],
        )
        .await;
    assert_eq!(refused.status, 200);
    assert!(refused.body.contains("class=\"error\""));
    assert!(refused.body.contains("id=\"panel-points\""));

    // A role that handles no orders, warranties or tickets has no service tab.
    staff(&s.app, "assoc", "sales_associate", Some(s1)).await;
    let assoc = Client::new(&s.base);
    assoc.login("assoc", PASSWORD).await;
    let page = assoc.get(&format!("{url}?tab=service")).await;
    assert_eq!(page.status, 200);
    assert!(!page.body.contains("id=\"tab-service\""));
    assert!(page.body.contains("id=\"panel-overview\""));
    s.shutdown().await;
}
both!(the_customer_page_opens_the_tab_it_is_asked_for);
