//! Message templates and send-time rules. Marketing staff write a template per name, channel
//! and language and preview it for a sample customer (SMS with its signature, opt-out note,
//! length and parts); admins set the quiet hours, frequency caps and SMS signature.

use super::{field_message as message, see_other};
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use crate::view::{Page, render};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_app::messages::{LANGUAGES, TemplateForm, TemplatePreview, VARIABLES};
use patron_app::security::Principal;
use patron_domain::messages::{Channel, MessageRules, OPT_OUT_NOTE};
use patron_domain::{Capability, FieldError};
use serde::Deserialize;

pub struct TemplateView {
    pub id: i64,
    pub name: String,
    pub channel: String,
    pub language: String,
    pub marketing: bool,
    pub provider_template: String,
    pub excerpt: String,
}

#[derive(Template)]
#[template(path = "messages.html")]
pub struct MessagesPage {
    page: Page,
    templates: Vec<TemplateView>,
    form: FormView,
    preview: Option<TemplatePreview>,
    rules: MessageRules,
    can_rules: bool,
    channels: Vec<&'static str>,
    channels_on: String,
    languages: [&'static str; 2],
    variables: String,
    opt_out: &'static str,
}

/// The editor's fields as strings, kept when a save fails.
#[derive(Debug, Clone, Default, Deserialize)]
pub struct FormView {
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub language: String,
    #[serde(default)]
    pub marketing: Option<String>,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub body: String,
    #[serde(default)]
    pub provider_template: String,
    /// `preview` or `save`.
    #[serde(default)]
    pub action: String,
}

impl FormView {
    fn to_form(&self) -> TemplateForm {
        TemplateForm {
            name: self.name.clone(),
            channel: self.channel.clone(),
            language: self.language.clone(),
            marketing: self.marketing.is_some(),
            subject: self.subject.clone(),
            body: self.body.clone(),
            provider_template: self.provider_template.clone(),
        }
    }
}

#[derive(Deserialize, Default)]
pub struct EditQuery {
    #[serde(default)]
    pub edit: Option<i64>,
    #[serde(default)]
    pub ok: String,
}

struct Shown {
    form: FormView,
    preview: Option<TemplatePreview>,
    rules: Option<MessageRules>,
    error: String,
    flash: String,
}

async fn show(state: &AppState, p: &Principal, ctx: &Ctx, s: Shown) -> Response {
    let result: Result<Response, AppError> = async {
        let app = &state.app;
        let templates = app
            .message_templates()
            .await?
            .into_iter()
            .map(|t| TemplateView {
                id: t.id,
                excerpt: t.body.chars().take(40).collect(),
                name: t.name,
                channel: t.channel,
                language: t.language,
                marketing: t.marketing,
                provider_template: t.provider_template,
            })
            .collect();
        let rules = match s.rules {
            Some(r) => r,
            None => app.message_rules().await?,
        };
        let mut page =
            Page::console(ctx.lang, p, "messages.title", "/console/messages").with_flash(&s.flash);
        page.error = s.error;
        Ok(render(&MessagesPage {
            page,
            templates,
            form: s.form,
            preview: s.preview,
            rules,
            can_rules: p.can(Capability::SettingsManage),
            channels: Channel::ALL.iter().map(|c| c.as_str()).collect(),
            channels_on: patron_app::messages::configured_channels(app.config())
                .iter()
                .map(|c| c.as_str())
                .collect::<Vec<_>>()
                .join(", "),
            languages: LANGUAGES,
            variables: VARIABLES
                .iter()
                .map(|(v, _)| *v)
                .collect::<Vec<_>>()
                .join(", "),
            opt_out: OPT_OUT_NOTE,
        }))
    }
    .await;
    result.unwrap_or_else(|e| crate::error::WebError::page(e, ctx.lang).into_response_page())
}

pub async fn messages_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(q): Query<EditQuery>,
) -> Response {
    let mut form = FormView {
        channel: "sms".into(),
        language: LANGUAGES[0].into(),
        marketing: Some("1".into()),
        ..Default::default()
    };
    if let Some(id) = q.edit {
        match state.app.message_templates().await {
            Ok(all) => {
                if let Some(t) = all.into_iter().find(|t| t.id == id) {
                    form = FormView {
                        name: t.name,
                        channel: t.channel,
                        language: t.language,
                        marketing: t.marketing.then(|| "1".into()),
                        subject: t.subject,
                        body: t.body,
                        provider_template: t.provider_template,
                        action: String::new(),
                    };
                }
            }
            Err(e) => {
                return crate::error::WebError::page(e, ctx.lang).into_response_page();
            }
        }
    }
    let shown = Shown {
        form,
        preview: None,
        rules: None,
        error: String::new(),
        flash: q.ok,
    };
    show(&state, &p, &ctx, shown).await
}

/// Preview or save the template in the editor; either way a mistake comes back with the
/// field named and the text kept.
pub async fn save_template(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(form): Form<FormView>,
) -> Response {
    let input = form.to_form();
    let preview = state.app.preview_message(&input).await;
    let mut shown = Shown {
        form,
        preview: None,
        rules: None,
        error: String::new(),
        flash: String::new(),
    };
    match preview {
        Ok(pv) => shown.preview = Some(pv),
        Err(e) => {
            return match e.field_errors().first() {
                Some(f) => {
                    shown.error = message(&ctx, f);
                    show(&state, &p, &ctx, shown).await
                }
                None => crate::error::WebError::page(e, ctx.lang).into_response_page(),
            };
        }
    }
    if shown.form.action != "save" {
        return show(&state, &p, &ctx, shown).await;
    }
    match state
        .app
        .save_message_template(&p.actor(ctx.rid()), p.scope(), &input)
        .await
    {
        Ok(id) => see_other(&format!("/console/messages?ok=template_saved&edit={id}")),
        Err(e) => match e.field_errors().first() {
            Some(f) => {
                shown.error = message(&ctx, f);
                show(&state, &p, &ctx, shown).await
            }
            None => crate::error::WebError::page(e, ctx.lang).into_response_page(),
        },
    }
}

pub async fn delete_template(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
) -> Response {
    match state
        .app
        .delete_message_template(&p.actor(ctx.rid()), p.scope(), id)
        .await
    {
        Ok(()) => see_other("/console/messages?ok=template_deleted"),
        Err(e) => crate::error::WebError::page(e, ctx.lang).into_response_page(),
    }
}

#[derive(Deserialize)]
pub struct RulesForm {
    #[serde(default)]
    pub quiet_start: String,
    #[serde(default)]
    pub quiet_end: String,
    #[serde(default)]
    pub max_per_day: String,
    #[serde(default)]
    pub max_per_week: String,
    #[serde(default)]
    pub sms_signature: String,
}

fn count(field: &'static str, v: &str) -> Result<u32, FieldError> {
    v.trim()
        .parse()
        .map_err(|_| FieldError::new(field, "error.messages.number"))
}

pub async fn save_rules(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(f): Form<RulesForm>,
) -> Response {
    let parsed = (|| -> Result<MessageRules, FieldError> {
        Ok(MessageRules {
            quiet_start: f.quiet_start.trim().into(),
            quiet_end: f.quiet_end.trim().into(),
            max_per_day: count("max_per_day", &f.max_per_day)?,
            max_per_week: count("max_per_week", &f.max_per_week)?,
            sms_signature: f.sms_signature.trim().into(),
        })
    })();
    let blank = || FormView {
        channel: "sms".into(),
        language: LANGUAGES[0].into(),
        ..Default::default()
    };
    let rules = match parsed {
        Ok(r) => r,
        Err(e) => {
            let shown = Shown {
                form: blank(),
                preview: None,
                rules: None,
                error: message(&ctx, &e),
                flash: String::new(),
            };
            return show(&state, &p, &ctx, shown).await;
        }
    };
    match state
        .app
        .save_message_rules(&p.actor(ctx.rid()), &rules)
        .await
    {
        Ok(()) => see_other("/console/messages?ok=rules_saved"),
        Err(e) => match e.field_errors().first() {
            Some(fe) => {
                let shown = Shown {
                    form: blank(),
                    preview: None,
                    error: message(&ctx, fe),
                    rules: Some(rules),
                    flash: String::new(),
                };
                show(&state, &p, &ctx, shown).await
            }
            None => crate::error::WebError::page(e, ctx.lang).into_response_page(),
        },
    }
}
