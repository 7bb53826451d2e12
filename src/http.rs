//! Small facts about an HTTP request that both the console and the API
//! need, kept below both: the client's address, the user agent, whether
//! JSON is wanted, URL encoding; and two middlewares every request passes:
//! HEAD answered as GET, and URLs PostgreSQL could not store refused.
//! Reads only what startup registers for it ([`TrustProxy`]), never the
//! application state.

use actix_web::body::{EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::{Method, header};
use actix_web::middleware::Next;
use actix_web::{HttpRequest, ResponseError as _, web};

use crate::error::{ApiError, AppError};

/// Whether `X-Forwarded-For` may name the client (`KEYWARD_TRUST_PROXY`).
/// Registered as app data at startup; absent means no.
#[derive(Debug, Clone, Copy, Default)]
pub struct TrustProxy(pub bool);

/// The client's address: the TCP peer, or the proxy's `X-Forwarded-For`
/// when `KEYWARD_TRUST_PROXY` says a proxy sets it.
pub fn client_ip(req: &HttpRequest) -> String {
    let trust_proxy = req.app_data::<web::Data<TrustProxy>>().is_some_and(|t| t.0);
    let info = req.connection_info();
    let addr =
        if trust_proxy { info.realip_remote_addr().map(str::to_owned) } else { info.peer_addr().map(str::to_owned) };
    addr.map(|a| strip_port(&a).to_owned()).unwrap_or_else(|| "unknown".to_owned())
}

fn strip_port(addr: &str) -> &str {
    if let Ok(sock) = addr.parse::<std::net::SocketAddr>() {
        // Re-borrow the IP part of the original string.
        let ip_len = match sock {
            std::net::SocketAddr::V4(_) => addr.rfind(':').unwrap_or(addr.len()),
            std::net::SocketAddr::V6(_) => addr.rfind("]:").map_or(addr.len(), |i| i + 1),
        };
        return addr[..ip_len].trim_start_matches('[').trim_end_matches(']');
    }
    addr
}

pub fn user_agent(req: &HttpRequest) -> String {
    req.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or("").to_owned()
}

/// Whether the client asked for JSON (the copy buttons' `fetch`).
pub fn wants_json(req: &HttpRequest) -> bool {
    req.headers().get(header::ACCEPT).and_then(|v| v.to_str().ok()).is_some_and(|v| v.contains("application/json"))
}

pub fn urlencode(s: &str) -> String {
    url::form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

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
    use super::*;

    #[test]
    fn nul_is_found_raw_and_percent_encoded() {
        assert!(has_nul(b"/docs/c/a%00b"));
        assert!(has_nul(b"a\0b"));
        assert!(!has_nul(b"/docs/c/a%20b?x=100"));
    }

    #[test]
    fn ports_are_stripped_from_addresses() {
        assert_eq!(strip_port("127.0.0.1:5000"), "127.0.0.1");
        assert_eq!(strip_port("[::1]:5000"), "::1");
        assert_eq!(strip_port("10.0.0.1"), "10.0.0.1");
    }
}
