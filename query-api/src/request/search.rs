//! Full-text search input. The words are cut out here, the same way for both profiles, so the
//! database only ever sees plain alphanumeric words: PostgreSQL gets `w1 & w2` for
//! `to_tsquery('simple', ..)`, SQLite FTS5 gets `"w1" "w2"`. Every word must match (AND); no
//! stemming on either side.

use crate::error::BadInput;

pub const MAX_WORDS: usize = 16;

/// The lowercase words of a search, in order, without repeats.
pub fn words(q: &str) -> Result<Vec<String>, BadInput> {
    let mut words: Vec<String> = Vec::new();
    for word in q.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
        // Lowercasing may add marks (e.g. a dotted capital I); keep letters and digits only.
        let word: String = word.to_lowercase().chars().filter(|c| c.is_alphanumeric()).collect();
        if !word.is_empty() && !words.contains(&word) {
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

pub fn postgres_query(words: &[String]) -> String {
    words.join(" & ")
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
