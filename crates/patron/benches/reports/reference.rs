//! The reference: the raw rows exported as CSV and handed to `duckdb_reports.py`, which
//! times the same roll-ups from them and answers a fixed set of reports from them; then
//! Patron's roll-up checksums and answers over HTTP compared with DuckDB's (any difference
//! panics).

use super::history::Shop;
use jiff::Timestamp;
use jiff::tz::TimeZone;
use patron_app::App;
use patron_app::reports::{Period, day_key, per};
use serde_json::{Value, json};
use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::Path;
use std::time::Instant;

/// The roll-up tables: name, period column, a number made of the key (for the checksums).
/// `duckdb_reports.py` has the same list.
const ROLLUPS: [(&str, &str, &str); 6] = [
    ("report_days", "day", "member"),
    ("report_hours", "day", "hour"),
    ("report_staff_days", "day", "staff_id"),
    ("report_category_days", "day", "length(category)"),
    (
        "report_product_days",
        "day",
        "length(sku) + length(category)",
    ),
    (
        "report_product_months",
        "month",
        "length(sku) + length(category)",
    ),
];
const CHECKSUM: [&str; 8] = [
    "rows",
    "receipts",
    "items",
    "net",
    "refund",
    "period×net",
    "store×receipts",
    "key×items",
];

/// Each roll-up table's checksum (see `CHECKSUM`), by table.
pub(crate) type Sums = BTreeMap<String, Vec<i64>>;

/// Each roll-up table's checksum.
pub(crate) async fn checksums(app: &App) -> Sums {
    let mut out = BTreeMap::new();
    for (table, period, key) in ROLLUPS {
        let sum = |e: &str| format!("CAST(COALESCE(SUM({e}), 0) AS BIGINT)");
        let sql = format!(
            "SELECT COUNT(*), {}, {}, {}, {}, {}, {}, {} FROM {table}",
            sum("receipts"),
            sum("items"),
            sum("net_fen"),
            sum("refund_fen"),
            sum(&format!("({period} % 10000) * (net_fen - refund_fen)")),
            sum("store_id * receipts"),
            sum(&format!("({key}) * items")),
        );
        let row: (i64, i64, i64, i64, i64, i64, i64, i64) =
            sqlx::query_as(sqlx::AssertSqlSafe(sql))
                .fetch_one(app.db().pool())
                .await
                .expect("checksum");
        out.insert(
            table.to_string(),
            vec![row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7],
        );
    }
    out
}

/// The raw rows as Patron stored them, as CSV files for the reference.
fn export(dir: &Path, shops: &[Shop]) {
    let conn = rusqlite::Connection::open_with_flags(
        dir.join("patron.db"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )
    .expect("open");
    let dump = |name: &str, header: &str, sql: &str, width: usize| {
        let mut out = std::io::BufWriter::with_capacity(
            1 << 20,
            std::fs::File::create(dir.join(format!("{name}.csv"))).expect("csv"),
        );
        writeln!(out, "{header}").expect("write");
        let mut stmt = conn.prepare(sql).expect("select");
        let mut rows = stmt.query([]).expect("query");
        while let Some(row) = rows.next().expect("row") {
            for c in 0..width {
                if c > 0 {
                    out.write_all(b",").expect("write");
                }
                match row.get_ref(c).expect("cell") {
                    rusqlite::types::ValueRef::Null => {}
                    rusqlite::types::ValueRef::Integer(v) => write!(out, "{v}").expect("write"),
                    rusqlite::types::ValueRef::Text(t) => out.write_all(t).expect("write"),
                    other => panic!("unexpected cell {other:?}"),
                }
            }
            out.write_all(b"\n").expect("write");
        }
        out.flush().expect("flush");
    };
    dump(
        "sales",
        "id,store_id,customer_id,staff_id,local_day,local_month,local_hour,net_fen,points_earned,points_value_fen",
        "SELECT id, store_id, customer_id, staff_id, local_day, local_month, local_hour, net_fen, \
         points_earned, points_value_fen FROM sales",
        10,
    );
    dump(
        "sale_lines",
        "sale_id,line_no,sku,category,quantity,net_fen",
        "SELECT sale_id, line_no, sku, category, quantity, net_fen FROM sale_lines",
        6,
    );
    dump(
        "refunds",
        "id,sale_id,store_id,customer_id,local_day,local_month,local_hour,net_fen",
        "SELECT id, sale_id, store_id, customer_id, local_day, local_month, local_hour, net_fen \
         FROM refunds",
        8,
    );
    dump(
        "refund_lines",
        "refund_id,line_no,net_fen",
        "SELECT refund_id, line_no, net_fen FROM refund_lines",
        3,
    );
    dump(
        "staff",
        "staff_no,username",
        "SELECT id, username FROM staff",
        2,
    );
    // Customer files with the local day they were created on in their home store's zone, as
    // the customer indicators count them.
    let mut out =
        std::io::BufWriter::new(std::fs::File::create(dir.join("customers.csv")).expect("csv"));
    writeln!(out, "id,store_id,created_day,status").expect("write");
    let mut stmt = conn
        .prepare("SELECT id, store_id, created_at, status FROM customers")
        .expect("select");
    let mut rows = stmt.query([]).expect("query");
    while let Some(row) = rows.next().expect("row") {
        let (id, store, at, status): (i64, i64, i64, String) = (
            row.get(0).expect("id"),
            row.get(1).expect("store"),
            row.get(2).expect("created"),
            row.get(3).expect("status"),
        );
        let tz = shops
            .iter()
            .find(|s| s.id == store)
            .map_or(TimeZone::UTC, |s| s.tz.clone());
        let day = day_key(
            tz.to_datetime(Timestamp::from_millisecond(at).expect("time"))
                .date(),
        );
        writeln!(out, "{id},{store},{day},{status}").expect("write");
    }
    out.flush().expect("flush");
    let mut out =
        std::io::BufWriter::new(std::fs::File::create(dir.join("stores.csv")).expect("csv"));
    writeln!(out, "store_no,code").expect("write");
    for s in shops {
        writeln!(out, "{},{}", s.id, s.code).expect("write");
    }
    out.flush().expect("flush");
}

/// The reports compared with the reference: what to ask Patron and what to ask DuckDB.
struct Checks {
    /// (address, DuckDB spec section, spec ids in the answer's order)
    asks: Vec<(String, &'static str, Vec<usize>)>,
    spec: Value,
}

fn checks(shops: &[Shop]) -> Checks {
    let (mut asks, mut sales, mut figures, mut cohorts, mut lifecycle) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new(), Vec::new());
    let by_code = |code: &str| shops.iter().find(|s| s.code == code).map(|s| s.id);
    let query = |store: Option<&str>| store.map_or(String::new(), |s| format!("&store={s}"));
    for (from, to, store) in [
        ("2025-11-23", "2026-11-22", None),
        ("2024-02-10", "2024-12-03", Some("S07")),
        ("2026-10-01", "2026-10-31", Some("S19")),
    ] {
        for g in [
            "day", "week", "month", "store", "category", "product", "staff", "hour", "weekday",
            "member",
        ] {
            let id = sales.len();
            let p = Period::parse(from, to).expect("period");
            let (f, t) = p.day_keys();
            sales.push(json!({"id": id, "group_by": g, "from": f, "to": t,
                              "store": store.and_then(by_code)}));
            asks.push((
                format!(
                    "/api/v1/reports/sales?group_by={g}&from={from}&to={to}{}",
                    query(store)
                ),
                "sales",
                vec![id],
            ));
        }
    }
    for (from, to, store) in [
        ("2026-10-01", "2026-10-31", None),
        ("2025-06-17", "2025-08-09", Some("S03")),
        ("2024-12-28", "2025-01-05", None),
        ("2026-01-01", "2026-03-31", Some("S20")),
    ] {
        let p = Period::parse(from, to).expect("period");
        let mut ids = Vec::new();
        for q in [p, p.previous(), p.year_ago()] {
            let ((f, t), (pf, pt)) = (q.day_keys(), q.previous().day_keys());
            ids.push(figures.len());
            figures.push(
                json!({"id": figures.len(), "from": f, "to": t, "prev_from": pf,
                                "prev_to": pt, "store": store.and_then(by_code)}),
            );
        }
        asks.push((
            format!(
                "/api/v1/reports/summary?from={from}&to={to}{}",
                query(store)
            ),
            "figures",
            ids,
        ));
    }
    for (from, to, store) in [
        ("2025-12", "2026-11", None),
        ("2024-06", "2025-05", Some("S12")),
        ("2023-11", "2024-10", None),
    ] {
        let month = |s: &str| {
            let (y, m) = s.split_once('-').expect("month");
            y.parse::<i64>().expect("year") * 100 + m.parse::<i64>().expect("month")
        };
        for (route, list) in [("cohorts", &mut cohorts), ("lifecycle", &mut lifecycle)] {
            let id = list.len();
            list.push(
                json!({"id": id, "from_month": month(from), "to_month": month(to),
                             "store": store.and_then(by_code)}),
            );
            asks.push((
                format!(
                    "/api/v1/reports/{route}?from_month={from}&to_month={to}{}",
                    query(store)
                ),
                if route == "cohorts" {
                    "cohorts"
                } else {
                    "lifecycle"
                },
                vec![id],
            ));
        }
    }
    Checks {
        asks,
        spec: json!({"sales": sales, "figures": figures, "cohorts": cohorts,
                     "lifecycle": lifecycle}),
    }
}

fn int(v: &Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not an integer: {v}"))
}

/// A rate from the reference's counts: `None` when the denominator is 0.
fn rate(part: i64, whole: i64) -> Value {
    if whole == 0 {
        Value::Null
    } else {
        json!(part as f64 / whole as f64)
    }
}

fn same_number(ours: &Value, theirs: &Value) -> bool {
    match (ours.as_f64(), theirs.as_f64()) {
        (Some(a), Some(b)) => (a - b).abs() <= 1e-9 * b.abs().max(1.0),
        _ => ours.is_null() && theirs.is_null(),
    }
}

fn compare_sales(path: &str, ours: &Value, theirs: &Value) {
    let measures = |r: &Value| {
        [
            int(&r["receipts"]),
            int(&r["items"]),
            int(&r["net_fen"]),
            int(&r["refund_fen"]),
        ]
    };
    let mut mine: BTreeMap<String, [i64; 4]> = BTreeMap::new();
    for r in ours["rows"].as_array().expect("rows") {
        let m = measures(r);
        if m != [0; 4] {
            mine.insert(r["key"].as_str().expect("key").to_string(), m);
        }
    }
    let mut reference: BTreeMap<String, [i64; 4]> = BTreeMap::new();
    for r in theirs.as_array().expect("reference rows") {
        let m = [int(&r[1]), int(&r[2]), int(&r[3]), int(&r[4])];
        if m != [0; 4] {
            reference.insert(r[0].as_str().expect("key").to_string(), m);
        }
    }
    for key in mine.keys().chain(reference.keys()) {
        assert_eq!(
            mine.get(key),
            reference.get(key),
            "{path}: group {key:?} (receipts, items, net, refund) Patron vs DuckDB"
        );
    }
    let total: [i64; 4] = reference.values().fold([0; 4], |mut a, m| {
        for i in 0..4 {
            a[i] += m[i];
        }
        a
    });
    assert_eq!(measures(&ours["total"]), total, "{path}: total");
}

fn compare_figures(path: &str, ours: &Value, c: &Value) {
    let g = |k: &str| int(&c[k]);
    let net = g("net") - g("refund");
    let member_net = g("member_net") - g("member_refund");
    let retention = rate(g("retained"), g("previous_active"));
    let want = json!({
        "net_sales_fen": net,
        "receipts": g("receipts"),
        "average_order_fen": per(net, g("receipts")),
        "items_per_receipt": rate(g("items"), g("receipts")),
        "member_sales_share": rate(member_net, net),
        "active_customers": g("active"),
        "new_customers": g("new_customers"),
        "first_time_buyers": g("first_time"),
        "repeat_rate": rate(g("repeat"), g("active")),
        "retention_rate": retention,
        "churn_rate": retention.as_f64().map_or(Value::Null, |r| json!(1.0 - r)),
        "purchase_frequency": rate(g("member_days"), g("active")),
    });
    for (k, w) in want.as_object().expect("object") {
        assert!(
            same_number(&ours[k], w),
            "{path}: {k} is {} in Patron, {w} by DuckDB",
            ours[k]
        );
    }
}

fn month_text(yyyymm: i64) -> String {
    format!("{:04}-{:02}", yyyymm / 100, yyyymm % 100)
}

fn months_after(yyyymm: i64, k: i64) -> i64 {
    let n = yyyymm / 100 * 12 + yyyymm % 100 - 1 + k;
    n / 12 * 100 + n % 12 + 1
}

fn compare_cohorts(path: &str, ours: &Value, spec: &Value, theirs: &Value) {
    let (from, to) = (int(&spec["from_month"]), int(&spec["to_month"]));
    let mut cells: BTreeMap<(i64, i64), i64> = BTreeMap::new();
    for c in theirs.as_array().expect("cells") {
        cells.insert((int(&c[0]), int(&c[1])), int(&c[2]));
    }
    let span = (to / 100 - from / 100) * 12 + to % 100 - from % 100;
    let rows = ours["cohorts"].as_array().expect("cohorts");
    assert_eq!(rows.len() as i64, span + 1, "{path}: cohorts");
    for (k, row) in rows.iter().enumerate() {
        let month = months_after(from, k as i64);
        assert_eq!(row["month"], json!(month_text(month)), "{path}");
        let want: Vec<i64> = (0..=span - k as i64)
            .map(|j| cells.get(&(month, j)).copied().unwrap_or(0))
            .collect();
        let got: Vec<i64> = row["active"]
            .as_array()
            .expect("active")
            .iter()
            .map(int)
            .collect();
        assert_eq!(got, want, "{path}: cohort {}", month_text(month));
        assert_eq!(int(&row["size"]), want[0], "{path}: cohort size");
    }
}

fn compare_lifecycle(path: &str, ours: &Value, spec: &Value, theirs: &Value) {
    let from = int(&spec["from_month"]);
    let mut cells: BTreeMap<(i64, String), i64> = BTreeMap::new();
    for c in theirs.as_array().expect("cells") {
        cells.insert(
            (int(&c[0]), c[1].as_str().expect("kind").to_string()),
            int(&c[2]),
        );
    }
    for (k, row) in ours["months"]
        .as_array()
        .expect("months")
        .iter()
        .enumerate()
    {
        let month = months_after(from, k as i64);
        assert_eq!(row["month"], json!(month_text(month)), "{path}");
        for kind in ["new", "active", "returning", "won_back", "lapsing", "lost"] {
            let want = cells.get(&(month, kind.to_string())).copied().unwrap_or(0);
            assert_eq!(
                int(&row[kind]),
                want,
                "{path}: {kind} in {}",
                month_text(month)
            );
        }
    }
}

fn compare_checksums(when: &str, ours: &Sums, theirs: &Sums, skip: &[(&str, usize)]) {
    for (table, want) in theirs {
        let got = &ours[table];
        for (i, name) in CHECKSUM.iter().enumerate() {
            if skip.contains(&(table.as_str(), i)) {
                continue;
            }
            assert_eq!(
                got[i], want[i],
                "{when}: {table} {name} is {} in Patron, {} by DuckDB",
                got[i], want[i]
            );
        }
    }
}

/// DuckDB's timings and answers, and the reports they answer.
pub(crate) struct Reference {
    checks: Checks,
    answers: Value,
}

/// Exports the raw rows and runs `duckdb_reports.py` on them (its roll-ups `runs` times).
pub(crate) fn run(dir: &Path, shops: &[Shop], runs: usize) -> Reference {
    let started = Instant::now();
    export(dir, shops);
    let checks = checks(shops);
    let mut spec = checks.spec.clone();
    spec["runs"] = json!(runs);
    std::fs::write(dir.join("spec.json"), spec.to_string()).expect("spec");
    println!(
        "exported the raw rows as CSV: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/duckdb_reports.py");
    let out = std::process::Command::new("python3")
        .arg(script)
        .arg(dir)
        .output()
        .expect("python3");
    assert!(
        out.status.success(),
        "duckdb_reports.py failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let answers: Value = serde_json::from_slice(&out.stdout).expect("json");
    println!(
        "DuckDB reference: {:.1} s in all",
        started.elapsed().as_secs_f64()
    );
    Reference { checks, answers }
}

impl Reference {
    /// DuckDB's roll-ups from the raw CSV: median seconds with reading the files, and without.
    pub(crate) fn rollup_seconds(&self) -> (f64, f64) {
        let r = &self.answers["rollup"];
        (
            r["median_total_s"].as_f64().expect("median"),
            r["median_agg_s"].as_f64().expect("median"),
        )
    }

    /// Patron's roll-ups after the history load (`kept`) and after the rebuild against
    /// DuckDB's. Before the rebuild the sellers were not yet in the staff roll-up: only its
    /// row count and its staff-weighted sum may differ then.
    pub(crate) fn compare_checksums(&self, kept: &Sums, rebuilt: &Sums) {
        let duck: Sums =
            serde_json::from_value(self.answers["rollup"]["checksums"].clone()).expect("sums");
        compare_checksums(
            "after the history load",
            kept,
            &duck,
            &[("report_staff_days", 0), ("report_staff_days", 7)],
        );
        compare_checksums("after the rebuild", rebuilt, &duck, &[]);
        println!("roll-up checksums agree with DuckDB's (after the load and after the rebuild)");
    }

    /// Asks Patron each report of the set and compares its answer with DuckDB's.
    pub(crate) async fn compare_answers(&self, http: &reqwest::Client, base: &str, token: &str) {
        for (path, section, ids) in &self.checks.asks {
            let (_, ours) = super::get(http, base, token, path).await;
            let theirs = |id: usize| &self.answers[*section][id.to_string()];
            let spec = |id: usize| &self.checks.spec[*section][id];
            match *section {
                "sales" => compare_sales(path, &ours, theirs(ids[0])),
                "figures" => {
                    compare_figures(path, &ours, theirs(ids[0]));
                    let previous = format!("{path} previous");
                    compare_figures(&previous, &ours["previous"], theirs(ids[1]));
                    let year_ago = format!("{path} year_ago");
                    compare_figures(&year_ago, &ours["year_ago"], theirs(ids[2]));
                }
                "cohorts" => compare_cohorts(path, &ours, spec(ids[0]), theirs(ids[0])),
                _ => compare_lifecycle(path, &ours, spec(ids[0]), theirs(ids[0])),
            }
        }
        println!(
            "answers agree with DuckDB's: {} reports (sales by every grouping, summaries with \
             their comparisons, cohorts, lifecycle)",
            self.checks.asks.len()
        );
    }
}
