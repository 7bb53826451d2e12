//! Lists of IP networks (CIDRs, IPv4 and IPv6), parsed once: a token's
//! allowlist and the proxies `KEYWARD_TRUST_PROXY` trusts. Below
//! `domain`, `config` and `http`; imports nothing of the crate.

use std::net::IpAddr;

use ipnet::IpNet;

/// The most networks one list may hold.
pub const ALLOWLIST_MAX: usize = 100;

/// A list of networks; empty means none was given (for a token: anywhere).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Allowlist(Vec<IpNet>);

impl Allowlist {
    /// Parses CIDRs (`10.0.0.0/8`, `2001:db8::/32`) and bare addresses (a
    /// network of one). The error names the entry that is wrong.
    pub fn parse<S: AsRef<str>>(entries: &[S]) -> Result<Self, String> {
        if entries.len() > ALLOWLIST_MAX {
            return Err(format!("List at most {ALLOWLIST_MAX} networks."));
        }
        let mut nets = Vec::with_capacity(entries.len());
        for entry in entries {
            let entry = entry.as_ref().trim();
            if entry.is_empty() {
                return Err("An entry is empty: give an IP address or a CIDR network, or send [] for no limit.".into());
            }
            let net = match entry.parse::<IpNet>() {
                Ok(net) => net,
                Err(_) => match entry.parse::<IpAddr>() {
                    Ok(ip) => IpNet::from(ip),
                    Err(_) => {
                        return Err(format!(
                            "`{entry}` is not an IP address or a CIDR network (e.g. 203.0.113.0/24 or 2001:db8::/32)."
                        ));
                    }
                },
            };
            // 10.1.2.3/8 means 10.0.0.0/8: store what is meant.
            let net = net.trunc();
            if !nets.contains(&net) {
                nets.push(net);
            }
        }
        Ok(Self(nets))
    }

    /// Parses a list stored by Keyward; an entry it cannot read (none
    /// should exist) allows nothing rather than everything.
    pub fn stored(entries: &[String]) -> Self {
        Self(
            entries
                .iter()
                .map(|e| e.parse().unwrap_or_else(|_| IpNet::from(IpAddr::from([0, 0, 0, 0]))).trunc())
                .collect(),
        )
    }

    /// Splits a textarea's lines (or commas) into entries.
    pub fn parse_text(text: &str) -> Result<Self, String> {
        let entries: Vec<&str> = text.split(['\n', ',', ' ']).map(str::trim).filter(|e| !e.is_empty()).collect();
        Self::parse(&entries)
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// Whether a request from `ip` may use the token. An unknown address
    /// (`None`) is allowed only by an empty list.
    pub fn allows(&self, ip: Option<IpAddr>) -> bool {
        if self.0.is_empty() {
            return true;
        }
        let Some(ip) = ip else { return false };
        // An IPv4 client seen through an IPv6 socket (::ffff:a.b.c.d).
        let ip = match ip {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(ip, IpAddr::V4),
            v4 => v4,
        };
        self.0.iter().any(|net| net.contains(&ip))
    }

    /// As stored and shown: one CIDR per entry.
    pub fn to_strings(&self) -> Vec<String> {
        self.0.iter().map(ToString::to_string).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allowlists_take_v4_and_v6_networks_and_single_addresses() {
        assert!(Allowlist::parse(&["203.0.113.0/24", " "]).is_err(), "an empty entry is not \"no limit\"");
        assert_eq!(Allowlist::parse_text("203.0.113.0/24,\n\n 2001:db8::/32").unwrap().to_strings().len(), 2);
        let list = Allowlist::parse(&["203.0.113.0/24", "2001:db8::/32", "198.51.100.7"]).unwrap();
        assert_eq!(list.to_strings(), ["203.0.113.0/24", "2001:db8::/32", "198.51.100.7/32"]);
        assert!(list.allows(Some("203.0.113.9".parse().unwrap())));
        assert!(list.allows(Some("::ffff:203.0.113.9".parse().unwrap())));
        assert!(list.allows(Some("2001:db8:1::1".parse().unwrap())));
        assert!(!list.allows(Some("198.51.100.8".parse().unwrap())));
        assert!(!list.allows(None));
        assert!(Allowlist::default().allows(None));
        assert_eq!(Allowlist::parse(&["10.1.2.3/8"]).unwrap().to_strings(), ["10.0.0.0/8"]);
    }

    #[test]
    fn a_bad_entry_is_named() {
        let err = Allowlist::parse(&["10.0.0.0/8", "10.0.0.0/33"]).unwrap_err();
        assert!(err.contains("`10.0.0.0/33`"), "{err}");
        assert!(Allowlist::parse(&["example.com"]).is_err());
        assert!(Allowlist::parse_text("10.0.0.0/8\n192.168.0.0/16").is_ok());
    }
}
