//! The generator against DATASET.md's check values: the cheap full-size sums by formula, and a
//! small dataset generated whole.

use super::*;
use crate::seed::ids::number_of;
use crate::seed::model::type_definitions;
use events::DomainEvent;
use std::collections::HashMap;

const FULL: BenchParams = BenchParams::FULL;

fn generate(params: BenchParams) -> Vec<ImportedEvent> {
    BenchEvents::new(params).unwrap().collect::<Result<Vec<_>, _>>().unwrap()
}

#[test]
fn type_definitions_pass_the_command_apis_rules() {
    let names: Vec<TypeName> = type_definitions().iter().map(|(n, _)| TypeName::parse(*n).unwrap()).collect();
    for (name, body) in type_definitions() {
        let definition = command_api::content_types::parse_definition(&body).unwrap();
        let exists = |t: &TypeName| names.contains(t);
        command_api::content_types::check_definition(&TypeName::parse(name).unwrap(), &definition, &exists).unwrap();
    }
}

#[test]
fn full_size_article_sums_match_the_check_values() {
    let articles = 1..=FULL.articles;
    assert_eq!(articles.clone().filter(|&a| !is_draft(a)).count(), 900_000);
    assert_eq!(articles.clone().map(author_of).sum::<u64>(), 5_000_500_000);
    assert_eq!(articles.clone().map(category_of).sum::<u64>(), 50_500_000);
    let tags: Vec<(u64, u64)> = articles.flat_map(tags_of).collect();
    assert_eq!(tags.len(), 2_998_000);
    assert_eq!(tags.iter().map(|&(_, tag)| tag).sum::<u64>(), 1_500_052_000);
    assert_eq!(tags.iter().map(|&(id, _)| id).sum::<u64>(), 4_497_000_012_000);
}

#[test]
fn full_size_text_lengths_match_the_check_values() {
    // Lengths by formula from the 256 sentence lengths; a sample ties the formula to the text.
    let text = Sentences::default();
    let s = |n: u64| text.get(n).len() as u64;
    let summary = |a: u64| (format!("Article {a}: ").len() as u64 + s(a * 31) + 1 + s(a * 31 + 1)).min(200);
    let body = |a: u64| {
        let sentences: u64 = (0..20u64).map(|k| s(a * 7919 + k * ((a % 97) + 1) * 31 + k * k * 7)).sum();
        format!("Article {a}. ").len() as u64 + sentences + 19
    };
    for a in [1, 2, 97, 12345, 999_999] {
        assert_eq!(summary(a), text.summary(a).len() as u64);
        assert_eq!(body(a), text.body(a).len() as u64);
    }
    assert_eq!((1..=FULL.articles).map(summary).sum::<u64>(), 199_967_012);
    assert_eq!((1..=FULL.articles).map(body).sum::<u64>(), 2_237_388_273);
}

#[test]
fn full_size_views_and_comments_match_the_check_values() {
    let (mut users, mut articles, mut of_12345) = (0u64, 0u64, 0u64);
    for k in 1..=FULL.views {
        let (user, article) = viewed(k, FULL.articles);
        users += user;
        articles += article;
        of_12345 += u64::from(article == 12345);
    }
    assert_eq!((articles, users), (10_000_019_000_200, 1_000_010_000_000));
    assert_eq!(of_12345, 21, "article 12345's generated view count");
    let comment_users: u64 = (1..=COMMENTED_ARTICLES).flat_map(|a| [comment_user(a, 1), comment_user(a, 2)]).sum();
    assert_eq!(comment_users, 10_000_100_000);
    let mut tags: Vec<u64> = tags_of(12345).iter().map(|&(_, t)| t).collect();
    tags.sort_unstable(); // the order of an article's tags is not significant
    assert_eq!(tags, vec![486, 567, 873]);
    assert_eq!((comment_number(12345, 1), comment_number(12345, 2)), (24689, 24690));
}

#[test]
fn view_versions_count_each_users_views() {
    let mut seen: HashMap<u64, u64> = HashMap::new();
    for k in 1..=350_000 {
        let (user, _) = viewed(k, FULL.articles);
        let count = seen.entry(user).or_default();
        *count += 1;
        assert_eq!(view_version(k), *count, "k = {k}");
    }
}

#[test]
fn a_small_dataset_has_the_counts_and_contiguous_streams() {
    let params = BenchParams { articles: 200, views: 2_000 };
    let events = generate(params);
    let mut by_type: HashMap<&str, u64> = HashMap::new();
    let mut versions: HashMap<&str, u64> = HashMap::new();
    for event in &events {
        *by_type.entry(event.event_type.as_str()).or_default() += 1;
        let version = versions.entry(event.stream_id.as_str()).or_default();
        *version += 1;
        assert_eq!(event.stream_version, *version, "{} continues its stream", event.stream_id);
        DomainEvent::from_stored(&event.event_type, event.schema_version, event.data.clone()).unwrap();
    }
    for (event_type, count) in params.counts() {
        assert_eq!(by_type.get(event_type).copied().unwrap_or(0), count, "{event_type}");
    }
    assert_eq!(events.len() as u64, params.total());
    let ids: std::collections::HashSet<_> = events.iter().map(|e| e.event_id).collect();
    assert_eq!(ids.len(), events.len(), "event ids are unique");
    assert_eq!(generate(params), events, "two generations are identical");
}

#[test]
fn article_events_carry_the_dataset_values() {
    let events = generate(BenchParams { articles: 20, views: 0 });
    let created = events
        .iter()
        .filter(|e| e.event_type == "ContentCreated" && e.data["content_type"] == "article")
        .find(|e| e.data["slug"] == "article-12")
        .unwrap();
    let fields = &created.data["fields"];
    assert_eq!(fields["title"], "Article 12");
    assert_eq!(fields["author"], json!(author_id(author_of(12)).0));
    assert_eq!(fields["tags"].as_array().unwrap().len(), 3);
    assert_eq!(created.recorded_at, published_at(12));
    assert_eq!(number_of(created.data["content_id"].as_str().unwrap().parse().unwrap()), 12);
    let published = |slug_number: u64| {
        events
            .iter()
            .any(|e| e.event_type == "ContentPublished" && e.data["content_id"] == json!(article_id(slug_number).0))
    };
    assert!(published(12) && !published(10), "drafts are never published");
    let slug = events.iter().find(|e| e.stream_id.as_str() == "slug-article:article-12").unwrap();
    assert_eq!(slug.data["content_id"], json!(article_id(12).0));
    let category = events.iter().find(|e| e.event_type == "ContentCreated" && e.data["slug"] == "category-11").unwrap();
    assert_eq!(category.data["fields"]["parent"], json!(category_id(1).0));
}

#[test]
fn comments_and_views_are_on_their_streams_at_their_times() {
    let events = generate(BenchParams { articles: 200, views: 100_002 });
    let comment = events.iter().find(|e| e.event_type == "CommentPosted").unwrap();
    assert_eq!(comment.data["body"], Sentences::default().comment(1, 1));
    assert_eq!(comment.data["author"], comment_user(1, 1).to_string());
    assert_eq!(comment.recorded_at, published_at(1) + Duration::hours(1));
    let views: Vec<_> = events.iter().filter(|e| e.event_type == "ContentViewed").collect();
    let last = views.last().unwrap();
    assert_eq!(last.stream_id.as_str(), "activity-3");
    assert_eq!(last.stream_version, 2);
    assert_eq!(last.recorded_at, v0() + seconds(100_002));
    assert_eq!(last.data["at"], json!(v0() + seconds(100_002)));
}
