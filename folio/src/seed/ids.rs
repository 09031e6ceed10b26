//! Deterministic ids for seeded data, so two generations are byte-identical.
//!
//! Every id is a valid UUIDv7: the top 48 bits are the Unix milliseconds of the entity's (or
//! event's) time, then version 7, then 12 bits naming what the id is for, then the RFC 4122
//! variant, then 62 bits holding the dataset's number for it (article 12345 → 12345, comment
//! `(a - 1) * 2 + j`, view `k`). [`number_of`] reads that number back, so read models that only
//! see UUIDs can still be compared with the dataset's integer ids.
//!
//! The 12 bits: bit 11 is the dataset (0 bench, 1 demo), bits 4-10 the [`Fact`], bits 0-3 the
//! [`Entity`]. Two different things never share (time, purpose, number), so ids never collide.

use chrono::{DateTime, Utc};
use uuid::Uuid;

/// Which dataset an id belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Dataset {
    Bench,
    Demo,
}

/// What kind of thing an id is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Entity {
    ContentType = 1,
    Author = 2,
    Category = 3,
    Tag = 4,
    Article = 5,
    Comment = 6,
    User = 7,
}

/// What an id names: the entity itself, or one of the events about it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Fact {
    Identity = 0,
    Defined = 1,
    Created = 2,
    SlugClaimed = 3,
    Published = 4,
    Scheduled = 5,
    CommentPosted = 6,
    Viewed = 7,
    Liked = 8,
}

const NUMBER_BITS: u32 = 62;
const NUMBER_MASK: u128 = (1 << NUMBER_BITS) - 1;

/// The id of `fact` about `entity` number `number`, at time `at`.
pub fn seeded(dataset: Dataset, fact: Fact, entity: Entity, at: DateTime<Utc>, number: u64) -> Uuid {
    let millis = u128::from(u64::try_from(at.timestamp_millis()).unwrap_or(0)) & ((1 << 48) - 1);
    let dataset_bit: u128 = match dataset {
        Dataset::Bench => 0,
        Dataset::Demo => 1 << 11,
    };
    let purpose = dataset_bit | ((fact as u128) << 4) | entity as u128;
    let value = (millis << 80) | (0x7 << 76) | (purpose << 64) | (0b10 << 62) | (u128::from(number) & NUMBER_MASK);
    Uuid::from_u128(value)
}

/// The dataset number an id was made from.
pub fn number_of(id: Uuid) -> u64 {
    u64::try_from(id.as_u128() & NUMBER_MASK).unwrap_or(0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeded_ids_are_v7_with_the_time_and_the_number() {
        let at = DateTime::from_timestamp(1_704_067_200, 0).unwrap();
        let id = seeded(Dataset::Bench, Fact::Identity, Entity::Article, at, 12345);
        assert_eq!(id.get_version_num(), 7);
        assert_eq!(id.get_variant(), uuid::Variant::RFC4122);
        let (seconds, _) = id.get_timestamp().unwrap().to_unix();
        assert_eq!(seconds, 1_704_067_200);
        assert_eq!(number_of(id), 12345);
        assert_ne!(id, seeded(Dataset::Demo, Fact::Identity, Entity::Article, at, 12345));
        assert_ne!(id, seeded(Dataset::Bench, Fact::Created, Entity::Article, at, 12345));
        assert_ne!(id, seeded(Dataset::Bench, Fact::Identity, Entity::Author, at, 12345));
    }
}
