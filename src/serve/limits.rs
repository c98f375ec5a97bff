//! Who may ask, and how much: tokens, and per-client rate and concurrency limits.
//!
//! A client is an IP address (an IPv6 client is its /64, which one host usually holds whole).
//! Behind a reverse proxy every request comes from the proxy's address: the limits are then the
//! proxy's together, and the proxy should apply its own per-client limits (README).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::Instant;

use base64::Engine as _;

/// Why a request is not served.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Refused {
    #[error(
        "a token is required: send it as `Authorization: Bearer TOKEN` (or as the password of Basic authentication)"
    )]
    Unauthorized,
    #[error(
        "too many checks from this address: try again in {retry_after} s (the server allows each client a few a minute)"
    )]
    TooMany { retry_after: u64 },
    #[error("this address already has as many checks running as the server allows one client: wait for them to finish")]
    Busy,
}

/// `--token-file`'s tokens.
pub struct Auth {
    tokens: Option<Vec<String>>,
}

impl Auth {
    pub fn new(tokens: Option<Vec<String>>) -> Auth {
        Auth { tokens }
    }

    pub fn required(&self) -> bool {
        self.tokens.is_some()
    }

    /// Whether the request carries a token: `Authorization: Bearer TOKEN`, or Basic with the
    /// token as the password (any user name), which a browser asks for itself.
    pub fn check(&self, headers: &hyper::HeaderMap) -> Result<(), Refused> {
        let Some(tokens) = &self.tokens else {
            return Ok(());
        };
        let given = headers
            .get(hyper::header::AUTHORIZATION)
            .and_then(|v| v.to_str().ok())
            .and_then(presented)
            .ok_or(Refused::Unauthorized)?;
        // every token compared, each in constant time, so the time says nothing of which matched
        let matched = tokens.iter().fold(false, |any, token| {
            any | constant_time_eq(token.as_bytes(), given.as_bytes())
        });
        if matched { Ok(()) } else { Err(Refused::Unauthorized) }
    }
}

/// The token an `Authorization` header presents.
fn presented(value: &str) -> Option<String> {
    let (scheme, rest) = value.trim().split_once(' ')?;
    let rest = rest.trim();
    if scheme.eq_ignore_ascii_case("bearer") {
        return Some(rest.to_string());
    }
    if scheme.eq_ignore_ascii_case("basic") {
        let decoded = base64::engine::general_purpose::STANDARD.decode(rest).ok()?;
        let text = String::from_utf8(decoded).ok()?;
        let (_, password) = text.split_once(':')?;
        return Some(password.to_string());
    }
    None
}

/// Equal bytes, in time that depends only on the lengths.
fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The most clients remembered; past it, those with full buckets and nothing running go.
const MAX_CLIENTS: usize = 10_000;

/// Per-client limits: a token bucket of `rate` checks a minute, and `concurrent` at once.
#[derive(Clone)]
pub struct ClientLimits {
    rate: u32,
    concurrent: usize,
    clients: Arc<Mutex<HashMap<IpAddr, Client>>>,
}

struct Client {
    /// Checks that may start now (refilled at `rate` a minute, up to `rate`).
    tokens: f64,
    refilled: Instant,
    running: usize,
}

/// A check admitted for a client: it counts as running until dropped.
pub struct Ticket {
    limits: ClientLimits,
    client: IpAddr,
}

impl Drop for Ticket {
    fn drop(&mut self) {
        if let Ok(mut clients) = self.limits.clients.lock()
            && let Some(client) = clients.get_mut(&self.client)
        {
            client.running = client.running.saturating_sub(1);
        }
    }
}

impl ClientLimits {
    pub fn new(rate: u32, concurrent: usize) -> ClientLimits {
        ClientLimits {
            rate: rate.max(1),
            concurrent: concurrent.max(1),
            clients: Arc::new(Mutex::new(HashMap::new())),
        }
    }

    /// Admits one check for `address`, or says why not.
    pub fn admit(&self, address: IpAddr) -> Result<Ticket, Refused> {
        let client = client_of(address);
        let now = Instant::now();
        let rate = f64::from(self.rate);
        let mut clients = self.clients.lock().map_err(|_| Refused::Busy)?;
        if clients.len() >= MAX_CLIENTS {
            clients.retain(|_, c| c.running > 0 || refill(c, now, rate) < rate);
        }
        let entry = clients.entry(client).or_insert(Client {
            tokens: rate,
            refilled: now,
            running: 0,
        });
        refill(entry, now, rate);
        if entry.running >= self.concurrent {
            return Err(Refused::Busy);
        }
        if entry.tokens < 1.0 {
            let wait = (1.0 - entry.tokens) * 60.0 / rate;
            return Err(Refused::TooMany {
                retry_after: wait.ceil().max(1.0) as u64,
            });
        }
        entry.tokens -= 1.0;
        entry.running += 1;
        Ok(Ticket {
            limits: self.clone(),
            client,
        })
    }
}

/// Tops up a client's bucket for the time since its last refill; the tokens it now has.
fn refill(client: &mut Client, now: Instant, rate: f64) -> f64 {
    let minutes = now.saturating_duration_since(client.refilled).as_secs_f64() / 60.0;
    client.tokens = (client.tokens + minutes * rate).min(rate);
    client.refilled = now;
    client.tokens
}

/// The client an address belongs to: itself, or its /64 for IPv6 (an IPv4-mapped address is
/// its IPv4 address).
fn client_of(address: IpAddr) -> IpAddr {
    match address {
        IpAddr::V4(_) => address,
        IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => IpAddr::V4(v4),
            None => {
                let mut segments = v6.segments();
                for s in &mut segments[4..] {
                    *s = 0;
                }
                IpAddr::V6(segments.into())
            }
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_client_gets_rate_checks_then_waits_and_its_neighbour_is_not_counted() {
        let limits = ClientLimits::new(3, 10);
        let a: IpAddr = "192.0.2.1".parse().unwrap();
        let b: IpAddr = "192.0.2.2".parse().unwrap();
        let tickets: Vec<Ticket> = (0..3).map(|_| limits.admit(a).unwrap()).collect();
        drop(tickets);
        match limits.admit(a) {
            Err(Refused::TooMany { retry_after }) => assert!((1..=20).contains(&retry_after), "{retry_after}"),
            other => panic!("{:?}", other.map(|_| ())),
        }
        assert!(limits.admit(b).is_ok());
    }

    #[test]
    fn concurrency_is_per_client_and_freed_when_a_check_ends() {
        let limits = ClientLimits::new(100, 2);
        let a: IpAddr = "2001:db8::1".parse().unwrap();
        let same_64: IpAddr = "2001:db8::ffff:2".parse().unwrap();
        let first = limits.admit(a).unwrap();
        let _second = limits.admit(same_64).unwrap();
        assert_eq!(limits.admit(a).err(), Some(Refused::Busy));
        drop(first);
        assert!(limits.admit(a).is_ok());
    }

    #[test]
    fn tokens_as_bearer_or_basic_password_only() {
        let auth = Auth::new(Some(vec!["0123456789abcdef0123".to_string()]));
        let with = |value: &str| {
            let mut headers = hyper::HeaderMap::new();
            headers.insert(hyper::header::AUTHORIZATION, value.parse().unwrap());
            auth.check(&headers)
        };
        assert!(with("Bearer 0123456789abcdef0123").is_ok());
        let basic = base64::engine::general_purpose::STANDARD.encode("support:0123456789abcdef0123");
        assert!(with(&format!("Basic {basic}")).is_ok());
        assert!(with("Bearer 0123456789abcdef0124").is_err());
        assert!(with("Bearer 0123456789abcdef012").is_err());
        assert!(auth.check(&hyper::HeaderMap::new()).is_err());
        assert!(Auth::new(None).check(&hyper::HeaderMap::new()).is_ok());
    }
}
