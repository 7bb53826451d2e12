//! The token core, shared by every kind: the format (prefix, base62,
//! checksum, key), issuing (digest and seal), verification, usage counting
//! and change notification. Kinds differ in scope and policy only.

pub mod cache;
pub mod format;
pub mod issue;
mod kind;
pub mod limiter;
pub mod listener;

pub mod notify;
pub mod usage;
pub mod verify;

pub use format::random_base62;
pub use issue::{Issued, TokenSpec, issue, reveal};
pub use kind::TokenKind;
pub use verify::{Principal, PrincipalUser, Verifier};
