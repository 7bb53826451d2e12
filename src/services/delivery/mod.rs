//! Delivery: where Keyward sends things out. Webhook destinations (their
//! secrets, rules and delivery log) and the mail outbox as the console
//! shows it. The events they deliver are written by `events`.

pub mod destinations;
pub mod outbox;
