//! Files attached to tickets, on both backends: checked by their bytes, size and count,
//! named without folders, listed on the ticket page, opened with an audit row and only
//! within the store; the same over the API. Key rotation re-seals them with every other
//! sealed value of the service desk (and a schema check keeps the list of sealed columns
//! complete).

use crate::both;
use crate::harness::{Client, Kind, PASSWORD, api, audit, staff, start, store};
use crate::orders::PNG;
use patron_app::service::appointments::Photo;
use patron_app::service::ticket_files::{MAX_ATTACHMENT_BYTES, Upload};
use patron_app::service::tickets::TicketForm;
use patron_store::Scope;

fn complaint(customer: i64) -> TicketForm {
    TicketForm {
        customer_id: customer,
        channel: "in_store".into(),
        ticket_type: "complaint".into(),
        category: "product_quality".into(),
        severity: "normal".into(),
        subject: "瓷砖破损".into(),
        description: "开箱两片碎裂".into(),
        ..Default::default()
    }
}

fn key_of(e: patron_app::AppError) -> String {
    match e {
        patron_app::AppError::Conflict { key, .. } => key.to_string(),
        e => e
            .field_errors()
            .first()
            .map(|f| f.key.to_string())
            .unwrap_or_else(|| format!("{e:?}")),
    }
}

async fn files_are_attached_checked_and_scoped(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let s1 = store(app, "S1").await;
    let s2 = store(app, "S2").await;
    let desk = staff(app, "files.desk", "after_sales", Some(s1)).await;
    staff(app, "files.s2", "after_sales", Some(s2)).await;
    let customer = crate::messages::customer(app, s1, "13700137701", "", &[]).await;
    let actor = crate::transfer::principal(app, desk).await.actor(None);
    let (ticket, _) = app
        .file_ticket(&actor, Scope::Chain, &complaint(customer), None)
        .await
        .expect("file");

    let upload = |name: &str, bytes: &[u8]| Upload {
        name: name.into(),
        bytes: bytes.to_vec(),
    };
    for (u, key) in [
        (upload("a.png", b""), "error.attachment.empty"),
        (upload("virus.png", b"MZ\x90\x00"), "error.attachment.type"),
        (
            upload("big.pdf", &vec![b'%'; MAX_ATTACHMENT_BYTES + 1]),
            "error.attachment.size",
        ),
    ] {
        let e = app
            .attach_to_ticket(&actor, Scope::Chain, ticket, &u)
            .await
            .expect_err(key);
        assert_eq!(key_of(e), key);
    }
    let id = app
        .attach_to_ticket(
            &actor,
            Scope::Chain,
            ticket,
            &upload("C:\\fakepath\\破损照片.png", PNG),
        )
        .await
        .expect("attach");
    let row = app.db().ticket(Scope::Chain, ticket).await.expect("ticket");
    let list = app.ticket_attachments(&row).await.expect("list");
    assert_eq!(list.len(), 1);
    assert_eq!(list[0].name, "破损照片.png");
    assert_eq!(list[0].media_type, "image/png");
    assert_eq!(list[0].size_bytes, PNG.len() as i64);
    // Sealed in the database: neither the name nor the bytes are stored in clear.
    let (name_enc, content_enc): (String, String) =
        sqlx::query_as("SELECT name_enc, content_enc FROM ticket_attachments WHERE id = $1")
            .bind(id)
            .fetch_one(app.db().pool())
            .await
            .expect("row");
    assert!(!name_enc.contains("破损") && !content_enc.contains("iVBOR"));
    // Only within the store; opening it is audited.
    let e = app
        .ticket_attachment(&actor, Scope::Store(s2), id)
        .await
        .expect_err("other store");
    assert!(matches!(e, patron_app::AppError::NotFound), "{e:?}");
    let f = app
        .ticket_attachment(&actor, Scope::Store(s1), id)
        .await
        .expect("open");
    assert_eq!(f.bytes, PNG);
    assert_eq!(audit(app, "ticket.attachment", "").await.len(), 1);
    let view = app
        .view_ticket(&actor, Scope::Chain, ticket)
        .await
        .expect("view");
    assert!(
        view.timeline
            .iter()
            .any(|e| e.kind == "attachment" && e.note == "破损照片.png")
    );
    // Ten at most.
    for n in 1..10 {
        app.attach_to_ticket(
            &actor,
            Scope::Chain,
            ticket,
            &upload(&format!("{n}.pdf"), b"%PDF-1.4"),
        )
        .await
        .expect("more");
    }
    let e = app
        .attach_to_ticket(&actor, Scope::Chain, ticket, &upload("11.pdf", b"%PDF-1.4"))
        .await
        .expect_err("full");
    assert_eq!(key_of(e), "error.ticket.attachments_full");

    // The console: upload on the ticket page, the list, the file itself.
    let (second, _) = app
        .file_ticket(&actor, Scope::Chain, &complaint(customer), None)
        .await
        .expect("file");
    let c = Client::new(&s.base);
    c.login("files.desk", PASSWORD).await;
    c.get(&format!("/console/service/tickets/{second}")).await;
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(PNG.to_vec()).file_name("门店收据.png"),
    );
    let r = c
        .multipart(
            &format!(
                "/console/service/tickets/{second}/attachments?_csrf={}",
                c.csrf()
            ),
            form,
        )
        .await;
    assert!(r.status == 303 || r.status == 200, "{}", r.status);
    let page = c.get(&format!("/console/service/tickets/{second}")).await;
    assert!(page.body.contains("门店收据.png"), "{}", page.body);
    let href = page
        .body
        .split("href=\"/console/service/attachments/")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .expect("link")
        .to_string();
    let http = reqwest::Client::new();
    let res = http
        .get(format!("{}/console/service/attachments/{href}", s.base))
        .header("cookie", c.cookie_header())
        .send()
        .await
        .expect("get");
    assert_eq!(res.status(), 200);
    assert_eq!(
        res.headers()["content-type"].to_str().expect("type"),
        "image/png"
    );
    assert!(
        res.headers()["content-disposition"]
            .to_str()
            .expect("name")
            .contains("%E9%97%A8"),
        "the name is sent encoded"
    );
    assert_eq!(res.bytes().await.expect("body").as_ref(), PNG);

    // The API: add, list, fetch; another store's staff see nothing.
    let token = app
        .create_api_token(None, desk, "t", None)
        .await
        .expect("token")
        .secret;
    let res = http
        .post(format!("{}/api/v1/tickets/{second}/attachments", s.base))
        .header("authorization", format!("Bearer {token}"))
        .multipart(reqwest::multipart::Form::new().part(
            "file",
            reqwest::multipart::Part::bytes(b"%PDF-1.7 receipt".to_vec()).file_name("发票.pdf"),
        ))
        .send()
        .await
        .expect("post");
    assert_eq!(res.status(), 201);
    let (status, list, _) = api(
        &s.base,
        "GET",
        &format!("/api/v1/tickets/{second}/attachments"),
        Some(&token),
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(list.as_array().map(Vec::len), Some(2), "{list}");
    assert_eq!(list[1]["name"], "发票.pdf");
    assert_eq!(list[1]["media_type"], "application/pdf");
    let other = crate::harness::token_for(app, "files.s2").await;
    let (status, _, _) = api(
        &s.base,
        "GET",
        &format!("/api/v1/attachments/{}", list[1]["id"]),
        Some(&other),
        None,
    )
    .await;
    assert_eq!(status, 404);
}
both!(files_are_attached_checked_and_scoped);

/// Rotation re-seals every sealed column of the demo's service desk (tickets, their
/// timelines and files, orders, visits and their photos, survey answers), not only the
/// customer files; everything still opens afterwards.
async fn key_rotation_reaches_every_sealed_value(kind: Kind) {
    let Some(s) = crate::harness::start_fresh(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    // Three months of trade: this test needs the demo's kinds of data, not its years.
    patron_app::demo::seed_with(app, patron_app::demo::DemoHistory { months: 3 })
        .await
        .expect("seed");
    let actor = patron_domain::Actor::cli("test");
    let ticket: i64 = sqlx::query_scalar("SELECT MIN(id) FROM tickets")
        .fetch_one(app.db().pool())
        .await
        .expect("ticket");
    let upload = Upload {
        name: "现场.png".into(),
        bytes: PNG.to_vec(),
    };
    let file = app
        .attach_to_ticket(&actor, Scope::Chain, ticket, &upload)
        .await
        .expect("attach");
    let visit: i64 =
        sqlx::query_scalar("SELECT MIN(id) FROM appointments WHERE status = 'scheduled'")
            .fetch_one(app.db().pool())
            .await
            .expect("a scheduled visit");
    app.complete_visit(
        &actor,
        Scope::Chain,
        visit,
        "已完成",
        Some(Photo {
            bytes: PNG.to_vec(),
        }),
    )
    .await
    .expect("done with a photo");

    assert_eq!(app.keys().rotate(), Ok(2));
    let r = app.reseal_all().await.expect("reseal");
    assert_eq!(r.skipped, 0);
    let version = |sealed: &str| {
        let blob = data_encoding::BASE64
            .decode(sealed.as_bytes())
            .expect("base64");
        patron_app::keyring::Keyring::version_of(&blob)
    };
    let mut seen = std::collections::BTreeMap::new();
    for col in patron_store::sealed::SEALED_COLUMNS {
        let mut after = 0;
        loop {
            let page = app.db().sealed_values(col, after).await.expect("page");
            let Some(last) = page.last() else { break };
            after = last.0;
            for (_, _, sealed) in &page {
                assert_eq!(version(sealed), Some(2), "{}", col.name());
                *seen.entry(col.name()).or_insert(0) += 1;
            }
        }
    }
    for name in [
        "tickets.description_enc",
        "ticket_events.note_enc",
        "ticket_attachments.content_enc",
        "ticket_attachments.name_enc",
        "survey_answers.text_enc",
        "orders.address_enc",
        "order_events.note_enc",
        "appointments.address_enc",
        "appointments.proof_note_enc",
    ] {
        assert!(seen.get(name).is_some_and(|n| *n > 0), "{name}: {seen:?}");
    }
    let photo: String = sqlx::query_scalar("SELECT proof_photo FROM appointments WHERE id = $1")
        .bind(visit)
        .fetch_one(app.db().pool())
        .await
        .expect("photo name");
    let on_disk = std::fs::read(app.config().data_dir.join("photos").join(photo)).expect("file");
    assert_eq!(patron_app::keyring::Keyring::version_of(&on_disk), Some(2));
    assert_eq!(
        app.reseal_all().await.expect("again"),
        patron_app::reseal::Resealed::default(),
        "nothing left under the old key"
    );
    // Everything still opens.
    app.view_ticket(&actor, Scope::Chain, ticket)
        .await
        .expect("ticket opens");
    let f = app
        .ticket_attachment(&actor, Scope::Chain, file)
        .await
        .expect("file opens");
    assert_eq!(f.bytes, PNG);
    let (bytes, _) = app
        .visit_photo(&actor, Scope::Chain, visit)
        .await
        .expect("photo opens");
    assert_eq!(bytes, PNG);

    // Every sealed column in the schema is on the rotation's list (or is one of the
    // profile columns rewritten together), so a new one cannot be forgotten.
    let shape = app.db().schema_shape().await.expect("schema");
    let listed: Vec<String> = patron_store::sealed::SEALED_COLUMNS
        .iter()
        .map(|c| c.name())
        .collect();
    for (table, columns) in &shape.tables {
        for c in columns {
            let sealed = c.name.ends_with("_enc") || c.name == "totp_secret";
            let name = format!("{table}.{}", c.name);
            let profile = table == "customers" && c.name != "wechat_openid_enc";
            assert!(
                !sealed || profile || listed.contains(&name),
                "{name} is sealed but key rotation does not re-seal it"
            );
        }
    }
}
both!(key_rotation_reaches_every_sealed_value);
