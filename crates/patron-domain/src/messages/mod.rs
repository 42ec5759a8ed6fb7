//! Rules for messages to customers: channels, how an SMS is put together and counted, the
//! quiet hours, frequency caps, and the reply keywords that withdraw consent. The outbox
//! applies them when it sends; the template editor shows their effect while staff type.

use crate::FieldError;
use crate::customers::ConsentPurpose;
use jiff::civil::{DateTime, Time};
use serde::{Deserialize, Serialize};

#[cfg(test)]
mod tests;

crate::stored::stored_codes! {
    /// An outbox message: pending until claimed, sending while a dispatcher holds it, then
    /// sent, or dead once its attempts are used up.
    OutboxStatus { Pending => "pending", Sending => "sending", Sent => "sent", Dead => "dead" }
}

/// Where a message goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Channel {
    Email,
    Sms,
    Wechat,
    Webhook,
}

impl Channel {
    pub const ALL: [Channel; 4] = [
        Channel::Email,
        Channel::Sms,
        Channel::Wechat,
        Channel::Webhook,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Wechat => "wechat",
            Channel::Webhook => "webhook",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s.trim())
    }

    /// The consent a marketing message on this channel needs. Service messages (receipts,
    /// expiry notices, appointments) need none beyond the contact itself.
    pub fn marketing_consent(self) -> ConsentPurpose {
        match self {
            Channel::Email => ConsentPurpose::MarketingEmail,
            Channel::Sms | Channel::Webhook => ConsentPurpose::MarketingSms,
            Channel::Wechat => ConsentPurpose::Wechat,
        }
    }
}

/// What China's carriers and both SMS providers require of a marketing SMS: a way to refuse.
pub const OPT_OUT_NOTE: &str = "拒收请回复R";

/// A message of up to this many characters (signature included) is one SMS.
pub const SMS_SINGLE: usize = 70;
/// Longer messages are split into parts of this many characters each.
pub const SMS_PART: usize = 67;

/// The text as the phone shows it: 【signature】 first, the opt-out note last on marketing.
pub fn sms_text(signature: &str, body: &str, marketing: bool) -> String {
    let body = body.trim();
    let mut text = format!("【{}】{body}", signature.trim());
    if marketing && !body.contains(OPT_OUT_NOTE) {
        text.push(' ');
        text.push_str(OPT_OUT_NOTE);
    }
    text
}

/// Characters and billed parts of an SMS. Chinese carriers count every character (Chinese,
/// Latin, digit, punctuation) as one; 70 fit in one message, longer ones go in parts of 67.
pub fn sms_parts(text: &str) -> (usize, usize) {
    let chars = text.chars().count();
    let parts = if chars == 0 {
        0
    } else if chars <= SMS_SINGLE {
        1
    } else {
        chars.div_ceil(SMS_PART)
    };
    (chars, parts)
}

/// Whether an SMS reply asks to stop marketing: R, T, TD, N, 退订, 拒收, 取消 (any case, with
/// or without surrounding spaces and punctuation).
pub fn is_opt_out_reply(reply: &str) -> bool {
    let word: String = reply
        .chars()
        .filter(|c| !c.is_whitespace() && !c.is_ascii_punctuation() && !"。！，、".contains(*c))
        .collect::<String>()
        .to_uppercase();
    matches!(
        word.as_str(),
        "R" | "T" | "TD" | "N" | "退订" | "拒收" | "取消" | "退订R"
    )
}

/// Send-time rules. Stored as the `messages.rules` setting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MessageRules {
    /// Quiet hours in the store's time zone ("21:00" to "09:00"); equal times switch them off.
    pub quiet_start: String,
    pub quiet_end: String,
    /// Marketing messages one customer may get per day and per seven days (0: no cap).
    pub max_per_day: u32,
    pub max_per_week: u32,
    /// The SMS signature (签名) registered with the provider, without the brackets.
    pub sms_signature: String,
}

impl Default for MessageRules {
    fn default() -> Self {
        Self {
            quiet_start: "21:00".into(),
            quiet_end: "09:00".into(),
            max_per_day: 1,
            max_per_week: 3,
            sms_signature: String::new(),
        }
    }
}

impl MessageRules {
    pub fn check(&self) -> Result<QuietHours, FieldError> {
        let start = parse_time(&self.quiet_start)
            .ok_or(FieldError::new("quiet_start", "error.messages.time"))?;
        let end = parse_time(&self.quiet_end)
            .ok_or(FieldError::new("quiet_end", "error.messages.time"))?;
        if self.max_per_day > 0 && self.max_per_week > 0 && self.max_per_week < self.max_per_day {
            return Err(FieldError::new(
                "max_per_week",
                "error.messages.week_below_day",
            ));
        }
        let sig = self.sms_signature.trim();
        if sig.chars().count() > 12 || sig.contains(['【', '】', '[', ']']) {
            return Err(FieldError::new("sms_signature", "error.messages.signature"));
        }
        Ok(QuietHours { start, end })
    }

    pub fn quiet_hours(&self) -> QuietHours {
        self.check().unwrap_or(QuietHours {
            start: Time::constant(21, 0, 0, 0),
            end: Time::constant(9, 0, 0, 0),
        })
    }
}

fn parse_time(s: &str) -> Option<Time> {
    let (h, m) = s.trim().split_once(':')?;
    let h: i8 = h.parse().ok()?;
    let m: i8 = m.parse().ok()?;
    Time::new(h, m, 0, 0).ok()
}

/// A nightly window in local time, which may run past midnight (21:00–09:00).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct QuietHours {
    pub start: Time,
    pub end: Time,
}

impl QuietHours {
    /// When a message held at `local` may go: `None` outside the window, else the end of it
    /// (the same morning or the next one).
    pub fn release(&self, local: DateTime) -> Option<DateTime> {
        if self.start == self.end {
            return None;
        }
        let t = local.time();
        let date = local.date();
        let end_on = |d: jiff::civil::Date| d.to_datetime(self.end);
        if self.start < self.end {
            // A window within one day, e.g. 12:00–14:00.
            return (t >= self.start && t < self.end).then(|| end_on(date));
        }
        if t >= self.start {
            date.tomorrow().ok().map(end_on)
        } else if t < self.end {
            Some(end_on(date))
        } else {
            None
        }
    }
}

/// Why the outbox did not send a message to a customer.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Suppression {
    /// The consent the message needs is not (or no longer) in force.
    Consent,
    /// The customer already got as many marketing messages as the caps allow.
    FrequencyCap,
}

impl Suppression {
    pub fn as_str(self) -> &'static str {
        match self {
            Suppression::Consent => "consent",
            Suppression::FrequencyCap => "frequency_cap",
        }
    }
}

/// Whether another marketing message fits under the caps, given how many were sent in the
/// last day and the last seven days.
pub fn under_caps(rules: &MessageRules, sent_day: i64, sent_week: i64) -> bool {
    let fits = |cap: u32, sent: i64| cap == 0 || sent < i64::from(cap);
    fits(rules.max_per_day, sent_day) && fits(rules.max_per_week, sent_week)
}
