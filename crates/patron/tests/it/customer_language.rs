//! A customer's own language: chosen on the file (or from an import column), it decides which
//! template a message is written from and the language of the catalog texts put into it,
//! whatever `server.language` says; a file with no choice gets the store's default, and a
//! language Patron does not write in is refused with the field named. Exports follow the
//! language of the person who makes them.

use crate::both;
use crate::harness::{Kind, start, store};
use patron_app::App;
use patron_app::customers::CustomerQuery;
use patron_app::customers::import::{ImportOptions, TableLimits, guess_mapping, read_table};
use patron_app::messages::TemplateForm;
use patron_app::outbox::template::Vars;
use patron_domain::Actor;
use patron_domain::customers::{ConsentChannel, ConsentPurpose, CustomerInput};
use patron_store::Scope;

async fn customer(app: &App, store_id: i64, mobile: &str, language: &str) -> i64 {
    let mut input = CustomerInput {
        name: "Wang Fang".into(),
        mobile: mobile.into(),
        email: format!("{mobile}@example.cn"),
        ..Default::default()
    };
    input.profile.language = language.into();
    let options = patron_app::customers::CreateOptions {
        store_id: Some(store_id),
        ..Default::default()
    };
    let id = app
        .create_customer(&Actor::cli("test"), Scope::Chain, &input, &options)
        .await
        .expect("create")
        .id;
    app.set_consents(
        &Actor::cli("test"),
        Scope::Chain,
        id,
        &[(ConsentPurpose::MarketingEmail, true)],
        ConsentChannel::Counter,
    )
    .await
    .expect("consent");
    id
}

async fn body_of(app: &App, customer_id: i64) -> String {
    let (id, channel) = app
        .queue_template(Scope::Chain, customer_id, "welcome", &Vars::new(), None)
        .await
        .expect("queue")
        .expect("reachable by e-mail");
    assert_eq!(channel.as_str(), "email");
    app.outbox_letters("", 100)
        .await
        .expect("letters")
        .into_iter()
        .find(|l| l.id == id)
        .expect("queued letter")
        .body
}

async fn a_customer_reads_in_the_language_on_their_file(kind: Kind) {
    let Some(s) = start(kind, |c| c.server.language = "zh-CN".into()).await else {
        return;
    };
    let app = &s.app;
    let st = store(app, "LANG").await;
    for (language, body) in [
        ("zh-CN", "{{ name }}，欢迎光临！"),
        ("en", "Welcome, {{ name }}!"),
    ] {
        app.save_message_template(
            &Actor::cli("test"),
            Scope::Chain,
            &TemplateForm {
                name: "welcome".into(),
                channel: "email".into(),
                language: language.into(),
                marketing: true,
                subject: "Hello".into(),
                body: body.into(),
                provider_template: String::new(),
            },
        )
        .await
        .expect("template");
    }

    let english = customer(app, st, "13900139101", "en").await;
    let chinese = customer(app, st, "13900139102", "zh-CN").await;
    let unset = customer(app, st, "13900139103", "").await;
    assert!(
        body_of(app, english)
            .await
            .starts_with("Welcome, Wang Fang!")
    );
    assert!(
        body_of(app, chinese)
            .await
            .starts_with("Wang Fang，欢迎光临！")
    );
    // No choice on file: the configured language.
    assert!(
        body_of(app, unset)
            .await
            .starts_with("Wang Fang，欢迎光临！")
    );

    // A language Patron does not write in is refused, naming the field; nothing is created.
    let mut input = CustomerInput {
        name: "Pierre".into(),
        mobile: "13900139104".into(),
        ..Default::default()
    };
    input.profile.language = "fr".into();
    let options = patron_app::customers::CreateOptions {
        store_id: Some(st),
        ..Default::default()
    };
    let refused = app
        .create_customer(&Actor::cli("test"), Scope::Chain, &input, &options)
        .await
        .expect_err("French is not offered");
    let fields: Vec<(&str, &str)> = refused
        .field_errors()
        .iter()
        .map(|f| (f.field, f.key))
        .collect();
    assert_eq!(fields, [("language", "error.language.invalid")]);
    let find = |q: &str| CustomerQuery {
        q: q.into(),
        ..Default::default()
    };
    let none = app
        .search_customers(&Actor::cli("test"), Scope::Chain, &find("13900139104"))
        .await
        .expect("search");
    assert!(none.customers.is_empty());

    // An import names the language by code or by name, in either language.
    let csv = "姓名,手机号,语言\n李雷,13900139105,英文\n韩梅梅,13900139106,中文\n";
    let table = read_table(csv.as_bytes(), &TableLimits::default()).expect("read");
    let mapping = guess_mapping(&table.headers);
    let report = app
        .import_customers(
            &Actor::cli("test"),
            Scope::Chain,
            &table,
            &mapping,
            &ImportOptions {
                default_store: Some(st),
                ..Default::default()
            },
            &|_| {},
        )
        .await
        .expect("import");
    assert_eq!((report.created, report.rejected()), (2, 0));
    for (mobile, language) in [("13900139105", "en"), ("13900139106", "zh-CN")] {
        let found = app
            .search_customers(&Actor::cli("test"), Scope::Chain, &find(mobile))
            .await
            .expect("search")
            .customers;
        assert_eq!(found.len(), 1, "{mobile}");
        let c = app
            .view_customer(&Actor::cli("test"), Scope::Chain, found[0].id)
            .await
            .expect("view");
        assert_eq!(c.profile.language, language, "{mobile}");
    }
}
both!(a_customer_reads_in_the_language_on_their_file);

/// Festival greetings sent through message templates: each customer gets the template in
/// their language with the festival's name and wish in it too.
async fn greetings_speak_the_customers_language(kind: Kind) {
    let Some(s) = start(kind, |c| c.server.language = "zh-CN".into()).await else {
        return;
    };
    let app = &s.app;
    let admin = Actor::cli("test");
    let st = store(app, "GL").await;
    // Mid-Autumn 2027, 09:30 in Shanghai.
    s.clock.set("2027-09-15T01:30:00Z".parse().expect("time"));
    for (language, body) in [
        ("zh-CN", "{{ name }}，祝您{{ wish }}！"),
        ("en", "Dear {{ name }}: {{ wish }}!"),
    ] {
        app.save_message_template(
            &admin,
            Scope::Chain,
            &TemplateForm {
                name: "festival".into(),
                channel: "email".into(),
                language: language.into(),
                marketing: true,
                subject: "{{ festival }}".into(),
                body: body.into(),
                provider_template: String::new(),
            },
        )
        .await
        .expect("template");
    }
    let mut rules = patron_app::care::greetings::GreetingRules::default();
    rules.messages.festival = "festival".into();
    app.save_greeting_rules(&admin, &rules)
        .await
        .expect("rules");
    let english = customer(app, st, "13900139201", "en").await;
    let chinese = customer(app, st, "13900139202", "").await;

    let report = app.send_greetings(app.now()).await.expect("greetings");
    assert_eq!(report.festivals, 2, "{report}");
    let letters = app.outbox_letters("", 100).await.expect("outbox");
    let greeting = |id: i64| {
        let mine: Vec<_> = letters
            .iter()
            .filter(|l| l.customer_id == Some(id) && l.purpose == "greeting")
            .collect();
        assert_eq!(mine.len(), 1, "one greeting for {id}");
        (mine[0].subject.clone(), mine[0].body.clone())
    };
    let (subject, body) = greeting(english);
    assert_eq!(subject, "Mid-Autumn Festival");
    assert!(
        body.starts_with("Dear Wang Fang: Happy Mid-Autumn Festival, under a full moon!"),
        "{body}"
    );
    let (subject, body) = greeting(chinese);
    assert_eq!(subject, "中秋节");
    assert!(
        body.starts_with("Wang Fang，祝您中秋快乐，花好月圆！"),
        "{body}"
    );
    s.shutdown().await;
}
both!(greetings_speak_the_customers_language);

/// An export is written for the person who makes it: headers, the sheet's name and the list
/// separators in their language.
async fn an_export_is_written_in_the_exporters_language(kind: Kind) {
    use calamine::Reader;
    use patron_app::customers::export::{ExportFormat, ExportRequest};
    use patron_app::i18n::Lang;
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    let st = store(app, "EX").await;
    let mut input = CustomerInput {
        name: "Wang Fang".into(),
        mobile: "13900139301".into(),
        addresses: vec!["Road 1".into(), "Road 2".into()],
        ..Default::default()
    };
    input.profile.language = "en".into();
    let options = patron_app::customers::CreateOptions {
        store_id: Some(st),
        tags: vec!["vip".into(), "new".into()],
        ..Default::default()
    };
    app.create_customer(&Actor::cli("test"), Scope::Chain, &input, &options)
        .await
        .expect("create");
    let admin = crate::harness::staff(app, "ex.admin", "admin", None).await;
    let by = crate::transfer::principal(app, admin).await;
    let export = |lang: Lang| {
        let req = ExportRequest {
            query: Default::default(),
            format: ExportFormat::Xlsx,
            full: true,
            reason: "language check".into(),
        };
        let by = by.clone();
        async move {
            app.export_customers(&by, None, &req, lang)
                .await
                .expect("export")
        }
    };
    for (lang, sheet, header, addresses, tags) in [
        (Lang::Zh, "客户", "姓名", "Road 1；Road 2", "new，vip"),
        (Lang::En, "Customers", "name", "Road 1; Road 2", "new, vip"),
    ] {
        let out = export(lang).await;
        let mut book = calamine::Xlsx::new(std::io::Cursor::new(out.bytes)).expect("xlsx");
        assert_eq!(book.sheet_names(), [sheet]);
        let range = book.worksheet_range(sheet).expect("sheet");
        let cell =
            |r: usize, c: usize| range.get_value((r as u32, c as u32)).map(|v| v.to_string());
        let column = |name: &str| {
            patron_app::customers::export::COLUMNS
                .iter()
                .position(|c| *c == name)
                .expect("column")
        };
        assert_eq!(cell(0, column("name")).as_deref(), Some(header));
        assert_eq!(cell(1, column("addresses")).as_deref(), Some(addresses));
        assert_eq!(cell(1, column("tags")).as_deref(), Some(tags));
    }
    s.shutdown().await;
}
both!(an_export_is_written_in_the_exporters_language);
