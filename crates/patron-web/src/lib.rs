//! Patron's HTTP face. `routes` is the one table of every route and the capability it needs;
//! the router is built from it, so no route can exist without a declared permission.
//! `console` renders staff pages, `api` serves JSON for tills and scripts.

mod access;
mod api;
pub mod charts;
mod console;
mod error;
mod i18n;
mod identity;
mod menu;
mod middleware;
mod routes;
mod state;
mod view;

pub use access::Access;
pub use i18n::{Lang, catalog_keys};
pub use routes::{RouteInfo, route_table};
pub use state::AppState;

use axum::Router;
use std::net::SocketAddr;
use tokio::net::TcpListener;

/// The complete application router.
pub fn router(state: AppState) -> Router {
    routes::build(state)
}

/// Serves until `shutdown` resolves, then lets in-flight requests finish.
pub async fn serve(
    state: AppState,
    listener: TcpListener,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> std::io::Result<()> {
    let app = router(state).into_make_service_with_connect_info::<SocketAddr>();
    axum::serve(listener, app)
        .with_graceful_shutdown(shutdown)
        .await
}
