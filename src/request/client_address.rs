//! The client's address: the TCP peer, or — only when the peer is a trusted proxy (`--trusted-proxy`) — the
//! rightmost address in `Forwarded` (RFC 7239 `for=`) or `X-Forwarded-For` that is not itself a trusted proxy
//! (when both headers are sent, they must agree). Hops are walked from the right (the one the trusted peer added) leftwards, because only the hops
//! added by trusted proxies can be believed; whatever a client writes to the left of them cannot. A header that
//! cannot be understood leaves the peer as the client (the request is never refused for it).

use std::net::{IpAddr, SocketAddr};

use http::HeaderMap;
use ipnet::IpNet;

/// Most hops looked at, from the right; a longer chain of trusted hops leaves the peer as the client.
const MAX_HOPS: usize = 32;

/// One `--trusted-proxy` value: `10.0.0.0/8`, `2001:db8::/32`, or a single address (`127.0.0.1`, `::1`).
pub fn parse_cidr(s: &str) -> Result<IpNet, String> {
    let s = s.trim();
    if s.is_empty() {
        return Err("empty range: expected an address or CIDR range such as 10.0.0.0/8".into());
    }
    if s.contains('/') {
        return s.parse::<IpNet>().map(|n| n.trunc()).map_err(|_| {
            format!(
                "'{s}' is not a CIDR range: expected ADDRESS/PREFIX such as 10.0.0.0/8 or fd00::/8"
            )
        });
    }
    s.parse::<IpAddr>().map(IpNet::from).map_err(|_| {
        format!("'{s}' is not an IP address or CIDR range: expected e.g. 127.0.0.1 or 10.0.0.0/8")
    })
}

/// The proxies whose forwarding headers are believed (none by default: the peer is always the client).
#[derive(Debug, Clone, Default)]
pub struct TrustedProxies {
    ranges: Vec<IpNet>,
}

impl TrustedProxies {
    pub fn new(ranges: Vec<IpNet>) -> TrustedProxies {
        TrustedProxies { ranges }
    }

    pub fn is_empty(&self) -> bool {
        self.ranges.is_empty()
    }

    pub fn ranges(&self) -> &[IpNet] {
        &self.ranges
    }

    /// Whether `ip` (an IPv4-mapped IPv6 address counts as its IPv4 address) is in a trusted range.
    pub fn contains(&self, ip: IpAddr) -> bool {
        let ip = ip.to_canonical();
        self.ranges.iter().any(|r| r.contains(&ip))
    }

    /// The client's address for a request from `peer` with `headers`.
    ///
    /// When both `Forwarded` and `X-Forwarded-For` are sent they must name the same client, else the peer is the
    /// client: a proxy maintains one of them, and the other may have come from the client unchanged.
    pub fn client_address(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let peer = peer.to_canonical();
        if !self.contains(peer) {
            return peer;
        }
        let forwarded = headers
            .contains_key(http::header::FORWARDED)
            .then(|| forwarded_hops(headers).and_then(|h| self.walk(&h)));
        let x_forwarded_for = headers
            .contains_key("x-forwarded-for")
            .then(|| x_forwarded_for_hops(headers).and_then(|h| self.walk(&h)));
        match (forwarded, x_forwarded_for) {
            (Some(Some(a)), None) | (None, Some(Some(a))) => a,
            (Some(Some(a)), Some(Some(b))) if a == b => a,
            _ => peer,
        }
    }

    /// The rightmost hop that is not a trusted proxy (the leftmost one when all are); `None` when a hop on the way
    /// is not an address, or there is none, or too many.
    fn walk(&self, hops: &[Option<IpAddr>]) -> Option<IpAddr> {
        if hops.is_empty() {
            return None;
        }
        let mut leftmost = None;
        for hop in hops.iter().rev().take(MAX_HOPS) {
            let ip = (*hop)?; // a hop that is not an address: the chain cannot be followed
            if !self.contains(ip) {
                return Some(ip);
            }
            leftmost = Some(ip);
        }
        // Every hop is a trusted address: the request came from inside; the first one is the client.
        if hops.len() > MAX_HOPS {
            return None;
        }
        leftmost
    }
}

/// The header's lines joined as one list (a header may be sent on several lines); `None` when not text.
fn joined(headers: &HeaderMap, name: &str) -> Option<String> {
    let mut out = String::new();
    for v in headers.get_all(name) {
        let v = v.to_str().ok()?;
        if !out.is_empty() {
            out.push(',');
        }
        out.push_str(v);
    }
    Some(out)
}

/// `X-Forwarded-For: client, proxy1, proxy2`, left to right; `None` for each element that is not an address.
fn x_forwarded_for_hops(headers: &HeaderMap) -> Option<Vec<Option<IpAddr>>> {
    let value = joined(headers, "x-forwarded-for")?;
    Some(value.split(',').map(node).collect())
}

/// `Forwarded: for=192.0.2.60;proto=http, for="[2001:db8::1]:4711"`, left to right: the `for=` of each element;
/// `None` for an element without one or whose node is not an address (`unknown`, `_hidden`). `None` overall when
/// the header is not well-formed.
fn forwarded_hops(headers: &HeaderMap) -> Option<Vec<Option<IpAddr>>> {
    let value = joined(headers, "forwarded")?;
    let mut hops = Vec::new();
    for element in split_unquoted(&value, ',') {
        if element.trim().is_empty() {
            continue;
        }
        let mut node_ip = None;
        for pair in split_unquoted(element, ';') {
            let (name, v) = pair.split_once('=')?;
            if name.trim().eq_ignore_ascii_case("for") {
                node_ip = node(&unquote(v.trim())?);
            }
        }
        hops.push(node_ip);
    }
    Some(hops)
}

/// Splits on `sep` outside quoted strings (a backslash escapes the next character inside one).
fn split_unquoted(s: &str, sep: char) -> Vec<&str> {
    let mut parts = Vec::new();
    let (mut start, mut quoted, mut escaped) = (0, false, false);
    for (i, c) in s.char_indices() {
        if escaped {
            escaped = false;
        } else if quoted && c == '\\' {
            escaped = true;
        } else if c == '"' {
            quoted = !quoted;
        } else if c == sep && !quoted {
            parts.push(&s[start..i]);
            start = i + c.len_utf8();
        }
    }
    parts.push(&s[start..]);
    parts
}

/// A token, or a quoted string without its quotes and escapes; `None` when a quote is not closed.
fn unquote(v: &str) -> Option<String> {
    let Some(inner) = v.strip_prefix('"') else {
        return (!v.contains('"')).then(|| v.to_string());
    };
    let inner = inner.strip_suffix('"')?;
    let mut out = String::with_capacity(inner.len());
    let mut chars = inner.chars();
    while let Some(c) = chars.next() {
        out.push(if c == '\\' { chars.next()? } else { c });
    }
    Some(out)
}

/// A node: `192.0.2.1`, `192.0.2.1:8080`, `2001:db8::1`, `[2001:db8::1]` or `[2001:db8::1]:4711`.
fn node(s: &str) -> Option<IpAddr> {
    let s = s.trim();
    if let Ok(ip) = s.parse::<IpAddr>() {
        return Some(ip.to_canonical());
    }
    if let Ok(sa) = s.parse::<SocketAddr>() {
        return Some(sa.ip().to_canonical());
    }
    let inner = s.strip_prefix('[')?.strip_suffix(']')?;
    inner
        .parse::<std::net::Ipv6Addr>()
        .ok()
        .map(|ip| IpAddr::V6(ip).to_canonical())
}

#[cfg(test)]
mod tests {
    use super::*;
    use http::HeaderValue;

    fn trusted(ranges: &[&str]) -> TrustedProxies {
        TrustedProxies::new(ranges.iter().map(|r| parse_cidr(r).unwrap()).collect())
    }

    fn client(t: &TrustedProxies, peer: &str, headers: &[(&'static str, &str)]) -> String {
        let mut h = HeaderMap::new();
        for (n, v) in headers {
            h.append(*n, HeaderValue::from_str(v).unwrap());
        }
        t.client_address(peer.parse().unwrap(), &h).to_string()
    }

    #[test]
    fn ranges() {
        assert_eq!(parse_cidr("10.1.2.3/8").unwrap().to_string(), "10.0.0.0/8");
        assert_eq!(parse_cidr("127.0.0.1").unwrap().to_string(), "127.0.0.1/32");
        assert_eq!(parse_cidr(" ::1 ").unwrap().to_string(), "::1/128");
        assert_eq!(parse_cidr("fd00::/8").unwrap().to_string(), "fd00::/8");
        for bad in [
            "",
            "10.0.0.0/33",
            "10.0.0/8",
            "localhost",
            "::1/129",
            "1.2.3.4/x",
        ] {
            assert!(parse_cidr(bad).is_err(), "{bad}");
        }
        let t = trusted(&["10.0.0.0/8"]);
        assert!(t.contains("10.200.0.1".parse().unwrap()));
        assert!(t.contains("::ffff:10.0.0.1".parse().unwrap()));
        assert!(!t.contains("11.0.0.1".parse().unwrap()));
    }

    #[test]
    fn only_a_trusted_peer_is_believed() {
        let none = TrustedProxies::default();
        let xff = [("x-forwarded-for", "203.0.113.7")];
        assert_eq!(client(&none, "127.0.0.1", &xff), "127.0.0.1");
        let t = trusted(&["127.0.0.1/32", "10.0.0.0/8"]);
        assert_eq!(client(&t, "192.0.2.9", &xff), "192.0.2.9");
        assert_eq!(client(&t, "127.0.0.1", &xff), "203.0.113.7");
        assert_eq!(client(&t, "::ffff:127.0.0.1", &xff), "203.0.113.7");
        assert_eq!(client(&t, "127.0.0.1", &[]), "127.0.0.1");
    }

    #[test]
    fn the_rightmost_untrusted_hop() {
        let t = trusted(&["127.0.0.1/32", "10.0.0.0/8"]);
        let c = |v: &str| client(&t, "127.0.0.1", &[("x-forwarded-for", v)]);
        assert_eq!(c("203.0.113.7, 10.0.0.2"), "203.0.113.7");
        // What the client wrote to the left of an untrusted hop does not count.
        assert_eq!(c("1.1.1.1, 203.0.113.7, 10.0.0.2"), "203.0.113.7");
        assert_eq!(c("10.0.0.5, 10.0.0.2"), "10.0.0.5");
        assert_eq!(c("203.0.113.7:5555"), "203.0.113.7");
        assert_eq!(c("[2001:db8::1]:80, 10.0.0.2"), "2001:db8::1");
        assert_eq!(c("2001:db8::1"), "2001:db8::1");
        // Several header lines are one list.
        let two = [
            ("x-forwarded-for", "203.0.113.7"),
            ("x-forwarded-for", "10.0.0.2"),
        ];
        assert_eq!(client(&t, "127.0.0.1", &two), "203.0.113.7");
        // Anything not understood leaves the peer.
        for v in ["garbage", "203.0.113.7, nonsense", "", " , ", "unknown"] {
            assert_eq!(c(v), "127.0.0.1", "{v:?}");
        }
        // A garbage hop to the left of an untrusted one is never reached.
        assert_eq!(c("garbage, 203.0.113.7"), "203.0.113.7");
        let long = vec!["10.0.0.1"; MAX_HOPS + 1].join(",");
        assert_eq!(c(&long), "127.0.0.1");
    }

    #[test]
    fn forwarded() {
        let t = trusted(&["127.0.0.1", "10.0.0.0/8"]);
        let c = |v: &str| client(&t, "127.0.0.1", &[("forwarded", v)]);
        assert_eq!(c("for=\"[2001:db8::1]:4711\""), "2001:db8::1");
        assert_eq!(c("for=192.0.2.60;proto=http;by=203.0.113.43"), "192.0.2.60");
        assert_eq!(c("For=\"192.0.2.43:47011\", for=10.0.0.2"), "192.0.2.43");
        assert_eq!(c("for=192.0.2.43;host=\"a,b\", for=10.0.0.2"), "192.0.2.43");
        assert_eq!(c("for=unknown"), "127.0.0.1");
        assert_eq!(c("for=_hidden, for=10.0.0.2"), "127.0.0.1");
        assert_eq!(c("proto=https"), "127.0.0.1");
        assert_eq!(c("for=\"192.0.2.43"), "127.0.0.1");
        assert_eq!(c("garbage"), "127.0.0.1");
        // Both headers: believed only when they agree (a proxy maintains one; the other may be the client's).
        let both =
            |f: &str, x: &str| client(&t, "127.0.0.1", &[("forwarded", f), ("x-forwarded-for", x)]);
        assert_eq!(both("for=192.0.2.1", "192.0.2.2"), "127.0.0.1");
        assert_eq!(both("for=192.0.2.1", "192.0.2.1, 10.0.0.2"), "192.0.2.1");
        assert_eq!(both("for=192.0.2.1", "garbage"), "127.0.0.1");
    }
}
