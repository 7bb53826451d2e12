//! Email: one askama pair (text and HTML) per message, queued in the
//! `outbox` table inside the transaction of the change that causes it, and
//! delivered by [`worker`] through SMTP or into .eml files.

pub mod messages;
pub mod transport;
pub mod worker;

use diesel::PgConnection;
use time::OffsetDateTime;

use crate::error::AppError;
use crate::models::{NewOutboxMessage, OutboxMessage};

/// A message Keyward sends. Implementations come from [`email_templates!`].
pub trait Email {
    /// The template name, shown in the outbox listing.
    const NAME: &'static str;
    fn subject(&self) -> String;
    fn text(&self) -> askama::Result<String>;
    fn html(&self) -> askama::Result<String>;
}

/// Queues `email` for `to`. Call inside the transaction of the change.
pub fn enqueue<E: Email>(conn: &mut PgConnection, now: OffsetDateTime, to: &str, email: &E) -> Result<i64, AppError> {
    let subject = email.subject();
    let text = email.text()?;
    let html = email.html()?;
    let id = OutboxMessage::insert(
        conn,
        &NewOutboxMessage {
            recipient: to,
            subject: &subject,
            body_text: &text,
            body_html: &html,
            template: E::NAME,
            created_at: now,
            next_attempt_at: now,
        },
    )?;
    Ok(id)
}

/// Implements [`Email`] for a struct from `templates/email/<name>.txt` and
/// `.html`; the templates see the struct as `m`.
#[macro_export]
macro_rules! email_templates {
    ($ty:ident, $name:literal, $txt:literal, $html:literal, |$m:ident| $subject:expr) => {
        const _: () = {
            #[derive(askama::Template)]
            #[template(path = $txt)]
            struct Text<'a> {
                m: &'a $ty,
            }

            #[derive(askama::Template)]
            #[template(path = $html)]
            struct Html<'a> {
                m: &'a $ty,
            }

            impl $crate::mail::Email for $ty {
                const NAME: &'static str = $name;

                fn subject(&self) -> String {
                    let $m = self;
                    $subject
                }

                fn text(&self) -> askama::Result<String> {
                    askama::Template::render(&Text { m: self })
                }

                fn html(&self) -> askama::Result<String> {
                    askama::Template::render(&Html { m: self })
                }
            }
        };
    };
}
