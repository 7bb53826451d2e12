//! Destinations' words: the events a destination may want, and where a
//! destination may point (a pure check of a URL and of the addresses its
//! host resolves to; the resolving is the caller's).

use std::net::IpAddr;

use crate::text_enum;

text_enum! {
    /// What a destination is told about.
    pub enum WebhookEvent {
        LeadCreated => "lead.created",
        LeadUpdated => "lead.updated",
        LeadStatusChanged => "lead.status_changed",
        TokenCreated => "token.created",
        TokenRevoked => "token.revoked",
        TokenExpiring => "token.expiring",
        /// Sent on request from the console or the API; no one subscribes.
        Test => "test",
    }
}

impl WebhookEvent {
    /// The events a destination may subscribe to.
    pub const SUBSCRIBABLE: &'static [WebhookEvent] = &[
        WebhookEvent::LeadCreated,
        WebhookEvent::LeadUpdated,
        WebhookEvent::LeadStatusChanged,
        WebhookEvent::TokenCreated,
        WebhookEvent::TokenRevoked,
        WebhookEvent::TokenExpiring,
    ];

    pub fn label(self) -> &'static str {
        match self {
            Self::LeadCreated => "A lead is created",
            Self::LeadUpdated => "A lead is updated",
            Self::LeadStatusChanged => "A lead's status changes",
            Self::TokenCreated => "A token of the campaign is created",
            Self::TokenRevoked => "A token of the campaign is revoked",
            Self::TokenExpiring => "A token of the campaign is about to expire",
            Self::Test => "A test event",
        }
    }
}

/// What the organisation allows destinations beyond public HTTPS. All
/// off by default: a destination reaches only public addresses.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash)]
pub struct DestinationRules {
    /// Private ranges (10/8, 172.16/12, 192.168/16, fc00::/7, 100.64/10).
    pub allow_private: bool,
    /// Plain HTTP to any host.
    pub allow_http: bool,
    /// This machine: 127.0.0.0/8, ::1 and `localhost` (plain HTTP too).
    pub allow_loopback: bool,
}

/// A destination URL, checked for what can be known without resolving it.
#[derive(Debug, Clone)]
pub struct DestinationUrl {
    pub url: url::Url,
    pub host: String,
    pub port: u16,
}

/// Host names that lead to cloud metadata services whatever they resolve to.
const METADATA_HOSTS: &[&str] = &["metadata.google.internal", "metadata", "instance-data", "metadata.azure.com"];

impl DestinationUrl {
    pub fn parse(input: &str, rules: DestinationRules) -> Result<Self, String> {
        let input = input.trim();
        let url = url::Url::parse(input).map_err(|e| format!("`{input}` is not a URL: {e}"))?;
        if !matches!(url.scheme(), "https" | "http") {
            return Err("must be an https:// URL".to_owned());
        }
        if !url.username().is_empty() || url.password().is_some() {
            return Err("must not carry a user name or password: the signature authenticates Keyward".to_owned());
        }
        let host = url.host_str().ok_or("must name a host")?.trim_end_matches('.').to_ascii_lowercase();
        if METADATA_HOSTS.contains(&host.as_str()) {
            return Err(format!("`{host}` is a cloud metadata service"));
        }
        let port = url.port_or_known_default().filter(|p| *p != 0).ok_or("must name a port from 1 to 65535")?;
        let literal = host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().ok();
        if let Some(ip) = literal {
            check_address(ip, rules)?;
        }
        let parsed = Self { url, host, port };
        if parsed.host_is_local_name() && !rules.allow_loopback {
            return Err(format!("`{}` is this machine: {LOOPBACK_REFUSED}", parsed.host));
        }
        if parsed.url.scheme() == "http" && !parsed.is_loopback() && !rules.allow_http {
            return Err("must be https:// (an administrator may allow plain http://)".to_owned());
        }
        Ok(parsed)
    }

    /// `localhost` or a name under it (RFC 6761: always this machine).
    fn host_is_local_name(&self) -> bool {
        self.host == "localhost" || self.host.ends_with(".localhost")
    }

    /// Whether the URL names this machine itself (a loopback literal or
    /// `localhost`); a name that resolves there is checked on delivery.
    pub fn is_loopback(&self) -> bool {
        let literal = self.host.trim_start_matches('[').trim_end_matches(']').parse::<IpAddr>().ok();
        self.host_is_local_name() || literal.is_some_and(|ip| unmapped(ip).is_loopback())
    }
}

const LOOPBACK_REFUSED: &str =
    "destinations may not point at this machine (an administrator may allow it for a receiver beside Keyward)";

/// An IPv4 address written as IPv6 (`::ffff:127.0.0.1`) is the IPv4 one.
fn unmapped(ip: IpAddr) -> IpAddr {
    match ip {
        IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
        v4 => v4,
    }
}

/// Whether a destination may be delivered to `ip` (the literal in its URL,
/// or an address its host resolved to at delivery time).
pub fn check_address(ip: IpAddr, rules: DestinationRules) -> Result<(), String> {
    let ip = unmapped(ip);
    if ip.is_loopback() && !rules.allow_loopback {
        return Err(format!("{ip} is this machine: {LOOPBACK_REFUSED}"));
    }
    let refused = |what: &str| Err(format!("{ip} is {what}: destinations may not point there"));
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            if v4.is_link_local() {
                return refused("a link-local address (cloud metadata lives there)");
            }
            if v4.is_unspecified() || v4.is_broadcast() || v4.is_multicast() || a == 0 {
                return refused("not a host address");
            }
            let private =
                v4.is_private() || (a == 100 && (64..128).contains(&b)) || (a == 198 && (18..20).contains(&b));
            if private && !rules.allow_private {
                return refused("a private address (an administrator may allow private destinations)");
            }
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            if (first & 0xffc0) == 0xfe80 {
                return refused("a link-local address");
            }
            if v6.is_unspecified() || v6.is_multicast() {
                return refused("not a host address");
            }
            if (first & 0xfe00) == 0xfc00 && !rules.allow_private {
                return refused("a private address (an administrator may allow private destinations)");
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    const STRICT: DestinationRules =
        DestinationRules { allow_private: false, allow_http: false, allow_loopback: false };

    #[test]
    fn this_machine_is_refused_in_every_spelling_unless_allowed() {
        for url in [
            "http://127.0.0.1:8080/in",
            "https://localhost/",
            "https://localhost./",
            "https://api.localhost/",
            "https://[::1]/",
            "https://2130706433/",
            "https://0177.0.0.1/",
            "https://0x7f.0.0.1/",
            "https://127.1/",
            "https://[::ffff:127.0.0.1]/",
            "https://127.9.9.9:9000/",
        ] {
            let e = DestinationUrl::parse(url, STRICT).unwrap_err();
            assert!(e.contains("this machine"), "{url}: {e}");
        }
        let beside = DestinationRules { allow_loopback: true, ..STRICT };
        assert!(DestinationUrl::parse("http://127.0.0.1:8080/in", beside).is_ok(), "http to loopback");
        assert!(DestinationUrl::parse("http://localhost:8080/in", beside).is_ok());
        assert!(DestinationUrl::parse("http://hooks.example.com/", beside).is_err(), "http elsewhere still refused");
        assert!(check_address("127.0.0.1".parse().unwrap(), STRICT).is_err(), "a name resolving there too");
        assert!(check_address("::1".parse().unwrap(), beside).is_ok());
    }

    #[test]
    fn public_https_passes_and_the_rest_is_refused_with_a_reason() {
        assert!(DestinationUrl::parse("https://hooks.example.com/keyward", STRICT).is_ok());
        for (url, says) in [
            ("not a url", "is not a URL"),
            ("ftp://example.com/x", "https://"),
            ("http://hooks.example.com/x", "must be https://"),
            ("https://user:pw@example.com/", "user name"),
            ("https://169.254.169.254/latest/meta-data", "link-local"),
            ("https://metadata.google.internal/", "metadata"),
            ("https://10.1.2.3/", "private"),
            ("https://192.168.0.10/", "private"),
            ("https://[fe80::1]/", "link-local"),
            ("https://[fd00::1]/", "private"),
            ("https://[::ffff:169.254.169.254]/", "link-local"),
            ("https://0.0.0.0/", "not a host address"),
            ("https://example.com:0/", "port from 1 to 65535"),
        ] {
            let e = DestinationUrl::parse(url, STRICT).unwrap_err();
            assert!(e.contains(says), "{url}: {e}");
        }
        let lax = DestinationRules { allow_private: true, allow_http: true, allow_loopback: true };
        assert!(DestinationUrl::parse("http://10.1.2.3:9000/", lax).is_ok());
        assert!(DestinationUrl::parse("https://169.254.169.254/", lax).is_err(), "never link-local");
    }
}
