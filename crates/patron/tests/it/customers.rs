//! Customer files over the API: create with validation, masking by role, archive numbers,
//! search by pinyin, phone and archive number, partial updates, consents, interactions and
//! the timeline, the till's lookup, store scoping, and key rotation (merging duplicates:
//! `customer_merge.rs`).

use crate::both;
use crate::harness::{Kind, api, audit, staff, start, store, token_for};
use serde_json::json;

pub(crate) async fn create(
    base: &str,
    token: &str,
    body: serde_json::Value,
) -> (u16, serde_json::Value) {
    let (status, b, _) = api(base, "POST", "/api/v1/customers", Some(token), Some(body)).await;
    (status, b)
}

async fn customer_files_over_the_api(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let s1 = store(&s.app, "S01").await;
    let s2 = store(&s.app, "S02").await;
    staff(&s.app, "boss", "admin", None).await;
    let clerk_id = staff(&s.app, "li.na", "sales_associate", Some(s1)).await;
    staff(&s.app, "he.xue", "sales_associate", Some(s2)).await;
    let admin = token_for(&s.app, "boss").await;
    let clerk = token_for(&s.app, "li.na").await;
    let other_clerk = token_for(&s.app, "he.xue").await;

    // Minimum: a name and a phone; the clerk's store is the home store; numbers run per store.
    let (st, a) = create(
        &s.base,
        &clerk,
        json!({"name": "张三", "mobile": "+86 138-0013-8000"}),
    )
    .await;
    assert_eq!(st, 201, "{a}");
    assert_eq!(a["archive_no"], "S01-000001");
    let zhang = a["id"].as_i64().expect("id");
    let (st, b) = create(
        &s.base,
        &clerk,
        json!({"name": "李四", "mobile": "１３９００１３９０００"}),
    )
    .await;
    assert_eq!(
        (st, b["archive_no"].as_str()),
        (201, Some("S01-000002")),
        "{b}"
    );
    let (st, c) = create(
        &s.base,
        &admin,
        json!({"name": "王五", "mobile": "13700137000", "store_id": s2}),
    )
    .await;
    assert_eq!(
        (st, c["archive_no"].as_str()),
        (201, Some("S02-000001")),
        "{c}"
    );
    let wang = c["id"].as_i64().expect("id");

    // Every bad field at once, each with its reason in the caller's language.
    let (st, e) = create(
        &s.base,
        &clerk,
        json!({"name": "", "mobile": "12345", "email": "nope", "birthday": "2030-01-01"}),
    )
    .await;
    assert_eq!(st, 422);
    let fields: Vec<&str> = e["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .filter_map(|x| x["field"].as_str())
        .collect();
    assert_eq!(fields, ["name", "birthday", "mobile", "email"]);
    assert!(
        e["errors"][0]["message"]
            .as_str()
            .unwrap_or("")
            .contains("姓名"),
        "{e}"
    );
    // The same mobile twice is refused; an ID number needs its own consent.
    let (st, e) = create(
        &s.base,
        &clerk,
        json!({"name": "张三丰", "mobile": "13800138000"}),
    )
    .await;
    assert_eq!((st, e["field"].as_str()), (409, Some("mobile")), "{e}");
    let (st, e) = create(
        &s.base,
        &clerk,
        json!({"name": "赵六", "mobile": "13600136000", "id_number": "11010519491231002X"}),
    )
    .await;
    assert_eq!((st, e["field"].as_str()), (422, Some("id_number")), "{e}");
    let (st, zhao) = create(
        &s.base,
        &clerk,
        json!({"name": "赵六", "mobile": "13600136000", "id_number": "11010519491231002x",
               "consents": ["service", "id_number"], "addresses": ["上海市徐汇区漕溪北路 88 号"],
               "tags": ["VIP", "装修中"], "owner_staff_id": clerk_id}),
    )
    .await;
    assert_eq!(st, 201, "{zhao}");
    let zhao = zhao["id"].as_i64().expect("id");

    // Masked for a sales associate, whole for the admin; birthday and gender come from the ID.
    let (st, m, _) = api(
        &s.base,
        "GET",
        &format!("/api/v1/customers/{zhao}"),
        Some(&clerk),
        None,
    )
    .await;
    assert_eq!(st, 200);
    assert_eq!(m["mobile"], "136****6000");
    assert_eq!(m["id_number"], "110105**********002X");
    assert_eq!(m["birthday"], "1949-**-**");
    assert_eq!(m["gender"], "female");
    assert_eq!(m["masked"], true);
    assert!(m["addresses"][0].as_str().unwrap_or("").ends_with("****"));
    let (_, full, _) = api(
        &s.base,
        "GET",
        &format!("/api/v1/customers/{zhao}?reveal=true&reason=check"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(full["mobile"], "+8613600136000");
    assert_eq!(full["id_number"], "11010519491231002X");
    assert_eq!(full["birthday"], "1949-12-31");
    assert_eq!(full["tags"], json!(["VIP", "装修中"]));
    assert_eq!(full["owner_staff_id"], clerk_id);
    let views = audit(&s.app, "customer.view", "").await;
    assert!(
        views
            .iter()
            .any(|r| r.target_id.as_deref() == Some(&zhao.to_string()))
    );

    // Search: initials, full pinyin, hanzi, full phone, last four, archive number, tag.
    let find = |q: &'static str| {
        let base = s.base.clone();
        let admin = admin.clone();
        async move {
            let (st, r, _) = api(
                &base,
                "GET",
                &format!("/api/v1/customers?q={}", urlencode(q)),
                Some(&admin),
                None,
            )
            .await;
            assert_eq!(st, 200, "{r}");
            r["customers"]
                .as_array()
                .expect("list")
                .iter()
                .map(|c| c["name"].as_str().unwrap_or("").to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(find("zs").await, ["张三"]);
    assert_eq!(find("zhangs").await, ["张三"]);
    assert_eq!(find("张").await, ["张三"]);
    assert_eq!(find("138 0013 8000").await, ["张三"]);
    assert_eq!(find("9000").await, ["李四"]);
    assert_eq!(find("S02-0000").await, ["王五"]);
    assert_eq!(find("11010519491231002X").await, ["赵六"]);
    let (_, tagged, _) = api(
        &s.base,
        "GET",
        "/api/v1/customers?tag=VIP",
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(tagged["total"], 1);
    // A name search is scoped too (it is answered from the key index).
    let (_, mine, _) = api(
        &s.base,
        "GET",
        "/api/v1/customers?q=zs",
        Some(&other_clerk),
        None,
    )
    .await;
    assert_eq!(mine["total"], 0, "{mine}");
    let (_, mine, _) = api(
        &s.base,
        "GET",
        "/api/v1/customers?q=ww",
        Some(&other_clerk),
        None,
    )
    .await;
    assert_eq!(mine["customers"][0]["name"], "王五", "{mine}");
    let (_, s1_only, _) = api(
        &s.base,
        "GET",
        &format!("/api/v1/customers?q=w&store={s1}"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(s1_only["total"], 0, "王五 is in S02: {s1_only}");
    // Scoping: a clerk of S02 does not see S01's customers, in lists or by id.
    let (_, theirs, _) = api(
        &s.base,
        "GET",
        "/api/v1/customers",
        Some(&other_clerk),
        None,
    )
    .await;
    assert_eq!(theirs["total"], 1, "{theirs}");
    let (st, _, _) = api(
        &s.base,
        "GET",
        &format!("/api/v1/customers/{zhang}"),
        Some(&other_clerk),
        None,
    )
    .await;
    assert_eq!(st, 404);
    let (st, _, _) = api(
        &s.base,
        "PATCH",
        &format!("/api/v1/customers/{zhang}"),
        Some(&other_clerk),
        Some(json!({"name": "x"})),
    )
    .await;
    assert_eq!(st, 404);

    // A partial update keeps what it does not name; the audit names fields, never values.
    let (st, p, _) = api(
        &s.base,
        "PATCH",
        &format!("/api/v1/customers/{zhang}"),
        Some(&admin),
        Some(json!({"email": "Zhang.San@QQ.com", "profile": {"hobbies": "钓鱼", "preferred_channel": "wechat"}})),
    )
    .await;
    assert_eq!(st, 200, "{p}");
    assert_eq!(p["masked"], true, "the answer to an edit is masked");
    let (_, p, _) = api(
        &s.base,
        "GET",
        &format!("/api/v1/customers/{zhang}?reveal=true&reason=check"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(p["email"], "Zhang.San@qq.com");
    assert_eq!(p["mobile"], "+8613800138000");
    assert_eq!(p["profile"]["hobbies"], "钓鱼");
    let upd = audit(&s.app, "customer.update", "").await;
    assert_eq!(upd[0].detail, "email,profile");

    // Consents: granting and withdrawing are one call each; both land on the timeline.
    let path = format!("/api/v1/customers/{zhang}/consents");
    let (st, _, _) = api(
        &s.base,
        "POST",
        &path,
        Some(&clerk),
        Some(json!({"grant": ["marketing_sms"], "channel": "counter"})),
    )
    .await;
    assert_eq!(st, 204);
    let (st, _, _) = api(
        &s.base,
        "POST",
        &path,
        Some(&clerk),
        Some(json!({"withdraw": ["marketing_sms"]})),
    )
    .await;
    assert_eq!(st, 204);
    let state = s.app.consents_of(zhang).await.expect("state");
    assert!(state.iter().all(|(_, granted, _)| !granted), "withdrawn");
    let (st, i, _) = api(
        &s.base,
        "POST",
        &format!("/api/v1/customers/{zhang}/interactions"),
        Some(&clerk),
        Some(json!({"kind": "call", "channel": "phone", "outcome": "约好周六到店", "note": "想看卫浴套装"})),
    )
    .await;
    assert_eq!(st, 201, "{i}");
    let timeline = s.app.timeline(zhang, 20).await.expect("timeline");
    let kinds: Vec<&str> = timeline.iter().map(|t| t.kind).collect();
    assert_eq!(kinds.iter().filter(|k| **k == "consent").count(), 2);
    assert!(timeline.iter().any(|t| t.note == "想看卫浴套装"));

    // The till finds a member by phone, chain-wide, with a masked number only.
    let till = s
        .app
        .create_api_key(None, s1, "收银台 1", None)
        .await
        .expect("key");
    let (st, m, _) = api(
        &s.base,
        "GET",
        "/api/v1/members/lookup?phone=137%200013%207000",
        Some(&till),
        None,
    )
    .await;
    assert_eq!(st, 200, "{m}");
    assert_eq!(
        (m["id"].as_i64(), m["masked_mobile"].as_str()),
        (Some(wang), Some("137****7000"))
    );
    let (st, _, _) = api(
        &s.base,
        "GET",
        "/api/v1/members/lookup?phone=13511112222",
        Some(&till),
        None,
    )
    .await;
    assert_eq!(st, 404);
    let (st, _, _) = api(
        &s.base,
        "GET",
        "/api/v1/members/lookup?phone=13700137000",
        Some(&clerk),
        None,
    )
    .await;
    assert_eq!(st, 401, "tills only");
    assert!(!audit(&s.app, "customer.lookup", "").await.is_empty());

    // Admin-defined fields: values are checked against their type; unknown keys are refused.
    let cli = patron_domain::Actor::cli("test");
    s.app
        .create_custom_field(&cli, "house_area", "房屋面积", "number", "", false)
        .await
        .expect("field");
    s.app
        .create_custom_field(&cli, "style", "装修风格", "choice", "现代|中式|北欧", false)
        .await
        .expect("field");
    assert!(
        s.app
            .create_custom_field(&cli, "x", "太短", "text", "", false)
            .await
            .is_err()
    );
    assert!(
        s.app
            .create_custom_field(&cli, "one_choice", "只有一个", "choice", "现代", false)
            .await
            .is_err()
    );
    let with = |custom: serde_json::Value| json!({"name": "孙九", "mobile": "13500135000", "profile": {"custom": custom}});
    let (st, e) = create(&s.base, &clerk, with(json!({"house_area": "很大"}))).await;
    assert_eq!((st, e["field"].as_str()), (422, Some("custom")), "{e}");
    let (st, e) = create(&s.base, &clerk, with(json!({"style": "欧式"}))).await;
    assert_eq!(st, 422, "{e}");
    let (st, e) = create(&s.base, &clerk, with(json!({"unknown": "1"}))).await;
    assert_eq!(st, 422, "{e}");
    let (st, ok) = create(
        &s.base,
        &clerk,
        with(json!({"house_area": "128.5", "style": "中式"})),
    )
    .await;
    assert_eq!(st, 201, "{ok}");
    let (_, m, _) = api(
        &s.base,
        "GET",
        &format!("/api/v1/customers/{}", ok["id"]),
        Some(&clerk),
        None,
    )
    .await;
    assert_eq!(m["profile"]["custom"]["style"], "中式");
}
both!(customer_files_over_the_api);

fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn rotating_keys_re_encrypts_everything(kind: Kind) {
    let Some((app, _clock, _dir)) = crate::harness::open_app(kind, |_| {}).await else {
        return;
    };
    let s1 = store(&app, "S01").await;
    let actor = patron_domain::Actor::cli("test");
    let mut ids = Vec::new();
    for (name, mobile) in [("甲", "13800000001"), ("乙", "13800000002")] {
        let input = patron_domain::customers::CustomerInput {
            name: name.into(),
            mobile: mobile.into(),
            email: format!("{mobile}@qq.com"),
            ..Default::default()
        };
        let options = patron_app::customers::CreateOptions {
            store_id: Some(s1),
            ..Default::default()
        };
        let c = app
            .create_customer(&actor, patron_store::Scope::Chain, &input, &options)
            .await
            .expect("create");
        let note = patron_app::customers::InteractionInput {
            kind: "note".into(),
            note: "旧钥匙下的备注".into(),
            ..Default::default()
        };
        app.add_interaction(&actor, patron_store::Scope::Chain, c.id, None, &note)
            .await
            .expect("note");
        ids.push(c.id);
    }
    assert_eq!(app.keys().rotate(), Ok(2));
    let r = app.reseal_all().await.expect("reseal");
    assert_eq!((r.done, r.skipped), (4, 0), "two customers and two notes");
    for r in app.db().customers_after(0, 10).await.expect("rows") {
        let blob = data_encoding::BASE64
            .decode(r.mobile_enc.as_deref().expect("sealed").as_bytes())
            .expect("b64");
        assert_eq!(patron_app::keyring::Keyring::version_of(&blob), Some(2));
    }
    let c = app
        .view_customer(&actor, patron_store::Scope::Chain, ids[0])
        .await
        .expect("still readable");
    assert_eq!(c.email.as_deref(), Some("13800000001@qq.com"));
    let timeline = app.timeline(ids[0], 5).await.expect("timeline");
    assert_eq!(timeline[0].note, "旧钥匙下的备注");
    assert_eq!(
        app.reseal_all().await.expect("again"),
        patron_app::reseal::Resealed::default(),
        "nothing left"
    );
}
both!(rotating_keys_re_encrypts_everything);

/// Whole values over the API only for `reveal=true` with a reason, from a role that may
/// reveal, each such read audited with the ids returned (never the values); pages of at most
/// 100; and a per-token limit on customer reads answered 429 with Retry-After.
async fn api_reads_reveal_per_request_with_a_reason(kind: Kind) {
    let Some(s) = start(kind, |c| c.customers.api_reads_per_minute = 12).await else {
        return;
    };
    let s1 = store(&s.app, "S01").await;
    staff(&s.app, "boss", "admin", None).await;
    staff(&s.app, "li.na", "sales_associate", Some(s1)).await;
    let admin = token_for(&s.app, "boss").await;
    let clerk = token_for(&s.app, "li.na").await;
    let (st, a) = create(
        &s.base,
        &admin,
        json!({"store_id": s1, "name": "张三", "mobile": "13800138000"}),
    )
    .await;
    assert_eq!(st, 201, "{a}");
    let zhang = a["id"].as_i64().expect("id");
    let get = |path: String, token: String| {
        let base = s.base.clone();
        async move {
            let (st, b, _) = api(&base, "GET", &path, Some(&token), None).await;
            (st, b)
        }
    };
    let admin_s = admin.to_string();

    // Without reveal even the admin gets masked values (reads 1 and 2).
    let (st, list) = get("/api/v1/customers".into(), admin_s.clone()).await;
    assert_eq!(st, 200, "{list}");
    assert_eq!(list["customers"][0]["mobile"], "138****8000");
    assert_eq!(list["customers"][0]["masked"], true);
    let (_, one) = get(format!("/api/v1/customers/{zhang}"), admin_s.clone()).await;
    assert_eq!(
        (one["mobile"].as_str(), one["masked"].as_bool()),
        (Some("138****8000"), Some(true))
    );
    // A reveal needs a reason (3, 4) and the capability.
    for path in [
        "/api/v1/customers?reveal=true".to_string(),
        format!(
            "/api/v1/customers/{zhang}?reveal=true&reason={}",
            "x".repeat(201)
        ),
    ] {
        let (st, e) = get(path, admin_s.clone()).await;
        assert_eq!((st, e["field"].as_str()), (422, Some("reason")), "{e}");
    }
    let (st, _) = get(
        "/api/v1/customers?reveal=true&reason=callback".into(),
        clerk.clone(),
    )
    .await;
    assert_eq!(st, 403, "a role without reveal cannot ask for whole values");
    assert!(audit(&s.app, "customer.reveal", "").await.is_empty());
    // With both: whole values, audited with the ids returned and never the values (5, 6).
    let (st, whole) = get(
        "/api/v1/customers?reveal=true&reason=callback%20list".into(),
        admin_s.clone(),
    )
    .await;
    assert_eq!(st, 200, "{whole}");
    assert_eq!(whole["customers"][0]["mobile"], "+8613800138000");
    assert_eq!(whole["customers"][0]["masked"], false);
    let rows = audit(&s.app, "customer.reveal_list", "").await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].detail, format!("reason=callback list; ids={zhang}"));
    let (_, one) = get(
        format!("/api/v1/customers/{zhang}?reveal=true&reason=callback"),
        admin_s.clone(),
    )
    .await;
    assert_eq!(one["mobile"], "+8613800138000");
    let rows = audit(&s.app, "customer.reveal", "").await;
    assert!(
        rows.iter()
            .any(|r| r.action == "customer.reveal"
                && r.target_id.as_deref() == Some(&zhang.to_string())),
        "{rows:?}"
    );
    assert!(rows.iter().all(|r| !r.detail.contains("13800138000")));
    // Pages: more than 100 is refused naming the field (7); 100 is fine (8).
    let (st, e) = get("/api/v1/customers?per_page=101".into(), admin_s.clone()).await;
    assert_eq!((st, e["field"].as_str()), (422, Some("per_page")), "{e}");
    let (st, p) = get("/api/v1/customers?per_page=100".into(), admin_s.clone()).await;
    assert_eq!((st, p["per_page"].as_i64()), (200, Some(100)));

    // The limit counts this token's reads: 12 a minute here; then 429 with Retry-After.
    for _ in 8..12 {
        let (st, _) = get("/api/v1/customers".into(), admin_s.clone()).await;
        assert_eq!(st, 200);
    }
    let res = reqwest::Client::new()
        .get(format!("{}/api/v1/customers/{zhang}", s.base))
        .header("authorization", format!("Bearer {admin}"))
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 429);
    assert_eq!(
        res.headers()["content-type"].to_str().expect("type"),
        "application/problem+json"
    );
    let wait: u64 = res.headers()["retry-after"]
        .to_str()
        .expect("retry-after")
        .parse()
        .expect("seconds");
    assert!((1..=60).contains(&wait), "{wait}");
    let body: serde_json::Value = res.json().await.expect("problem");
    assert_eq!(body["code"], "rate_limited");
    // Another token is counted apart; the next minute the first reads again.
    let (st, _) = get("/api/v1/customers".into(), clerk.clone()).await;
    assert_eq!(st, 200);
    s.clock.advance(jiff::SignedDuration::from_secs(61));
    let (st, _) = get("/api/v1/customers".into(), admin_s).await;
    assert_eq!(st, 200);
}
both!(api_reads_reveal_per_request_with_a_reason);

/// The profile is sealed at rest (the WeChat id, the employer and custom fields marked
/// personal are never in the database in clear) and masked in the API, the export and the
/// customer page for roles that may not reveal personal data; rows written before profiles
/// were sealed are sealed by the start-up pass, and key rotation re-seals profiles.
async fn profiles_are_sealed_and_masked_without_reveal(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let s1 = store(&s.app, "S01").await;
    staff(&s.app, "boss", "admin", None).await;
    let clerk_id = staff(&s.app, "li.na", "sales_associate", Some(s1)).await;
    let admin = token_for(&s.app, "boss").await;
    let clerk = token_for(&s.app, "li.na").await;
    let cli = patron_domain::Actor::cli("test");
    s.app
        .create_custom_field(&cli, "wx_group", "微信群昵称", "text", "", true)
        .await
        .expect("field");
    s.app
        .create_custom_field(&cli, "style", "装修风格", "choice", "现代|中式", false)
        .await
        .expect("field");
    let (st, c) = create(
        &s.base,
        &clerk,
        json!({"name": "张三", "mobile": "13800138000",
               "profile": {"wechat": "wxid_zhangsan88", "employer": "杭州西湖科技有限公司",
                           "hobbies": "钓鱼", "custom": {"wx_group": "装修群阿三", "style": "中式"}}}),
    )
    .await;
    assert_eq!(st, 201, "{c}");
    let id = c["id"].as_i64().expect("id");
    let stored = |s: &crate::harness::Server| {
        let pool = s.app.db().pool().clone();
        async move {
            sqlx::query_scalar::<_, String>("SELECT profile FROM customers WHERE id = $1")
                .bind(id)
                .fetch_one(&pool)
                .await
                .expect("row")
        }
    };
    let at_rest = stored(&s).await;
    for secret in ["wxid_zhangsan88", "杭州西湖科技", "装修群阿三", "钓鱼"] {
        assert!(!at_rest.contains(secret), "{secret} in clear: {at_rest}");
    }

    // Masked for a role without reveal: one file, the list, the export, the customer page.
    let (_, m, _) = api(
        &s.base,
        "GET",
        &format!("/api/v1/customers/{id}"),
        Some(&clerk),
        None,
    )
    .await;
    assert_eq!(m["profile"]["wechat"], "w***", "{m}");
    assert_eq!(m["profile"]["employer"], "杭***");
    assert_eq!(m["profile"]["custom"]["wx_group"], "装***");
    assert_eq!(
        m["profile"]["custom"]["style"], "中式",
        "not marked personal"
    );
    assert_eq!(m["profile"]["hobbies"], "钓鱼");
    let (_, list, _) = api(&s.base, "GET", "/api/v1/customers", Some(&clerk), None).await;
    assert_eq!(list["customers"][0]["profile"]["wechat"], "w***", "{list}");
    let by = crate::transfer::principal(&s.app, clerk_id).await;
    let req = patron_app::customers::export::ExportRequest {
        query: Default::default(),
        format: patron_app::customers::export::ExportFormat::Csv,
        full: false,
        reason: String::new(),
    };
    let out = s
        .app
        .export_customers(&by, None, &req, patron_app::i18n::Lang::En)
        .await
        .expect("export");
    let text = String::from_utf8_lossy(&out.bytes);
    assert!(
        !text.contains("wxid_zhangsan88") && !text.contains("杭州西湖科技"),
        "{text}"
    );
    let c = crate::harness::Client::new(&s.base);
    c.login("li.na", crate::harness::PASSWORD).await;
    let page = c.get(&format!("/console/customers/{id}")).await;
    assert_eq!(page.status, 200);
    assert!(page.body.contains("w***"), "{}", page.body);
    for secret in ["wxid_zhangsan88", "杭州西湖科技", "装修群阿三"] {
        assert!(!page.body.contains(secret), "{secret} shown");
    }
    // Whole for the admin who asks with a reason.
    let (_, w, _) = api(
        &s.base,
        "GET",
        &format!("/api/v1/customers/{id}?reveal=true&reason=check"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(w["profile"]["wechat"], "wxid_zhangsan88");
    assert_eq!(w["profile"]["custom"]["wx_group"], "装修群阿三");

    // A row written before profiles were sealed is sealed by the start-up pass.
    sqlx::query("UPDATE customers SET profile = $2 WHERE id = $1")
        .bind(id)
        .bind(r#"{"wechat":"wxid_legacy","hobbies":"旧档案"}"#)
        .execute(s.app.db().pool())
        .await
        .expect("legacy row");
    assert_eq!(s.app.seal_clear_profiles().await.expect("seal"), 1);
    assert_eq!(s.app.seal_clear_profiles().await.expect("again"), 0);
    assert!(!stored(&s).await.contains("wxid_legacy"));
    let (_, w, _) = api(
        &s.base,
        "GET",
        &format!("/api/v1/customers/{id}?reveal=true&reason=check"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(w["profile"]["wechat"], "wxid_legacy");
    // Key rotation re-seals the profile with the row's other sealed columns.
    assert_eq!(s.app.keys().rotate(), Ok(2));
    s.app.reseal_all().await.expect("reseal");
    let blob = data_encoding::BASE64
        .decode(stored(&s).await.as_bytes())
        .expect("base64");
    assert_eq!(patron_app::keyring::Keyring::version_of(&blob), Some(2));
    let (_, w, _) = api(
        &s.base,
        "GET",
        &format!("/api/v1/customers/{id}?reveal=true&reason=check"),
        Some(&admin),
        None,
    )
    .await;
    assert_eq!(w["profile"]["hobbies"], "旧档案");
}
both!(profiles_are_sealed_and_masked_without_reveal);
