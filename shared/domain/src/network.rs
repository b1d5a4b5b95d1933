//! Where our servers may be made to send a request a tenant chose (a chatbot's URL): only to
//! public addresses. Private, loopback, link-local (the cloud metadata service), shared,
//! multicast and reserved addresses are refused, so a tenant cannot make us call our own network
//! (SSRF). A flag allows loopback for local development and tests. Pure: the caller resolves names
//! and checks each address it would connect to.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// The host of an absolute `http(s)://` URL: an address literal or a name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum UrlHost {
    Address(IpAddr),
    Name(String),
}

/// The host of `url`, if it is an absolute http:// or https:// URL with one.
pub fn url_host(url: &str) -> Option<UrlHost> {
    let rest = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://"))?;
    let authority = rest.split(['/', '?', '#']).next()?;
    // user:password@ is not part of the host.
    let host_port = authority.rsplit('@').next()?;
    if let Some(v6) = host_port.strip_prefix('[') {
        let literal = v6.split(']').next()?;
        return literal
            .parse::<Ipv6Addr>()
            .ok()
            .map(|a| UrlHost::Address(IpAddr::V6(a)));
    }
    let host = host_port.split(':').next()?.trim_end_matches('.').to_ascii_lowercase();
    if host.is_empty() {
        return None;
    }
    Some(match host.parse::<Ipv4Addr>() {
        Ok(a) => UrlHost::Address(IpAddr::V4(a)),
        Err(_) => UrlHost::Name(host),
    })
}

fn is_loopback(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => a.is_loopback(),
        IpAddr::V6(a) => a.is_loopback() || a.to_ipv4_mapped().is_some_and(|v4| v4.is_loopback()),
    }
}

/// Whether `ip` is a public address we may connect to for a tenant (`allow_loopback`: loopback
/// too, for local development and tests).
pub fn is_allowed_destination(ip: IpAddr, allow_loopback: bool) -> bool {
    if is_loopback(ip) {
        return allow_loopback;
    }
    match ip {
        IpAddr::V4(a) => is_public_v4(a),
        IpAddr::V6(a) => match a.to_ipv4_mapped() {
            Some(v4) => is_public_v4(v4),
            None => is_public_v6(a),
        },
    }
}

fn is_public_v4(a: Ipv4Addr) -> bool {
    let [b0, b1, b2, _] = a.octets();
    !(a.is_private()
        || a.is_loopback()
        || a.is_link_local()
        || a.is_unspecified()
        || a.is_broadcast()
        || a.is_multicast()
        || b0 == 0
        || (b0 == 100 && (64..128).contains(&b1))
        || (b0 == 192 && b1 == 0 && b2 == 0)
        || (b0 == 198 && (18..20).contains(&b1))
        || b0 >= 240)
}

fn is_public_v6(a: Ipv6Addr) -> bool {
    let first = a.segments()[0];
    !(a.is_loopback()
        || a.is_unspecified()
        || a.is_multicast()
        || (first & 0xfe00) == 0xfc00
        || (first & 0xffc0) == 0xfe80
        || (first & 0xffc0) == 0xfec0
        || first == 0x0064 && a.segments()[1] == 0xff9b
        || first == 0x2001 && a.segments()[1] == 0x0db8)
}

/// Why a tenant's URL may not be called, judged on what the URL itself says (a name is judged
/// again on its resolved addresses when it is called): `None` when it may.
pub fn refused_destination(url: &str, allow_loopback: bool) -> Option<&'static str> {
    const PRIVATE: &str = "must be a public address: private, loopback, link-local and metadata addresses are refused";
    match url_host(url)? {
        UrlHost::Address(ip) if !is_allowed_destination(ip, allow_loopback) => Some(PRIVATE),
        UrlHost::Address(_) => None,
        UrlHost::Name(name) => {
            let local = name == "localhost" || name.ends_with(".localhost");
            let internal = name.ends_with(".internal") || name.ends_with(".local") || !name.contains('.');
            match (local, internal) {
                (true, _) if allow_loopback => None,
                (true, _) | (_, true) => Some(PRIVATE),
                _ => None,
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_urls_that_point_inside_are_refused() {
        let refused = [
            "http://169.254.169.254/latest/meta-data/",
            "http://127.0.0.1:8080/hook",
            "http://[::1]/hook",
            "http://[::ffff:127.0.0.1]/hook",
            "http://[::ffff:10.0.0.1]/hook",
            "http://10.1.2.3/hook",
            "https://172.16.0.1/hook",
            "https://192.168.1.10/hook",
            "http://100.64.0.1/hook",
            "http://0.0.0.0/hook",
            "http://localhost:9000/hook",
            "http://api.localhost/hook",
            "http://metadata.google.internal/computeMetadata/v1/",
            "http://printer.local/",
            "http://intranet/",
            "http://[fd00:ec2::254]/latest/meta-data/",
            "http://[fe80::1]/",
            "http://user:pw@127.0.0.1/",
        ];
        for url in refused {
            assert!(refused_destination(url, false).is_some(), "{url}");
        }
        for url in [
            "https://bot.example.com/events",
            "http://93.184.216.34/hook",
            "https://[2606:4700::1111]/x",
        ] {
            assert_eq!(refused_destination(url, false), None, "{url}");
        }
    }

    #[test]
    fn the_flag_allows_loopback_only() {
        assert_eq!(refused_destination("http://127.0.0.1:8080/hook", true), None);
        assert_eq!(refused_destination("http://localhost:8080/hook", true), None);
        assert_eq!(refused_destination("http://[::1]:8080/hook", true), None);
        assert!(refused_destination("http://169.254.169.254/", true).is_some());
        assert!(refused_destination("http://10.0.0.1/", true).is_some());
        assert!(!is_allowed_destination("192.168.0.1".parse().expect("ip"), true));
    }
}
