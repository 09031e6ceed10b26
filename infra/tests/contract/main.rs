//! The event store contract: every case runs against every backend.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod cases;
mod contention;
mod fixture;
mod import_cases;
mod ordering;
mod stretch_cases;

use fixture::Fixture;

macro_rules! contract {
    ($backend:ident: $($case:ident),* $(,)?) => {
        mod $backend {
            $(
                #[tokio::test(flavor = "multi_thread", worker_threads = 4)]
                async fn $case() {
                    let fixture = crate::Fixture::$backend().await;
                    crate::cases::$case(&fixture).await;
                    fixture.cleanup().await;
                }
            )*
        }
    };
}

macro_rules! contract_for_every_backend {
    ($($case:ident),* $(,)?) => {
        contract!(sqlite: $($case),*);
        contract!(postgres: $($case),*);
    };
}

contract_for_every_backend!(
    two_writers_at_the_same_version_exactly_one_wins,
    a_retry_with_the_same_ids_returns_the_original_result,
    the_same_id_with_other_content_is_refused_and_writes_nothing,
    no_stream_and_any_and_empty_appends,
    read_stream_and_read_all_page_in_order,
    read_stretch_keeps_only_the_asked_types_and_ends_at_the_window_or_the_head,
    subscribe_types_hands_out_only_the_asked_types_then_goes_live,
    a_one_mebibyte_event_round_trips,
    unicode_round_trips_exactly,
    a_ten_thousand_event_stream,
    one_stale_append_fails_alone_among_concurrent_appends,
    subscribe_catches_up_then_goes_live,
    acknowledged_events_survive_a_restart,
    append_all_writes_every_stream_or_none,
    a_retried_group_returns_its_original_results,
    a_schema_version_no_store_keeps_is_refused_and_writes_nothing,
    racing_groups_on_one_reservation_let_exactly_one_win,
    streams_of_a_category_are_listed_in_order_and_paged,
    an_event_is_found_by_its_id,
    concurrent_writers_never_make_a_tailing_reader_skip_or_reorder,
    import_keeps_ids_order_and_versions_after_existing_appends,
    reimporting_the_same_batch_appends_nothing,
    an_imported_id_with_other_content_is_refused_and_nothing_is_written,
    a_non_contiguous_stream_version_is_refused_and_nothing_is_written,
    an_imported_schema_version_no_store_keeps_is_refused,
    a_subscriber_sees_imported_events,
    an_import_into_an_empty_store_ends_as_chunk_by_chunk_would,
    a_refused_import_into_an_empty_store_leaves_it_empty_with_its_indexes,
    an_append_during_an_import_into_an_empty_store_lands_after_it,
    many_appenders_in_several_writers_get_exactly_what_the_log_holds,
);
