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

mod caches;
mod context;
mod lead_writer;
mod snapshot;

pub mod audit;
pub mod health;
pub mod idempotency;

pub mod accounts;
pub mod campaigns;
pub mod credentials;
pub mod delivery;
pub mod docs;
pub mod events;
pub mod leads;
pub mod users;

pub use context::{Parts, Services};
pub use credentials::lifecycle::{RevokedBy, SweepReport, revoke_by_holder, sweep};
pub use credentials::token_info::{NewToken, TokenInfo, TokenListing};
pub use credentials::usage::{flush_usage, heartbeat};

pub use crate::models::TokenSearch;
