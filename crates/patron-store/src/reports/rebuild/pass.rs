//! The rebuild on SQLite: one pass over the sales and their lines (and one over the refunded
//! lines), summed in memory, then every roll-up table emptied and written again in key order.
//!
//! The SQL rebuild (`super::select_for`) groups the lines once a table, and SQLite sorts for
//! every `GROUP BY`; reading each line once and summing into hash maps is several times
//! faster, and writing rows in key order appends to the tables' b-trees. Memory: one entry
//! for each roll-up row (about 60 bytes); the product-day table has the most, up to about one
//! a sale line when a store rarely sells a product twice a day.

use super::super::rollup::{CHAIN_STORE, Grain};
use crate::StoreError;
use std::collections::HashMap;
use std::hash::Hash;

/// The four measures every roll-up carries: receipts, items, net, refunded.
type Four = [i64; 4];
/// `report_days`' nine: the four, then points earned, points paid as money, coupon discounts,
/// net of the sales paid with points, net of the sales with a coupon.
type Nine = [i64; 9];

/// Texts (categories, SKUs) as small numbers while summing.
#[derive(Default)]
struct Names {
    ids: HashMap<String, u32>,
    texts: Vec<String>,
}

impl Names {
    fn id(&mut self, text: &str) -> u32 {
        if let Some(id) = self.ids.get(text) {
            return *id;
        }
        let id = self.texts.len() as u32;
        self.ids.insert(text.to_string(), id);
        self.texts.push(text.to_string());
        id
    }

    /// Each id's position in byte order of the texts (the order SQLite's keys compare in).
    fn ranks(&self) -> Vec<u32> {
        let mut order: Vec<u32> = (0..self.texts.len() as u32).collect();
        order.sort_unstable_by(|a, b| self.texts[*a as usize].cmp(&self.texts[*b as usize]));
        let mut rank = vec![0; order.len()];
        for (r, id) in order.into_iter().enumerate() {
            rank[id as usize] = r as u32;
        }
        rank
    }
}

/// The roll-up rows being summed, by table: (store, day or month, grouping) → measures.
#[derive(Default)]
struct Sums {
    days: HashMap<(i64, i64, i64), Nine>,
    hours: HashMap<(i64, i64, i64), Four>,
    staff: HashMap<(i64, i64, i64), Four>,
    categories: HashMap<(i64, i64, u32), Four>,
    product_days: HashMap<(i64, i64, u32, u32), Four>,
    product_months: HashMap<(i64, i64, u32, u32), Four>,
}

fn add<K: Hash + Eq, const N: usize>(map: &mut HashMap<K, [i64; N]>, key: K, m: &[i64]) {
    let row = map.entry(key).or_insert([0; N]);
    for (slot, v) in row.iter_mut().zip(m) {
        *slot += v;
    }
}

/// A sale being read: its own columns and its lines so far.
struct Sale {
    id: i64,
    store: i64,
    day: i64,
    month: i64,
    hour: i64,
    member: i64,
    staff: i64,
    points_earned: i64,
    points_value_fen: i64,
    /// (sku, category, quantity, net)
    lines: Vec<(u32, u32, i64, i64)>,
}

impl Sums {
    /// Adds a whole sale: as `Rollup::add_sale` does, one receipt a category and a product.
    /// `coupons`: the coupon discounts by sale.
    fn add_sale(&mut self, s: &mut Sale, coupons: &HashMap<i64, i64>) {
        let coupon_fen = coupons.get(&s.id).copied();
        let items: i64 = s.lines.iter().map(|l| l.2).sum();
        let net: i64 = s.lines.iter().map(|l| l.3).sum();
        let whole = [1, items, net, 0];
        let days: Nine = [
            1,
            items,
            net,
            0,
            s.points_earned,
            s.points_value_fen,
            coupon_fen.unwrap_or(0),
            if s.points_value_fen > 0 { net } else { 0 },
            if coupon_fen.is_some() { net } else { 0 },
        ];
        add(&mut self.days, (s.store, s.day, s.member), &days);
        add(&mut self.hours, (s.store, s.day, s.hour), &whole);
        add(&mut self.staff, (s.store, s.day, s.staff), &whole);
        // Lines of one product (and so of one category) next to each other: one receipt each.
        s.lines.sort_unstable_by_key(|l| (l.1, l.0));
        for run in s.lines.chunk_by(|a, b| a.1 == b.1) {
            let m = [
                1,
                run.iter().map(|l| l.2).sum(),
                run.iter().map(|l| l.3).sum(),
                0,
            ];
            add(&mut self.categories, (s.store, s.day, run[0].1), &m);
            for p in run.chunk_by(|a, b| a.0 == b.0) {
                let m = [
                    1,
                    p.iter().map(|l| l.2).sum(),
                    p.iter().map(|l| l.3).sum(),
                    0,
                ];
                let (sku, category) = (p[0].0, p[0].1);
                add(&mut self.product_days, (s.store, s.day, sku, category), &m);
                add(
                    &mut self.product_months,
                    (s.store, s.month, sku, category),
                    &m,
                );
            }
        }
    }

    /// The chain's rows: every store's summed under `CHAIN_STORE`.
    fn add_chain(&mut self) {
        fn fold<K: Hash + Eq + Clone, const N: usize>(
            map: &mut HashMap<K, [i64; N]>,
            chain: impl Fn(&K) -> K,
        ) {
            let mut sums: HashMap<K, [i64; N]> = HashMap::new();
            for (k, m) in map.iter() {
                add(&mut sums, chain(k), m);
            }
            map.extend(sums);
        }
        fold(&mut self.days, |k| (CHAIN_STORE, k.1, k.2));
        fold(&mut self.hours, |k| (CHAIN_STORE, k.1, k.2));
        fold(&mut self.staff, |k| (CHAIN_STORE, k.1, k.2));
        fold(&mut self.categories, |k| (CHAIN_STORE, k.1, k.2));
        fold(&mut self.product_days, |k| (CHAIN_STORE, k.1, k.2, k.3));
        fold(&mut self.product_months, |k| (CHAIN_STORE, k.1, k.2, k.3));
    }
}

/// A text column read without copying it.
fn text_at<'r>(r: &'r rusqlite::Row<'_>, i: usize) -> rusqlite::Result<&'r str> {
    r.get_ref(i)?.as_str().map_err(|e| {
        rusqlite::Error::FromSqlConversionFailure(i, rusqlite::types::Type::Text, Box::new(e))
    })
}

/// Rebuilds every roll-up table on an open transaction; returns the rows written by table.
pub(super) fn rebuild(
    tx: &rusqlite::Transaction<'_>,
) -> Result<Vec<(&'static str, u64)>, StoreError> {
    let mut names = Names::default();
    let mut sums = Sums::default();
    let coupons: HashMap<i64, i64> = {
        let mut stmt = tx.prepare(
            "SELECT used_sale_id, SUM(discount_fen) FROM coupons \
             WHERE used_sale_id IS NOT NULL GROUP BY used_sale_id",
        )?;
        stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?
            .collect::<Result<_, _>>()?
    };
    {
        let mut stmt = tx.prepare(
            "SELECT s.id, s.store_id, s.local_day, s.local_month, s.local_hour, \
             s.customer_id IS NOT NULL, COALESCE(s.staff_id, 0), s.points_earned, \
             s.points_value_fen, l.sku, l.category, l.quantity, l.net_fen \
             FROM sales s JOIN sale_lines l ON l.sale_id = s.id ORDER BY s.id",
        )?;
        let mut rows = stmt.query([])?;
        let mut open: Option<Sale> = None;
        while let Some(r) = rows.next()? {
            let id: i64 = r.get(0)?;
            if open.as_ref().is_some_and(|s| s.id != id)
                && let Some(mut s) = open.take()
            {
                sums.add_sale(&mut s, &coupons);
            }
            let sale = match &mut open {
                Some(s) => s,
                None => open.insert(Sale {
                    id,
                    store: r.get(1)?,
                    day: r.get(2)?,
                    month: r.get(3)?,
                    hour: r.get(4)?,
                    member: r.get(5)?,
                    staff: r.get(6)?,
                    points_earned: r.get(7)?,
                    points_value_fen: r.get(8)?,
                    lines: Vec::new(),
                }),
            };
            let sku = names.id(text_at(r, 9)?);
            let category = names.id(text_at(r, 10)?);
            sale.lines.push((sku, category, r.get(11)?, r.get(12)?));
        }
        if let Some(mut s) = open.take() {
            sums.add_sale(&mut s, &coupons);
        }
    }
    {
        // A refund counts on its own day and hour, under its sale's store, member and staff.
        let mut stmt = tx.prepare(
            "SELECT r.store_id, r.local_day, r.local_month, r.local_hour, \
             r.customer_id IS NOT NULL, COALESCE(s.staff_id, 0), l.sku, l.category, rl.net_fen \
             FROM refund_lines rl JOIN refunds r ON r.id = rl.refund_id \
             JOIN sales s ON s.id = r.sale_id \
             JOIN sale_lines l ON l.sale_id = r.sale_id AND l.line_no = rl.line_no",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let (store, day, month, hour): (i64, i64, i64, i64) =
                (r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?);
            let (member, staff, net): (i64, i64, i64) = (r.get(4)?, r.get(5)?, r.get(8)?);
            let sku = names.id(text_at(r, 6)?);
            let category = names.id(text_at(r, 7)?);
            let m = [0, 0, 0, net];
            add(&mut sums.days, (store, day, member), &m);
            add(&mut sums.hours, (store, day, hour), &m);
            add(&mut sums.staff, (store, day, staff), &m);
            add(&mut sums.categories, (store, day, category), &m);
            add(&mut sums.product_days, (store, day, sku, category), &m);
            add(&mut sums.product_months, (store, month, sku, category), &m);
        }
    }
    sums.add_chain();
    let rank = names.ranks();
    let text = |id: &u32| names.texts[*id as usize].as_str();
    let mut written = Vec::new();
    for grain in Grain::ALL {
        tx.execute(&format!("DELETE FROM {}", grain.table()), [])?;
        let columns: Vec<&str> = std::iter::once("store_id")
            .chain(grain.key_columns().iter().copied())
            .chain(grain.measures().iter().copied())
            .collect();
        let marks = vec!["?"; columns.len()].join(", ");
        let mut stmt = tx.prepare(&format!(
            "INSERT INTO {} ({}) VALUES ({marks})",
            grain.table(),
            columns.join(", ")
        ))?;
        let n = match grain {
            Grain::Days => {
                let mut rows: Vec<_> = sums.days.iter().collect();
                rows.sort_unstable_by_key(|(k, _)| **k);
                for ((store, day, member), m) in &rows {
                    let mut p: Vec<i64> = vec![*store, *day, *member];
                    p.extend_from_slice(&m[..]);
                    stmt.execute(rusqlite::params_from_iter(p))?;
                }
                rows.len()
            }
            Grain::Hours | Grain::Staff => {
                let map = if grain == Grain::Hours {
                    &sums.hours
                } else {
                    &sums.staff
                };
                let mut rows: Vec<_> = map.iter().collect();
                rows.sort_unstable_by_key(|(k, _)| **k);
                for ((store, day, k), m) in &rows {
                    stmt.execute(rusqlite::params![store, day, k, m[0], m[1], m[2], m[3]])?;
                }
                rows.len()
            }
            Grain::Categories => {
                let mut rows: Vec<_> = sums.categories.iter().collect();
                rows.sort_unstable_by_key(|((s, d, c), _)| (*s, *d, rank[*c as usize]));
                for ((store, day, c), m) in &rows {
                    stmt.execute(rusqlite::params![
                        store,
                        day,
                        text(c),
                        m[0],
                        m[1],
                        m[2],
                        m[3]
                    ])?;
                }
                rows.len()
            }
            Grain::ProductDays | Grain::ProductMonths => {
                let map = if grain == Grain::ProductDays {
                    &sums.product_days
                } else {
                    &sums.product_months
                };
                let mut rows: Vec<_> = map.iter().collect();
                rows.sort_unstable_by_key(|((s, p, sku, c), _)| {
                    (*s, *p, rank[*sku as usize], rank[*c as usize])
                });
                for ((store, period, sku, c), m) in &rows {
                    stmt.execute(rusqlite::params![
                        store,
                        period,
                        text(sku),
                        text(c),
                        m[0],
                        m[1],
                        m[2],
                        m[3]
                    ])?;
                }
                rows.len()
            }
        };
        written.push((grain.table(), n as u64));
    }
    tx.execute(
        "UPDATE report_epochs SET epoch = epoch + 1 WHERE name = 'activity'",
        [],
    )?;
    Ok(written)
}
