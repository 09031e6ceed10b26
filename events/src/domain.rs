//! The closed set of Folio's events and their stored form (event type, schema version, JSON).

use crate::envelope::{EventId, Metadata, NewEvent, RecordedEvent};
use crate::payloads::{
    ApiKeyIssued, ApiKeyRevoked, CommentEdited, CommentPosted, CommentRemoved, ContentCreated, ContentPublished,
    ContentRef, ContentRevised, ContentScheduled, ContentTypeDefined, ContentTypeRevised, Engagement,
    IdempotentRequestRecorded, Share, SlugClaimed, SlugReleased,
};
use crate::upcast::{upcast, Upcaster, UPCASTERS};
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Why a stored event could not become a [`DomainEvent`].
#[derive(Debug, thiserror::Error)]
pub enum DecodeError {
    #[error("unknown event type {0:?}")]
    UnknownEventType(String),
    #[error("{event_type} was stored with schema version {stored}, newer than this build's {current}")]
    FutureSchemaVersion { event_type: String, stored: u16, current: u16 },
    #[error("no upcaster for {event_type} from schema version {from}")]
    MissingUpcaster { event_type: String, from: u16 },
    #[error("upcasting {event_type} from schema version {from} failed: {reason}")]
    Upcast { event_type: String, from: u16, reason: String },
    #[error("{event_type} payload does not match its schema: {source}")]
    Payload { event_type: String, source: serde_json::Error },
}

/// An event as the store keeps it, before it has an id and a place in the log.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct StoredForm {
    pub event_type: String,
    pub schema_version: u16,
    pub data: Value,
}

macro_rules! domain_events {
    ($($(#[$doc:meta])* $variant:ident($payload:ty) = version $version:literal,)*) => {
        /// Every event Folio records. Event types are the variant names; each has a schema version.
        #[derive(Debug, Clone, PartialEq)]
        pub enum DomainEvent {
            $($(#[$doc])* $variant($payload),)*
        }

        impl DomainEvent {
            /// Every event type with its current schema version.
            pub const TYPES: &'static [(&'static str, u16)] = &[$((stringify!($variant), $version),)*];

            pub fn event_type(&self) -> &'static str {
                match self {
                    $(Self::$variant(_) => stringify!($variant),)*
                }
            }

            pub fn schema_version(&self) -> u16 {
                match self {
                    $(Self::$variant(_) => $version,)*
                }
            }

            fn data(&self) -> Result<Value, serde_json::Error> {
                match self {
                    $(Self::$variant(payload) => serde_json::to_value(payload),)*
                }
            }

            fn decode_current(event_type: &str, data: Value) -> Result<Self, DecodeError> {
                let payload_error = |source| DecodeError::Payload { event_type: event_type.to_owned(), source };
                match event_type {
                    $(stringify!($variant) => serde_json::from_value(data).map(Self::$variant).map_err(payload_error),)*
                    other => Err(DecodeError::UnknownEventType(other.to_owned())),
                }
            }
        }
    };
}

domain_events! {
    ContentTypeDefined(ContentTypeDefined) = version 1,
    ContentTypeRevised(ContentTypeRevised) = version 1,
    ContentCreated(ContentCreated) = version 1,
    ContentRevised(ContentRevised) = version 1,
    ContentPublished(ContentPublished) = version 1,
    ContentUnpublished(ContentRef) = version 1,
    ContentScheduled(ContentScheduled) = version 1,
    ContentArchived(ContentRef) = version 1,
    SlugClaimed(SlugClaimed) = version 1,
    SlugReleased(SlugReleased) = version 1,
    CommentPosted(CommentPosted) = version 1,
    CommentEdited(CommentEdited) = version 1,
    CommentRemoved(CommentRemoved) = version 1,
    ContentViewed(Engagement) = version 1,
    ContentLiked(Engagement) = version 1,
    ContentUnliked(Engagement) = version 1,
    ContentShared(Share) = version 1,
    ContentBookmarked(Engagement) = version 1,
    ContentUnbookmarked(Engagement) = version 1,
    ApiKeyIssued(ApiKeyIssued) = version 1,
    ApiKeyRevoked(ApiKeyRevoked) = version 1,
    IdempotentRequestRecorded(IdempotentRequestRecorded) = version 1,
}

impl DomainEvent {
    /// The current schema version of `event_type`, if it is one of ours.
    pub fn current_version(event_type: &str) -> Option<u16> {
        Self::TYPES.iter().find(|(name, _)| *name == event_type).map(|(_, v)| *v)
    }

    /// The form the store keeps. Fails only if a payload cannot be represented as JSON,
    /// which none of ours can; the error is still surfaced rather than hidden.
    pub fn to_stored(&self) -> Result<StoredForm, serde_json::Error> {
        Ok(StoredForm {
            event_type: self.event_type().to_owned(),
            schema_version: self.schema_version(),
            data: self.data()?,
        })
    }

    /// An append-ready event with the id and metadata the command brought.
    pub fn to_new_event(&self, event_id: EventId, metadata: Metadata) -> Result<NewEvent, serde_json::Error> {
        let stored = self.to_stored()?;
        Ok(NewEvent {
            event_id,
            event_type: stored.event_type,
            schema_version: stored.schema_version,
            data: stored.data,
            metadata,
        })
    }

    /// Reads a stored event of any known schema version, upcasting with the production chain.
    pub fn from_stored(event_type: &str, schema_version: u16, data: Value) -> Result<Self, DecodeError> {
        Self::from_stored_with(UPCASTERS, event_type, schema_version, data)
    }

    /// As [`Self::from_stored`], with an explicit upcaster chain.
    pub fn from_stored_with(
        chain: &[Upcaster],
        event_type: &str,
        schema_version: u16,
        data: Value,
    ) -> Result<Self, DecodeError> {
        let current =
            Self::current_version(event_type).ok_or_else(|| DecodeError::UnknownEventType(event_type.to_owned()))?;
        let data = upcast(chain, event_type, schema_version, current, data)?;
        Self::decode_current(event_type, data)
    }

    pub fn from_recorded(event: &RecordedEvent) -> Result<Self, DecodeError> {
        Self::from_stored(&event.event_type, event.schema_version, event.data.clone())
    }
}
