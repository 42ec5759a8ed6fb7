//! Every upload route refuses a file too large and a file whose bytes are not of the kind
//! taken (a program renamed `.png` or `.csv`) with a message in the user's language; the
//! customer import also refuses an xlsx "sheet bomb" (a few kilobytes declaring 16,384
//! columns by 1,048,576 rows) before reading it, in the console and in `patron import`, the
//! latter checked under an address-space limit the old code died of.

use crate::both;
use crate::harness::{Client, Kind, PASSWORD, staff, start_fresh, temp_dir, token_for};
use crate::orders::PNG;
use patron_app::customers::import::{TableLimits, read_table};
use patron_web::Lang;

/// The start of a Windows program: what a renamed `.exe` begins with.
const EXE: &[u8] = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00\xb8\x00";

/// A workbook holding only `A1` and `XFD1048576`: calamine would hold the whole rectangle.
pub(crate) fn sheet_bomb() -> Vec<u8> {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    sheet.write_string(0, 0, "姓名").expect("A1");
    sheet
        .write_string(1_048_575, 16_383, "x")
        .expect("XFD1048576");
    book.save_to_buffer().expect("xlsx")
}

fn oversize(limit: usize) -> Vec<u8> {
    let mut v = PNG.to_vec();
    v.resize(limit + 1, 0);
    v
}

fn zh(key: &str) -> &'static str {
    Lang::Zh.t(key)
}

/// A multipart form with the file in `field` (and the other parts given).
fn form(
    field: &str,
    name: &str,
    bytes: Vec<u8>,
    more: &[(&str, &str)],
) -> reqwest::multipart::Form {
    let mut f = reqwest::multipart::Form::new();
    for (k, v) in more {
        f = f.text(k.to_string(), v.to_string());
    }
    f.part(
        field.to_string(),
        reqwest::multipart::Part::bytes(bytes).file_name(name.to_string()),
    )
}

async fn every_upload_route_checks_size_and_type(kind: Kind) {
    let Some(s) = start_fresh(kind, |_| {}).await else {
        return;
    };
    let app = &s.app;
    // Three months of trade: this test needs the demo's kinds of data, not its years.
    patron_app::demo::seed_with(app, patron_app::demo::DemoHistory { months: 3 })
        .await
        .expect("seed");
    staff(app, "uploads.boss", "admin", None).await;
    let token = token_for(app, "uploads.boss").await;
    let ticket: i64 = sqlx::query_scalar("SELECT MIN(id) FROM tickets")
        .fetch_one(app.db().pool())
        .await
        .expect("ticket");
    let visit: i64 =
        sqlx::query_scalar("SELECT MIN(id) FROM appointments WHERE status = 'scheduled'")
            .fetch_one(app.db().pool())
            .await
            .expect("a scheduled visit");
    let attachment_limit = patron_app::service::ticket_files::MAX_ATTACHMENT_BYTES;
    let photo_limit = patron_app::service::appointments::MAX_PHOTO_BYTES;

    // The API answers 422 problem+json naming the field, in the caller's language.
    let http = reqwest::Client::new();
    let api_routes = [
        (
            format!("/api/v1/tickets/{ticket}/attachments"),
            "file",
            "attachment",
            attachment_limit,
        ),
        (
            format!("/api/v1/visits/{visit}/complete"),
            "photo",
            "appointment.photo",
            photo_limit,
        ),
    ];
    for (path, field, prefix, limit) in &api_routes {
        let type_key = if *prefix == "attachment" {
            "error.attachment.type"
        } else {
            "error.appointment.photo_type"
        };
        let size_key = if *prefix == "attachment" {
            "error.attachment.size"
        } else {
            "error.appointment.photo_size"
        };
        for (bytes, key) in [(EXE.to_vec(), type_key), (oversize(*limit), size_key)] {
            let res = http
                .post(format!("{}{path}", s.base))
                .header("authorization", format!("Bearer {token}"))
                .header("accept-language", "en")
                .multipart(form(field, "photo.png", bytes, &[("note", "done")]))
                .send()
                .await
                .expect("post");
            assert_eq!(res.status(), 422, "{path} {key}");
            assert_eq!(
                res.headers()["content-type"].to_str().expect("type"),
                "application/problem+json"
            );
            let body: serde_json::Value = res.json().await.expect("json");
            assert_eq!(body["field"], *field, "{path}: {body}");
            assert_eq!(body["title"], Lang::En.t(key), "{path}: {body}");
        }
    }
    let status: String = sqlx::query_scalar("SELECT status FROM appointments WHERE id = $1")
        .bind(visit)
        .fetch_one(app.db().pool())
        .await
        .expect("status");
    assert_eq!(status, "scheduled", "a refused photo completes nothing");

    // The console shows the message on the page.
    let c = Client::new(&s.base);
    c.login("uploads.boss", PASSWORD).await;
    c.get("/console").await;
    let csrf = c.csrf();
    let console_routes = [
        (
            format!("/console/service/tickets/{ticket}/attachments?_csrf={csrf}"),
            "file",
            "virus.png",
            "error.attachment.type",
            oversize(attachment_limit),
            "error.attachment.size",
        ),
        (
            format!("/console/visits/{visit}/complete?_csrf={csrf}"),
            "photo",
            "virus.png",
            "error.appointment.photo_type",
            oversize(photo_limit),
            "error.appointment.photo_size",
        ),
        (
            format!("/console/customers/import?_csrf={csrf}"),
            "file",
            "customers.csv",
            "error.import.type",
            vec![b'a'; 64 * 1024 * 1024 + 1],
            "error.import.too_large",
        ),
    ];
    for (path, field, name, type_key, big, size_key) in console_routes {
        for (bytes, key) in [(EXE.to_vec(), type_key), (big, size_key)] {
            let r = c
                .multipart(&path, form(field, name, bytes, &[("proof_note", "done")]))
                .await;
            assert!(
                r.body.contains(zh(key)),
                "{path}: {key} not shown ({}): {}",
                r.status,
                r.body
            );
        }
    }
    // The sheet bomb is refused before it is read, naming the limit.
    let r = c
        .multipart(
            &format!("/console/customers/import?_csrf={csrf}"),
            form("file", "客户.xlsx", sheet_bomb(), &[]),
        )
        .await;
    assert_eq!(r.status, 422, "{}", r.body);
    assert!(
        r.body.contains(zh("error.import.too_many_columns")),
        "{}",
        r.body
    );
    assert!(zh("error.import.too_many_columns").contains("imports.max_columns"));
}
both!(every_upload_route_checks_size_and_type);

/// The limits apply to what an xlsx file unpacks to and to rows, columns and cells.
#[test]
fn table_limits_are_checked_before_reading() {
    let mut book = rust_xlsxwriter::Workbook::new();
    let sheet = book.add_worksheet();
    for r in 0..30u32 {
        for col in 0..5u16 {
            sheet.write_string(r, col, "客户资料").expect("cell");
        }
    }
    let xlsx = book.save_to_buffer().expect("xlsx");
    let key = |limits: TableLimits| {
        read_table(&xlsx, &limits)
            .expect_err("refused")
            .field_errors()[0]
            .key
    };
    let d = TableLimits::default();
    assert_eq!(read_table(&xlsx, &d).expect("read").rows.len(), 29);
    assert_eq!(
        key(TableLimits {
            max_unpacked_bytes: 2000,
            ..d
        }),
        "error.import.unpacked_size"
    );
    assert_eq!(
        key(TableLimits { max_rows: 20, ..d }),
        "error.import.too_many_rows"
    );
    assert_eq!(
        key(TableLimits {
            max_columns: 4,
            ..d
        }),
        "error.import.too_many_columns"
    );
    assert_eq!(
        key(TableLimits {
            max_cells: 100,
            ..d
        }),
        "error.import.too_many_cells"
    );
    let bomb = read_table(&sheet_bomb(), &d).expect_err("bomb");
    assert_eq!(bomb.field_errors()[0].key, "error.import.too_many_columns");
    let exe = read_table(EXE, &d).expect_err("program");
    assert_eq!(exe.field_errors()[0].key, "error.import.type");
}

/// `patron import customers` and `patron import products` refuse the bomb cleanly under an
/// address-space limit of 1 GiB (the old code asked calamine for 550 GB and was killed).
#[test]
fn the_cli_refuses_a_sheet_bomb_under_a_memory_limit() {
    let dir = temp_dir();
    let file = dir.join("bomb.xlsx");
    std::fs::write(&file, sheet_bomb()).expect("write");
    for what in ["customers", "products"] {
        let out = std::process::Command::new("prlimit")
            .arg("--as=1073741824")
            .arg("--")
            .arg(env!("CARGO_BIN_EXE_patron"))
            .args(["import", what])
            .arg(&file)
            .arg("--data-dir")
            .arg(&dir)
            .env_remove("PATRON_DATABASE_URL")
            .output()
            .expect("run patron under prlimit");
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{what}: {:?} {err}", out.status);
        let expected = if what == "customers" {
            zh("error.import.too_many_columns")
        } else {
            Lang::En.t("error.import.too_many_columns")
        };
        assert!(err.contains(expected), "{what}: {err}");
    }
}
