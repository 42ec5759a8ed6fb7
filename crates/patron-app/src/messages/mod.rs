//! Messages to customers: the send-time rules, templates per name, channel and language, and
//! composing one customer's message on the best channel they can be reached on. The outbox
//! (`crate::outbox`) delivers; `optout` records refusals (unsubscribe links, SMS replies).

mod optout;
mod templates;

pub use optout::ReplyOutcome;
pub use templates::{TemplateForm, TemplatePreview, VARIABLES, variables_in};

use crate::i18n::Lang;
use crate::outbox::Payload;
use crate::outbox::template::{self, Vars};
use crate::{App, AppError, Config};
use patron_domain::FieldError;
use patron_domain::audit::Actor;
use patron_domain::customers::ContactChannel;
use patron_domain::messages::{Channel, MessageRules, sms_text};
use patron_store::messages::templates::TemplateRow;

pub const RULES_KEY: &str = "messages.rules";

/// The languages templates are written in; the first is the default.
pub const LANGUAGES: [&str; 2] = ["zh-CN", "en"];

/// Which channels this installation can deliver on.
pub fn configured_channels(config: &Config) -> Vec<Channel> {
    let mut on = vec![Channel::Email];
    if !matches!(config.sms.provider.as_str(), "" | "none") {
        on.push(Channel::Sms);
    }
    if !config.wechat.app_id.trim().is_empty() && !config.wechat.app_secret.is_empty() {
        on.push(Channel::Wechat);
    }
    if !config.webhook.url.trim().is_empty() {
        on.push(Channel::Webhook);
    }
    on
}

/// One customer's message, ready for the outbox.
#[derive(Clone, PartialEq, Eq)]
pub struct Composed {
    pub channel: Channel,
    pub recipient: String,
    pub subject: String,
    pub body: String,
    pub payload: Option<String>,
    pub marketing: bool,
}

impl std::fmt::Debug for Composed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // Recipient and body are personal data.
        f.debug_struct("Composed")
            .field("channel", &self.channel)
            .field("marketing", &self.marketing)
            .finish_non_exhaustive()
    }
}

impl Composed {
    /// The outbox row for this message to `customer` of `store`.
    pub fn outbox_message<'a>(
        &'a self,
        sealer: &'a dyn patron_store::sealed::Sealer,
        purpose: &'a str,
        customer: i64,
        store: i64,
        campaign: Option<&'a str>,
    ) -> patron_store::messages::outbox::NewMessage<'a> {
        patron_store::messages::outbox::NewMessage {
            channel: self.channel.as_str(),
            purpose,
            recipient: &self.recipient,
            subject: &self.subject,
            body: &self.body,
            sealer,
            max_attempts: crate::outbox::DEFAULT_MAX_ATTEMPTS,
            staff_id: None,
            customer_id: Some(customer),
            store_id: Some(store),
            marketing: self.marketing,
            campaign,
            payload: self.payload.as_deref(),
        }
    }
}

impl App {
    /// Queues template `name` to one customer on the best channel that reaches them (see
    /// `compose_for`): the outbox id and channel, or `None` when none does.
    pub async fn queue_template(
        &self,
        scope: patron_store::Scope,
        customer_id: i64,
        name: &str,
        extra: &Vars,
        campaign: Option<&str>,
    ) -> Result<Option<(i64, Channel)>, AppError> {
        let c = self.load_customer(scope, customer_id).await?;
        let Some(m) = self.compose_for(&c, name, extra).await? else {
            return Ok(None);
        };
        let id = self
            .db
            .enqueue_message(
                &m.outbox_message(self.keys.as_ref(), name, c.id, c.store_id, campaign),
                self.now(),
            )
            .await?;
        Ok(Some((id, m.channel)))
    }

    pub async fn message_rules(&self) -> Result<MessageRules, AppError> {
        match self.db.setting(RULES_KEY).await? {
            None => Ok(MessageRules::default()),
            Some(text) => serde_json::from_str(&text)
                .map_err(|e| AppError::Internal(format!("stored message rules unreadable: {e}"))),
        }
    }

    pub async fn save_message_rules(
        &self,
        actor: &Actor,
        rules: &MessageRules,
    ) -> Result<(), AppError> {
        rules.check()?;
        let text = serde_json::to_string(rules)
            .map_err(|e| AppError::Internal(format!("message rules: {e}")))?;
        self.db
            .put_setting(actor, RULES_KEY, &text, self.now())
            .await?;
        Ok(())
    }

    /// The language a customer reads what they are sent in: their own when they chose one,
    /// else `server.language`.
    pub fn language_of(&self, customer: &crate::customers::Customer) -> Lang {
        Lang::parse(&customer.profile.language).unwrap_or(self.config.language())
    }

    /// `compose_for` for the built-in service notices, which staff may delete: a template
    /// that no longer exists means no message rather than an error.
    pub(crate) async fn compose_if_kept(
        &self,
        customer: &crate::customers::Customer,
        name: &str,
        extra: &Vars,
    ) -> Result<Option<Composed>, AppError> {
        match self.compose_for(customer, name, extra).await {
            Err(AppError::Field(f)) if f.key == "error.messages.no_template" => Ok(None),
            other => other,
        }
    }

    /// The customer's message from template `name` on the first channel that has a template,
    /// the customer's address, and (for marketing) their consent: the preferred channel first,
    /// then WeChat, SMS, e-mail. `None` when no channel reaches them.
    pub async fn compose_for(
        &self,
        customer: &crate::customers::Customer,
        name: &str,
        extra: &Vars,
    ) -> Result<Option<Composed>, AppError> {
        let templates = self.db.message_templates_named(name).await?;
        if templates.is_empty() {
            return Err(FieldError::new("message_template", "error.messages.no_template").into());
        }
        let on = configured_channels(&self.config);
        let consents = self.db.consent_state(customer.id).await?;
        let granted = |c: Channel| {
            consents
                .iter()
                .any(|(p, g, _)| p == c.marketing_consent().as_str() && *g)
        };
        let preferred = match ContactChannel::parse(&customer.profile.preferred_channel) {
            Some(ContactChannel::Sms | ContactChannel::Phone) => Some(Channel::Sms),
            Some(ContactChannel::Email) => Some(Channel::Email),
            Some(ContactChannel::Wechat) => Some(Channel::Wechat),
            None => None,
        };
        let mut order: Vec<Channel> = preferred.into_iter().collect();
        for c in [Channel::Wechat, Channel::Sms, Channel::Email] {
            if !order.contains(&c) {
                order.push(c);
            }
        }
        let rules = self.message_rules().await?;
        for channel in order {
            if !on.contains(&channel) {
                continue;
            }
            let Some(t) = pick(&templates, channel, self.language_of(customer)) else {
                continue;
            };
            let marketing = t.marketing;
            if marketing && !granted(channel) {
                continue;
            }
            let recipient = match channel {
                Channel::Email => customer.email.clone().filter(|e| !e.trim().is_empty()),
                Channel::Sms => customer.mobile.as_ref().map(|p| p.national().to_string()),
                Channel::Wechat => match self.db.wechat_openid_enc(customer.id).await? {
                    Some(sealed) => Some(crate::customers::sealing::open(
                        &self.keys,
                        "wechat_openid",
                        customer.id,
                        &sealed,
                    )?),
                    None => None,
                },
                Channel::Webhook => None,
            };
            let Some(recipient) = recipient else {
                continue;
            };
            let mut vars = self.customer_vars(customer).await?;
            for (k, v) in extra {
                vars.insert(k, v.clone());
            }
            if channel == Channel::Email && marketing {
                vars.insert(
                    "unsubscribe",
                    self.unsubscribe_link(customer.id, channel.marketing_consent()),
                );
            }
            return Ok(Some(compose(
                t, channel, recipient, &vars, marketing, &rules,
            )?));
        }
        Ok(None)
    }

    /// The variables every message has: name, store, tier, points; others default to empty.
    async fn customer_vars(&self, c: &crate::customers::Customer) -> Result<Vars, AppError> {
        let mut vars: Vars = VARIABLES.iter().map(|(k, _)| (*k, String::new())).collect();
        vars.insert("name", c.name.clone());
        let store = self
            .db
            .get_store(patron_store::Scope::Chain, c.store_id)
            .await?;
        vars.insert("store", store.name);
        let programme = self.loyalty().await?;
        let code = self.db.tier_code(c.id, &programme.ladder).await?;
        vars.insert(
            "tier",
            programme
                .ladder
                .at(programme.ladder.rank(&code))
                .name
                .clone(),
        );
        vars.insert("points", self.db.points_balance(c.id).await?.to_string());
        Ok(vars)
    }
}

/// The template for a channel: the customer's language first, then the default, then any.
fn pick(templates: &[TemplateRow], channel: Channel, lang: Lang) -> Option<&TemplateRow> {
    let of_channel = || templates.iter().filter(|t| t.channel == channel.as_str());
    std::iter::once(lang.code())
        .chain(LANGUAGES)
        .find_map(|l| of_channel().find(|t| t.language == l))
        .or_else(|| of_channel().next())
}

fn compose(
    t: &TemplateRow,
    channel: Channel,
    recipient: String,
    vars: &Vars,
    marketing: bool,
    rules: &MessageRules,
) -> Result<Composed, AppError> {
    let body = template::render(&t.body, vars, "body")?;
    let subject = template::render(&t.subject, vars, "subject")?;
    let (body, payload) = match channel {
        Channel::Sms => (
            sms_text(&rules.sms_signature, &body, marketing),
            Some(params_payload(t, vars, None)),
        ),
        Channel::Wechat => (body, Some(params_payload(t, vars, None))),
        Channel::Email if marketing => {
            let link = vars.get("unsubscribe").cloned().unwrap_or_default();
            // Both languages: whoever reads it must find the way out.
            let unsubscribe = crate::i18n::both("notice.unsubscribe", " / ", &[]);
            (format!("{body}\n\n{unsubscribe}: {link}"), None)
        }
        _ => (body, None),
    };
    Ok(Composed {
        channel,
        recipient,
        subject,
        body,
        payload,
        marketing,
    })
}

/// The provider payload: the template code and the values of the variables the body uses,
/// in the order they first appear (Tencent takes parameters by position).
fn params_payload(t: &TemplateRow, vars: &Vars, url: Option<String>) -> String {
    Payload {
        template: t.provider_template.clone(),
        params: variables_in(&t.body)
            .into_iter()
            .map(|v| (v.to_string(), vars.get(v).cloned().unwrap_or_default()))
            .collect(),
        url,
    }
    .to_json()
}
