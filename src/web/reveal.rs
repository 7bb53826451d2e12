//! One-time results across a redirect: a POST that made a secret keeps it
//! on the session (`services::credentials::reveals`) and answers 303; the page it
//! points to takes it once. A leaf: it imports no screen.

use actix_web::HttpResponse;
use secrecy::SecretString;

use super::page::see_other;
use super::session::CurrentUser;
use crate::error::AppError;
use crate::services::Services;
use crate::services::credentials::reveals::{self, Revealed};

/// Keeps `secret` for the page at `target` and redirects there.
pub async fn redirect(
    svc: &Services,
    user: &CurrentUser,
    target: &str,
    key: String,
    secret: SecretString,
    message: String,
) -> Result<HttpResponse, AppError> {
    let revealed = Revealed { target: target.to_owned(), key, secret, message };
    reveals::stash(svc, user.session_id, revealed).await?;
    Ok(see_other(target))
}

/// The secret kept for the page at `target`, once.
pub async fn take(svc: &Services, user: &CurrentUser, target: &str) -> Result<Option<Revealed>, AppError> {
    reveals::take(svc, user.session_id, target).await
}
