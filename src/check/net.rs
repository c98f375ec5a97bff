//! NET rules: reaching each host — name resolution, TCP, timeouts, the first byte.

use std::net::IpAddr;

use crate::check::{Context, Step, steps};
use crate::facts::{DnsSource, Exchange, Facts, HostFacts, NetError, Phase, ProxyFailure};
use crate::finding::Finding;
use crate::registry as rules;

/// Time to first byte past which the phone sits at "Waiting…".
pub const SLOW_FIRST_BYTE_MS: u64 = 5_000;

pub fn check(facts: &Facts, _ctx: &Context, out: &mut Vec<Finding>) {
    let tls_failed = tls_failed_hosts(facts);
    let mut once = OncePerHost::default();
    for step in steps(facts) {
        for exchange in &step.fetch.exchanges {
            dns_failure(&step, exchange, &mut once, out);
            let failure = Failure::Exchange {
                exchange,
                tls_failed: &tls_failed,
            };
            connection_failed(&step, failure, &mut once, out);
            timeout(&step, exchange, &mut once, out);
            slow_first_byte(&step, exchange, out);
        }
    }
    for host in &facts.hosts {
        private_address(facts, host, out);
    }
}

/// NET001: the host name of a request does not resolve.
fn dns_failure(step: &Step, exchange: &Exchange, once: &mut OncePerHost, out: &mut Vec<Finding>) {
    let Some(NetError::Dns { host, detail }) = &exchange.error else {
        return;
    };
    let finding = step.finding(
        &rules::DNS_FAILURE,
        format!("{host} does not resolve: {detail}"),
        format!(
            "publish an A (and AAAA) record for {host} in public DNS, or correct the host name in the {}",
            step.written_in()
        ),
    );
    once.report(step, exchange, finding, out);
}

/// What NET003 judges: an exchange's error, or (the safety net, `check::unread_is_never_fine`)
/// a manifest the walk fetched but could not read while no rule said why.
pub(crate) enum Failure<'a> {
    Exchange {
        exchange: &'a Exchange,
        tls_failed: &'a [String],
    },
    Unread {
        exchange: &'a Exchange,
    },
}

/// The safety net's NET003: the manifest of `step` was fetched and not read, and no other rule
/// reported an error about it.
pub(crate) fn manifest_not_read(step: &Step, exchange: &Exchange, out: &mut Vec<Finding>) {
    connection_failed(step, Failure::Unread { exchange }, &mut OncePerHost::default(), out);
}

/// NET003: a request of the installer's path got no usable answer: the connection was refused,
/// reset or unreachable, the answer was not valid HTTP, the body stopped before its end, or the
/// TLS connection failed although the host's handshake works. Every kind of request error is
/// decided here or named as another rule's (the match has no catch-all), so a new kind cannot
/// go unreported.
fn connection_failed(step: &Step, failure: Failure<'_>, once: &mut OncePerHost, out: &mut Vec<Finding>) {
    let (exchange, tls_failed) = match failure {
        Failure::Exchange { exchange, tls_failed } => (exchange, tls_failed),
        Failure::Unread { exchange } => {
            let why = match (&exchange.error, exchange.status) {
                (Some(error), _) => error.to_string(),
                (None, Some(status)) => format!("the answer was {status} with {} bytes", exchange.body_bytes),
                (None, None) => "no answer".to_string(),
            };
            let finding = step.finding(
                &rules::CONNECTION_FAILED,
                format!("the {} from {} was not read: {why}", step.kind, host_port(exchange)),
                format!(
                    "make {} answer 200 with the {} itself to a plain GET (see the request above)",
                    exchange.url, step.kind
                ),
            );
            once.report(step, exchange, finding, out);
            return;
        }
    };
    let Some(error) = &exchange.error else {
        return;
    };
    let host = host_port(exchange);
    // a connection a TLS handshake failure broke is the TLS rules' (TLS001–TLS003, TLS018)
    if tls_failed.contains(&host) {
        return;
    }
    let request = if step.is_head() {
        format!("HEAD request for the {}", step.kind)
    } else {
        format!("{} request", step.kind)
    };
    let (message, fix) = match error {
        NetError::Connect { detail } if detail.contains("while reading") => (
            format!("the connection to {host} broke: {detail}"),
            CONNECT_FIX.to_string(),
        ),
        NetError::Connect { detail } => (format!("cannot connect to {host}: {detail}"), CONNECT_FIX.to_string()),
        NetError::InvalidResponse { detail } => (
            format!("the answer from {host} to the {request} is not valid HTTP: {detail}"),
            "make the server (or the proxy, load balancer or CDN in front of it) send valid HTTP/1.1: see what it sends with curl -sv --http1.1 -o /dev/null URL; the phone's HTTP stack refuses such an answer as otadoctor does".to_string(),
        ),
        NetError::BodyCutShort {
            received,
            expected,
            detail,
        } => (
            match expected {
                Some(expected) => format!(
                    "the connection to {host} broke during the {request}: the body stopped after {received} of {expected} bytes ({detail})"
                ),
                None => format!(
                    "the connection to {host} broke during the {request}: the body stopped after {received} bytes, before its end ({detail})"
                ),
            },
            "make the server send the whole file: look in its error log (and any proxy's or CDN's) for this request — a timeout, a size limit, a worker that dies — and check that Content-Length is the file's size (a file replaced while it is served, or a proxy that changes the body, breaks it)".to_string(),
        ),
        NetError::Tls { detail } => (
            format!("the TLS connection to {host} failed during the {request}: {detail}"),
            "the host's handshake works, yet this connection failed: look in the server's (or its load balancer's) TLS log for this request".to_string(),
        ),
        NetError::Http { detail } => (
            format!("the {request} to {host} failed: {detail}"),
            "look in the server's log (and any proxy's in front of it) for this request".to_string(),
        ),
        NetError::Proxy {
            proxy, failure, status, ..
        } => {
            let finding = step
                .finding(
                    &rules::CONNECTION_FAILED,
                    format!("{host} was not reached: {error}; that is the proxy's doing, not the site's, which was not checked"),
                    proxy_fix(&host, proxy, *failure, *status),
                )
                .device("not known: the site was not reached past the proxy (a phone that goes through the same proxy cannot connect either)")
                .evidence("proxy", proxy.clone());
            once.report(step, exchange, finding, out);
            return;
        }
        // NET001
        NetError::Dns { .. } => return,
        // NET004
        NetError::Timeout { .. } | NetError::Deadline => return,
        // HTTP003
        NetError::TooManyRedirects { .. } | NetError::RedirectNotFollowed { .. } => return,
        // not sent: not the site's fault, and not checked (`report::not_checked` says so)
        NetError::Refused { .. } => return,
    };
    let finding = step.finding(&rules::CONNECTION_FAILED, message, fix);
    once.report(step, exchange, finding, out);
}

/// What to do when the proxy, not the site, failed the request.
fn proxy_fix(host: &str, proxy: &str, failure: ProxyFailure, status: Option<u16>) -> String {
    let around = format!(
        "or check from a network without the proxy (--no-proxy {} when the site is reachable directly)",
        host.rsplit_once(':').map_or(host, |(name, _)| name)
    );
    match failure {
        ProxyFailure::Unreachable => format!(
            "check the proxy's address ({proxy}, from --proxy or the HTTPS_PROXY/http_proxy/ALL_PROXY variables): nothing answered there; {around}"
        ),
        ProxyFailure::Timeout => format!("the proxy {proxy} is slow or stuck: try again, or raise --timeout; {around}"),
        ProxyFailure::AuthenticationRequired => format!(
            "give the proxy's credentials: --proxy http://USER:PASSWORD@HOST:PORT (or the same URL in HTTPS_PROXY); {around}"
        ),
        ProxyFailure::Refused if status == Some(403) => {
            format!("the proxy's policy refuses {host}: ask its administrators to allow CONNECT to it, {around}")
        }
        ProxyFailure::Refused | ProxyFailure::BrokenAnswer | ProxyFailure::Other => {
            format!("look in the proxy's log for this CONNECT request, {around}")
        }
    }
}

const CONNECT_FIX: &str =
    "check that the server listens on that port on its public address and that no firewall or security group blocks it";

/// NET004: a request gets no answer within its time limit, or before the run's deadline.
fn timeout(step: &Step, exchange: &Exchange, once: &mut OncePerHost, out: &mut Vec<Finding>) {
    let finding = match &exchange.error {
        Some(NetError::Timeout {
            phase: Phase::Head,
            after_ms,
        }) => step.finding(
            &rules::TIMEOUT,
            format!(
                "{} had not finished sending its response headers after {:.1} s: they trickle in a few bytes at a time (seen on a second request of its own)",
                host_port(exchange),
                *after_ms as f64 / 1000.0
            ),
            "make the server send its response headers at once: something between the phone and the file (a proxy, a WAF in tarpit mode, an overloaded worker) holds them back".to_string(),
        ),
        Some(NetError::Timeout { phase, after_ms }) => step.finding(
            &rules::TIMEOUT,
            format!("{} gave no answer while {} (gave up after {:.1} s)", host_port(exchange), phase.describe(), *after_ms as f64 / 1000.0),
            "make the server answer within seconds: check it is up, not overloaded, and not buffering the whole file before it sends".to_string(),
        ),
        Some(NetError::Deadline) => step.finding(
            &rules::TIMEOUT,
            format!("{} did not finish before the run's deadline", host_port(exchange)),
            "make the server answer within seconds; raise --deadline only to see how slow it is".to_string(),
        ),
        _ => return,
    };
    once.report(step, exchange, finding, out);
}

/// NET005: the first byte of a response came after more than 5 s.
fn slow_first_byte(step: &Step, exchange: &Exchange, out: &mut Vec<Finding>) {
    let Some(ms) = exchange.timing.first_byte_ms.filter(|ms| *ms > SLOW_FIRST_BYTE_MS) else {
        return;
    };
    out.push(
        step.finding(
            &rules::SLOW_FIRST_BYTE,
            format!(
                "the first byte of {} came after {:.1} s",
                exchange.url,
                ms as f64 / 1000.0
            ),
            "serve the file directly (static file server or CDN) instead of generating or buffering it per request"
                .to_string(),
        ),
    );
}

/// NET002: a host found by DNS resolves to a private address (once per host, on its first resource).
fn private_address(facts: &Facts, host: &HostFacts, out: &mut Vec<Finding>) {
    if !matches!(host.dns.source, DnsSource::System | DnsSource::DnsServer) {
        return;
    }
    let private: Vec<&String> = host
        .dns
        .addresses
        .iter()
        .filter(|a| a.parse::<IpAddr>().is_ok_and(is_private))
        .collect();
    if private.is_empty() {
        return;
    }
    let Some(step) = steps(facts).find(|s| {
        s.fetch.exchanges.iter().any(|e| {
            e.host
                .as_ref()
                .is_some_and(|h| h.host == host.host && h.port == host.port)
        })
    }) else {
        return;
    };
    let all: Vec<String> = private.iter().map(|a| a.to_string()).collect();
    out.push(step.finding(
        &rules::PRIVATE_ADDRESS,
        format!(
            "{} resolves to {} ({}), which phones outside that network cannot reach",
            host.host,
            all.join(", "),
            kind(&all[0])
        ),
        format!(
            "serve {} from a public address, or tell users the install works only on the office network or VPN",
            crate::text::and_list(&host.resources)
        ),
    ));
}

/// The hosts (`host:port`) whose TLS handshake failed.
pub(crate) fn tls_failed_hosts(facts: &Facts) -> Vec<String> {
    facts
        .hosts
        .iter()
        .filter(|h| h.probe.as_ref().is_some_and(|p| p.handshake_failure.is_some()))
        .map(|h| format!("{}:{}", h.host, h.port))
        .collect()
}

/// The findings of NET001, NET003 and NET004 so far: a cause is reported once per host in a
/// walk, naming every resource it cost.
#[derive(Default)]
pub(crate) struct OncePerHost {
    /// (rule code, link of the walk, host:port, index of the finding in `out`)
    seen: Vec<(String, Option<usize>, String, usize)>,
}

impl OncePerHost {
    /// Pushes the finding, or, when the same cause on the same host in the same walk was already
    /// reported, adds this step's resource to that finding.
    fn report(&mut self, step: &Step, exchange: &Exchange, finding: Finding, out: &mut Vec<Finding>) {
        let what = step.kind.to_string();
        let walk = step.walk.and_then(|w| w.link);
        let key = (finding.rule.code.to_string(), walk, host_port(exchange));
        match self
            .seen
            .iter_mut()
            .find(|(code, w, host, _)| (code, w, host) == (&key.0, &key.1, &key.2))
        {
            Some((_, _, _, index)) => {
                let earlier: &mut Finding = &mut out[*index];
                let list = earlier
                    .evidence
                    .entry("resources")
                    .or_insert_with(|| serde_json::json!([]));
                if let Some(list) = list.as_array_mut()
                    && !list.iter().any(|v| v == &serde_json::json!(what))
                {
                    list.push(serde_json::json!(what));
                    earlier.message = format!("{} (also the {what})", earlier.message);
                }
            }
            None => {
                self.seen.push((key.0, key.1, key.2, out.len()));
                out.push(finding.evidence("resources", serde_json::json!([what])));
            }
        }
    }
}

pub(crate) fn host_port(exchange: &Exchange) -> String {
    exchange
        .host
        .as_ref()
        .map_or_else(|| exchange.url.clone(), |h| format!("{}:{}", h.host, h.port))
}

fn kind(addr: &str) -> &'static str {
    match addr.parse::<IpAddr>() {
        Ok(IpAddr::V4(v4)) if v4.is_loopback() => "loopback",
        Ok(IpAddr::V4(v4)) if v4.is_link_local() => "link-local",
        Ok(IpAddr::V4(v4)) if v4.octets()[0] == 100 && (64..128).contains(&v4.octets()[1]) => "carrier-grade NAT",
        Ok(IpAddr::V6(v6)) if v6.is_loopback() => "loopback",
        Ok(IpAddr::V6(v6)) if (v6.segments()[0] & 0xfe00) == 0xfc00 => "unique local",
        Ok(IpAddr::V6(v6)) if (v6.segments()[0] & 0xffc0) == 0xfe80 => "link-local",
        _ => "private",
    }
}

/// RFC 1918, loopback, link-local, CGNAT (100.64/10), ULA (fc00::/7).
pub fn is_private(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_private() || v4.is_loopback() || v4.is_link_local() || (o[0] == 100 && (64..128).contains(&o[1]))
        }
        IpAddr::V6(v6) => {
            let first = v6.segments()[0];
            v6.is_loopback() || (first & 0xfe00) == 0xfc00 || (first & 0xffc0) == 0xfe80
        }
    }
}
