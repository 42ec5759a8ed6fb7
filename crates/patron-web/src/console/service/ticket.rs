//! The ticket page: details, description, timeline, the workflow's next steps, assignment
//! and the resolution form (root cause, corrective action, compensation).

use super::{RowView, label, row_view};
use crate::console::{field_message, see_other};
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use crate::view::{Page, render, when, when_opt};
use askama::Template;
use axum::Form;
use axum::extract::{Path, Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_app::security::Principal;
use patron_app::service::ticket_page::TicketPage as TicketContent;
use patron_app::service::tickets::{Resolution, Resolved};
use patron_domain::FieldError;
use patron_domain::capability::Capability;
use patron_domain::money::parse_yuan;
use patron_domain::service::compensation::{Compensation, CompensationKind, Input};
use patron_domain::service::ticket::Action;
use serde::Deserialize;
use std::collections::BTreeMap;

pub struct EventView {
    pub at: String,
    pub who: String,
    pub what: String,
    pub note: String,
}

#[derive(Template)]
#[template(path = "ticket.html")]
pub struct TicketPage {
    page: Page,
    t: RowView,
    description: String,
    channel: &'static str,
    item_ref: String,
    sale_id: String,
    created: String,
    response_due: String,
    responded: String,
    resolution_due: String,
    sla_used: String,
    resolution: String,
    satisfaction: String,
    /// A renewed satisfaction-survey link to pass on, just made.
    survey_link: String,
    can_renew_link: bool,
    events: Vec<EventView>,
    actions: Vec<(&'static str, &'static str)>,
    can_resolve: bool,
    root_causes: Vec<(String, String)>,
    handlers: Vec<(i64, String)>,
    /// A resolution waiting for approval.
    pending: Option<PendingView>,
    attachments: Vec<AttachmentLine>,
}

pub struct PendingView {
    pub what: String,
    pub value: String,
    pub cause: String,
    pub corrective_action: String,
    pub asked_by: String,
    pub asked_at: String,
    /// The viewer holds `ticket.approve` and did not ask.
    pub can_approve: bool,
    /// The viewer holds `ticket.approve` (the asker may withdraw).
    pub can_reject: bool,
    /// Without `ticket.approve`, the desk may still withdraw the request.
    pub can_withdraw: bool,
}

pub struct AttachmentLine {
    pub id: i64,
    pub name: String,
    pub size: String,
    pub who: String,
    pub at: String,
}

fn size_text(bytes: i64) -> String {
    if bytes >= 1024 * 1024 {
        format!("{:.1} MB", bytes as f64 / (1024.0 * 1024.0))
    } else {
        format!("{} KB", (bytes + 1023) / 1024)
    }
}

/// What a compensation gives, as shown on the ticket.
fn compensation_text(ctx: &Ctx, c: &Compensation) -> String {
    let valued = |key: &str, fen: i64| match fen {
        0 => ctx.lang.t(key).to_string(),
        f => format!(
            "{} {}",
            ctx.lang.t(key),
            patron_domain::money::format_yuan(f)
        ),
    };
    match c {
        Compensation::None => ctx.lang.t("ticket.comp.none").to_string(),
        Compensation::Points { points, applied } => format!(
            "{} {points}{}",
            ctx.lang.t("ticket.comp.points"),
            if *applied {
                ""
            } else {
                ctx.lang.t("ticket.comp.pending")
            }
        ),
        Compensation::Coupon { code, template_id } if code.is_empty() => {
            format!(
                "{} #{template_id}",
                ctx.lang.t("ticket.comp.coupon_template")
            )
        }
        Compensation::Coupon { code, .. } => {
            format!("{} {code}", ctx.lang.t("ticket.comp.coupon"))
        }
        Compensation::Refund { amount_fen } => valued("ticket.comp.refund", *amount_fen),
        Compensation::Replacement { value_fen } => valued("ticket.comp.replacement", *value_fen),
        Compensation::Repair { value_fen } => valued("ticket.comp.repair", *value_fen),
    }
}

async fn show_ticket(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    id: i64,
    flash: &str,
    error: String,
    survey_link: String,
) -> Response {
    let result: Result<Response, AppError> = async {
        let app = &state.app;
        let TicketContent {
            view: v,
            pending,
            attachments,
            handlers,
            rules,
            directory,
        } = app.ticket_page(&p.actor(ctx.rid()), p.scope(), id).await?;
        let staff: BTreeMap<i64, String> = directory
            .staff(patron_domain::Scope::Chain)
            .map(|s| (s.id, s.display_name.clone()))
            .collect();
        let tz = app.config().timezone();
        let t = row_view(&v.row, ctx, &staff, app.now().as_millisecond(), &tz);
        let events = v
            .timeline
            .iter()
            .map(|e| EventView {
                at: when(e.at, ctx.lang, &tz),
                who: e
                    .staff_id
                    .and_then(|s| staff.get(&s).cloned())
                    .unwrap_or_else(|| ctx.lang.t("ticket.system").to_string()),
                what: match &e.to {
                    Some(to) if e.kind != "created" => format!(
                        "{} → {}",
                        label(ctx, "ticket.event", &e.kind),
                        ctx.lang.t(&format!("ticket.status.{}", to.code()))
                    ),
                    _ => label(ctx, "ticket.event", &e.kind),
                },
                note: e.note_in(ctx.lang),
            })
            .collect();
        let resolution = match &v.row.root_cause {
            Some(cause) => format!(
                "{}；{}；{}",
                label(ctx, "ticket.cause", cause),
                v.row.corrective_action.clone().unwrap_or_default(),
                compensation_text(ctx, &v.compensation)
            ),
            None => String::new(),
        };
        let pending = match pending {
            Some(r) => Some(PendingView {
                what: compensation_text(ctx, &r.compensation),
                value: patron_domain::money::format_yuan(r.row.value_fen),
                cause: label(ctx, "ticket.cause", &r.row.root_cause),
                corrective_action: r.row.corrective_action.clone(),
                asked_by: r
                    .row
                    .requested_by
                    .and_then(|s| staff.get(&s).cloned())
                    .unwrap_or_default(),
                asked_at: when(r.row.requested_at, ctx.lang, &tz),
                can_approve: p.can(Capability::TicketApprove)
                    && r.row.requested_by != Some(p.staff_id),
                can_reject: p.can(Capability::TicketApprove),
                can_withdraw: p.can(Capability::TicketManage),
            }),
            None => None,
        };
        let attachments = attachments
            .into_iter()
            .map(|a| AttachmentLine {
                id: a.id,
                name: a.name,
                size: size_text(a.size_bytes),
                who: a
                    .added_by
                    .and_then(|s| staff.get(&s).cloned())
                    .unwrap_or_default(),
                at: when(a.added_at, ctx.lang, &tz),
            })
            .collect();
        let handlers = handlers
            .into_iter()
            .map(|id| (id, staff.get(&id).cloned().unwrap_or_default()))
            .collect();
        let page = {
            let mut page =
                Page::console(ctx.lang, p, "ticket.title", "/console/service").with_flash(flash);
            page.error = error;
            page
        };
        Ok(render(&TicketPage {
            page,
            description: v.description.clone(),
            channel: ctx
                .lang
                .t(&format!("ticket.channel.{}", v.row.channel.code())),
            item_ref: v.row.item_ref.clone().unwrap_or_default(),
            sale_id: v.row.sale_id.map(|s| s.to_string()).unwrap_or_default(),
            created: when(v.row.created_at, ctx.lang, &tz),
            response_due: when(v.row.response_due_at, ctx.lang, &tz),
            responded: when_opt(v.row.responded_at, ctx.lang, &tz),
            resolution_due: when_opt(v.row.resolution_due_at, ctx.lang, &tz),
            sla_used: format!("{}:{:02}", v.row.sla_used_min / 60, v.row.sla_used_min % 60),
            resolution,
            satisfaction: match (v.row.satisfaction, v.row.closed_unanswered) {
                (Some(s), _) => format!("{s} / 5"),
                (None, true) => ctx.lang.t("ticket.unanswered").to_string(),
                _ => String::new(),
            },
            survey_link,
            can_renew_link: v.status == patron_domain::service::ticket::Status::Resolved,
            events,
            actions: v
                .status
                .actions()
                .into_iter()
                .filter(|a| *a != Action::Resolve)
                .map(|a| (a.code(), ctx.lang.t(&format!("ticket.action.{}", a.code()))))
                .collect(),
            can_resolve: v.status.after(Action::Resolve).is_ok() && pending.is_none(),
            pending,
            attachments,
            root_causes: rules
                .root_causes
                .iter()
                .map(|c| (c.clone(), label(ctx, "ticket.cause", c)))
                .collect(),
            handlers,
            t,
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

pub async fn ticket_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Query(q): Query<FlashQuery>,
) -> Response {
    show_ticket(&state, &p, &ctx, id, &q.ok, String::new(), String::new()).await
}

#[derive(Deserialize, Default)]
pub struct ActBody {
    #[serde(default)]
    pub action: String,
    #[serde(default)]
    pub note: String,
}

/// A workflow step, or a note alone (`action` = `note`).
pub async fn act(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Form(b): Form<ActBody>,
) -> Response {
    let actor = p.actor(ctx.rid());
    let result = if b.action == "note" {
        state.app.note_ticket(&actor, p.scope(), id, &b.note).await
    } else {
        match Action::parse(&b.action) {
            Ok(a) => state
                .app
                .act_on_ticket(&actor, p.scope(), id, a, &b.note)
                .await
                .map(|_| ()),
            Err(e) => Err(e.into()),
        }
    };
    after(&state, &p, &ctx, id, result).await
}

pub(super) async fn after(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    id: i64,
    result: Result<(), AppError>,
) -> Response {
    match result {
        Ok(()) => see_other(&format!("/console/service/tickets/{id}?ok=ticket_saved")),
        Err(e) => match e.field_errors().first() {
            Some(f) => {
                let message = field_message(ctx, f);
                show_ticket(state, p, ctx, id, "", message, String::new()).await
            }
            None => crate::error::WebError::page(e, ctx.lang).into_response_page(),
        },
    }
}

/// A new link for the ticket's satisfaction follow-up, shown to pass on by hand.
pub async fn survey_link(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
) -> Response {
    match state.app.renew_ticket_survey_link(p.scope(), id).await {
        Ok(link) => show_ticket(&state, &p, &ctx, id, "", String::new(), link).await,
        Err(e) => after(&state, &p, &ctx, id, Err(e)).await,
    }
}

#[derive(Deserialize, Default)]
pub struct ResolveBody {
    #[serde(default)]
    pub root_cause: String,
    #[serde(default)]
    pub corrective_action: String,
    #[serde(default)]
    pub compensation: String,
    #[serde(default)]
    pub amount: String,
    #[serde(default)]
    pub note: String,
}

/// The form's compensation: the kind chosen (none when left blank) and its one amount field,
/// a whole number for points or a coupon template, yuan for money (what each kind requires
/// is the domain's rule).
fn compensation(code: &str, amount: &str) -> Result<Compensation, FieldError> {
    let kind = match code {
        "" => Some(CompensationKind::None),
        code => CompensationKind::parse(code),
    }
    .ok_or(FieldError::new("compensation", "error.ticket.action"))?;
    const BAD: FieldError = FieldError::new("amount", "error.ticket.amount");
    let amount = amount.trim();
    let given = match kind.input() {
        None => None,
        Some(Input::Points | Input::TemplateId) => amount.parse::<i64>().ok(),
        Some(Input::AmountFen | Input::ValueFen) if amount.is_empty() => None,
        Some(Input::AmountFen | Input::ValueFen) => Some(parse_yuan(amount).ok_or(BAD)?),
    };
    Compensation::new(kind, given).map_err(|_| BAD)
}

pub async fn resolve(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Form(b): Form<ResolveBody>,
) -> Response {
    let result = match compensation(&b.compensation, &b.amount) {
        Ok(compensation) => {
            let r = Resolution {
                root_cause: b.root_cause.clone(),
                corrective_action: b.corrective_action.clone(),
                compensation,
            };
            state
                .app
                .resolve_ticket(&p.actor(ctx.rid()), p.scope(), id, &r, &b.note)
                .await
        }
        Err(e) => Err(e.into()),
    };
    match result {
        Ok(Resolved::AwaitingApproval(..)) => see_other(&format!(
            "/console/service/tickets/{id}?ok=ticket_approval_asked"
        )),
        Ok(Resolved::Done(_)) => after(&state, &p, &ctx, id, Ok(())).await,
        Err(e) => after(&state, &p, &ctx, id, Err(e)).await,
    }
}

#[derive(Deserialize, Default)]
pub struct AssignBody {
    #[serde(default)]
    pub staff_id: String,
}

pub async fn assign(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    Form(b): Form<AssignBody>,
) -> Response {
    let result = match b.staff_id.trim().parse::<i64>() {
        Ok(s) => {
            state
                .app
                .assign_ticket(&p.actor(ctx.rid()), p.scope(), id, s)
                .await
        }
        Err(_) => {
            Err(patron_domain::FieldError::new("assignee_id", "error.ticket.assignee").into())
        }
    };
    after(&state, &p, &ctx, id, result).await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_form_reads_one_amount_as_a_number_or_yuan() {
        let bad = Err(FieldError::new("amount", "error.ticket.amount"));
        assert_eq!(compensation("", "abc"), Ok(Compensation::None));
        assert_eq!(compensation("none", "abc"), Ok(Compensation::None));
        assert_eq!(
            compensation("points", " 300 "),
            Ok(Compensation::Points {
                points: 300,
                applied: false
            })
        );
        assert_eq!(compensation("points", "3.5"), bad);
        assert_eq!(compensation("coupon", ""), bad);
        assert_eq!(
            compensation("refund", "¥12.50"),
            Ok(Compensation::Refund { amount_fen: 1250 })
        );
        assert_eq!(compensation("refund", " "), bad);
        assert_eq!(
            compensation("replacement", ""),
            Ok(Compensation::Replacement { value_fen: 0 })
        );
        assert_eq!(compensation("repair", "abc"), bad);
        assert_eq!(
            compensation("cash", "1"),
            Err(FieldError::new("compensation", "error.ticket.action"))
        );
    }
}
