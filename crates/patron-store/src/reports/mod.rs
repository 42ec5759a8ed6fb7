//! Reports: additive sales figures read from the roll-ups (`rollup`: each store's rows and the
//! chain's, so a chain-wide report reads no more rows than a one-store one), rebuilt from the raw
//! rows by `rebuild`, and the member activity the customer indicators are computed from
//! (`activity`). Days are the store's local dates as `yyyymmdd`, months `yyyymm`.

pub mod activity;
pub mod rebuild;
pub(crate) mod rollup;
pub mod targets;

use crate::db::numbered;
use crate::{Db, StoreError};
use rollup::CHAIN_STORE;

/// How a sales report groups its rows.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SalesBy {
    Day,
    Store,
    /// Member sales and walk-ins.
    Member,
    Hour,
    /// Day and hour together (the weekday by hour heat map).
    DayHour,
    Staff,
    Category,
    Product,
}

/// What a sales report covers: a day range, optionally some stores, a category or a staff
/// member. Not every grouping can take every filter (see `SalesRefused`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SalesFilter {
    pub from_day: i64,
    pub to_day: i64,
    /// `None`: every store.
    pub stores: Option<Vec<i64>>,
    pub category: Option<String>,
    pub staff_id: Option<i64>,
}

/// The additive measures of a group of sales.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct SalesTotals {
    pub receipts: i64,
    pub items: i64,
    /// Σ line amounts after discounts of the sales.
    pub net_fen: i64,
    /// Σ the same amounts refunded (on the refund's day).
    pub refund_fen: i64,
}

impl SalesTotals {
    pub fn add(&mut self, o: &SalesTotals) {
        self.receipts += o.receipts;
        self.items += o.items;
        self.net_fen += o.net_fen;
        self.refund_fen += o.refund_fen;
    }
}

/// One group of a sales report.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SalesKey {
    Day(i64),
    Store(i64),
    Member(bool),
    Hour(i64),
    DayHour(i64, i64),
    /// `None`: sales recorded without a staff member.
    Staff(Option<i64>),
    Category(String),
    Product {
        sku: String,
        category: String,
    },
}

/// A filter the grouping's roll-up does not hold (e.g. a category with hours).
#[derive(Debug, thiserror::Error)]
pub enum SalesRefused {
    #[error("the filter {0} cannot be combined with this grouping")]
    Unsupported(&'static str),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Points and coupons against the sales they went with, by day.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct LoyaltyCost {
    pub points_earned: i64,
    /// Points paid as money.
    pub points_value_fen: i64,
    /// Discounts given by coupons.
    pub coupon_fen: i64,
    /// Net amount of the sales that paid with points.
    pub points_sales_fen: i64,
    /// Net amount of the sales that used a coupon.
    pub coupon_sales_fen: i64,
}

type Row4 = (i64, i64, i64, i64);

impl Db {
    /// A sales report from the roll-ups.
    pub async fn sales_report(
        &self,
        by: SalesBy,
        f: &SalesFilter,
    ) -> Result<Vec<(SalesKey, SalesTotals)>, SalesRefused> {
        use SalesBy as B;
        if f.category.is_some() && f.staff_id.is_some() {
            return Err(SalesRefused::Unsupported("category+staff"));
        }
        if f.category.is_some() && matches!(by, B::Member | B::Hour | B::DayHour | B::Staff) {
            return Err(SalesRefused::Unsupported("category"));
        }
        if f.staff_id.is_some() && !matches!(by, B::Day | B::Store | B::Staff) {
            return Err(SalesRefused::Unsupported("staff"));
        }
        if by == B::Product {
            return Ok(self.products(f).await?);
        }
        let table = if f.category.is_some() {
            "report_category_days"
        } else if f.staff_id.is_some() {
            "report_staff_days"
        } else {
            match by {
                B::Day | B::Store | B::Member => "report_days",
                B::Hour | B::DayHour => "report_hours",
                B::Staff => "report_staff_days",
                B::Category => "report_category_days",
                B::Product => "report_product_days",
            }
        };
        let key = match by {
            B::Day => "day, 0",
            B::Store => "store_id, 0",
            B::Member => "member, 0",
            B::Hour => "hour, 0",
            B::DayHour => "day, hour",
            B::Staff => "staff_id, 0",
            B::Category | B::Product => "0, 0",
        };
        let mut binds: Vec<Bound> = vec![Bound::Int(f.from_day), Bound::Int(f.to_day)];
        let mut sql_where = String::from("day BETWEEN $1 AND $2");
        let whole = if by == B::Store {
            Whole::EachStore
        } else {
            Whole::Chain
        };
        push_filters(&mut sql_where, &mut binds, f, whole);
        if by == B::Category {
            let sql = format!(
                "SELECT category, CAST(SUM(receipts) AS BIGINT), CAST(SUM(items) AS BIGINT), CAST(SUM(net_fen) AS BIGINT), CAST(SUM(refund_fen) AS BIGINT) \
                 FROM {table} WHERE {sql_where} GROUP BY category ORDER BY category"
            );
            let rows: Vec<(String, i64, i64, i64, i64)> =
                bind_all(sqlx::query_as(sqlx::AssertSqlSafe(sql)), &binds)
                    .fetch_all(self.pool())
                    .await
                    .map_err(StoreError::from)?;
            return Ok(rows
                .into_iter()
                .map(|(c, r, i, n, x)| (SalesKey::Category(c), totals((r, i, n, x))))
                .collect());
        }
        let group = key.trim_end_matches(", 0");
        let sql = format!(
            "SELECT {key}, CAST(SUM(receipts) AS BIGINT), CAST(SUM(items) AS BIGINT), CAST(SUM(net_fen) AS BIGINT), CAST(SUM(refund_fen) AS BIGINT) \
             FROM {table} WHERE {sql_where} GROUP BY {group} ORDER BY {group}"
        );
        let rows: Vec<(i64, i64, i64, i64, i64, i64)> =
            bind_all(sqlx::query_as(sqlx::AssertSqlSafe(sql)), &binds)
                .fetch_all(self.pool())
                .await
                .map_err(StoreError::from)?;
        Ok(rows
            .into_iter()
            .map(|(a, b, r, i, n, x)| {
                let k = match by {
                    B::Day => SalesKey::Day(a),
                    B::Store => SalesKey::Store(a),
                    B::Member => SalesKey::Member(a == 1),
                    B::Hour => SalesKey::Hour(a),
                    B::DayHour => SalesKey::DayHour(a, b),
                    _ => SalesKey::Staff((a != 0).then_some(a)),
                };
                (k, totals((r, i, n, x)))
            })
            .collect())
    }

    /// Sales by product: whole months from `report_product_months`, the days before the first
    /// and after the last whole month from `report_product_days`.
    async fn products(&self, f: &SalesFilter) -> Result<Vec<(SalesKey, SalesTotals)>, StoreError> {
        let split = month_split(f.from_day, f.to_day);
        let mut parts: Vec<(String, Vec<Bound>)> = Vec::new();
        let mut add = |table: &str, col: &str, from: i64, to: i64| {
            let mut binds = vec![Bound::Int(from), Bound::Int(to)];
            let mut w = format!("{col} BETWEEN $1 AND $2");
            push_filters(&mut w, &mut binds, f, Whole::Chain);
            parts.push((
                format!(
                    "SELECT sku, category, CAST(SUM(receipts) AS BIGINT), CAST(SUM(items) AS BIGINT), CAST(SUM(net_fen) AS BIGINT), \
                     CAST(SUM(refund_fen) AS BIGINT) FROM {table} WHERE {w} GROUP BY sku, category"
                ),
                binds,
            ));
        };
        for (from, to) in &split.days {
            add("report_product_days", "day", *from, *to);
        }
        if let Some((from, to)) = split.months {
            add("report_product_months", "month", from, to);
        }
        let mut sums: std::collections::BTreeMap<(String, String), SalesTotals> =
            std::collections::BTreeMap::new();
        for (sql, binds) in parts {
            let rows: Vec<(String, String, i64, i64, i64, i64)> =
                bind_all(sqlx::query_as(sqlx::AssertSqlSafe(sql)), &binds)
                    .fetch_all(self.pool())
                    .await?;
            for (sku, category, r, i, n, x) in rows {
                sums.entry((sku, category))
                    .or_default()
                    .add(&totals((r, i, n, x)));
            }
        }
        Ok(sums
            .into_iter()
            .map(|((sku, category), t)| (SalesKey::Product { sku, category }, t))
            .collect())
    }

    /// Points and coupon cost by day, for some stores or all.
    pub async fn loyalty_cost(
        &self,
        from_day: i64,
        to_day: i64,
        stores: Option<&[i64]>,
    ) -> Result<Vec<(i64, LoyaltyCost)>, StoreError> {
        let mut binds: Vec<Bound> = vec![Bound::Int(from_day), Bound::Int(to_day)];
        let mut w = String::from("day BETWEEN $1 AND $2");
        let f = SalesFilter {
            from_day,
            to_day,
            stores: stores.map(<[i64]>::to_vec),
            category: None,
            staff_id: None,
        };
        push_filters(&mut w, &mut binds, &f, Whole::Chain);
        let sql = format!(
            "SELECT day, CAST(SUM(points_earned) AS BIGINT), CAST(SUM(points_value_fen) AS BIGINT), CAST(SUM(coupon_fen) AS BIGINT), \
             CAST(SUM(points_sales_fen) AS BIGINT), CAST(SUM(coupon_sales_fen) AS BIGINT) FROM report_days WHERE {w} \
             GROUP BY day ORDER BY day"
        );
        let rows: Vec<(i64, i64, i64, i64, i64, i64)> =
            bind_all(sqlx::query_as(sqlx::AssertSqlSafe(sql)), &binds)
                .fetch_all(self.pool())
                .await?;
        Ok(rows
            .into_iter()
            .map(|(day, pe, pv, c, ps, cs)| {
                (
                    day,
                    LoyaltyCost {
                        points_earned: pe,
                        points_value_fen: pv,
                        coupon_fen: c,
                        points_sales_fen: ps,
                        coupon_sales_fen: cs,
                    },
                )
            })
            .collect())
    }
}

impl Db {
    /// Product names by SKU, for the SKUs a report shows.
    pub async fn product_names(
        &self,
        skus: &[String],
    ) -> Result<Vec<(String, String)>, StoreError> {
        let mut out = Vec::with_capacity(skus.len());
        for chunk in skus.chunks(500) {
            let sql = format!(
                "SELECT sku, name FROM products WHERE sku IN ({})",
                crate::db::in_list(self.backend(), chunk.len())
            );
            let mut q = sqlx::query_as::<_, (String, String)>(sqlx::AssertSqlSafe(sql));
            for sku in chunk {
                q = q.bind(sku.as_str());
            }
            out.extend(q.fetch_all(self.pool()).await?);
        }
        Ok(out)
    }

    /// Satisfaction answers (`csat` 1-5, `nps` 0-10) given in `[from_ms, to_ms)` at some
    /// stores (or all): (kind, score, how many).
    pub async fn survey_scores(
        &self,
        from_ms: i64,
        to_ms: i64,
        stores: Option<&[i64]>,
    ) -> Result<Vec<(String, i64, i64)>, StoreError> {
        let mut sql = String::from(
            "SELECT kind, score, COUNT(*) FROM survey_answers WHERE answered_at >= $1 \
             AND answered_at < $2 AND (kind = 'csat' OR kind = 'nps') AND score IS NOT NULL",
        );
        if let Some(stores) = stores {
            if stores.is_empty() {
                return Ok(Vec::new());
            }
            sql.push_str(&format!(" AND store_id IN ({})", numbered(3, stores.len())));
        }
        sql.push_str(" GROUP BY kind, score");
        let mut q = sqlx::query_as::<_, (String, i64, i64)>(sqlx::AssertSqlSafe(sql))
            .bind(from_ms)
            .bind(to_ms);
        for s in stores.unwrap_or(&[]) {
            q = q.bind(*s);
        }
        Ok(q.fetch_all(self.pool()).await?)
    }
}

fn totals((receipts, items, net_fen, refund_fen): Row4) -> SalesTotals {
    SalesTotals {
        receipts,
        items,
        net_fen,
        refund_fen,
    }
}

/// A bound value of a report query.
enum Bound {
    Int(i64),
    Text(String),
}

/// Which rows stand for "every store" when a filter names none.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Whole {
    /// The chain's own rows (`CHAIN_STORE`): one row where the stores have one each.
    Chain,
    /// Every store's rows (a report by store).
    EachStore,
}

/// Adds the store, category and staff conditions after the period's `$1` and `$2`.
fn push_filters(w: &mut String, binds: &mut Vec<Bound>, f: &SalesFilter, whole: Whole) {
    match &f.stores {
        None if whole == Whole::Chain => w.push_str(&format!(" AND store_id = {CHAIN_STORE}")),
        None => w.push_str(&format!(" AND store_id <> {CHAIN_STORE}")),
        // No store at all: a condition no row meets.
        Some(stores) if stores.is_empty() => w.push_str(" AND 1 = 0"),
        Some(stores) => {
            let list = numbered(binds.len() + 1, stores.len());
            w.push_str(&format!(" AND store_id IN ({list})"));
            binds.extend(stores.iter().map(|s| Bound::Int(*s)));
        }
    }
    if let Some(c) = &f.category {
        binds.push(Bound::Text(c.clone()));
        w.push_str(&format!(" AND category = ${}", binds.len()));
    }
    if let Some(s) = f.staff_id {
        binds.push(Bound::Int(s));
        w.push_str(&format!(" AND staff_id = ${}", binds.len()));
    }
}

fn bind_all<'q, O>(
    mut q: sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments>,
    binds: &'q [Bound],
) -> sqlx::query::QueryAs<'q, sqlx::Any, O, sqlx::any::AnyArguments> {
    for b in binds {
        q = match b {
            Bound::Int(v) => q.bind(*v),
            Bound::Text(t) => q.bind(t.as_str()),
        };
    }
    q
}

/// A day range cut into whole months and the days around them.
#[derive(Debug, PartialEq, Eq)]
struct MonthSplit {
    /// Day ranges (`yyyymmdd`) outside whole months: at most two.
    days: Vec<(i64, i64)>,
    /// Whole months (`yyyymm`), first and last.
    months: Option<(i64, i64)>,
}

fn month_split(from_day: i64, to_day: i64) -> MonthSplit {
    let month = |d: i64| d / 100;
    let next_month = |m: i64| if m % 100 == 12 { m + 89 } else { m + 1 };
    let prev_month = |m: i64| if m % 100 == 1 { m - 89 } else { m - 1 };
    let last_day = |m: i64| {
        let (y, mm) = (m / 100, m % 100);
        let days = match mm {
            4 | 6 | 9 | 11 => 30,
            2 if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
            2 => 28,
            _ => 31,
        };
        m * 100 + days
    };
    if from_day > to_day {
        return MonthSplit {
            days: Vec::new(),
            months: None,
        };
    }
    let first_whole = if from_day % 100 == 1 {
        month(from_day)
    } else {
        next_month(month(from_day))
    };
    let last_whole = if to_day == last_day(month(to_day)) {
        month(to_day)
    } else {
        prev_month(month(to_day))
    };
    if first_whole > last_whole {
        return MonthSplit {
            days: vec![(from_day, to_day)],
            months: None,
        };
    }
    let mut days = Vec::new();
    if from_day < first_whole * 100 + 1 {
        days.push((from_day, last_day(prev_month(first_whole))));
    }
    if to_day > last_day(last_whole) {
        days.push((next_month(last_whole) * 100 + 1, to_day));
    }
    MonthSplit {
        days,
        months: Some((first_whole, last_whole)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_range_splits_into_whole_months_and_edge_days() {
        assert_eq!(
            month_split(20250115, 20250410),
            MonthSplit {
                days: vec![(20250115, 20250131), (20250401, 20250410)],
                months: Some((202502, 202503)),
            }
        );
        assert_eq!(
            month_split(20241201, 20250229 - 1),
            MonthSplit {
                days: vec![],
                months: Some((202412, 202502)),
            }
        );
        assert_eq!(
            month_split(20240201, 20240228),
            MonthSplit {
                days: vec![(20240201, 20240228)],
                months: None,
            }
        );
        assert_eq!(
            month_split(20240201, 20240229),
            MonthSplit {
                days: vec![],
                months: Some((202402, 202402)),
            }
        );
        assert_eq!(
            month_split(20251220, 20260105),
            MonthSplit {
                days: vec![(20251220, 20260105)],
                months: None,
            }
        );
    }
}
