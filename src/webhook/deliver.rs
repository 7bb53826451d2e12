//! Sending one delivery: a POST with the signed JSON body, to an address
//! the destination rules allow, without following redirects, reading at
//! most 1 KiB of the answer, within a timeout.

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::dns::{Addrs, Name, Resolve, Resolving};
use secrecy::SecretString;

use crate::domain::{DestinationRules, DestinationUrl, check_address};

/// How much of an answer is kept for the delivery log.
const ANSWER_KEPT: usize = 1024;

/// One delivery to send.
pub struct Delivery {
    pub url: String,
    pub event: String,
    pub delivery_id: String,
    pub body: Vec<u8>,
    /// Newest first.
    pub secrets: Vec<SecretString>,
    pub timestamp: i64,
    /// Where the organisation allows destinations to point.
    pub rules: DestinationRules,
}

/// What came of it.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub status: Option<u16>,
    pub latency: Duration,
    /// Why it did not arrive (no answer, a refused address…).
    pub error: Option<String>,
    /// The first 1 KiB of the answer.
    pub answer: String,
}

impl Outcome {
    pub fn delivered(&self) -> bool {
        self.status.is_some_and(|s| (200..300).contains(&s))
    }
}

/// Resolves host names like the system does, then keeps only addresses a
/// destination may reach under `rules`; none left is an error the log
/// shows. The connection goes to an address checked here: a name cannot
/// resolve to a public address for the check and a private one after.
struct Guarded {
    rules: DestinationRules,
}

impl Resolve for Guarded {
    fn resolve(&self, name: Name) -> Resolving {
        let rules = self.rules;
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let found: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let mut reasons = Vec::new();
            let allowed: Vec<SocketAddr> = found
                .into_iter()
                .filter(|a| check_address(a.ip(), rules).map_err(|e| reasons.push(e)).is_ok())
                .collect();
            if allowed.is_empty() {
                let why = if reasons.is_empty() { format!("{host} has no address") } else { reasons.join("; ") };
                return Err(format!("refused: {why}").into());
            }
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// Sends deliveries. One per process: it keeps its connections.
#[derive(Clone)]
pub struct Sender {
    /// One client per combination of the rules its resolver keeps to
    /// (private ranges, this machine): see [`Sender::client`].
    clients: Arc<[reqwest::Client; 4]>,
    own_ports: Arc<Vec<u16>>,
}

fn client(timeout: Duration, rules: DestinationRules) -> anyhow::Result<reqwest::Client> {
    Ok(reqwest::Client::builder()
        .redirect(reqwest::redirect::Policy::none())
        .timeout(timeout)
        .connect_timeout(timeout.min(Duration::from_secs(10)))
        .user_agent(concat!("Keyward-Webhooks/", env!("CARGO_PKG_VERSION")))
        .dns_resolver(Arc::new(Guarded { rules }))
        .pool_max_idle_per_host(8)
        .build()?)
}

impl Sender {
    /// `own_ports`: the ports this server listens on, which a destination
    /// on loopback may not use (Keyward calling itself).
    pub fn new(timeout: Duration, own_ports: Vec<u16>) -> anyhow::Result<Self> {
        Ok(Self {
            clients: Arc::new([
                client(timeout, DestinationRules { allow_private: false, allow_http: true, allow_loopback: false })?,
                client(timeout, DestinationRules { allow_private: true, allow_http: true, allow_loopback: false })?,
                client(timeout, DestinationRules { allow_private: false, allow_http: true, allow_loopback: true })?,
                client(timeout, DestinationRules { allow_private: true, allow_http: true, allow_loopback: true })?,
            ]),
            own_ports: Arc::new(own_ports),
        })
    }

    /// The client whose resolver keeps to `rules`.
    fn client(&self, rules: DestinationRules) -> &reqwest::Client {
        &self.clients[usize::from(rules.allow_private) | usize::from(rules.allow_loopback) << 1]
    }

    /// Whether the target is this machine: a loopback literal, `localhost`,
    /// or a name that resolves to a loopback address.
    async fn is_this_machine(&self, target: &DestinationUrl) -> bool {
        if target.is_loopback() {
            return true;
        }
        if target.host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().is_ok() {
            return false;
        }
        match tokio::net::lookup_host((target.host.as_str(), target.port)).await {
            Ok(mut found) => found.any(|a| a.ip().is_loopback() || a.ip().to_canonical().is_loopback()),
            // Unresolvable: the delivery fails on its own.
            Err(_) => false,
        }
    }

    /// Checks where the delivery goes, then posts it.
    pub async fn send(&self, d: &Delivery) -> Outcome {
        let started = Instant::now();
        let refused =
            |e: String| Outcome { status: None, latency: started.elapsed(), error: Some(e), answer: String::new() };
        let target = match DestinationUrl::parse(&d.url, d.rules) {
            Ok(t) => t,
            Err(e) => return refused(format!("refused: {e}")),
        };
        // A literal address was checked by `parse`; a name is checked by
        // the client's resolver, with the rules of the moment.
        if d.rules.allow_loopback && self.own_ports.contains(&target.port) && self.is_this_machine(&target).await {
            return refused("refused: the destination is Keyward itself".to_owned());
        }
        let client = self.client(d.rules);
        let signature = super::sign::signature_header(&d.secrets, d.timestamp, &d.body);
        let sent = client
            .post(target.url.clone())
            .header("Content-Type", "application/json")
            .header("Keyward-Signature", signature)
            .header("Keyward-Event", &d.event)
            .header("Keyward-Delivery", &d.delivery_id)
            .body(d.body.clone())
            .send()
            .await;
        let mut res = match sent {
            Ok(res) => res,
            Err(e) if e.is_timeout() => return refused("no answer within the timeout".to_owned()),
            Err(e) => {
                // The resolver's refusal, or the connection's failure, with its causes.
                let mut why = e.to_string();
                let mut source = std::error::Error::source(&e);
                while let Some(s) = source {
                    why = format!("{why}: {s}");
                    source = s.source();
                }
                return refused(why);
            }
        };
        let status = res.status().as_u16();
        let mut answer = Vec::new();
        while answer.len() < ANSWER_KEPT {
            match res.chunk().await {
                Ok(Some(chunk)) => answer.extend_from_slice(&chunk[..chunk.len().min(ANSWER_KEPT - answer.len())]),
                _ => break,
            }
        }
        let error = (!(200..300).contains(&status)).then(|| match status {
            300..400 => format!("answered {status} (redirects are not followed)"),
            _ => format!("answered {status}"),
        });
        Outcome {
            status: Some(status),
            latency: started.elapsed(),
            error,
            answer: String::from_utf8_lossy(&answer).into_owned(),
        }
    }
}
