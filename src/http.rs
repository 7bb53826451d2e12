//! Small facts about an HTTP request that both the console and the API
//! need, kept below both: the client's address, the user agent, whether
//! JSON is wanted, and URL encoding. Reads only what startup registers for
//! it ([`TrustProxy`]), never the application state.

use actix_web::http::header;
use actix_web::{HttpRequest, web};

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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ports_are_stripped_from_addresses() {
        assert_eq!(strip_port("127.0.0.1:5000"), "127.0.0.1");
        assert_eq!(strip_port("[::1]:5000"), "::1");
        assert_eq!(strip_port("10.0.0.1"), "10.0.0.1");
    }
}
