//! The benchmark's chain and its three years of history, generated deterministically and
//! loaded through Patron's own writers: stores, sellers and products, customers by quarter
//! (`App::import_customers`), the sales history (`App::import_sales`, which keeps the
//! roll-ups), sellers given to the imported sales, and refunds (`App::refund`).

use jiff::civil::Date;
use jiff::tz::TimeZone;
use jiff::{Timestamp, ToSpan};
use patron_app::customers::import::{ImportOptions, TableLimits, guess_mapping, read_table};
use patron_app::reports::day_key;
use patron_app::sales::refund::RefundRequest;
use patron_app::sales::{Counter, Retry, SaleSource};
use patron_app::staff::{FirstPassword, StaffInput};
use patron_app::{App, Config, ManualClock};
use patron_domain::Actor;
use patron_store::{ConnectOptions, Db, Scope};
use std::io::Write as _;
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const STORES: usize = 20;
const SELLERS: usize = 6;
const SKUS: usize = 3_000;
const CATEGORIES: [(&str, &str); 30] = [
    ("tile", "瓷砖"),
    ("floor", "地板"),
    ("paint", "涂料"),
    ("bath", "卫浴"),
    ("light", "灯具"),
    ("hardware", "五金"),
    ("kitchen", "厨具"),
    ("door", "木门"),
    ("window", "门窗"),
    ("wallpaper", "壁纸"),
    ("curtain", "窗帘"),
    ("furniture", "家具"),
    ("bedding", "床品"),
    ("appliance", "电器"),
    ("plumbing", "水管"),
    ("electric", "电工"),
    ("tools", "工具"),
    ("garden", "园艺"),
    ("storage", "收纳"),
    ("decor", "软装"),
    ("lock", "门锁"),
    ("glass", "玻璃"),
    ("stone", "石材"),
    ("wood", "板材"),
    ("adhesive", "胶粘"),
    ("insulation", "保温"),
    ("ceiling", "吊顶"),
    ("heating", "采暖"),
    ("outdoor", "户外"),
    ("service", "服务"),
];
const SURNAMES: [&str; 12] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "欧阳", "单",
];
const GIVEN: [&str; 12] = [
    "伟", "芳", "娜", "敏", "静", "强", "磊", "军", "洋", "秀英", "建华", "子轩",
];
/// Opening hours (local) and their share of the day's receipts.
const HOURS: [(u32, usize); 13] = [
    (9, 3),
    (10, 6),
    (11, 8),
    (12, 6),
    (13, 5),
    (14, 6),
    (15, 7),
    (16, 8),
    (17, 9),
    (18, 10),
    (19, 9),
    (20, 6),
    (21, 3),
];
/// 2026-11-23T02:00:00Z, 10:00 in Shanghai.
pub(crate) const NOW_S: i64 = 1_795_399_200;
/// Days of sales: the three years before today.
pub(crate) const DAYS: usize = 1_095;
/// Quarters in which customers join after the first third.
const QUARTERS: usize = 12;
const REFUND_ONE_IN: usize = 100;
/// Customer `i` never buys when `i % 7 == NEVER`.
const NEVER: usize = 3;
const PASSWORD: &str = "门店会员管理很安全";

pub(crate) struct Dice(pub u64);
impl Dice {
    pub fn next(&mut self) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        self.0 >> 33
    }
    pub fn below(&mut self, n: usize) -> usize {
        (self.next() % n.max(1) as u64) as usize
    }
    /// In [0, 1).
    fn unit(&mut self) -> f64 {
        self.next() as f64 / (1u64 << 31) as f64
    }
    /// An index into `cumulative` weights.
    fn weighted(&mut self, cumulative: &[usize]) -> usize {
        let roll = self.below(cumulative.last().copied().unwrap_or(1));
        cumulative.partition_point(|c| *c <= roll)
    }
}

fn cumulative(weights: impl Iterator<Item = usize>) -> Vec<usize> {
    weights
        .scan(0, |sum, w| {
            *sum += w;
            Some(*sum)
        })
        .collect()
}

fn yuan(fen: i64) -> String {
    format!("{}.{:02}", fen / 100, fen % 100)
}

pub(crate) struct Shop {
    pub id: i64,
    pub code: String,
    pub tz: TimeZone,
    /// `(staff id, username)` of its sellers.
    pub sellers: Vec<(i64, String)>,
}

struct Product {
    sku: String,
    name: String,
    category: usize,
    price_fen: i64,
}

fn catalog(d: &mut Dice) -> Vec<Product> {
    (0..SKUS)
        .map(|i| {
            let category = d.below(CATEGORIES.len());
            Product {
                sku: format!("SKU{i:05}"),
                name: format!("{}{i:04}号", CATEGORIES[category].1),
                category,
                price_fen: ((5 + d.below(60)).pow(2) * 10 * (1 + d.below(3))) as i64,
            }
        })
        .collect()
}

/// Who the customers are: home store and the quarter they joined (0: before the three years).
struct Customers {
    home: Vec<u8>,
    quarter: Vec<u8>,
}

impl Customers {
    fn generate(d: &mut Dice, n: usize, store_weights: &[usize]) -> Customers {
        let before = n * 3 / 10;
        let quarter = (0..n)
            .map(|i| {
                if i < before {
                    0
                } else {
                    (1 + (i - before) * QUARTERS / (n - before).max(1)) as u8
                }
            })
            .collect();
        let home = (0..n).map(|_| d.weighted(store_weights) as u8).collect();
        Customers { home, quarter }
    }
    fn mobile(i: usize) -> String {
        format!("139{:08}", i + 1)
    }
}

/// The day (index from the first day of sales) customers of quarter `q` join.
fn join_day(q: usize) -> usize {
    if q == 0 { 0 } else { q * 91 - 45 }
}

/// A refund to make once the sales are in.
struct Planned {
    store: usize,
    receipt_no: String,
    at: Timestamp,
    lines: Vec<(i64, i64)>,
}

/// Writes the sales CSV (time order; the lines of a receipt together). Returns the lines and
/// receipts written and the refunds to make.
fn write_sales(
    path: &Path,
    target_lines: usize,
    dates: &[Date],
    shops: &[Shop],
    store_weights: &[usize],
    products: &[Product],
    customers: &Customers,
) -> (usize, usize, Vec<Planned>) {
    let mut d = Dice(2027);
    let mut out =
        std::io::BufWriter::with_capacity(1 << 20, std::fs::File::create(path).expect("sales csv"));
    writeln!(
        out,
        "小票号,销售时间,门店,手机号,商品编码,商品名称,品类,数量,单价,折扣"
    )
    .expect("write");
    let hours = cumulative(HOURS.iter().map(|h| h.1));
    let weight = |day: usize| {
        let weekend = match dates[day].weekday().to_monday_one_offset() {
            6 | 7 => 1.4,
            5 => 1.1,
            _ => 1.0,
        };
        let season = 1.0 + 0.2 * (std::f64::consts::TAU * day as f64 / 365.25).sin();
        weekend * season * (0.8 + 0.4 * day as f64 / DAYS as f64)
    };
    let total_weight: f64 = (0..DAYS).map(weight).sum();
    let receipts_wanted = target_lines as f64 / 4.0;
    // Customers on file by each day: they join in index order.
    let n = customers.quarter.len();
    let mut joined = vec![0usize; DAYS];
    let mut upto = 0;
    for (day, j) in joined.iter_mut().enumerate() {
        while upto < n && join_day(usize::from(customers.quarter[upto])) <= day {
            upto += 1;
        }
        *j = upto;
    }
    let (mut lines, mut receipts, mut refunds) = (0usize, 0usize, Vec::new());
    // (seconds into the day, store, customer index or none)
    let mut today: Vec<(u32, usize, Option<usize>)> = Vec::new();
    for day in 0..DAYS {
        let expected = receipts_wanted * weight(day) / total_weight;
        let count = (expected + d.unit()) as usize;
        today.clear();
        for _ in 0..count {
            let customer = (d.below(2) == 0 && joined[day] > 0).then(|| {
                let mut i =
                    ((joined[day] as f64 * d.unit().powf(1.3)) as usize).min(joined[day] - 1);
                if i % 7 == NEVER {
                    i -= 1;
                }
                i
            });
            let store = match customer {
                Some(i) if d.below(100) < 85 => usize::from(customers.home[i]),
                _ => d.weighted(store_weights),
            };
            let hour = HOURS[d.weighted(&hours)].0;
            let second = hour * 3600 + d.below(3600) as u32;
            today.push((second, store, customer));
        }
        today.sort_unstable();
        let ymd = day_key(dates[day]);
        for (seq, &(second, store, customer)) in today.iter().enumerate() {
            let receipt_no = format!("R{ymd}{seq:06}");
            let (h, m, s) = (second / 3600, second / 60 % 60, second % 60);
            let phone = customer.map(Customers::mobile).unwrap_or_default();
            let in_receipt = 1 + d.below(7);
            let mut first_qty = 1;
            for k in 0..in_receipt {
                let p = &products[((SKUS as f64 * d.unit() * d.unit()) as usize).min(SKUS - 1)];
                let qty = if d.below(10) == 0 {
                    5 + d.below(16)
                } else {
                    1 + d.below(3)
                } as i64;
                if k == 0 {
                    first_qty = qty;
                }
                let discount = if d.below(5) == 0 {
                    qty * p.price_fen * [5, 10][d.below(2)] / 100
                } else {
                    0
                };
                writeln!(
                    out,
                    "{receipt_no},{} {h:02}:{m:02}:{s:02},{},{phone},{},{},{},{qty},{},{}",
                    dates[day],
                    shops[store].code,
                    p.sku,
                    p.name,
                    CATEGORIES[p.category].0,
                    yuan(p.price_fen),
                    yuan(discount)
                )
                .expect("write");
            }
            lines += in_receipt;
            receipts += 1;
            if d.below(REFUND_ONE_IN) == 0 {
                let later = day + 1 + d.below(14);
                let hour = HOURS[d.weighted(&hours)].0;
                let whole = d.below(2) == 0;
                if later < DAYS {
                    let at = dates[later]
                        .at(hour as i8, d.below(60) as i8, d.below(60) as i8, 0)
                        .to_zoned_datetime(shops[store].tz.clone())
                        .expect("refund time")
                        .timestamp();
                    refunds.push(Planned {
                        store,
                        receipt_no,
                        at,
                        lines: if whole {
                            Vec::new()
                        } else {
                            vec![(1, (first_qty / 2).max(1))]
                        },
                    });
                }
            }
        }
    }
    out.flush().expect("flush");
    refunds.sort_by_key(|r| r.at);
    (lines, receipts, refunds)
}

pub(crate) async fn open(dir: &Path, clock: Arc<ManualClock>) -> App {
    let config = Config {
        data_dir: dir.to_path_buf(),
        ..Config::default()
    };
    let url = format!("sqlite://{}?mode=rwc", dir.join("patron.db").display());
    let db = Db::connect(&ConnectOptions::new(url))
        .await
        .expect("connect");
    db.migrate().await.expect("migrate");
    let keys = App::open_keyring(&config, &db).await.expect("keys");
    let app = App::new(db, clock, Arc::new(config), Arc::new(keys));
    app.db().seed_roles(app.now()).await.expect("roles");
    app
}

async fn staff(app: &App, username: &str, role: &str, store_id: Option<i64>) -> i64 {
    let input = StaffInput {
        username: username.into(),
        display_name: format!("店员{username}"),
        email: String::new(),
        role: role.into(),
        store_id,
    };
    app.create_staff(None, &input, FirstPassword::Set(PASSWORD.into()), None)
        .await
        .expect("staff")
}

/// Customers in `QUARTERS + 1` files, each imported with the clock at its quarter's date.
async fn load_customers(
    app: &App,
    clock: &ManualClock,
    customers: &Customers,
    shops: &[Shop],
    first_day: Timestamp,
) -> Duration {
    let mut d = Dice(31);
    let mut took = Duration::ZERO;
    let n = customers.quarter.len();
    let mut i = 0;
    for q in 0..=QUARTERS {
        let mut csv = String::from("姓名,手机号,所属门店\n");
        let start = i;
        while i < n && usize::from(customers.quarter[i]) == q {
            csv.push_str(&format!(
                "{}{},{},{}\n",
                SURNAMES[d.below(SURNAMES.len())],
                GIVEN[d.below(GIVEN.len())],
                Customers::mobile(i),
                shops[usize::from(customers.home[i])].code
            ));
            i += 1;
        }
        if i == start {
            continue;
        }
        clock.set(first_day + (join_day(q) as i64 * 24).hours());
        let started = Instant::now();
        let table = read_table(csv.as_bytes(), &TableLimits::default()).expect("read");
        let mapping = guess_mapping(&table.headers);
        let options = ImportOptions {
            bulk: true,
            ..Default::default()
        };
        let report = app
            .import_customers(
                &Actor::cli("bench"),
                Scope::Chain,
                &table,
                &mapping,
                &options,
                &|_| {},
            )
            .await
            .expect("import customers");
        took += started.elapsed();
        assert_eq!(
            report.created,
            i - start,
            "customers: {:?}",
            report.problems.first()
        );
    }
    took
}

/// Gives the imported sales their sellers: slot `id % 7` of the store's six, none for slot 6.
async fn assign_sellers(app: &App, shops: &[Shop]) {
    let pool = app.db().pool();
    sqlx::query(
        "CREATE TABLE bench_sellers (store_id INTEGER NOT NULL, slot INTEGER NOT NULL, \
         staff_id INTEGER NOT NULL, PRIMARY KEY (store_id, slot))",
    )
    .execute(pool)
    .await
    .expect("sellers table");
    for shop in shops {
        for (slot, (id, _)) in shop.sellers.iter().enumerate() {
            sqlx::query("INSERT INTO bench_sellers VALUES ($1, $2, $3)")
                .bind(shop.id)
                .bind(slot as i64)
                .bind(*id)
                .execute(pool)
                .await
                .expect("seller");
        }
    }
    sqlx::query(
        "UPDATE sales SET staff_id = (SELECT b.staff_id FROM bench_sellers b \
         WHERE b.store_id = sales.store_id AND b.slot = sales.id % 7)",
    )
    .execute(pool)
    .await
    .expect("assign sellers");
    sqlx::query("DROP TABLE bench_sellers")
        .execute(pool)
        .await
        .expect("drop");
}

async fn make_refunds(app: &App, clock: &ManualClock, shops: &[Shop], planned: &[Planned]) {
    for r in planned {
        let shop = &shops[r.store];
        clock.set(r.at);
        let counter = Counter {
            store_id: shop.id,
            store_code: shop.code.clone(),
            timezone: shop.tz.iana_name().unwrap_or("Asia/Shanghai").to_string(),
            name: "bench till".into(),
            staff_id: None,
            source: SaleSource::Till,
        };
        let refund_no = format!("T{}", r.receipt_no);
        let retry =
            Retry::new(format!("bench:{}", shop.code), &refund_no, &refund_no).expect("retry");
        let req = RefundRequest {
            store_code: shop.code.clone(),
            receipt_no: r.receipt_no.clone(),
            refund_no,
            lines: r.lines.clone(),
            reason: "尺寸不合适".into(),
        };
        let answer = app.refund(&counter, &retry, req).await.expect("refund");
        assert_eq!(answer.status, 201, "refund: {}", answer.body);
    }
}

/// The chain as loaded, and what each load took.
pub(crate) struct Loaded {
    pub shops: Vec<Shop>,
    /// An administrator, to ask for the reports.
    pub owner: i64,
    pub lines: usize,
    pub receipts: usize,
    pub refunds: usize,
    pub customers_took: Duration,
    pub sales_took: Duration,
    pub refunds_took: Duration,
}

/// Creates the chain and loads its history; `dates` are the days of sales and today.
pub(crate) async fn load(
    app: &App,
    clock: &ManualClock,
    dir: &Path,
    dates: &[Date],
    customer_count: usize,
    target_lines: usize,
) -> Loaded {
    let now = app.now();
    let mut d = Dice(7);
    let mut shops = Vec::new();
    for s in 0..STORES {
        let zone = if s >= 18 {
            "Asia/Urumqi"
        } else {
            "Asia/Shanghai"
        };
        let code = format!("S{:02}", s + 1);
        let row = app
            .create_store(None, &code, &format!("基准门店{:02}", s + 1), zone, None)
            .await
            .expect("store");
        let mut sellers = Vec::new();
        for k in 1..=SELLERS {
            let username = format!("s{:02}-{k}", s + 1);
            let id = staff(app, &username, "sales_associate", Some(row.id)).await;
            sellers.push((id, username));
        }
        shops.push(Shop {
            id: row.id,
            code,
            tz: TimeZone::get(zone).expect("zone"),
            sellers,
        });
    }
    let owner = staff(app, "bench-owner", "admin", None).await;
    let store_weights = cumulative((0..STORES).map(|s| 1 + (s * 7) % 4));
    let products = catalog(&mut d);
    let mut csv = String::from("商品编码,商品名称,品类,品牌,售价\n");
    for p in &products {
        csv.push_str(&format!(
            "{},{},{},基准,{}\n",
            p.sku,
            p.name,
            CATEGORIES[p.category].0,
            yuan(p.price_fen)
        ));
    }
    let imported = app.import_products(csv.as_bytes()).await.expect("products");
    assert_eq!(imported.saved, SKUS, "{:?}", imported.rejected.first());
    let customers = Customers::generate(&mut d, customer_count, &store_weights);

    // The sales file, written before anything is timed.
    let started = Instant::now();
    let sales_csv = dir.join("history.csv");
    let (lines, receipts, planned) = write_sales(
        &sales_csv,
        target_lines,
        dates,
        &shops,
        &store_weights,
        &products,
        &customers,
    );
    println!(
        "generated {lines} lines in {receipts} receipts ({:.1} MB, {:.1} s); {} refunds planned",
        std::fs::metadata(&sales_csv).map_or(0, |m| m.len()) as f64 / 1e6,
        started.elapsed().as_secs_f64(),
        planned.len()
    );

    let first_day = dates[0]
        .at(10, 0, 0, 0)
        .to_zoned_datetime(shops[0].tz.clone())
        .expect("first day")
        .timestamp();
    let customers_took = load_customers(app, clock, &customers, &shops, first_day).await;
    println!(
        "LOAD customers: {customer_count} in {} files (bulk) {:.1} s = {:.0} rows/s",
        QUARTERS + 1,
        customers_took.as_secs_f64(),
        customer_count as f64 / customers_took.as_secs_f64()
    );
    clock.set(now);
    let started = Instant::now();
    let file = std::fs::File::open(&sales_csv).expect("csv");
    let report = app
        .import_sales(
            std::io::BufReader::with_capacity(1 << 20, file),
            false,
            &|_| {},
        )
        .await
        .expect("import sales");
    let sales_took = started.elapsed();
    assert!(
        report.rejected.is_empty(),
        "{} rejected, first {:?}",
        report.rejected.len(),
        report.rejected.first()
    );
    assert_eq!((report.lines, report.sales), (lines, receipts));
    println!(
        "LOAD sales history: {lines} lines, {receipts} receipts in {:.1} s = {:.0} lines/s \
         (App::import_sales, roll-ups kept; reindexed: {})",
        sales_took.as_secs_f64(),
        lines as f64 / sales_took.as_secs_f64(),
        report.reindexed
    );
    let _ = std::fs::remove_file(&sales_csv);
    let started = Instant::now();
    assign_sellers(app, &shops).await;
    println!(
        "sellers given to the imported sales by SQL: {:.1} s",
        started.elapsed().as_secs_f64()
    );
    let started = Instant::now();
    make_refunds(app, clock, &shops, &planned).await;
    clock.set(now);
    let refunds_took = started.elapsed();
    println!(
        "LOAD refunds: {} in {:.1} s = {:.0}/s (App::refund, one at a time)",
        planned.len(),
        refunds_took.as_secs_f64(),
        planned.len() as f64 / refunds_took.as_secs_f64()
    );
    Loaded {
        shops,
        owner,
        lines,
        receipts,
        refunds: planned.len(),
        customers_took,
        sales_took,
        refunds_took,
    }
}
