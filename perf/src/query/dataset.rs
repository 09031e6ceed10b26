//! DATASET.md's formulas: which article, tag and user each random parameter picks.

use super::USERS;

/// Article `r`, or the published one before it (DATASET detail).
pub fn published_at_or_before(r: u64) -> u64 {
    if r.is_multiple_of(10) {
        r - 1
    } else {
        r
    }
}

pub fn tags_of(a: u64) -> Vec<u64> {
    let mut tags = Vec::with_capacity(3);
    for t in [(a * 13) % 1000 + 1, (a * 17 + 7) % 1000 + 1, (a * 19 + 11) % 1000 + 1] {
        if !tags.contains(&t) {
            tags.push(t);
        }
    }
    tags
}

pub fn viewed_article(k: u64, articles: u64) -> u64 {
    ((k * 104_729 + k / 100_000) % articles) + 1
}

/// The `user_views` rows of user `u`, as `k`, oldest first.
pub fn views_of(u: u64, views: u64) -> impl DoubleEndedIterator<Item = u64> {
    (0..=views / USERS).map(move |j| (u - 1) + USERS * j).filter(move |k| (1..=views).contains(k))
}

/// The users whose state is asked: distinct, spread over 1..=100000.
pub fn state_user(i: u64) -> u64 {
    (i * 7919) % USERS + 1
}
