//! The chain's loyalty programme as settings: how sales earn points, when points expire, what
//! points are worth when redeemed, the refund policy, and the tier ladder. Stored as one JSON
//! document under the `loyalty` setting, checked as a whole before it is saved.

use crate::{App, AppError};
use jiff::civil::{Date, Weekday};
use patron_domain::FieldError;
use patron_domain::audit::Actor;
use patron_domain::membership::points::{BonusDays, BonusPeriod, EarningRules, ExpiryPolicy};
use patron_domain::membership::{Admission, Tier, TierLadder};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const KEY: &str = "loyalty";

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Loyalty {
    /// Points per yuan paid, in thousandths (1000: 1 point per ¥1).
    pub per_yuan_permille: i64,
    /// Category code → multiplier in thousandths; 0 excludes the category.
    #[serde(default)]
    pub categories: BTreeMap<String, i64>,
    #[serde(default)]
    pub bonuses: Vec<Bonus>,
    /// Days before earned points can be used.
    #[serde(default)]
    pub pending_days: u32,
    pub expiry: Expiry,
    /// Points that pay ¥1 at the till.
    pub redeem_points_per_yuan: i64,
    /// When a refund takes back points the member already spent.
    pub refund_when_spent: RefundPolicy,
    pub tiers: Vec<TierSetting>,
    /// Manual adjustments larger than this (points × customers) wait for a second person.
    #[serde(default = "default_approval_above")]
    pub approval_above: i64,
    /// Points one member of staff may give in a store day without a second person, over all
    /// their manual adjustments and compensations; past it they wait for approval.
    #[serde(default = "default_daily_points")]
    pub daily_points_per_staff: i64,
    /// Coupon face value (fen) one member of staff may issue in a store day; past it an
    /// issue is refused (coupons have no approval flow).
    #[serde(default = "default_daily_coupon_fen")]
    pub daily_coupon_fen_per_staff: i64,
    /// Till keys spend points, coupons and rewards only of members of their own store.
    /// Off by default: members of a chain shop in any of its stores, and every spend at a
    /// till already needs the member's phone or card.
    #[serde(default)]
    pub till_own_store_only: bool,
    /// Member card numbers: digits and one `{seq:N}`; a Luhn check digit is added.
    #[serde(default = "default_card_format")]
    pub card_format: String,
    /// Months a card is valid from issue or renewal; 0: it does not expire.
    #[serde(default)]
    pub card_valid_months: u32,
    /// Days ahead members are told that points, a card or a tier are running out (coupons:
    /// at most 7); 0 turns the notices off.
    #[serde(default = "default_notice_days")]
    pub notice_days: u32,
}

fn default_notice_days() -> u32 {
    30
}

fn default_card_format() -> String {
    "8860{seq:08}".into()
}

fn default_approval_above() -> i64 {
    1000
}

/// Twenty requests at the default per-request threshold.
pub fn default_daily_points() -> i64 {
    20_000
}

/// ¥2,000 of coupons.
pub fn default_daily_coupon_fen() -> i64 {
    200_000
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RefundPolicy {
    /// Refund anyway; the balance goes negative and later earnings pay it back.
    Negative,
    /// Refuse the refund; staff settle it by hand.
    Block,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "rule", rename_all = "snake_case", deny_unknown_fields)]
pub enum Expiry {
    AfterMonths { months: u32 },
    EndOfYearAfter { years: u32 },
    Never,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Bonus {
    /// `mon`..`sun` (weekly), `1`..`31` (monthly), or `2026-11-11..2026-11-12` (dates).
    pub days: String,
    pub multiplier_permille: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TierSetting {
    pub code: String,
    pub name: String,
    pub min_spend_fen: Option<i64>,
    pub min_visits: Option<i64>,
    pub min_points: Option<i64>,
    /// Reaching every threshold set is needed (`true`), or any one (`false`).
    #[serde(default)]
    pub all: bool,
    pub points_permille: i64,
    pub discount_permille: i64,
    /// Points given on the member's birthday (0: none).
    #[serde(default)]
    pub birthday_points: i64,
    /// A coupon template issued on the member's birthday.
    #[serde(default)]
    pub birthday_coupon_template: Option<i64>,
    /// Free services of the tier, as shown to staff and members (免费上门测量, 优先安装 …).
    #[serde(default)]
    pub free_services: String,
}

impl Default for Loyalty {
    /// The common programme of the handbooks: 1 point per yuan, points valid through the
    /// end of the following year, 100 points pay ¥1, the four standard tiers.
    fn default() -> Self {
        Loyalty {
            per_yuan_permille: 1000,
            categories: BTreeMap::new(),
            bonuses: Vec::new(),
            pending_days: 0,
            expiry: Expiry::EndOfYearAfter { years: 1 },
            redeem_points_per_yuan: 100,
            refund_when_spent: RefundPolicy::Negative,
            approval_above: default_approval_above(),
            daily_points_per_staff: default_daily_points(),
            daily_coupon_fen_per_staff: default_daily_coupon_fen(),
            till_own_store_only: false,
            card_format: default_card_format(),
            card_valid_months: 0,
            notice_days: default_notice_days(),
            tiers: TierLadder::standard()
                .tiers()
                .iter()
                .map(|t| TierSetting {
                    code: t.code.clone(),
                    name: t.name.clone(),
                    min_spend_fen: t.min_spend_fen,
                    min_visits: t.min_visits,
                    min_points: t.min_points,
                    all: t.admission == Admission::All,
                    points_permille: t.points_permille,
                    discount_permille: t.discount_permille,
                    birthday_points: 0,
                    birthday_coupon_template: None,
                    free_services: String::new(),
                })
                .collect(),
        }
    }
}

/// The checked programme, in domain types.
#[derive(Debug, Clone)]
pub struct Programme {
    pub settings: Loyalty,
    pub earning: EarningRules,
    pub expiry: ExpiryPolicy,
    pub ladder: TierLadder,
}

fn parse_days(s: &str) -> Result<BonusDays, FieldError> {
    let err = || FieldError::new("bonuses", "error.loyalty.bonus_days");
    let s = s.trim();
    let weekday = match s {
        "mon" => Some(Weekday::Monday),
        "tue" => Some(Weekday::Tuesday),
        "wed" => Some(Weekday::Wednesday),
        "thu" => Some(Weekday::Thursday),
        "fri" => Some(Weekday::Friday),
        "sat" => Some(Weekday::Saturday),
        "sun" => Some(Weekday::Sunday),
        _ => None,
    };
    if let Some(w) = weekday {
        return Ok(BonusDays::Weekday(w));
    }
    if let Some((a, b)) = s.split_once("..") {
        let from: Date = a.trim().parse().map_err(|_| err())?;
        let to: Date = b.trim().parse().map_err(|_| err())?;
        return if from <= to {
            Ok(BonusDays::Between(from, to))
        } else {
            Err(err())
        };
    }
    match s.parse::<i8>() {
        Ok(d) if (1..=31).contains(&d) => Ok(BonusDays::DayOfMonth(d)),
        _ => Err(err()),
    }
}

impl Loyalty {
    /// Checks every part; the first problem found is reported with its field.
    pub fn check(self) -> Result<Programme, FieldError> {
        let field = |f, k| FieldError::new(f, k);
        if !(0..=100_000).contains(&self.per_yuan_permille) {
            return Err(field("per_yuan_permille", "error.loyalty.rate"));
        }
        if self.categories.values().any(|m| !(0..=100_000).contains(m)) {
            return Err(field("categories", "error.loyalty.rate"));
        }
        if !(1..=1_000_000).contains(&self.redeem_points_per_yuan) {
            return Err(field("redeem_points_per_yuan", "error.loyalty.redeem_rate"));
        }
        patron_domain::membership::CardFormat::parse(&self.card_format)?;
        if self.notice_days > 180 {
            return Err(field("notice_days", "error.loyalty.notice_days"));
        }
        for t in &self.tiers {
            if !(0..=1_000_000).contains(&t.birthday_points) {
                return Err(field("tiers", "error.loyalty.birthday_points"));
            }
            if t.free_services.chars().count() > 200 {
                return Err(field("tiers", "error.loyalty.free_services"));
            }
        }
        if self.card_valid_months > 120 {
            return Err(field("card_valid_months", "error.card.valid_months"));
        }
        if self.approval_above < 0 {
            return Err(field("approval_above", "error.loyalty.approval_above"));
        }
        if self.daily_points_per_staff < 0 {
            return Err(field(
                "daily_points_per_staff",
                "error.loyalty.approval_above",
            ));
        }
        if self.daily_coupon_fen_per_staff < 0 {
            return Err(field(
                "daily_coupon_fen_per_staff",
                "error.loyalty.approval_above",
            ));
        }
        if self.pending_days > 366 {
            return Err(field("pending_days", "error.loyalty.pending_days"));
        }
        let mut bonuses = Vec::new();
        for b in &self.bonuses {
            if !(1000..=100_000).contains(&b.multiplier_permille) {
                return Err(field("bonuses", "error.loyalty.bonus_multiplier"));
            }
            bonuses.push(BonusPeriod {
                days: parse_days(&b.days)?,
                multiplier: b.multiplier_permille,
            });
        }
        let expiry = match self.expiry {
            Expiry::AfterMonths { months } if (1..=120).contains(&months) => {
                ExpiryPolicy::AfterMonths(months)
            }
            Expiry::EndOfYearAfter { years } if years <= 10 => ExpiryPolicy::EndOfYearAfter(years),
            Expiry::Never => ExpiryPolicy::Never,
            _ => return Err(field("expiry", "error.loyalty.expiry")),
        };
        let ladder = TierLadder::new(
            self.tiers
                .iter()
                .map(|t| Tier {
                    code: t.code.trim().to_string(),
                    name: t.name.trim().to_string(),
                    min_spend_fen: t.min_spend_fen,
                    min_visits: t.min_visits,
                    min_points: t.min_points,
                    admission: if t.all {
                        Admission::All
                    } else {
                        Admission::Any
                    },
                    points_permille: t.points_permille,
                    discount_permille: t.discount_permille,
                })
                .collect(),
        )?;
        let earning = EarningRules {
            per_yuan: self.per_yuan_permille,
            categories: self.categories.clone(),
            bonuses,
            pending_days: self.pending_days,
        };
        Ok(Programme {
            settings: self,
            earning,
            expiry,
            ladder,
        })
    }
}

/// The programme as last read, and when. Every checkout needs it; reading and checking the
/// setting each time would cost a query and a parse per sale. A change saved on this server
/// applies at once; one saved on another server sharing the database within `FRESH_FOR`.
pub type ProgrammeCache = Arc<Mutex<Option<(Instant, Arc<Programme>)>>>;

const FRESH_FOR: Duration = Duration::from_secs(5);

impl App {
    /// The loyalty settings page: the programme as saved and the coupon templates a tier's
    /// birthday gift may name.
    pub async fn loyalty_page(&self) -> Result<(Loyalty, Vec<(i64, String)>), AppError> {
        let (programme, templates) =
            tokio::try_join!(self.loyalty(), self.active_coupon_templates())?;
        Ok((programme.settings.clone(), templates))
    }

    /// The loyalty programme in force (the defaults until someone saves one).
    pub async fn loyalty(&self) -> Result<Arc<Programme>, AppError> {
        if let Ok(cache) = self.programme.lock()
            && let Some((at, p)) = cache.as_ref()
            && at.elapsed() < FRESH_FOR
        {
            return Ok(p.clone());
        }
        let settings = match self.db.setting(KEY).await? {
            Some(text) => serde_json::from_str::<Loyalty>(&text)
                .map_err(|e| AppError::Internal(format!("stored loyalty settings: {e}")))?,
            None => Loyalty::default(),
        };
        let programme = Arc::new(settings.check()?);
        if let Ok(mut cache) = self.programme.lock() {
            *cache = Some((Instant::now(), programme.clone()));
        }
        Ok(programme)
    }

    /// Checks and saves the programme. Points already earned keep the expiry they were
    /// given; tiers are re-judged on each member's next sale or review.
    pub async fn save_loyalty(&self, actor: &Actor, settings: Loyalty) -> Result<(), AppError> {
        let programme = settings.check()?;
        let text = serde_json::to_string(&programme.settings)
            .map_err(|e| AppError::Internal(e.to_string()))?;
        self.db.put_setting(actor, KEY, &text, self.now()).await?;
        if let Ok(mut cache) = self.programme.lock() {
            *cache = None;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn defaults_check_and_round_trip() {
        let p = Loyalty::default().check().expect("defaults are valid");
        assert_eq!(p.ladder.tiers().len(), 4);
        let text = serde_json::to_string(&p.settings).expect("json");
        let back: Loyalty = serde_json::from_str(&text).expect("parse");
        assert_eq!(back, Loyalty::default());
    }

    #[test]
    fn each_part_is_checked_with_its_field() {
        let with = |f: fn(&mut Loyalty)| {
            let mut l = Loyalty::default();
            f(&mut l);
            l.check().err().map(|e| (e.field, e.key))
        };
        assert_eq!(
            with(|l| l.redeem_points_per_yuan = 0),
            Some(("redeem_points_per_yuan", "error.loyalty.redeem_rate"))
        );
        assert_eq!(
            with(|l| l.bonuses.push(Bonus {
                days: "2026-12-01..2026-11-01".into(),
                multiplier_permille: 2000
            })),
            Some(("bonuses", "error.loyalty.bonus_days"))
        );
        assert_eq!(
            with(|l| l.expiry = Expiry::AfterMonths { months: 0 }),
            Some(("expiry", "error.loyalty.expiry"))
        );
        assert_eq!(
            with(|l| l.tiers[1].min_spend_fen = Some(-1)),
            Some(("tiers", "error.tier.negative"))
        );
        assert!(matches!(
            parse_days("fri"),
            Ok(BonusDays::Weekday(Weekday::Friday))
        ));
        assert!(matches!(parse_days("8"), Ok(BonusDays::DayOfMonth(8))));
        assert!(parse_days("32").is_err());
    }
}
