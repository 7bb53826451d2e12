//! What the public API documentation shows: a campaign's structure and the
//! token whose link opened it (the campaign's own document is built from
//! them, in `leads::document`), the shell examples written from an OpenAPI
//! operation, and how a receiver verifies a delivery.

pub mod api_doc;

pub use api_doc::curl;

use crate::domain::TokenStatus;
use crate::error::AppError;
use crate::models::OrgSettings;
use crate::services::campaigns::catalog::{Campaign, CampaignSnapshot, FilterSpec};
use crate::services::context::Services;

/// How a receiver verifies a delivery, in Python (the public docs show
/// it; a test runs it against a real delivery).
pub const WEBHOOK_VERIFY_PY: &str = r#"import hashlib, hmac, time

def verify(header: str, body: bytes, secret: str, tolerance: int = 300) -> bool:
    """header: the Keyward-Signature value; body: the raw request body."""
    parts = [p.split("=", 1) for p in header.split(",") if "=" in p]
    stamps = [v for k, v in parts if k == "t"]
    if not stamps or abs(time.time() - int(stamps[0])) > tolerance:
        return False
    signed = stamps[0].encode() + b"." + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return any(hmac.compare_digest(expected, v) for k, v in parts if k == "v1")
"#;

/// The same in JavaScript (Node).
pub const WEBHOOK_VERIFY_JS: &str = r#"const crypto = require("crypto");

// header: the Keyward-Signature value; body: the raw request body (a Buffer).
function verify(header, body, secret, tolerance = 300) {
  const parts = header.split(",").map((p) => p.split("="));
  const t = parts.find(([k]) => k === "t");
  if (!t || Math.abs(Date.now() / 1000 - Number(t[1])) > tolerance) return false;
  const expected = crypto.createHmac("sha256", secret).update(`${t[1]}.`).update(body).digest("hex");
  return parts.some(([k, v]) => k === "v1" && v.length === expected.length
    && crypto.timingSafeEqual(Buffer.from(v), Buffer.from(expected)));
}
"#;

/// What the public page says of the token whose key it was opened with.
pub struct TokenDocs {
    pub key: String,
    pub name: String,
    pub read: bool,
    pub write: bool,
    pub filter: Option<FilterSpec>,
    pub status: TokenStatus,
}

/// What a campaign's public documentation is made of.
pub struct PublicDocs {
    pub snap: CampaignSnapshot,
    /// The token whose link opened it (`?key=`), if it is one of the
    /// campaign's API tokens.
    pub token: Option<TokenDocs>,
    /// A key was given that is no API token of the campaign.
    pub unknown_key: bool,
    /// Global Token Authentication is on.
    pub global_enabled: bool,
}

/// A campaign's public documentation: its structure by public id, and,
/// when opened from a token's link (`?key=`), that token's permissions and
/// filter. No login, no secret.
pub async fn public(svc: &Services, public_id: String, key: Option<String>) -> Result<PublicDocs, AppError> {
    let now = svc.now();
    svc.run(move |conn| {
        let campaign = Campaign::by_public_id(conn, &public_id)?.ok_or(AppError::NotFound)?;
        let snap = CampaignSnapshot::load(conn, campaign)?;
        let (token, unknown) = match key.as_deref().map(str::trim).filter(|k| !k.is_empty()) {
            Some(k) => match crate::services::credentials::api_tokens::by_key(conn, snap.campaign.id, k)? {
                Some(t) => (
                    Some(TokenDocs {
                        key: t.display_key(),
                        status: t.status(now),
                        filter: t.filter_id.and_then(|f| snap.filter(f)).cloned(),
                        name: t.name,
                        read: t.can_read,
                        write: t.can_write,
                    }),
                    false,
                ),
                None => (None, true),
            },
            None => (None, false),
        };
        let global_enabled = OrgSettings::global_token_enabled(conn)?;
        Ok(PublicDocs { snap, token, unknown_key: unknown, global_enabled })
    })
    .await
}
