//! The create and edit forms of a customer file. A failed save shows every field's message
//! beside what was typed, in the user's language, and keeps all the input.

use super::{Choices, choices};
use crate::console::{opt_id, see_other};
use crate::i18n::Lang;
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use crate::view::{Page, render};
use askama::Template;
use axum::Form;
use axum::extract::{Path, State};
use axum::response::Response;
use patron_app::AppError;
use patron_app::customers::{ConsentGrant, CreateOptions, CustomerEdit};
use patron_app::security::Principal;
use patron_domain::customers::{
    ConsentChannel, ConsentPurpose, ContactChannel, CustomerInput, Profile, SourceChannel,
};
use std::collections::BTreeMap;

/// The form as typed: every value a string, lists one per line.
#[derive(Debug, Default, Clone)]
pub struct CustomerForm {
    pub values: BTreeMap<String, String>,
    pub consents: Vec<String>,
    pub guardian_consent: bool,
    pub verified: bool,
}

impl CustomerForm {
    pub fn from_pairs(pairs: Vec<(String, String)>) -> Self {
        let mut f = CustomerForm::default();
        for (k, v) in pairs {
            match k.as_str() {
                "consent" => f.consents.push(v),
                "guardian_consent" => f.guardian_consent = v == "1",
                "verified" => f.verified = v == "1",
                "_csrf" => {}
                _ => {
                    f.values.insert(k, v);
                }
            }
        }
        f
    }

    pub fn get(&self, k: &str) -> &str {
        self.values.get(k).map(String::as_str).unwrap_or("")
    }

    fn lines(&self, k: &str) -> Vec<String> {
        self.get(k)
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    }

    pub fn tags(&self) -> Vec<String> {
        self.get("tags")
            .split([',', '，', '、', ' '])
            .map(str::trim)
            .filter(|t| !t.is_empty())
            .map(str::to_string)
            .collect()
    }

    pub fn input(&self) -> CustomerInput {
        let g = |k: &str| self.get(k).to_string();
        let custom = self
            .values
            .iter()
            .filter_map(|(k, v)| {
                k.strip_prefix("custom.")
                    .map(|k| (k.to_string(), v.clone()))
            })
            .filter(|(_, v)| !v.trim().is_empty())
            .collect();
        CustomerInput {
            name: g("name"),
            gender: g("gender"),
            birthday: g("birthday"),
            lunar_birthday: g("lunar_birthday"),
            mobile: g("mobile"),
            other_phones: self.lines("other_phones"),
            email: g("email"),
            addresses: self.lines("addresses"),
            id_number: g("id_number"),
            notes: g("notes"),
            source: g("source"),
            guardian_consent: self.guardian_consent,
            profile: Profile {
                employer: g("employer"),
                job_title: g("job_title"),
                occupation: g("occupation"),
                family_status: g("family_status"),
                hobbies: g("hobbies"),
                habits: g("habits"),
                clothing_size: g("clothing_size"),
                shoe_size: g("shoe_size"),
                preferred_channel: g("preferred_channel"),
                language: g("language"),
                contact_time: g("contact_time"),
                wechat: g("wechat"),
                household: Vec::new(),
                custom,
            },
        }
    }

    /// Prefills the edit form from a stored file (personal values in full: only roles that
    /// may edit reach it, and the view is audited).
    pub fn from_customer(c: &patron_app::customers::Customer) -> Self {
        let i = c.to_input();
        let mut v = BTreeMap::new();
        let mut put = |k: &str, s: String| {
            v.insert(k.to_string(), s);
        };
        put("name", i.name);
        put("gender", i.gender);
        put("birthday", i.birthday);
        put("lunar_birthday", i.lunar_birthday);
        put(
            "mobile",
            c.mobile
                .as_ref()
                .map(|p| p.national().to_string())
                .unwrap_or_default(),
        );
        put(
            "other_phones",
            c.other_phones
                .iter()
                .map(|p| p.national().to_string())
                .collect::<Vec<_>>()
                .join("\n"),
        );
        put("email", i.email);
        put("addresses", i.addresses.join("\n"));
        put("id_number", i.id_number);
        put("notes", i.notes);
        put("source", i.source);
        let p = i.profile;
        put("employer", p.employer);
        put("job_title", p.job_title);
        put("occupation", p.occupation);
        put("family_status", p.family_status);
        put("hobbies", p.hobbies);
        put("habits", p.habits);
        put("clothing_size", p.clothing_size);
        put("shoe_size", p.shoe_size);
        put("preferred_channel", p.preferred_channel);
        put("language", p.language);
        put("contact_time", p.contact_time);
        put("wechat", p.wechat);
        for (k, val) in p.custom {
            put(&format!("custom.{k}"), val);
        }
        put("tags", c.tags.join(", "));
        put(
            "owner_staff_id",
            c.owner_staff_id.map(|o| o.to_string()).unwrap_or_default(),
        );
        put("store_id", c.store_id.to_string());
        CustomerForm {
            values: v,
            consents: Vec::new(),
            guardian_consent: c.guardian_consent,
            verified: false,
        }
    }
}

/// A custom field as the form shows it.
pub struct CustomFieldView {
    pub name: String,
    pub label: String,
    pub kind: String,
    pub choices: Vec<String>,
    pub value: String,
}

#[derive(Template)]
#[template(path = "customer_form.html")]
pub struct CustomerFormPage {
    page: Page,
    form: CustomerForm,
    /// Field name → message, shown beside the field.
    errors: BTreeMap<String, String>,
    action: String,
    editing: bool,
    stores: Vec<Choices>,
    owners: Vec<Choices>,
    sources: Vec<Choices>,
    channels: Vec<Choices>,
    languages: Vec<Choices>,
    purposes: Vec<Choices>,
    custom: Vec<CustomFieldView>,
}

impl CustomerFormPage {
    fn err(&self, field: &str) -> &str {
        self.errors.get(field).map(String::as_str).unwrap_or("")
    }

    fn label(&self, prefix: &str, name: &str) -> &'static str {
        self.page.t(&format!("{prefix}.{name}"))
    }

    fn consented(&self, purpose: &str) -> bool {
        self.form.consents.iter().any(|c| c == purpose)
    }
}

fn field_errors(e: &AppError, lang: Lang) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    for f in e.field_errors() {
        out.entry(f.field.to_string())
            .or_insert_with(|| lang.t(f.key).to_string());
    }
    if let AppError::Conflict {
        key,
        field: Some(f),
    } = e
    {
        out.insert(f.to_string(), lang.t(key).to_string());
    }
    out
}

#[allow(clippy::too_many_arguments)]
async fn show(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    form: CustomerForm,
    error: Option<&AppError>,
    editing: Option<i64>,
) -> Response {
    let lang = ctx.lang;
    let title = if editing.is_some() {
        "customers.edit_title"
    } else {
        "customers.new_title"
    };
    let mut page = Page::console(lang, p, title, "/console/customers");
    let mut errors = BTreeMap::new();
    if let Some(e) = error {
        errors = field_errors(e, lang);
        if errors.is_empty() {
            page = page.with_error(e);
        } else {
            page.error = lang.t("customers.fix_fields").to_string();
        }
    }
    let (stores, owners) = match choices(state, p).await {
        Ok(c) => c,
        Err(e) => return crate::error::WebError::page(e, lang).into_response_page(),
    };
    let custom = match state.app.custom_fields().await {
        Ok(defs) => defs
            .into_iter()
            .filter(|d| d.active)
            .map(|d| CustomFieldView {
                name: format!("custom.{}", d.field_key),
                value: form.get(&format!("custom.{}", d.field_key)).to_string(),
                choices: d.choice_list(),
                label: d.label,
                kind: d.kind.code().to_string(),
            })
            .collect(),
        Err(e) => {
            return crate::error::WebError::page(e, lang).into_response_page();
        }
    };
    let label = |prefix: &str, code: &str| Choices {
        value: code.to_string(),
        label: lang.t(&format!("{prefix}.{code}")).to_string(),
    };
    render(&CustomerFormPage {
        page,
        errors,
        action: match editing {
            Some(id) => format!("/console/customers/{id}"),
            None => "/console/customers".into(),
        },
        editing: editing.is_some(),
        stores,
        owners,
        sources: SourceChannel::ALL
            .iter()
            .map(|s| label("source", s.as_str()))
            .collect(),
        channels: ContactChannel::ALL
            .iter()
            .map(|c| label("contact", c.as_str()))
            .collect(),
        languages: patron_domain::customers::CUSTOMER_LANGUAGES
            .iter()
            .map(|code| label("language", code))
            .collect(),
        purposes: ConsentPurpose::ALL
            .iter()
            .map(|c| label("purpose", c.as_str()))
            .collect(),
        custom,
        form,
    })
}

pub async fn new_page(State(state): State<AppState>, Staff(p, ctx): Staff) -> Response {
    let mut form = CustomerForm::default();
    form.consents.push(ConsentPurpose::Service.as_str().into());
    form.values
        .insert("owner_staff_id".into(), p.staff_id.to_string());
    show(&state, &p, &ctx, form, None, None).await
}

pub async fn create(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let form = CustomerForm::from_pairs(pairs);
    let purposes: Vec<ConsentPurpose> = form
        .consents
        .iter()
        .filter_map(|c| ConsentPurpose::parse(c))
        .collect();
    let options = CreateOptions {
        store_id: opt_id(form.get("store_id")),
        owner_staff_id: opt_id(form.get("owner_staff_id")),
        tags: form.tags(),
        consents: ConsentGrant {
            purposes,
            channel: Some(ConsentChannel::Counter),
        },
    };
    match state
        .app
        .create_customer(&p.actor(ctx.rid()), p.scope(), &form.input(), &options)
        .await
    {
        Ok(c) => see_other(&format!("/console/customers/{}?ok=customer_created", c.id)),
        Err(e) => {
            crate::console::on_form_error(&e, ctx.lang, async {
                show(&state, &p, &ctx, form.clone(), Some(&e), None).await
            })
            .await
        }
    }
}

pub async fn edit_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
) -> Response {
    match state
        .app
        .view_customer(&p.actor(ctx.rid()), p.scope(), id)
        .await
    {
        Ok(c) if c.status == patron_domain::customers::CustomerStatus::Active => {
            show(
                &state,
                &p,
                &ctx,
                CustomerForm::from_customer(&c),
                None,
                Some(id),
            )
            .await
        }
        Ok(_) => see_other(&format!("/console/customers/{id}")),
        Err(e) => crate::error::WebError::page(e, ctx.lang).into_response_page(),
    }
}

pub async fn update(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Form(pairs): Form<Vec<(String, String)>>,
) -> Response {
    let form = CustomerForm::from_pairs(pairs);
    let edit = CustomerEdit {
        input: form.input(),
        tags: form.tags(),
        owner_staff_id: opt_id(form.get("owner_staff_id")),
        verified: form.verified,
    };
    match state
        .app
        .update_customer(&p.actor(ctx.rid()), p.scope(), id, &edit)
        .await
    {
        Ok(()) => see_other(&format!("/console/customers/{id}?ok=customer_saved")),
        Err(e) => {
            crate::console::on_form_error(&e, ctx.lang, async {
                show(&state, &p, &ctx, form.clone(), Some(&e), Some(id)).await
            })
            .await
        }
    }
}
