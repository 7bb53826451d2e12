//! Reading a token off a request: `Authorization: Bearer <token>` (RFC
//! 6750) for every kind, or HTTP Basic with the token key as user name and
//! the token as password for personal tokens. The token is checked by the
//! one `verify` of the token core.

use actix_web::dev::Payload;
use actix_web::http::header::AUTHORIZATION;
use actix_web::{FromRequest, HttpRequest, web};
use base64::Engine as _;
use futures_util::future::LocalBoxFuture;
use subtle::ConstantTimeEq as _;

use crate::domain::{Actor, TokenKind, normalise_key};
use crate::error::{ApiError, AppError, TokenError};
use crate::http::client_ip;
use crate::services::Services;
use crate::tokens::{Principal, PrincipalUser};

/// How the token came.
enum Presented {
    Bearer(String),
    /// Basic: (user name, password).
    Basic(String, String),
}

fn presented(req: &HttpRequest) -> Result<Presented, TokenError> {
    let header = req.headers().get(AUTHORIZATION).ok_or(TokenError::Missing)?;
    let value = header.to_str().map_err(|_| TokenError::Malformed)?.trim();
    let (scheme, rest) = value.split_once(' ').ok_or(TokenError::Malformed)?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        Ok(Presented::Bearer(rest.to_owned()))
    } else if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD.decode(rest).map_err(|_| TokenError::Malformed)?;
        let decoded = String::from_utf8(decoded).map_err(|_| TokenError::Malformed)?;
        let (user, password) = decoded.split_once(':').ok_or(TokenError::Malformed)?;
        Ok(Presented::Basic(user.to_owned(), password.to_owned()))
    } else {
        Err(TokenError::Missing)
    }
}

/// The token of an `Authorization: Bearer` header (intake takes no Basic).
pub fn bearer_token(req: &HttpRequest) -> Result<String, AppError> {
    match presented(req)? {
        Presented::Bearer(token) => Ok(token),
        Presented::Basic(..) => Err(TokenError::Missing.into()),
    }
}

/// A verified token of any kind. Routes check the kind and scope they need.
#[derive(Debug, Clone)]
pub struct Bearer {
    pub principal: Principal,
    pub ip: String,
}

impl Bearer {
    /// The user a personal or profile token acts as; other kinds are 403.
    pub fn user(&self) -> Result<&PrincipalUser, AppError> {
        self.principal.acting_user().ok_or_else(|| {
            AppError::InsufficientScope(format!(
                "a {} token cannot use this endpoint: it needs a personal or profile API token",
                self.principal.kind.label().to_lowercase()
            ))
        })
    }

    pub fn actor(&self) -> Actor {
        self.principal.actor(&self.ip)
    }

    /// The actor of a management call: the user a personal or profile
    /// token acts as; other kinds are 403.
    pub fn acting(&self) -> Result<Actor, AppError> {
        self.user()?;
        Ok(self.actor())
    }
}

impl FromRequest for Bearer {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let req = req.clone();
        Box::pin(async move {
            let svc = req
                .app_data::<web::Data<Services>>()
                .cloned()
                .ok_or_else(|| AppError::internal(anyhow::anyhow!("Services are not registered")))?;
            let ip = client_ip(&req);
            let principal = match presented(&req)? {
                Presented::Bearer(token) => svc.tokens.verify(&token, &ip).await?,
                Presented::Basic(user, token) => {
                    let principal = svc.tokens.verify(&token, &ip).await?;
                    // Basic is for personal tokens, whose key is the user name.
                    let key_matches: bool = normalise_key(&user).as_bytes().ct_eq(principal.key.as_bytes()).into();
                    if principal.kind != TokenKind::Personal || !key_matches {
                        return Err(TokenError::Unknown.into());
                    }
                    principal
                }
            };
            Ok(Bearer { principal, ip })
        })
    }
}
