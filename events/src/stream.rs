//! Stream ids: `<category>-<id>`, e.g. `content-0190a8e4-...` or `type-article`.
//!
//! Rules: the category is an identifier (see [`Category`]); the id is 1-200 characters among
//! letters, digits and `. _ : @ -` (room for `<type>:<slug>`); split at its first '-'.

use crate::names::{is_id_char, Category, NameError};
use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a stream id was rejected.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StreamIdError {
    #[error("stream id {0:?} has no '-' between category and id")]
    MissingSeparator(String),
    #[error(transparent)]
    Category(#[from] NameError),
    #[error("stream id {value:?}: the id part must be 1-300 characters among letters, digits and . _ : @ -")]
    Id { value: String },
}

/// A validated stream id. Holds the full text; the category is its prefix.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct StreamId(String);

impl StreamId {
    pub fn parse(value: impl Into<String>) -> Result<Self, StreamIdError> {
        let value = value.into();
        let Some((category, id)) = value.split_once('-') else {
            return Err(StreamIdError::MissingSeparator(value));
        };
        Category::parse(category)?;
        if id.is_empty() || id.len() > 300 || !id.chars().all(is_id_char) {
            return Err(StreamIdError::Id { value });
        }
        Ok(Self(value))
    }

    /// Builds `<category>-<id>`; fails if `id` breaks the id rule.
    pub fn new(category: &Category, id: impl fmt::Display) -> Result<Self, StreamIdError> {
        Self::parse(format!("{category}-{id}"))
    }

    pub fn category(&self) -> &str {
        self.0.split_once('-').map_or("", |(category, _)| category)
    }

    /// The part after the category.
    pub fn id(&self) -> &str {
        self.0.split_once('-').map_or("", |(_, id)| id)
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for StreamId {
    type Error = StreamIdError;
    fn try_from(value: String) -> Result<Self, StreamIdError> {
        Self::parse(value)
    }
}

impl From<StreamId> for String {
    fn from(value: StreamId) -> String {
        value.0
    }
}

impl fmt::Display for StreamId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_at_the_first_dash() {
        let s = StreamId::parse("content-0190a8e4-1c7e-7c1a").unwrap();
        assert_eq!(s.category(), "content");
        assert_eq!(s.id(), "0190a8e4-1c7e-7c1a");
    }

    #[test]
    fn rejects_malformed_stream_ids_with_the_reason() {
        assert!(matches!(StreamId::parse("content"), Err(StreamIdError::MissingSeparator(_))));
        assert!(matches!(StreamId::parse("Content-1"), Err(StreamIdError::Category(_))));
        assert!(matches!(StreamId::parse("-1"), Err(StreamIdError::Category(_))));
        assert!(matches!(StreamId::parse("content-"), Err(StreamIdError::Id { .. })));
        assert!(matches!(StreamId::parse("content-a b"), Err(StreamIdError::Id { .. })));
        assert!(matches!(StreamId::parse("content-é"), Err(StreamIdError::Id { .. })));
        assert!(matches!(StreamId::parse(format!("c-{}", "x".repeat(301))), Err(StreamIdError::Id { .. })));
    }

    #[test]
    fn new_joins_category_and_id() {
        let category = Category::parse("type").unwrap();
        assert_eq!(StreamId::new(&category, "article").unwrap().as_str(), "type-article");
        assert!(StreamId::new(&category, "not ok").is_err());
    }
}
