//! Import and export of customer files: GBK and BOM'd UTF-8 CSV and xlsx in; Chinese
//! headers; a report of refused rows with masked values; dry runs; upsert; the CLI's exit
//! code; the console wizard; exports with text cells, neutralised formulas, masking and audit.

use crate::both;
use crate::harness::{Client, Kind, PASSWORD, audit, open_app, staff, start, store, temp_dir};
use patron_app::customers::CustomerQuery;
use patron_app::customers::export::{ExportFormat, ExportRequest};
use patron_app::customers::import::{
    ImportMode, ImportOptions, MatchBy, TableLimits, guess_mapping, read_table,
};
use patron_domain::Actor;
use patron_store::Scope;

const CSV: &str = "姓名,手机号,身份证号,生日,性别,地址,邮箱,微信,工作单位,职务,爱好,尺码,备注,所属门店,标签\n\
张三,138 0013 8000,,1985-06-01,男,上海市徐汇区漕溪北路 88 号,zhang@qq.com,zs88,建工集团,经理,钓鱼,XL,老客户,S01,VIP；装修中\n\
李四,13900139000,,1990/2/30,女,,,,,,,,,S01,\n\
王五,12345,,,,,,,,,,,,S01,\n\
赵六,13700137000,,,,,,,,,,,,ZZ99,\n\
钱七,13800138000,,,,,,,,,,,,S01,\n\
孙八,13600136000,,,,,,,,,\"=HYPERLINK(\"\"http://x\"\")\",,,S01,\n";

async fn importing_checks_every_row(kind: Kind) {
    let Some((app, _clock, _dir)) = open_app(kind, |_| {}).await else {
        return;
    };
    store(&app, "S01").await;
    // GBK, as Excel on Chinese Windows saves CSV.
    let (gbk, _, _) = encoding_rs::GBK.encode(CSV);
    let table = read_table(&gbk, &TableLimits::default()).expect("gbk read");
    assert_eq!(table.headers[0], "姓名");
    let mapping = guess_mapping(&table.headers);
    assert_eq!(
        mapping[..3],
        [Some("name"), Some("mobile"), Some("id_number")]
    );
    let actor = Actor::cli("test");
    let dry = app
        .import_customers(
            &actor,
            Scope::Chain,
            &table,
            &mapping,
            &ImportOptions {
                dry_run: true,
                ..Default::default()
            },
            &|_| {},
        )
        .await
        .expect("dry run");
    assert_eq!((dry.created, dry.rejected()), (2, 4));
    let (_, n) = app
        .db()
        .search_customers(Scope::Chain, &Default::default())
        .await
        .expect("count");
    assert_eq!(n, 0, "a dry run writes nothing");
    let problems: Vec<(usize, &str, &str, &str)> = dry
        .problems
        .iter()
        .map(|p| (p.row, p.column.as_str(), p.value.as_str(), p.key))
        .collect();
    assert_eq!(
        problems,
        [
            (3, "生日", "199****30", "error.date.invalid"),
            (4, "手机号", "1****", "error.phone.invalid"),
            (5, "所属门店", "Z***", "error.import.store"),
            (6, "手机号", "138******00", "error.import.duplicate_in_file"),
        ]
    );
    let report = app
        .import_customers(
            &actor,
            Scope::Chain,
            &table,
            &mapping,
            &ImportOptions::default(),
            &|_| {},
        )
        .await
        .expect("import");
    assert_eq!((report.created, report.rejected()), (2, 4));
    let (rows, _) = app
        .db()
        .search_customers(
            Scope::Chain,
            &patron_store::customers::CustomerFilter {
                limit: 50,
                ..Default::default()
            },
        )
        .await
        .expect("rows");
    let zhang = rows.iter().find(|r| r.name == "张三").expect("imported");
    assert_eq!(zhang.archive_no, "S01-000001");
    let c = app
        .view_customer(&actor, Scope::Chain, zhang.id)
        .await
        .expect("open");
    assert_eq!(c.profile.employer, "建工集团");
    assert_eq!(c.tags, ["VIP", "装修中"]);
    assert_eq!(c.source.as_str(), "import");
    assert!(!audit(&app, "customer.import", "").await.is_empty());

    // Create mode refuses existing phones; upsert updates them with the non-empty cells.
    let again = "姓名,手机号,爱好\n张三,13800138000,爬山\n周九,13500135000,\n";
    let t2 = read_table(
        format!("\u{feff}{again}").as_bytes(),
        &TableLimits::default(),
    )
    .expect("bom utf-8");
    let m2 = guess_mapping(&t2.headers);
    let refused = app
        .import_customers(
            &actor,
            Scope::Chain,
            &t2,
            &m2,
            &ImportOptions {
                default_store: Some(zhang.store_id),
                ..Default::default()
            },
            &|_| {},
        )
        .await
        .expect("create");
    assert_eq!(
        (refused.created, refused.problems[0].key),
        (1, "error.import.exists")
    );
    let upsert = ImportOptions {
        mode: ImportMode::Upsert,
        match_by: MatchBy::Phone,
        default_store: Some(zhang.store_id),
        ..Default::default()
    };
    let up = app
        .import_customers(&actor, Scope::Chain, &t2, &m2, &upsert, &|_| {})
        .await
        .expect("upsert");
    assert_eq!((up.updated, up.created, up.rejected()), (2, 0, 0));
    let c = app
        .view_customer(&actor, Scope::Chain, zhang.id)
        .await
        .expect("open");
    assert_eq!(c.profile.hobbies, "爬山");
    assert_eq!(
        c.profile.employer, "建工集团",
        "empty cells keep what is there"
    );

    // Export: text cells, formulas neutralised, masked for a role without reveal.
    let boss_id = staff(&app, "boss", "admin", None).await;
    let boss = principal(&app, boss_id).await;
    let q = CustomerQuery::default();
    // English headers are the column codes.
    let lang = patron_app::i18n::Lang::En;
    let masked = app
        .export_customers(
            &boss,
            None,
            &ExportRequest {
                query: q.clone(),
                format: ExportFormat::Csv,
                full: false,
                reason: "".into(),
            },
            lang,
        )
        .await
        .expect("export");
    let text = String::from_utf8(masked.bytes.clone()).expect("utf-8");
    assert!(text.starts_with('\u{feff}'), "BOM for Excel");
    assert!(text.contains("138****8000") && !text.contains("13800138000"));
    assert!(text.contains("'=HYPERLINK"), "formula neutralised: {text}");
    let full = app
        .export_customers(
            &boss,
            None,
            &ExportRequest {
                query: q.clone(),
                format: ExportFormat::Xlsx,
                full: true,
                reason: "年度回访".into(),
            },
            lang,
        )
        .await
        .expect("export");
    assert!(full.bytes.starts_with(b"PK"), "an xlsx file");
    let back = read_table(&full.bytes, &TableLimits::default()).expect("xlsx read back");
    let mobile_col = back
        .headers
        .iter()
        .position(|h| h == "mobile")
        .expect("mobile column");
    assert!(
        back.rows.iter().any(|r| r[mobile_col] == "13800138000"),
        "phones stay exact text"
    );
    let rows = audit(&app, "customer.export", "").await;
    assert!(
        rows[0]
            .detail
            .starts_with("rows=3; format=xlsx; masked=false;"),
        "{}",
        rows[0].detail
    );
    assert!(rows[0].detail.ends_with("reason=年度回访"));
    let clerk_id = staff(&app, "li.na", "sales_associate", Some(zhang.store_id)).await;
    let clerk = principal(&app, clerk_id).await;
    let denied = app
        .export_customers(
            &clerk,
            None,
            &ExportRequest {
                query: q.clone(),
                format: ExportFormat::Csv,
                full: true,
                reason: "想看".into(),
            },
            lang,
        )
        .await;
    assert!(matches!(denied, Err(patron_app::AppError::Forbidden)));
}
both!(importing_checks_every_row);

pub(crate) async fn principal(app: &patron_app::App, id: i64) -> patron_app::security::Principal {
    let row = app.db().get_staff(Scope::Chain, id).await.expect("staff");
    let role = row.role;
    patron_app::security::Principal {
        staff_id: id,
        username: row.username,
        display_name: row.display_name,
        role,
        store_id: row.store_id,
        capabilities: app.db().role_capabilities(role).await.expect("caps"),
        via: patron_app::security::Via::Token { id: 0 },
    }
}

#[test]
fn the_cli_imports_with_a_report_and_an_exit_code() {
    let dir = temp_dir();
    let run = |args: &[&str]| {
        std::process::Command::new(env!("CARGO_BIN_EXE_patron"))
            .args(args)
            .arg("--data-dir")
            .arg(&dir)
            .env_remove("PATRON_DATABASE_URL")
            .output()
            .expect("run")
    };
    assert!(
        run(&["store", "add", "--code", "S01", "--name", "徐汇店"])
            .status
            .success()
    );
    let file = dir.join("会员.csv");
    std::fs::write(&file, CSV).expect("write");
    let report = dir.join("report.csv");
    let out = run(&[
        "import",
        "customers",
        file.to_str().expect("path"),
        "--report",
        report.to_str().expect("path"),
    ]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "rows were rejected: {stdout}");
    assert!(
        stdout.contains("6 rows: 2 created, 0 updated, 4 rejected"),
        "{stdout}"
    );
    let text = std::fs::read_to_string(&report).expect("report");
    assert!(text.starts_with("行,列,值（已脱敏）,原因"));
    assert!(text.contains("3,生日,199****30,"), "{text}");
    assert!(!text.contains("13800138000"), "values are masked");
    // The same file again: every row is now refused or a duplicate; nothing new.
    let again = run(&[
        "import",
        "customers",
        file.to_str().expect("path"),
        "--dry-run",
    ]);
    assert_eq!(again.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&again.stdout).contains("0 would be created"));
    let ok = dir.join("ok.csv");
    std::fs::write(&ok, "name,mobile\n周九,13500135000\n").expect("write");
    let out = run(&[
        "import",
        "customers",
        ok.to_str().expect("path"),
        "--store",
        "S01",
    ]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}

async fn the_console_import_wizard(kind: Kind) {
    let Some(s) = start(kind, |_| {}).await else {
        return;
    };
    let s1 = store(&s.app, "S01").await;
    staff(&s.app, "liu.qiang", "store_manager", Some(s1)).await;
    let c = Client::new(&s.base);
    c.login("liu.qiang", PASSWORD).await;
    let page = c.get("/console/customers/import").await;
    let action = page
        .body
        .split("action=\"")
        .find(|part| part.starts_with("/console/customers/import?"))
        .and_then(|r| r.split('"').next())
        .expect("upload form")
        .replace("&amp;", "&");
    let form = reqwest::multipart::Form::new().part(
        "file",
        reqwest::multipart::Part::bytes(CSV.as_bytes().to_vec()).file_name("会员.csv"),
    );
    let res = c.multipart(&action, form).await;
    assert_eq!(res.status, 303, "{}", res.body);
    let mapping_url = res.location.clone();
    let map = c.get(&mapping_url).await;
    assert!(map.body.contains("138********00"), "masked preview");
    assert!(!map.body.contains("13800138000"));
    let mut fields: Vec<(String, String)> = (0..15)
        .map(|i| (format!("map.{i}"), select_value(&map.body, i)))
        .collect();
    fields.push(("mode".into(), "create".into()));
    fields.push(("match".into(), "phone".into()));
    fields.push(("action".into(), "run".into()));
    let pairs: Vec<(&str, &str)> = fields
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect();
    let started = c.post(&mapping_url, &pairs).await;
    assert_eq!(started.status, 303);
    let mut done = String::new();
    for _ in 0..100 {
        let st = c.get(&started.location).await;
        if st.body.contains("import-result") {
            done = st.body;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(done.contains("id=\"created\">2<"), "{done}");
    assert!(done.contains("id=\"rejected\">4<"));
    assert!(done.contains("日期格式应为"), "reasons in Chinese");
    assert!(
        !s.app
            .config()
            .data_dir
            .join("imports")
            .read_dir()
            .map(|mut d| d.next().is_some())
            .unwrap_or(false),
        "the sealed upload is removed after the import"
    );
    // Someone else cannot use the token.
    staff(&s.app, "he.xue", "store_manager", Some(s1)).await;
    let other = Client::new(&s.base);
    other.login("he.xue", PASSWORD).await;
    assert_eq!(other.get(&started.location).await.status, 404);
}
both!(the_console_import_wizard);

/// The option the wizard preselected for column `i`.
fn select_value(body: &str, i: usize) -> String {
    let Some(rest) = body.split(&format!("name=\"map.{i}\"")).nth(1) else {
        return String::new();
    };
    let select = rest.split("</select>").next().unwrap_or("");
    select
        .split("<option value=\"")
        .skip(1)
        .find(|o| o.contains("selected"))
        .and_then(|o| o.split('"').next())
        .unwrap_or("")
        .to_string()
}
