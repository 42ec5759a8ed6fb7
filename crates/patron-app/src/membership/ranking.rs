//! The points leaderboard for a store or the chain, over this month, this year or the last
//! twelve months. Names are shown masked (张*), as boards are often on a screen in the shop;
//! members who opt out, and members who left, are not on it.

use crate::sales::calendar;
use crate::{App, AppError};
use patron_domain::audit::{Actor, AuditEvent};
use patron_store::Scope;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Period {
    Month,
    Year,
    TwelveMonths,
}

impl Period {
    pub fn parse(s: &str) -> Period {
        match s {
            "month" => Period::Month,
            "year" => Period::Year,
            _ => Period::TwelveMonths,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RankLine {
    pub rank: usize,
    pub customer_id: i64,
    pub name: String,
    pub store_id: i64,
    pub points: i64,
}

/// 张伟 → 张*, 欧阳娜娜 → 欧***.
pub fn mask_name(name: &str) -> String {
    let mut chars = name.chars();
    match chars.next() {
        Some(first) => std::iter::once(first).chain(chars.map(|_| '*')).collect(),
        None => String::new(),
    }
}

impl App {
    /// Top 50. A role bound to one store sees that store's board only.
    pub async fn leaderboard(
        &self,
        scope: Scope,
        store_id: Option<i64>,
        period: Period,
    ) -> Result<Vec<RankLine>, AppError> {
        let store_id = match scope {
            Scope::Store(own) => Some(own),
            Scope::Chain => store_id,
        };
        let cal = calendar(self.now(), &self.config.timezone());
        let from = match period {
            Period::Month => cal.month,
            Period::Year => (cal.month / 100) * 100 + 1,
            Period::TwelveMonths => cal.window_from,
        };
        let rows = self.db.leaderboard(store_id, from, cal.month, 50).await?;
        Ok(rows
            .into_iter()
            .enumerate()
            .map(|(i, r)| RankLine {
                rank: i + 1,
                customer_id: r.customer_id,
                name: mask_name(&r.name),
                store_id: r.store_id,
                points: r.points,
            })
            .collect())
    }

    pub async fn set_ranking_opt_out(
        &self,
        actor: &Actor,
        scope: Scope,
        customer_id: i64,
        opt_out: bool,
    ) -> Result<(), AppError> {
        self.db.get_customer(scope, customer_id).await?;
        let entry = self.loyalty().await?.ladder.at(0).code.clone();
        let now = self.now();
        self.db
            .set_ranking_opt_out(customer_id, &entry, opt_out, now)
            .await?;
        let event = AuditEvent::ok("member.ranking", "customer", customer_id)
            .with_detail(if opt_out { "opted out" } else { "opted in" });
        self.db.record_audit(actor, &event, now).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn names_are_masked_after_the_first_character() {
        assert_eq!(super::mask_name("张伟"), "张*");
        assert_eq!(super::mask_name("欧阳娜娜"), "欧***");
        assert_eq!(super::mask_name(""), "");
    }
}
