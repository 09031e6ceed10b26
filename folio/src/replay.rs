//! `folio replay --projection <name> --from <position> [--to <position>]`.

use crate::cli::ReplayArgs;
use crate::error::CliError;
use projectors::Notifier;
use std::io::Write;

pub async fn run(args: ReplayArgs) -> Result<(), CliError> {
    let projection = crate::projections::named(&args.projection)?;
    let store = crate::store::open(&args.store).await?;
    let read = crate::read::open(&args.read, &args.store).await?;
    let bar = indicatif::ProgressBar::new(0);
    let template = "{elapsed_precise} [{wide_bar}] position {human_pos}/{human_len}, {per_sec}, ETA {eta}";
    if let Ok(style) = indicatif::ProgressStyle::with_template(template) {
        bar.set_style(style.progress_chars("=> "));
    }
    let report = projectors::replay::replay(
        store.as_ref(),
        &read,
        projection.as_ref(),
        args.from,
        args.to,
        args.batch as usize,
        |at, checkpoint| {
            bar.set_length(checkpoint);
            bar.set_position(at);
        },
    )
    .await?;
    bar.finish_and_clear();
    read.close().await;
    let mut out = std::io::stdout().lock();
    if args.from > report.to {
        let _ = writeln!(
            out,
            "nothing to replay: {} has applied the log up to {} (the live projector applies what follows)",
            args.projection, report.checkpoint
        );
        return Ok(());
    }
    let _ = writeln!(
        out,
        "replayed {} positions {}..={}: {} events about {} subjects; their rows were recomputed from {} events of their history (checkpoint {} unchanged)",
        args.projection, report.from, report.to, report.in_range, report.subjects, report.reapplied, report.checkpoint
    );
    drop(out);
    let notice = projectors::notices::notice_of(projection.name(), report.checkpoint, report.applied);
    match &args.nats_url {
        Some(url) => {
            let client = crate::read::connect_nats(url).await?;
            Notifier::Nats(client.clone()).announce(notice).await;
            let _ = client.flush().await;
        }
        None => {
            let _ = writeln!(
                std::io::stdout().lock(),
                "no --nats-url: a running query API keeps cached pages of these rows until their next change (or its restart)"
            );
        }
    }
    Ok(())
}
