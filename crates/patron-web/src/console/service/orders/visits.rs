//! Visits: moving, cancelling and completing one (with a note and a photo), its photo, and
//! the week's calendar of every staff member's visits.

use super::order::{VisitBody, after};
use crate::console::service::staff_names;
use crate::identity::Staff;
use crate::state::AppState;
use crate::view::{Page, render};
use askama::Template;
use axum::Form;
use axum::extract::{Multipart, Path, Query, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};
use jiff::civil::{Date, Weekday};
use patron_app::AppError;
use patron_app::service::appointments::{MAX_PHOTO_BYTES, Photo};
use patron_domain::FieldError;
use patron_domain::service::order::AppointmentStatus;
use serde::Deserialize;
use std::collections::BTreeMap;

/// The largest completion form: the photo and a note.
pub const UPLOAD_LIMIT: usize = MAX_PHOTO_BYTES + 64 * 1024;

/// The order a visit belongs to (within the staff member's scope), to return to its page.
async fn order_of(
    state: &AppState,
    p: &patron_app::security::Principal,
    id: i64,
) -> Result<i64, AppError> {
    Ok(state.app.appointment(p.scope(), id).await?.order_id)
}

pub async fn reschedule(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Form(b): Form<VisitBody>,
) -> Response {
    let app = &state.app;
    let order = match order_of(&state, &p, id).await {
        Ok(order) => order,
        Err(e) => return crate::error::WebError::page(e, ctx.lang).into_response_page(),
    };
    let result = app
        .reschedule_visit(&p.actor(ctx.rid()), p.scope(), id, &b.form(), &b.reason)
        .await;
    after(&state, &p, &ctx, order, result).await
}

pub async fn cancel(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Form(b): Form<VisitBody>,
) -> Response {
    let app = &state.app;
    let order = match order_of(&state, &p, id).await {
        Ok(order) => order,
        Err(e) => return crate::error::WebError::page(e, ctx.lang).into_response_page(),
    };
    let result = app
        .cancel_visit(&p.actor(ctx.rid()), p.scope(), id, &b.reason)
        .await;
    after(&state, &p, &ctx, order, result).await
}

/// Completion: a multipart form with `proof_note` and an optional `photo`.
pub async fn complete(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    mut multipart: Multipart,
) -> Response {
    let app = &state.app;
    let order = match order_of(&state, &p, id).await {
        Ok(order) => order,
        Err(e) => return crate::error::WebError::page(e, ctx.lang).into_response_page(),
    };
    let result = match read_completion(&mut multipart, "proof_note").await {
        Ok((note, photo)) => {
            app.complete_visit(&p.actor(ctx.rid()), p.scope(), id, &note, photo)
                .await
        }
        Err(e) => Err(e.into()),
    };
    after(&state, &p, &ctx, order, result).await
}

/// A completion form's note (the field `note_field`) and optional `photo`. A part that
/// cannot be read whole is one over the size limit.
pub(crate) async fn read_completion(
    multipart: &mut Multipart,
    note_field: &str,
) -> Result<(String, Option<Photo>), FieldError> {
    let too_large = || FieldError::new("photo", "error.appointment.photo_size");
    let (mut note, mut photo) = (String::new(), None);
    while let Some(field) = multipart.next_field().await.map_err(|_| too_large())? {
        let name = field.name().unwrap_or_default().to_string();
        let bytes = field.bytes().await.map_err(|_| too_large())?;
        if name == note_field {
            note = String::from_utf8_lossy(&bytes).into_owned();
        } else if name == "photo" {
            photo = Some(Photo {
                bytes: bytes.to_vec(),
            });
        }
    }
    Ok((note, photo))
}

/// A visit photo as a response, with its own type (`middleware::observe` marks every
/// answer `no-store` and `nosniff`).
pub(crate) fn photo_response(bytes: Vec<u8>, kind: &'static str) -> Response {
    ([(header::CONTENT_TYPE, kind)], bytes).into_response()
}

/// The photo of a completed visit (audited); never cached by the browser.
pub async fn photo(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
) -> Response {
    match state
        .app
        .visit_photo(&p.actor(ctx.rid()), p.scope(), id)
        .await
    {
        Ok((bytes, kind)) => photo_response(bytes, kind),
        Err(e) => crate::error::WebError::page(e, ctx.lang).into_response_page(),
    }
}

pub struct Cell {
    pub id: i64,
    pub order_id: i64,
    pub time: String,
    pub what: String,
    pub done: bool,
}

pub struct StaffRow {
    pub name: String,
    pub days: Vec<Vec<Cell>>,
}

#[derive(Template)]
#[template(path = "visit_calendar.html")]
pub struct CalendarPage {
    page: Page,
    days: Vec<String>,
    rows: Vec<StaffRow>,
    prev: String,
    next: String,
    week: String,
}

#[derive(Deserialize, Default)]
pub struct WeekQuery {
    /// Any day of the week to show; blank: this week.
    #[serde(default)]
    pub week: String,
}

/// The week's visits, one row per staff member who has any, Monday to Sunday in the
/// head office's time zone.
pub async fn calendar_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(q): Query<WeekQuery>,
) -> Response {
    let result: Result<Response, AppError> = async {
        let app = &state.app;
        let tz = app.config().timezone();
        let today = tz.to_datetime(app.now()).date();
        let day: Date = q.week.trim().parse().unwrap_or(today);
        let back = i64::from(day.weekday().to_monday_zero_offset());
        let monday = day
            .checked_sub(jiff::Span::new().days(back))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let sunday_next = monday
            .checked_add(jiff::Span::new().days(7))
            .map_err(|e| AppError::Internal(e.to_string()))?;
        let (from, _) = patron_app::clock::day_bounds(monday, &tz)?;
        let (to, _) = patron_app::clock::day_bounds(sunday_next, &tz)?;
        let visits = app.visits_between(p.scope(), None, from, to).await?;
        let names = staff_names(&state).await?;
        let mut rows: BTreeMap<i64, StaffRow> = BTreeMap::new();
        for a in &visits {
            let (s, e) = (tz.to_datetime(a.starts_at), tz.to_datetime(a.ends_at));
            let index = (s.date() - monday).get_days().clamp(0, 6) as usize;
            let row = rows.entry(a.assignee_id).or_insert_with(|| StaffRow {
                name: names.get(&a.assignee_id).cloned().unwrap_or_default(),
                days: (0..7).map(|_| Vec::new()).collect(),
            });
            row.days[index].push(Cell {
                id: a.id,
                order_id: a.order_id,
                time: format!("{}-{}", s.strftime("%H:%M"), e.strftime("%H:%M")),
                what: format!(
                    "{} · {}",
                    ctx.lang.t(&format!("visit.kind.{}", a.kind.code())),
                    a.customer_name
                ),
                done: a.status == AppointmentStatus::Done,
            });
        }
        let shift = |d: i64| {
            monday
                .checked_add(jiff::Span::new().days(d))
                .map(|d| d.to_string())
                .unwrap_or_default()
        };
        let days = (0..7)
            .map(|d| {
                let date = monday
                    .checked_add(jiff::Span::new().days(d))
                    .unwrap_or(monday);
                format!(
                    "{} {}",
                    ctx.lang
                        .t(&format!("weekday.{}", weekday_code(date.weekday()))),
                    date.strftime("%m-%d")
                )
            })
            .collect();
        Ok(render(&CalendarPage {
            page: Page::console(
                ctx.lang,
                &p,
                "visit.calendar_title",
                "/console/service/calendar",
            ),
            days,
            rows: rows.into_values().collect(),
            prev: shift(-7),
            next: shift(7),
            week: monday.to_string(),
        }))
    }
    .await;
    result.unwrap_or_else(|e| crate::error::WebError::page(e, ctx.lang).into_response_page())
}

fn weekday_code(w: Weekday) -> &'static str {
    match w {
        Weekday::Monday => "mon",
        Weekday::Tuesday => "tue",
        Weekday::Wednesday => "wed",
        Weekday::Thursday => "thu",
        Weekday::Friday => "fri",
        Weekday::Saturday => "sat",
        Weekday::Sunday => "sun",
    }
}
