//! Events: the webhook events written inside the transaction of the
//! change that causes them, and the claims and records of their
//! deliveries. Below credentials (a campaign token issued or revoked is an
//! event) and above campaigns (an event names its campaign).

pub mod webhooks;
