//! Full-text search input. The words are cut out here ([`events::search::words`], as the content
//! projection cuts the documents' words), the same way for both profiles, so the database only
//! ever sees plain alphanumeric words: PostgreSQL gets the tsquery `'w1' & 'w2'` (no text parser
//! of its own in between), SQLite FTS5 gets `"w1" "w2"`. Every word must match (AND); no
//! stemming on either side.

use crate::error::BadInput;

pub const MAX_WORDS: usize = 16;

/// The lowercase words of a search, in order, without repeats.
pub fn words(q: &str) -> Result<Vec<String>, BadInput> {
    let mut words: Vec<String> = Vec::new();
    for word in events::search::words(q) {
        if !words.contains(&word) {
            words.push(word);
        }
    }
    if words.is_empty() {
        return Err(BadInput::new("invalid_search", "q", "the search has no words"));
    }
    if words.len() > MAX_WORDS {
        return Err(BadInput::new("invalid_search", "q", format!("at most {MAX_WORDS} words")));
    }
    Ok(words)
}

/// tsquery input text: each word quoted (words are letters and digits only, so the quotes need
/// no escaping), all of them required.
pub fn postgres_query(words: &[String]) -> String {
    words.iter().map(|w| format!("'{w}'")).collect::<Vec<_>>().join(" & ")
}

pub fn sqlite_query(words: &[String]) -> String {
    words.iter().map(|w| format!("\"{w}\"")).collect::<Vec<_>>().join(" ")
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn splits_on_anything_but_letters_and_digits() {
        assert_eq!(words("Rust, async-await & \"SQL\" rust").unwrap(), vec!["rust", "async", "await", "sql"]);
        assert_eq!(words(" -- ").unwrap_err().code, "invalid_search");
    }

    proptest! {
        #[test]
        fn words_never_carry_query_syntax(q in ".{0,200}") {
            if let Ok(words) = words(&q) {
                for w in &words {
                    prop_assert!(w.chars().all(char::is_alphanumeric), "{w:?}");
                }
            }
        }
    }
}
