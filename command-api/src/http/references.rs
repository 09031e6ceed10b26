//! Resolving an item's references before its events are appended: each must name an existing,
//! non-archived item of the target type, and a tree parent must not make the tree a loop.

use super::content::{definition, load};
use super::ApiError;
use crate::content::{self, creates_cycle, ContentState, Reference};
use crate::violation::Violation;
use events::payloads::ContentId;
use events::schema::FieldKind;
use events::TypeName;
use infra::EventStore;
use serde_json::Value;
use uuid::Uuid;

/// Deepest tree walked when checking a parent for cycles.
const MAX_TREE_DEPTH: usize = 256;

/// Every reference must name an existing, non-archived item of its target type; a parent must
/// not make the tree a loop.
pub(super) async fn resolve(store: &dyn EventStore, references: &[Reference], item: ContentId) -> Result<(), ApiError> {
    let mut violations = Vec::new();
    for reference in references {
        let target = load(store, reference.id).await?.state;
        let ok = target.content_type.as_ref() == Some(&reference.target) && target.status != content::Status::Archived;
        if !ok {
            violations.push(Violation::new(
                &reference.path,
                "unknown_reference",
                format!("no live {} item {}", reference.target, reference.id),
            ));
        } else if reference.is_parent {
            let ancestors = ancestors(store, reference.id, &reference.target).await?;
            if creates_cycle(item, reference.id, &ancestors) {
                violations.push(Violation::new(
                    &reference.path,
                    "parent_cycle",
                    "this parent would make the tree a loop",
                ));
            }
        }
    }
    if violations.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Invalid(violations))
    }
}

/// Parent, grandparent, ... of `start` (not `start` itself), up to the depth limit. Every item of
/// a tree has the same type, so its parent field is looked up once.
async fn ancestors(store: &dyn EventStore, start: ContentId, tree: &TypeName) -> Result<Vec<ContentId>, ApiError> {
    let definition = definition(store, tree).await?;
    let Some(field) = definition.fields.iter().find(|f| matches!(f.kind, FieldKind::Parent)) else {
        return Ok(Vec::new());
    };
    let mut chain = Vec::new();
    let mut current = start;
    while chain.len() < MAX_TREE_DEPTH {
        let state = load(store, current).await?.state;
        let Some(parent) = parent_of(&state, field.name.as_str()) else { break };
        let looped = chain.contains(&parent) || parent == start;
        chain.push(parent);
        if looped {
            break;
        }
        current = parent;
    }
    Ok(chain)
}

/// The item's parent, if its parent field is set.
fn parent_of(state: &ContentState, field: &str) -> Option<ContentId> {
    state.fields.get(field).and_then(Value::as_str).and_then(|v| Uuid::try_parse(v).ok()).map(ContentId)
}
