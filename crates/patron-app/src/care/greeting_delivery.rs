//! Sending the day's greetings. Each greeting is recorded as an occasion of the customer
//! together with its outbox row, so it goes out once whatever the number of runs, restarts
//! or servers. A kind of greeting goes out either as the e-mail text of the rules (to
//! customers with an address and the marketing e-mail consent) or, when the rules name a
//! message template for it, on each customer's best channel (see `App::compose_for`: the
//! preferred channel, then WeChat, SMS, e-mail, each with its consent).

use super::greetings::{
    GreetingReport, GreetingRules, Occasion, festival_name, festival_wish, gift_text,
    member_day_benefit,
};
use crate::customers::sealing::open_profile;
use crate::i18n::Lang;
use crate::outbox::template::{self, Vars};
use crate::{App, AppError};
use jiff::Timestamp;
use patron_domain::calendar::is_birthday;
use patron_store::Scope;
use patron_store::care::greetings::Greetable;
use patron_store::messages::outbox::NewMessage;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Birthday,
    Festival,
    Anniversary,
    MemberDay,
}

/// One greeting due to one customer: its occasion row, texts and variables.
struct Greeting<'a> {
    occasion: String,
    kind: Kind,
    /// The e-mail text's template (used when no message template is named).
    template: &'a str,
    /// The message template's name, or empty.
    message: &'a str,
    vars: Vars,
    subject: String,
}

impl App {
    /// Queues today's greetings (today in the server's zone) and grants the day's birthday
    /// gifts first, so a birthday greeting can mention them.
    pub async fn send_greetings(&self, now: Timestamp) -> Result<GreetingReport, AppError> {
        let rules = self.greeting_rules().await?;
        let tz = self.config.timezone();
        let today = tz.to_datetime(now).date();
        let occasions = self.occasion_source(&rules).await?.on(today);
        let mut report = GreetingReport::default();
        if occasions.is_empty() && !rules.birthday {
            return Ok(report);
        }
        if rules.birthday {
            self.grant_birthday_gifts(now).await?;
        }
        let programme = self.loyalty().await?;
        let stores = self.store_names().await?;
        // Without message templates only the e-mail-reachable can be greeted.
        let email_only = !rules.messages.any();
        let mut after = 0;
        loop {
            let page = self.db.greetable(after, 1_000, email_only).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            for c in page {
                let birthday = if rules.birthday {
                    let (solar, lunar) = crate::customers::sealing::birthdays(
                        &self.keys,
                        c.id,
                        c.birthday_enc.as_deref(),
                    )?;
                    is_birthday(today, solar, lunar)
                } else {
                    false
                };
                if occasions.is_empty() && !birthday {
                    continue;
                }
                let store = stores.get(&c.store_id).cloned().unwrap_or_default();
                let text = self.config.language();
                // Only a greeting through message templates speaks the customer's language,
                // so the sealed profile is opened only when templates are in use.
                let customer = if rules.messages.any() {
                    self.greeting_language(&c).unwrap_or(text)
                } else {
                    text
                };
                let langs = Langs { text, customer };
                let mut due = due_today(&rules, &occasions, &c, &store, today, langs);
                if birthday {
                    let lang = langs.of(&rules.messages.birthday);
                    let code = self.db.tier_code(c.id, &programme.ladder).await?;
                    let tier = programme.ladder.at(programme.ladder.rank(&code));
                    let gift = if self
                        .db
                        .notice_recorded(c.id, &format!("birthday:{}", today.year()))
                        .await?
                    {
                        gift_text(&programme, &code, lang)
                    } else {
                        String::new()
                    };
                    due.push(Greeting {
                        occasion: format!("greeting:birthday:{}", today.year()),
                        kind: Kind::Birthday,
                        template: &rules.templates.birthday,
                        message: &rules.messages.birthday,
                        vars: vars(&c, &store, &[("tier", tier.name.clone()), ("gift", gift)]),
                        subject: lang.t("notice.birthday_subject").into(),
                    });
                }
                for g in due {
                    if self.db.notice_recorded(c.id, &g.occasion).await? {
                        continue;
                    }
                    if self.greet(&c, &g, now).await? {
                        *match g.kind {
                            Kind::Birthday => &mut report.birthdays,
                            Kind::Festival => &mut report.festivals,
                            Kind::Anniversary => &mut report.anniversaries,
                            Kind::MemberDay => &mut report.member_days,
                        } += 1;
                    }
                }
            }
        }
        Ok(report)
    }

    /// The language a customer chose, from their sealed profile; `None` when they chose
    /// none. One unreadable profile does not stop everyone's greetings: it is logged by id
    /// and that customer is greeted in the default language.
    fn greeting_language(&self, c: &Greetable) -> Option<Lang> {
        match open_profile(&self.keys, c.id, &c.profile) {
            Ok(p) => Lang::parse(&p.language),
            Err(e) => {
                tracing::warn!(customer = c.id, error = %e, "greeting in the default language");
                None
            }
        }
    }

    /// Queues one greeting with its occasion row; false when it was already recorded (by a
    /// concurrent run) or no channel reaches the customer.
    async fn greet(
        &self,
        c: &Greetable,
        g: &Greeting<'_>,
        now: Timestamp,
    ) -> Result<bool, AppError> {
        if g.message.trim().is_empty() {
            let Some(sealed) = c.email_enc.as_deref().filter(|_| c.email_ok) else {
                return Ok(false);
            };
            let email = crate::customers::sealing::open(&self.keys, "email", c.id, sealed)?;
            let text = template::render(g.template, &g.vars, "template")?;
            let message = NewMessage {
                channel: "email",
                purpose: "greeting",
                recipient: &email,
                subject: &g.subject,
                body: &text,
                sealer: self.keys.as_ref(),
                max_attempts: crate::outbox::DEFAULT_MAX_ATTEMPTS,
                staff_id: None,
                customer_id: Some(c.id),
                store_id: Some(c.store_id),
                marketing: true,
                campaign: Some("greetings"),
                payload: None,
            };
            return Ok(self
                .db
                .record_notice(c.id, &g.occasion, "greeting", &text, Some(&message), now)
                .await?);
        }
        let customer = self.load_customer(Scope::Chain, c.id).await?;
        let Some(m) = self.compose_for(&customer, g.message, &g.vars).await? else {
            return Ok(false);
        };
        let row = m.outbox_message(
            self.keys.as_ref(),
            "greeting",
            c.id,
            c.store_id,
            Some("greetings"),
        );
        Ok(self
            .db
            .record_notice(c.id, &g.occasion, "greeting", &m.body, Some(&row), now)
            .await?)
    }
}

/// The languages a greeting can be written in. The e-mail text of the greeting rules is one
/// text in the owner's language, so its values and subject are in the configured language
/// too; a greeting sent through message templates (one per language) is in the customer's.
#[derive(Debug, Clone, Copy)]
struct Langs {
    text: Lang,
    customer: Lang,
}

impl Langs {
    /// The language of a greeting sent through message template `message` (empty: the text).
    fn of(self, message: &str) -> Lang {
        if message.trim().is_empty() {
            self.text
        } else {
            self.customer
        }
    }
}

/// The variables of a greeting: the customer's name, the store, and the occasion's own.
fn vars(c: &Greetable, store: &str, extra: &[(&'static str, String)]) -> Vars {
    let mut v: Vars = [("name", c.name.clone()), ("store", store.to_string())]
        .into_iter()
        .collect();
    v.extend(extra.iter().cloned());
    v
}

/// The shared occasions of the day that apply to this customer (birthdays aside).
fn due_today<'a>(
    rules: &'a GreetingRules,
    occasions: &[Occasion],
    c: &Greetable,
    store: &str,
    today: jiff::civil::Date,
    langs: Langs,
) -> Vec<Greeting<'a>> {
    let mut due = Vec::new();
    for o in occasions {
        match o {
            Occasion::Festival(f) => due.push({
                let lang = langs.of(&rules.messages.festival);
                Greeting {
                    occasion: format!("greeting:{}:{today}", f.code()),
                    kind: Kind::Festival,
                    template: &rules.templates.festival,
                    message: &rules.messages.festival,
                    vars: vars(
                        c,
                        store,
                        &[
                            ("festival", festival_name(lang, *f).into()),
                            ("wish", festival_wish(lang, *f).into()),
                        ],
                    ),
                    subject: lang.format(
                        "notice.festival_subject",
                        &[("festival", festival_name(lang, *f))],
                    ),
                }
            }),
            Occasion::Anniversary { store_id, years } if *store_id == c.store_id => {
                let lang = langs.of(&rules.messages.anniversary);
                due.push(Greeting {
                    occasion: format!("greeting:anniversary:{today}"),
                    kind: Kind::Anniversary,
                    template: &rules.templates.anniversary,
                    message: &rules.messages.anniversary,
                    vars: vars(c, store, &[("years", years.to_string())]),
                    subject: lang.format(
                        "notice.anniversary_subject",
                        &[("store", store), ("years", &years.to_string())],
                    ),
                })
            }
            Occasion::Anniversary { .. } => {}
            Occasion::MemberDay { times } => due.push({
                let lang = langs.of(&rules.messages.member_day);
                Greeting {
                    occasion: format!("greeting:member_day:{today}"),
                    kind: Kind::MemberDay,
                    template: &rules.templates.member_day,
                    message: &rules.messages.member_day,
                    vars: vars(c, store, &[("benefit", member_day_benefit(lang, times))]),
                    subject: lang.t("notice.member_day_subject").to_string(),
                }
            }),
        }
    }
    due
}
