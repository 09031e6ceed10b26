//! Keys on SQLite: a statement or two per changed key.

use super::plan::KeyRow;
use crate::time::micros;
use sqlx::{Sqlite, Transaction};
use std::collections::BTreeMap;
use uuid::Uuid;

pub async fn write(tx: &mut Transaction<'static, Sqlite>, rows: &BTreeMap<Uuid, KeyRow>) -> Result<(), sqlx::Error> {
    for (key_id, row) in rows {
        if let Some(issued) = &row.issued {
            // `revoked` and `revoked_at` are left alone: an issue never clears a revocation.
            sqlx::query(
                "INSERT INTO api_keys (key_id, role, secret_sha256, label, issued_at, position) \
                 VALUES ($1, $2, $3, $4, $5, $6) \
                 ON CONFLICT (key_id) DO UPDATE SET role = excluded.role, \
                   secret_sha256 = excluded.secret_sha256, label = excluded.label, \
                   issued_at = excluded.issued_at, position = max(position, excluded.position)",
            )
            .bind(key_id)
            .bind(issued.role)
            .bind(&issued.secret_sha256)
            .bind(&issued.label)
            .bind(micros(issued.issued_at))
            .bind(row.position)
            .execute(&mut **tx)
            .await?;
        }
        if let Some(revoked_at) = row.revoked_at {
            // Inserts the revoked marker when the key was never issued (see the module's rules).
            sqlx::query(
                "INSERT INTO api_keys (key_id, role, secret_sha256, revoked, revoked_at, position) \
                 VALUES ($1, '', '', 1, $2, $3) \
                 ON CONFLICT (key_id) DO UPDATE SET revoked = 1, \
                   revoked_at = COALESCE(revoked_at, excluded.revoked_at), \
                   position = max(position, excluded.position)",
            )
            .bind(key_id)
            .bind(micros(revoked_at))
            .bind(row.position)
            .execute(&mut **tx)
            .await?;
        }
    }
    Ok(())
}
