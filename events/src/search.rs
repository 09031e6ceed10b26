//! The words of full-text search, cut the same way where documents are indexed (the content
//! projection) and where searches are read (the query API), so that PostgreSQL and SQLite only
//! ever compare words Folio cut: runs of letters and digits, lowercased.

/// The words of `text`, in order, repeats included.
pub fn words(text: &str) -> impl Iterator<Item = String> + '_ {
    text.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()).filter_map(|word| {
        // Lowercasing may add marks (e.g. a dotted capital I); keep letters and digits only.
        let word: String = word.to_lowercase().chars().filter(|c| c.is_alphanumeric()).collect();
        (!word.is_empty()).then_some(word)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn runs_of_letters_and_digits_lowercased() {
        let cut: Vec<String> = words("Rust, async-await & \"SQL\" rust 2024 Ünïcode İ").collect();
        assert_eq!(cut, vec!["rust", "async", "await", "sql", "rust", "2024", "ünïcode", "i"]);
        assert_eq!(words(" -- ''\\ ").count(), 0);
    }
}
