//! The directory of store and staff names the pages read: a change made through this server
//! shows at once; a change made by another server on the same database shows within 30 s.

use crate::both;
use crate::harness::{Kind, open_app, store};
use jiff::SignedDuration;
use patron_app::App;
use patron_domain::Scope;
use patron_store::{ConnectOptions, Db};

async fn other_server(app: &App) -> App {
    let db = Db::connect(&ConnectOptions::new(app.config().database_url()))
        .await
        .expect("connect");
    App::new(
        db,
        app.clock().clone(),
        app.config().clone(),
        app.keys().clone(),
    )
}

fn codes(app_dir: &patron_app::directory::Directory, scope: Scope) -> Vec<String> {
    app_dir.stores(scope).map(|s| s.code.clone()).collect()
}

async fn names_follow_changes(kind: Kind) {
    let Some((a, clock, _dir)) = open_app(kind, |_| {}).await else {
        return;
    };
    let b = other_server(&a).await;
    let s1 = store(&a, "S01").await;
    assert_eq!(
        codes(&a.directory().await.expect("dir"), Scope::Chain),
        ["S01"]
    );
    assert_eq!(
        codes(&b.directory().await.expect("dir"), Scope::Chain),
        ["S01"]
    );

    // A second store made on server A: A sees it at once, B only once its copy is 30 s old.
    let s2 = store(&a, "S02").await;
    assert_eq!(
        codes(&a.directory().await.expect("dir"), Scope::Chain),
        ["S01", "S02"]
    );
    assert_eq!(
        codes(&b.directory().await.expect("dir"), Scope::Chain),
        ["S01"]
    );
    clock.advance(SignedDuration::from_secs(29));
    assert_eq!(
        codes(&b.directory().await.expect("dir"), Scope::Chain),
        ["S01"]
    );
    clock.advance(SignedDuration::from_secs(2));
    assert_eq!(
        codes(&b.directory().await.expect("dir"), Scope::Chain),
        ["S01", "S02"]
    );

    // A store-bound scope sees its own store only; the names answer by id.
    let d = a.directory().await.expect("dir");
    assert_eq!(codes(&d, Scope::Store(s2)), ["S02"]);
    assert_eq!(d.store_name(s1), Some("测试门店S01"));
    assert_eq!(d.store_name(s2 + 100), None);
}
both!(names_follow_changes);
