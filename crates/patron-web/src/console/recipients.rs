//! Who a bulk action (coupons, points) reaches: a pasted list of phones or archive numbers,
//! or one of the staff member's saved customer views used as a segment.

use crate::state::AppState;
use patron_app::AppError;
use patron_app::customers::CustomerQuery;
use patron_app::security::Principal;
use patron_domain::FieldError;

/// The staff member's saved views, for a select.
pub async fn views_of(state: &AppState, p: &Principal) -> Result<Vec<(i64, String)>, AppError> {
    Ok(state
        .app
        .db
        .list_customer_views(p.staff_id)
        .await?
        .into_iter()
        .map(|v| (v.id, v.name))
        .collect())
}

/// The customers of a saved view (when `view_id` is given) or of a pasted list, within the
/// staff member's scope.
pub async fn resolve(
    state: &AppState,
    p: &Principal,
    pasted: &str,
    view_id: &str,
) -> Result<Vec<i64>, AppError> {
    let Some(id) = super::opt_id(view_id) else {
        return state.app.resolve_recipients(p.scope(), pasted).await;
    };
    if !pasted.trim().is_empty() {
        return Err(FieldError::new("customers", "error.recipients.both").into());
    }
    let view = state
        .app
        .db
        .list_customer_views(p.staff_id)
        .await?
        .into_iter()
        .find(|v| v.id == id)
        .ok_or(AppError::NotFound)?;
    let q: CustomerQuery = serde_urlencoded::from_str(&view.query)
        .map_err(|_| AppError::from(FieldError::new("view_id", "error.recipients.view")))?;
    state.app.customers_matching(p.scope(), &q).await
}
