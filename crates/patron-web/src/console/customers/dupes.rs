//! Duplicate review: pairs that look like one person, side by side with the reason, and a
//! merge that keeps the chosen file. Also the handover of one staff member's customers.

use super::{Choices, Names};
use crate::console::{Flash, opt_id, see_other};
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use crate::view::{Page, render};
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_app::security::Principal;

pub struct Side {
    pub id: i64,
    pub archive_no: String,
    pub name: String,
    pub mobile: String,
    pub birthday: String,
    pub store: String,
    pub completeness: i64,
}

pub struct Pair {
    pub reason: &'static str,
    pub a: Side,
    pub b: Side,
}

impl Pair {
    fn sides(&self) -> [&Side; 2] {
        [&self.a, &self.b]
    }
}

#[derive(Template)]
#[template(path = "customer_dupes.html")]
pub struct DupesPage {
    page: Page,
    pairs: Vec<Pair>,
}

async fn show(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    flash: &str,
    error: Option<&AppError>,
) -> Response {
    let lang = ctx.lang;
    let result = async {
        let actor = p.actor(ctx.rid());
        let pairs = state.app.duplicate_review(&actor, p.scope(), 50).await?;
        let names = Names::load(state).await?;
        let mut out = Vec::new();
        for (pair, a, b) in pairs {
            let side = |c: &patron_app::customers::Customer| Side {
                id: c.id,
                archive_no: c.archive_no.clone(),
                name: c.name.clone(),
                mobile: c.masked_mobile(),
                birthday: c.masked_birthday(),
                store: names.store(c.store_id),
                completeness: c.completeness,
            };
            out.push(Pair {
                reason: lang.t(&format!("dupe.{}", pair.reason)),
                a: side(&a),
                b: side(&b),
            });
        }
        Ok::<_, AppError>(out)
    }
    .await;
    match result {
        Ok(pairs) => {
            let mut page = Page::console(
                lang,
                p,
                "customers.dupes_title",
                "/console/customers/duplicates",
            )
            .with_flash(flash);
            if let Some(e) = error {
                page = page.with_error(e);
            }
            render(&DupesPage { page, pairs })
        }
        Err(e) => crate::error::WebError::page(e, lang).into_response_page(),
    }
}

pub async fn dupes_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(flash): Query<Flash>,
) -> Response {
    show(&state, &p, &ctx, &flash.ok, None).await
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct MergeForm {
    #[serde(default)]
    survivor_id: String,
    #[serde(default)]
    merged_id: String,
}

pub async fn merge(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(form): Form<MergeForm>,
) -> Response {
    let (Some(keep), Some(gone)) = (opt_id(&form.survivor_id), opt_id(&form.merged_id)) else {
        return crate::error::WebError::page(AppError::NotFound, ctx.lang).into_response_page();
    };
    match state
        .app
        .merge_customers(&p.actor(ctx.rid()), p.scope(), keep, gone)
        .await
    {
        Ok(_) => see_other(&format!("/console/customers/{keep}?ok=customers_merged")),
        Err(e) => {
            crate::console::on_form_error(&e, ctx.lang, async {
                show(&state, &p, &ctx, "", Some(&e)).await
            })
            .await
        }
    }
}

#[derive(Template)]
#[template(path = "customer_handover.html")]
pub struct HandoverPage {
    page: Page,
    staff: Vec<Choices>,
}

pub async fn handover_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(flash): Query<Flash>,
) -> Response {
    handover_show(&state, &p, &ctx, &flash.ok, None).await
}

async fn handover_show(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    flash: &str,
    error: Option<&AppError>,
) -> Response {
    // Leavers are usually disabled already, so the "from" list includes everyone in scope.
    let staff = match state.app.staff_list(p.scope()).await {
        Ok(rows) => rows
            .into_iter()
            .map(|s| Choices {
                value: s.id.to_string(),
                label: s.display_name,
            })
            .collect(),
        Err(e) => {
            return crate::error::WebError::page(e, ctx.lang).into_response_page();
        }
    };
    let mut page = Page::console(
        ctx.lang,
        p,
        "customers.handover_title",
        "/console/customers/handover",
    )
    .with_flash(flash);
    if let Some(e) = error {
        page = page.with_error(e);
    }
    render(&HandoverPage { page, staff })
}

#[derive(Debug, Default, serde::Deserialize)]
pub struct HandoverForm {
    #[serde(default)]
    from_staff_id: String,
    #[serde(default)]
    to_staff_id: String,
    #[serde(default)]
    reason: String,
}

pub async fn handover(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(form): Form<HandoverForm>,
) -> Response {
    let (Some(from), Some(to)) = (opt_id(&form.from_staff_id), opt_id(&form.to_staff_id)) else {
        let e = AppError::from(patron_domain::FieldError::new(
            "to_staff_id",
            "error.owner.invalid",
        ));
        return handover_show(&state, &p, &ctx, "", Some(&e)).await;
    };
    match state
        .app
        .hand_over(&p.actor(ctx.rid()), p.scope(), from, to, &form.reason)
        .await
    {
        Ok(n) => see_other(&format!(
            "/console/customers?owner={to}&ok=handover_done&moved={n}"
        )),
        Err(e) => {
            crate::console::on_form_error(&e, ctx.lang, async {
                handover_show(&state, &p, &ctx, "", Some(&e)).await
            })
            .await
        }
    }
}
