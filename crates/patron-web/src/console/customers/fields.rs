//! Admin-defined custom fields (自定义字段): the list, a form to add one, retire and restore.
//! Values are entered on the customer form and checked against the field's type.

use super::Choices;
use crate::console::{Flash, see_other};
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use crate::view::{Page, render};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_app::customers::CustomFieldRow;
use patron_app::security::Principal;
use patron_domain::customers::CustomFieldKind;

#[derive(Debug, Default, Clone, serde::Deserialize)]
pub struct FieldForm {
    #[serde(default)]
    field_key: String,
    #[serde(default)]
    label: String,
    #[serde(default)]
    kind: String,
    #[serde(default)]
    choices: String,
    /// A checkbox: present (`on`) when ticked.
    #[serde(default)]
    personal: Option<String>,
}

#[derive(Template)]
#[template(path = "custom_fields.html")]
pub struct FieldsPage {
    page: Page,
    fields: Vec<CustomFieldRow>,
    kinds: Vec<Choices>,
    form: FieldForm,
}

impl FieldsPage {
    fn kind_label(&self, kind: &patron_domain::customers::FieldKind) -> &'static str {
        self.page.t(&format!("fields.kind_{}", kind.code()))
    }
}

async fn show(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    flash: &str,
    error: Option<&AppError>,
    form: FieldForm,
) -> Response {
    let lang = ctx.lang;
    match state.app.custom_fields().await {
        Ok(fields) => {
            let mut page =
                Page::console(lang, p, "fields.title", "/console/custom-fields").with_flash(flash);
            if let Some(e) = error {
                page = page.with_error(e);
            }
            render(&FieldsPage {
                page,
                fields,
                kinds: CustomFieldKind::ALL
                    .iter()
                    .map(|k| Choices {
                        value: k.as_str().into(),
                        label: lang.t(&format!("fields.kind_{}", k.as_str())).into(),
                    })
                    .collect(),
                form,
            })
        }
        Err(e) => crate::error::WebError::page(e, lang).into_response_page(),
    }
}

pub async fn fields_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(flash): Query<Flash>,
) -> Response {
    show(&state, &p, &ctx, &flash.ok, None, FieldForm::default()).await
}

pub async fn create_field(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(form): Form<FieldForm>,
) -> Response {
    match state
        .app
        .create_custom_field(
            &p.actor(ctx.rid()),
            &form.field_key,
            &form.label,
            &form.kind,
            &form.choices,
            form.personal.is_some(),
        )
        .await
    {
        Ok(_) => see_other("/console/custom-fields?ok=field_created"),
        Err(e) => {
            crate::console::on_form_error(&e, ctx.lang, async {
                show(&state, &p, &ctx, "", Some(&e), form.clone()).await
            })
            .await
        }
    }
}

async fn set_active(state: AppState, p: Principal, ctx: Ctx, id: i64, active: bool) -> Response {
    match state
        .app
        .set_custom_field_active(&p.actor(ctx.rid()), id, active)
        .await
    {
        Ok(()) => see_other("/console/custom-fields?ok=field_saved"),
        Err(e) => crate::error::WebError::page(e, ctx.lang).into_response_page(),
    }
}

pub async fn retire_field(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
) -> Response {
    set_active(state, p, ctx, id, false).await
}

pub async fn restore_field(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
) -> Response {
    set_active(state, p, ctx, id, true).await
}
