//! Credentials: every kind of token from issue to sweep. The lifecycle
//! (`lifecycle`) is the one way a token comes to exist or stops; the
//! other modules are the screens' and routes' views of it: level tokens,
//! campaign API tokens, account tokens, personal and profile tokens, the
//! token policy, leak reports, usage, one token by key, and support's
//! search.

pub mod account_tokens;
pub mod api_tokens;
pub mod dashboard;
pub mod leaks;
pub mod levels;
pub(super) mod lifecycle;
pub mod personal_tokens;
pub mod profile_token;
pub mod reveals;
pub mod support;
pub(super) mod token_info;
pub mod token_manage;
pub mod token_policy;
pub(super) mod usage;
