//! Advance notices to members (the handbooks' failure case is members never told): points
//! expiring, a card running out, coupons about to lapse, and a tier review that would lower
//! the tier. Run daily by the `member_notices` job; each member gets each notice once per
//! occasion (the occasion names the date), whatever the number of runs or servers.
//!
//! Channel: e-mail to members who gave their address and the `service` consent. Members who
//! cannot be reached are recorded as `no_channel`, so staff see who to call. SMS and WeChat
//! join when the message channels are built; the occasion rows stay the same.

use super::{calendar, years_from};
use crate::{App, AppError};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use patron_domain::money::format_yuan;
use patron_store::Scope;
use patron_store::notices::Due;
use patron_store::outbox::NewMessage;

/// What one run did, per kind of notice: (queued, no channel).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct NoticeReport {
    pub points: (usize, usize),
    pub cards: (usize, usize),
    pub coupons: (usize, usize),
    pub tiers: (usize, usize),
}

impl std::fmt::Display for NoticeReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let n = |p: (usize, usize)| p.0 + p.1;
        write!(
            f,
            "notices: {} points, {} cards, {} coupons, {} tiers ({} without a channel)",
            n(self.points),
            n(self.cards),
            n(self.coupons),
            n(self.tiers),
            self.points.1 + self.cards.1 + self.coupons.1 + self.tiers.1
        )
    }
}

/// Coupons are announced this many days before they lapse (they live for weeks, not years).
const COUPON_NOTICE_DAYS: i64 = 7;

fn local_day(ms: i64, tz: &TimeZone) -> String {
    // An expiry instant is the midnight that ends the last valid day.
    Timestamp::from_millisecond(ms - 1)
        .map(|t| {
            let d = tz.to_datetime(t).date();
            format!("{}年{}月{}日", d.year(), d.month(), d.day())
        })
        .unwrap_or_default()
}

fn occasion_day(ms: i64, tz: &TimeZone) -> String {
    Timestamp::from_millisecond(ms - 1)
        .map(|t| tz.to_datetime(t).date().to_string())
        .unwrap_or_default()
}

impl App {
    /// Sends the notices due at `now`. `notice_days` comes from the programme.
    pub async fn send_member_notices(&self, now: Timestamp) -> Result<NoticeReport, AppError> {
        let programme = self.loyalty().await?;
        let days = i64::from(programme.settings.notice_days);
        let mut report = NoticeReport::default();
        if days == 0 {
            return Ok(report);
        }
        let tz = self.config.timezone();
        let ahead = now + SignedDuration::from_hours(24 * days);
        for d in self.db.points_expiring(now, ahead).await? {
            let occasion = format!("points_expiry:{}", occasion_day(d.at_ms, &tz));
            let text = format!(
                "您有 {} 积分将于 {} 到期，到期后将自动清零，请在此之前到店使用或兑换礼品。",
                d.amount,
                local_day(d.at_ms, &tz)
            );
            let sent = self
                .notify(
                    &d,
                    &occasion,
                    "points_expiry",
                    "积分即将到期提醒",
                    &text,
                    now,
                )
                .await?;
            tally(&mut report.points, sent);
        }
        for d in self.db.cards_expiring(now, ahead).await? {
            let occasion = format!("card_expiry:{}:{}", d.label, occasion_day(d.at_ms, &tz));
            let text = format!(
                "您的会员卡（尾号 {}）有效期至 {}，请到店续期，以免影响积分和会员权益。",
                tail(&d.label),
                local_day(d.at_ms, &tz)
            );
            let sent = self
                .notify(
                    &d,
                    &occasion,
                    "card_expiry",
                    "会员卡即将到期提醒",
                    &text,
                    now,
                )
                .await?;
            tally(&mut report.cards, sent);
        }
        let coupon_ahead = now + SignedDuration::from_hours(24 * COUPON_NOTICE_DAYS.min(days));
        for d in self.db.coupons_expiring(now, coupon_ahead).await? {
            let occasion = format!("coupon_expiry:{}", occasion_day(d.at_ms, &tz));
            let text = format!(
                "您有 {} 张优惠券将于 {} 起失效，请及时使用。",
                d.amount,
                local_day(d.at_ms, &tz)
            );
            let sent = self
                .notify(
                    &d,
                    &occasion,
                    "coupon_expiry",
                    "优惠券即将失效提醒",
                    &text,
                    now,
                )
                .await?;
            tally(&mut report.coupons, sent);
        }
        self.tier_notices(&programme.ladder, now, days, &tz, &mut report)
            .await?;
        Ok(report)
    }

    /// Members whose yearly review falls within the notice window and whose last twelve
    /// months would not keep their tier: told what keeps it.
    async fn tier_notices(
        &self,
        ladder: &patron_domain::membership::TierLadder,
        now: Timestamp,
        days: i64,
        tz: &TimeZone,
        report: &mut NoticeReport,
    ) -> Result<(), AppError> {
        let from = years_from(now, -1, tz);
        let until = years_from(now + SignedDuration::from_hours(24 * days), -1, tz);
        let window = calendar(now, tz).window_from;
        for d in self.db.reviews_due(&ladder.at(0).code, from, until).await? {
            let rank = ladder.rank(&d.label);
            let standing = self
                .db
                .customer_stats(d.customer_id, window)
                .await?
                .map(|s| s.standing)
                .unwrap_or_default();
            if ladder.review(rank, &standing) >= rank {
                continue;
            }
            let review_at = Timestamp::from_millisecond(d.at_ms)
                .map_or(d.at_ms, |t| years_from(t, 1, tz).as_millisecond());
            let keep = ladder
                .progress(rank.saturating_sub(1), &standing)
                .and_then(|p| p.spend_fen)
                .filter(|f| *f > 0)
                .map(|f| format!("再消费 {} 即可保级。", format_yuan(f)))
                .unwrap_or_default();
            let occasion = format!("tier_review:{}", occasion_day(review_at + 1, tz));
            let text = format!(
                "您的{}将于 {} 进行年度评定，按近 12 个月的消费将调整为下一等级。{keep}",
                ladder.at(rank).name,
                local_day(review_at + 1, tz)
            );
            let sent = self
                .notify(&d, &occasion, "tier_review", "会员等级评定提醒", &text, now)
                .await?;
            tally(&mut report.tiers, sent);
        }
        Ok(())
    }

    /// Queues one notice by e-mail when the member can be reached, else records that they
    /// could not be. `None` when the occasion was already handled.
    async fn notify(
        &self,
        d: &Due,
        occasion: &str,
        purpose: &str,
        subject: &str,
        text: &str,
        now: Timestamp,
    ) -> Result<Option<bool>, AppError> {
        // A cheap look first, so a member told already is not opened again every day; the
        // insert in `record_notice` is what guarantees once.
        if self.db.notice_recorded(d.customer_id, occasion).await? {
            return Ok(None);
        }
        let c = self.load_customer(Scope::Chain, d.customer_id).await?;
        let consents = self.db.consent_state(d.customer_id).await?;
        let service = consents
            .iter()
            .any(|(p, granted, _)| p == "service" && *granted);
        let email = c.email.filter(|e| !e.trim().is_empty() && service);
        let body = format!("{}：\n\n{text}\n", c.name);
        let message = email.as_deref().map(|to| NewMessage {
            channel: "email",
            purpose,
            recipient: to,
            subject,
            body: &body,
            sealer: self.keys.as_ref(),
            max_attempts: crate::outbox::DEFAULT_MAX_ATTEMPTS,
            staff_id: None,
            customer_id: Some(c.id),
            store_id: Some(c.store_id),
            marketing: false,
            campaign: None,
            payload: None,
        });
        let fresh = self
            .db
            .record_notice(
                d.customer_id,
                occasion,
                purpose,
                text,
                message.as_ref(),
                now,
            )
            .await?;
        Ok(fresh.then_some(message.is_some()))
    }
}

fn tally(counts: &mut (usize, usize), sent: Option<bool>) {
    match sent {
        Some(true) => counts.0 += 1,
        Some(false) => counts.1 += 1,
        None => {}
    }
}

/// The last four characters of a card number: enough to recognise, not to use.
fn tail(card_no: &str) -> String {
    let chars: Vec<char> = card_no.chars().collect();
    chars[chars.len().saturating_sub(4)..].iter().collect()
}

impl App {
    /// Gives each member whose birthday is today (in the server's zone; the lunar one for
    /// those who gave it, see `calendar::is_birthday`) their tier's birthday gift: points
    /// and/or a coupon, once a year. Returns how many members got a gift.
    pub async fn grant_birthday_gifts(&self, now: Timestamp) -> Result<usize, AppError> {
        let programme = self.loyalty().await?;
        let gives = |t: &&super::loyalty::TierSetting| {
            t.birthday_points > 0 || t.birthday_coupon_template.is_some()
        };
        let tiers = &programme.settings.tiers;
        if !tiers.iter().any(|t| gives(&t)) {
            return Ok(0);
        }
        let benefits = |code: &str| tiers.iter().find(|t| t.code == code).filter(gives).cloned();
        let tz = self.config.timezone();
        let today = tz.to_datetime(now).date();
        let occasion = format!("birthday:{}", today.year());
        let mut granted = 0;
        let mut after = 0;
        loop {
            let page = self.db.sealed_birthdays(after, 2_000).await?;
            let Some(last) = page.last() else { break };
            after = last.0;
            for (id, sealed) in page {
                let (solar, lunar) =
                    crate::customers::sealing::birthdays(&self.keys, id, sealed.as_deref())?;
                if !patron_domain::calendar::is_birthday(today, solar, lunar) {
                    continue;
                }
                let code = self.db.tier_code(id, &programme.ladder).await?;
                let Some(tier) = benefits(&code) else {
                    continue;
                };
                let points = (tier.birthday_points > 0).then(|| patron_store::points::NewLot {
                    points: tier.birthday_points,
                    usable_from: now,
                    expires_at: programme.expiry.expires_at(now, &tz),
                });
                let coupon = match tier.birthday_coupon_template {
                    Some(t) => match self.db.coupon_template(t).await {
                        Ok(row) if row.status == "active" => {
                            let until = now + SignedDuration::from_hours(24 * row.valid_days);
                            Some((t, super::coupons::new_code(), until))
                        }
                        _ => None,
                    },
                    None => None,
                };
                if points.is_none() && coupon.is_none() {
                    continue;
                }
                let detail = format!("{} 生日礼", tier.name);
                let gift = patron_store::notices::BirthdayGift {
                    customer_id: id,
                    occasion: &occasion,
                    detail: &detail,
                    points,
                    coupon,
                };
                if self.db.grant_birthday_gift(&gift, now).await? {
                    granted += 1;
                }
            }
        }
        Ok(granted)
    }
}
