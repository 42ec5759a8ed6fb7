//! Points and coupon cost against the sales they went with, month by month: points issued,
//! points paid as money, coupon discounts, the net amounts of the sales that used each, and
//! what the two discounts cost as a share of the period's net sales.

use super::Period;
use crate::{App, AppError};
use patron_domain::Scope;
use patron_store::reports::{LoyaltyCost, SalesBy, SalesFilter};
use serde::Serialize;
use std::collections::BTreeMap;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoyaltyMonth {
    /// `YYYY-MM`.
    pub month: String,
    pub points_earned: i64,
    pub points_value_fen: i64,
    pub coupon_fen: i64,
    pub points_sales_fen: i64,
    pub coupon_sales_fen: i64,
    pub net_sales_fen: i64,
    /// (points value + coupon discounts) ÷ net sales.
    pub cost_share: Option<f64>,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LoyaltyReport {
    pub from: String,
    pub to: String,
    pub store: Option<String>,
    pub months: Vec<LoyaltyMonth>,
    pub total: LoyaltyMonth,
}

impl App {
    pub async fn loyalty_cost_report(
        &self,
        scope: Scope,
        period: Period,
        store: Option<&str>,
    ) -> Result<LoyaltyReport, AppError> {
        let stores = self.report_stores(scope, store).await?;
        let (from_day, to_day) = period.day_keys();
        let mut months: BTreeMap<i64, (LoyaltyCost, i64)> = BTreeMap::new();
        let mut d = period.from;
        while d <= period.to {
            months.entry(super::day_key(d) / 100).or_default();
            d = match d.first_of_month().checked_add(jiff::Span::new().months(1)) {
                Ok(n) => n,
                Err(_) => break,
            };
        }
        for (day, c) in self
            .db
            .loyalty_cost(from_day, to_day, stores.ids.as_deref())
            .await?
        {
            let m = &mut months.entry(day / 100).or_default().0;
            m.points_earned += c.points_earned;
            m.points_value_fen += c.points_value_fen;
            m.coupon_fen += c.coupon_fen;
            m.points_sales_fen += c.points_sales_fen;
            m.coupon_sales_fen += c.coupon_sales_fen;
        }
        let filter = SalesFilter {
            from_day,
            to_day,
            stores: stores.ids.clone(),
            category: None,
            staff_id: None,
        };
        for (key, t) in self.db.sales_report(SalesBy::Day, &filter).await? {
            if let patron_store::reports::SalesKey::Day(day) = key {
                months.entry(day / 100).or_default().1 += t.net_fen - t.refund_fen;
            }
        }
        let line = |month: String, c: &LoyaltyCost, net: i64| LoyaltyMonth {
            month,
            points_earned: c.points_earned,
            points_value_fen: c.points_value_fen,
            coupon_fen: c.coupon_fen,
            points_sales_fen: c.points_sales_fen,
            coupon_sales_fen: c.coupon_sales_fen,
            net_sales_fen: net,
            cost_share: (net != 0).then(|| (c.points_value_fen + c.coupon_fen) as f64 / net as f64),
        };
        let mut total = LoyaltyCost::default();
        let mut total_net = 0;
        let rows = months
            .iter()
            .map(|(m, (c, net))| {
                total.points_earned += c.points_earned;
                total.points_value_fen += c.points_value_fen;
                total.coupon_fen += c.coupon_fen;
                total.points_sales_fen += c.points_sales_fen;
                total.coupon_sales_fen += c.coupon_sales_fen;
                total_net += net;
                line(format!("{:04}-{:02}", m / 100, m % 100), c, *net)
            })
            .collect();
        Ok(LoyaltyReport {
            from: period.from.to_string(),
            to: period.to.to_string(),
            store: stores.code,
            months: rows,
            total: line(String::new(), &total, total_net),
        })
    }
}
