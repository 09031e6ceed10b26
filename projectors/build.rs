//! `sqlx::migrate!` embeds the migrations at compile time, but cargo does not know it reads the
//! directory: without this, a migration added to an already-built crate is left out of the next
//! build, and that binary refuses a database the new migration was applied to.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
