//! Where mail goes: an SMTP relay when `KEYWARD_SMTP_URL` is set, otherwise
//! .eml files under `$KEYWARD_DATA_DIR/mail` (listed at `/dev/outbox`).

use std::time::Duration;

use anyhow::Context as _;
use lettre::message::{Mailbox, MultiPart};
use lettre::{AsyncFileTransport, AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor};

use crate::config::Settings;
use crate::models::OutboxMessage;

pub enum Transport {
    Smtp(AsyncSmtpTransport<Tokio1Executor>),
    File(AsyncFileTransport<Tokio1Executor>),
}

impl Transport {
    pub fn from_settings(settings: &Settings) -> anyhow::Result<Self> {
        match settings.smtp_url() {
            Some(url) => {
                let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(url)
                    .context("KEYWARD_SMTP_URL: not a usable SMTP URL")?
                    .timeout(Some(Duration::from_secs(15)))
                    .build();
                Ok(Self::Smtp(transport))
            }
            None => {
                let dir = settings.mail_dir();
                std::fs::create_dir_all(&dir).with_context(|| format!("cannot create {}", dir.display()))?;
                Ok(Self::File(AsyncFileTransport::<Tokio1Executor>::new(dir)))
            }
        }
    }

    pub fn describe(&self) -> &'static str {
        match self {
            Self::Smtp(_) => "smtp",
            Self::File(_) => "file",
        }
    }

    pub async fn send(&self, from: &str, msg: &OutboxMessage) -> anyhow::Result<()> {
        let from: Mailbox = from.parse().context("sender address")?;
        let to: Mailbox = msg.recipient.parse().context("recipient address")?;
        let email = Message::builder()
            .from(from)
            .to(to)
            .subject(msg.subject.clone())
            .multipart(MultiPart::alternative_plain_html(msg.body_text.clone(), msg.body_html.clone()))
            .context("building the message")?;
        match self {
            Self::Smtp(t) => t.send(email).await.map(drop).context("SMTP delivery failed"),
            Self::File(t) => t.send(email).await.map(drop).context("writing the .eml file failed"),
        }
    }
}
