//! One broken rule, with the path of the offending input and a stable code. API layers turn a
//! list of these into a problem+json body; the codes are part of the public contract.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Violation {
    /// Where in the request, e.g. `fields.tags[2]` or `definition.fields[0].max_length`.
    pub path: String,
    /// Stable, documented, snake_case.
    pub code: &'static str,
    /// For humans.
    pub message: String,
}

impl Violation {
    pub fn new(path: impl Into<String>, code: &'static str, message: impl Into<String>) -> Self {
        Self { path: path.into(), code, message: message.into() }
    }
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {} ({})", self.path, self.message, self.code)
    }
}

/// `Ok(())` when nothing was violated, else every violation found.
pub fn verdict(violations: Vec<Violation>) -> Result<(), Vec<Violation>> {
    if violations.is_empty() {
        Ok(())
    } else {
        Err(violations)
    }
}
