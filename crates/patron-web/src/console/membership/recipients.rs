//! Who a bulk action (coupons, points) reaches: a pasted list of phones or archive numbers,
//! one of the staff member's saved customer views, or a shared segment (`segment:<id>`).

use crate::state::AppState;
use patron_app::AppError;
use patron_app::customers::CustomerQuery;
use patron_app::security::Principal;
use patron_domain::FieldError;

/// What a select offers: the staff member's saved views (by id), then the segments visible
/// to them (`segment:<id>`), as (value, label).
pub async fn views_of(
    state: &AppState,
    p: &Principal,
    segment_label: &str,
) -> Result<Vec<(String, String)>, AppError> {
    let mut out: Vec<(String, String)> = state
        .app
        .customer_views(p.staff_id)
        .await?
        .into_iter()
        .map(|v| (v.id.to_string(), v.name))
        .collect();
    out.extend(state.app.segments(p.scope()).await?.into_iter().map(|s| {
        (
            format!("segment:{}", s.id),
            format!("{segment_label}{}", s.name),
        )
    }));
    Ok(out)
}

/// The customers of a saved view (when `view_id` is given) or of a pasted list, within the
/// staff member's scope.
pub async fn resolve(
    state: &AppState,
    p: &Principal,
    pasted: &str,
    view_id: &str,
) -> Result<Vec<i64>, AppError> {
    let chosen = view_id.trim();
    if chosen.is_empty() {
        return state.app.resolve_recipients(p.scope(), pasted).await;
    }
    if !pasted.trim().is_empty() {
        return Err(FieldError::new("customers", "error.recipients.both").into());
    }
    if let Some(segment) = chosen.strip_prefix("segment:") {
        let id = crate::console::opt_id(segment)
            .ok_or_else(|| AppError::from(FieldError::new("view_id", "error.recipients.view")))?;
        return state.app.segment_recipients(p.scope(), id).await;
    }
    let id = crate::console::opt_id(chosen)
        .ok_or_else(|| AppError::from(FieldError::new("view_id", "error.recipients.view")))?;
    let view = state
        .app
        .customer_views(p.staff_id)
        .await?
        .into_iter()
        .find(|v| v.id == id)
        .ok_or(AppError::NotFound)?;
    let q: CustomerQuery = serde_urlencoded::from_str(&view.query)
        .map_err(|_| AppError::from(FieldError::new("view_id", "error.recipients.view")))?;
    state.app.customers_matching(p.scope(), &q).await
}
