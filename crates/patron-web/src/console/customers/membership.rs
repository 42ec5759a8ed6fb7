//! The membership part of the customer page: tier and what is missing for the next one
//! ("还差 ¥320.00 即可升级 金卡"), points usable and pending, lots with the last day they can
//! be used, the ledger with the reason of every entry, purchases and running statistics.

use crate::i18n::Lang;
use crate::view::when;
use jiff::tz::TimeZone;
use patron_app::membership::view::MembershipView;
use patron_domain::membership::Admission;
use patron_domain::money::format_yuan;

pub struct LotLine {
    pub remaining: i64,
    pub usable_from: String,
    pub valid_through: String,
    pub pending: bool,
}

pub struct EntryLine {
    pub at: String,
    pub kind: &'static str,
    pub points: String,
    pub reason: String,
    pub actor: String,
}

pub struct PurchaseLine {
    pub at: String,
    pub receipt_no: String,
    pub paid: String,
    pub refunded: String,
    pub points: String,
    pub lines: i64,
}

/// Everything the template shows, already formatted.
pub struct MemberPanel {
    pub tier: String,
    pub progress: String,
    pub balance: i64,
    pub usable: i64,
    pub pending: i64,
    pub lots: Vec<LotLine>,
    pub entries: Vec<EntryLine>,
    pub purchases: Vec<PurchaseLine>,
    /// (label, value) pairs of the running statistics.
    pub stats: Vec<(&'static str, String)>,
    pub tier_history: Vec<String>,
    /// The active card and its validity; empty without one.
    pub card: String,
    /// The day the member left the programme; empty for a member.
    pub ended: String,
    pub ranking_opt_out: bool,
    /// Rewards on offer: (id, "name · price · stock").
    pub rewards: Vec<(i64, String)>,
    pub reward_orders: Vec<crate::console::membership::mall::OrderLine>,
    pub free_services: String,
    /// (when, what, how it went) of notices and gifts.
    pub notices: Vec<(String, String, &'static str)>,
}

/// A local date, for "valid through" (the lot expires at the midnight that ends that day).
pub(crate) fn day(ms: i64, lang: Lang, tz: &TimeZone) -> String {
    let Ok(t) = jiff::Timestamp::from_millisecond(ms) else {
        return String::new();
    };
    let d = tz.to_datetime(t).date();
    match lang {
        Lang::Zh => format!("{}年{}月{}日", d.year(), d.month(), d.day()),
        Lang::En => format!("{}-{:02}-{:02}", d.year(), d.month(), d.day()),
    }
}

fn signed(points: i64) -> String {
    if points > 0 {
        format!("+{points}")
    } else {
        points.to_string()
    }
}

impl MemberPanel {
    pub fn new(v: MembershipView, lang: Lang, tz: &TimeZone, now_ms: i64) -> MemberPanel {
        let t = |k: &str| lang.t(k);
        let progress = match &v.next {
            None => t("membership.top_tier").to_string(),
            Some(p) => {
                let mut parts = Vec::new();
                if let Some(fen) = p.spend_fen.filter(|f| *f > 0) {
                    parts.push(format_yuan(fen));
                }
                if let Some(n) = p.visits.filter(|n| *n > 0) {
                    parts.push(format!("{n} {}", t("membership.visits_unit")));
                }
                if let Some(n) = p.points.filter(|n| *n > 0) {
                    parts.push(format!("{n} {}", t("membership.points_unit")));
                }
                let joiner = match p.admission {
                    Admission::Any => t("membership.or"),
                    Admission::All => t("membership.and"),
                };
                let needs = parts.join(&format!(" {joiner} "));
                [
                    t("membership.still_needs"),
                    &needs,
                    t("membership.to_reach"),
                    &p.tier,
                ]
                .iter()
                .filter(|w| !w.is_empty())
                .copied()
                .collect::<Vec<_>>()
                .join(" ")
            }
        };
        let pending_points: i64 = v
            .lots
            .iter()
            .filter(|l| l.usable_from.as_millisecond() > now_ms)
            .map(|l| l.remaining)
            .sum();
        let lots = v
            .lots
            .iter()
            .map(|l| LotLine {
                remaining: l.remaining,
                usable_from: when(l.usable_from.as_millisecond(), lang, tz),
                valid_through: l.expires_at.map_or_else(
                    || t("membership.never_expires").to_string(),
                    |e| day(e.as_millisecond() - 1, lang, tz),
                ),
                pending: l.usable_from.as_millisecond() > now_ms,
            })
            .collect();
        let entries = v
            .entries
            .iter()
            .map(|e| EntryLine {
                at: when(e.at, lang, tz),
                kind: t(&format!("membership.entry_{}", e.kind.code())),
                points: signed(e.points),
                reason: lang.stored(&e.reason),
                actor: e.actor_name.clone(),
            })
            .collect();
        let purchases = v
            .sales
            .iter()
            .map(|s| PurchaseLine {
                at: when(s.sold_at_ms, lang, tz),
                receipt_no: s.receipt_no.clone(),
                paid: format_yuan(s.paid_fen),
                refunded: if s.refunded_paid_fen > 0 {
                    format_yuan(s.refunded_paid_fen)
                } else {
                    String::new()
                },
                points: signed(s.points_earned - s.points_redeemed),
                lines: s.lines,
            })
            .collect();
        let stats = match &v.stats {
            None => Vec::new(),
            Some(s) => vec![
                (
                    "membership.first_purchase",
                    day(s.first_purchase_ms, lang, tz),
                ),
                (
                    "membership.last_purchase",
                    day(s.last_purchase_ms, lang, tz),
                ),
                ("membership.purchases", s.purchase_count.to_string()),
                ("membership.visits", s.visit_count.to_string()),
                ("membership.total_spend", format_yuan(s.total_spend_fen)),
                ("membership.spend_12m", format_yuan(s.standing.spend_fen)),
                ("membership.visits_12m", s.standing.visits.to_string()),
                (
                    "membership.mean_interval",
                    s.mean_interval_days()
                        .map_or_else(|| "—".to_string(), |d| format!("{d:.1}")),
                ),
            ],
        };
        let tier_history = v
            .tier_history
            .iter()
            .map(|h| {
                format!(
                    "{} · {} → {} · {}",
                    day(h.at_ms, lang, tz),
                    h.from_code,
                    h.to_code,
                    t(&format!("membership.tier_{}", h.reason))
                )
            })
            .collect();
        let card = v.card.as_ref().map_or_else(String::new, |c| {
            let until = c.valid_until.map_or_else(
                || t("membership.never_expires").to_string(),
                |u| {
                    format!(
                        "{} {}",
                        t("membership.valid_through"),
                        day(u.as_millisecond() - 1, lang, tz)
                    )
                },
            );
            format!("{} · {until}", c.card_no)
        });
        let rewards = v
            .rewards
            .iter()
            .filter(|r| r.stock.is_none_or(|s| s > 0))
            .map(|r| {
                let price =
                    crate::console::membership::mall::price_label(r.points_price, r.cash_fen, lang);
                (r.id, format!("{} · {price}", r.name))
            })
            .collect();
        let reward_orders = v
            .reward_orders
            .into_iter()
            .map(|o| crate::console::membership::mall::order_line(o, lang, tz))
            .collect();
        let notices = v
            .notices
            .iter()
            .map(|n| {
                (
                    when(n.created_at, lang, tz),
                    lang.stored(&n.detail),
                    t(&format!("membership.notice_{}", n.status.code())),
                )
            })
            .collect();
        MemberPanel {
            notices,
            free_services: v.free_services.clone(),
            rewards,
            reward_orders,
            ranking_opt_out: v.ranking_opt_out,
            ended: v.ended_at_ms.map_or_else(String::new, |e| day(e, lang, tz)),
            card,
            tier: v.tier_name,
            progress,
            balance: v.balance,
            usable: v.usable,
            pending: pending_points,
            lots,
            entries,
            purchases,
            stats,
            tier_history,
        }
    }
}
