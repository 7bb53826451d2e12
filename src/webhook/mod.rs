//! Outgoing webhooks, below the services as mail is: how a delivery is
//! signed, and how it is sent — over a client that never follows a
//! redirect, resolves host names itself and refuses addresses a
//! destination may not reach (checked at delivery time, after DNS, so a
//! name that moved to a private address is caught), caps the answer it
//! reads, and gives up after a timeout. What to deliver and what to record
//! is the services' (`services::events::webhooks`), when the job's (`jobs::webhooks`).

mod deliver;
mod sign;

pub use deliver::{Delivery, Outcome, Sender};
pub use sign::{signature_header, verify};
