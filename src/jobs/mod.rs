//! Work on timers, on every instance: the sweeper (expiry, warnings, stale
//! sessions), the usage flush and the webhook worker. Each calls services; what they do is safe
//! to do on several instances at once.

pub mod sweeper;
pub mod usage;
pub mod webhooks;
