//! HTTP proxies, as curl reads them: `--proxy` or the environment (`https_proxy`, `http_proxy`,
//! `all_proxy`, each also upper case but `HTTP_PROXY`), `--no-proxy` or `NO_PROXY` (curl's
//! matching: names and domain suffixes, `*`, IP addresses and CIDR ranges; no implicit
//! localhost), and the CONNECT tunnel the TLS probe and second looks open through one. Only
//! http:// proxies; https targets always go through CONNECT, so TLS stays end to end and the
//! chain judged is the one the proxy lets through. Credentials are sent as Proxy-Authorization
//! (basic) and never shown: every text of a proxy names it as `ProxyUrl::shown`.

use std::net::{IpAddr, SocketAddr};
use std::time::{Duration, Instant};

use base64::Engine as _;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;

use crate::collect::net::resolve::{DeviceResolver, connect_detail, elapsed_ms};
use crate::facts::{NetError, ProxyFailure};

/// The environment variables a run reads, in curl's order of precedence for each use (the
/// lower-case name first; `HTTP_PROXY` is not read: a CGI program gets it from a request's
/// `Proxy:` header, so curl reads only `http_proxy`).
pub const ENV_NAMES: [&str; 7] = [
    "https_proxy",
    "HTTPS_PROXY",
    "http_proxy",
    "all_proxy",
    "ALL_PROXY",
    "no_proxy",
    "NO_PROXY",
];

/// The most bytes of a proxy's answer to CONNECT read (its head).
pub const ANSWER_CAP: usize = 16 * 1024;

/// curl's port for a proxy URL that names none.
pub const DEFAULT_PORT: u16 = 1080;

/// One http:// proxy.
#[derive(Clone, PartialEq, Eq)]
pub struct ProxyUrl {
    /// The host as written (an IPv6 address without brackets).
    pub host: String,
    pub port: u16,
    /// The `Proxy-Authorization` value (`Basic …`), when the URL had a user.
    authorization: Option<String>,
    /// The user and password as written (decoded and not), to scrub from any text.
    secrets: Vec<String>,
    /// Where it was set: `--proxy`, or the variable it was read from.
    pub source: String,
}

impl std::fmt::Debug for ProxyUrl {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.shown())
    }
}

impl ProxyUrl {
    /// Reads `[http://][user[:password]@]host[:port][/]`; `where_from` names the option or the
    /// variable in the error, which never repeats the credentials.
    pub fn parse(text: &str, where_from: &str) -> Result<ProxyUrl, String> {
        let text = text.trim();
        let rest = match text.split_once("://") {
            Some((scheme, rest)) if scheme.eq_ignore_ascii_case("http") => rest,
            Some((scheme, _)) => {
                return Err(format!(
                    "{where_from}: a {}:// proxy is not supported: otadoctor speaks to http:// proxies only (CONNECT for https sites)",
                    scheme.to_ascii_lowercase()
                ));
            }
            None => text,
        };
        let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
        let (userinfo, hostport) = match authority.rsplit_once('@') {
            Some((userinfo, hostport)) => (Some(userinfo), hostport),
            None => (None, authority),
        };
        let bad = || format!("{where_from}: expected http://HOST:PORT (with user:password@ if the proxy asks for it)");
        let (host, port) = if let Some(inner) = hostport.strip_prefix('[') {
            let (host, after) = inner.split_once(']').ok_or_else(bad)?;
            host.parse::<std::net::Ipv6Addr>().map_err(|_| bad())?;
            (host, after.strip_prefix(':'))
        } else {
            match hostport.split_once(':') {
                Some((host, port)) => (host, Some(port)),
                None => (hostport, None),
            }
        };
        if host.is_empty()
            || !host
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_' | ':'))
        {
            return Err(bad());
        }
        let port = match port {
            None | Some("") => DEFAULT_PORT,
            Some(p) => p
                .parse::<u16>()
                .ok()
                .filter(|p| *p != 0)
                .ok_or_else(|| format!("{where_from}: \"{p}\" is not a port"))?,
        };
        let mut secrets = Vec::new();
        let authorization = userinfo.map(|userinfo| {
            let (user, password) = userinfo.split_once(':').unwrap_or((userinfo, ""));
            let decode = |s: &str| percent_encoding::percent_decode_str(s).decode_utf8_lossy().into_owned();
            let (user, password) = (decode(user), decode(password));
            for secret in [userinfo.to_string(), user.clone(), password.clone()] {
                if !secret.is_empty() && !secrets.contains(&secret) {
                    secrets.push(secret);
                }
            }
            let token = base64::engine::general_purpose::STANDARD.encode(format!("{user}:{password}"));
            format!("Basic {token}")
        });
        Ok(ProxyUrl {
            host: host.to_ascii_lowercase(),
            port,
            authorization,
            secrets,
            source: where_from.to_string(),
        })
    }

    /// The proxy as every report shows it: `http://host:port`, never its credentials.
    pub fn shown(&self) -> String {
        if self.host.contains(':') {
            format!("http://[{}]:{}", self.host, self.port)
        } else {
            format!("http://{}:{}", self.host, self.port)
        }
    }

    /// Whether the proxy URL carried a user (sent as Proxy-Authorization).
    pub fn has_credentials(&self) -> bool {
        self.authorization.is_some()
    }

    /// The `Proxy-Authorization` header's value.
    pub fn authorization(&self) -> Option<&str> {
        self.authorization.as_deref()
    }

    /// `text` with the user name and password of the proxy URL replaced by `***`.
    pub fn scrub(&self, text: &str) -> String {
        let mut text = text.to_string();
        // the longest first, so the user:password pair goes before its parts
        let mut secrets = self.secrets.clone();
        secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
        for secret in &secrets {
            text = text.replace(secret.as_str(), "***");
        }
        text
    }
}

/// `NO_PROXY` / `--no-proxy`: the hosts reached directly.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct NoProxy {
    /// `*`: every host.
    all: bool,
    /// Names and domain suffixes (lower case, without the leading or trailing dot).
    names: Vec<String>,
    /// IP addresses and ranges (an address alone is a range of its full length).
    ranges: Vec<(IpAddr, u8)>,
}

impl NoProxy {
    /// curl's reading: entries separated by commas and blanks; a lone `*` matches every host;
    /// `example.com` and `.example.com` match example.com and every name under it; an IP
    /// address or a CIDR range matches a host written as an address in the range. Nothing else
    /// (a name that resolves to an address in a range, `localhost`) matches implicitly.
    pub fn parse(list: &str) -> NoProxy {
        let mut no_proxy = NoProxy {
            all: list.trim() == "*",
            ..NoProxy::default()
        };
        for entry in list.split([',', ' ', '\t']).filter(|e| !e.is_empty()) {
            let (address, bits) = match entry.split_once('/') {
                Some((address, bits)) => (address, Some(bits)),
                None => (entry, None),
            };
            let address = address.trim_start_matches('[').trim_end_matches(']');
            if let Ok(ip) = address.parse::<IpAddr>() {
                let full = if ip.is_ipv4() { 32 } else { 128 };
                match bits.map(str::parse::<u8>) {
                    None => no_proxy.ranges.push((ip, full)),
                    Some(Ok(bits)) if bits <= full => no_proxy.ranges.push((ip, bits)),
                    // a range that cannot be (10.0.0.0/40) matches nothing, as in curl
                    Some(_) => {}
                }
                continue;
            }
            let name = entry.trim_end_matches('.').trim_start_matches('.').to_ascii_lowercase();
            if !name.is_empty() {
                no_proxy.names.push(name);
            }
        }
        no_proxy
    }

    /// Whether `host` (a name, or an IP address with or without brackets) is reached directly.
    pub fn matches(&self, host: &str) -> bool {
        if self.all {
            return true;
        }
        let bare = host.trim_start_matches('[').trim_end_matches(']');
        if let Ok(ip) = bare.parse::<IpAddr>() {
            return self.ranges.iter().any(|(range, bits)| in_range(ip, *range, *bits));
        }
        let name = bare.trim_end_matches('.').to_ascii_lowercase();
        self.names.iter().any(|entry| {
            name == *entry
                || name
                    .strip_suffix(entry.as_str())
                    .is_some_and(|head| head.ends_with('.'))
        })
    }
}

fn in_range(ip: IpAddr, range: IpAddr, bits: u8) -> bool {
    match (ip, range) {
        (IpAddr::V4(ip), IpAddr::V4(range)) => {
            let mask = u32::MAX.checked_shl(32 - u32::from(bits)).unwrap_or(0);
            u32::from(ip) & mask == u32::from(range) & mask
        }
        (IpAddr::V6(ip), IpAddr::V6(range)) => {
            let mask = u128::MAX.checked_shl(128 - u32::from(bits)).unwrap_or(0);
            u128::from(ip) & mask == u128::from(range) & mask
        }
        _ => false,
    }
}

/// Which proxy each kind of URL goes through, and which hosts bypass it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Proxies {
    /// For https URLs (a CONNECT tunnel).
    pub https: Option<ProxyUrl>,
    /// For http URLs (the request is forwarded: `GET http://host/path`, as curl and the
    /// iPhone send it to a proxy).
    pub http: Option<ProxyUrl>,
    pub no_proxy: NoProxy,
}

impl Proxies {
    /// The proxies of a run: `--proxy` for every URL when given, else the environment
    /// (`lookup` reads one variable); `--no-proxy` when given, else `no_proxy`/`NO_PROXY`. As in
    /// curl, the bypass list applies to a `--proxy` too, and an empty variable counts as unset.
    pub fn choose(
        option: Option<&ProxyUrl>,
        no_proxy_option: Option<&str>,
        lookup: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Proxies, String> {
        let read = |names: &[&'static str]| -> Option<(&'static str, String)> {
            names
                .iter()
                .find_map(|n| lookup(n).filter(|v| !v.trim().is_empty()).map(|v| (*n, v)))
        };
        let no_proxy = match no_proxy_option {
            Some(list) => NoProxy::parse(list),
            None => read(&["no_proxy", "NO_PROXY"])
                .map(|(_, v)| NoProxy::parse(&v))
                .unwrap_or_default(),
        };
        // `*`: no proxy at all, whatever the variables hold
        if no_proxy.all {
            return Ok(Proxies::none());
        }
        if let Some(proxy) = option {
            return Ok(Proxies {
                https: Some(proxy.clone()),
                http: Some(proxy.clone()),
                no_proxy,
            });
        }
        let all = read(&["all_proxy", "ALL_PROXY"]);
        let https = read(&["https_proxy", "HTTPS_PROXY"]).or_else(|| all.clone());
        let http = read(&["http_proxy"]).or(all);
        let parse = |found: &Option<(&'static str, String)>| -> Result<Option<ProxyUrl>, String> {
            found
                .as_ref()
                .map(|(name, value)| ProxyUrl::parse(value, name))
                .transpose()
        };
        Ok(Proxies {
            https: parse(&https)?,
            http: parse(&http)?,
            no_proxy,
        })
    }

    /// No proxy at all.
    pub fn none() -> Proxies {
        Proxies::default()
    }

    /// The proxy a URL of `scheme` on `host` goes through, if any.
    pub fn route(&self, https: bool, host: &str) -> Option<&ProxyUrl> {
        let proxy = if https { self.https.as_ref() } else { self.http.as_ref() }?;
        (!self.no_proxy.matches(host)).then_some(proxy)
    }

    /// Whether any URL can go through a proxy.
    pub fn any(&self) -> bool {
        self.https.is_some() || self.http.is_some()
    }
}

/// A connection through `proxy`'s CONNECT tunnel to `host:port`, within `timeout` for each
/// phase (connecting to the proxy, its answer). The proxy's name is resolved as any name of the
/// run (a `--resolve` pin for it applies); the target's name is the proxy's to resolve. Returns
/// the stream and the moment the TCP connection to the proxy was made.
pub async fn tunnel(
    resolver: &DeviceResolver,
    proxy: &ProxyUrl,
    host: &str,
    port: u16,
    timeout: Duration,
) -> Result<Tunnel, NetError> {
    let failed = |failure: ProxyFailure, detail: String| NetError::Proxy {
        proxy: proxy.shown(),
        failure,
        status: None,
        detail,
    };
    let (mut tcp, address, connect_ms) = connect(resolver, proxy, timeout).await?;
    let target = if host.contains(':') && !host.starts_with('[') {
        format!("[{host}]:{port}")
    } else {
        format!("{host}:{port}")
    };
    let mut request = format!("CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n");
    if let Some(authorization) = proxy.authorization() {
        request.push_str(&format!("Proxy-Authorization: {authorization}\r\n"));
    }
    request.push_str("\r\n");
    let asked = Instant::now();
    let answer = tokio::time::timeout(timeout, async {
        tcp.write_all(request.as_bytes()).await?;
        read_answer(&mut tcp).await
    })
    .await;
    let head = match answer {
        Err(_) => {
            return Err(failed(
                ProxyFailure::Timeout,
                format!(
                    "gave no complete answer to CONNECT {target} within {:.1} s",
                    timeout.as_secs_f64()
                ),
            ));
        }
        Ok(Err(e)) => {
            return Err(failed(
                ProxyFailure::BrokenAnswer,
                format!(
                    "broke the connection while asked to CONNECT {target}: {}",
                    connect_detail(&e)
                ),
            ));
        }
        Ok(Ok(Answer::Closed { bytes })) => {
            return Err(failed(
                ProxyFailure::BrokenAnswer,
                if bytes == 0 {
                    format!("closed the connection without answering CONNECT {target}")
                } else {
                    format!("closed the connection in the middle of its answer to CONNECT {target} ({bytes} bytes)")
                },
            ));
        }
        Ok(Ok(Answer::TooLarge)) => {
            return Err(failed(
                ProxyFailure::BrokenAnswer,
                format!(
                    "sent more than {} KiB of answer to CONNECT {target} without ending its head",
                    ANSWER_CAP / 1024
                ),
            ));
        }
        Ok(Ok(Answer::Head(head))) => head,
    };
    let status_line = head.lines().next().unwrap_or_default();
    let mut words = status_line.splitn(3, ' ');
    let version = words.next().unwrap_or_default();
    let status = words
        .next()
        .and_then(|s| s.parse::<u16>().ok())
        .filter(|_| version.starts_with("HTTP/1."));
    let reason: String = words
        .next()
        .unwrap_or_default()
        .chars()
        .filter(|c| !c.is_control())
        .take(80)
        .collect();
    let answered = |status: u16| {
        if reason.is_empty() {
            status.to_string()
        } else {
            format!("{status} {reason}")
        }
    };
    match status {
        Some(200) => Ok(Tunnel {
            stream: tcp,
            address,
            connect_ms,
            answer_ms: elapsed_ms(asked),
        }),
        Some(status) => Err(NetError::Proxy {
            proxy: proxy.shown(),
            failure: if status == 407 {
                ProxyFailure::AuthenticationRequired
            } else {
                ProxyFailure::Refused
            },
            status: Some(status),
            detail: match status {
                407 if proxy.has_credentials() => format!(
                    "refused CONNECT {target}: {} (it refused the credentials given)",
                    answered(407)
                ),
                407 => format!("refused CONNECT {target}: {} (it wants credentials)", answered(407)),
                _ => format!("refused CONNECT {target}: {}", answered(status)),
            },
        }),
        None => Err(failed(
            ProxyFailure::BrokenAnswer,
            format!(
                "answered CONNECT {target} with something that is not HTTP: \"{}\"",
                status_line
                    .chars()
                    .filter(|c| !c.is_control())
                    .take(80)
                    .collect::<String>()
            ),
        )),
    }
}

/// A TCP connection to the proxy itself (its address, the time it took).
pub async fn connect(
    resolver: &DeviceResolver,
    proxy: &ProxyUrl,
    timeout: Duration,
) -> Result<(TcpStream, SocketAddr, u64), NetError> {
    let unreachable = |detail: String| NetError::Proxy {
        proxy: proxy.shown(),
        failure: ProxyFailure::Unreachable,
        status: None,
        detail,
    };
    let address = proxy_address(resolver, proxy).await.map_err(unreachable)?;
    let start = Instant::now();
    match tokio::time::timeout(timeout, TcpStream::connect(address)).await {
        Ok(Ok(tcp)) => Ok((tcp, address, elapsed_ms(start))),
        Ok(Err(e)) => Err(unreachable(format!("cannot be reached: {}", connect_detail(&e)))),
        Err(_) => Err(unreachable(format!(
            "cannot be reached: no connection within {:.1} s",
            timeout.as_secs_f64()
        ))),
    }
}

/// An open tunnel.
pub struct Tunnel {
    pub stream: TcpStream,
    /// The proxy's address.
    pub address: SocketAddr,
    /// Time to connect to the proxy.
    pub connect_ms: u64,
    /// Time from the CONNECT request to the proxy's answer.
    pub answer_ms: u64,
}

/// The proxy's address: its name resolved as the run resolves names.
async fn proxy_address(resolver: &DeviceResolver, proxy: &ProxyUrl) -> Result<SocketAddr, String> {
    let dns = resolver.resolve(&proxy.host, proxy.port).await;
    if let Some(error) = dns.error {
        return Err(format!("does not resolve: {error}"));
    }
    dns.addresses
        .iter()
        .find_map(|a| a.parse::<IpAddr>().ok())
        .map(|ip| SocketAddr::new(ip, proxy.port))
        .ok_or_else(|| "does not resolve: no address".to_string())
}

enum Answer {
    /// The head, up to its blank line (not past it: what follows is the tunnel's).
    Head(String),
    Closed {
        bytes: usize,
    },
    TooLarge,
}

/// Reads the proxy's answer head a byte at a time, so not a byte of the tunnel is taken.
async fn read_answer(tcp: &mut TcpStream) -> std::io::Result<Answer> {
    let mut head = Vec::with_capacity(256);
    let mut byte = [0u8; 1];
    while head.len() < ANSWER_CAP {
        if tcp.read(&mut byte).await? == 0 {
            return Ok(Answer::Closed { bytes: head.len() });
        }
        head.push(byte[0]);
        if head.ends_with(b"\r\n\r\n") || head.ends_with(b"\n\n") {
            return Ok(Answer::Head(String::from_utf8_lossy(&head).into_owned()));
        }
    }
    Ok(Answer::TooLarge)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_proxy_url_is_read_as_curl_reads_it() {
        let p = ProxyUrl::parse("http://proxy.corp:3128", "--proxy").unwrap();
        assert_eq!(
            (p.host.as_str(), p.port, p.has_credentials()),
            ("proxy.corp", 3128, false)
        );
        let p = ProxyUrl::parse("proxy.corp", "--proxy").unwrap();
        assert_eq!(p.port, DEFAULT_PORT);
        assert_eq!(p.shown(), "http://proxy.corp:1080");
        let p = ProxyUrl::parse("HTTP://[::1]:8080/", "--proxy").unwrap();
        assert_eq!(p.shown(), "http://[::1]:8080");
        assert!(
            ProxyUrl::parse("socks5://h:1080", "ALL_PROXY")
                .unwrap_err()
                .contains("socks5://")
        );
        assert!(ProxyUrl::parse("https://h:443", "--proxy").is_err());
        assert!(ProxyUrl::parse("http://h:99999", "--proxy").is_err());
        assert!(ProxyUrl::parse("http://:8080", "--proxy").is_err());
    }

    #[test]
    fn credentials_become_basic_authorization_and_never_show() {
        let p = ProxyUrl::parse("http://alice:s%40cret@10.0.0.1:3128", "HTTPS_PROXY").unwrap();
        // base64("alice:s@cret")
        assert_eq!(p.authorization(), Some("Basic YWxpY2U6c0BjcmV0"));
        assert_eq!(p.shown(), "http://10.0.0.1:3128");
        assert_eq!(format!("{p:?}"), "http://10.0.0.1:3128");
        assert_eq!(p.scrub("user alice:s%40cret, s@cret"), "user ***, ***");
        let e = ProxyUrl::parse("http://alice:topsecret@h:x", "--proxy").unwrap_err();
        assert!(!e.contains("topsecret"), "{e}");
    }

    #[test]
    fn no_proxy_matches_as_curl_does() {
        let n = NoProxy::parse("example.com, .corp.test,10.0.0.0/8 ::1,192.168.1.7,bad.range/99");
        assert!(n.matches("example.com"));
        assert!(n.matches("www.example.com"));
        assert!(n.matches("WWW.Example.COM."));
        assert!(!n.matches("notexample.com"));
        assert!(!n.matches("example.com.org"));
        assert!(n.matches("corp.test"));
        assert!(n.matches("a.b.corp.test"));
        assert!(n.matches("10.20.30.40"));
        assert!(!n.matches("11.0.0.1"));
        assert!(n.matches("[::1]"));
        assert!(n.matches("192.168.1.7"));
        assert!(!n.matches("192.168.1.8"));
        // no implicit loopback, and names are not resolved to match ranges
        assert!(!n.matches("localhost"));
        assert!(!n.matches("127.0.0.1"));
        assert!(!n.matches("bad.range"));
        assert!(NoProxy::parse("*").matches("anything.example"));
        assert!(!NoProxy::parse("*.example.com").matches("www.example.com"));
        assert!(!NoProxy::parse("").matches("example.com"));
        assert!(NoProxy::parse("0.0.0.0/0").matches("203.0.113.9"));
    }

    #[test]
    fn the_environment_is_read_in_curls_order() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| pairs.iter().find(|(n, _)| *n == name).map(|(_, v)| v.to_string())
        };
        let p = Proxies::choose(
            None,
            None,
            &env(&[("HTTPS_PROXY", "http://upper:1"), ("https_proxy", "http://lower:2")]),
        )
        .unwrap();
        assert_eq!(p.https.as_ref().map(|p| p.host.as_str()), Some("lower"));
        assert_eq!(p.http, None);
        // HTTP_PROXY is never read; ALL_PROXY fills what is not set
        let p = Proxies::choose(
            None,
            None,
            &env(&[("HTTP_PROXY", "http://cgi:1"), ("ALL_PROXY", "http://all:3")]),
        )
        .unwrap();
        assert_eq!(p.http.as_ref().map(|p| p.host.as_str()), Some("all"));
        assert_eq!(p.https.as_ref().map(|p| p.host.as_str()), Some("all"));
        assert_eq!(p.https.as_ref().map(|p| p.source.as_str()), Some("ALL_PROXY"));
        // --proxy wins, NO_PROXY still applies to it; --no-proxy replaces NO_PROXY
        let option = ProxyUrl::parse("http://opt:4", "--proxy").unwrap();
        let vars = env(&[("https_proxy", "http://lower:2"), ("NO_PROXY", "direct.example")]);
        let p = Proxies::choose(Some(&option), None, &vars).unwrap();
        assert_eq!(p.route(true, "ota.example").map(|p| p.host.as_str()), Some("opt"));
        assert_eq!(p.route(true, "direct.example"), None);
        let p = Proxies::choose(Some(&option), Some(""), &vars).unwrap();
        assert!(p.route(true, "direct.example").is_some());
        // an empty variable is unset; a bad one names itself
        assert!(
            !Proxies::choose(None, None, &env(&[("https_proxy", " ")]))
                .unwrap()
                .any()
        );
        let socks = env(&[("https_proxy", "socks5://s:1")]);
        let e = Proxies::choose(None, None, &socks).unwrap_err();
        assert!(e.starts_with("https_proxy:"), "{e}");
        assert!(!Proxies::choose(None, Some("*"), &socks).unwrap().any());
    }
}
