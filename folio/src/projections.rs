//! `folio projections status`: where each projection (and the relay) stands against the event
//! store's head: lag in events and in seconds, state, parked events.

use crate::cli::{ProjectionsNameArgs, ProjectionsRebuildArgs, ProjectionsStatusArgs, RebuildPriority};
use crate::error::CliError;
use chrono::{DateTime, Utc};
use events::Position;
use infra::EventStore;
use projectors::rebuild::Rebuild;
use projectors::{all_projections, Projection, ReadStore};
use serde::Serialize;
use std::io::Write;
use std::sync::Arc;

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

pub(crate) fn named(name: &str) -> Result<std::sync::Arc<dyn projectors::Projection>, CliError> {
    all_projections().into_iter().find(|p| p.name() == name).ok_or_else(|| CliError::UnknownProjection(name.to_owned()))
}

/// `folio projections rebuild <name>...`: each next version is built beside the live one, each
/// from its own read of its event types (concurrently), with a progress bar each (rate, ETA);
/// each is switched in as soon as it has caught up, one switch at a time.
pub async fn rebuild(args: ProjectionsRebuildArgs) -> Result<(), CliError> {
    let projections: Vec<Arc<dyn Projection>> = if args.projections.iter().any(|p| p == "all") {
        all_projections()
    } else {
        let mut named_once = Vec::new();
        for name in &args.projections {
            if !named_once.iter().any(|p: &Arc<dyn Projection>| p.name() == name) {
                named_once.push(named(name)?);
            }
        }
        named_once
    };
    // Before the stores open: their PostgreSQL connections renice their backends as they connect.
    let priority = lower_priority(args.priority);
    let store = crate::store::open(&args.store).await?;
    let read = crate::read::open(&args.read, &args.store).await?;
    let config = projectors::RunnerConfig { batch_size: args.batch as usize, ..crate::read::runner_config(&args.read) };
    // Every lock before any next version is opened: a refusal leaves all of them as they were.
    let mut locks = Vec::with_capacity(projections.len());
    for projection in &projections {
        locks.push(projectors::rebuild::lock::acquire(&read, projection.name()).await?);
    }
    let mut rebuilds = Vec::with_capacity(projections.len());
    for (projection, lock) in projections.iter().zip(locks) {
        rebuilds
            .push(Rebuild::open_locked(lock, store.clone(), &read, projection.clone(), config, args.restart).await?);
    }
    let head = store.head().await?;
    let bars = indicatif::MultiProgress::new();
    let template = "{prefix:>10} {elapsed_precise} [{wide_bar}] {human_pos}/{human_len} events, {per_sec}, ETA {eta}";
    let started = std::time::Instant::now();
    // One switch at a time: a SQLite switch holds the live file's write lock for its whole copy,
    // longer than another switch would wait for it.
    let switching = Arc::new(tokio::sync::Mutex::new(()));
    let mut tasks = Vec::with_capacity(rebuilds.len());
    for mut rebuild in rebuilds {
        let bar = bars.add(indicatif::ProgressBar::new(head));
        if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
            bar.set_style(style.progress_chars("=> "));
        }
        bar.set_prefix(rebuild.projection().name());
        bar.set_position(rebuild.checkpoint());
        let (bars, switching, drop_old) = (bars.clone(), switching.clone(), args.drop_old);
        tasks.push(tokio::spawn(async move {
            let caught_up = rebuild
                .catch_up(50_000, |at, head| {
                    bar.set_length(head);
                    bar.set_position(at);
                })
                .await;
            bar.finish();
            caught_up?;
            rebuild.finish_bulk_work().await?;
            let built_after = started.elapsed();
            let name = rebuild.projection().name();
            let _turn = switching.lock().await;
            let switch_started = std::time::Instant::now();
            let switched = rebuild.switch(drop_old).await?;
            let mut line = format!(
                "rebuilt {name} to position {} and switched it in ({:.1} s since the start: built in {:.1} s, \
                 switched in {:.1} s)",
                switched.position,
                started.elapsed().as_secs_f64(),
                built_after.as_secs_f64(),
                switch_started.elapsed().as_secs_f64()
            );
            if let Some(old) = switched.old {
                line.push_str(&format!(
                    "\nthe previous version is in schema {old} (drop it with: DROP SCHEMA {old} CASCADE)"
                ));
            }
            // On stdout, as before, with the bars of the rebuilds still running lifted meanwhile.
            bars.suspend(|| {
                let _ = writeln!(std::io::stdout().lock(), "{line}");
            });
            Ok::<_, projectors::RunnerError>(())
        }));
    }
    // Every task is awaited, so one projection's failure leaves the others to finish (and
    // switch); the first failure is then reported.
    let mut failed = None;
    for task in tasks {
        let outcome = task.await.map_err(|e| CliError::Output(format!("a rebuild task failed: {e}")));
        if let Err(error) = outcome.and_then(|done| done.map_err(CliError::from)) {
            let _ = writeln!(std::io::stderr().lock(), "a rebuild failed: {error}");
            failed.get_or_insert(error);
        }
    }
    let _ = bars.clear();
    if let Some(line) = priority.map(|(lowering, process)| describe_priority(&lowering, &process)) {
        let _ = writeln!(std::io::stdout().lock(), "{line}");
    }
    if let Some(error) = failed {
        read.close().await;
        return Err(error);
    }
    read.close().await;
    Ok(())
}

/// Lowers the priority of this process and of the PostgreSQL backends it connects to from now
/// on (see `infra::priority`); the lowering and its outcome for this process, or `None` at
/// normal priority.
fn lower_priority(priority: RebuildPriority) -> Option<(infra::priority::Lowering, Result<usize, String>)> {
    match priority {
        RebuildPriority::Normal => None,
        RebuildPriority::Low => {
            let lowering = infra::priority::Lowering::yielding_one_cpu();
            infra::priority::lower_backends(lowering);
            Some((lowering, infra::priority::lower_this_process(&lowering).map_err(|e| e.to_string())))
        }
    }
}

/// One line on what ran at low priority: this process, and how many PostgreSQL backends.
fn describe_priority(lowering: &infra::priority::Lowering, process: &Result<usize, String>) -> String {
    let nice = lowering.nice;
    let how = match lowering.cpus {
        Some(_) => format!("nice {nice}, one CPU left to the site"),
        None => format!("nice {nice}; no CPU set aside for the site: a single CPU, or its CPUs unknown"),
    };
    let mut line = match process {
        Ok(_) => format!("ran at low CPU priority ({how}): this process"),
        Err(e) => format!("this process could not lower its CPU priority ({e})"),
    };
    let backends = infra::priority::backends();
    if backends.lowered + backends.left > 0 {
        line.push_str(&format!("; {} of {} PostgreSQL backends", backends.lowered, backends.lowered + backends.left));
        if let Some(reason) = backends.first_reason {
            line.push_str(&format!(" (left as they were: {reason})"));
        }
    }
    line
}

/// `folio projections reset <name>`.
pub async fn reset(args: ProjectionsNameArgs) -> Result<(), CliError> {
    let projection = named(&args.projection)?;
    let read = crate::read::open(&args.read, &args.store).await?;
    projectors::rebuild::reset::reset(&read, projection.as_ref()).await?;
    read.close().await;
    let _ =
        writeln!(std::io::stdout().lock(), "reset {}: it applies the log again from the first event", args.projection);
    Ok(())
}

/// `folio projections replay-parked <name>`.
pub async fn replay_parked(args: ProjectionsNameArgs) -> Result<(), CliError> {
    let projection = named(&args.projection)?;
    let store = crate::store::open(&args.store).await?;
    let read = crate::read::open(&args.read, &args.store).await?;
    let report = projectors::rebuild::reset::replay_parked(store.as_ref(), &read, projection.as_ref()).await?;
    read.close().await;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "applied {} parked events; {} still parked", report.applied, report.still_parked.len());
    for parked in &report.still_parked {
        let _ = writeln!(out, "  position {} ({}): {}", parked.position, parked.event_type, parked.error);
    }
    Ok(())
}
