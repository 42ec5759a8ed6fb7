//! The service desk: the queue (mine, my team, breaching soon, all open) with the form to
//! file a ticket; the ticket page is in `ticket`.

mod approval;
mod attachments;
pub mod orders;
mod reports;
mod settings;
pub mod survey_answer;
pub mod surveys;
mod ticket;
pub mod warranties;

pub use approval::{approve, reject, withdraw};
pub use attachments::{
    UPLOAD_LIMIT as ATTACHMENT_UPLOAD_LIMIT, add as attach, file_response, open as attachment,
    read_upload,
};
pub use reports::{report_page, report_xlsx};
pub use settings::{save as save_settings, settings_page};

pub use ticket::{act, assign, resolve, survey_link, ticket_page};

use super::{field_message, see_other};
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use crate::view::{Page, render, when};
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_app::security::Principal;
use patron_app::service::tickets::TicketForm;
use patron_app::service::tickets::{Queue, TicketRow};
use patron_domain::service::ticket::{Severity, Status, TicketChannel, TicketType};
use serde::Deserialize;
use std::collections::BTreeMap;

/// "Breaching soon": a deadline within this many hours.
const SOON_HOURS: i64 = 4;

pub struct RowView {
    pub id: i64,
    pub subject: String,
    pub customer: String,
    pub customer_id: i64,
    pub kind: &'static str,
    pub category: String,
    pub severity: &'static str,
    pub status: &'static str,
    pub assignee: String,
    pub due: String,
    pub late: bool,
}

#[derive(Template)]
#[template(path = "service.html")]
pub struct QueuePage {
    page: Page,
    tab: &'static str,
    tabs: Vec<(&'static str, &'static str)>,
    rows: Vec<RowView>,
    channels: Vec<(&'static str, &'static str)>,
    types: Vec<(&'static str, &'static str)>,
    severities: Vec<(&'static str, &'static str)>,
    categories: Vec<(String, String)>,
    customer_id: String,
    /// Whether the viewer may change the desk's settings (a link to them).
    can_configure: bool,
}

impl QueuePage {
    fn is_tab(&self, code: &&str) -> bool {
        *code == self.tab
    }
}

pub(super) fn label(ctx: &Ctx, prefix: &str, code: &str) -> String {
    ctx.lang
        .try_t(&format!("{prefix}.{code}"))
        .map_or_else(|| code.to_string(), str::to_string)
}

pub(super) fn row_view(
    t: &TicketRow,
    ctx: &Ctx,
    staff: &BTreeMap<i64, String>,
    now_ms: i64,
    tz: &jiff::tz::TimeZone,
) -> RowView {
    let due = match (t.responded_at, t.resolution_due_at) {
        _ if !matches!(
            t.status,
            Status::New | Status::Acknowledged | Status::InProgress | Status::WaitingCustomer
        ) =>
        {
            None
        }
        (None, _) => Some(t.response_due_at),
        (Some(_), d) => d,
    };
    RowView {
        id: t.id,
        subject: t.subject.clone(),
        customer: t.customer_name.clone(),
        customer_id: t.customer_id,
        kind: ctx.lang.t(&format!("ticket.type.{}", t.ticket_type.code())),
        category: label(ctx, "ticket.category", &t.category),
        severity: ctx
            .lang
            .t(&format!("ticket.severity.{}", t.severity.code())),
        status: ctx.lang.t(&format!("ticket.status.{}", t.status.code())),
        assignee: t
            .assignee_id
            .and_then(|a| staff.get(&a).cloned())
            .unwrap_or_else(|| "—".into()),
        due: match due {
            Some(d) => when(d, ctx.lang, tz),
            None => "—".into(),
        },
        late: due.is_some_and(|d| d.as_millisecond() <= now_ms)
            || t.breached_response
            || t.breached_resolution,
    }
}

pub(super) async fn staff_names(state: &AppState) -> Result<BTreeMap<i64, String>, AppError> {
    Ok(state
        .app
        .staff_list(patron_domain::Scope::Chain)
        .await?
        .into_iter()
        .map(|s| (s.id, s.display_name))
        .collect())
}

#[derive(Deserialize, Default)]
pub struct QueueQuery {
    #[serde(default)]
    pub tab: String,
    #[serde(default)]
    pub customer: String,
    #[serde(default)]
    pub ok: String,
}

async fn show_queue(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    q: &QueueQuery,
    error: String,
) -> Response {
    let result: Result<Response, AppError> = async {
        let app = &state.app;
        let now = app.now();
        let (tab, queue) = match q.tab.as_str() {
            "team" => (
                "team",
                Queue {
                    open_only: true,
                    ..Default::default()
                },
            ),
            "soon" => (
                "soon",
                Queue {
                    open_only: true,
                    due_before: Some(now + jiff::SignedDuration::from_hours(SOON_HOURS)),
                    ..Default::default()
                },
            ),
            "all" => ("all", Queue::default()),
            _ => (
                "mine",
                Queue {
                    assignee: Some(p.staff_id),
                    open_only: true,
                    ..Default::default()
                },
            ),
        };
        let rows = app.tickets(p.scope(), &queue, 200).await?;
        let staff = staff_names(state).await?;
        let tz = app.config().timezone();
        let now_ms = now.as_millisecond();
        let rules = app.service_rules().await?;
        let mut page =
            Page::console(ctx.lang, p, "service.title", "/console/service").with_flash(&q.ok);
        page.error = error;
        Ok(render(&QueuePage {
            page,
            tab,
            tabs: vec![
                ("mine", "service.tab.mine"),
                ("team", "service.tab.team"),
                ("soon", "service.tab.soon"),
                ("all", "service.tab.all"),
            ],
            rows: rows
                .iter()
                .map(|t| row_view(t, ctx, &staff, now_ms, &tz))
                .collect(),
            channels: TicketChannel::ALL
                .iter()
                .filter(|c| **c != TicketChannel::Api)
                .map(|c| {
                    (
                        c.code(),
                        ctx.lang.t(&format!("ticket.channel.{}", c.code())),
                    )
                })
                .collect(),
            types: TicketType::ALL
                .iter()
                .map(|c| (c.code(), ctx.lang.t(&format!("ticket.type.{}", c.code()))))
                .collect(),
            severities: [
                Severity::Normal,
                Severity::Low,
                Severity::High,
                Severity::Critical,
            ]
            .iter()
            .map(|c| {
                (
                    c.code(),
                    ctx.lang.t(&format!("ticket.severity.{}", c.code())),
                )
            })
            .collect(),
            categories: rules
                .categories
                .iter()
                .map(|c| (c.clone(), label(ctx, "ticket.category", c)))
                .collect(),
            customer_id: q.customer.clone(),
            can_configure: p.can(patron_domain::Capability::SettingsManage),
        }))
    }
    .await;
    result.unwrap_or_else(|e| crate::error::WebError::page(e, ctx.lang).into_response_page())
}

pub async fn queue_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(q): Query<QueueQuery>,
) -> Response {
    show_queue(&state, &p, &ctx, &q, String::new()).await
}

#[derive(Deserialize, Default)]
pub struct FileBody {
    #[serde(default)]
    pub customer_id: String,
    #[serde(default)]
    pub channel: String,
    #[serde(default)]
    pub ticket_type: String,
    #[serde(default)]
    pub category: String,
    #[serde(default)]
    pub severity: String,
    #[serde(default)]
    pub subject: String,
    #[serde(default)]
    pub description: String,
    #[serde(default)]
    pub item_ref: String,
}

pub async fn file(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(b): Form<FileBody>,
) -> Response {
    let form = TicketForm {
        customer_id: b.customer_id.trim().parse().unwrap_or(0),
        channel: b.channel,
        ticket_type: b.ticket_type,
        category: b.category,
        severity: b.severity,
        subject: b.subject,
        description: b.description,
        item_ref: b.item_ref,
        ..Default::default()
    };
    match state
        .app
        .file_ticket(&p.actor(ctx.rid()), p.scope(), &form, None)
        .await
    {
        Ok((id, _)) => see_other(&format!("/console/service/tickets/{id}?ok=ticket_filed")),
        Err(e) => match e.field_errors().first() {
            Some(f) => {
                let q = QueueQuery {
                    customer: b.customer_id,
                    ..Default::default()
                };
                show_queue(&state, &p, &ctx, &q, field_message(&ctx, f)).await
            }
            None => crate::error::WebError::page(e, ctx.lang).into_response_page(),
        },
    }
}
