//! WeChat Official Account reach: an openid bound over the API (checked, and sealed at rest)
//! is where template messages go.

use crate::both;
use crate::harness::{Kind, api, start, store, token_for};
use crate::messages::{customer, row};
use patron_app::messages::TemplateForm;
use patron_app::outbox::template::Vars;
use patron_domain::Actor;
use patron_domain::customers::ConsentPurpose;
use patron_store::Scope;

async fn wechat_openids_are_bound_by_api_and_used(kind: Kind) {
    let Some(s) = start(kind, |c| {
        c.wechat.app_id = "wx-app".into();
        c.wechat.app_secret = "wx-secret".into();
    })
    .await
    else {
        return;
    };
    let app = &s.app;
    let st = store(app, "S1").await;
    let id = customer(app, st, "13900139007", "", &[ConsentPurpose::Wechat]).await;
    app.save_message_template(
        &Actor::cli("test"),
        patron_store::Scope::Chain,
        &TemplateForm {
            name: "care".into(),
            channel: "wechat".into(),
            language: "zh-CN".into(),
            marketing: true,
            body: "{{ name }}，您的积分 {{ points }}".into(),
            provider_template: "TPL-1".into(),
            ..Default::default()
        },
    )
    .await
    .expect("template");
    let none: Vars = Vars::new();
    assert_eq!(
        app.queue_template(Scope::Chain, id, "care", &none, None)
            .await
            .expect("q"),
        None,
        "no openid yet"
    );
    let token = token_for(app, "owner").await;
    let path = format!("/api/v1/customers/{id}/wechat");
    let (status, body, _) = api(
        &s.base,
        "PUT",
        &path,
        Some(&token),
        Some(serde_json::json!({"openid": "bad openid!"})),
    )
    .await;
    assert_eq!(status, 422);
    assert_eq!(body["field"], "openid", "{body}");
    let (status, _, _) = api(
        &s.base,
        "PUT",
        &path,
        Some(&token),
        Some(serde_json::json!({"openid": "oAbC_123-x"})),
    )
    .await;
    assert_eq!(status, 204);
    let (out, ch) = app
        .queue_template(Scope::Chain, id, "care", &none, None)
        .await
        .expect("q")
        .expect("reachable");
    assert_eq!(ch.as_str(), "wechat");
    let r = row(app, out).await;
    assert_eq!(r.recipient, "oAbC_123-x");
    let payload: serde_json::Value =
        serde_json::from_str(r.payload.as_deref().expect("p")).expect("json");
    assert_eq!(
        payload["params"],
        serde_json::json!([["name", "王芳"], ["points", "0"]])
    );
    // The openid is sealed at rest.
    let stored: Option<String> =
        sqlx::query_scalar("SELECT wechat_openid_enc FROM customers WHERE id = $1")
            .bind(id)
            .fetch_one(app.db().pool())
            .await
            .expect("q");
    assert!(!stored.expect("sealed").contains("oAbC"));
}
both!(wechat_openids_are_bound_by_api_and_used);
