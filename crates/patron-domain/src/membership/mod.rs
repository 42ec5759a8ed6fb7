//! Membership: tiers with their admission rules, upgrades at once and downgrades only at a
//! review (`tier`), member card numbers with a check digit (`card`), the points ledger's rules
//! (`points`) and coupons (`coupon`).

pub mod card;
pub mod coupon;
pub mod points;
pub mod tier;

pub use card::CardFormat;
pub use tier::{Admission, Progress, Standing, Tier, TierLadder};

crate::stored::stored_codes! {
    /// A member card: one active card per member; a replaced or cancelled one stays on file.
    CardStatus { Active => "active", Replaced => "replaced", Cancelled => "cancelled" }

    /// How a notice before an expiry was delivered, as written on its occasion row.
    NoticeStatus { Queued => "queued", NoChannel => "no_channel", Granted => "granted" }

    /// What a points mall reward is: goods handed over, or a coupon issued at once.
    RewardKind { Goods => "goods", Coupon => "coupon" }

    /// Whether a reward is offered.
    RewardStatus { Active => "active", Retired => "retired" }

    /// A points mall order, from placed to handed over (or cancelled, points restored).
    RewardOrderStatus {
        Placed => "placed",
        Ready => "ready",
        Fulfilled => "fulfilled",
        Cancelled => "cancelled",
    }
}

impl RewardOrderStatus {
    /// The moves staff make by hand (cancelling has its own path: points come back).
    pub fn may_move_to(self, to: RewardOrderStatus) -> bool {
        use RewardOrderStatus::{Fulfilled, Placed, Ready};
        matches!(
            (self, to),
            (Placed, Ready) | (Placed, Fulfilled) | (Ready, Fulfilled)
        )
    }
}
