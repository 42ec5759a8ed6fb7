//! The message outbox as staff see it: counts by status and the latest messages with their
//! delivery state. Recipients are masked (and gone once a message is finished); bodies are
//! not shown (they may carry links).

use crate::identity::Staff;
use crate::state::AppState;
use crate::view::{Page, render, when, when_opt};
use askama::Template;
use axum::extract::{Query, State};
use axum::response::Response;
use patron_app::AppError;
use serde::Deserialize;

pub struct MessageView {
    pub id: i64,
    pub channel: String,
    pub purpose: String,
    pub recipient: String,
    pub status: String,
    /// Out of attempts: shown as a warning.
    pub dead: bool,
    pub attempts: i64,
    pub created: String,
    pub sent: String,
    pub error: String,
    pub campaign: String,
    pub suppressed: String,
}

/// Delivery of one campaign: how many messages are in each state.
pub struct CampaignView {
    pub campaign: String,
    pub states: Vec<(String, i64)>,
}

#[derive(Debug, Default, Deserialize)]
pub struct OutboxQuery {
    #[serde(default)]
    status: String,
    /// One customer's messages only.
    #[serde(default)]
    customer: Option<i64>,
}

#[derive(Template)]
#[template(path = "outbox.html")]
pub struct OutboxPage {
    page: Page,
    counts: Vec<(String, i64)>,
    messages: Vec<MessageView>,
    status: String,
    campaigns: Vec<CampaignView>,
    customer: Option<i64>,
}

pub async fn outbox_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(q): Query<OutboxQuery>,
) -> Response {
    let result: Result<Response, AppError> = async {
        let tz = state.app.config().timezone();
        let overview = state
            .app
            .outbox_overview(p.scope(), q.customer, &q.status)
            .await?;
        let counts = overview.counts;
        let rows = overview.messages;
        let campaigns: Vec<CampaignView> = overview
            .campaigns
            .into_iter()
            .map(|c| CampaignView {
                campaign: c.campaign,
                states: c.states,
            })
            .collect();
        // A provider's error can quote the recipient or the text: only those who may see
        // personal data read it.
        let may_reveal = p.can(patron_domain::Capability::CustomerPiiReveal);
        let messages = rows
            .into_iter()
            .map(|m| MessageView {
                id: m.id,
                recipient: state.app.masked_recipient(&m),
                created: when(m.created_at, ctx.lang, &tz),
                sent: when_opt(m.sent_at, ctx.lang, &tz),
                error: m.last_error.filter(|_| may_reveal).unwrap_or_default(),
                campaign: m.campaign.unwrap_or_default(),
                suppressed: m.suppressed.unwrap_or_default(),
                channel: m.channel,
                purpose: m.purpose,
                dead: m.status == patron_domain::messages::OutboxStatus::Dead,
                status: m.status.code().to_string(),
                attempts: m.attempts,
            })
            .collect();
        Ok(render(&OutboxPage {
            page: Page::console(ctx.lang, &p, "outbox.title", "/console/outbox"),
            counts,
            messages,
            status: q.status,
            campaigns,
            customer: q.customer,
        }))
    }
    .await;
    result.unwrap_or_else(|e| crate::error::WebError::page(e, ctx.lang).into_response_page())
}
