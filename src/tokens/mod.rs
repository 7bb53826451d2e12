//! The token core, shared by every kind: format (prefix, base62, checksum,
//! key), and the kinds themselves.

pub mod format;
mod kind;

pub use format::random_base62;
pub use kind::TokenKind;
