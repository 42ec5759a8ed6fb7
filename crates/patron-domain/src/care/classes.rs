//! The vocabulary of customer classes: what classification reads (`Facts`), and the classes
//! it gives (spend share, frequency, RFM value, lifecycle, label). The computation is in
//! `patron-analytics`; these types are shared by storage, segments and follow-up cadence.

use serde::{Deserialize, Serialize};

/// Milliseconds in a day.
pub const DAY_MS: i64 = 86_400_000;

/// What classification reads about one customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Facts {
    pub customer_id: i64,
    pub store_id: i64,
    /// Paid in the rolling twelve months, refunds taken off (fen).
    pub spend_12m_fen: i64,
    /// Days with a purchase in the rolling twelve months.
    pub visits_12m: i64,
    /// `None` for a customer who never bought.
    pub history: Option<History>,
}

/// A buyer's lifetime figures.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct History {
    pub first_ms: i64,
    pub last_ms: i64,
    /// Days with a purchase, ever.
    pub visits: i64,
}

/// Which spend class drives labels and follow-up cadence.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ClassScope {
    Store,
    Chain,
}

/// 重要客户, 主要客户, 普通客户, 小客户.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SpendClass {
    Key,
    Major,
    Ordinary,
    Small,
}

/// High, medium and low, for frequency and for value.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Level {
    High,
    Medium,
    Low,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Lifecycle {
    New,
    Active,
    Dormant,
    Lost,
}

/// VIP, regular, potential (潜在客户: known but never bought).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Label {
    Vip,
    Regular,
    Potential,
}

/// RFM quintile scores, 1 (worst fifth) to 5 (best fifth).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Rfm {
    pub r: u8,
    pub f: u8,
    pub m: u8,
}

impl Rfm {
    pub fn total(self) -> u32 {
        u32::from(self.r) + u32::from(self.f) + u32::from(self.m)
    }
}

/// One customer's classes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Classes {
    pub customer_id: i64,
    /// The customer's store, whose customers `spend_store` ranks among.
    pub store_id: i64,
    /// Within the customer's store, and within the chain.
    pub spend_store: SpendClass,
    pub spend_chain: SpendClass,
    pub frequency: Level,
    /// Buyers only.
    pub rfm: Option<Rfm>,
    pub value: Option<Level>,
    pub lifecycle: Option<Lifecycle>,
    pub label: Label,
}

impl Classes {
    /// The spend class the rules' scope picks.
    pub fn spend(&self, scope: ClassScope) -> SpendClass {
        match scope {
            ClassScope::Store => self.spend_store,
            ClassScope::Chain => self.spend_chain,
        }
    }
}

/// Stable text codes, as stored and as used in URLs and settings.
macro_rules! codes {
    ($t:ty { $($v:ident => $c:literal),+ $(,)? }) => {
        impl $t {
            pub const ALL: &'static [$t] = &[$(<$t>::$v),+];

            pub fn code(self) -> &'static str {
                match self { $(<$t>::$v => $c),+ }
            }

            pub fn from_code(code: &str) -> Option<Self> {
                match code { $($c => Some(<$t>::$v),)+ _ => None }
            }
        }
    };
}

codes!(SpendClass { Key => "key", Major => "major", Ordinary => "ordinary", Small => "small" });
codes!(Level { High => "high", Medium => "medium", Low => "low" });
codes!(Lifecycle { New => "new", Active => "active", Dormant => "dormant", Lost => "lost" });
codes!(Label { Vip => "vip", Regular => "regular", Potential => "potential" });
codes!(ClassScope { Store => "store", Chain => "chain" });

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_round_trip() {
        for c in SpendClass::ALL {
            assert_eq!(SpendClass::from_code(c.code()), Some(*c));
        }
        for c in Level::ALL {
            assert_eq!(Level::from_code(c.code()), Some(*c));
        }
        for c in Lifecycle::ALL {
            assert_eq!(Lifecycle::from_code(c.code()), Some(*c));
        }
        for c in Label::ALL {
            assert_eq!(Label::from_code(c.code()), Some(*c));
        }
        assert_eq!(SpendClass::from_code("vip"), None);
    }
}
