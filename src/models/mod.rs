//! One module per table: a read struct (Queryable + Selectable), an insert
//! struct, and the queries on that table as associated functions taking
//! `&mut PgConnection`. No business rules here: those live in `services`.

pub mod account_link;
pub mod audit_event;
pub mod campaign;
pub mod lead;
pub mod login_failure;
pub mod org_settings;
pub mod outbox;
pub mod session;
pub mod token;
pub mod user;

pub use account_link::{AccountLink, LinkPurpose};
pub use audit_event::{AuditEvent, NewAuditEvent};
pub use campaign::{
    Campaign, Field, FieldType, Filter, FilterCondition, Select, SelectOption, Source, SourceKind, Status,
};
pub use lead::{Lead, NewLead, Ping};
pub use outbox::{NewOutboxMessage, OutboxMessage};
pub use session::{NewSession, Session};
pub use token::{NewTokenRow, Token, TokenRow, TokenSearch, TokenStatus};
pub use user::{NewUser, User};
