//! The practice site's web server, also the test lab's: HTTP/1.1 on listeners bound to
//! 127.0.0.1, over TLS (tokio-rustls, any server configuration: client authentication, a
//! stapled OCSP response) or plain, answering from a table of paths with HEAD, byte ranges
//! and keep-alive. A route can also misbehave the ways real servers do (no Content-Length,
//! Range ignored, wrong range bytes, another HEAD status, a slow first byte, a trickled or
//! endless body, another answer for one User-Agent), or answer with raw bytes that are not valid
//! HTTP, and close without TLS close_notify. Every handshake, read and write has a timeout,
//! request heads are capped, and so is the number of connections at once.

use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::TcpListener;

use super::pki::ServerCert;

/// How long a handshake, a read of the request or a write may take.
pub const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// The largest request head read.
const MAX_HEAD: usize = 16 * 1024;
/// Connections served at once per listener; more wait to be accepted.
const MAX_CONNECTIONS: usize = 128;

/// How one path answers.
#[derive(Clone, Debug)]
pub struct Route {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    /// Shared: a route is cloned for every request, the body is not (benchmarks serve 200 MiB).
    pub body: Arc<Vec<u8>>,
    /// Send a Content-Length (else close the connection after the body).
    pub content_length: bool,
    /// Answer `Range` with 206 (else ignore it and send the whole body).
    pub ranges: bool,
    /// Answer ranges that do not start at 0 with the bytes this far before the ones asked for
    /// (a broken cache or proxy): same length and Content-Range, wrong bytes.
    pub range_shift: usize,
    /// The status for HEAD, when it differs from GET's.
    pub head_status: Option<u16>,
    /// Wait this long before the status line.
    pub first_byte_delay: Duration,
    /// Send the body one byte per interval.
    pub trickle: Option<Duration>,
    /// Never stop sending the body.
    pub endless: bool,
    /// Another answer for requests whose User-Agent contains the key.
    pub for_agent: Vec<(String, Route)>,
    /// Write these bytes verbatim as the whole answer (status line, headers and body as
    /// given), then close: for answers that are not valid HTTP. `trickle` sends them a byte at a
    /// time; `endless` sends filler after them for ever (a head that never ends).
    pub raw: Option<Arc<Vec<u8>>>,
    /// Close the connection without TLS close_notify (drop it, no `shutdown`) after the answer,
    /// as servers that end a body by closing often do.
    pub abrupt_close: bool,
    /// Another answer for HEAD requests.
    pub for_head: Option<Box<Route>>,
    /// Answer ranges that do not start at 0 with another range, this far before the one asked
    /// for, and say so in Content-Range (a cache that serves the wrong slice).
    pub content_range_shift: usize,
    /// Answer a request for several ranges with the whole body (200), as object stores that
    /// serve one range per request do.
    pub single_range_only: bool,
}

impl Route {
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Route {
        Route {
            status: 200,
            headers: vec![("content-type".to_string(), content_type.to_string())],
            body: Arc::new(body.into()),
            content_length: true,
            ranges: true,
            range_shift: 0,
            head_status: None,
            first_byte_delay: Duration::ZERO,
            trickle: None,
            endless: false,
            for_agent: Vec::new(),
            raw: None,
            abrupt_close: false,
            for_head: None,
            content_range_shift: 0,
            single_range_only: false,
        }
    }

    /// An answer of raw bytes, written as they are, then the connection is closed.
    pub fn raw(bytes: impl Into<Vec<u8>>) -> Route {
        Route {
            raw: Some(Arc::new(bytes.into())),
            content_length: false,
            ..Route::ok("application/octet-stream", Vec::new())
        }
    }

    pub fn status(status: u16, content_type: &str, body: impl Into<Vec<u8>>) -> Route {
        Route {
            status,
            ..Route::ok(content_type, body)
        }
    }

    pub fn redirect(status: u16, location: &str) -> Route {
        Route::status(status, "text/html", "<a href=\"moved\">moved</a>").header("location", location)
    }

    pub fn header(mut self, name: &str, value: &str) -> Route {
        self.headers.push((name.to_string(), value.to_string()));
        self
    }

    pub fn no_length(mut self) -> Route {
        self.content_length = false;
        self
    }

    pub fn wrong_range_bytes(mut self, shift: usize) -> Route {
        self.range_shift = shift;
        self
    }

    /// One range per request: several ranges get the whole body.
    pub fn single_range_only(mut self) -> Route {
        self.single_range_only = true;
        self
    }

    pub fn no_ranges(mut self) -> Route {
        self.ranges = false;
        self
    }

    pub fn head(mut self, status: u16) -> Route {
        self.head_status = Some(status);
        self
    }

    pub fn delay(mut self, d: Duration) -> Route {
        self.first_byte_delay = d;
        self
    }

    pub fn trickle(mut self, per_byte: Duration) -> Route {
        self.trickle = Some(per_byte);
        self
    }

    pub fn endless(mut self) -> Route {
        self.endless = true;
        self.content_length = false;
        self
    }

    pub fn for_agent(mut self, contains: &str, other: Route) -> Route {
        self.for_agent.push((contains.to_string(), other));
        self
    }

    /// Answer HEAD requests with `other`.
    pub fn answer_head_with(mut self, other: Route) -> Route {
        self.for_head = Some(Box::new(other));
        self
    }

    pub fn wrong_content_range(mut self, shift: usize) -> Route {
        self.content_range_shift = shift;
        self
    }

    /// Close without TLS close_notify after the answer (and never keep the connection).
    pub fn without_close_notify(mut self) -> Route {
        self.abrupt_close = true;
        self
    }
}

/// The paths a server answers (a key ending in `/*`: every path under it); anything else is a
/// 404.
pub type Routes = HashMap<String, Route>;

/// The route of `path`: its own, else the longest `…/*` route it is under (an OCSP responder's
/// GET requests carry the request in the path).
fn find_route(routes: &Routes, path: &str) -> Option<Route> {
    routes.get(path).cloned().or_else(|| {
        routes
            .iter()
            .filter_map(|(key, route)| key.strip_suffix('*').map(|prefix| (prefix, route)))
            .filter(|(prefix, _)| prefix.ends_with('/') && path.starts_with(prefix))
            .max_by_key(|(prefix, _)| prefix.len())
            .map(|(_, route)| route.clone())
    })
}

/// One request the server saw.
#[derive(Clone, Debug)]
pub struct Logged {
    pub method: String,
    pub path: String,
    pub range: Option<String>,
    pub user_agent: String,
    /// Which connection it came on (1 for the first).
    pub connection: usize,
}

/// A server's routes, its request log and its connection count, shared by its listeners.
pub struct Server {
    routes: Mutex<Routes>,
    /// The `Server` header of every answer, if any.
    name: Option<&'static str>,
    /// Whether requests are logged (the test lab reads the log; the demo keeps none).
    logging: bool,
    log: Mutex<Vec<Logged>>,
    connections: AtomicUsize,
}

impl Server {
    pub fn new(routes: Routes, name: Option<&'static str>, logging: bool) -> Arc<Server> {
        Arc::new(Server {
            routes: Mutex::new(routes),
            name,
            logging,
            log: Mutex::new(Vec::new()),
            connections: AtomicUsize::new(0),
        })
    }

    /// Answers `path` with `route` from now on.
    pub fn route(&self, path: &str, route: Route) {
        if let Ok(mut routes) = self.routes.lock() {
            routes.insert(path.to_string(), route);
        }
    }

    /// Every request seen so far (when logging).
    pub fn requests(&self) -> Vec<Logged> {
        self.log.lock().map(|l| l.clone()).unwrap_or_default()
    }

    /// How many connections were accepted.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::SeqCst)
    }

    /// Serves over TLS with `config` on `listener` (bound on `runtime`).
    pub fn serve_tls(
        self: &Arc<Self>,
        runtime: &tokio::runtime::Runtime,
        listener: TcpListener,
        config: Arc<rustls::ServerConfig>,
    ) {
        let acceptor = tokio_rustls::TlsAcceptor::from(config);
        let server = self.clone();
        runtime.spawn(accept_loop(listener, move |tcp| {
            let (acceptor, server) = (acceptor.clone(), server.clone());
            async move {
                let id = server.connections.fetch_add(1, Ordering::SeqCst) + 1;
                if let Ok(Ok(tls)) = tokio::time::timeout(IO_TIMEOUT, acceptor.accept(tcp)).await {
                    server.serve_connection(tls, id).await;
                }
            }
        }));
    }

    /// Serves plain HTTP on `listener` (bound on `runtime`).
    pub fn serve_plain(self: &Arc<Self>, runtime: &tokio::runtime::Runtime, listener: TcpListener) {
        let server = self.clone();
        runtime.spawn(accept_loop(listener, move |tcp| {
            let server = server.clone();
            async move {
                let id = server.connections.fetch_add(1, Ordering::SeqCst) + 1;
                server.serve_connection(tcp, id).await;
            }
        }));
    }

    /// Answers requests on one connection until the client closes it, stays idle past
    /// `IO_TIMEOUT`, sends a body, or a route closes the connection.
    async fn serve_connection<S>(&self, mut stream: S, id: usize)
    where
        S: AsyncRead + AsyncWrite + Unpin,
    {
        let mut pending: Vec<u8> = Vec::new();
        while let Some(head) = read_head(&mut stream, &mut pending).await {
            let mut lines = head.split("\r\n");
            let mut request_line = lines.next().unwrap_or_default().split(' ');
            let method = request_line.next().unwrap_or_default().to_string();
            let target = request_line.next().unwrap_or_default().to_string();
            let headers: Vec<(String, String)> = lines
                .filter_map(|l| {
                    l.split_once(':')
                        .map(|(k, v)| (k.trim().to_ascii_lowercase(), v.trim().to_string()))
                })
                .collect();
            let get = |name: &str| headers.iter().find(|(k, _)| k == name).map(|(_, v)| v.clone());
            let user_agent = get("user-agent").unwrap_or_default();
            let range = get("range");
            let has_body = get("content-length").is_some_and(|v| v != "0") || get("transfer-encoding").is_some();
            if self.logging
                && let Ok(mut log) = self.log.lock()
            {
                log.push(Logged {
                    method: method.clone(),
                    path: target.clone(),
                    range: range.clone(),
                    user_agent: user_agent.clone(),
                    connection: id,
                });
            }
            let path = target.split('?').next().unwrap_or_default();
            let found = self.routes.lock().ok().and_then(|r| find_route(&r, path));
            let route = match (method.as_str(), found) {
                ("GET" | "HEAD", Some(route)) => {
                    let route = route
                        .for_agent
                        .iter()
                        .find(|(k, _)| user_agent.contains(k.as_str()))
                        .map(|(_, r)| r.clone())
                        .unwrap_or(route);
                    match (&route.for_head, method.as_str()) {
                        (Some(head), "HEAD") => (**head).clone(),
                        _ => route,
                    }
                }
                ("GET" | "HEAD", None) => Route::status(404, "text/html", "<html><body>not found</body></html>"),
                _ => Route::status(405, "text/plain", "GET or HEAD").header("allow", "GET, HEAD"),
            };
            // a request with a body is not read: answer, then close
            let keep =
                !has_body && route.content_length && !route.endless && route.raw.is_none() && !route.abrupt_close;
            if !self.respond(&mut stream, &method, range.as_deref(), &route, keep).await || !keep {
                return;
            }
        }
    }

    /// Writes the response (a 206 for a satisfiable range of a 200); whether it was sent.
    async fn respond<S: AsyncWrite + Unpin>(
        &self,
        stream: &mut S,
        method: &str,
        range: Option<&str>,
        route: &Route,
        keep: bool,
    ) -> bool {
        tokio::time::sleep(route.first_byte_delay).await;
        if let Some(raw) = &route.raw {
            return self.respond_raw(stream, raw, route).await;
        }
        let head_only = method == "HEAD";
        let total = route.body.len();
        let mut status = match route.head_status {
            Some(status) if head_only => status,
            _ => route.status,
        };
        let mut body: &[u8] = &route.body;
        let mut headers = route.headers.clone();
        let multipart;
        if route.ranges && route.status == 200 {
            headers.push(("accept-ranges".into(), "bytes".into()));
            let several = range.map(|r| parse_ranges(r, total)).unwrap_or_default();
            let ignored = route.single_range_only && range.is_some_and(|r| r.contains(','));
            if ignored {
                // several ranges asked: the whole body, 200
            } else if several.len() > 1 {
                // several ranges: a multipart/byteranges answer, as nginx and Apache give
                status = 206;
                let media = headers
                    .iter()
                    .position(|(n, _)| n.eq_ignore_ascii_case("content-type"))
                    .map(|at| headers.remove(at).1)
                    .unwrap_or_else(|| "application/octet-stream".to_string());
                let mut out = Vec::new();
                for (start, end) in several {
                    out.extend_from_slice(
                        format!(
                            "\r\n--{BOUNDARY}\r\ncontent-type: {media}\r\ncontent-range: bytes {start}-{end}/{total}\r\n\r\n"
                        )
                        .as_bytes(),
                    );
                    out.extend_from_slice(&route.body[start..=end]);
                }
                out.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
                multipart = out;
                body = &multipart;
                headers.push((
                    "content-type".into(),
                    format!("multipart/byteranges; boundary={BOUNDARY}"),
                ));
            } else if let Some((start, end)) = range.and_then(|r| parse_range(r, total)) {
                status = 206;
                // what Content-Range says is sent, and where the bytes sent really start
                let (said, from) = if start > 0 {
                    let said = start.saturating_sub(route.content_range_shift);
                    (said, said.saturating_sub(route.range_shift))
                } else {
                    (start, start)
                };
                body = &route.body[from..=from + (end - start)];
                let (first, last) = (said, said + (end - start));
                headers.push(("content-range".into(), format!("bytes {first}-{last}/{total}")));
            }
        }
        if route.content_length {
            headers.push(("content-length".into(), body.len().to_string()));
        }
        if let Some(name) = self.name {
            headers.push(("server".into(), name.into()));
        }
        if !keep {
            headers.push(("connection".into(), "close".into()));
        }
        let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
        for (name, value) in &headers {
            head.push_str(&format!("{name}: {value}\r\n"));
        }
        head.push_str("\r\n");
        if !write(stream, head.as_bytes()).await {
            return false;
        }
        if !head_only {
            let sent = if route.endless {
                let chunk = vec![b'A'; 64 * 1024];
                while write(stream, &chunk).await {}
                false
            } else if let Some(per_byte) = route.trickle {
                let mut sent = true;
                for b in body {
                    if !write(stream, &[*b]).await || !flush(stream).await {
                        sent = false;
                        break;
                    }
                    tokio::time::sleep(per_byte).await;
                }
                sent
            } else {
                write(stream, body).await
            };
            if !sent {
                return false;
            }
        }
        flush(stream).await;
        if !keep && !route.abrupt_close {
            let _ = tokio::time::timeout(IO_TIMEOUT, stream.shutdown()).await;
        }
        true
    }

    /// Writes a raw answer (trickled, or followed by endless filler, as the route says), then
    /// ends the connection: with close_notify unless the route closes abruptly. Returns false:
    /// the connection is never kept.
    async fn respond_raw<S: AsyncWrite + Unpin>(&self, stream: &mut S, raw: &[u8], route: &Route) -> bool {
        let sent = match route.trickle {
            Some(per_byte) => {
                let mut sent = true;
                for b in raw {
                    if !write(stream, &[*b]).await || !flush(stream).await {
                        sent = false;
                        break;
                    }
                    tokio::time::sleep(per_byte).await;
                }
                sent
            }
            None => write(stream, raw).await,
        };
        if sent && route.endless {
            let chunk = vec![b'A'; 64 * 1024];
            while write(stream, &chunk).await {}
            return false;
        }
        flush(stream).await;
        if !route.abrupt_close {
            let _ = tokio::time::timeout(IO_TIMEOUT, stream.shutdown()).await;
        }
        false
    }
}

/// A TLS configuration that serves `cert` (no client authentication, no stapled OCSP).
pub fn tls_config(cert: ServerCert) -> Result<Arc<rustls::ServerConfig>, String> {
    rustls::ServerConfig::builder_with_provider(crate::collect::net::tls::provider())
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(cert.chain, cert.key))
        .map(Arc::new)
        .map_err(|e| format!("cannot set up the demo's TLS server: {e}"))
}

/// Accepts connections and hands each to `serve` on its own task, `MAX_CONNECTIONS` at once.
async fn accept_loop<F, Fut>(listener: TcpListener, serve: F)
where
    F: Fn(tokio::net::TcpStream) -> Fut,
    Fut: std::future::Future<Output = ()> + Send + 'static,
{
    let permits = Arc::new(tokio::sync::Semaphore::new(MAX_CONNECTIONS));
    loop {
        let Ok(permit) = permits.clone().acquire_owned().await else {
            return;
        };
        let Ok((tcp, _)) = listener.accept().await else {
            // out of file descriptors, say: wait a little instead of spinning
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let _ = tcp.set_nodelay(true);
        let connection = serve(tcp);
        tokio::spawn(async move {
            connection.await;
            drop(permit);
        });
    }
}

/// Reads one request head (up to the blank line); `None` at EOF, on a read error, past
/// `MAX_HEAD` or after `IO_TIMEOUT` without bytes.
async fn read_head<S: AsyncRead + Unpin>(stream: &mut S, pending: &mut Vec<u8>) -> Option<String> {
    loop {
        if let Some(end) = pending.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&pending[..end]).into_owned();
            pending.drain(..end + 4);
            return Some(head);
        }
        if pending.len() > MAX_HEAD {
            return None;
        }
        let mut buf = [0u8; 4096];
        let n = tokio::time::timeout(IO_TIMEOUT, stream.read(&mut buf))
            .await
            .ok()?
            .ok()?;
        if n == 0 {
            return None;
        }
        pending.extend_from_slice(&buf[..n]);
    }
}

/// Writes `bytes` within `IO_TIMEOUT`.
async fn write<S: AsyncWrite + Unpin>(stream: &mut S, bytes: &[u8]) -> bool {
    matches!(
        tokio::time::timeout(IO_TIMEOUT, stream.write_all(bytes)).await,
        Ok(Ok(()))
    )
}

/// Flushes within `IO_TIMEOUT`.
async fn flush<S: AsyncWrite + Unpin>(stream: &mut S) -> bool {
    matches!(tokio::time::timeout(IO_TIMEOUT, stream.flush()).await, Ok(Ok(())))
}

/// The boundary of the server's multipart/byteranges answers.
const BOUNDARY: &str = "otadoctor-lab-byteranges";

/// The most ranges of one request the server answers as a multipart (more: the first range
/// only, as a server that limits them).
const MAX_RANGES: usize = 64;

/// The satisfiable ranges of a `Range: bytes=a-b,c-d,…` header listing more than one, in order;
/// empty for one range (`parse_range` reads it) or too many.
fn parse_ranges(header: &str, total: usize) -> Vec<(usize, usize)> {
    let Some(spec) = header.strip_prefix("bytes=") else {
        return Vec::new();
    };
    let list: Vec<&str> = spec.split(',').collect();
    if list.len() < 2 || list.len() > MAX_RANGES {
        return Vec::new();
    }
    list.iter()
        .filter_map(|one| parse_range(&format!("bytes={}", one.trim()), total))
        .collect()
}

/// The inclusive byte range of a `Range: bytes=…` header (one range: `a-b`, `a-` or `-n`),
/// when it is satisfiable.
fn parse_range(header: &str, total: usize) -> Option<(usize, usize)> {
    let spec = header.strip_prefix("bytes=")?.trim();
    let (a, b) = spec.split_once('-')?;
    let last = total.checked_sub(1)?;
    if a.is_empty() {
        let n: usize = b.parse().ok()?;
        return (n > 0).then(|| (total.saturating_sub(n), last));
    }
    let start: usize = a.parse().ok()?;
    let end: usize = if b.is_empty() {
        last
    } else {
        b.parse::<usize>().ok()?.min(last)
    };
    (start <= end).then_some((start, end))
}

fn reason(status: u16) -> &'static str {
    match status {
        200 => "OK",
        206 => "Partial Content",
        301 => "Moved Permanently",
        302 => "Found",
        401 => "Unauthorized",
        403 => "Forbidden",
        404 => "Not Found",
        405 => "Method Not Allowed",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        _ => "Status",
    }
}

#[cfg(test)]
mod tests {
    use super::parse_range;

    #[test]
    fn ranges_are_read_as_servers_do() {
        assert_eq!(parse_range("bytes=0-4095", 10_000), Some((0, 4095)));
        assert_eq!(parse_range("bytes=9000-", 10_000), Some((9000, 9999)));
        assert_eq!(parse_range("bytes=-100", 10_000), Some((9900, 9999)));
        assert_eq!(parse_range("bytes=-20000", 10_000), Some((0, 9999)));
        assert_eq!(parse_range("bytes=0-99999", 10_000), Some((0, 9999)));
        assert_eq!(parse_range("bytes=10000-", 10_000), None);
        assert_eq!(parse_range("bytes=0-1", 0), None);
        assert_eq!(parse_range("bytes=-0", 10), None);
        assert_eq!(parse_range("items=0-1", 10), None);
    }
}
