//! The token core, shared by every kind: the format (prefix, base62,
//! checksum, key), issuing (digest and seal), verification with its cache,
//! usage counting and the failed-check limiter. Kinds differ in scope and
//! policy only. Used by `services` and by the API's bearer extractor; it
//! knows nothing of either, nor of pages.

pub mod cache;
pub mod format;
pub mod issue;
pub mod limiter;
pub mod rate;
pub mod state;
pub mod usage;
pub mod verify;

pub use crate::domain::TokenKind;
pub use format::random_base62;
pub use issue::{Issued, TokenSpec, issue, reveal};
pub use state::{Principal, PrincipalUser};
pub use verify::Verifier;
