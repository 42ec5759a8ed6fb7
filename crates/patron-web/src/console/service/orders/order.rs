//! The order page: its stage along the pipeline, lines, address, visits (booked, moved,
//! cancelled, completed with proof), the next stages, and the timeline.

use super::stage_label;
use crate::console::service::staff_names;
use crate::console::{form_error, see_other};
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use crate::view::{Page, render, when};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_app::security::Principal;
use patron_app::service::appointments::VisitForm;
use patron_app::service::orders::window_text;
use patron_domain::service::order::{AppointmentKind, AppointmentStatus};
use serde::Deserialize;

pub struct VisitView {
    pub id: i64,
    pub kind: &'static str,
    pub window: String,
    pub staff: String,
    pub status: &'static str,
    pub scheduled: bool,
    pub address: String,
    pub proof: String,
    pub has_photo: bool,
    pub moved: i64,
}

pub struct EntryView {
    pub at: String,
    pub who: String,
    pub what: String,
    pub note: String,
    pub notified: &'static str,
}

pub struct LineView {
    pub sku: String,
    pub name: String,
    pub quantity: i64,
    pub price: String,
}

#[derive(Template)]
#[template(path = "order.html")]
pub struct OrderPage {
    page: Page,
    id: i64,
    order_no: String,
    customer: String,
    customer_id: i64,
    sale_id: String,
    status: &'static str,
    stages: Vec<(&'static str, bool)>,
    total: String,
    created: String,
    address: String,
    note: String,
    lines: Vec<LineView>,
    moves: Vec<(&'static str, &'static str)>,
    visits: Vec<VisitView>,
    kinds: Vec<(&'static str, &'static str)>,
    staff: Vec<(i64, String)>,
    entries: Vec<EntryView>,
    open: bool,
    today: String,
}

pub(super) async fn show_order(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    id: i64,
    flash: &str,
    error: String,
) -> Response {
    let result: Result<Response, AppError> = async {
        let app = &state.app;
        let v = app.view_order(&p.actor(ctx.rid()), p.scope(), id).await?;
        let names = staff_names(state).await?;
        let tz = app.config().timezone();
        let name_of = |s: Option<i64>| {
            s.and_then(|s| names.get(&s).cloned())
                .unwrap_or_else(|| ctx.lang.t("ticket.system").to_string())
        };
        let store_tz = app.store_timezone(v.row.store_id).await?;
        let mut visits = Vec::new();
        for visit in &v.visits {
            let a = &visit.row;
            visits.push(VisitView {
                id: a.id,
                kind: ctx.lang.t(&format!("visit.kind.{}", visit.kind.code())),
                window: window_text(
                    ctx.lang,
                    &store_tz,
                    a.starts_at.as_millisecond(),
                    a.ends_at.as_millisecond(),
                )?,
                staff: name_of(Some(a.assignee_id)),
                status: ctx.lang.t(&format!("visit.status.{}", visit.status.code())),
                scheduled: visit.status == AppointmentStatus::Scheduled,
                address: visit.address.clone(),
                proof: visit.proof_note.clone(),
                has_photo: a.proof_photo.is_some(),
                moved: a.reschedule_count,
            });
        }
        let current = v.status;
        let reached = |s: &patron_domain::service::order::Stage| {
            let pos = |x| v.pipeline.stages().iter().position(|y| *y == x);
            match (pos(*s), pos(current)) {
                (Some(a), Some(b)) => a <= b,
                _ => false,
            }
        };
        let entries = v
            .timeline
            .iter()
            .map(|e| EntryView {
                at: when(e.at, ctx.lang, &tz),
                who: name_of(e.staff_id),
                what: match (&e.from, &e.to) {
                    (Some(_), Some(to)) | (None, Some(to)) => format!(
                        "{} → {}",
                        ctx.lang.t(&format!("order.event.{}", e.kind)),
                        stage_label(ctx, to.code())
                    ),
                    _ => {
                        let what = ctx.lang.t(&format!("order.event.{}", e.kind)).to_string();
                        match e.appointment_id {
                            Some(a) => format!("{what}（#{a}）"),
                            None => what,
                        }
                    }
                },
                note: e.note.clone(),
                notified: match e.notified {
                    Some(true) => ctx.lang.t("order.notified.yes"),
                    Some(false) => ctx.lang.t("order.notified.no"),
                    None => "",
                },
            })
            .collect();
        let mut page =
            Page::console(ctx.lang, p, "order.title", "/console/orders").with_flash(flash);
        page.error = error;
        Ok(render(&OrderPage {
            page,
            id: v.row.id,
            order_no: v.row.order_no.clone(),
            customer: v.row.customer_name.clone(),
            customer_id: v.row.customer_id,
            sale_id: v.row.sale_id.map(|s| s.to_string()).unwrap_or_default(),
            status: stage_label(ctx, current.code()),
            stages: v
                .pipeline
                .stages()
                .iter()
                .map(|s| (stage_label(ctx, s.code()), reached(s)))
                .collect(),
            total: patron_domain::money::format_yuan(v.row.total_fen),
            created: when(v.row.created_at, ctx.lang, &tz),
            address: v.address.clone(),
            note: v.note.clone(),
            lines: v
                .lines
                .iter()
                .map(|l| LineView {
                    sku: l.sku.clone(),
                    name: l.name.clone(),
                    quantity: l.quantity,
                    price: patron_domain::money::format_yuan(l.unit_price_fen),
                })
                .collect(),
            moves: v
                .pipeline
                .moves_from(current)
                .into_iter()
                .map(|s| (s.code(), stage_label(ctx, s.code())))
                .collect(),
            visits,
            kinds: AppointmentKind::ALL
                .iter()
                .map(|k| (k.code(), ctx.lang.t(&format!("visit.kind.{}", k.code()))))
                .collect(),
            staff: app.visit_staff_of(v.row.store_id).await?,
            entries,
            open: current.is_open(),
            today: store_tz.to_datetime(app.now()).date().to_string(),
        }))
    }
    .await;
    result.unwrap_or_else(|e| crate::error::WebError::page(e, ctx.lang).into_response_page())
}

#[derive(Deserialize, Default)]
pub struct FlashQuery {
    #[serde(default)]
    pub ok: String,
}

pub async fn order_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Query(q): Query<FlashQuery>,
) -> Response {
    show_order(&state, &p, &ctx, id, &q.ok, String::new()).await
}

/// After a post on the order page: back to it, with the message of a refusal.
pub(super) async fn after(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    id: i64,
    result: Result<(), AppError>,
) -> Response {
    match result {
        Ok(()) => see_other(&format!("/console/orders/{id}?ok=delivery_order_saved")),
        Err(e) => match form_error(ctx, &e) {
            Some(message) => show_order(state, p, ctx, id, "", message).await,
            None => crate::error::WebError::page(e, ctx.lang).into_response_page(),
        },
    }
}

#[derive(Deserialize, Default)]
pub struct MoveBody {
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub note: String,
    #[serde(default)]
    pub notify: String,
}

pub async fn move_stage(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Form(b): Form<MoveBody>,
) -> Response {
    let result = state
        .app
        .move_order(
            &p.actor(ctx.rid()),
            p.scope(),
            id,
            &b.to,
            &b.note,
            b.notify == "1",
        )
        .await
        .map(|_| ());
    after(&state, &p, &ctx, id, result).await
}

#[derive(Deserialize, Default)]
pub struct NoteBody {
    #[serde(default)]
    pub note: String,
}

pub async fn note(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Form(b): Form<NoteBody>,
) -> Response {
    let result = state
        .app
        .order_note(&p.actor(ctx.rid()), p.scope(), id, &b.note)
        .await;
    after(&state, &p, &ctx, id, result).await
}

#[derive(Deserialize, Default)]
pub struct VisitBody {
    #[serde(default)]
    pub kind: String,
    #[serde(default)]
    pub date: String,
    #[serde(default)]
    pub from: String,
    #[serde(default)]
    pub to: String,
    #[serde(default)]
    pub assignee_id: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub reason: String,
}

impl VisitBody {
    pub(super) fn form(&self) -> VisitForm {
        VisitForm {
            kind: self.kind.clone(),
            date: self.date.clone(),
            from: self.from.clone(),
            to: self.to.clone(),
            assignee_id: self.assignee_id.trim().parse().unwrap_or(0),
            address: self.address.clone(),
        }
    }
}

pub async fn book(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Form(b): Form<VisitBody>,
) -> Response {
    let result = state
        .app
        .book_visit(&p.actor(ctx.rid()), p.scope(), id, &b.form())
        .await
        .map(|_| ());
    after(&state, &p, &ctx, id, result).await
}
