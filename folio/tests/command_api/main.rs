//! The command API as a site or an editor meets it, over HTTP, on both profiles.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests fail loudly by design

mod auth;
mod cache;
mod comments;
mod content;
mod engagement;
mod idempotency;
mod keys;
mod matrix;
mod openapi;
mod query;
mod read_models;
mod scheduler;
mod support;
mod types;

use support::TestApp;

macro_rules! on_every_backend {
    ($($module:ident :: $case:ident),* $(,)?) => {
        mod sqlite {
            $(
                #[tokio::test]
                async fn $case() {
                    let app = crate::TestApp::sqlite().await;
                    crate::$module::$case(&app).await;
                    app.cleanup().await;
                }
            )*
        }
        mod postgres {
            $(
                #[tokio::test]
                async fn $case() {
                    let app = crate::TestApp::postgres().await;
                    crate::$module::$case(&app).await;
                    app.cleanup().await;
                }
            )*
        }
    };
}

/// Cases that read what the projectors built: `TestApp::with_read_models` on each profile.
macro_rules! on_every_read_backend {
    ($($module:ident :: $case:ident),* $(,)?) => {
        mod read_sqlite {
            $(
                #[tokio::test]
                async fn $case() {
                    let app = crate::TestApp::with_read_models(false).await;
                    crate::query::$module::$case(&app).await;
                    app.cleanup().await;
                }
            )*
        }
        mod read_postgres {
            $(
                #[tokio::test]
                async fn $case() {
                    let app = crate::TestApp::with_read_models(true).await;
                    crate::query::$module::$case(&app).await;
                    app.cleanup().await;
                }
            )*
        }
    };
}

on_every_read_backend!(
    lists::lists_are_newest_first_and_page_by_cursor_without_gaps_or_repeats,
    lists::lists_filter_by_relations_subtrees_values_and_search,
    lists::lists_leave_unlisted_fields_out_unless_asked_for,
    lists::lists_show_only_the_counters_they_are_asked_for,
    reads::detail_by_id_or_slug_carries_counters_and_respects_the_audience,
    reads::comments_come_threaded_and_paged,
    reads::a_key_and_a_type_written_just_before_a_read_are_known_to_it,
    reads::a_users_history_and_state_are_for_sites_and_staff,
    reads::readyz_reports_the_read_models_and_fails_while_a_projection_is_halted,
    reads::metrics_show_route_latency_appends_lag_and_the_cache,
    reads::the_query_api_serves_without_errors_throughout_a_rebuild,
    bad_input::each_kind_of_bad_read_input_has_its_code,
    bad_input::hostile_strings_in_any_parameter_are_answered_not_executed,
    cache::a_change_is_never_served_stale_after_its_notice,
    explain::the_main_read_shapes_never_scan_a_whole_table,
);

/// Reads that reach the database every time (the response cache off), on each profile.
mod read_uncached {
    #[tokio::test]
    async fn reads_fired_together_answer_as_each_alone_on_sqlite() {
        let app = crate::TestApp::with_read_models_and_cache(false, false).await;
        crate::query::gathered::reads_fired_together_answer_as_each_alone(&app).await;
        app.cleanup().await;
    }

    #[tokio::test]
    async fn reads_fired_together_answer_as_each_alone_on_postgres() {
        let app = crate::TestApp::with_read_models_and_cache(true, false).await;
        crate::query::gathered::reads_fired_together_answer_as_each_alone(&app).await;
        app.cleanup().await;
    }
}

/// PostgreSQL only: what a connection cut by the server does to reads.
mod read_postgres_only {
    #[tokio::test]
    async fn reads_go_on_when_their_connections_are_cut() {
        let app = crate::TestApp::with_read_models(true).await;
        crate::query::reads::reads_go_on_when_their_connections_are_cut(&app).await;
        app.cleanup().await;
    }
}

on_every_backend!(
    auth::missing_malformed_unknown_and_revoked_keys_are_401,
    auth::roles_other_than_admin_may_read_types_but_not_define_them,
    cache::a_revoked_key_or_an_unpublished_item_is_never_served_from_a_stale_cache,
    content::an_item_goes_through_its_whole_lifecycle,
    content::slugs_are_unique_per_type_even_when_creates_race,
    content::references_must_name_live_items_of_their_type_and_trees_stay_trees,
    content::authors_change_only_their_own_items,
    content::bad_content_input_is_refused_and_appends_nothing,
    engagement::views_and_shares_go_to_the_users_activity_stream,
    engagement::liking_twice_or_unliking_what_was_never_liked_changes_nothing,
    engagement::concurrent_likes_by_one_user_count_once,
    engagement::engagement_needs_a_site_key_a_user_and_a_published_item,
    comments::users_post_reply_edit_and_remove_comments,
    comments::bad_comments_are_refused_and_append_nothing,
    idempotency::a_retried_post_answers_the_same_and_appends_nothing,
    idempotency::concurrent_duplicates_append_once,
    idempotency::a_replayed_key_creation_never_shows_the_secret_again,
    keys::an_admin_issues_a_key_that_works_and_revokes_it,
    matrix::every_role_against_every_endpoint,
    openapi::the_openapi_document_lists_every_route_and_the_docs_page_renders_it,
    scheduler::two_schedulers_publish_a_due_item_exactly_once,
    scheduler::a_tick_ends_while_events_keep_coming,
    keys::bad_key_requests_are_refused_and_append_nothing,
    types::a_type_is_defined_read_and_put_again_idempotently,
    types::types_are_listed_by_name_and_paged,
    types::compatible_revisions_bump_the_version_incompatible_ones_append_nothing,
    types::every_kind_of_bad_input_has_its_problem,
    types::if_match_guards_against_stale_revisions,
    types::events_carry_the_actor_request_and_correlation_ids,
);
