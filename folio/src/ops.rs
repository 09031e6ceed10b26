//! The operations endpoints of the background roles (`folio relay`, `folio projector`), which
//! answer no API: `/healthz`, `/readyz` and `/metrics` on a port of their own.

use crate::cli::OpsArgs;
use crate::error::CliError;
use crate::metrics::Exporter;
use actix_web::dev::{Server, ServerHandle};
use actix_web::{web, App, HttpServer};
use infra::http::health::{Readiness, ReadinessCheck};
use std::io::Write;

/// Ready while connected to NATS (events and change notices flow only then).
#[derive(Debug, Clone)]
pub struct NatsReady(pub async_nats::Client);

#[async_trait::async_trait]
impl ReadinessCheck for NatsReady {
    fn name(&self) -> &'static str {
        "bus"
    }

    async fn check(&self) -> Result<serde_json::Value, String> {
        match self.0.connection_state() {
            async_nats::connection::State::Connected => Ok(serde_json::json!({ "nats": "connected" })),
            async_nats::connection::State::Disconnected | async_nats::connection::State::Pending => {
                Err("not connected to NATS".into())
            }
        }
    }
}

/// A running operations server; [`Ops::stop`] waits for in-flight scrapes.
pub struct Ops {
    handle: ServerHandle,
    served: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl std::fmt::Debug for Ops {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ops").finish_non_exhaustive()
    }
}

impl Ops {
    /// Binds `args` (the role's default port when none is given) and serves in the background.
    pub fn start(
        role: &'static str,
        args: &OpsArgs,
        default_port: u16,
        readiness: Readiness,
        exporter: Exporter,
    ) -> Result<Self, CliError> {
        let address = format!("{}:{}", args.host, args.port.unwrap_or(default_port));
        let bind_error = |source| CliError::Bind { address: address.clone(), source };
        let listener = std::net::TcpListener::bind(&address).map_err(bind_error)?;
        let port = listener.local_addr().map_err(bind_error)?.port();
        crate::metrics::handle();
        let readiness = web::Data::new(readiness);
        let exporter = web::Data::new(exporter);
        let server: Server = HttpServer::new(move || {
            App::new()
                .wrap(actix_web::middleware::from_fn(infra::http::metrics::record))
                .app_data(readiness.clone())
                .app_data(exporter.clone())
                .configure(infra::http::health::configure)
                .configure(crate::metrics::configure)
                .default_service(web::to(infra::http::no_route))
        })
        .workers(1)
        .disable_signals()
        .listen(listener)
        .map_err(bind_error)?
        .run();
        let url = format!("http://{}:{port}", args.host);
        tracing::info!(%url, role, "operations endpoints listening");
        let _ = writeln!(std::io::stdout().lock(), "Folio {role}: /healthz, /readyz and /metrics at {url}");
        Ok(Self { handle: server.handle(), served: tokio::spawn(server) })
    }

    pub async fn stop(self) {
        self.handle.stop(true).await;
        let _ = self.served.await;
    }
}
