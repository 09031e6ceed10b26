//! The main read shapes are index reads: EXPLAIN the statements the API runs and fail on a
//! full scan of a large table (PostgreSQL with sequential scans priced out; SQLite's plan).

use super::blog;
use crate::support::TestApp;
use query_api::plan::{self, Audience};
use query_api::request::cursor::{Cursor, KeyValue};
use query_api::request::params;
use query_api::sql::{batch, list, lookups, Arg, Planning};

const LARGE: [&str; 7] =
    ["content_items", "content_embeds", "content_refs", "content_values", "user_items", "comments", "item_counters"];

/// The large tables and the aliases the API's statements give them.
const SQLITE_TABLES: [&str; 15] = [
    "ci",
    "e",
    "d",
    "c",
    "r",
    "v",
    "cm",
    "u",
    "content_items",
    "content_embeds",
    "content_refs",
    "content_values",
    "user_items",
    "comments",
    "item_counters",
];

fn full_scans(lines: &[String]) -> Vec<String> {
    lines
        .iter()
        .filter(|line| {
            let postgres = line.contains("Seq Scan") && LARGE.iter().any(|t| line.contains(t));
            // SQLite: "SCAN ci" is a full scan of a table, "SCAN ci USING INDEX ..." walks an
            // index; scans of subqueries (p0, pages, m) read rows already limited.
            let scanned =
                line.trim_start().strip_prefix("SCAN ").map(|rest| rest.split_whitespace().next().unwrap_or(""));
            let sqlite = scanned.is_some_and(|name| SQLITE_TABLES.contains(&name))
                && !line.contains("USING INDEX")
                && !line.contains("USING COVERING INDEX")
                && !line.contains("USING PRIMARY KEY");
            postgres || sqlite
        })
        .cloned()
        .collect()
}

pub async fn the_main_read_shapes_never_scan_a_whole_table(app: &TestApp) {
    let blog = blog::write(app, 4, 1).await;
    let db = folio::query::read_db(app.read.as_ref().unwrap());
    let dialect = db.dialect();
    let definition = query_api::catalog::Catalog::default().get(&db, "article").await.unwrap();
    let plan_of = |query: &str, audience: Audience| {
        let params = params::parse_list(query).unwrap();
        plan::plan("article", &definition, audience, &params).unwrap()
    };
    let at = Cursor { key: KeyValue::Int(1_700_000_000_000_000), id: uuid::Uuid::now_v7() };
    let shapes = vec![
        ("list20 newest", list::page(dialect, &plan_of("", Audience::Public), None)),
        ("list20 at a cursor", list::page(dialect, &plan_of("", Audience::Public), Some(&at))),
        ("by tag", list::page(dialect, &plan_of(&format!("filter[tags]={}", blog.tags[0]), Audience::Public), None)),
        (
            "by tag at a cursor",
            list::page(dialect, &plan_of(&format!("filter[tags]={}", blog.tags[0]), Audience::Public), Some(&at)),
        ),
        (
            "by category subtree",
            list::page(dialect, &plan_of(&format!("filter[category]={}", blog.tech), Audience::Public), None),
        ),
        ("sorted by a field", list::page(dialect, &plan_of("sort=-rating", Audience::Public), None)),
        (
            "sorted by a field at a cursor",
            list::page(
                dialect,
                &plan_of("sort=rating", Audience::Public),
                Some(&Cursor { key: KeyValue::Num(3.0), id: uuid::Uuid::now_v7() }),
            ),
        ),
        (
            "filtered by a value",
            list::page(dialect, &plan_of("filter[section]=news&filter[rating][gte]=2", Audience::Public), None),
        ),
        ("editor list", list::page(dialect, &plan_of("", Audience::Editor), None)),
        (
            "detail by slug",
            lookups::detail(dialect, "article", &lookups::ItemRef::Slug("article-01".into()), &["published"]),
        ),
        (
            "detail by id",
            lookups::detail(
                dialect,
                "article",
                &lookups::ItemRef::Id(blog.published[0].parse().unwrap()),
                &["published"],
            ),
        ),
        ("comments", lookups::comments(dialect, "article", blog.published[0].parse().unwrap(), None, 21)),
        ("history", lookups::history(dialect, "42", None, &["published"], 21)),
        (
            "history at a cursor",
            lookups::history(dialect, "42", Some((1_700_000_000_000_000, uuid::Uuid::now_v7())), &["published"], 21),
        ),
        ("user state", lookups::state(dialect, "42", &[uuid::Uuid::now_v7(), uuid::Uuid::now_v7()])),
    ];
    // PostgreSQL plans once what is one index range whatever the values (and `explain` shows
    // that generic plan); filters and sorts by a field are planned for their values.
    let per_values: Vec<&str> =
        shapes.iter().filter(|(_, sql)| sql.planning == Planning::PerValues).map(|(shape, _)| *shape).collect();
    assert_eq!(per_values, ["sorted by a field", "sorted by a field at a cursor", "filtered by a value"]);
    for (shape, sql) in shapes {
        let lines = db.explain(&sql).await.unwrap();
        if dialect == query_api::sql::Dialect::Postgres && sql.planning == Planning::Generic {
            // A generic plan keeps the parameters ($1...) where a custom one shows the values.
            assert!(lines.iter().any(|l| l.contains("$1")), "{shape}: not its generic plan:\n{}", lines.join("\n"));
            // Gathered with another read whose every value differs, it is still index reads,
            // run once per read in a nested loop.
            let other = other_values(&sql.args);
            let gathered = batch::batched(&sql, &[&sql.args, &other]);
            let plan = db.explain(&gathered).await.unwrap();
            assert!(full_scans(&plan).is_empty(), "{shape} gathered scans a whole table:\n{}", plan.join("\n"));
            assert!(plan.iter().any(|l| l.contains("Nested Loop")), "{shape} gathered:\n{}", plan.join("\n"));
        }
        assert!(full_scans(&lines).is_empty(), "{shape} scans a whole table:\n{}\n{}", sql.text, lines.join("\n"));
    }
    // A slug names at most one item: the slug index, not a walk of the type's published items.
    // (SQLite, which plans without statistics, once took (type, status) here and scanned the
    // whole type; PostgreSQL picks by cost, and on these few rows either index is as cheap.)
    let by_slug = db
        .explain(&lookups::detail(dialect, "article", &lookups::ItemRef::Slug("article-01".into()), &["published"]))
        .await
        .unwrap();
    if dialect == query_api::sql::Dialect::Sqlite {
        assert!(by_slug.iter().any(|l| l.contains("content_items_slug_idx")), "{}", by_slug.join("\n"));
    }
    // By tag, the relation's side of the page is the index alone (it holds the type asked for).
    // (PostgreSQL's choice of an index-only scan depends on its visibility map; SQLite's is fixed.)
    // On PostgreSQL the refs rows carry the cards: content_items is not read at all.
    let by_tag = db
        .explain(&list::page(dialect, &plan_of(&format!("filter[tags]={}", blog.tags[0]), Audience::Public), None))
        .await
        .unwrap();
    if dialect == query_api::sql::Dialect::Sqlite {
        assert!(
            by_tag.iter().any(|l| l.contains("USING COVERING INDEX content_refs_target_idx")),
            "{}",
            by_tag.join("\n")
        );
    } else {
        assert!(!by_tag.iter().any(|l| l.contains("content_items")), "{}", by_tag.join("\n"));
        assert!(by_tag.iter().any(|l| l.contains("content_refs_target_idx")), "{}", by_tag.join("\n"));
    }
    // Counters are looked up only for pages that show them (SQLite names item_counters `c`).
    for (query, shown) in [("", true), ("fields=title,views", true), ("fields=title,slug", false)] {
        for relation in [String::new(), format!("filter[tags]={}", blog.tags[0])] {
            let query =
                [relation.as_str(), query].iter().filter(|p| !p.is_empty()).copied().collect::<Vec<_>>().join("&");
            let lines = db.explain(&list::page(dialect, &plan_of(&query, Audience::Public), None)).await.unwrap();
            let counted = lines.iter().any(|l| l.contains("item_counters") || l.trim_start().starts_with("SEARCH c "));
            assert_eq!(counted, shown, "{query}:\n{}", lines.join("\n"));
        }
    }
    // A history page is the history index alone (it carries each row's views, like and
    // bookmark) and one lookup per item in the narrow content_embeds, never content_items.
    let history = db.explain(&lookups::history(dialect, "42", None, &["published"], 21)).await.unwrap();
    let reads = |text: &str| history.iter().any(|l| l.contains(text));
    assert!(!reads("content_items"), "{}", history.join("\n"));
    if dialect == query_api::sql::Dialect::Sqlite {
        // SQLite names tables by their alias: e is content_embeds.
        assert!(reads("SEARCH e USING PRIMARY KEY (id=?)"), "{}", history.join("\n"));
        assert!(reads("USING COVERING INDEX user_items_history_idx"), "{}", history.join("\n"));
    } else {
        assert!(reads("content_embeds_pkey"), "{}", history.join("\n"));
    }
    // The driver is the index that yields the requested order.
    assert_eq!(list::driver_of(&plan_of(&format!("filter[tags]={}", blog.tags[0]), Audience::Public)), "refs");
    assert_eq!(list::driver_of(&plan_of("sort=-rating", Audience::Public)), "values");
    assert_eq!(list::driver_of(&plan_of("", Audience::Public)), "items");
}

/// Values of the same kinds as `args`, each different (a gathered statement's worst case: no
/// value shared, every one unnested).
fn other_values(args: &[Arg]) -> Vec<Arg> {
    args.iter()
        .map(|arg| match arg {
            Arg::Text(t) => Arg::Text(format!("{t}-other")),
            Arg::Uuid(_) => Arg::Uuid(uuid::Uuid::now_v7()),
            Arg::F64(f) => Arg::F64(f + 1.0),
            Arg::I64(i) => Arg::I64(i + 1),
            Arg::Time(t) => Arg::Time(t - 1),
            Arg::UuidArray(v) => Arg::UuidArray(v.iter().map(|_| uuid::Uuid::now_v7()).collect()),
            Arg::TextArray(v) => Arg::TextArray(v.iter().map(|t| format!("{t}-other")).collect()),
            Arg::F64Array(v) => Arg::F64Array(v.iter().map(|f| f + 1.0).collect()),
            Arg::I64Array(v) => Arg::I64Array(v.iter().map(|i| i + 1).collect()),
            Arg::TimeArray(v) => Arg::TimeArray(v.iter().map(|t| t - 1).collect()),
        })
        .collect()
}
