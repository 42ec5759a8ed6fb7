//! Saving and previewing message templates. A template is checked against the variables
//! messages have before it is saved; SMS and WeChat templates need the code the provider
//! registered them under; the preview renders a sample customer's message as the phone or
//! inbox shows it, with the SMS length and parts.

use super::{LANGUAGES, compose};
use crate::outbox::template::{self, Vars};
use crate::{App, AppError};
use patron_domain::FieldError;
use patron_domain::audit::Actor;
use patron_domain::messages::{Channel, sms_parts};
use patron_store::messages::templates::{TemplateInput, TemplateRow};

/// The variables a message template may use, with a sample value for previews.
pub const VARIABLES: [(&str, &str); 19] = [
    ("name", "王芳"),
    ("store", "好家居一店"),
    ("tier", "金卡"),
    ("points", "1280"),
    ("coupon", "满500减50券"),
    ("coupon_code", "K7Q2M9XW"),
    ("expiry", "2026-12-31"),
    ("link", "https://example.cn/m"),
    ("unsubscribe", "https://example.cn/unsubscribe"),
    // Greetings add these.
    ("gift", "生日礼（200 积分）"),
    ("festival", "中秋节"),
    ("wish", "中秋快乐，花好月圆"),
    ("years", "10"),
    ("benefit", "消费积分 2 倍"),
    // Survey invitations add this (with `link` and `expiry`, in days).
    ("survey", "售后满意度回访"),
    // Order notices add these; warranty reminders add `product` (with `expiry`).
    ("order", "20261123-483920"),
    ("status", "已出库，正在配送"),
    ("appointment", "11月25日 09:00-12:00"),
    ("product", "燃气热水器 JSQ25"),
];

/// The variables a template uses, in the order they first appear (`{{ name }}`, `{{name}}`).
pub fn variables_in(body: &str) -> Vec<&'static str> {
    let mut found = Vec::new();
    let mut rest = body;
    while let Some(at) = rest.find("{{") {
        rest = &rest[at + 2..];
        let word: String = rest
            .trim_start()
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_')
            .collect();
        if let Some((v, _)) = VARIABLES.iter().find(|(v, _)| *v == word)
            && !found.contains(v)
        {
            found.push(*v);
        }
    }
    found
}

/// A template as typed in the editor.
#[derive(Debug, Clone, Default)]
pub struct TemplateForm {
    pub name: String,
    pub channel: String,
    pub language: String,
    pub marketing: bool,
    pub subject: String,
    pub body: String,
    pub provider_template: String,
}

/// A template rendered for the sample customer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TemplatePreview {
    pub subject: String,
    pub text: String,
    /// SMS only: characters and billed parts.
    pub chars: usize,
    pub parts: usize,
}

impl TemplateForm {
    fn check(&self) -> Result<Channel, FieldError> {
        let name = self.name.trim();
        if name.is_empty()
            || name.len() > 40
            || !name
                .chars()
                .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '_' || c == '.')
        {
            return Err(FieldError::new("name", "error.messages.template_name"));
        }
        let channel = Channel::parse(&self.channel)
            .ok_or(FieldError::new("channel", "error.messages.channel"))?;
        if !LANGUAGES.contains(&self.language.as_str()) {
            return Err(FieldError::new("language", "error.messages.language"));
        }
        let names: Vec<&'static str> = VARIABLES.iter().map(|(n, _)| *n).collect();
        template::check(&self.body, &names, "body")?;
        if channel == Channel::Email {
            template::check(&self.subject, &names, "subject")?;
        }
        let code = self.provider_template.trim();
        if matches!(channel, Channel::Sms | Channel::Wechat)
            && (code.is_empty()
                || code.len() > 64
                || !code
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-'))
        {
            return Err(FieldError::new(
                "provider_template",
                "error.messages.provider_template",
            ));
        }
        if channel == Channel::Sms && self.body.contains(['【', '】']) {
            // The provider adds the registered signature; a second one gets the SMS refused.
            return Err(FieldError::new("body", "error.messages.signature_in_body"));
        }
        Ok(channel)
    }
}

impl App {
    /// Templates serve the whole chain: a store-bound `scope` uses them, never edits them.
    pub async fn save_message_template(
        &self,
        actor: &Actor,
        scope: patron_store::Scope,
        form: &TemplateForm,
    ) -> Result<i64, AppError> {
        scope.chain_wide()?;
        form.check()?;
        let input = TemplateInput {
            name: form.name.trim(),
            channel: form.channel.trim(),
            language: &form.language,
            marketing: form.marketing,
            subject: form.subject.trim(),
            body: form.body.trim(),
            provider_template: form.provider_template.trim(),
        };
        Ok(self
            .db
            .save_message_template(actor, &input, self.now())
            .await?)
    }

    /// The sample customer's message from a template (saved or being edited).
    pub async fn preview_message(&self, form: &TemplateForm) -> Result<TemplatePreview, AppError> {
        let channel = form.check()?;
        let rules = self.message_rules().await?;
        let vars: Vars = VARIABLES
            .iter()
            .map(|(k, v)| (*k, (*v).to_string()))
            .collect();
        let row = TemplateRow {
            id: 0,
            name: form.name.clone(),
            channel: channel.as_str().into(),
            language: form.language.clone(),
            marketing: form.marketing,
            subject: form.subject.clone(),
            body: form.body.clone(),
            provider_template: form.provider_template.clone(),
            updated_at: jiff::Timestamp::UNIX_EPOCH,
        };
        let c = compose(&row, channel, String::new(), &vars, form.marketing, &rules)?;
        let (chars, parts) = if channel == Channel::Sms {
            sms_parts(&c.body)
        } else {
            (c.body.chars().count(), 0)
        };
        Ok(TemplatePreview {
            subject: c.subject,
            text: c.body,
            chars,
            parts,
        })
    }
}

impl App {
    /// Every message template.
    pub async fn message_templates(&self) -> Result<Vec<TemplateRow>, AppError> {
        Ok(self.db.message_templates().await?)
    }

    /// Deletes a template (chain-wide roles only; audited).
    pub async fn delete_message_template(
        &self,
        actor: &Actor,
        scope: patron_domain::Scope,
        id: i64,
    ) -> Result<(), AppError> {
        Ok(self
            .db
            .delete_message_template(actor, scope, id, self.now())
            .await?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn variables_are_found_in_order_once() {
        assert_eq!(
            variables_in("{{ name }}您好，{{store}}送您{{ coupon }}，{{ name }}"),
            vec!["name", "store", "coupon"]
        );
        assert!(variables_in("没有变量").is_empty());
    }

    #[test]
    fn forms_are_checked_field_by_field() {
        let good = TemplateForm {
            name: "winback".into(),
            channel: "sms".into(),
            language: "zh-CN".into(),
            marketing: true,
            subject: String::new(),
            body: "{{ name }}，好久不见".into(),
            provider_template: "SMS_2001".into(),
        };
        assert_eq!(good.check(), Ok(Channel::Sms));
        let field = |f: TemplateForm| f.check().map(|_| ()).unwrap_err().field;
        assert_eq!(
            field(TemplateForm {
                name: "Win Back".into(),
                ..good.clone()
            }),
            "name"
        );
        assert_eq!(
            field(TemplateForm {
                channel: "fax".into(),
                ..good.clone()
            }),
            "channel"
        );
        assert_eq!(
            field(TemplateForm {
                language: "fr".into(),
                ..good.clone()
            }),
            "language"
        );
        assert_eq!(
            field(TemplateForm {
                body: "{{ nmae }}".into(),
                ..good.clone()
            }),
            "body"
        );
        assert_eq!(
            field(TemplateForm {
                provider_template: String::new(),
                ..good.clone()
            }),
            "provider_template"
        );
        assert_eq!(
            field(TemplateForm {
                body: "【好家居】你好".into(),
                ..good.clone()
            }),
            "body"
        );
        let email = TemplateForm {
            channel: "email".into(),
            provider_template: String::new(),
            subject: "{{ store }}想念您".into(),
            ..good.clone()
        };
        assert_eq!(email.check(), Ok(Channel::Email));
        assert_eq!(
            field(TemplateForm {
                subject: String::new(),
                ..email
            }),
            "subject"
        );
    }
}
