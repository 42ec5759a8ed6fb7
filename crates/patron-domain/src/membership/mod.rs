//! Membership: tiers with their admission rules, upgrades at once and downgrades only at a
//! review (`tier`), and member card numbers with a check digit (`card`).

pub mod card;
pub mod tier;

pub use card::CardFormat;
pub use tier::{Admission, Progress, Standing, Tier, TierLadder};
