//! The server: connections, routes and responses. Each route reads what it needs within the
//! request's caps and hands the check to `job`.

use std::convert::Infallible;
use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use bytes::Bytes;
use http_body_util::Full;
use hyper::body::Incoming;
use hyper::header::{self, HeaderValue};
use hyper::{Method, Request, Response, StatusCode};
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::sync::Semaphore;

use super::ServeOptions;
use super::job::{self, Job, JobError, Kind};
use super::limits::{Auth, ClientLimits, Refused, Ticket};
use super::page::{self, Example, Page};
use super::store::{RunState, Store};
use crate::run::Io;

/// Connections served at once; more wait in the kernel's backlog.
const MAX_CONNECTIONS: usize = 256;
/// The request head must arrive within this.
const HEADER_TIMEOUT: Duration = Duration::from_secs(10);
/// How long a connection may stay open (an upload of the largest allowed size on a slow line
/// included); the check it asks for has its own deadline.
const CONNECTION_LIFETIME: Duration = Duration::from_secs(15 * 60);

/// Everything the requests share.
pub struct State {
    /// Where the request log's lines go (`serve::command` writes them to standard error).
    pub log: std::sync::mpsc::Sender<String>,
    pub read_check: super::ReadCheck,
    /// The `check` options every run gets.
    pub check: Vec<String>,
    pub guard: Option<Arc<crate::collect::net::guard::Guard>>,
    pub proxy_env: Vec<(String, String)>,
    pub now: Option<time::OffsetDateTime>,
    pub max_upload: u64,
    pub keep_reports: Option<Duration>,
    pub auth: Auth,
    pub clients: ClientLimits,
    /// Places for checks running at once.
    pub runs: Arc<Semaphore>,
    pub store: Store,
    pub page: Page,
    /// What `--allow-private` allows, as given (for the page and the log).
    pub allowed: Vec<String>,
}

impl State {
    pub fn new(
        options: &ServeOptions,
        examples: Vec<Example>,
        io: &Io<'_>,
        log: std::sync::mpsc::Sender<String>,
    ) -> Result<State, String> {
        // the run's options are read now, once, so that a bad --ca-file or --resolve is said at
        // start and not on each request
        let mut probe = options.check.clone();
        probe.extend(["--format=json".to_string(), "--no-config".to_string(), "-".to_string()]);
        (options.read_check)(&probe, io)?;
        let mut allow = Vec::new();
        for list in &options.allow_private {
            allow.extend(crate::collect::net::guard::parse_allow(list).map_err(|e| format!("--allow-private: {e}"))?);
        }
        let allowed: Vec<String> = allow.iter().map(ToString::to_string).collect();
        let guard = Arc::new(crate::collect::net::guard::Guard::new(allow));
        Ok(State {
            log,
            read_check: options.read_check,
            check: options.check.clone(),
            guard: Some(guard),
            proxy_env: io.proxy_env.clone(),
            now: options.now,
            max_upload: options.max_upload,
            keep_reports: options.keep_reports,
            auth: Auth::new(options.tokens.clone()),
            clients: ClientLimits::new(options.rate, options.client_runs),
            runs: Arc::new(Semaphore::new(options.runs)),
            store: Store::new(),
            page: Page::new(examples, options),
            allowed,
        })
    }

    /// What a check takes along to its blocking thread.
    fn runner(&self) -> job::Runner {
        job::Runner {
            read_check: self.read_check,
            check: self.check.clone(),
            guard: self.guard.clone(),
            proxy_env: self.proxy_env.clone(),
            now: self.now,
        }
    }

    /// What the server says about itself when it starts.
    pub fn describe(&self, options: &ServeOptions) -> Vec<String> {
        let mut lines = Vec::new();
        lines.push(match self.allowed.as_slice() {
            [] => "fetches public addresses only (no loopback, private, link-local or metadata address)".to_string(),
            allowed => format!("fetches public addresses and {}", allowed.join(", ")),
        });
        lines.push(format!(
            "limits: {} checks a minute and {} at once per client, {} at once in all, {} MiB a request",
            options.rate,
            options.client_runs,
            options.runs,
            options.max_upload / 1024 / 1024
        ));
        lines.push(match options.keep_reports {
            Some(keep) => format!("reports kept at their permalink for {}", page::duration_words(keep)),
            None => "reports shown once, not kept (--keep-reports keeps them)".to_string(),
        });
        lines.push(if self.auth.required() {
            "requests need a token from --token-file".to_string()
        } else {
            "no authentication (--token-file adds it)".to_string()
        });
        if options.demo {
            lines.push("the practice site runs beside it: its scenarios are listed on the page".to_string());
        }
        lines.push("API: POST /api/check (JSON or multipart) returns `otadoctor check --format json`".to_string());
        lines.push("Ctrl-C stops it".to_string());
        lines
    }
}

/// Serves connections until Ctrl-C or SIGTERM.
pub async fn serve(listener: tokio::net::TcpListener, state: Arc<State>) {
    let connections = Arc::new(Semaphore::new(MAX_CONNECTIONS));
    let stop = shutdown();
    tokio::pin!(stop);
    loop {
        let Ok(permit) = connections.clone().acquire_owned().await else {
            return;
        };
        let accepted = tokio::select! {
            accepted = listener.accept() => accepted,
            () = &mut stop => return,
        };
        let Ok((stream, peer)) = accepted else {
            // out of file descriptors and the like: a moment, then on
            tokio::time::sleep(Duration::from_millis(50)).await;
            continue;
        };
        let state = state.clone();
        tokio::spawn(async move {
            let service = hyper::service::service_fn(move |request| {
                let state = state.clone();
                async move {
                    let started = std::time::Instant::now();
                    let (method, path) = (request.method().clone(), request.uri().path().to_string());
                    let response = handle(&state, peer, request).await;
                    log(&state, peer, &method, &path, response.status(), started.elapsed());
                    Ok::<_, Infallible>(response)
                }
            });
            let connection = hyper::server::conn::http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(HEADER_TIMEOUT)
                .max_buf_size(64 * 1024)
                .serve_connection(TokioIo::new(stream), service);
            let _ = tokio::time::timeout(CONNECTION_LIFETIME, connection).await;
            drop(permit);
        });
    }
}

/// One line per request on standard error, for the operator: when, who, what, the answer and
/// how long it took. Never a body, a query string or a header (tokens, what was pasted).
fn log(state: &State, peer: SocketAddr, method: &Method, path: &str, status: StatusCode, took: Duration) {
    let when = time::OffsetDateTime::now_utc()
        .replace_nanosecond(0)
        .ok()
        .and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
        .unwrap_or_default();
    let path: String = path.chars().take(120).collect();
    let _ = state.log.send(format!(
        "{when} {} {method} {} {} {} ms\n",
        peer.ip(),
        crate::text::escape_for_terminal(&path),
        status.as_u16(),
        took.as_millis()
    ));
}

/// Ctrl-C, or SIGTERM where there is one.
async fn shutdown() {
    #[cfg(unix)]
    {
        use tokio::signal::unix::{SignalKind, signal};
        if let Ok(mut term) = signal(SignalKind::terminate()) {
            tokio::select! {
                _ = tokio::signal::ctrl_c() => {}
                _ = term.recv() => {}
            }
            return;
        }
    }
    let _ = tokio::signal::ctrl_c().await;
}

pub type Body = Full<Bytes>;

/// One request: authentication, origin, then the route.
async fn handle(state: &State, peer: SocketAddr, request: Request<Incoming>) -> Response<Body> {
    let path = request.uri().path().to_string();
    let api = path.starts_with("/api/");
    if let Err(refused) = state.auth.check(request.headers()) {
        return refusal(refused, api);
    }
    if request.method() == Method::POST && !same_origin(request.headers()) {
        return error(
            StatusCode::FORBIDDEN,
            "a check can only be started from this server's own page (the request came from another site)",
            api,
        );
    }
    match (request.method().clone(), path.as_str()) {
        (Method::GET | Method::HEAD, "/") => html(StatusCode::OK, state.page.form(), &state.page.csp),
        (Method::POST, "/check") => form_check(state, peer.ip(), request).await,
        (Method::POST, "/api/check") => api_check(state, peer.ip(), request).await,
        (Method::POST, "/api/runs") => start_run(state, peer.ip(), request).await,
        (Method::GET | Method::HEAD, p) if p.starts_with("/api/runs/") => run_status(state, &p["/api/runs/".len()..]),
        (Method::GET | Method::HEAD, p) if p.starts_with("/r/") => report(state, &p["/r/".len()..]),
        (_, "/" | "/check" | "/api/check" | "/api/runs") => {
            let mut response = error(StatusCode::METHOD_NOT_ALLOWED, "not allowed on this address", api);
            let allow = if path == "/" { "GET, HEAD" } else { "POST" };
            response
                .headers_mut()
                .insert(header::ALLOW, HeaderValue::from_static(allow));
            response
        }
        _ => error(StatusCode::NOT_FOUND, "nothing here: the form is at /", api),
    }
}

/// Whether a POST comes from this server's own pages: a browser says where a request comes
/// from (`Sec-Fetch-Site`, `Origin`); a script or curl sends neither and is let through (its
/// user holds the token, when one is required).
fn same_origin(headers: &hyper::HeaderMap) -> bool {
    let value = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    if let Some(site) = value("sec-fetch-site") {
        return matches!(site, "same-origin" | "none");
    }
    match (value("origin"), value("host")) {
        (None, _) => true,
        (Some(origin), Some(host)) => {
            let bare = origin
                .strip_prefix("http://")
                .or_else(|| origin.strip_prefix("https://"))
                .unwrap_or("");
            bare.eq_ignore_ascii_case(host)
        }
        (Some(_), None) => false,
    }
}

/// The page's form, without JavaScript: the check runs while the browser waits, and the answer
/// is the report (or, with --keep-reports, a redirect to its permalink).
async fn form_check(state: &State, client: IpAddr, request: Request<Incoming>) -> Response<Body> {
    let (ticket, job) = match admit(state, client, request, false).await {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    let run = match run_job(state, ticket, job, Kind::Page).await {
        Ok(run) => run,
        Err(response) => return response,
    };
    match run {
        job::Finished::Report { body, .. } => {
            if state.keep_reports.is_some() {
                match state.store.keep(body, state.keep_reports) {
                    Some(id) => see_other(&format!("/r/{id}")),
                    None => error(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "no random number for the report's address",
                        false,
                    ),
                }
            } else {
                html(StatusCode::OK, page::served_report(&body, None), page::REPORT_CSP)
            }
        }
        job::Finished::Failed(message) => html(StatusCode::BAD_REQUEST, state.page.failure(&message), &state.page.csp),
    }
}

/// `POST /api/check`: the check's JSON report, exactly as `otadoctor check --format json` writes
/// it; the exit code in the `Otadoctor-Exit-Code` header.
async fn api_check(state: &State, client: IpAddr, request: Request<Incoming>) -> Response<Body> {
    let (ticket, job) = match admit(state, client, request, true).await {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    match run_job(state, ticket, job, Kind::Api).await {
        Ok(job::Finished::Report { body, code }) => {
            let mut response = respond(StatusCode::OK, "application/json", body.into_bytes(), API_CSP);
            if let Ok(value) = HeaderValue::from_str(&code.to_string()) {
                response.headers_mut().insert("otadoctor-exit-code", value);
            }
            response
        }
        Ok(job::Finished::Failed(message)) => error(StatusCode::BAD_REQUEST, &message, true),
        Err(response) => response,
    }
}

/// `POST /api/runs`: the page's script starts a check and then follows its progress.
async fn start_run(state: &State, client: IpAddr, request: Request<Incoming>) -> Response<Body> {
    let (ticket, job) = match admit(state, client, request, true).await {
        Ok(admitted) => admitted,
        Err(response) => return response,
    };
    let Some((id, progress)) = state.store.start() else {
        return error(
            StatusCode::INTERNAL_SERVER_ERROR,
            "no random number for the run's address",
            true,
        );
    };
    let places = state.runs.clone();
    let keep = state.keep_reports;
    let runner = state.runner();
    let store = state.store.clone();
    let run_id = id.clone();
    tokio::spawn(async move {
        let finished = match places.acquire_owned().await {
            Ok(place) => {
                let finished = runner.run(job, Kind::Page, Some(progress)).await;
                drop(place);
                finished
            }
            Err(_) => job::Finished::Failed("the server is stopping".to_string()),
        };
        drop(ticket);
        store.finish(&run_id, finished, keep);
    });
    let body = serde_json::json!({
        "id": id,
        "status": format!("/api/runs/{id}"),
        "report": format!("/r/{id}"),
    });
    respond(
        StatusCode::ACCEPTED,
        "application/json",
        body.to_string().into_bytes(),
        API_CSP,
    )
}

/// `GET /api/runs/ID`: running (with the progress line), done (with the report's address) or
/// failed (with why).
fn run_status(state: &State, id: &str) -> Response<Body> {
    let body = match state.store.status(id) {
        None => {
            return error(
                StatusCode::NOT_FOUND,
                "no such check (it ended and its report was shown or expired)",
                true,
            );
        }
        Some(RunState::Running(progress)) => serde_json::json!({"state": "running", "progress": progress}),
        Some(RunState::Done { code }) => {
            serde_json::json!({"state": "done", "report": format!("/r/{id}"), "exit_code": code})
        }
        Some(RunState::Failed(message)) => serde_json::json!({"state": "failed", "error": message}),
    };
    respond(
        StatusCode::OK,
        "application/json",
        body.to_string().into_bytes(),
        API_CSP,
    )
}

/// `GET /r/ID`: a report, with its permalink when reports are kept.
fn report(state: &State, id: &str) -> Response<Body> {
    match state.store.report(id) {
        Some((body, kept_until)) => html(
            StatusCode::OK,
            page::served_report(&body, kept_until.map(|until| (id, until))),
            page::REPORT_CSP,
        ),
        None => html(
            StatusCode::NOT_FOUND,
            state.page.failure(if state.keep_reports.is_some() {
                "no such report: it expired, or the address is wrong"
            } else {
                "no such report: reports are shown once and not kept (the server runs without --keep-reports)"
            }),
            &state.page.csp,
        ),
    }
}

/// Admits a check for `client` within its limits (before its body is read: a client over its
/// rate does not get to upload), then reads the request into a job; or the answer that says why
/// not, as JSON for the API.
async fn admit(
    state: &State,
    client: IpAddr,
    request: Request<Incoming>,
    api: bool,
) -> Result<(Ticket, Job), Response<Body>> {
    let ticket = state.clients.admit(client).map_err(|refused| refusal(refused, api))?;
    let job = job::read(state.max_upload, request)
        .await
        .map_err(|e| job_error(e, api))?;
    Ok((ticket, job))
}

/// Runs a job, admitted within its client's limits (`ticket`), in a place among the checks
/// running at once (waiting for one).
async fn run_job(state: &State, ticket: Ticket, job: Job, kind: Kind) -> Result<job::Finished, Response<Body>> {
    let api = kind == Kind::Api;
    let place = state
        .runs
        .clone()
        .acquire_owned()
        .await
        .map_err(|_| error(StatusCode::SERVICE_UNAVAILABLE, "the server is stopping", api))?;
    let finished = state.runner().run(job, kind, None).await;
    drop(place);
    drop(ticket);
    Ok(finished)
}

fn job_error(e: JobError, api: bool) -> Response<Body> {
    let status = match e {
        JobError::TooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
        JobError::Bad(_) => StatusCode::BAD_REQUEST,
        JobError::Unsupported(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
        JobError::Server(_) => StatusCode::INTERNAL_SERVER_ERROR,
    };
    error(status, &e.to_string(), api)
}

fn refusal(refused: Refused, api: bool) -> Response<Body> {
    let (status, retry) = match &refused {
        Refused::Unauthorized => (StatusCode::UNAUTHORIZED, None),
        Refused::TooMany { retry_after } => (StatusCode::TOO_MANY_REQUESTS, Some(*retry_after)),
        Refused::Busy => (StatusCode::TOO_MANY_REQUESTS, Some(5)),
    };
    let mut response = error(status, &refused.to_string(), api);
    if status == StatusCode::UNAUTHORIZED {
        response.headers_mut().insert(
            header::WWW_AUTHENTICATE,
            HeaderValue::from_static("Basic realm=\"otadoctor\", charset=\"UTF-8\""),
        );
    }
    if let Some(seconds) = retry
        && let Ok(value) = HeaderValue::from_str(&seconds.to_string())
    {
        response.headers_mut().insert(header::RETRY_AFTER, value);
    }
    response
}

/// The policy of JSON answers: nothing to run, nothing to load.
const API_CSP: &str = "default-src 'none'; frame-ancestors 'none'";

/// An error, as JSON for the API (`{"schema_version": 1, "error": …}`) and as a page otherwise.
fn error(status: StatusCode, message: &str, api: bool) -> Response<Body> {
    if api {
        let body = serde_json::json!({"schema_version": 1, "error": message});
        respond(status, "application/json", body.to_string().into_bytes(), API_CSP)
    } else {
        html(status, page::error_page(status.as_u16(), message), page::ERROR_CSP)
    }
}

fn see_other(location: &str) -> Response<Body> {
    let mut response = respond(StatusCode::SEE_OTHER, "text/plain; charset=utf-8", Vec::new(), API_CSP);
    if let Ok(value) = HeaderValue::from_str(location) {
        response.headers_mut().insert(header::LOCATION, value);
    }
    response
}

fn html(status: StatusCode, body: String, csp: &str) -> Response<Body> {
    respond(status, "text/html; charset=utf-8", body.into_bytes(), csp)
}

/// A response with the headers every answer carries.
fn respond(status: StatusCode, content_type: &'static str, body: Vec<u8>, csp: &str) -> Response<Body> {
    let mut response = Response::new(Full::new(Bytes::from(body)));
    *response.status_mut() = status;
    let headers = response.headers_mut();
    headers.insert(header::CONTENT_TYPE, HeaderValue::from_static(content_type));
    if let Ok(value) = HeaderValue::from_str(csp) {
        headers.insert(header::CONTENT_SECURITY_POLICY, value);
    }
    headers.insert(header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    headers.insert(header::REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(header::X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    headers.insert("cross-origin-opener-policy", HeaderValue::from_static("same-origin"));
    headers.insert("cross-origin-resource-policy", HeaderValue::from_static("same-origin"));
    response
}
