//! Orders: the list (open first) with the form to make one from a sale or by hand; the
//! order page is in `order`, visits and their calendar in `visits`.

mod order;
mod visits;

pub use order::{book, move_stage, note, order_page};
pub use visits::{
    UPLOAD_LIMIT as VISIT_UPLOAD_LIMIT, calendar_page, cancel, complete, photo, reschedule,
};
pub(crate) use visits::{photo_response, read_completion};

use crate::console::{form_error, see_other};
use crate::identity::{Ctx, Staff};
use crate::state::AppState;
use crate::view::{Page, render, when};
use askama::Template;
use axum::Form;
use axum::extract::{Query, State};
use axum::response::Response;
use patron_app::AppError;
use patron_app::security::Principal;
use patron_app::service::orders::OrderForm;
use patron_app::service::orders::{OrderFilter, OrderLine, OrderRow};
use patron_domain::FieldError;
use serde::Deserialize;

pub struct OrderRowView {
    pub id: i64,
    pub order_no: String,
    pub customer: String,
    pub customer_id: i64,
    pub status: &'static str,
    pub total: String,
    pub created: String,
}

#[derive(Template)]
#[template(path = "orders.html")]
pub struct OrdersPage {
    page: Page,
    all: bool,
    rows: Vec<OrderRowView>,
    pipelines: Vec<(String, String)>,
    form: NewOrderBody,
}

pub(super) fn stage_label(ctx: &Ctx, code: &str) -> &'static str {
    ctx.lang.t(&format!("order.stage.{code}"))
}

fn row_view(o: &OrderRow, ctx: &Ctx, tz: &jiff::tz::TimeZone) -> OrderRowView {
    OrderRowView {
        id: o.id,
        order_no: o.order_no.clone(),
        customer: o.customer_name.clone(),
        customer_id: o.customer_id,
        status: stage_label(ctx, o.status.code()),
        total: patron_domain::money::format_yuan(o.total_fen),
        created: when(o.created_at, ctx.lang, tz),
    }
}

#[derive(Deserialize, Default)]
pub struct ListQuery {
    #[serde(default)]
    pub all: String,
    #[serde(default)]
    pub customer: String,
    #[serde(default)]
    pub sale: String,
    #[serde(default)]
    pub ok: String,
}

async fn show_list(
    state: &AppState,
    p: &Principal,
    ctx: &Ctx,
    q: &ListQuery,
    form: NewOrderBody,
    error: String,
) -> Response {
    let result: Result<Response, AppError> = async {
        let app = &state.app;
        let all = q.all == "1";
        let filter = OrderFilter {
            customer: q.customer.trim().parse().ok(),
            open_only: !all,
        };
        let rows = app.orders(p.scope(), &filter, 200).await?;
        let tz = app.config().timezone();
        let rules = app.service_rules().await?;
        let mut page =
            Page::console(ctx.lang, p, "order.list_title", "/console/orders").with_flash(&q.ok);
        page.error = error;
        Ok(render(&OrdersPage {
            page,
            all,
            rows: rows.iter().map(|o| row_view(o, ctx, &tz)).collect(),
            pipelines: rules
                .pipelines
                .keys()
                .map(|name| {
                    let label = ctx
                        .lang
                        .try_t(&format!("order.pipeline.{name}"))
                        .map_or_else(|| name.clone(), str::to_string);
                    (name.clone(), label)
                })
                .collect(),
            form,
        }))
    }
    .await;
    result.unwrap_or_else(|e| crate::error::WebError::page(e, ctx.lang).into_response_page())
}

pub async fn list_page(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Query(q): Query<ListQuery>,
) -> Response {
    let form = NewOrderBody {
        customer_id: q.customer.clone(),
        sale_id: q.sale.clone(),
        notify: "1".into(),
        ..Default::default()
    };
    show_list(&state, &p, &ctx, &q, form, String::new()).await
}

#[derive(Deserialize, Default, Clone)]
pub struct NewOrderBody {
    #[serde(default)]
    pub customer_id: String,
    #[serde(default)]
    pub sale_id: String,
    #[serde(default)]
    pub pipeline: String,
    #[serde(default)]
    pub address: String,
    #[serde(default)]
    pub note: String,
    /// One line per item: `sku | name | quantity | unit price in yuan`.
    #[serde(default)]
    pub lines: String,
    #[serde(default)]
    pub notify: String,
}

/// The lines typed in the form, `sku | name | quantity | unit price (yuan)` each.
pub fn parse_lines(text: &str) -> Result<Vec<OrderLine>, FieldError> {
    let bad = || FieldError::new("lines", "error.order.lines");
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let parts: Vec<&str> = l.split('|').map(str::trim).collect();
            let [sku, name, qty, price] = parts.as_slice() else {
                return Err(bad());
            };
            Ok(OrderLine {
                sku: sku.to_string(),
                name: name.to_string(),
                quantity: qty.parse().map_err(|_| bad())?,
                unit_price_fen: patron_domain::money::parse_yuan(price).ok_or_else(bad)?,
            })
        })
        .collect()
}

pub async fn create(
    State(state): State<AppState>,
    Staff(p, ctx): Staff,
    Form(b): Form<NewOrderBody>,
) -> Response {
    let result: Result<i64, AppError> = async {
        let form = OrderForm {
            customer_id: b.customer_id.trim().parse().unwrap_or(0),
            sale_id: b.sale_id.trim().parse().ok(),
            pipeline: b.pipeline.clone(),
            address: b.address.clone(),
            note: b.note.clone(),
            lines: parse_lines(&b.lines)?,
            notify: b.notify == "1",
        };
        let (id, _) = state
            .app
            .create_order(&p.actor(ctx.rid()), p.scope(), &form, None)
            .await?;
        Ok(id)
    }
    .await;
    match result {
        Ok(id) => see_other(&format!("/console/orders/{id}?ok=order_created")),
        Err(e) => match form_error(&ctx, &e) {
            Some(message) => show_list(&state, &p, &ctx, &ListQuery::default(), b, message).await,
            None => crate::error::WebError::page(e, ctx.lang).into_response_page(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn order_lines_are_read_from_the_form() {
        let lines =
            parse_lines("F-01 | 实木地板 | 12 | 268.50\n\n  T-9|瓷砖|3|0\n").expect("lines");
        assert_eq!(lines.len(), 2);
        assert_eq!(lines[0].unit_price_fen, 26_850);
        assert_eq!(lines[1].quantity, 3);
        for bad in [
            "F-01 | 地板 | 2",
            "F-01 | 地板 | two | 5",
            "F-01 | 地板 | 2 | five",
        ] {
            assert_eq!(parse_lines(bad).unwrap_err().field, "lines");
        }
    }
}
