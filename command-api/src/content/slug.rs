//! Slugs from titles: transliterated to ASCII (deunicode: "Grüße" becomes "grusse"), lowercase
//! letters and digits, every other run of characters one '-', at most 200 characters.

use events::Slug;

pub fn slugify(text: &str) -> Option<Slug> {
    let ascii = deunicode::deunicode(text);
    let mut slug = String::with_capacity(ascii.len().min(200));
    let mut pending_dash = false;
    for c in ascii.chars() {
        if c.is_ascii_alphanumeric() {
            if pending_dash && !slug.is_empty() {
                slug.push('-');
            }
            pending_dash = false;
            slug.push(c.to_ascii_lowercase());
        } else {
            pending_dash = true;
        }
        if slug.len() >= 200 {
            break;
        }
    }
    if slug.len() > 200 {
        slug.truncate(200);
    }
    let slug = slug.trim_end_matches('-');
    Slug::parse(slug).ok()
}

#[cfg(test)]
mod tests {
    use super::slugify;

    fn s(text: &str) -> Option<String> {
        slugify(text).map(String::from)
    }

    #[test]
    fn titles_become_slugs() {
        assert_eq!(s("Hello, Folio!"), Some("hello-folio".into()));
        assert_eq!(s("  Article 12345 "), Some("article-12345".into()));
        assert_eq!(s("Rust & CQRS -- a primer"), Some("rust-cqrs-a-primer".into()));
        assert_eq!(s("Grüße aus Köln"), Some("grusse-aus-koln".into()));
        assert_eq!(s("Ελληνικά"), Some("ellenika".into()));
        assert_eq!(s("--- ... ---"), None);
        assert_eq!(s(""), None);
    }

    #[test]
    fn long_titles_are_cut_to_a_valid_slug() {
        let slug = s(&"word ".repeat(100)).unwrap();
        assert!(slug.len() <= 200);
        assert!(!slug.ends_with('-'));
    }
}
