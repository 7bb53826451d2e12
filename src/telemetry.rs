//! Logging: tracing to stderr, as text or JSON lines (`KEYWARD_LOG_FORMAT`),
//! and a span per request carrying a request id (at `debug`; failures name
//! their request id themselves). Every request has its line
//! at `debug`; at the default `info`, only failed (5xx) and slow ones. Requests are logged by
//! route pattern, never by raw path or query: those may hold a reset code
//! or a public token. The request id is also kept task-locally, so that
//! an error answer can quote it ([`request_id`]).

use std::time::Instant;

use actix_web::body::MessageBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{HeaderName, HeaderValue};
use actix_web::middleware::Next;
use tracing::Instrument as _;
use tracing_subscriber::EnvFilter;

use crate::config::LogFormat;
use crate::metrics::Metrics;

pub fn init(format: LogFormat) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new("info"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_writer(std::io::stderr);
    let _ = match format {
        LogFormat::Json => builder.json().flatten_event(true).with_current_span(true).try_init(),
        LogFormat::Text => builder.try_init(),
    };
}

/// A request slower than this is logged at `info` whatever its answer.
const SLOW: std::time::Duration = std::time::Duration::from_millis(500);

pub const REQUEST_ID: HeaderName = HeaderName::from_static("x-request-id");

tokio::task_local! {
    static CURRENT_REQUEST: String;
}

/// The id of the request being answered, when called while answering one.
pub fn request_id() -> Option<String> {
    CURRENT_REQUEST.try_with(Clone::clone).ok()
}

/// 12 base62 characters from the thread's generator (seeded from the OS):
/// a request id is no secret, and asking the kernel for randomness on every
/// request showed in the profile.
fn new_request_id() -> String {
    use rand::Rng as _;
    rand::rng().sample_iter(rand::distr::Alphanumeric).take(12).map(char::from).collect()
}

pub async fn request_span(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<impl MessageBody>, actix_web::Error> {
    let request_id = new_request_id();
    // The span (which puts the request id on every line logged inside it)
    // is a `debug` span: made and entered on every poll, it cost a cached
    // check a tenth of its throughput at `info`. The lines logged at `info`
    // and above carry the request id themselves.
    let span = tracing::debug_span!("request", request_id = %request_id, method = %req.method());
    let metrics = req.app_data::<actix_web::web::Data<Metrics>>().cloned();
    let method = req.method().to_string();
    let started = Instant::now();
    let mut res = CURRENT_REQUEST.scope(request_id.clone(), next.call(req).instrument(span.clone())).await?;
    let route = res.request().match_pattern().unwrap_or_else(|| "(unmatched)".to_owned());
    let status = res.status().as_u16();
    if let Some(m) = metrics {
        m.request(&route, &method, status, started.elapsed().as_secs_f64());
    }

    // One line per request only at `debug`: at `info` it cost a cached
    // token check 29% of its throughput. Failures and slow answers are
    // always logged.
    let elapsed = started.elapsed();
    let ms = elapsed.as_secs_f64() * 1000.0;
    span.in_scope(|| {
        if status >= 500 {
            tracing::warn!(request_id = %request_id, route = %route, status, ms, "request failed");
        } else if elapsed >= SLOW {
            tracing::info!(request_id = %request_id, route = %route, status, ms, "slow request");
        } else {
            tracing::debug!(route = %route, status, ms, "request");
        }
    });
    if let Ok(v) = HeaderValue::from_str(&request_id) {
        res.headers_mut().insert(REQUEST_ID, v);
    }
    Ok(res)
}
