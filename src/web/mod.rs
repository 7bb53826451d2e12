//! The server-rendered console: one module per screen area, each with its
//! handlers, form structs and askama page structs. Handlers parse, call a
//! service, and render; the rules live in `services`. This file is the
//! route table only; what screens share is in leaf modules (`page`,
//! `session`, `confirm`, `level_card`, `token_list`), which import no screen.

pub mod account_tokens;
pub mod api_users;
pub mod audit;
pub mod audit_text;
pub mod auth;
pub mod campaigns;
pub mod confirm;
pub mod dashboard;
pub mod docs;
pub mod grace;
pub mod level_card;
pub mod middleware;
pub mod org_tokens;
pub mod outbox;
pub mod page;
pub mod personal_tokens;
pub mod profile;
pub mod reveal;
pub mod session;
pub mod settings;
pub mod setup;
pub mod support;
pub mod token_list;
pub mod token_page;
pub mod usage_chart;
pub mod users;
pub mod widget;

use actix_web::web;

use campaigns::{
    api_tokens, destinations, fields, filters, imports, leads, overview, relations, selects, sources, statuses,
    token_settings,
};

/// The console routes. Mounted last, under the console guard.
pub fn configure(cfg: &mut web::ServiceConfig) {
    cfg.route("/", web::get().to(dashboard::show))
        .route("/setup", web::get().to(setup::form))
        .route("/setup", web::post().to(setup::submit))
        .route("/login", web::get().to(auth::login_form))
        .route("/login", web::post().to(auth::login))
        .route("/logout", web::post().to(auth::logout))
        .route("/password/forgot", web::get().to(auth::forgot_form))
        .route("/password/forgot", web::post().to(auth::forgot))
        .route("/password/reset/{code}", web::get().to(auth::reset_form))
        .route("/password/reset/{code}", web::post().to(auth::reset))
        .route("/profile", web::get().to(profile::show))
        .route("/profile", web::post().to(profile::update))
        .route("/profile/password", web::post().to(profile::change_password))
        .route("/profile/api-token", web::post().to(profile::generate_api_token))
        .route("/profile/api-token/revoke", web::get().to(profile::confirm_revoke_api_token))
        .route("/profile/api-token/revoke", web::post().to(profile::revoke_api_token))
        .route("/profile/tokens", web::get().to(personal_tokens::list))
        .route("/profile/tokens", web::post().to(personal_tokens::create))
        .route("/profile/tokens/new", web::get().to(personal_tokens::new))
        .route("/profile/tokens/{id}/active", web::post().to(personal_tokens::set_active))
        .route("/profile/tokens/{id}/delete", web::get().to(personal_tokens::confirm_delete))
        .route("/profile/tokens/{id}/delete", web::post().to(personal_tokens::delete))
        .route("/settings", web::get().to(|| async { page::see_other("/settings/tokens") }))
        .route("/settings/tokens", web::get().to(org_tokens::show))
        .route("/settings/tokens/global/enabled", web::post().to(org_tokens::set_enabled))
        .route("/settings/tokens/global/show", web::post().to(org_tokens::reveal))
        .route("/settings/tokens/global/regenerate", web::get().to(org_tokens::confirm_regenerate))
        .route("/settings/tokens/global/regenerate", web::post().to(org_tokens::regenerate))
        .route("/campaigns", web::get().to(overview::list))
        .route("/campaigns", web::post().to(overview::create))
        .route("/campaigns/{id}", web::get().to(overview::show))
        .route("/campaigns/{id}", web::post().to(overview::update))
        .route("/campaigns/{id}/archive", web::post().to(overview::archive))
        .route("/campaigns/{id}/settings/tokens", web::get().to(token_settings::show))
        .route("/campaigns/{id}/settings/tokens/enabled", web::post().to(token_settings::set_enabled))
        .route("/campaigns/{id}/settings/tokens/show", web::post().to(token_settings::reveal))
        .route("/campaigns/{id}/settings/tokens/regenerate", web::get().to(token_settings::confirm_regenerate))
        .route("/campaigns/{id}/settings/tokens/regenerate", web::post().to(token_settings::regenerate))
        .route("/campaigns/{id}/sources", web::get().to(sources::list))
        .route("/campaigns/{id}/sources", web::post().to(sources::create))
        .route("/campaigns/{id}/sources/{sid}", web::get().to(sources::source))
        .route("/campaigns/{id}/sources/{sid}", web::post().to(sources::update))
        .route("/campaigns/{id}/sources/{sid}/tokens", web::get().to(sources::tokens))
        .route("/campaigns/{id}/sources/{sid}/tokens/{method}/enabled", web::post().to(sources::set_enabled))
        .route("/campaigns/{id}/sources/{sid}/tokens/{method}/show", web::post().to(sources::reveal))
        .route("/campaigns/{id}/sources/{sid}/tokens/{method}/regenerate", web::get().to(sources::confirm_regenerate))
        .route("/campaigns/{id}/sources/{sid}/tokens/{method}/regenerate", web::post().to(sources::regenerate))
        .route("/campaigns/{id}/fields", web::get().to(fields::fields))
        .route("/campaigns/{id}/fields", web::post().to(fields::create_field))
        .route("/campaigns/{id}/fields/{fid}", web::post().to(fields::update_field))
        .route("/campaigns/{id}/fields/{fid}/public", web::post().to(fields::set_public))
        .route("/campaigns/{id}/fields/{fid}/delete", web::get().to(fields::confirm_delete_field))
        .route("/campaigns/{id}/fields/{fid}/delete", web::post().to(fields::delete_field))
        .route("/campaigns/{id}/selects", web::get().to(selects::selects))
        .route("/campaigns/{id}/selects", web::post().to(selects::create_select))
        .route("/campaigns/{id}/selects/{sel}/delete", web::get().to(selects::confirm_delete_select))
        .route("/campaigns/{id}/selects/{sel}/delete", web::post().to(selects::delete_select))
        .route("/campaigns/{id}/selects/{sel}/options", web::post().to(selects::add_option))
        .route("/campaigns/{id}/selects/{sel}/options/{oid}/delete", web::get().to(selects::confirm_delete_option))
        .route("/campaigns/{id}/selects/{sel}/options/{oid}/delete", web::post().to(selects::delete_option))
        .route("/campaigns/{id}/statuses", web::get().to(statuses::statuses))
        .route("/campaigns/{id}/statuses", web::post().to(statuses::create_status))
        .route("/campaigns/{id}/statuses/{stid}/default", web::post().to(statuses::default_status))
        .route("/campaigns/{id}/statuses/{stid}/delete", web::get().to(statuses::confirm_delete_status))
        .route("/campaigns/{id}/statuses/{stid}/delete", web::post().to(statuses::delete_status))
        .route("/campaigns/{id}/file-types", web::post().to(overview::set_file_types))
        .route("/campaigns/{id}/relations", web::get().to(relations::list))
        .route("/campaigns/{id}/relations", web::post().to(relations::create))
        .route("/campaigns/{id}/relations/{rid}/delete", web::get().to(relations::confirm_delete_relation))
        .route("/campaigns/{id}/relations/{rid}/delete", web::post().to(relations::delete))
        .route("/campaigns/{id}/destinations", web::get().to(destinations::list))
        .route("/campaigns/{id}/destinations", web::post().to(destinations::create))
        .route("/campaigns/{id}/destinations/{did}", web::get().to(destinations::show))
        .route("/campaigns/{id}/destinations/{did}/regenerate", web::post().to(destinations::regenerate))
        .route("/campaigns/{id}/destinations/{did}/active", web::post().to(destinations::set_active))
        .route("/campaigns/{id}/destinations/{did}/test", web::post().to(destinations::test))
        .route("/campaigns/{id}/destinations/{did}/events/{eid}/redeliver", web::post().to(destinations::redeliver))
        .route("/campaigns/{id}/imports", web::get().to(imports::list))
        .route("/campaigns/{id}/imports/{iid}/report.csv", web::get().to(imports::report))
        .route("/campaigns/{id}/leads", web::get().to(leads::list))
        .route("/campaigns/{id}/leads/{lid}", web::get().to(leads::show))
        .route("/campaigns/{id}/leads/{lid}/files/{fid}", web::get().to(leads::file))
        .route("/campaigns/{id}/filters", web::get().to(filters::list))
        .route("/campaigns/{id}/filters", web::post().to(filters::create))
        .route("/campaigns/{id}/filters/{fid}", web::get().to(filters::edit))
        .route("/campaigns/{id}/filters/{fid}", web::post().to(filters::update))
        .route("/campaigns/{id}/filters/{fid}/delete", web::get().to(filters::confirm_delete))
        .route("/campaigns/{id}/filters/{fid}/delete", web::post().to(filters::delete))
        .route("/campaigns/{id}/api/tokens", web::get().to(api_tokens::list))
        .route("/campaigns/{id}/api/tokens", web::post().to(api_tokens::create))
        .route("/campaigns/{id}/api/tokens/{tid}/show", web::post().to(api_tokens::show))
        .route("/campaigns/{id}/api/tokens/{tid}/edit", web::get().to(api_tokens::edit))
        .route("/campaigns/{id}/api/tokens/{tid}/edit", web::post().to(api_tokens::update))
        .route("/campaigns/{id}/api/tokens/{tid}/revoke", web::get().to(api_tokens::confirm_revoke))
        .route("/campaigns/{id}/api/tokens/{tid}/revoke", web::post().to(api_tokens::revoke))
        .route("/docs/api", web::get().to(docs::api))
        .route("/docs/c/{public_id}", web::get().to(docs::page))
        .route("/docs/c/{public_id}/openapi.json", web::get().to(docs::openapi))
        .route("/settings/account-tokens", web::get().to(account_tokens::show))
        .route("/settings/account-tokens/public/generate", web::get().to(account_tokens::confirm_reset_public))
        .route("/settings/account-tokens/public/generate", web::post().to(account_tokens::generate_public))
        .route("/settings/account-tokens/public/show", web::post().to(account_tokens::show_public))
        .route("/settings/account-tokens/public/delete", web::get().to(account_tokens::confirm_delete_public))
        .route("/settings/account-tokens/public/delete", web::post().to(account_tokens::delete_public))
        .route("/settings/account-tokens/private", web::post().to(account_tokens::create_private))
        .route("/settings/account-tokens/private/{key}/reset", web::get().to(account_tokens::confirm_reset_private))
        .route("/settings/account-tokens/private/{key}/reset", web::post().to(account_tokens::reset_private))
        .route("/settings/account-tokens/private/{key}/delete", web::get().to(account_tokens::confirm_delete_private))
        .route("/settings/account-tokens/private/{key}/delete", web::post().to(account_tokens::delete_private))
        .route("/support", web::get().to(|| async { page::see_other("/support/tokens") }))
        .route("/support/tokens", web::get().to(support::list))
        .route("/support/tokens/check", web::post().to(support::check))
        .route("/support/tokens/{id}/revoke", web::get().to(support::confirm_revoke))
        .route("/support/tokens/{id}/revoke", web::post().to(support::revoke))
        .route("/support/tokens/{id}/deactivate", web::get().to(support::confirm_deactivate))
        .route("/support/tokens/{id}/deactivate", web::post().to(support::deactivate))
        .route("/support/tokens/{id}/reactivate", web::post().to(support::reactivate))
        .route("/support/users/revoke", web::get().to(support::confirm_user_revoke))
        .route("/support/users/revoke", web::post().to(support::user_revoke))
        .route("/settings/token-policy", web::get().to(settings::policy))
        .route("/settings/token-policy", web::post().to(settings::save_policy))
        .route("/settings/token-policy/reporters", web::post().to(settings::create_reporter))
        .route("/tokens/{key}", web::get().to(token_page::show))
        .route("/tokens/{key}/limits", web::post().to(token_page::save_limits))
        .route("/tokens/{key}/regenerate", web::get().to(token_page::confirm_regenerate))
        .route("/tokens/{key}/regenerate", web::post().to(token_page::regenerate))
        .route("/tokens/{key}/end-grace", web::post().to(token_page::end_grace))
        .route("/settings/destinations", web::get().to(settings::destination_rules))
        .route("/settings/destinations", web::post().to(settings::save_destination_rules))
        .route("/users", web::get().to(users::list))
        .route("/users", web::post().to(users::invite))
        .route("/users/{id}/role", web::post().to(users::change_role))
        .route("/users/{id}/active", web::post().to(users::set_active))
        .route("/users/{id}/api-token-allowed", web::post().to(users::set_api_token_allowed))
        .route("/users/{id}/invitation", web::post().to(users::resend_invitation))
        .route("/users/api", web::post().to(api_users::create))
        .route("/users/api/{id}", web::get().to(api_users::show))
        .route("/users/api/{id}/tokens", web::post().to(api_users::issue_token))
        .route("/users/api/{id}/tokens/{tid}/revoke", web::get().to(api_users::confirm_revoke))
        .route("/users/api/{id}/tokens/{tid}/revoke", web::post().to(api_users::revoke))
        .route("/audit", web::get().to(audit::list))
        .route("/audit.csv", web::get().to(audit::csv))
        .route("/dev/outbox", web::get().to(outbox::list))
        .route("/dev/outbox/{name}", web::get().to(outbox::show))
        .route("/dev/outbox/m/{id}", web::get().to(outbox::message))
        .route("/dev/outbox/m/{id}/html", web::get().to(outbox::message_html));
}
