//! The tables: one module per table, each with a read struct (Queryable +
//! Selectable), an insert struct or insert function, and the queries on
//! that table as associated functions taking `&mut PgConnection` and
//! returning `QueryResult`. A query that joins another table lives with the
//! table it answers about. No business rules here, and no transactions of
//! their own beyond a savepoint: `services` owns both.

pub mod account_link;
pub mod audit_event;
pub mod campaign;
pub mod destination;
pub mod field;
pub mod filter;
pub mod filter_condition;
pub mod idempotency_key;
pub mod import;
pub mod instance;
pub mod lead;
pub mod lead_file;
pub mod lead_link;
pub mod login_failure;
pub mod org_settings;
pub mod outbox;
pub mod ping;
pub mod relation;
pub mod select;
pub mod select_option;
pub mod session;
pub mod source;
pub mod status;
pub mod token;
pub mod token_leak;
pub mod token_policy;
pub mod token_usage;
pub mod user;
pub mod webhook_event;

pub use account_link::AccountLink;
pub use audit_event::{AuditEvent, AuditFilter, NewAuditEvent};
pub use campaign::Campaign;
pub use field::Field;
pub use filter::Filter;
pub use filter_condition::FilterCondition;
pub use instance::Instance;
pub use lead::{Lead, LeadQuery, LeadRow};
pub use login_failure::LoginFailure;
pub use org_settings::OrgSettings;
pub use outbox::{NewOutboxMessage, OutboxMessage};
pub use ping::Ping;
pub use select::Select;
pub use select_option::SelectOption;
pub use session::{NewSession, Session};
pub use source::Source;
pub use status::Status;
pub use token::{NewTokenRow, Token, TokenRow, TokenSearch};
pub use token_leak::TokenLeak;
pub use token_policy::TokenPolicy;
pub use token_usage::{TokenUsage, UsageDay};
pub use user::{NewUser, User};
