//! Greetings: birthdays (solar or lunar, with the tier's birthday gift), the festivals of the
//! lunar and solar calendars, each store's anniversary, and member days: the rules, and the
//! occasions of a day. The `greetings` job sends them each morning (`greeting_delivery`).
//!
//! Channel: each kind goes out as the rules' e-mail text, or through a named template of the
//! message library on each customer's best channel (WeChat, SMS, e-mail).

use crate::i18n::Lang;
use crate::outbox::template;
use crate::{App, AppError};
use jiff::civil::Date;
use patron_domain::calendar::Festival;
use patron_domain::membership::points::earning::{BonusDays, BonusPeriod};
use patron_domain::{Actor, FieldError};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

pub const RULES_KEY: &str = "greetings.rules";

/// What is greeted, and the words used. Absent means these defaults.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct GreetingRules {
    pub birthday: bool,
    /// Festival codes (`spring_festival`, `mid_autumn` ...).
    pub festivals: Vec<String>,
    /// A reminder on each member day of the earning rules (weekly or monthly bonus days).
    pub member_days: bool,
    /// Store code to the date the store opened (`2016-05-18`): greeted on each anniversary.
    pub anniversaries: BTreeMap<String, String>,
    pub templates: Templates,
    /// The message template (from the message library, by name) each kind goes out through,
    /// on each customer's best channel (preferred, then WeChat, SMS, e-mail); empty: the
    /// e-mail text of `templates`, to customers with an address and the e-mail consent.
    pub messages: MessageNames,
}

/// A message template name per kind of greeting; empty for the e-mail text.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct MessageNames {
    pub birthday: String,
    pub festival: String,
    pub anniversary: String,
    pub member_day: String,
}

/// The form field of each kind's message template name.
pub const MESSAGE_FIELDS: [&str; 4] = [
    "birthday_message",
    "festival_message",
    "anniversary_message",
    "member_day_message",
];

impl MessageNames {
    /// The names in `MESSAGE_FIELDS` order.
    pub fn all(&self) -> [&str; 4] {
        [
            &self.birthday,
            &self.festival,
            &self.anniversary,
            &self.member_day,
        ]
    }

    /// Whether any kind goes out through the message library.
    pub fn any(&self) -> bool {
        self.all().iter().any(|n| !n.trim().is_empty())
    }
}

/// One template per kind of greeting (minijinja; variables listed in `VARIABLES`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct Templates {
    pub birthday: String,
    pub festival: String,
    pub anniversary: String,
    pub member_day: String,
}

impl Default for Templates {
    fn default() -> Self {
        Self {
            birthday: "{{ name }}，{{ store }}祝您生日快乐！{% if gift %}{{ gift }}已放入您的会员账户，欢迎到店使用。{% endif %}".into(),
            festival: "{{ name }}，{{ store }}祝您{{ wish }}！".into(),
            anniversary: "{{ name }}，今天是{{ store }}开业{{ years }}周年，感谢您一路相伴！".into(),
            member_day: "{{ name }}，今天是{{ store }}会员日，{{ benefit }}，欢迎到店。".into(),
        }
    }
}

/// The variables each template may use, by the template's form field.
pub const VARIABLES: [(&str, &[&str]); 4] = [
    ("birthday_template", &["name", "store", "tier", "gift"]),
    ("festival_template", &["name", "store", "festival", "wish"]),
    ("anniversary_template", &["name", "store", "years"]),
    ("member_day_template", &["name", "store", "benefit"]),
];

impl Default for GreetingRules {
    fn default() -> Self {
        // The festivals the handbooks name; Qingming and Laba are there to switch on.
        let festivals = [
            Festival::NewYear,
            Festival::SpringFestival,
            Festival::Lantern,
            Festival::LabourDay,
            Festival::DragonBoat,
            Festival::Qixi,
            Festival::MidAutumn,
            Festival::NationalDay,
            Festival::DoubleNinth,
            Festival::NewYearsEve,
        ];
        Self {
            birthday: true,
            festivals: festivals.iter().map(|f| f.code().to_string()).collect(),
            member_days: false,
            anniversaries: BTreeMap::new(),
            templates: Templates::default(),
            messages: MessageNames::default(),
        }
    }
}

impl GreetingRules {
    /// Checks codes, dates and templates; the error names the field.
    pub fn check(&self) -> Result<(), FieldError> {
        if self
            .festivals
            .iter()
            .any(|c| Festival::from_code(c).is_none())
        {
            return Err(FieldError::new("festivals", "error.greetings.festival"));
        }
        if self
            .anniversaries
            .values()
            .any(|d| d.parse::<Date>().is_err())
        {
            return Err(FieldError::new(
                "anniversaries",
                "error.greetings.anniversary",
            ));
        }
        let t = &self.templates;
        for (source, (field, names)) in [&t.birthday, &t.festival, &t.anniversary, &t.member_day]
            .into_iter()
            .zip(VARIABLES)
        {
            template::check(source, names, field)?;
        }
        Ok(())
    }
}

/// What one run queued, per kind.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct GreetingReport {
    pub birthdays: usize,
    pub festivals: usize,
    pub anniversaries: usize,
    pub member_days: usize,
}

impl std::fmt::Display for GreetingReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "greetings: {} birthdays, {} festivals, {} anniversaries, {} member days",
            self.birthdays, self.festivals, self.anniversaries, self.member_days
        )
    }
}

/// An occasion of the day, shared by every customer it applies to.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Occasion {
    Festival(Festival),
    /// The store (by id) opened this many years ago today.
    Anniversary {
        store_id: i64,
        years: i16,
    },
    /// The points multiplier of the day (`2`, `1.5`); see [`member_day_benefit`].
    MemberDay {
        times: String,
    },
}

/// The festivals, store openings and member days greetings follow (birthdays aside: they
/// are personal).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OccasionSource {
    festivals: Vec<Festival>,
    /// Store id and opening date.
    anniversaries: Vec<(i64, Date)>,
    /// The weekly or monthly bonus days, when member-day reminders are on.
    member_days: Vec<BonusPeriod>,
}

impl OccasionSource {
    /// The occasions falling on `day`.
    pub fn on(&self, day: Date) -> Vec<Occasion> {
        let mut out: Vec<Occasion> = self
            .festivals
            .iter()
            .filter(|f| f.dates_in_year(day.year()).contains(&day))
            .map(|f| Occasion::Festival(*f))
            .collect();
        for (store_id, opened) in &self.anniversaries {
            let years = day.year() - opened.year();
            if years > 0 && (opened.month(), opened.day()) == (day.month(), day.day()) {
                out.push(Occasion::Anniversary {
                    store_id: *store_id,
                    years,
                });
            }
        }
        let best = self
            .member_days
            .iter()
            .filter(|b| b.days.covers(day))
            .map(|b| b.multiplier)
            .max();
        if let Some(m) = best {
            out.push(Occasion::MemberDay {
                times: trim_permille(m),
            });
        }
        out
    }
}

impl App {
    pub async fn greeting_rules(&self) -> Result<GreetingRules, AppError> {
        match self.db.setting(RULES_KEY).await? {
            None => Ok(GreetingRules::default()),
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| AppError::Internal(format!("stored greeting rules unreadable: {e}"))),
        }
    }

    /// Checks and saves the rules; anniversaries must name existing stores.
    pub async fn save_greeting_rules(
        &self,
        actor: &Actor,
        rules: &GreetingRules,
    ) -> Result<(), AppError> {
        rules.check()?;
        let stores = self.db.list_stores(patron_store::Scope::Chain).await?;
        if rules
            .anniversaries
            .keys()
            .any(|code| !stores.iter().any(|s| &s.code == code))
        {
            return Err(FieldError::new("anniversaries", "error.greetings.store").into());
        }
        for (name, field) in rules.messages.all().into_iter().zip(MESSAGE_FIELDS) {
            if !name.trim().is_empty() && self.db.message_templates_named(name).await?.is_empty() {
                return Err(FieldError::new(field, "error.messages.no_template").into());
            }
        }
        let text = serde_json::to_string(rules)
            .map_err(|e| AppError::Internal(format!("greeting rules: {e}")))?;
        self.db
            .put_setting(actor, RULES_KEY, &text, self.now())
            .await?;
        Ok(())
    }

    /// What decides the shared occasions under `rules`, read once for any number of days.
    pub async fn occasion_source(&self, rules: &GreetingRules) -> Result<OccasionSource, AppError> {
        let mut anniversaries = Vec::new();
        if !rules.anniversaries.is_empty() {
            for s in self.db.list_stores(patron_store::Scope::Chain).await? {
                if let Some(opened) = rules
                    .anniversaries
                    .get(&s.code)
                    .and_then(|d| d.parse::<Date>().ok())
                {
                    anniversaries.push((s.id, opened));
                }
            }
        }
        let member_days = if rules.member_days {
            self.loyalty()
                .await?
                .earning
                .bonuses
                .iter()
                .filter(|b| matches!(b.days, BonusDays::Weekday(_) | BonusDays::DayOfMonth(_)))
                .cloned()
                .collect()
        } else {
            Vec::new()
        };
        Ok(OccasionSource {
            festivals: rules
                .festivals
                .iter()
                .filter_map(|c| Festival::from_code(c))
                .collect(),
            anniversaries,
            member_days,
        })
    }
}

/// `2000` permille as `2`, `1500` as `1.5`.
fn trim_permille(m: i64) -> String {
    if m % 1000 == 0 {
        (m / 1000).to_string()
    } else {
        format!("{}", m as f64 / 1000.0)
    }
}

/// A festival's name as a reader of `lang` says it (中秋节, Mid-Autumn Festival).
pub fn festival_name(lang: Lang, f: Festival) -> &'static str {
    lang.t(&format!("festival.{}", f.code()))
}

/// The customary wish for a festival, in `lang`.
pub fn festival_wish(lang: Lang, f: Festival) -> &'static str {
    lang.t(&format!("festival_wish.{}", f.code()))
}

/// The member day's bonus as told to members (`消费积分 2 倍`).
pub fn member_day_benefit(lang: Lang, times: &str) -> String {
    lang.format("notice.member_day_benefit", &[("times", times)])
}

/// The tier's birthday gift in words (`生日礼（200 积分）`), empty when the tier has none.
pub(super) fn gift_text(
    programme: &crate::membership::loyalty::Programme,
    code: &str,
    lang: Lang,
) -> String {
    let Some(t) = programme.settings.tiers.iter().find(|t| t.code == code) else {
        return String::new();
    };
    let mut parts = Vec::new();
    if t.birthday_points > 0 {
        let points = t.birthday_points.to_string();
        parts.push(lang.format("notice.gift_points", &[("points", &points)]));
    }
    if t.birthday_coupon_template.is_some() {
        parts.push(lang.t("notice.gift_coupon").to_string());
    }
    if parts.is_empty() {
        String::new()
    } else {
        let parts = parts.join(lang.t("notice.gift_joiner"));
        lang.format("notice.gift", &[("parts", &parts)])
    }
}

#[cfg(test)]
mod festival_tests {
    use super::*;

    #[test]
    fn festivals_read_in_both_languages_and_the_chinese_matches_the_calendar() {
        for f in Festival::ALL {
            assert_eq!(festival_name(Lang::Zh, f), f.chinese_name(), "{}", f.code());
            assert_eq!(festival_wish(Lang::Zh, f), f.wish(), "{}", f.code());
            for text in [festival_name(Lang::En, f), festival_wish(Lang::En, f)] {
                assert_ne!(text, crate::i18n::MISSING, "{}", f.code());
                assert!(text.is_ascii(), "{}: {text}", f.code());
            }
        }
    }
}
