//! The demo's web servers: HTTP/1.1 on listeners bound to 127.0.0.1, over TLS (tokio-rustls) or plain, answering
//! from a fixed table of paths, with HEAD, byte ranges (the package is read through them) and
//! keep-alive. Every read, write and handshake has a timeout, request heads are capped, and so
//! is the number of connections at once.

use std::collections::HashMap;
use std::sync::Arc;
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
    pub body: Arc<Vec<u8>>,
}

impl Route {
    pub fn ok(content_type: &str, body: impl Into<Vec<u8>>) -> Route {
        Route {
            status: 200,
            headers: vec![("content-type".to_string(), content_type.to_string())],
            body: Arc::new(body.into()),
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
}

/// The paths a listener answers; anything else is a 404.
pub type Routes = HashMap<String, Route>;

/// Serves `routes` over TLS with `cert` on `listener` (bound on `runtime`).
pub fn serve_tls(
    runtime: &tokio::runtime::Runtime,
    listener: TcpListener,
    cert: ServerCert,
    routes: Routes,
) -> Result<(), String> {
    let config = rustls::ServerConfig::builder_with_provider(crate::collect::net::tls::provider())
        .with_safe_default_protocol_versions()
        .and_then(|b| b.with_no_client_auth().with_single_cert(cert.chain, cert.key))
        .map_err(|e| format!("cannot set up the demo's TLS server: {e}"))?;
    let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(config));
    let routes = Arc::new(routes);
    runtime.spawn(accept_loop(listener, move |tcp| {
        let (acceptor, routes) = (acceptor.clone(), routes.clone());
        async move {
            if let Ok(Ok(tls)) = tokio::time::timeout(IO_TIMEOUT, acceptor.accept(tcp)).await {
                serve_connection(tls, &routes).await;
            }
        }
    }));
    Ok(())
}

/// Serves `routes` over plain HTTP on `listener` (bound on `runtime`).
pub fn serve_plain(runtime: &tokio::runtime::Runtime, listener: TcpListener, routes: Routes) {
    let routes = Arc::new(routes);
    runtime.spawn(accept_loop(listener, move |tcp| {
        let routes = routes.clone();
        async move { serve_connection(tcp, &routes).await }
    }));
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

/// Answers requests on one connection until the client closes it, stays idle past
/// `IO_TIMEOUT`, or sends something that is not a plain GET or HEAD.
async fn serve_connection<S>(mut stream: S, routes: &Routes)
where
    S: AsyncRead + AsyncWrite + Unpin,
{
    let mut pending: Vec<u8> = Vec::new();
    while let Some(head) = read_head(&mut stream, &mut pending).await {
        let mut lines = head.split("\r\n");
        let mut request_line = lines.next().unwrap_or_default().split(' ');
        let method = request_line.next().unwrap_or_default().to_string();
        let target = request_line.next().unwrap_or_default();
        let path = target.split('?').next().unwrap_or_default();
        let mut range = None;
        let mut has_body = false;
        for line in lines {
            let Some((name, value)) = line.split_once(':') else {
                continue;
            };
            let name = name.trim().to_ascii_lowercase();
            match name.as_str() {
                "range" => range = Some(value.trim().to_string()),
                "content-length" => has_body |= value.trim() != "0",
                "transfer-encoding" => has_body = true,
                _ => {}
            }
        }
        let not_found = Route::status(404, "text/html", "<html><body>Not Found</body></html>");
        let not_allowed = Route::status(405, "text/plain", "GET or HEAD").header("allow", "GET, HEAD");
        let route = match method.as_str() {
            "GET" | "HEAD" => routes.get(path).unwrap_or(&not_found),
            _ => &not_allowed,
        };
        // a request with a body is not read: answer, then close
        let keep = !has_body;
        if !respond(&mut stream, method == "HEAD", range.as_deref(), route, keep).await || !keep {
            return;
        }
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

/// Writes the response (a 206 for a satisfiable range of a 200); returns whether it was sent.
async fn respond<S: AsyncWrite + Unpin>(
    stream: &mut S,
    head_only: bool,
    range: Option<&str>,
    route: &Route,
    keep: bool,
) -> bool {
    let total = route.body.len();
    let mut status = route.status;
    let mut body: &[u8] = &route.body;
    let mut headers = route.headers.clone();
    if route.status == 200 {
        headers.push(("accept-ranges".into(), "bytes".into()));
        if let Some((start, end)) = range.and_then(|r| parse_range(r, total)) {
            status = 206;
            body = &route.body[start..=end];
            headers.push(("content-range".into(), format!("bytes {start}-{end}/{total}")));
        }
    }
    headers.push(("content-length".into(), body.len().to_string()));
    headers.push(("server".into(), "otadoctor-demo".into()));
    if !keep {
        headers.push(("connection".into(), "close".into()));
    }
    let mut head = format!("HTTP/1.1 {status} {}\r\n", reason(status));
    for (name, value) in &headers {
        head.push_str(&format!("{name}: {value}\r\n"));
    }
    head.push_str("\r\n");
    if !write(stream, head.as_bytes()).await || (!head_only && !write(stream, body).await) {
        return false;
    }
    let _ = tokio::time::timeout(IO_TIMEOUT, stream.flush()).await;
    if !keep {
        let _ = tokio::time::timeout(IO_TIMEOUT, stream.shutdown()).await;
    }
    true
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
        404 => "Not Found",
        405 => "Method Not Allowed",
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
