//! One-time results of console actions (Regenerate, Generate, a new token):
//! the POST keeps the secret on the user's session, sealed with the master
//! key, and redirects (303); the GET that follows takes it, which clears
//! it. A refresh or Back finds nothing to show and resubmits nothing.

use secrecy::{ExposeSecret as _, SecretString};
use serde::{Deserialize, Serialize};

use crate::error::AppError;
use crate::models::Session;
use crate::services::context::Services;

/// A secret to show once, on the page at `target`.
pub struct Revealed {
    /// The path of the page that shows it.
    pub target: String,
    /// The token's key (`kw_pat_AbCd1234`), so the page knows where it goes.
    pub key: String,
    pub secret: SecretString,
    /// What the page says of it.
    pub message: String,
}

#[derive(Serialize, Deserialize)]
struct Sealed {
    target: String,
    key: String,
    secret: String,
    message: String,
}

fn aad(session_id: i64) -> String {
    format!("reveal:{session_id}")
}

pub async fn stash(svc: &Services, session_id: i64, revealed: Revealed) -> Result<(), AppError> {
    let plain = serde_json::to_string(&Sealed {
        target: revealed.target,
        key: revealed.key,
        secret: revealed.secret.expose_secret().to_owned(),
        message: revealed.message,
    })
    .map_err(AppError::internal)?;
    let sealed = svc.keys.seal(&aad(session_id), &SecretString::from(plain));
    svc.run(move |conn| Ok(Session::set_reveal(conn, session_id, &sealed)?)).await
}

/// The session's one-time secret if it is for `target` (it is cleared
/// either way: it was meant for the page the POST redirected to).
pub async fn take(svc: &Services, session_id: i64, target: &str) -> Result<Option<Revealed>, AppError> {
    let Some(sealed) = svc.run(move |conn| Ok(Session::take_reveal(conn, session_id)?)).await? else {
        return Ok(None);
    };
    let plain = svc.keys.unseal(&aad(session_id), &sealed).map_err(AppError::internal)?;
    let s: Sealed = serde_json::from_str(plain.expose_secret()).map_err(AppError::internal)?;
    Ok((s.target == target).then(|| Revealed {
        target: s.target,
        key: s.key,
        secret: SecretString::from(s.secret),
        message: s.message,
    }))
}
