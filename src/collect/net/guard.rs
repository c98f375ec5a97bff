//! The guard a server switches on when it fetches URLs on behalf of other people (`otadoctor
//! serve`): no request reaches a loopback, private, link-local, reserved or cloud-metadata
//! address, unless the server's operator allows its range. The command line never sets it.
//!
//! Where it holds: every hop of every fetch (so every redirect) is checked in `Net::exchange`
//! before anything is sent or probed, against the run's resolver: one answer per name per run,
//! cached, and the same answer the HTTP client, the TLS probe and the second look at a late head
//! connect to, each given only the addresses the guard allows. A name that answers a public
//! address first and a private one later (DNS rebinding) cannot pass: there is no later answer.
//! An IP literal host is checked the same way (the HTTP client never asks the resolver for one).
//!
//! Known limits:
//! * A proxy (`--proxy`, the proxy variables) is the operator's own: its name and address are
//!   never refused. Through a proxy, the target name is checked as it resolves here; a name that
//!   does not resolve here is left to the proxy, which resolves it itself (and may reach what
//!   the guard would refuse: the proxy's own policy is what holds then).
//! * Through a proxy, the proxy resolves the target name again: it may get another answer than
//!   the one checked here.
//! * A `--resolve` pin is the operator's own word for where a name is, as a proxy is: a pinned
//!   name is not judged (`otadoctor serve --demo` pins its practice site to 127.0.0.1); a name
//!   without a pin, or an IP literal, is.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

/// An allowed range (`parse_allow` makes them), re-exported so a caller needs no `ipnet` of its own.
pub use ipnet::IpNet;

/// Cloud metadata endpoints: AWS, GCP, Azure and OpenStack (169.254.169.254), AWS ECS task
/// metadata (169.254.170.2), Azure's wire server (168.63.129.16, in a public range), Alibaba
/// Cloud (100.100.100.200) and AWS's IPv6 endpoint (fd00:ec2::254).
const METADATA: [IpAddr; 5] = [
    IpAddr::V4(Ipv4Addr::new(169, 254, 169, 254)),
    IpAddr::V4(Ipv4Addr::new(169, 254, 170, 2)),
    IpAddr::V4(Ipv4Addr::new(168, 63, 129, 16)),
    IpAddr::V4(Ipv4Addr::new(100, 100, 100, 200)),
    IpAddr::V6(Ipv6Addr::new(0xfd00, 0x0ec2, 0, 0, 0, 0, 0, 0x0254)),
];

/// What the guard refuses: the addresses a server that fetches for others must not reach.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Guard {
    allow: Vec<IpNet>,
}

impl Guard {
    /// A guard that refuses every non-public address except those inside `allow` (the
    /// operator's own networks, `--allow-private`). A cloud metadata address stays refused even
    /// inside an allowed range: only an entry that names it exactly (the address alone, or
    /// as a /32 or /128) lets it be fetched.
    pub fn new(allow: Vec<IpNet>) -> Guard {
        Guard { allow }
    }

    /// The allowed ranges, as given.
    pub fn allowed(&self) -> &[IpNet] {
        &self.allow
    }

    /// Why `ip` is refused ("a private address"), or `None` when it may be fetched. An IPv6
    /// address that carries an IPv4 address (IPv4-mapped `::ffff:a.b.c.d`, IPv4-compatible
    /// `::a.b.c.d`, NAT64 `64:ff9b::/96`, 6to4 `2002::/16`) is judged by the IPv4 address.
    pub fn refusal(&self, ip: IpAddr) -> Option<&'static str> {
        let carried = carried_v4(ip).map(IpAddr::V4);
        let judged = carried.unwrap_or(ip);
        if METADATA.contains(&judged) {
            let named = self
                .allow
                .iter()
                .any(|net| net.prefix_len() == net.max_prefix_len() && [Some(ip), carried].contains(&Some(net.addr())));
            return (!named).then_some("a cloud metadata address");
        }
        let reason = match judged {
            IpAddr::V4(v4) => refusal_v4(v4),
            IpAddr::V6(v6) => refusal_v6(v6),
        }?;
        let allowed = self
            .allow
            .iter()
            .any(|net| net.contains(&ip) || carried.is_some_and(|v4| net.contains(&v4)));
        (!allowed).then_some(reason)
    }
}

/// The IPv4 address an IPv6 address carries, by the forms that route to it.
fn carried_v4(ip: IpAddr) -> Option<Ipv4Addr> {
    let IpAddr::V6(v6) = ip else { return None };
    let s = v6.segments();
    let low = Ipv4Addr::new((s[6] >> 8) as u8, s[6] as u8, (s[7] >> 8) as u8, s[7] as u8);
    match s {
        // IPv4-mapped ::ffff:a.b.c.d
        [0, 0, 0, 0, 0, 0xffff, _, _] => Some(low),
        // IPv4-compatible ::a.b.c.d (deprecated); :: and ::1 are IPv6's own
        [0, 0, 0, 0, 0, 0, hi, lo] if hi != 0 || lo > 1 => Some(low),
        // NAT64, the well-known prefix
        [0x64, 0xff9b, 0, 0, 0, 0, _, _] => Some(low),
        // 6to4: 2002:AABB:CCDD::/48
        [0x2002, a, b, ..] => Some(Ipv4Addr::new((a >> 8) as u8, a as u8, (b >> 8) as u8, b as u8)),
        _ => None,
    }
}

fn refusal_v4(ip: Ipv4Addr) -> Option<&'static str> {
    let [a, b, c, _] = ip.octets();
    Some(match (a, b, c) {
        (0, ..) => "an unspecified address (0.0.0.0/8)",
        (127, ..) => "a loopback address",
        (10, ..) | (172, 16..=31, _) | (192, 168, _) => "a private address",
        (100, 64..=127, _) => "a carrier-grade NAT address (100.64.0.0/10)",
        (169, 254, _) => "a link-local address",
        (192, 0, 0) => "an IETF protocol address (192.0.0.0/24)",
        (192, 0, 2) | (198, 51, 100) | (203, 0, 113) => "a documentation address",
        (198, 18..=19, _) => "a benchmarking address (198.18.0.0/15)",
        (224..=239, ..) => "a multicast address",
        _ if ip.is_broadcast() => "the broadcast address",
        (240..=255, ..) => "a reserved address (240.0.0.0/4)",
        _ => return None,
    })
}

fn refusal_v6(ip: Ipv6Addr) -> Option<&'static str> {
    let s = ip.segments();
    Some(match s[0] {
        _ if ip.is_unspecified() => "an unspecified address (::)",
        _ if ip.is_loopback() => "a loopback address",
        first if first & 0xffc0 == 0xfe80 => "a link-local address",
        first if first & 0xffc0 == 0xfec0 => "a site-local address (fec0::/10)",
        first if first & 0xfe00 == 0xfc00 => "a unique local address (fc00::/7)",
        first if first & 0xff00 == 0xff00 => "a multicast address",
        0x2001 if s[1] == 0x0db8 => "a documentation address",
        first if first & 0xfff0 == 0x3ff0 => "a documentation address",
        0x64 if s[1] == 0xff9b && s[2] == 1 => "a local-use NAT64 address (64:ff9b:1::/48)",
        0x100 if s[1..4] == [0, 0, 0] => "a discard-only address (100::/64)",
        // the rest of ::/8 (:: and ::1 above; the forms that carry an IPv4 address are judged by it)
        0 => "a reserved address (::/8)",
        _ => return None,
    })
}

/// The operator's allowed ranges: CIDR ranges or single addresses, separated by commas or
/// blanks (`10.0.0.0/8, 192.168.1.20, fd00::/8`). An error names the item that is neither.
pub fn parse_allow(list: &str) -> Result<Vec<IpNet>, String> {
    let mut allow = Vec::new();
    for item in list.split([',', ' ', '\t', '\n']).filter(|i| !i.is_empty()) {
        let bare = item.trim_start_matches('[').trim_end_matches(']');
        let net = match bare.parse::<IpNet>() {
            Ok(net) => net,
            Err(_) => match bare.parse::<IpAddr>() {
                Ok(ip) => IpNet::from(ip),
                Err(_) => {
                    return Err(format!(
                        "\"{}\" is neither an IP address nor a CIDR range (such as 10.0.0.0/8 or fd00::/8)",
                        item.escape_debug()
                    ));
                }
            },
        };
        allow.push(net);
    }
    Ok(allow)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ip(text: &str) -> IpAddr {
        text.parse().unwrap()
    }

    fn refused(guard: &Guard, text: &str) -> Option<&'static str> {
        guard.refusal(ip(text))
    }

    #[test]
    fn every_range_is_refused_and_public_addresses_are_not() {
        let guard = Guard::new(Vec::new());
        for (address, reason) in [
            ("0.0.0.0", "an unspecified address (0.0.0.0/8)"),
            ("0.1.2.3", "an unspecified address (0.0.0.0/8)"),
            ("127.0.0.1", "a loopback address"),
            ("127.255.255.254", "a loopback address"),
            ("10.1.2.3", "a private address"),
            ("172.16.0.1", "a private address"),
            ("172.31.255.255", "a private address"),
            ("192.168.1.20", "a private address"),
            ("100.64.0.1", "a carrier-grade NAT address (100.64.0.0/10)"),
            ("100.127.255.255", "a carrier-grade NAT address (100.64.0.0/10)"),
            ("169.254.1.1", "a link-local address"),
            ("192.0.0.8", "an IETF protocol address (192.0.0.0/24)"),
            ("192.0.2.10", "a documentation address"),
            ("198.51.100.7", "a documentation address"),
            ("203.0.113.9", "a documentation address"),
            ("198.18.0.1", "a benchmarking address (198.18.0.0/15)"),
            ("198.19.255.1", "a benchmarking address (198.18.0.0/15)"),
            ("224.0.0.1", "a multicast address"),
            ("239.255.255.250", "a multicast address"),
            ("240.0.0.1", "a reserved address (240.0.0.0/4)"),
            ("255.255.255.255", "the broadcast address"),
            ("169.254.169.254", "a cloud metadata address"),
            ("169.254.170.2", "a cloud metadata address"),
            ("168.63.129.16", "a cloud metadata address"),
            ("100.100.100.200", "a cloud metadata address"),
            ("::", "an unspecified address (::)"),
            ("::1", "a loopback address"),
            ("fe80::1", "a link-local address"),
            ("febf::1", "a link-local address"),
            ("fec0::1", "a site-local address (fec0::/10)"),
            ("fc00::1", "a unique local address (fc00::/7)"),
            ("fd12:3456::1", "a unique local address (fc00::/7)"),
            ("ff02::1", "a multicast address"),
            ("2001:db8::1", "a documentation address"),
            ("3fff::1", "a documentation address"),
            ("fd00:ec2::254", "a cloud metadata address"),
            ("::1:0:0:1", "a reserved address (::/8)"),
            ("64:ff9b:1::a", "a local-use NAT64 address (64:ff9b:1::/48)"),
            ("100::1", "a discard-only address (100::/64)"),
            // IPv6 forms that carry an IPv4 address are judged by it
            ("::ffff:127.0.0.1", "a loopback address"),
            ("::ffff:10.1.2.3", "a private address"),
            ("::ffff:169.254.169.254", "a cloud metadata address"),
            ("::127.0.0.1", "a loopback address"),
            ("64:ff9b::10.1.2.3", "a private address"),
            ("64:ff9b::a9fe:a9fe", "a cloud metadata address"),
            ("2002:7f00:1::", "a loopback address"),
            ("2002:a83f:8110::1", "a cloud metadata address"),
        ] {
            assert_eq!(refused(&guard, address), Some(reason), "{address}");
        }
        for public in [
            "1.1.1.1",
            "8.8.8.8",
            "172.32.0.1",
            "100.63.255.255",
            "100.128.0.1",
            "168.63.129.17",
            "192.0.1.1",
            "198.20.0.1",
            "223.255.255.255",
            "2606:4700::1111",
            "2001:4860::8888",
            "::ffff:1.1.1.1",
            "64:ff9b::808:808",
            "2002:808:808::1",
        ] {
            assert_eq!(refused(&guard, public), None, "{public}");
        }
    }

    #[test]
    fn allowed_ranges_are_fetched_but_metadata_only_when_named_exactly() {
        let guard = Guard::new(parse_allow("127.0.0.0/8, ::1/128 169.254.0.0/16,10.0.0.0/8").unwrap());
        assert_eq!(refused(&guard, "127.0.0.1"), None);
        assert_eq!(refused(&guard, "::1"), None);
        assert_eq!(refused(&guard, "::ffff:127.0.0.1"), None);
        assert_eq!(refused(&guard, "10.9.9.9"), None);
        assert_eq!(refused(&guard, "169.254.1.1"), None);
        assert_eq!(refused(&guard, "192.168.1.1"), Some("a private address"));
        // inside an allowed range, still refused
        assert_eq!(refused(&guard, "169.254.169.254"), Some("a cloud metadata address"));
        assert_eq!(refused(&guard, "169.254.170.2"), Some("a cloud metadata address"));
        let broad = Guard::new(parse_allow("0.0.0.0/0, ::/0").unwrap());
        assert_eq!(refused(&broad, "168.63.129.16"), Some("a cloud metadata address"));
        assert_eq!(refused(&broad, "fd00:ec2::254"), Some("a cloud metadata address"));
        assert_eq!(refused(&broad, "10.0.0.1"), None);
        // named exactly: the address alone or its /32 (/128)
        let named = Guard::new(parse_allow("169.254.169.254 168.63.129.16/32 fd00:ec2::254/128").unwrap());
        assert_eq!(refused(&named, "169.254.169.254"), None);
        assert_eq!(refused(&named, "::ffff:169.254.169.254"), None);
        assert_eq!(refused(&named, "168.63.129.16"), None);
        assert_eq!(refused(&named, "fd00:ec2::254"), None);
        assert_eq!(refused(&named, "169.254.170.2"), Some("a cloud metadata address"));
        assert_eq!(refused(&named, "169.254.1.1"), Some("a link-local address"));
    }

    #[test]
    fn parse_allow_reads_lists_and_names_the_bad_item() {
        let allow = parse_allow("10.0.0.0/8, 192.168.1.20, fd00::/8\t[::1]").unwrap();
        let shown: Vec<String> = allow.iter().map(ToString::to_string).collect();
        assert_eq!(shown, ["10.0.0.0/8", "192.168.1.20/32", "fd00::/8", "::1/128"]);
        assert_eq!(parse_allow("").unwrap(), Vec::<IpNet>::new());
        assert_eq!(parse_allow(" , ").unwrap(), Vec::<IpNet>::new());
        for (list, bad) in [
            ("10.0.0.0/8, intranet.example", "\"intranet.example\""),
            ("10.0.0.0/33", "\"10.0.0.0/33\""),
            ("192.168.1", "\"192.168.1\""),
            ("fd00::/129", "\"fd00::/129\""),
            ("10.0.0.0/x", "\"10.0.0.0/x\""),
        ] {
            let error = parse_allow(list).unwrap_err();
            assert!(error.starts_with(bad), "{list}: {error}");
            assert!(error.contains("neither an IP address nor a CIDR range"), "{error}");
        }
    }
}
