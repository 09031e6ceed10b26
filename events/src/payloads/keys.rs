use serde::{Deserialize, Serialize};
use std::fmt;
use uuid::Uuid;

/// What a key may do. Admin: types and keys. Editor: all content. Author: own content. Moderator:
/// comments. Site: engagement and comments on behalf of its users.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Editor,
    Author,
    Moderator,
    Site,
}

impl Role {
    pub const ALL: [Role; 5] = [Role::Admin, Role::Editor, Role::Author, Role::Moderator, Role::Site];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Admin => "admin",
            Role::Editor => "editor",
            Role::Author => "author",
            Role::Moderator => "moderator",
            Role::Site => "site",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Self::ALL.into_iter().find(|role| role.as_str() == text)
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// An API key was issued. Only the SHA-256 of its secret is kept; the key itself is shown once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyIssued {
    pub key_id: Uuid,
    pub role: Role,
    /// Lowercase hex SHA-256 of the secret part of the key.
    pub secret_sha256: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
}

/// An API key was revoked; it authenticates nothing from now on.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApiKeyRevoked {
    pub key_id: Uuid,
}
