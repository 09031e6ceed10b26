//! The projections, given events, against both read-model backends. Snapshots are shared by the
//! two backends (one file per case), so the embedded and cluster profiles are proven to build the
//! same query-visible rows.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)] // tests fail loudly by design

mod cases;
mod concurrent_open;
mod dump;
mod faults;
mod fixture;
mod migrations;
mod rebuilds;
mod replays;
mod search_vector;
mod storage;
mod typed_feed;
mod world;

use fixture::Fixture;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_search_vector_equals_postgres_own_for_plain_text() {
    let fixture = Fixture::postgres().await;
    search_vector::the_search_vector_equals_postgres_own_for_plain_text(&fixture).await;
    fixture.cleanup().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn long_documents_are_stored_lz4_compressed() {
    let fixture = Fixture::postgres().await;
    storage::long_documents_are_stored_lz4_compressed(&fixture).await;
    fixture.cleanup().await;
}

macro_rules! on_every_backend {
    ($($module:ident :: $case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let fixture = crate::Fixture::sqlite().await;
                    crate::$module::$case(&fixture).await;
                    fixture.cleanup().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn $case() {
                    let fixture = crate::Fixture::postgres().await;
                    crate::$module::$case(&fixture).await;
                    fixture.cleanup().await;
                }
            )*
        }
    };
}

on_every_backend!(
    cases::documents_expand_references_and_tree_paths,
    cases::renaming_a_referenced_item_re_renders_every_document_that_embeds_it,
    cases::moving_a_category_moves_its_subtree_in_relation_rows,
    cases::lifecycle_status_and_values_follow_the_events,
    cases::comments_thread_and_hide_removed_ones,
    cases::engagement_counts_once_and_keeps_user_state_and_history,
    cases::events_of_many_streams_interleaved_project_like_one_by_one,
    cases::one_shared_read_of_the_log_builds_the_same_rows_as_private_reads,
    cases::keys_are_issued_and_revoked,
    cases::a_key_issued_and_revoked_in_one_batch_ends_revoked,
    cases::a_revoke_of_an_unknown_key_leaves_a_revoked_marker,
    faults::an_undecodable_event_is_parked_and_the_projection_goes_on,
    faults::an_event_that_cannot_apply_is_retried_then_parked,
    faults::a_projector_dropped_mid_batch_ends_equal_to_a_clean_rebuild,
    faults::redelivered_events_change_nothing,
    faults::a_runner_that_cannot_go_on_stops_and_says_halted,
    faults::a_dropped_feed_gives_back_its_connection,
    rebuilds::a_rebuild_beside_the_live_projection_switches_in_equal_to_a_clean_rebuild,
    rebuilds::a_rebuild_that_crashed_resumes_where_it_committed,
    rebuilds::an_engagement_rebuild_counts_views_once_across_crashes,
    rebuilds::the_bulk_variant_forgets_the_views_it_set_aside,
    rebuilds::a_reset_projection_applies_the_log_again_and_ends_equal,
    rebuilds::a_second_rebuild_of_a_projection_is_refused_while_one_runs,
    replays::a_replay_recomputes_the_rows_its_range_is_about_and_a_second_changes_nothing,
    replays::a_replay_under_live_traffic_ends_equal_to_a_clean_rebuild,
    typed_feed::a_typed_feed_hands_out_its_types_and_follows_a_moved_checkpoint,
);
