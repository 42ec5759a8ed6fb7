//! Membership pages: the loyalty programme's settings and tiers, member cards, coupons,
//! points adjustments and their approvals, the points mall and the leaderboard.

pub mod cards;
pub mod coupons;
pub mod loyalty;
pub mod mall;
pub mod points;
pub mod ranking;
mod recipients;
