//! Resolving a ticket over the API (`ticket.manage`), and deciding compensation that waits
//! for approval (`ticket.approve`; not by the person who asked).

use crate::api::bad_json;
use crate::api::tickets::StatusBody;
use crate::error::{Problem, WebError};
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use axum::Json;
use axum::extract::rejection::JsonRejection;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use patron_app::security::Principal;
use patron_app::service::resolution::Closing;
use patron_app::service::tickets::{Resolution, Resolved};
use patron_domain::FieldError;
use patron_domain::service::compensation::{Compensation, CompensationKind, Input};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

#[derive(Deserialize, ToSchema, Default)]
#[serde(deny_unknown_fields)]
pub struct CompensationBody {
    /// none, points, coupon, refund, replacement, repair
    pub kind: String,
    /// points: how many
    #[serde(default)]
    pub points: Option<i64>,
    /// coupon: the template to issue from
    #[serde(default)]
    pub template_id: Option<i64>,
    /// refund: the amount in fen
    #[serde(default)]
    pub amount_fen: Option<i64>,
    /// replacement or repair: what it is worth in fen (absent: not stated)
    #[serde(default)]
    pub value_fen: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ResolveBody {
    /// One of the desk's root-cause codes.
    pub root_cause: String,
    pub corrective_action: String,
    #[serde(default)]
    pub compensation: Option<CompensationBody>,
    #[serde(default)]
    pub note: String,
}

#[derive(Serialize, ToSchema)]
pub struct ResolvedBody {
    /// The ticket's status after the call (unchanged while approval is awaited).
    pub status: String,
    /// The compensation waits for approval; the ticket is resolved once it is given.
    pub awaiting_approval: bool,
    pub request_id: Option<i64>,
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RejectBody {
    pub reason: String,
}

/// The body's compensation: the kind by its code, and the field in fen its kind takes, named
/// as the API names it (what each kind requires is the domain's rule).
fn compensation(b: Option<CompensationBody>) -> Result<Compensation, FieldError> {
    let Some(b) = b else {
        return Ok(Compensation::None);
    };
    let kind = CompensationKind::parse(&b.kind)
        .ok_or(FieldError::new("kind", "error.ticket.compensation"))?;
    let (field, given) = match kind.input() {
        None => ("kind", None),
        Some(Input::Points) => ("points", b.points),
        Some(Input::TemplateId) => ("template_id", b.template_id),
        Some(Input::AmountFen) => ("amount_fen", b.amount_fen),
        Some(Input::ValueFen) => ("value_fen", b.value_fen),
    };
    Compensation::new(kind, given).map_err(|_| FieldError::new(field, "error.ticket.amount"))
}

#[utoipa::path(post, path = "/api/v1/tickets/{id}/resolve", tag = "service", request_body = ResolveBody,
    responses((status = 200, description = "resolved", body = ResolvedBody),
        (status = 202, description = "the compensation awaits approval", body = ResolvedBody),
        (status = 404, body = Problem), (status = 409, body = Problem), (status = 422, body = Problem)))]
pub async fn resolve(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    body: Result<Json<ResolveBody>, JsonRejection>,
) -> Response {
    let Json(b) = match body {
        Ok(b) => b,
        Err(e) => return bad_json(e, ctx.lang),
    };
    let result = match compensation(b.compensation) {
        Ok(compensation) => {
            let r = Resolution {
                root_cause: b.root_cause,
                corrective_action: b.corrective_action,
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
        Ok(Resolved::Done(s)) => Json(ResolvedBody {
            status: s.code().to_string(),
            awaiting_approval: false,
            request_id: None,
        })
        .into_response(),
        Ok(Resolved::AwaitingApproval(request, s)) => (
            StatusCode::ACCEPTED,
            Json(ResolvedBody {
                status: s.code().to_string(),
                awaiting_approval: true,
                request_id: Some(request),
            }),
        )
            .into_response(),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}

#[utoipa::path(post, path = "/api/v1/tickets/{id}/compensation/approve", tag = "service",
    responses((status = 200, body = StatusBody), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, description = "one's own request", body = Problem)))]
pub async fn approve(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
) -> Response {
    match state
        .app
        .approve_compensation(&p.actor(ctx.rid()), p.scope(), id)
        .await
    {
        Ok(s) => Json(StatusBody {
            status: s.code().to_string(),
        })
        .into_response(),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}

#[utoipa::path(post, path = "/api/v1/tickets/{id}/compensation/reject", tag = "service", request_body = RejectBody,
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn reject(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    body: Result<Json<RejectBody>, JsonRejection>,
) -> Response {
    close(&state, &p, &ctx, id, body, Closing::Reject).await
}

#[utoipa::path(post, path = "/api/v1/tickets/{id}/compensation/withdraw", tag = "service", request_body = RejectBody,
    responses((status = 204), (status = 404, body = Problem), (status = 409, body = Problem),
        (status = 422, body = Problem)))]
pub async fn withdraw(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Path(id): Path<i64>,
    body: Result<Json<RejectBody>, JsonRejection>,
) -> Response {
    close(&state, &p, &ctx, id, body, Closing::Withdraw).await
}

/// Rejects or withdraws the ticket's pending request: 204, or the problem.
async fn close(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    id: i64,
    body: Result<Json<RejectBody>, JsonRejection>,
    how: Closing,
) -> Response {
    let Json(b) = match body {
        Ok(b) => b,
        Err(e) => return bad_json(e, ctx.lang),
    };
    match state
        .app
        .close_compensation(&p.actor(ctx.rid()), p.scope(), id, &b.reason, how)
        .await
    {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) => WebError::api(e, ctx.lang).into_response(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn body(kind: &str) -> CompensationBody {
        CompensationBody {
            kind: kind.into(),
            ..Default::default()
        }
    }

    #[test]
    fn each_kind_reads_its_own_field_and_names_it_when_missing() {
        let missing = |kind| compensation(Some(body(kind))).err().map(|e| e.field);
        assert_eq!(missing("points"), Some("points"));
        assert_eq!(missing("coupon"), Some("template_id"));
        assert_eq!(missing("refund"), Some("amount_fen"));
        assert_eq!(compensation(None), Ok(Compensation::None));
        assert_eq!(
            compensation(Some(body("repair"))),
            Ok(Compensation::Repair { value_fen: 0 })
        );
        // A refund reads amount_fen only, a replacement value_fen only.
        let refund = CompensationBody {
            value_fen: Some(500),
            ..body("refund")
        };
        assert_eq!(
            compensation(Some(refund)).err().map(|e| e.field),
            Some("amount_fen")
        );
        let replacement = CompensationBody {
            amount_fen: Some(500),
            value_fen: Some(700),
            ..body("replacement")
        };
        assert_eq!(
            compensation(Some(replacement)),
            Ok(Compensation::Replacement { value_fen: 700 })
        );
        assert_eq!(
            compensation(Some(body("cash"))),
            Err(FieldError::new("kind", "error.ticket.compensation"))
        );
    }
}
