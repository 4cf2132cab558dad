//! The metrics server: `/metrics` on its own small plain-HTTP listener (`METRICS_ADDR`), never on
//! the app's HTTPS port (see `crate::metrics` for why). The gauges that need a lock are read here,
//! only when scraped.

use std::net::TcpListener;

use actix_web::{dev::Server, get, web, App, HttpResponse, HttpServer};

use crate::state::AppState;

/// The metrics server on its own listener: one worker, `/metrics` and nothing else (404).
/// It stops with the process or when the app's drain stops it (see `startup`).
pub fn server(state: web::Data<AppState>, listener: TcpListener) -> std::io::Result<Server> {
    Ok(HttpServer::new(move || {
        App::new()
            .app_data(state.clone())
            .service(metrics)
            .default_service(web::to(HttpResponse::NotFound))
    })
    .workers(1)
    .disable_signals()
    .shutdown_timeout(1)
    .listen(listener)?
    .run())
}

#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let m = &state.metrics;
    m.open_streams.set(state.hub.stream_count() as i64);
    let pool = state.pool.state();
    m.pool_connections.set(pool.connections as i64);
    m.pool_idle.set(pool.idle_connections as i64);
    m.pool_max.set(state.pool.max_size() as i64);
    m.bus_connected.set(state.bus_ready() as i64);
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(m.encode())
}
