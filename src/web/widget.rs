//! The embeddable widget: `/widget.js` adds a frame showing
//! `/widget/{c}?token=`, a page with a campaign's live lead count and a
//! label, styled by the host (`theme`, `accent`), refreshing itself. It
//! shows a number, never a lead; the token is the account public token.
//! Unlike every other page, it may be framed by any site.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use askama::Template;
use serde::Deserialize;

use crate::error::AppError;
use crate::http::client_ip;
use crate::services::{Services, campaigns::public_data};

/// Seconds between the frame's refreshes.
const REFRESH: u32 = 30;
const LABEL_MAX: usize = 80;

#[derive(Template)]
#[template(path = "widget.html")]
struct WidgetPage {
    count: Option<String>,
    label: String,
    problem: String,
    theme: &'static str,
    accent: Option<String>,
    nonce: String,
    refresh: u32,
}

#[derive(Deserialize)]
pub struct WidgetQuery {
    #[serde(default)]
    token: String,
    label: Option<String>,
    theme: Option<String>,
    accent: Option<String>,
    status: Option<String>,
}

/// 1234567 as "1,234,567".
fn grouped(n: i64) -> String {
    let digits = n.unsigned_abs().to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    if n < 0 { format!("-{out}") } else { out }
}

/// `#rgb` or `#rrggbb`, nothing else (it goes into a style sheet).
fn color(s: &str) -> Option<String> {
    let hex = s.strip_prefix('#')?;
    (matches!(hex.len(), 3 | 6) && hex.bytes().all(|b| b.is_ascii_hexdigit())).then(|| format!("#{hex}"))
}

pub async fn page(
    req: HttpRequest,
    svc: web::Data<Services>,
    campaign: web::Path<String>,
    query: web::Query<WidgetQuery>,
) -> HttpResponse {
    let q = query.into_inner();
    let label: String = q.label.as_deref().unwrap_or("people signed up").trim().chars().take(LABEL_MAX).collect();
    let count = async {
        let principal = svc.tokens.verify(&q.token, &client_ip(&req)).await?;
        let counts = public_data::counts(&svc, &principal, &campaign).await?;
        match q.status.as_deref().filter(|s| !s.is_empty()) {
            None => Ok(counts.total),
            Some(s) => counts
                .by_status
                .get(s)
                .copied()
                .ok_or_else(|| AppError::NoSuch(format!("`{s}` is not a status of this campaign"))),
        }
    }
    .await;
    let (status, count, problem) = match count {
        Ok(n) => (StatusCode::OK, Some(grouped(n)), String::new()),
        Err(e) => (e.status(), None, "Count unavailable".to_owned()),
    };
    let nonce = crate::tokens::random_base62(16);
    let page = WidgetPage {
        count,
        label,
        problem,
        theme: match q.theme.as_deref() {
            Some("dark") => "dark",
            Some("transparent") => "transparent",
            _ => "light",
        },
        accent: q.accent.as_deref().and_then(color),
        nonce: nonce.clone(),
        refresh: REFRESH,
    };
    let html = page.render().unwrap_or_default();
    let csp = format!(
        "default-src 'none'; style-src 'self' 'nonce-{nonce}'; img-src 'self' data:; base-uri 'none'; \
         form-action 'none'; frame-ancestors *"
    );
    let mut res = HttpResponse::build(status).content_type("text/html; charset=utf-8").body(html);
    let h = res.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&csp) {
        h.insert(header::CONTENT_SECURITY_POLICY, v);
    }
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("public, max-age=10"));
    res
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_are_grouped_and_colours_checked() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1234), "1,234");
        assert_eq!(grouped(1_234_567), "1,234,567");
        assert_eq!(color("#3b4cca").as_deref(), Some("#3b4cca"));
        assert_eq!(color("#fff").as_deref(), Some("#fff"));
        assert_eq!(color("red; } body { display: none"), None);
        assert_eq!(color("#12345g"), None);
    }
}
