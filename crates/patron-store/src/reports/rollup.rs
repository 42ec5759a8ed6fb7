//! Keeping the report roll-ups current. A sale or a refund adds its measures to one row of
//! each roll-up table for its store and one for the chain (0025_report_rollups.sql); a batch of sales sums its rows first and adds
//! each sum once, with one multi-row upsert a table.

use crate::StoreError;
use crate::db::placeholders;
use crate::sales::{Calendar, NewSale};
use sqlx::AnyConnection;
use std::collections::BTreeMap;

/// The roll-up tables, each one grouping of the sales by store and local day (or month).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Grain {
    /// `report_days`: by member (1) or walk-in (0); carries the points and coupon measures.
    Days,
    /// `report_hours`: by local hour of day.
    Hours,
    /// `report_staff_days`: by the staff member who made the sale (0: none).
    Staff,
    /// `report_category_days`: by the line's category.
    Categories,
    /// `report_product_days`: by SKU (and the category it was sold under).
    ProductDays,
    /// `report_product_months`: the same by local month, so a year reads twelve rows a product.
    ProductMonths,
}

impl Grain {
    pub(crate) const ALL: [Grain; 6] = [
        Grain::Days,
        Grain::Hours,
        Grain::Staff,
        Grain::Categories,
        Grain::ProductDays,
        Grain::ProductMonths,
    ];

    pub(crate) fn table(self) -> &'static str {
        match self {
            Grain::Days => "report_days",
            Grain::Hours => "report_hours",
            Grain::Staff => "report_staff_days",
            Grain::Categories => "report_category_days",
            Grain::ProductDays => "report_product_days",
            Grain::ProductMonths => "report_product_months",
        }
    }

    /// The key columns after `store_id`: the period column, then the grouping's own.
    pub(crate) fn key_columns(self) -> &'static [&'static str] {
        match self {
            Grain::Days => &["day", "member"],
            Grain::Hours => &["day", "hour"],
            Grain::Staff => &["day", "staff_id"],
            Grain::Categories => &["day", "category"],
            Grain::ProductDays => &["day", "sku", "category"],
            Grain::ProductMonths => &["month", "sku", "category"],
        }
    }

    /// Values a row binds: store, key columns, measures.
    pub(crate) fn arity(self) -> usize {
        1 + self.key_columns().len() + self.measures().len()
    }

    /// The measure columns this table carries.
    pub(crate) fn measures(self) -> &'static [&'static str] {
        match self {
            Grain::Days => &MEASURES,
            _ => &MEASURES[..COMMON],
        }
    }
}

/// Every measure, in the order of `Measures`' slots; all tables carry the first `COMMON`.
const MEASURES: [&str; 9] = [
    "receipts",
    "items",
    "net_fen",
    "refund_fen",
    "points_earned",
    "points_value_fen",
    "coupon_fen",
    "points_sales_fen",
    "coupon_sales_fen",
];
const COMMON: usize = 4;

/// A row's grouping value after store and period.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum Dim {
    Int(i64),
    Text(String),
    Product { sku: String, category: String },
}

pub(crate) type Measures = [i64; 9];
const RECEIPTS: usize = 0;
const ITEMS: usize = 1;
const NET: usize = 2;
const REFUND: usize = 3;

/// A roll-up row's key: table, store, day or month, grouping value.
type RowKey = (Grain, i64, i64, Dim);

/// The `store_id` of the rows that hold the whole chain's sums, kept beside each store's so a
/// chain-wide report reads as few rows as a one-store report. Store ids start at 1.
///
/// Locks: every writer adds its rows in key order (a `BTreeMap`, tables in `Grain` order, the
/// chain's row first), so two transactions never wait on each other's rows in a cycle.
pub(crate) const CHAIN_STORE: i64 = 0;

/// Measures summed by roll-up row, ready to be added to the tables.
#[derive(Debug, Default)]
pub(crate) struct Rollup {
    rows: BTreeMap<RowKey, Measures>,
}

/// One refunded line: what it was sold as and the amount refunded.
pub(crate) struct RefundedLine<'a> {
    pub sku: &'a str,
    pub category: &'a str,
    pub net_fen: i64,
}

/// A refund as the roll-ups see it: counted on its own day and hour, under its sale's
/// store, member and staff.
pub(crate) struct RefundFacts<'a> {
    pub store_id: i64,
    pub calendar: &'a Calendar,
    pub member: bool,
    pub staff_id: Option<i64>,
    pub lines: Vec<RefundedLine<'a>>,
}

impl Rollup {
    /// Adds `m` to the store's row and to the chain's (`CHAIN_STORE`).
    fn add(&mut self, grain: Grain, store: i64, period: i64, dim: Dim, m: &Measures) {
        let chain = (grain, CHAIN_STORE, period, dim.clone());
        for key in [chain, (grain, store, period, dim)] {
            let row = self.rows.entry(key).or_default();
            for (slot, v) in row.iter_mut().zip(m) {
                *slot += v;
            }
        }
    }

    /// Adds a written sale.
    pub(crate) fn add_sale(&mut self, sale: &NewSale) {
        let cal = &sale.calendar;
        let store = sale.store_id;
        let mut whole: Measures = [0; 9];
        whole[RECEIPTS] = 1;
        for l in &sale.lines {
            whole[ITEMS] += l.quantity;
            whole[NET] += l.net_fen;
        }
        let mut days = whole;
        days[4] = sale.earned.as_ref().map_or(0, |l| l.points);
        days[5] = sale.points_value_fen;
        days[6] = sale.coupons.iter().map(|(_, d)| d).sum();
        days[7] = if sale.points_value_fen > 0 {
            whole[NET]
        } else {
            0
        };
        days[8] = if sale.coupons.is_empty() {
            0
        } else {
            whole[NET]
        };
        let member = i64::from(sale.customer_id.is_some());
        self.add(Grain::Days, store, cal.day, Dim::Int(member), &days);
        self.add(Grain::Hours, store, cal.day, Dim::Int(cal.hour), &whole);
        let staff = sale.staff_id.unwrap_or(0);
        self.add(Grain::Staff, store, cal.day, Dim::Int(staff), &whole);
        // A sale is one receipt for each category and each product it has a line of.
        let mut categories: BTreeMap<&str, Measures> = BTreeMap::new();
        let mut products: BTreeMap<(&str, &str), Measures> = BTreeMap::new();
        for l in &sale.lines {
            for m in [
                categories.entry(&l.category).or_default(),
                products.entry((&l.sku, &l.category)).or_default(),
            ] {
                m[RECEIPTS] = 1;
                m[ITEMS] += l.quantity;
                m[NET] += l.net_fen;
            }
        }
        for (category, m) in categories {
            let dim = Dim::Text(category.to_string());
            self.add(Grain::Categories, store, cal.day, dim, &m);
        }
        for ((sku, category), m) in products {
            let dim = Dim::Product {
                sku: sku.to_string(),
                category: category.to_string(),
            };
            self.add(Grain::ProductDays, store, cal.day, dim.clone(), &m);
            self.add(Grain::ProductMonths, store, cal.month, dim, &m);
        }
    }

    /// Adds a refund: its amounts as `refund_fen` on the refund's own day.
    pub(crate) fn add_refund(&mut self, r: &RefundFacts<'_>) {
        let cal = r.calendar;
        let store = r.store_id;
        let mut whole: Measures = [0; 9];
        whole[REFUND] = r.lines.iter().map(|l| l.net_fen).sum();
        let member = i64::from(r.member);
        self.add(Grain::Days, store, cal.day, Dim::Int(member), &whole);
        self.add(Grain::Hours, store, cal.day, Dim::Int(cal.hour), &whole);
        let staff = r.staff_id.unwrap_or(0);
        self.add(Grain::Staff, store, cal.day, Dim::Int(staff), &whole);
        let mut categories: BTreeMap<&str, i64> = BTreeMap::new();
        let mut products: BTreeMap<(&str, &str), i64> = BTreeMap::new();
        for l in &r.lines {
            *categories.entry(l.category).or_default() += l.net_fen;
            *products.entry((l.sku, l.category)).or_default() += l.net_fen;
        }
        for (category, fen) in categories {
            let mut m: Measures = [0; 9];
            m[REFUND] = fen;
            let dim = Dim::Text(category.to_string());
            self.add(Grain::Categories, store, cal.day, dim, &m);
        }
        for ((sku, category), fen) in products {
            let mut m: Measures = [0; 9];
            m[REFUND] = fen;
            let dim = Dim::Product {
                sku: sku.to_string(),
                category: category.to_string(),
            };
            self.add(Grain::ProductDays, store, cal.day, dim.clone(), &m);
            self.add(Grain::ProductMonths, store, cal.month, dim, &m);
        }
    }

    /// Adds the sums to the tables on an open transaction: one upsert statement a table (a
    /// few when the batch is large).
    pub(crate) async fn write(self, conn: &mut AnyConnection) -> Result<(), StoreError> {
        for grain in Grain::ALL {
            let rows: Vec<(&RowKey, &Measures)> = self.rows_of(grain).collect();
            let arity = grain.arity();
            // Well under both backends' parameter limits.
            for chunk in rows.chunks(4_000 / arity) {
                let sql = upsert_sql(grain, &placeholders(conn, chunk.len(), arity, ""));
                let mut q = sqlx::query(sqlx::AssertSqlSafe(sql));
                for ((_, store, period, dim), m) in chunk {
                    q = q.bind(*store).bind(*period);
                    q = match dim {
                        Dim::Int(v) => q.bind(*v),
                        Dim::Text(t) => q.bind(t.as_str()),
                        Dim::Product { sku, category } => {
                            q.bind(sku.as_str()).bind(category.as_str())
                        }
                    };
                    for v in &m[..grain.measures().len()] {
                        q = q.bind(*v);
                    }
                }
                q.execute(&mut *conn).await?;
            }
        }
        Ok(())
    }

    /// The same through a rusqlite transaction (the SQLite history writer), a row a statement.
    pub(crate) fn write_sqlite(self, tx: &rusqlite::Transaction<'_>) -> Result<(), StoreError> {
        use rusqlite::ToSql;
        for grain in Grain::ALL {
            let marks = format!("({})", vec!["?"; grain.arity()].join(", "));
            let mut stmt = tx.prepare_cached(&upsert_sql(grain, &marks))?;
            for ((_, store, period, dim), m) in self.rows_of(grain) {
                let mut values: Vec<&dyn ToSql> = vec![store, period];
                match dim {
                    Dim::Int(v) => values.push(v),
                    Dim::Text(t) => values.push(t),
                    Dim::Product { sku, category } => {
                        values.push(sku);
                        values.push(category);
                    }
                }
                values.extend(m[..grain.measures().len()].iter().map(|v| v as &dyn ToSql));
                stmt.execute(values.as_slice())?;
            }
        }
        Ok(())
    }

    /// The rows of one table, in key order.
    fn rows_of(&self, grain: Grain) -> impl Iterator<Item = (&RowKey, &Measures)> {
        self.rows
            .range((grain, i64::MIN, i64::MIN, Dim::Int(i64::MIN))..)
            .take_while(move |((g, ..), _)| *g == grain)
    }
}

/// `INSERT … VALUES <rows> ON CONFLICT (key) DO UPDATE` adding each measure to the stored one.
fn upsert_sql(grain: Grain, rows: &str) -> String {
    let table = grain.table();
    let keys: Vec<&str> = std::iter::once("store_id")
        .chain(grain.key_columns().iter().copied())
        .collect();
    let measures = grain.measures();
    let adds: Vec<String> = measures
        .iter()
        .map(|m| format!("{m} = {table}.{m} + excluded.{m}"))
        .collect();
    format!(
        "INSERT INTO {table} ({}, {}) VALUES {rows} ON CONFLICT ({}) DO UPDATE SET {}",
        keys.join(", "),
        measures.join(", "),
        keys.join(", "),
        adds.join(", ")
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::sales::{NewSaleLine, SaleSource};

    fn line(sku: &str, category: &str, quantity: i64, net_fen: i64) -> NewSaleLine {
        NewSaleLine {
            sku: sku.into(),
            name: sku.into(),
            category: category.into(),
            quantity,
            unit_price_fen: net_fen / quantity,
            discount_fen: 0,
            net_fen,
            paid_fen: net_fen,
            earns: true,
        }
    }

    fn sale(lines: Vec<NewSaleLine>, customer: Option<i64>) -> NewSale {
        let at = jiff::Timestamp::from_second(1_780_000_000).expect("time");
        NewSale {
            store_id: 7,
            receipt_no: "R1".into(),
            customer_id: customer,
            till_name: "t".into(),
            staff_id: Some(3),
            sold_at: at,
            recorded_at: at,
            lines,
            points_redeemed: 0,
            points_value_fen: 0,
            coupons: vec![("C".into(), 500)],
            earned: None,
            eligible_fen: 0,
            source: SaleSource::Till,
            calendar: Calendar {
                day: 20260528,
                month: 202605,
                window_from: 202506,
                hour: 14,
            },
            actor_name: "t".into(),
        }
    }

    #[test]
    fn a_sale_is_one_receipt_a_category_and_a_product() {
        let s = sale(
            vec![
                line("A", "tile", 2, 2_000),
                line("B", "tile", 1, 500),
                line("A", "tile", 1, 1_000),
                line("C", "paint", 3, 900),
            ],
            Some(1),
        );
        let mut r = Rollup::default();
        r.add_sale(&s);
        let get = |g: Grain, period: i64, d: Dim| r.rows.get(&(g, 7, period, d)).copied();
        let day = get(Grain::Days, 20260528, Dim::Int(1)).expect("member row");
        assert_eq!(day[..4], [1, 7, 4_400, 0]);
        assert_eq!(day[6], 500);
        assert_eq!(day[8], 4_400);
        let tile = get(Grain::Categories, 20260528, Dim::Text("tile".into())).expect("tile");
        assert_eq!(tile[..4], [1, 4, 3_500, 0]);
        let a = Dim::Product {
            sku: "A".into(),
            category: "tile".into(),
        };
        assert_eq!(
            get(Grain::ProductMonths, 202605, a.clone()).expect("A")[..4],
            [1, 3, 3_000, 0]
        );
        assert_eq!(
            get(Grain::Hours, 20260528, Dim::Int(14)).expect("hour")[..3],
            [1, 7, 4_400]
        );
        assert!(get(Grain::ProductDays, 20260528, a.clone()).is_some());
        // The chain's rows carry the same sums as the only store's.
        let chain = r.rows.get(&(Grain::ProductDays, CHAIN_STORE, 20260528, a));
        assert_eq!(chain.map(|m| m[..4].to_vec()), Some(vec![1, 3, 3_000, 0]));
        // Days, hours, staff, two categories, three products by day and by month.
        assert_eq!(r.rows.len(), 2 * 11);
    }

    #[test]
    fn upserts_add_to_the_stored_measures() {
        let sql = upsert_sql(Grain::Staff, "(?, ?, ?, ?, ?, ?, ?)");
        assert!(sql.starts_with(
            "INSERT INTO report_staff_days (store_id, day, staff_id, receipts, items, net_fen, refund_fen)"
        ));
        assert!(sql.contains("ON CONFLICT (store_id, day, staff_id)"));
        assert!(sql.contains("refund_fen = report_staff_days.refund_fen + excluded.refund_fen"));
    }
}
