//! Advance notices to members (the handbooks' failure case is members never told): points
//! expiring, a card running out, coupons about to lapse, and a tier review that would lower
//! the tier. Run daily by the `member_notices` job; each member gets each notice once per
//! occasion (the occasion names the date), whatever the number of runs or servers.
//!
//! Channel: e-mail to members who gave their address and the `service` consent. Members who
//! cannot be reached are recorded as `no_channel`, so staff see who to call. SMS and WeChat
//! join when the message channels are built; the occasion rows stay the same.

use crate::i18n::Phrase;
use crate::sales::{calendar, years_from};
use crate::{App, AppError};
use jiff::tz::TimeZone;
use jiff::{SignedDuration, Timestamp};
use patron_domain::money::format_yuan;
use patron_store::Scope;
use patron_store::messages::notices::Due;
use patron_store::messages::outbox::NewMessage;

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

/// The phrase with its `day`: the local day an expiry instant ends (the midnight that ends
/// the last valid day).
fn with_day(p: Phrase, ms: i64, tz: &TimeZone) -> Phrase {
    match Timestamp::from_millisecond(ms - 1) {
        Ok(t) => p.date("day", tz.to_datetime(t).date()),
        Err(_) => p.arg("day", ""),
    }
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
            let text = with_day(
                Phrase::new("notice.points_expiry").arg("points", d.amount),
                d.at_ms,
                &tz,
            );
            let sent = self
                .notify(
                    &d,
                    &occasion,
                    "points_expiry",
                    "notice.points_expiry_subject",
                    &text,
                    now,
                )
                .await?;
            tally(&mut report.points, sent);
        }
        for d in self.db.cards_expiring(now, ahead).await? {
            let occasion = format!("card_expiry:{}:{}", d.label, occasion_day(d.at_ms, &tz));
            let text = with_day(
                Phrase::new("notice.card_expiry").arg("card", tail(&d.label)),
                d.at_ms,
                &tz,
            );
            let sent = self
                .notify(
                    &d,
                    &occasion,
                    "card_expiry",
                    "notice.card_expiry_subject",
                    &text,
                    now,
                )
                .await?;
            tally(&mut report.cards, sent);
        }
        let coupon_ahead = now + SignedDuration::from_hours(24 * COUPON_NOTICE_DAYS.min(days));
        for d in self.db.coupons_expiring(now, coupon_ahead).await? {
            let occasion = format!("coupon_expiry:{}", occasion_day(d.at_ms, &tz));
            let text = with_day(
                Phrase::new("notice.coupon_expiry").arg("count", d.amount),
                d.at_ms,
                &tz,
            );
            let sent = self
                .notify(
                    &d,
                    &occasion,
                    "coupon_expiry",
                    "notice.coupon_expiry_subject",
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
                .filter(|f| *f > 0);
            let occasion = format!("tier_review:{}", occasion_day(review_at + 1, tz));
            let text = match keep {
                Some(f) => Phrase::new("notice.tier_review_keep").arg("amount", format_yuan(f)),
                None => Phrase::new("notice.tier_review"),
            }
            .arg("tier", &ladder.at(rank).name);
            let text = with_day(text, review_at + 1, tz);
            let sent = self
                .notify(
                    &d,
                    &occasion,
                    "tier_review",
                    "notice.tier_review_subject",
                    &text,
                    now,
                )
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
        subject_key: &str,
        text: &Phrase,
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
        let lang = self.language_of(&c);
        let email = c.email.filter(|e| !e.trim().is_empty() && service);
        // Sent in the member's language (`lang`, above); kept as a phrase, so the console
        // shows it in each reader's.
        let subject = lang.t(subject_key);
        let body = format!(
            "{}\n\n{}\n",
            lang.format("notice.salutation", &[("name", &c.name)]),
            text.render(lang)
        );
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
                &text.to_stored(),
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
                let points =
                    (tier.birthday_points > 0).then(|| patron_store::membership::points::NewLot {
                        points: tier.birthday_points,
                        usable_from: now,
                        expires_at: programme.expiry.expires_at(now, &tz),
                    });
                let coupon = match tier.birthday_coupon_template {
                    Some(t) => match self.db.coupon_template(t).await {
                        Ok(row)
                            if row.status
                                == patron_domain::membership::coupon::TemplateStatus::Active =>
                        {
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
                let detail = Phrase::new("ledger.birthday_gift")
                    .arg("tier", &tier.name)
                    .to_stored();
                let gift = patron_store::messages::notices::BirthdayGift {
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
