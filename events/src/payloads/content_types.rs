use crate::names::TypeName;
use crate::schema::TypeDefinition;
use serde::{Deserialize, Serialize};

/// A content type came into being with this definition.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentTypeDefined {
    pub type_name: TypeName,
    pub definition: TypeDefinition,
}

/// A content type's definition was replaced by a compatible one (the whole new definition).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ContentTypeRevised {
    pub type_name: TypeName,
    pub definition: TypeDefinition,
}
