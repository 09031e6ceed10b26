//! What the content projection reads and writes, per backend (inside the runner's transaction).

use super::item::Item;
use super::render::Rendered;
use async_trait::async_trait;
use events::schema::TypeDefinition;
use std::collections::HashMap;
use uuid::Uuid;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TypeRow {
    pub name: String,
    pub definition: String,
    pub version: i64,
    pub position: i64,
}

#[async_trait]
pub trait ContentStore {
    /// Every content type's definition.
    async fn types(&mut self) -> Result<HashMap<String, TypeDefinition>, sqlx::Error>;
    /// The stored items among `ids` (unknown ids are left out).
    async fn items(&mut self, ids: &[Uuid]) -> Result<Vec<Item>, sqlx::Error>;
    /// The stored embeds among `ids`.
    async fn embeds(&mut self, ids: &[Uuid]) -> Result<Vec<(Uuid, String)>, sqlx::Error>;
    /// Items with a relation row to any of `targets` (any field, any depth).
    async fn referencers(&mut self, targets: &[Uuid]) -> Result<Vec<Uuid>, sqlx::Error>;
    async fn items_of_type(&mut self, type_name: &str) -> Result<Vec<Uuid>, sqlx::Error>;
    /// Upserts the types, then each item with its document, relation rows, values and search text.
    async fn write(&mut self, types: &[TypeRow], items: &[(Item, Rendered)]) -> Result<(), sqlx::Error>;
}

pub fn parse_definition(text: &str) -> Result<TypeDefinition, sqlx::Error> {
    serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

pub fn parse_fields(text: &str) -> Result<serde_json::Map<String, serde_json::Value>, sqlx::Error> {
    serde_json::from_str(text).map_err(|e| sqlx::Error::Decode(Box::new(e)))
}

/// An item's raw fields as stored: the JSON object's text.
pub fn fields_text(fields: &serde_json::Map<String, serde_json::Value>) -> String {
    // A map with string keys always serialises.
    serde_json::to_string(fields).unwrap_or_default()
}
