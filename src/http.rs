//! Small facts about an HTTP request that both the console and the API
//! need, kept below both: the client's address, the user agent, whether
//! JSON is wanted, and URL encoding. Reads only what startup registers for
//! it ([`TrustProxy`]), never the application state.

use actix_web::http::header;
use std::net::IpAddr;

use actix_web::{HttpRequest, HttpResponse, web};

use crate::netlist::Allowlist;

/// The proxies whose `X-Forwarded-For` names the client
/// (`KEYWARD_TRUST_PROXY`). Registered as app data at startup; absent or
/// empty means none.
#[derive(Debug, Clone, Default)]
pub struct TrustProxy(pub Allowlist);

/// The client's address: the TCP peer, unless the peer is a trusted proxy;
/// then the last address in `X-Forwarded-For` that is not a trusted proxy
/// (earlier entries are whatever the client claimed).
pub fn client_ip(req: &HttpRequest) -> String {
    let peer = req.peer_addr().map(|a| a.ip());
    let trusted = req.app_data::<web::Data<TrustProxy>>().map(|t| &t.0).filter(|t| !t.is_empty());
    let Some(peer) = peer else {
        return "unknown".to_owned();
    };
    match trusted {
        Some(proxies) if proxies.allows(Some(peer)) => forwarded_client(req, proxies).unwrap_or(peer).to_string(),
        _ => peer.to_string(),
    }
}

fn forwarded_client(req: &HttpRequest, proxies: &Allowlist) -> Option<IpAddr> {
    let hops: Vec<IpAddr> = req
        .headers()
        .get_all("x-forwarded-for")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .map(|hop| strip_port(hop.trim()).parse::<IpAddr>())
        .collect::<Result<_, _>>()
        .ok()?;
    hops.iter().rev().find(|ip| !proxies.allows(Some(**ip))).or(hops.first()).copied()
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

/// A stored file, as a download needs to describe it.
pub struct Download<'a> {
    pub name: &'a str,
    pub content_type: &'a str,
    pub size: u64,
    /// A strong validator (quoted).
    pub etag: &'a str,
}

/// Answers a download: 304 when the client's copy is current
/// (`If-None-Match`), one byte range when asked (`Range`, honouring
/// `If-Range`; 416 when it cannot be met), the whole file otherwise. The
/// bytes come from `body(first, last)`, streamed; the file is always an
/// attachment, never rendered in Keyward's origin.
pub fn download<S, E>(req: &HttpRequest, file: &Download<'_>, body: impl FnOnce(u64, u64) -> S) -> HttpResponse
where
    S: futures_util::Stream<Item = Result<bytes::Bytes, E>> + 'static,
    E: std::error::Error + 'static,
{
    use actix_web::http::header::{
        ACCEPT_RANGES, CACHE_CONTROL, CONTENT_RANGE, ContentDisposition, DispositionParam, DispositionType, ETAG,
        IF_NONE_MATCH, IF_RANGE, RANGE,
    };
    let header = |name| req.headers().get(name).and_then(|v: &header::HeaderValue| v.to_str().ok());
    let mut res = HttpResponse::Ok();
    res.insert_header((ETAG, file.etag))
        .insert_header((ACCEPT_RANGES, "bytes"))
        .insert_header((CACHE_CONTROL, "private, no-cache"));
    if header(IF_NONE_MATCH).is_some_and(|v| v.split(',').any(|t| t.trim() == file.etag || t.trim() == "*")) {
        return res.status(actix_web::http::StatusCode::NOT_MODIFIED).finish();
    }
    let ascii: String =
        file.name.chars().map(|c| if c.is_ascii_graphic() && c != '"' && c != '\\' { c } else { '_' }).collect();
    res.insert_header(ContentDisposition {
        disposition: DispositionType::Attachment,
        parameters: vec![
            DispositionParam::Filename(ascii),
            DispositionParam::FilenameExt(header::ExtendedValue {
                charset: header::Charset::Ext("UTF-8".to_owned()),
                language_tag: None,
                value: file.name.as_bytes().to_vec(),
            }),
        ],
    })
    .content_type(file.content_type);
    let range = header(RANGE).filter(|_| header(IF_RANGE).is_none_or(|v| v == file.etag));
    let (first, last) =
        match range.map(|r| http_range_header::parse_range_header(r).and_then(|r| r.validate(file.size))) {
            None if file.size == 0 => return res.no_chunking(0).finish(),
            None => (0, file.size - 1),
            Some(Ok(ranges)) if ranges.len() == 1 => {
                let (first, last) = (*ranges[0].start(), *ranges[0].end());
                res.status(actix_web::http::StatusCode::PARTIAL_CONTENT)
                    .insert_header((CONTENT_RANGE, format!("bytes {first}-{last}/{}", file.size)));
                (first, last)
            }
            // Several ranges: the whole file, which RFC 9110 allows.
            Some(Ok(_)) => (0, file.size.saturating_sub(1)),
            Some(Err(_)) => {
                return HttpResponse::RangeNotSatisfiable()
                    .insert_header((CONTENT_RANGE, format!("bytes */{}", file.size)))
                    .finish();
            }
        };
    res.no_chunking(last - first + 1).streaming(body(first, last))
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
