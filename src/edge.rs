//! What every request passes before it is routed: HEAD answered as GET,
//! and a URL PostgreSQL could not store refused.

use actix_web::ResponseError as _;
use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::Method;
use actix_web::middleware::Next;

use crate::error::{ApiError, AppError};

/// `HEAD` is `GET` without the body (RFC 9110): routed as GET, and the
/// body left out (the HTTP layer remembers the request was HEAD).
pub async fn head_as_get(
    mut req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    if req.method() == Method::HEAD {
        req.head_mut().method = Method::GET;
    }
    next.call(req).await
}

/// Whether `text`, percent-decoded, holds a NUL character, which no
/// PostgreSQL text column can store.
pub fn has_nul(text: &[u8]) -> bool {
    text.contains(&0) || percent_encoding_nul(text)
}

fn percent_encoding_nul(text: &[u8]) -> bool {
    text.windows(3).any(|w| w[0] == b'%' && w[1] == b'0' && w[2] == b'0')
}

/// Refuses a request whose path or query holds a NUL character (`%00`)
/// with a 400 saying so, before any handler could pass it to PostgreSQL.
/// Bodies are checked where they are read (the console guard, the API).
pub async fn refuse_nul_in_url(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<EitherBody<impl MessageBody>>, actix_web::Error> {
    let uri = req.uri();
    let part = if has_nul(uri.path().as_bytes()) {
        Some("path")
    } else if uri.query().is_some_and(|q| has_nul(q.as_bytes())) {
        Some("query string")
    } else {
        None
    };
    let Some(part) = part else {
        return Ok(next.call(req).await?.map_into_left_body());
    };
    let error = AppError::bad_request(format!(
        "the URL's {part} contains a NUL character (%00), which Keyward does not accept"
    ));
    let res = if req.path().starts_with("/api/") { ApiError(error).error_response() } else { error.error_response() };
    Ok(req.into_response(res).map_into_right_body())
}

#[cfg(test)]
mod tests {
    use super::has_nul;

    #[test]
    fn nul_is_found_raw_and_percent_encoded() {
        assert!(has_nul(b"/docs/c/a%00b"));
        assert!(has_nul(b"a\0b"));
        assert!(!has_nul(b"/docs/c/a%20b?x=100"));
        assert!(!has_nul(b"/x?q=%2500"), "an encoded percent sign and zeros is text");
    }
}
