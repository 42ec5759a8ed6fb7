//! Saved segments: groups of conditions joined by "or" (products bought, the birthday month
//! on sealed birthdays, and every list condition), counted live within the viewer's scope,
//! checked field by field, and feeding coupons and a playbook's tasks.

use crate::both;
use crate::harness::{Client, Kind, PASSWORD, staff, start, store};
use crate::points::customer;
use patron_app::care::churn::PlaybookForm;
use patron_app::customers::segments::SegmentInput;
use patron_app::membership::coupons::TemplateInput;
use patron_store::Scope;

fn input(name: &str, groups: &[&str]) -> SegmentInput {
    SegmentInput {
        name: name.into(),
        store_id: None,
        groups: groups.iter().map(|g| g.to_string()).collect(),
    }
}

async fn segments_join_groups_and_feed_actions(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let s1 = store(app, "S1").await;
    let s2 = store(app, "S2").await;
    let tiles = customer(app, s1, "13700137001").await;
    let born_in_march = app
        .create_customer(
            &patron_domain::Actor::cli("test"),
            Scope::Chain,
            &patron_domain::customers::CustomerInput {
                name: "三月寿星".into(),
                mobile: "13700137002".into(),
                birthday: "1990-03-15".into(),
                ..Default::default()
            },
            &patron_app::customers::CreateOptions {
                store_id: Some(s1),
                ..Default::default()
            },
        )
        .await
        .expect("create")
        .id;
    let other = customer(app, s1, "13700137003").await;
    let tiles_elsewhere = customer(app, s2, "13700137004").await;
    let csv = "小票号,销售时间,门店,手机号,商品编码,商品名称,品类,数量,单价\n\
         Q1,2026-10-20 15:00,S1,13700137001,T1,瓷砖,tiles,2,300\n\
         Q2,2026-10-21 15:00,S1,13700137003,X9,杂项,misc,1,10\n\
         Q3,2026-10-22 15:00,S2,13700137004,T1,瓷砖,tiles,1,300\n";
    let r = app
        .import_sales(csv.as_bytes(), false, &|_| {})
        .await
        .expect("import");
    assert!(r.rejected.is_empty(), "{:?}", r.rejected);
    let owner_id = app
        .db()
        .staff_by_username("owner")
        .await
        .expect("query")
        .expect("owner")
        .id;
    let owner = crate::transfer::principal(app, owner_id).await;

    let id = app
        .save_segment(
            &owner,
            None,
            &input("瓷砖或三月生日", &["sku=T1", "birth_month=3", ""]),
        )
        .await
        .expect("save");
    let row = app.db().segment(Scope::Chain, id).await.expect("row");
    assert_eq!(
        app.segment_members(Scope::Chain, &row)
            .await
            .expect("members"),
        Some(vec![tiles, born_in_march, tiles_elsewhere]),
        "either group; {other} in neither"
    );
    assert_eq!(
        app.segment_members(Scope::Store(s1), &row)
            .await
            .expect("members"),
        Some(vec![tiles, born_in_march]),
        "a store sees its own customers"
    );
    // Each group is checked, and says which one is wrong.
    let bad = app
        .save_segment(&owner, None, &input("坏", &["sku=T1", "birth_month=13"]))
        .await
        .expect_err("month 13");
    let f = &bad.field_errors()[0];
    assert_eq!((f.field, f.key), ("group2", "error.segment.birth_month"));
    let empty = app
        .save_segment(&owner, None, &input("空", &["", ""]))
        .await
        .expect_err("no condition");
    assert_eq!(empty.field_errors()[0].key, "error.segment.empty");
    let taken = app
        .save_segment(&owner, None, &input("瓷砖或三月生日", &["tag=x"]))
        .await
        .expect_err("same name");
    assert_eq!(taken.field_errors()[0].key, "error.segment.name_taken");
    // A store manager sees the chain's segment but cannot change it; theirs is their store's.
    let manager_id = staff(app, "seg.manager", "store_manager", Some(s1)).await;
    let manager = crate::transfer::principal(app, manager_id).await;
    let denied = app
        .save_segment(&manager, Some(id), &input("改名", &["sku=T1"]))
        .await
        .expect_err("the chain's");
    assert!(
        matches!(denied, patron_app::AppError::Forbidden),
        "{denied:?}"
    );
    let own = app
        .save_segment(
            &manager,
            None,
            &SegmentInput {
                store_id: Some(s2),
                ..input("本店瓷砖", &["sku=T1"])
            },
        )
        .await
        .expect("own");
    assert_eq!(
        app.db()
            .segment(Scope::Chain, own)
            .await
            .expect("row")
            .store_id,
        Some(s1),
        "saved for the manager's store whatever was asked"
    );
    app.delete_segment(&manager, own).await.expect("delete own");

    // A playbook over the segment: a task each, once per cool-down however often it runs.
    let playbook = app
        .create_playbook(
            &patron_domain::Actor::system("test"),
            patron_store::Scope::Chain,
            &PlaybookForm {
                name: "瓷砖回访".into(),
                min_score: 0,
                make_task: true,
                control_percent: 0,
                cooldown_days: 30,
                segment_id: Some(id),
                ..Default::default()
            },
        )
        .await
        .expect("playbook");
    let actor = patron_domain::Actor::cli("test");
    let run = app
        .run_playbook(&actor, Scope::Chain, playbook)
        .await
        .expect("run");
    assert_eq!((run.reached, run.skipped), (3, 0));
    let again = app
        .run_playbook(&actor, Scope::Chain, playbook)
        .await
        .expect("rerun");
    assert_eq!((again.reached, again.skipped), (0, 3));
    let tasks: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM followup_tasks WHERE kind = 'winback' AND customer_id <> $1",
    )
    .bind(other)
    .fetch_one(app.db().pool())
    .await
    .expect("tasks");
    assert_eq!(tasks, 3);
    let in_use = app.delete_segment(&owner, id).await.expect_err("in use");
    assert_eq!(in_use.field_errors()[0].key, "error.segment.in_use");

    // The console: the list with live counts, the builder, a field error, and the segment
    // offered to the coupon form.
    let c = Client::new(&s.base);
    c.login("owner", PASSWORD).await;
    let list = c.get("/console/segments").await;
    assert_eq!(list.status, 200);
    assert!(list.body.contains("瓷砖或三月生日"));
    assert!(
        list.body.contains("<td class=\"count\">3</td>"),
        "{}",
        list.body
    );
    assert!(!list.body.contains("[missing"));
    let wrong = c
        .post(
            "/console/segments",
            &[("name", "十三月"), ("g1_birth_month", "13")],
        )
        .await;
    assert_eq!(wrong.status, 200);
    assert!(
        wrong.body.contains("生日月份须在 1 到 12 之间"),
        "{}",
        wrong.body
    );
    assert!(
        wrong.body.contains("value=\"十三月\""),
        "the form keeps what was typed"
    );
    let saved = c
        .post(
            "/console/segments",
            &[("name", "只买瓷砖"), ("g1_sku", "T1"), ("g2_sku", "")],
        )
        .await;
    assert_eq!(saved.status, 303);
    assert!(saved.location.contains("segment_saved"));
    let page = c.get(&saved.location).await;
    assert!(
        page.body.contains("id=\"member-count\">2<"),
        "{}",
        page.body
    );
    let only_tiles = app
        .db()
        .segments(Scope::Chain)
        .await
        .expect("segments")
        .into_iter()
        .find(|s| s.name == "只买瓷砖")
        .expect("saved")
        .id;
    let template = app
        .create_coupon_template(
            &patron_domain::Actor::system("test"),
            patron_store::Scope::Chain,
            &TemplateInput {
                name: "瓷砖券".into(),
                amount_fen: Some(1_000),
                valid_days: 30,
                ..Default::default()
            },
        )
        .await
        .expect("template");
    let coupons = c.get("/console/coupons").await;
    assert!(coupons.body.contains(&format!("segment:{only_tiles}")));
    let issued = c
        .post(
            "/console/coupons/issue",
            &[
                ("template_id", &template.to_string()),
                ("view_id", &format!("segment:{only_tiles}")),
                ("reason", "瓷砖回馈"),
            ],
        )
        .await;
    assert_eq!(issued.status, 303, "{}", issued.body);
    for (who, n) in [
        (tiles, 1),
        (tiles_elsewhere, 1),
        (born_in_march, 0),
        (other, 0),
    ] {
        assert_eq!(app.usable_coupons(who).await.expect("coupons").len(), n);
    }
    s.shutdown().await;
}
both!(segments_join_groups_and_feed_actions);
