//! Static assets, embedded in the binary with rust-embed (read from disk in
//! debug builds). Served with an ETag and an hour of caching; a matching
//! `If-None-Match` gets 304.

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use rust_embed::Embed;

#[derive(Embed)]
#[folder = "static/"]
struct Static;

pub async fn serve(req: HttpRequest, path: web::Path<String>) -> HttpResponse {
    asset(&req, &path)
}

/// `/widget.js`, the embeddable widget's script, at a short stable address.
pub async fn widget_js(req: HttpRequest) -> HttpResponse {
    asset(&req, "widget.js")
}

fn asset(req: &HttpRequest, path: &str) -> HttpResponse {
    let Some(file) = Static::get(path) else {
        return HttpResponse::NotFound().content_type("text/plain").body("not found");
    };
    let hash = file.metadata.sha256_hash();
    let etag: String = format!("\"{}\"", hash[..8].iter().map(|b| format!("{b:02x}")).collect::<String>());
    let matches = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag));
    let mut res = if matches {
        HttpResponse::NotModified().finish()
    } else {
        HttpResponse::Ok().content_type(file.metadata.mimetype()).body(file.data.into_owned())
    };
    let headers = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&etag) {
        headers.insert(header::ETAG, v);
    }
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=3600"));
    res
}
