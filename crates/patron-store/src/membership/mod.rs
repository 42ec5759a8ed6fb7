//! Membership: member cards, coupons, the points ledger, the points mall, the points
//! leaderboard and leaving the programme. Sales write points and coupons through these
//! modules inside their own transaction (`sales`).

pub mod cards;
pub mod coupons;
pub mod exit;
pub mod mall;
pub mod points;
pub mod ranking;
