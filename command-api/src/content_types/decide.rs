//! `PUT /v1/types/{type}`: define a new type, revise an existing one, or do nothing when the
//! definition is unchanged (so the PUT is idempotent).

use super::{check_definition, check_revision};
use crate::violation::Violation;
use events::payloads::{ContentTypeDefined, ContentTypeRevised};
use events::schema::TypeDefinition;
use events::{DomainEvent, TypeName};

/// A type's state, rebuilt from its stream: its current definition, if defined.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TypeState {
    pub definition: Option<TypeDefinition>,
}

/// Folds one event of a type's stream into its state. Events of other kinds leave it unchanged.
pub fn evolve(mut state: TypeState, event: &DomainEvent) -> TypeState {
    match event {
        DomainEvent::ContentTypeDefined(e) => state.definition = Some(e.definition.clone()),
        DomainEvent::ContentTypeRevised(e) => state.definition = Some(e.definition.clone()),
        DomainEvent::ContentCreated(_)
        | DomainEvent::ContentRevised(_)
        | DomainEvent::ContentPublished(_)
        | DomainEvent::ContentUnpublished(_)
        | DomainEvent::ContentScheduled(_)
        | DomainEvent::ContentArchived(_)
        | DomainEvent::SlugClaimed(_)
        | DomainEvent::SlugReleased(_)
        | DomainEvent::CommentPosted(_)
        | DomainEvent::CommentEdited(_)
        | DomainEvent::CommentRemoved(_)
        | DomainEvent::ContentViewed(_)
        | DomainEvent::ContentLiked(_)
        | DomainEvent::ContentUnliked(_)
        | DomainEvent::ContentShared(_)
        | DomainEvent::ContentBookmarked(_)
        | DomainEvent::ContentUnbookmarked(_)
        | DomainEvent::ApiKeyIssued(_)
        | DomainEvent::ApiKeyRevoked(_)
        | DomainEvent::IdempotentRequestRecorded(_) => {}
    }
    state
}

/// The event to append, `None` if the definition is unchanged, or every rule it breaks.
pub fn decide_define(
    name: &TypeName,
    definition: TypeDefinition,
    state: &TypeState,
    type_exists: &dyn Fn(&TypeName) -> bool,
) -> Result<Option<DomainEvent>, Vec<Violation>> {
    check_definition(name, &definition, type_exists)?;
    match &state.definition {
        None => Ok(Some(DomainEvent::ContentTypeDefined(ContentTypeDefined { type_name: name.clone(), definition }))),
        Some(current) if *current == definition => Ok(None),
        Some(current) => {
            check_revision(current, &definition)?;
            Ok(Some(DomainEvent::ContentTypeRevised(ContentTypeRevised { type_name: name.clone(), definition })))
        }
    }
}
