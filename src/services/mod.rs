//! The business rules, one module per area, and the only door to the
//! database. Console handlers (`web`) and API handlers (`api`) both call
//! these and hold no rules of their own.
//!
//! One convention for every service: a public function is
//! `async fn(svc: &Services, …) -> Result<T, AppError>`. It checks the
//! actor's permission, validates its input, takes a pooled connection and
//! does its work in one transaction ([`Services::tx`]), or reads (or
//! writes one row) outside one ([`Services::run`]), and returns values ready for a page or a JSON
//! answer. Helpers that work inside a caller's transaction take a
//! [`Tx`] and stay private to this module.
//!
//! What comes back: model rows that carry no secret (campaign structure,
//! audit entries, outbox messages) are re-exported by the service that
//! returns them; rows that carry one (tokens, users) come back as views
//! without it ([`TokenInfo`], [`accounts::UserInfo`]).

pub mod account_tokens;
pub mod accounts;
pub mod api_doc;
pub mod api_tokens;
pub mod api_users;
pub mod audit;
mod caches;
pub mod campaigns;
pub mod catalog;
mod context;
pub mod dashboard;
pub mod data;
pub mod destinations;
pub mod docs;
pub mod files;
pub mod filters;
pub mod health;
pub mod idempotency;
pub mod imports;
pub mod intake;
mod lead_writer;
pub mod leads;
pub mod leaks;
pub mod levels;
mod lifecycle;
pub mod outbox;
pub mod passwords;
pub mod personal_tokens;
pub mod profile_token;
pub mod public_data;
pub mod relations;
pub mod reveals;
mod snapshot;
pub mod structure;
pub mod support;
mod token_info;
pub mod token_manage;
pub mod token_policy;
mod usage;
pub mod users;
pub mod webhooks;

pub use context::{Parts, Services};
pub use lifecycle::{RevokedBy, SweepReport, revoke_by_holder, sweep};
pub use token_info::{NewToken, TokenInfo, TokenListing};
pub use usage::{flush_usage, heartbeat};

pub use crate::models::TokenSearch;
