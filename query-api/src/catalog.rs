//! Content type definitions, read from the `content_types` read model and remembered until a
//! change notice names the type.

use crate::db::ReadDb;
use crate::error::QueryError;
use crate::sql::lookups;
use crate::state::Freshness;
use events::schema::TypeDefinition;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

#[derive(Debug, Default)]
pub struct Catalog {
    types: Mutex<HashMap<String, Arc<TypeDefinition>>>,
    generation: AtomicU64,
}

impl Catalog {
    /// Forgets `names` (all types when None).
    pub fn forget<'a>(&self, names: Option<impl Iterator<Item = &'a String>>) {
        self.generation.fetch_add(1, Ordering::AcqRel);
        let mut types = self.types.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        match names {
            Some(names) => names.for_each(|n| drop(types.remove(n))),
            None => types.clear(),
        }
    }

    /// The definition of `name`; [`QueryError::UnknownType`] when there is none.
    pub async fn get(&self, db: &ReadDb, name: &str) -> Result<Arc<TypeDefinition>, QueryError> {
        self.lookup(db, name, Freshness::Notified).await
    }

    /// [`Catalog::get`] for a read of the given freshness. A
    /// [`Freshness::Committed`] read asks the database: the notice that would have dropped a
    /// remembered, older definition may not have arrived yet.
    pub async fn lookup(
        &self,
        db: &ReadDb,
        name: &str,
        freshness: Freshness,
    ) -> Result<Arc<TypeDefinition>, QueryError> {
        if freshness == Freshness::Notified {
            if let Some(found) = self.types.lock().unwrap_or_else(std::sync::PoisonError::into_inner).get(name) {
                return Ok(found.clone());
            }
        }
        let generation = self.generation.load(Ordering::Acquire);
        let rows = db.fetch(&lookups::type_definition(db.dialect(), name)).await?;
        let row = rows.first().ok_or_else(|| QueryError::UnknownType(name.to_owned()))?;
        let definition: TypeDefinition = serde_json::from_str(&row.text(0)?)
            .map_err(|e| QueryError::Corrupt(format!("content_types.definition of {name}: {e}")))?;
        let definition = Arc::new(definition);
        let mut types = self.types.lock().unwrap_or_else(std::sync::PoisonError::into_inner);
        if self.generation.load(Ordering::Acquire) == generation {
            types.insert(name.to_owned(), definition.clone());
        }
        Ok(definition)
    }
}
