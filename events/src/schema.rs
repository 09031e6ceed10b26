//! Content type definitions as events carry them. Checking content against a definition and
//! checking that a revision is compatible belong to the command side; this is the shape.

use crate::names::{FieldName, TypeName};
use serde::{Deserialize, Serialize};

/// A content type: its fields, in display order, and the field its slug is made from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TypeDefinition {
    pub fields: Vec<FieldDefinition>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub slug_from: Option<FieldName>,
}

/// One field. `kind` and its kind-specific options are flattened into the same JSON object:
/// `{"name": "author", "kind": "reference", "target": "author", "filterable": true}`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct FieldDefinition {
    pub name: FieldName,
    #[serde(flatten)]
    pub kind: FieldKind,
    #[serde(default)]
    pub required: bool,
    #[serde(default)]
    pub filterable: bool,
    #[serde(default)]
    pub sortable: bool,
    /// Whether list entries carry the field. `false` keeps a long field (an article's body) out
    /// of the card every list shows, so lists read and send less; detail, and a list whose
    /// `fields=` names the field, still have it. Absent means `true`, and `true` is not written,
    /// so definitions recorded before the flag existed read back unchanged.
    #[serde(default = "listed_by_default", skip_serializing_if = "is_listed_by_default")]
    pub listed: bool,
}

fn listed_by_default() -> bool {
    true
}

#[allow(clippy::trivially_copy_pass_by_ref)] // serde's skip_serializing_if passes a reference
fn is_listed_by_default(listed: &bool) -> bool {
    *listed
}

/// The kind of value a field holds, with the options that only make sense for that kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum FieldKind {
    String {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_length: Option<u32>,
    },
    Text {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_length: Option<u32>,
    },
    RichText {
        #[serde(default, skip_serializing_if = "Option::is_none")]
        max_length: Option<u32>,
    },
    Integer,
    Number,
    Boolean,
    Datetime,
    Enum {
        values: Vec<String>,
    },
    Json,
    Media,
    /// Many-to-one: holds one id of `target`.
    Reference {
        target: TypeName,
    },
    /// Many-to-many, ordered: holds a list of ids of `target`.
    References {
        target: TypeName,
    },
    /// A tree: holds the id of the parent item of the same type.
    Parent,
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn listed_defaults_to_true_and_only_false_is_written() {
        let recorded =
            json!({"name": "body", "kind": "text", "required": false, "filterable": false, "sortable": false});
        let field: FieldDefinition = serde_json::from_value(recorded.clone()).unwrap();
        assert!(field.listed, "a definition recorded before the flag lists every field");
        assert_eq!(serde_json::to_value(&field).unwrap(), recorded, "and reads back unchanged");
        let unlisted = json!({"name": "body", "kind": "text", "required": false, "filterable": false, "sortable": false, "listed": false});
        let field: FieldDefinition = serde_json::from_value(unlisted.clone()).unwrap();
        assert!(!field.listed);
        assert_eq!(serde_json::to_value(&field).unwrap(), unlisted);
    }
}
