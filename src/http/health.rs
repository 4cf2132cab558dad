//! Liveness and readiness. `/healthz` touches nothing (it must stay fast under a login flood);
//! `/readyz` checks the database and the bus. (A draining instance has closed its listener, so
//! a load balancer sees it as down at once.)

use actix_web::{get, web, HttpResponse};
use diesel::{sql_query, RunQueryDsl};
use serde_json::json;

use crate::{db, error::AppError, state::AppState};

#[utoipa::path(tag = "operations", responses((status = 200, description = "the process is up")))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(json!({"status": "ok"}))
}

#[utoipa::path(tag = "operations", responses(
    (status = 200, description = "database and bus reachable"),
    (status = 503, description = "a dependency is down", body = crate::error::ErrorBody)))]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, AppError> {
    db::run(&state.pool, |conn| {
        sql_query("SELECT 1")
            .execute(conn)
            .map_err(|e| AppError::Unavailable(e.into()))?;
        Ok(())
    })
    .await?;
    let bus_ok = state.bus_ready();
    if !bus_ok {
        return Err(AppError::Unavailable(anyhow::anyhow!(
            "event bus not connected"
        )));
    }
    Ok(HttpResponse::Ok().json(json!({"status": "ready", "database": "ok", "bus": "ok"})))
}

crate::routes![healthz, readyz];
