//! Upcasting: events are stored in the schema version they were written with and become the
//! current version on read, one step at a time (v1 -> v2 -> v3 ...).
//!
//! Rules:
//! - a schema change that readers cannot absorb by serde defaults bumps the event type's
//!   version in [`crate::domain`] and adds one [`Upcaster`] from the old version to the next;
//! - upcasters are pure `Value -> Value` functions and never read anything else;
//! - a stored version newer than the code knows is an error, never guessed at.

use crate::domain::DecodeError;
use serde_json::Value;

/// One step: turns `event_type` data of `from_version` into `from_version + 1`.
#[derive(Debug, Clone, Copy)]
pub struct Upcaster {
    pub event_type: &'static str,
    pub from_version: u16,
    pub upcast: fn(Value) -> Result<Value, String>,
}

/// The production chain. Every event type is at schema version 1 today, so it is empty;
/// the mechanism is exercised by `tests/upcast.rs` with a chain of its own.
pub const UPCASTERS: &[Upcaster] = &[];

/// Brings `data` from `stored` to `current` through `chain`.
pub fn upcast(
    chain: &[Upcaster],
    event_type: &str,
    stored: u16,
    current: u16,
    mut data: Value,
) -> Result<Value, DecodeError> {
    if stored > current {
        return Err(DecodeError::FutureSchemaVersion { event_type: event_type.to_owned(), stored, current });
    }
    let mut version = stored;
    while version < current {
        let step = chain
            .iter()
            .find(|u| u.event_type == event_type && u.from_version == version)
            .ok_or_else(|| DecodeError::MissingUpcaster { event_type: event_type.to_owned(), from: version })?;
        data = (step.upcast)(data).map_err(|reason| DecodeError::Upcast {
            event_type: event_type.to_owned(),
            from: version,
            reason,
        })?;
        version += 1;
    }
    Ok(data)
}
