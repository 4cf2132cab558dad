//! The one app factory: `build(settings)` makes the pool, runs migrations, loads TLS, binds the
//! listener (port 0 in tests) and mounts every route. `main` and every test call it, so tests
//! run exactly what production runs.

use std::{net::TcpListener, sync::Arc, time::Duration};

use actix_files::NamedFile;
use actix_web::{
    dev::Server,
    middleware::{from_fn, Compress},
    web, App, HttpResponse, HttpServer,
};
use anyhow::Context;
use tracing_actix_web::TracingLogger;

use crate::{
    auth::{password::BcryptGate, tokens::TokenKeys},
    config::Settings,
    db,
    error::AppError,
    http::{self, headers},
    state::AppState,
    telemetry::CourierRootSpan,
};

/// Advisory lock key held while migrating (any constant unique to Courier).
const MIGRATION_LOCK: i64 = 0x0063_6f75_7269_6572; // "courier"

pub struct Application {
    port: u16,
    server: Server,
    pub state: web::Data<AppState>,
    /// The metrics listener's port and handle (`METRICS_ADDR`), when there is one.
    metrics: Option<(u16, actix_web::dev::ServerHandle)>,
}

impl Application {
    pub fn port(&self) -> u16 {
        self.port
    }
    /// The port `/metrics` is served on (plain HTTP), if `METRICS_ADDR` is set.
    pub fn metrics_port(&self) -> Option<u16> {
        self.metrics.as_ref().map(|(port, _)| *port)
    }
    pub fn handle(&self) -> actix_web::dev::ServerHandle {
        self.server.handle()
    }
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }

    /// Serves until SIGTERM or SIGINT, then drains (see [`drain`]). What `courier serve` runs.
    pub async fn run_until_signalled(self) -> anyhow::Result<()> {
        let Application {
            server,
            state,
            metrics,
            ..
        } = self;
        let handle = server.handle();
        let mut serving = tokio::spawn(server);
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
        tokio::select! {
            done = &mut serving => return Ok(done??),
            _ = term.recv() => tracing::info!("SIGTERM: draining"),
            _ = tokio::signal::ctrl_c() => tracing::info!("SIGINT: draining"),
        }
        drain(&state, &handle).await;
        if let Some((_, metrics)) = metrics {
            metrics.stop(false).await;
        }
        // The server future ends once `stop` has finished; never wait past the drain bound.
        let _ = tokio::time::timeout(Duration::from_secs(2), serving).await;
        Ok(())
    }
}

/// Graceful drain: stop accepting, end every stream (clients resume on another instance from
/// their Last-Event-ID), let in-flight requests finish, forget this instance's presence rows.
/// Bounded by `drain_timeout` plus a few seconds for the database.
pub async fn drain(state: &web::Data<AppState>, handle: &actix_web::dev::ServerHandle) {
    let bound = state.settings.drain_timeout;
    let stopping = tokio::spawn({
        let handle = handle.clone();
        async move { handle.stop(true).await }
    });
    // SSE responses never finish on their own, and actix's graceful stop waits for them: end
    // them now, and again while stopping, for streams that were opening during the first call.
    let deadline = tokio::time::Instant::now() + bound;
    while !stopping.is_finished() && tokio::time::Instant::now() < deadline {
        state.hub.close_all();
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    if !stopping.is_finished() {
        tracing::warn!(
            streams = state.hub.stream_count(),
            "drain: requests still running at the deadline"
        );
        handle.stop(false).await;
    }
    state.stop_background();
    let (pool, instance) = (state.pool.clone(), state.settings.instance_id.clone());
    let forget = tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let mut conn = pool.get()?;
        crate::presence::deregister_instance(&mut conn, &instance)?;
        Ok(())
    });
    match tokio::time::timeout(Duration::from_secs(5), forget).await {
        Ok(Ok(Ok(()))) => tracing::info!("drain: done"),
        Ok(Ok(Err(e))) => tracing::warn!(error = %e, "drain: presence rows left for the reaper"),
        _ => tracing::warn!("drain: presence rows left for the reaper"),
    }
}

pub async fn build(settings: Settings) -> anyhow::Result<Application> {
    let settings = Arc::new(settings);
    let pool = db::pool(settings.database_url.expose(), settings.db_pool_size);
    let migrate_pool = pool.clone();
    let applied = tokio::task::spawn_blocking(move || -> anyhow::Result<usize> {
        use diesel::RunQueryDsl;
        let mut pooled = migrate_pool.get().context("connecting to DATABASE_URL")?;
        let conn: &mut diesel::PgConnection = &mut pooled;
        // Instances starting together must not migrate at once (duplicate-type errors): one
        // session-level advisory lock serialises them; the later ones find nothing to do.
        diesel::sql_query(format!("SELECT pg_advisory_lock({MIGRATION_LOCK})")).execute(conn)?;
        let applied = db::migrate(conn);
        diesel::sql_query(format!("SELECT pg_advisory_unlock({MIGRATION_LOCK})")).execute(conn)?;
        applied
    })
    .await??;
    if applied > 0 {
        tracing::info!(applied, "database migrations applied");
    }

    let instance = settings.instance_id.clone();
    let register_pool = pool.clone();
    tokio::task::spawn_blocking(move || -> anyhow::Result<()> {
        let mut conn = register_pool.get()?;
        crate::presence::register_instance(&mut conn, &instance)?;
        Ok(())
    })
    .await??;

    let state = web::Data::new(AppState::new(
        pool,
        settings.clone(),
        crate::messages::models::payloads_for_readers,
    ));
    let tokens = web::Data::new(TokenKeys::new(&settings));
    let bcrypt = web::Data::new(BcryptGate::new(
        settings.bcrypt_cost,
        settings.bcrypt_concurrency,
        settings.bcrypt_queue,
    ));
    let attachments = web::Data::new(
        crate::attachments::store::AttachmentStore::open(&settings.attachments_url)
            .context("opening ATTACHMENTS_URL")?,
    );
    let warm = bcrypt.clone();
    tokio::spawn(async move { warm.warm().await });
    {
        let mut tasks = state.tasks.lock().expect("tasks lock");
        tasks.push(tokio::spawn(crate::presence::heartbeat_loop(state.clone())));
        tasks.push(tokio::spawn(crate::events::sweep::sweep_loop(
            state.pool.clone(),
            state.hub.clone(),
            settings.sweep_interval,
        )));
        tasks.push(tokio::spawn(crate::attachments::sweep::expiry_loop(
            state.pool.clone(),
            attachments.get_ref().clone(),
            settings.attachment_unreferenced_ttl,
            // Often enough that expiry is never far past the TTL; cheap (one indexed query).
            (settings.attachment_unreferenced_ttl / 24).clamp(Duration::from_secs(10), Duration::from_secs(3600)),
        )));
    }

    let listener = TcpListener::bind(settings.listen_addr)
        .with_context(|| format!("binding {}", settings.listen_addr))?;
    let port = listener.local_addr()?.port();
    let app_state = state.clone();
    let app_settings = web::Data::from(settings.clone());
    let server = HttpServer::new(move || {
        App::new()
            .app_data(app_state.clone())
            .app_data(app_settings.clone())
            .app_data(tokens.clone())
            .app_data(bcrypt.clone())
            .app_data(attachments.clone())
            .configure(http::configure)
            .default_service(web::to(not_found))
            // Innermost first. Compress wraps the header middleware, which may replace an error
            // body with `{code, message}`: compression must see the final body, or a plain
            // body goes out labelled `Content-Encoding: gzip`.
            .wrap(from_fn(headers::security_headers))
            .wrap(Compress::default())
            .wrap(TracingLogger::<CourierRootSpan>::new())
    })
    // Records each connection's socket, so a stream whose client stopped reading can close it.
    .on_connect(crate::request::conn::on_connect)
    .workers(settings.workers)
    .backlog(4096)
    .max_connections(50_000)
    .client_request_timeout(Duration::from_secs(10))
    // Longer than nginx's upstream keepalive_timeout (60 s): the proxy closes idle upstream
    // connections first, so it never reuses one this side is closing.
    .keep_alive(Duration::from_secs(75))
    // `courier serve` handles SIGTERM itself (`run_until_signalled`): actix's own handler
    // would wait for SSE streams that never end.
    .disable_signals()
    .shutdown_timeout(settings.drain_timeout.as_secs());
    // HTTP/2 flow-control windows stay at actix's 1 MiB per stream / 2 MiB per connection:
    // 4 MiB made HTTP/2 uploads faster on the loaded bench machine but let the server's RSS
    // grow by up to 41 MiB during one (docs/performance.md, "Attachments").

    let server = match &settings.tls {
        Some(files) => server.listen_rustls_0_23(listener, crate::tls::server_config(files)?)?,
        None => server.listen(listener)?,
    }
    .run();
    tracing::info!(port, tls = settings.tls.is_some(), instance = %settings.instance_id, "courier listening");
    let metrics = match settings.metrics_addr {
        Some(addr) => {
            let listener =
                TcpListener::bind(addr).with_context(|| format!("binding METRICS_ADDR {addr}"))?;
            let metrics_port = listener.local_addr()?.port();
            let metrics = http::metrics::server(state.clone(), listener)?;
            let handle = metrics.handle();
            tokio::spawn(metrics);
            tracing::info!(addr = %addr.ip(), port = metrics_port, "metrics listening (plain HTTP)");
            Some((metrics_port, handle))
        }
        None => None,
    };
    Ok(Application {
        port,
        server,
        state,
        metrics,
    })
}

/// Anything not matched: JSON 404 under `/api`, else the browser app (it routes on the client).
async fn not_found(
    req: actix_web::HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, AppError> {
    let path = req.path();
    if path.starts_with("/api") || path == "/healthz" || path == "/readyz" || path == "/metrics" {
        return Err(AppError::NotFound);
    }
    if req.method() != actix_web::http::Method::GET {
        return Err(AppError::NotFound);
    }
    let dir = &state.settings.static_dir;
    let file = dir.join(path.trim_start_matches('/'));
    let canonical_ok = file
        .canonicalize()
        .ok()
        .zip(dir.canonicalize().ok())
        .is_some_and(|(f, d)| f.starts_with(d));
    let target = if canonical_ok && file.is_file() {
        file
    } else {
        dir.join("index.html")
    };
    match NamedFile::open_async(&target).await {
        Ok(f) => Ok(f.use_etag(true).into_response(&req)),
        Err(_) => Ok(HttpResponse::Ok()
            .content_type("text/html; charset=utf-8")
            .body(PLACEHOLDER)),
    }
}

const PLACEHOLDER: &str = "<!doctype html><meta charset=utf-8><title>Courier</title>\
<h1>Courier</h1><p>The browser app is not built yet (<code>cd frontend && npm ci && npm run build</code>). \
The API is up: <a href=/api/docs>/api/docs</a>.</p>";
