//! Membership: the loyalty programme and its tiers, member cards, coupons, points (manual
//! adjustments, the leaderboard, advance notices), the points mall, what staff see of a
//! member's membership, and leaving the programme.

pub mod adjust;
pub mod cards;
pub mod coupons;
pub mod exit;
pub mod loyalty;
pub mod mall;
pub mod notices;
pub mod points;
pub mod ranking;
pub mod recipients;
pub mod view;

pub use loyalty::{Loyalty, Programme};
