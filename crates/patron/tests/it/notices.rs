//! Advance notices and birthday gifts on both backends: who is told (points, card, coupons
//! and tier review due within the notice window; members only), how (e-mail with the service
//! consent, else listed for staff), once per occasion however often and wherever the job
//! runs, and the tier's birthday gift given once a year.

use crate::both;
use crate::harness::{Kind, start, store};
use jiff::{SignedDuration, Timestamp};
use patron_app::App;
use patron_app::jobs::Job;
use patron_app::membership::coupons::TemplateInput;
use patron_domain::Actor;
use patron_domain::customers::{ConsentChannel, ConsentPurpose, CustomerInput};
use patron_store::Scope;
use patron_store::membership::points::{EntryKind, EntryNote, NewLot};

pub(crate) async fn member(
    app: &App,
    store_id: i64,
    mobile: &str,
    email: &str,
    birthday: &str,
) -> i64 {
    let input = CustomerInput {
        name: "提醒会员".into(),
        mobile: mobile.into(),
        email: email.into(),
        birthday: birthday.into(),
        ..Default::default()
    };
    let options = patron_app::customers::CreateOptions {
        store_id: Some(store_id),
        ..Default::default()
    };
    let id = app
        .create_customer(&Actor::cli("test"), Scope::Chain, &input, &options)
        .await
        .expect("create")
        .id;
    if !email.is_empty() {
        app.set_consents(
            &Actor::cli("test"),
            Scope::Chain,
            id,
            &[(ConsentPurpose::Service, true)],
            ConsentChannel::Counter,
        )
        .await
        .expect("consent");
    }
    id
}

pub(crate) async fn points_expiring(app: &App, customer_id: i64, points: i64, in_days: i64) {
    let lot = NewLot {
        points,
        usable_from: app.now(),
        expires_at: Some(app.now() + SignedDuration::from_hours(24 * in_days)),
    };
    let note = EntryNote {
        reason: "test".into(),
        reference: String::new(),
        actor_name: "test".into(),
    };
    app.db()
        .earn_points(customer_id, &lot, EntryKind::Adjust, &note, app.now())
        .await
        .expect("earn");
}

async fn at_tier(app: &App, customer_id: i64, tier: &str, since: Timestamp) {
    sqlx::query(
        "INSERT INTO memberships (customer_id, tier_code, tier_since_ms, updated_at) \
         VALUES ($1, $2, $3, $3)",
    )
    .bind(customer_id)
    .bind(tier)
    .bind(since.as_millisecond())
    .execute(app.db().pool())
    .await
    .expect("membership");
}

async fn outbox_purposes(app: &App) -> Vec<String> {
    let mut p: Vec<String> = app
        .db()
        .list_outbox("", 100)
        .await
        .expect("outbox")
        .into_iter()
        .map(|r| r.purpose)
        .collect();
    p.sort();
    p
}

async fn members_are_told_once_before_things_run_out(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let s1 = store(app, "S1").await;
    let mut programme = app.loyalty().await.expect("programme").settings.clone();
    programme.card_valid_months = 1;
    programme.notice_days = 30;
    app.save_loyalty(&Actor::cli("test"), programme)
        .await
        .expect("save");

    let reachable = member(app, s1, "13100131001", "a@example.cn", "").await;
    let unreachable = member(app, s1, "13100131002", "", "").await;
    let later = member(app, s1, "13100131003", "c@example.cn", "").await;
    let left = member(app, s1, "13100131004", "d@example.cn", "").await;
    points_expiring(app, reachable, 300, 20).await;
    points_expiring(app, reachable, 50, 25).await;
    points_expiring(app, unreachable, 80, 15).await;
    points_expiring(app, later, 500, 60).await;
    points_expiring(app, left, 90, 15).await;
    app.end_membership(&Actor::cli("test"), Scope::Chain, left, "搬家")
        .await
        .expect("end");
    app.issue_card(&Actor::cli("test"), Scope::Chain, reachable)
        .await
        .expect("card");
    let template = app
        .create_coupon_template(
            &patron_domain::Actor::system("test"),
            patron_store::Scope::Chain,
            &TemplateInput {
                name: "半月券".into(),
                amount_fen: Some(1_000),
                valid_days: 15,
                ..Default::default()
            },
        )
        .await
        .expect("template");
    app.issue_coupons(
        &Actor::cli("test"),
        Scope::Chain,
        template,
        &[reachable],
        "测试",
    )
    .await
    .expect("coupon");
    // A gold member whose yearly review is 10 days away, with no spend to keep the tier.
    let slipping = member(app, s1, "13100131005", "", "").await;
    at_tier(
        app,
        slipping,
        "gold",
        app.now() - SignedDuration::from_hours(24 * 345),
    )
    .await;

    // Ten days on: the card (valid one month) is now within the window too.
    s.clock.advance(SignedDuration::from_hours(24 * 10));
    let now = app.now();
    let report = app.send_member_notices(now).await.expect("notices");
    assert_eq!(report.points, (1, 1), "one e-mailed, one to call");
    assert_eq!(report.cards, (1, 0));
    assert_eq!(report.coupons, (1, 0));
    assert_eq!(report.tiers, (0, 1));
    assert_eq!(
        outbox_purposes(app).await,
        ["card_expiry", "coupon_expiry", "points_expiry"]
    );
    let mail = app.outbox_letters("", 100).await.expect("outbox");
    let points_mail = mail
        .iter()
        .find(|m| m.purpose == "points_expiry")
        .expect("points mail");
    assert_eq!(points_mail.recipient, "a@example.cn");
    assert!(
        points_mail.body.contains("350 积分"),
        "both lots: {}",
        points_mail.body
    );

    // Again, and from two servers at once: nobody is told twice.
    let (a, b) = tokio::join!(app.send_member_notices(now), app.send_member_notices(now));
    let (a, b) = (a.expect("a"), b.expect("b"));
    assert_eq!((a.points, a.cards, a.coupons, a.tiers), Default::default());
    assert_eq!((b.points, b.cards, b.coupons, b.tiers), Default::default());
    assert_eq!(app.outbox_letters("", 100).await.expect("outbox").len(), 3);
    let staff_sees = app.db().notices_of(unreachable).await.expect("notices");
    assert_eq!(staff_sees.len(), 1);
    assert_eq!(staff_sees[0].status.code(), "no_channel");
    assert!(app.db().notices_of(later).await.expect("n").is_empty());
    assert!(app.db().notices_of(left).await.expect("n").is_empty());

    // Forty more days: the later member's points are now due, a new occasion.
    s.clock.advance(SignedDuration::from_hours(24 * 40));
    let summary = patron_app::jobs::run_once(app, Job::MemberNotices, app.now())
        .await
        .expect("job");
    assert!(summary.starts_with("notices: 1 points"), "{summary}");
    s.shutdown().await;
}
both!(members_are_told_once_before_things_run_out);

async fn birthday_gifts_follow_the_tier_once_a_year(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let s1 = store(app, "S1").await;
    let template = app
        .create_coupon_template(
            &patron_domain::Actor::system("test"),
            patron_store::Scope::Chain,
            &TemplateInput {
                name: "生日券".into(),
                amount_fen: Some(2_000),
                valid_days: 30,
                ..Default::default()
            },
        )
        .await
        .expect("template");
    let mut programme = app.loyalty().await.expect("programme").settings.clone();
    let gold = programme
        .tiers
        .iter_mut()
        .find(|t| t.code == "gold")
        .expect("gold tier");
    gold.birthday_points = 200;
    gold.birthday_coupon_template = Some(template);
    gold.free_services = "免费上门测量".into();
    app.save_loyalty(&Actor::cli("test"), programme)
        .await
        .expect("save");

    let tz = app.config().timezone();
    let today = tz.to_datetime(app.now()).date();
    let born_today = format!("1990-{:02}-{:02}", today.month(), today.day());
    let tomorrow = today.tomorrow().expect("tomorrow");
    let born_tomorrow = format!("1991-{:02}-{:02}", tomorrow.month(), tomorrow.day());
    let gold_today = member(app, s1, "13100132001", "", &born_today).await;
    let gold_tomorrow = member(app, s1, "13100132002", "", &born_tomorrow).await;
    let standard_today = member(app, s1, "13100132003", "", &born_today).await;
    for m in [gold_today, gold_tomorrow] {
        at_tier(app, m, "gold", app.now()).await;
    }

    assert_eq!(app.grant_birthday_gifts(app.now()).await.expect("gifts"), 1);
    assert_eq!(app.db().points_balance(gold_today).await.expect("b"), 200);
    assert_eq!(app.usable_coupons(gold_today).await.expect("c").len(), 1);
    assert_eq!(app.db().points_balance(gold_tomorrow).await.expect("b"), 0);
    assert_eq!(app.db().points_balance(standard_today).await.expect("b"), 0);
    // Later the same day, and twice at once: still one gift.
    let (a, b) = tokio::join!(
        app.grant_birthday_gifts(app.now()),
        app.grant_birthday_gifts(app.now())
    );
    assert_eq!(a.expect("a") + b.expect("b"), 0);
    assert_eq!(app.db().points_balance(gold_today).await.expect("b"), 200);
    // Tomorrow it is the other member's turn.
    s.clock.advance(SignedDuration::from_hours(24));
    assert_eq!(app.grant_birthday_gifts(app.now()).await.expect("gifts"), 1);
    assert_eq!(
        app.db().points_balance(gold_tomorrow).await.expect("b"),
        200
    );
    let view = app.membership_of(gold_today).await.expect("view");
    assert_eq!(view.free_services, "免费上门测量");
    assert!(view.notices.iter().any(|n| n.status.code() == "granted"));
    assert_eq!(app.db().points_mismatches().await.expect("ledger"), vec![]);
    s.shutdown().await;
}
both!(birthday_gifts_follow_the_tier_once_a_year);
