//! Sales reports from the roll-ups: by day, week, month, store, category, product, staff,
//! hour of day, weekday, or member against walk-in; and the weekday by hour heat map.

use super::{Period, date_of, per};
use crate::{App, AppError};
use jiff::civil::{Date, Weekday};
use patron_domain::{FieldError, Scope};
use patron_store::reports::{SalesBy, SalesFilter, SalesKey, SalesTotals};
use serde::Serialize;
use std::collections::BTreeMap;

/// How a sales report groups.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum GroupBy {
    Day,
    Week,
    Month,
    Store,
    Category,
    Product,
    Staff,
    Hour,
    Weekday,
    Member,
}

impl GroupBy {
    pub const ALL: [GroupBy; 10] = [
        GroupBy::Day,
        GroupBy::Week,
        GroupBy::Month,
        GroupBy::Store,
        GroupBy::Category,
        GroupBy::Product,
        GroupBy::Staff,
        GroupBy::Hour,
        GroupBy::Weekday,
        GroupBy::Member,
    ];

    pub fn code(self) -> &'static str {
        match self {
            GroupBy::Day => "day",
            GroupBy::Week => "week",
            GroupBy::Month => "month",
            GroupBy::Store => "store",
            GroupBy::Category => "category",
            GroupBy::Product => "product",
            GroupBy::Staff => "staff",
            GroupBy::Hour => "hour",
            GroupBy::Weekday => "weekday",
            GroupBy::Member => "member",
        }
    }

    pub fn parse(s: &str) -> Result<GroupBy, AppError> {
        GroupBy::ALL
            .into_iter()
            .find(|g| g.code() == s.trim())
            .ok_or_else(|| FieldError::new("group_by", "error.report.group_by").into())
    }

    fn rollup(self) -> SalesBy {
        match self {
            GroupBy::Day | GroupBy::Week | GroupBy::Month | GroupBy::Weekday => SalesBy::Day,
            GroupBy::Store => SalesBy::Store,
            GroupBy::Category => SalesBy::Category,
            GroupBy::Product => SalesBy::Product,
            GroupBy::Staff => SalesBy::Staff,
            GroupBy::Hour => SalesBy::Hour,
            GroupBy::Member => SalesBy::Member,
        }
    }
}

/// What a sales report covers besides its period.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SalesAsk {
    pub store: Option<String>,
    /// A category code.
    pub category: Option<String>,
    /// A staff member's username.
    pub staff: Option<String>,
}

/// One row of a sales report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SalesRow {
    /// The group: `YYYY-MM-DD` (day; a week by its Monday), `YYYY-MM`, a store code, a
    /// category code, a SKU, a username (empty: no staff), an hour `0`–`23`, an ISO weekday
    /// `1` (Monday) to `7`, `member` or `walk_in`.
    pub key: String,
    /// The group's name where it has one (store, category, product, staff); else empty.
    pub name: String,
    pub receipts: i64,
    pub items: i64,
    /// Σ line amounts after discounts of the sales.
    pub net_fen: i64,
    /// Refunded in the period.
    pub refund_fen: i64,
    /// `net_fen - refund_fen`.
    pub net_sales_fen: i64,
    pub average_order_fen: Option<i64>,
    /// Of the report's net sales.
    pub share: Option<f64>,
    /// Products only: A (the best sellers making the first 80 % of net sales), B (the next
    /// 15 %), C (the rest).
    pub abc: Option<char>,
}

/// A sales report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct SalesReport {
    pub group_by: GroupBy,
    pub from: String,
    pub to: String,
    pub store: Option<String>,
    pub rows: Vec<SalesRow>,
    pub total: SalesRow,
}

impl App {
    pub async fn sales_report(
        &self,
        scope: Scope,
        period: Period,
        group_by: GroupBy,
        ask: &SalesAsk,
    ) -> Result<SalesReport, AppError> {
        let stores = self.report_stores(scope, ask.store.as_deref()).await?;
        let dir = self.directory().await?;
        let staff_id = match ask
            .staff
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            Some(u) => Some(
                dir.staff(scope)
                    .find(|s| s.username == u)
                    .map(|s| s.id)
                    .ok_or_else(|| FieldError::new("staff", "error.report.staff"))?,
            ),
            None => None,
        };
        let (from_day, to_day) = period.day_keys();
        let filter = SalesFilter {
            from_day,
            to_day,
            stores: stores.ids.clone(),
            category: ask
                .category
                .as_deref()
                .map(str::trim)
                .filter(|c| !c.is_empty())
                .map(str::to_string),
            staff_id,
        };
        let rows = self.db.sales_report(group_by.rollup(), &filter).await?;
        let mut groups: BTreeMap<String, SalesTotals> = BTreeMap::new();
        let mut names: BTreeMap<String, String> = BTreeMap::new();
        match group_by {
            GroupBy::Day | GroupBy::Week | GroupBy::Month => {
                // Every day, week or month of the period, with or without sales.
                let mut d = period.from;
                while d <= period.to {
                    groups.entry(time_key(group_by, d)).or_default();
                    d = match d.tomorrow() {
                        Ok(n) => n,
                        Err(_) => break,
                    };
                }
            }
            GroupBy::Weekday => {
                for n in 1..=7 {
                    groups.entry(n.to_string()).or_default();
                }
            }
            _ => {}
        }
        let categories = if group_by == GroupBy::Category {
            self.db.list_categories().await?
        } else {
            Vec::new()
        };
        for (key, t) in &rows {
            let k = match key {
                SalesKey::Day(day) => {
                    let Some(d) = date_of(*day) else { continue };
                    match group_by {
                        GroupBy::Weekday => d.weekday().to_monday_one_offset().to_string(),
                        _ => time_key(group_by, d),
                    }
                }
                SalesKey::Store(id) => {
                    let code = dir
                        .store(*id)
                        .map_or_else(|| id.to_string(), |s| s.code.clone());
                    names.insert(code.clone(), dir.store_name(*id).unwrap_or("").to_string());
                    code
                }
                SalesKey::Member(m) => if *m { "member" } else { "walk_in" }.to_string(),
                SalesKey::Hour(h) => h.to_string(),
                SalesKey::DayHour(_, h) => h.to_string(),
                SalesKey::Staff(s) => match s.and_then(|id| dir.staff_member(id)) {
                    Some(e) => {
                        names.insert(e.username.clone(), e.display_name.clone());
                        e.username.clone()
                    }
                    None => String::new(),
                },
                SalesKey::Category(c) => {
                    if let Some(cat) = categories.iter().find(|x| &x.code == c) {
                        names.insert(c.clone(), cat.name.clone());
                    }
                    c.clone()
                }
                SalesKey::Product { sku, .. } => sku.clone(),
            };
            groups.entry(k).or_default().add(t);
        }
        if group_by == GroupBy::Product {
            let skus: Vec<String> = groups.keys().cloned().collect();
            names.extend(self.db.product_names(&skus).await?);
        }
        let mut total = SalesTotals::default();
        for t in groups.values() {
            total.add(t);
        }
        let total_net = total.net_fen - total.refund_fen;
        let mut out: Vec<SalesRow> = groups
            .into_iter()
            .map(|(key, t)| {
                let name = names.get(&key).cloned().unwrap_or_default();
                row(key, name, &t, total_net)
            })
            .collect();
        match group_by {
            GroupBy::Hour => out.sort_by_key(|r| r.key.parse::<i64>().unwrap_or(0)),
            GroupBy::Store | GroupBy::Category | GroupBy::Product | GroupBy::Staff => {
                out.sort_by(|a, b| {
                    b.net_sales_fen
                        .cmp(&a.net_sales_fen)
                        .then(a.key.cmp(&b.key))
                });
            }
            _ => {}
        }
        if group_by == GroupBy::Product {
            classify_abc(&mut out, total_net);
        }
        Ok(SalesReport {
            group_by,
            from: period.from.to_string(),
            to: period.to.to_string(),
            store: stores.code,
            rows: out,
            total: row(String::new(), String::new(), &total, total_net),
        })
    }

    /// Net sales by ISO weekday (rows, Monday first) and hour of day (columns 0–23).
    pub async fn sales_heat_map(
        &self,
        scope: Scope,
        period: Period,
        store: Option<&str>,
    ) -> Result<[[i64; 24]; 7], AppError> {
        let stores = self.report_stores(scope, store).await?;
        let (from_day, to_day) = period.day_keys();
        let filter = SalesFilter {
            from_day,
            to_day,
            stores: stores.ids,
            category: None,
            staff_id: None,
        };
        let mut heat = [[0i64; 24]; 7];
        for (key, t) in self.db.sales_report(SalesBy::DayHour, &filter).await? {
            if let SalesKey::DayHour(day, hour) = key
                && let Some(d) = date_of(day)
                && let Ok(h) = usize::try_from(hour)
                && h < 24
            {
                let w = usize::try_from(d.weekday().to_monday_zero_offset()).unwrap_or(0);
                heat[w][h] += t.net_fen - t.refund_fen;
            }
        }
        Ok(heat)
    }
}

/// The key of a day, its week (its Monday) or its month.
fn time_key(group_by: GroupBy, d: Date) -> String {
    match group_by {
        GroupBy::Week => {
            let back = i64::from(d.weekday().to_monday_zero_offset());
            d.checked_sub(jiff::Span::new().days(back))
                .unwrap_or(d)
                .to_string()
        }
        GroupBy::Month => format!("{:04}-{:02}", d.year(), d.month()),
        _ => d.to_string(),
    }
}

fn row(key: String, name: String, t: &SalesTotals, total_net: i64) -> SalesRow {
    let net_sales = t.net_fen - t.refund_fen;
    SalesRow {
        key,
        name,
        receipts: t.receipts,
        items: t.items,
        net_fen: t.net_fen,
        refund_fen: t.refund_fen,
        net_sales_fen: net_sales,
        average_order_fen: per(net_sales, t.receipts),
        share: (total_net != 0).then(|| net_sales as f64 / total_net as f64),
        abc: None,
    }
}

/// ABC by net sales: rows sorted best first; a product is A while the running share before
/// it is under 80 %, B under 95 %, C after.
fn classify_abc(rows: &mut [SalesRow], total_net: i64) {
    if total_net <= 0 {
        return;
    }
    let mut before = 0i64;
    for r in rows.iter_mut() {
        let share_before = before as f64 / total_net as f64;
        r.abc = Some(if share_before < 0.80 {
            'A'
        } else if share_before < 0.95 {
            'B'
        } else {
            'C'
        });
        before += r.net_sales_fen.max(0);
    }
}

/// Whether a weekday key is a weekend day (for the weekday chart's colouring).
pub fn is_weekend(iso_weekday: i8) -> bool {
    matches!(
        Weekday::from_monday_one_offset(iso_weekday),
        Ok(Weekday::Saturday | Weekday::Sunday)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn r(key: &str, net: i64) -> SalesRow {
        row(
            key.into(),
            String::new(),
            &SalesTotals {
                receipts: 1,
                items: 1,
                net_fen: net,
                refund_fen: 0,
            },
            100,
        )
    }

    #[test]
    fn abc_takes_the_best_sellers_up_to_eighty_percent() {
        let mut rows = vec![r("a", 50), r("b", 29), r("c", 12), r("d", 5), r("e", 4)];
        classify_abc(&mut rows, 100);
        let classes: String = rows.iter().filter_map(|r| r.abc).collect();
        // Before each: 0, 50, 79, 91, 96 (%).
        assert_eq!(classes, "AAABC");
    }

    #[test]
    fn weeks_are_keyed_by_their_monday() {
        let d: Date = "2026-12-06".parse().expect("date");
        assert_eq!(time_key(GroupBy::Week, d), "2026-11-30");
        assert_eq!(time_key(GroupBy::Month, d), "2026-12");
        assert!(is_weekend(7) && !is_weekend(1));
    }
}
