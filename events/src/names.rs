//! Value objects for the names that appear in events and stream ids.
//!
//! Each type can only be built through `parse` (or serde, which calls it), so holding one
//! proves the text follows its rule.

use serde::{Deserialize, Serialize};
use std::fmt;

/// Why a name was rejected. `kind` names the rule ("type name", "slug", ...).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("invalid {kind} {value:?}: {rule}")]
pub struct NameError {
    pub kind: &'static str,
    pub value: String,
    pub rule: &'static str,
}

fn is_identifier(s: &str) -> bool {
    let mut chars = s.chars();
    matches!(chars.next(), Some('a'..='z')) && chars.all(|c| matches!(c, 'a'..='z' | '0'..='9' | '_'))
}

/// Characters allowed in opaque ids that travel inside stream ids (uuids, user ids).
pub(crate) fn is_id_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | ':' | '@' | '-')
}

macro_rules! name_type {
    ($(#[$doc:meta])* $name:ident, $kind:literal, $rule:literal, $check:expr) => {
        $(#[$doc])*
        #[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
        #[serde(try_from = "String", into = "String")]
        pub struct $name(String);

        impl $name {
            pub fn parse(value: impl Into<String>) -> Result<Self, NameError> {
                let value = value.into();
                let check: fn(&str) -> bool = $check;
                if check(&value) {
                    Ok(Self(value))
                } else {
                    Err(NameError { kind: $kind, value, rule: $rule })
                }
            }

            pub fn as_str(&self) -> &str {
                &self.0
            }
        }

        impl TryFrom<String> for $name {
            type Error = NameError;
            fn try_from(value: String) -> Result<Self, NameError> {
                Self::parse(value)
            }
        }

        impl From<$name> for String {
            fn from(value: $name) -> String {
                value.0
            }
        }

        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

name_type!(
    /// A content type's name, e.g. `article`.
    TypeName,
    "type name",
    "1-64 characters: a lowercase letter, then lowercase letters, digits or '_'",
    |s| s.len() <= 64 && is_identifier(s)
);

name_type!(
    /// A field's name inside a content type, e.g. `published_on`.
    FieldName,
    "field name",
    "1-64 characters: a lowercase letter, then lowercase letters, digits or '_'",
    |s| s.len() <= 64 && is_identifier(s)
);

name_type!(
    /// The category of a stream: the part of a stream id before the first '-'.
    Category,
    "stream category",
    "1-64 characters: a lowercase letter, then lowercase letters, digits or '_'",
    |s| s.len() <= 64 && is_identifier(s)
);

name_type!(
    /// A site's user, as the site names it (engagement and comments are on their behalf).
    UserId,
    "user id",
    "1-128 characters among letters, digits and . _ : @ -",
    |s| !s.is_empty() && s.len() <= 128 && s.chars().all(is_id_char)
);

name_type!(
    /// A URL slug, unique per content type: lowercase words joined by single '-'.
    Slug,
    "slug",
    "1-200 characters: lowercase letters and digits in words joined by single '-'",
    |s| !s.is_empty()
        && s.len() <= 200
        && s.split('-').all(|w| !w.is_empty() && w.chars().all(|c| c.is_ascii_lowercase() || c.is_ascii_digit()))
);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn type_names_follow_the_identifier_rule() {
        assert!(TypeName::parse("article").is_ok());
        assert!(TypeName::parse("blog_post2").is_ok());
        for bad in ["", "Article", "2nd", "_x", "a-b", "a b", "é", &"a".repeat(65)] {
            let err = TypeName::parse(bad).unwrap_err();
            assert_eq!(err.kind, "type name");
        }
    }

    #[test]
    fn slugs_are_lowercase_words_joined_by_dashes() {
        assert!(Slug::parse("article-1").is_ok());
        for bad in ["", "-a", "a-", "a--b", "A", "a_b", "a b"] {
            assert!(Slug::parse(bad).is_err(), "{bad:?} should be rejected");
        }
    }

    #[test]
    fn user_ids_allow_emails_and_uuids_but_not_spaces() {
        assert!(UserId::parse("42").is_ok());
        assert!(UserId::parse("ada@example.com").is_ok());
        assert!(UserId::parse("0190a8e4-1c7e-7c1a-9a3e-1f2a3b4c5d6e").is_ok());
        assert!(UserId::parse("a b").is_err());
        assert!(UserId::parse("").is_err());
        assert!(UserId::parse("x".repeat(129)).is_err());
    }

    #[test]
    fn serde_goes_through_parse() {
        let ok: TypeName = serde_json::from_str("\"tag\"").unwrap();
        assert_eq!(ok.as_str(), "tag");
        assert!(serde_json::from_str::<TypeName>("\"Tag\"").is_err());
    }
}
