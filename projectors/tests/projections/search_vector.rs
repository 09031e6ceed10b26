//! The search vector the content projection builds for PostgreSQL equals what PostgreSQL's own
//! `to_tsvector('simple', ..)` makes of the same title and body, wherever its text parser and
//! Folio's word cutting agree (letters and digits separated by spaces and punctuation).

use crate::fixture::Fixture;
use projectors::content::search_vector::tsvector_text;
use projectors::ReadStore;

const CASES: &[(&str, &str)] = &[
    ("Hello World", "hello, again: WORLD 42"),
    ("Article 7", "Article 7. lorem ipsum dolor sit amet lorem; consectetur (adipiscing) elit 2024"),
    ("", "only a body, with a repeated body word body"),
    ("Title only", ""),
    ("Café au lait", "Crème brûlée and café"),
];

pub async fn the_search_vector_equals_postgres_own_for_plain_text(f: &Fixture) {
    let ReadStore::Postgres(pool) = &f.read else { panic!("a PostgreSQL fixture") };
    for (title, body) in CASES {
        let (ours, theirs): (String, String) = sqlx::query_as(
            "SELECT $1::tsvector::text, \
             (setweight(to_tsvector('simple', $2), 'A') || setweight(to_tsvector('simple', $3), 'B'))::text",
        )
        .bind(tsvector_text(title, body))
        .bind(title)
        .bind(body)
        .fetch_one(pool)
        .await
        .unwrap();
        assert_eq!(ours, theirs, "title {title:?}, body {body:?}");
    }
}
