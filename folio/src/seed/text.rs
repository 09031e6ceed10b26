//! DATASET.md's text helpers: the 64-word vocabulary, sentences `S(s)`, and the article and
//! comment texts built from them. Every value is a formula of row numbers.

/// `W[0..63]`, in DATASET.md's order.
pub const WORDS: [&str; 64] = [
    "lorem",
    "ipsum",
    "dolor",
    "sit",
    "amet",
    "consectetur",
    "adipiscing",
    "elit",
    "sed",
    "do",
    "eiusmod",
    "tempor",
    "incididunt",
    "ut",
    "labore",
    "et",
    "dolore",
    "magna",
    "aliqua",
    "enim",
    "ad",
    "minim",
    "veniam",
    "quis",
    "nostrud",
    "exercitation",
    "ullamco",
    "laboris",
    "nisi",
    "aliquip",
    "ex",
    "ea",
    "commodo",
    "consequat",
    "duis",
    "aute",
    "irure",
    "in",
    "reprehenderit",
    "voluptate",
    "velit",
    "esse",
    "cillum",
    "fugiat",
    "nulla",
    "pariatur",
    "excepteur",
    "sint",
    "occaecat",
    "cupidatat",
    "non",
    "proident",
    "sunt",
    "culpa",
    "qui",
    "officia",
    "deserunt",
    "mollit",
    "anim",
    "id",
    "est",
    "laborum",
    "server",
    "cache",
];

/// The length of every summary.
pub const SUMMARY_LENGTH: usize = 200;

/// `S(s)`: the 16 words `W[(s*s*31 + s*i*17 + i*i*13 + i*7 + s) % 64]`, `i = 0..15`, joined by
/// single spaces, then `.`.
pub fn sentence(s: u64) -> String {
    let words: Vec<&str> =
        (0..16u64).map(|i| WORDS[((s * s * 31 + s * i * 17 + i * i * 13 + i * 7 + s) % 64) as usize]).collect();
    format!("{}.", words.join(" "))
}

/// The 256 sentences, computed once; every text below is built from them.
#[derive(Debug, Clone)]
pub struct Sentences(Vec<String>);

impl Default for Sentences {
    fn default() -> Self {
        Self((0..256).map(sentence).collect())
    }
}

impl Sentences {
    /// `S(s % 256)`.
    pub fn get(&self, s: u64) -> &str {
        self.0.get((s % 256) as usize).map_or("", String::as_str)
    }

    /// The first 200 characters of `'Article <id>: ' || S((id*31) % 256) || ' ' || S((id*31 + 1) % 256)`.
    pub fn summary(&self, id: u64) -> String {
        let mut text = format!("Article {id}: {} {}", self.get(id * 31), self.get(id * 31 + 1));
        text.truncate(SUMMARY_LENGTH);
        text
    }

    /// `'Article <id>. '` then `S((id*7919 + k*((id % 97) + 1)*31 + k*k*7) % 256)` for `k = 0..19`,
    /// joined by single spaces.
    pub fn body(&self, id: u64) -> String {
        let mut text = String::with_capacity(2560);
        text.push_str(&format!("Article {id}. "));
        for k in 0..20u64 {
            if k > 0 {
                text.push(' ');
            }
            text.push_str(self.get(id * 7919 + k * ((id % 97) + 1) * 31 + k * k * 7));
        }
        text
    }

    /// `'Comment <j> on article <a>: ' || S((a * 3 + j) % 256)`.
    pub fn comment(&self, article: u64, j: u64) -> String {
        format!("Comment {j} on article {article}: {}", self.get(article * 3 + j))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_match_the_check_values() {
        assert_eq!(
            sentence(0),
            "lorem ad dolor eiusmod nulla velit server excepteur deserunt nisi ullamco non irure occaecat veniam veniam."
        );
        assert_eq!(
            sentence(255),
            "ex consequat server culpa adipiscing cupidatat qui minim labore consequat labore minim qui cupidatat \
             adipiscing culpa."
        );
    }

    #[test]
    fn article_one_matches_the_check_values() {
        let s = Sentences::default();
        assert_eq!(
            s.summary(1),
            "Article 1: server consequat ex culpa reprehenderit cupidatat veniam minim excepteur consequat excepteur \
             minim veniam cupidatat reprehenderit culpa. commodo ad duis eiusmod incididunt velit ex excepteu"
        );
        let body = s.body(1);
        assert!(body.starts_with(
            "Article 1. excepteur consequat excepteur minim veniam cupidatat reprehenderit culpa ex consequat server \
             culpa adipiscing "
        ));
        assert_eq!(body.len(), 2462);
    }
}
