//! Nobody widens their own role or acts on accounts above their own: a role's capability set
//! is edited only by someone outside it who holds all it grants, and an account is updated,
//! reset or signed out only by someone holding every capability of its role. Passwords among
//! the 10,000 likeliest are refused.

use crate::both;
use crate::harness::{Client, Kind, PASSWORD, staff, start, store};
use patron_domain::{Capability, Role};

fn caps_form(caps: &[Capability]) -> Vec<(&'static str, &'static str)> {
    caps.iter().map(|c| ("cap", c.as_str())).collect()
}

async fn nobody_edits_their_own_role_or_a_higher_one(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let st = store(&s.app, "S01").await;
    staff(&s.app, "zhou.min", "store_manager", Some(st)).await;
    let admin = Client::new(&s.base);
    admin.login("owner", PASSWORD).await;
    admin.get("/console/roles").await;
    let mut manager_caps: Vec<Capability> = Role::StoreManager
        .default_capabilities()
        .into_iter()
        .collect();
    manager_caps.push(Capability::RoleManage);
    assert_eq!(
        admin
            .post("/console/roles/store_manager", &caps_form(&manager_caps))
            .await
            .location,
        "/console/roles?ok=role_saved"
    );
    let manager = Client::new(&s.base);
    manager.login("zhou.min", PASSWORD).await;
    assert_eq!(manager.get("/console/roles").await.status, 200);
    // Their own role: not even to take something away.
    let mut wider = manager_caps.clone();
    wider.push(Capability::SettingsManage);
    for caps in [wider, vec![Capability::StoreRead]] {
        assert_eq!(
            manager
                .post("/console/roles/store_manager", &caps_form(&caps))
                .await
                .status,
            403
        );
    }
    let held = s
        .app
        .db()
        .role_capabilities(Role::StoreManager)
        .await
        .expect("caps");
    assert_eq!(held, manager_caps.iter().copied().collect(), "unchanged");
    // Another role: only within what they hold themselves.
    let clerk: Vec<Capability> = Role::DataClerk
        .default_capabilities()
        .into_iter()
        .filter(|c| manager_caps.contains(c))
        .collect();
    assert_eq!(
        manager
            .post("/console/roles/data_clerk", &caps_form(&clerk))
            .await
            .location,
        "/console/roles?ok=role_saved"
    );
    let mut beyond = clerk.clone();
    beyond.push(Capability::SettingsManage);
    assert_eq!(
        manager
            .post("/console/roles/data_clerk", &caps_form(&beyond))
            .await
            .status,
        403
    );
}
both!(nobody_edits_their_own_role_or_a_higher_one);

async fn nobody_manages_an_account_above_their_own(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let st = store(&s.app, "S01").await;
    staff(&s.app, "zhou.min", "store_manager", Some(st)).await;
    let clerk = staff(&s.app, "lin.yan", "data_clerk", Some(st)).await;
    // The data clerk's role now holds something the store manager lacks.
    let admin = Client::new(&s.base);
    admin.login("owner", PASSWORD).await;
    admin.get("/console/roles").await;
    let mut clerk_caps: Vec<Capability> =
        Role::DataClerk.default_capabilities().into_iter().collect();
    clerk_caps.push(Capability::SettingsManage);
    admin
        .post("/console/roles/data_clerk", &caps_form(&clerk_caps))
        .await;
    let manager = Client::new(&s.base);
    manager.login("zhou.min", PASSWORD).await;
    let (_c, cookie) = {
        let c = Client::new(&s.base);
        c.login("lin.yan", PASSWORD).await;
        let v = c.cookie("patron_session").expect("cookie");
        (c, v)
    };
    manager.get(&format!("/console/staff/{clerk}")).await;
    let demote = manager
        .post(
            &format!("/console/staff/{clerk}"),
            &[
                ("display_name", "林燕"),
                ("email", "lin.yan@shop.example.cn"),
                ("role", "sales_associate"),
                ("store_id", &st.to_string()),
            ],
        )
        .await;
    assert_eq!(demote.status, 403, "no demoting a role above one's own");
    for action in ["reset-link", "sessions/end", "disable"] {
        assert_eq!(
            manager
                .post(&format!("/console/staff/{clerk}/{action}"), &[])
                .await
                .status,
            403,
            "{action}"
        );
    }
    let row = s
        .app
        .db()
        .get_staff(patron_store::Scope::Chain, clerk)
        .await
        .expect("row");
    assert_eq!(
        (row.role.as_str(), row.status.code()),
        ("data_clerk", "active")
    );
    let still = Client::new(&s.base);
    still.set_cookie("patron_session", &cookie);
    assert_eq!(
        still.get("/console").await.status,
        200,
        "sessions untouched"
    );
    // Nor invite anyone into such a role, nor into the admin role.
    manager.get("/console/staff/new").await;
    for role in ["data_clerk", "admin"] {
        let r = manager
            .post(
                "/console/staff",
                &[
                    ("username", "new.person"),
                    ("display_name", "新人"),
                    ("email", "new.person@shop.example.cn"),
                    ("role", role),
                    ("store_id", &st.to_string()),
                    ("mode", "invite"),
                ],
            )
            .await;
        assert_eq!(r.status, 403, "{role}");
    }
}
both!(nobody_manages_an_account_above_their_own);

async fn passwords_among_the_ten_thousand_likeliest_are_refused(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let st = store(&s.app, "S01").await;
    staff(&s.app, "li.na", "sales_associate", Some(st)).await;
    let c = Client::new(&s.base);
    c.login("li.na", PASSWORD).await;
    // Rank 7,174 of zxcvbn's leaked-password list; not on the 103 entries it replaced.
    c.get("/console/account").await;
    let r = c
        .post(
            "/console/account/password",
            &[("current_password", PASSWORD), ("password", "casablanca")],
        )
        .await;
    assert_eq!(r.status, 200);
    assert!(r.body.contains("这个密码太常见"), "{}", r.body);
    let staff_row = s
        .app
        .db()
        .staff_by_username("li.na")
        .await
        .expect("q")
        .expect("row");
    assert!(patron_app::credentials::verify_password(
        PASSWORD,
        staff_row.password_hash.as_deref()
    ));
}
both!(passwords_among_the_ten_thousand_likeliest_are_refused);
