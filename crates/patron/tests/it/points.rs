//! The points ledger on both backends: lots spent soonest-expiring first, pending and expired
//! points left alone, expiry as entries, the balance always the sum of the ledger, and
//! concurrent redemptions that never overdraw.

use crate::both;
use crate::harness::{Kind, open_app, store};
use jiff::{SignedDuration, Timestamp};
use patron_domain::membership::points::{PointsError, Take};
use patron_store::membership::points::{EntryKind, EntryNote, NewLot, PointsRefused};

pub(crate) async fn customer(app: &patron_app::App, store_id: i64, mobile: &str) -> i64 {
    let input = patron_domain::customers::CustomerInput {
        name: "积分会员".into(),
        mobile: mobile.into(),
        ..Default::default()
    };
    let options = patron_app::customers::CreateOptions {
        store_id: Some(store_id),
        ..Default::default()
    };
    app.create_customer(
        &patron_domain::Actor::cli("test"),
        patron_store::Scope::Chain,
        &input,
        &options,
    )
    .await
    .expect("create")
    .id
}

fn note(reason: &str, reference: &str) -> EntryNote {
    EntryNote {
        reason: reason.into(),
        reference: reference.into(),
        actor_name: "test".into(),
    }
}

fn days(n: i64) -> SignedDuration {
    SignedDuration::from_hours(24 * n)
}

async fn lots_spend_soonest_expiry_first(kind: Kind) {
    let Some((app, _clock, _dir)) = open_app(kind, |_| {}).await else {
        return;
    };
    let s = store(&app, "S01").await;
    let c = customer(&app, s, "13800000011").await;
    let now: Timestamp = "2027-03-01T02:00:00Z".parse().expect("time");
    let db = &app.db();
    let earn = |points, usable: Timestamp, expires: Option<Timestamp>, r: &'static str| {
        let lot = NewLot {
            points,
            usable_from: usable,
            expires_at: expires,
        };
        async move {
            db.earn_points(c, &lot, EntryKind::Earn, &note("消费积分", r), now)
                .await
                .expect("earn")
        }
    };
    let never = earn(100, now, None, "sale:1").await;
    let later = earn(50, now, Some(now + days(90)), "sale:2").await;
    let soon = earn(30, now, Some(now + days(10)), "sale:3").await;
    let pending = earn(40, now + days(7), Some(now + days(5)), "sale:4").await;
    assert_eq!(db.points_balance(c).await.expect("balance"), 220);

    let takes = db
        .redeem_points(c, 60, &note("兑换礼品", "reward:1"), now)
        .await
        .expect("redeem");
    assert_eq!(
        takes,
        [
            Take {
                lot_id: soon,
                points: 30
            },
            Take {
                lot_id: later,
                points: 30
            },
        ]
    );
    // 220 - 60 = 160 on the books, of which 40 are pending: 120 usable.
    match db
        .redeem_points(c, 121, &note("兑换礼品", "reward:2"), now)
        .await
    {
        Err(PointsRefused::Rule(PointsError::NotEnough { available, wanted })) => {
            assert_eq!((available, wanted), (120, 121))
        }
        other => panic!("expected not enough, got {other:?}"),
    }
    assert_eq!(
        db.points_balance(c).await.expect("balance"),
        160,
        "a refusal changes nothing"
    );

    // The pending lot expires before it ever became usable; the nightly job writes it off.
    assert_eq!(
        patron_app::jobs::run_once(&app, patron_app::jobs::Job::PointsExpiry, now + days(6))
            .await
            .expect("job"),
        "40 points expired"
    );
    assert_eq!(
        db.expire_points(now + days(6)).await.expect("again"),
        0,
        "once only"
    );
    let lots = db.points_lots(c).await.expect("lots");
    assert_eq!(
        lots.iter().map(|l| (l.id, l.remaining)).collect::<Vec<_>>(),
        [(later, 20), (never, 100)]
    );
    assert!(lots.iter().all(|l| l.id != pending));
    let entries = db.points_entries(c, 20).await.expect("entries");
    let kinds: Vec<(&str, i64, &str)> = entries
        .iter()
        .map(|e| (e.kind.code(), e.points, e.reason.as_str()))
        .collect();
    assert_eq!(
        kinds,
        [
            ("expire", -40, "expired"),
            ("redeem", -30, "兑换礼品"),
            ("redeem", -30, "兑换礼品"),
            ("earn", 40, "消费积分"),
            ("earn", 30, "消费积分"),
            ("earn", 50, "消费积分"),
            ("earn", 100, "消费积分"),
        ]
    );
    assert_eq!(db.points_balance(c).await.expect("balance"), 120);
    assert_eq!(db.points_mismatches().await.expect("check"), []);

    // The check finds a balance changed behind the ledger's back.
    sqlx::query("UPDATE points_accounts SET balance = balance + 7 WHERE customer_id = $1")
        .bind(c)
        .execute(db.pool())
        .await
        .expect("tamper");
    let bad = db.points_mismatches().await.expect("check");
    assert_eq!(
        bad.iter()
            .map(|m| (m.customer_id, m.balance, m.entries, m.lots))
            .collect::<Vec<_>>(),
        [(c, 127, 120, 120)]
    );
}
both!(lots_spend_soonest_expiry_first);

/// Many redemptions at once against one account: each succeeds whole or changes nothing,
/// and the balance never goes below zero.
async fn concurrent_redemptions_never_overdraw(kind: Kind) {
    let Some((app, _clock, _dir)) = open_app(kind, |_| {}).await else {
        return;
    };
    let s = store(&app, "S01").await;
    let c = customer(&app, s, "13800000012").await;
    let now: Timestamp = "2027-03-01T02:00:00Z".parse().expect("time");
    for (i, points) in [70, 80, 50].into_iter().enumerate() {
        let lot = NewLot {
            points,
            usable_from: now,
            expires_at: Some(now + days(30 * (i as i64 + 1))),
        };
        app.db()
            .earn_points(c, &lot, EntryKind::Earn, &note("消费积分", "sale"), now)
            .await
            .expect("earn");
    }
    let mut tasks = Vec::new();
    for i in 0..40 {
        let db = app.db().clone();
        tasks.push(tokio::spawn(async move {
            // Retry a lost race, as the checkout does; a lack of points is final.
            loop {
                match db
                    .redeem_points(c, 15, &note("兑换", &format!("r:{i}")), now)
                    .await
                {
                    Ok(_) => return true,
                    Err(PointsRefused::Raced) => continue,
                    Err(PointsRefused::Rule(PointsError::NotEnough { .. })) => return false,
                    Err(e) => panic!("{e}"),
                }
            }
        }));
    }
    let mut granted = 0;
    for t in tasks {
        if t.await.expect("task") {
            granted += 1;
        }
    }
    // 200 points pay for 13 redemptions of 15; 5 points stay.
    assert_eq!(granted, 13);
    assert_eq!(app.db().points_balance(c).await.expect("balance"), 5);
    assert_eq!(app.db().points_mismatches().await.expect("check"), []);
}
both!(concurrent_redemptions_never_overdraw);
