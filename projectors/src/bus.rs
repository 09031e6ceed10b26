//! The JetStream layout the relay writes and projectors read. Only features of nats-server 2.9
//! (Debian's) are used: one stream, one filter subject per consumer, Nats-Msg-Id de-duplication.

use async_nats::jetstream::{self, stream};
use std::time::Duration;

/// The stream every event is published to.
pub const STREAM: &str = "FOLIO_EVENTS";
/// Events go to `folio.events.<category>` (the stream id's category).
pub const SUBJECT_PREFIX: &str = "folio.events";

pub const HEADER_POSITION: &str = "Folio-Position";
pub const HEADER_EVENT_TYPE: &str = "Folio-Event-Type";
pub const HEADER_STREAM: &str = "Folio-Stream";
pub const HEADER_REQUEST_ID: &str = "Folio-Request-Id";

/// How long JetStream remembers message ids to drop re-published events.
pub const DUPLICATE_WINDOW: Duration = Duration::from_secs(120);

/// Creates the stream if it is missing (idempotent) and returns it.
pub async fn ensure_stream(context: &jetstream::Context) -> Result<stream::Stream, crate::feed::FeedError> {
    context
        .get_or_create_stream(stream::Config {
            name: STREAM.to_owned(),
            subjects: vec![format!("{SUBJECT_PREFIX}.>")],
            storage: stream::StorageType::File,
            duplicate_window: DUPLICATE_WINDOW,
            ..stream::Config::default()
        })
        .await
        .map_err(|e| crate::feed::FeedError::Nats(e.to_string()))
}

pub fn subject(category: &str) -> String {
    format!("{SUBJECT_PREFIX}.{category}")
}
