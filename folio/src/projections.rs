//! `folio projections status`: where each projection (and the relay) stands against the event
//! store's head: lag in events and in seconds, state, parked events.

use crate::cli::ProjectionsStatusArgs;
use crate::error::CliError;
use chrono::{DateTime, Utc};
use events::Position;
use infra::EventStore;
use projectors::{all_projections, ReadStore};
use serde::Serialize;
use std::io::Write;

/// One projection's standing.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ProjectionStatus {
    pub name: String,
    /// Everything up to here is applied.
    pub position: Position,
    pub head: Position,
    pub lag_events: u64,
    /// How long the oldest event not yet applied has waited (0 when caught up).
    pub lag_seconds: f64,
    /// `running`, `halted`, `rebuilding`, or `never ran`.
    pub state: String,
    pub parked: usize,
    pub last_event_at: Option<DateTime<Utc>>,
}

/// The standing of every projection, and of the relay when one has run.
pub async fn status(
    store: &dyn EventStore,
    read: &ReadStore,
    now: DateTime<Utc>,
) -> Result<Vec<ProjectionStatus>, CliError> {
    let head = store.head().await?;
    let rows = read.checkpoints().await?;
    let mut names: Vec<String> = all_projections().iter().map(|p| p.name().to_owned()).collect();
    if rows.iter().any(|r| r.projection == projectors::relay::CHECKPOINT) {
        names.push(projectors::relay::CHECKPOINT.to_owned());
    }
    let mut out = Vec::with_capacity(names.len());
    for name in names {
        let row = rows.iter().find(|r| r.projection == name);
        let position = row.map_or(0, |r| r.position);
        let lag_events = head.saturating_sub(position);
        let lag_seconds = if lag_events == 0 {
            0.0
        } else {
            let next = store.read_all(position, 1).await?;
            next.first().map_or(0.0, |e| (now - e.recorded_at).num_milliseconds().max(0) as f64 / 1000.0)
        };
        out.push(ProjectionStatus {
            parked: read.parked(&name).await?.len(),
            state: row.map_or_else(|| "never ran".to_owned(), |r| r.state.clone()),
            last_event_at: row.and_then(|r| r.last_event_at),
            name,
            position,
            head,
            lag_events,
            lag_seconds,
        });
    }
    Ok(out)
}

pub async fn run(args: ProjectionsStatusArgs) -> Result<(), CliError> {
    let store = crate::store::open(&args.store).await?;
    let read = crate::read::open(&args.read, &args.store).await?;
    let rows = status(store.as_ref(), &read, Utc::now()).await?;
    read.close().await;
    let mut out = std::io::stdout().lock();
    if args.json {
        let _ = writeln!(out, "{}", serde_json::to_string_pretty(&rows).unwrap_or_default());
        return Ok(());
    }
    let _ = writeln!(
        out,
        "{:<12} {:>12} {:>12} {:>12} {:>10} {:>7}  state",
        "projection", "position", "head", "lag events", "lag s", "parked"
    );
    for r in &rows {
        let _ = writeln!(
            out,
            "{:<12} {:>12} {:>12} {:>12} {:>10.1} {:>7}  {}",
            r.name, r.position, r.head, r.lag_events, r.lag_seconds, r.parked, r.state
        );
    }
    Ok(())
}
