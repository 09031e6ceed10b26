//! `folio keys create --role R`: issues a key straight into the event store, as the first admin
//! key must be (there is no key yet to call the API with). Prints the key once.

use crate::cli::KeysCreateArgs;
use crate::error::CliError;
use command_api::http::ApiError;
use events::payloads::Role;
use events::{EventId, ExpectedVersion, Metadata};
use std::io::Write;

pub async fn create(args: KeysCreateArgs) -> Result<(), CliError> {
    let role = Role::parse(&args.role).ok_or_else(|| CliError::UnknownRole(args.role.clone()))?;
    let store = crate::store::open(&args.store).await?;
    let key_id = uuid::Uuid::now_v7();
    let random = command_api::http::random_secret().map_err(CliError::Key)?;
    let (event, key) = command_api::keys::issue(key_id, role, args.label.clone(), random);
    let stream = command_api::keys::stream(key_id).map_err(|e| CliError::Key(ApiError::StreamId(e)))?;
    let metadata = Metadata { actor: Some("cli:folio keys create".into()), ..Metadata::default() };
    let new_event = event.to_new_event(EventId::now_v7(), metadata).map_err(|e| CliError::Key(ApiError::Encode(e)))?;
    store.append(stream, ExpectedVersion::NoStream, vec![new_event]).await?;
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "Created {role} key {key_id}. It is shown only now; keep it secret.");
    let _ = writeln!(out, "Key: {key}");
    Ok(())
}
