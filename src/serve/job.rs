//! A check asked for over HTTP: the request read into a `Job` within its caps (the pasted text,
//! the uploaded files, the device options), then run as the `check` command line would run it.
//!
//! Nothing in a request is ever taken as a path: the text is standard input, each upload is
//! written under a name the server makes from the file's name (letters, digits and a few signs,
//! in a private folder made for the check), and no configuration file is read. The folder and
//! every upload in it are removed when the check ends.

use std::io::Write as _;
use std::sync::{Arc, Mutex};

use bytes::Bytes;
use futures_util::StreamExt as _;
use http_body_util::BodyExt as _;
use hyper::Request;
use hyper::body::Incoming;

use crate::collect::input::MAX_LOCAL_INPUT;
use crate::run::Io;

/// Which answer a check gives: the HTML report (the page) or the JSON one (the API).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Kind {
    Page,
    Api,
}

/// The most files one request may upload.
const MAX_FILES: usize = 16;
/// The longest option value (`ios`, `device`, `udid`, `symptom`).
const MAX_OPTION: usize = 4096;

/// Why a request does not become a check.
#[derive(Debug, thiserror::Error)]
pub enum JobError {
    #[error("{0}")]
    TooLarge(String),
    #[error("{0}")]
    Bad(String),
    #[error("{0}")]
    Unsupported(String),
    #[error("{0}")]
    Server(String),
}

/// What one request asks to check.
#[derive(Default)]
pub struct Job {
    /// The text box: links, a ticket, a device log (standard input of the check).
    text: Vec<u8>,
    /// The folder the uploads are in, removed when the job is dropped.
    dir: Option<tempfile::TempDir>,
    /// The uploads' names in `dir`, in the order they came.
    files: Vec<String>,
    ios: Option<String>,
    device: Option<String>,
    udid: Option<String>,
    symptom: Option<String>,
    /// Bytes of the request read so far (the body's cap).
    read: u64,
}

/// How a check ended.
pub enum Finished {
    /// The report, and the exit code `check` would give.
    Report { body: String, code: i32 },
    /// Why it could not run (what `check` says before exiting with 2).
    Failed(String),
}

/// The progress line of a check under way, shared with the page that follows it.
#[derive(Clone, Default)]
pub struct Progress(Arc<Mutex<String>>);

impl Progress {
    pub fn line(&self) -> String {
        self.0.lock().map(|l| l.clone()).unwrap_or_default()
    }
}

/// The progress line arrives as a terminal would get it (`\r`, erase-line, text, already made
/// safe for a terminal): the last line is kept.
impl std::io::Write for Progress {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        for part in text.split('\r') {
            let part = part.trim_start_matches("\x1b[2K").trim();
            if !part.is_empty()
                && let Ok(mut line) = self.0.lock()
            {
                *line = part.chars().take(300).collect();
            }
        }
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// Reads a request's body into a job: multipart/form-data (the page's form, with files),
/// application/x-www-form-urlencoded, application/json (`{"input": …, "files": [{"name": …,
/// "content": base64}]}`), or text/plain (the body is the text).
pub async fn read(cap: u64, request: Request<Incoming>) -> Result<Job, JobError> {
    let too_large = || {
        JobError::TooLarge(format!(
            "the request is larger than this server accepts ({} MiB, --max-upload)",
            cap / 1024 / 1024
        ))
    };
    let headers = request.headers();
    let announced = headers
        .get(hyper::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok());
    if announced.is_some_and(|n| n > cap) {
        return Err(too_large());
    }
    let content_type = headers
        .get(hyper::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or_default()
        .to_string();
    let essence = content_type
        .split(';')
        .next()
        .unwrap_or_default()
        .trim()
        .to_ascii_lowercase();
    let body = request.into_body();
    let mut job = Job::default();
    match essence.as_str() {
        "multipart/form-data" => {
            let boundary = multer::parse_boundary(&content_type)
                .map_err(|_| JobError::Bad("a multipart/form-data body without a boundary".to_string()))?;
            read_multipart(&mut job, body, boundary, cap).await?;
        }
        "application/x-www-form-urlencoded" => {
            let bytes = collect(body, cap).await?;
            for (name, value) in url::form_urlencoded::parse(&bytes) {
                job.field(&name, value.as_bytes())?;
            }
        }
        "application/json" => {
            let bytes = collect(body, cap).await?;
            read_json(&mut job, &bytes)?;
        }
        "text/plain" => {
            job.text = match collect(body, cap.min(MAX_LOCAL_INPUT)).await {
                Err(JobError::TooLarge(_)) if cap > MAX_LOCAL_INPUT => {
                    return Err(JobError::TooLarge(format!(
                        "the text is larger than {} MiB: send a large log as a file (multipart/form-data)",
                        MAX_LOCAL_INPUT / 1024 / 1024
                    )));
                }
                read => read?.to_vec(),
            };
        }
        _ => {
            return Err(JobError::Unsupported(
                "send multipart/form-data, application/x-www-form-urlencoded, application/json or text/plain"
                    .to_string(),
            ));
        }
    }
    if job.text.iter().all(u8::is_ascii_whitespace) && job.files.is_empty() {
        return Err(JobError::Bad(
            "nothing to check: paste a link, a page's address, a ticket or a device log, or choose a file".to_string(),
        ));
    }
    Ok(job)
}

/// The whole body, up to `cap` bytes.
async fn collect(body: Incoming, cap: u64) -> Result<Bytes, JobError> {
    let limited = http_body_util::Limited::new(body, usize::try_from(cap).unwrap_or(usize::MAX));
    match limited.collect().await {
        Ok(collected) => Ok(collected.to_bytes()),
        Err(e) if e.is::<http_body_util::LengthLimitError>() => Err(JobError::TooLarge(format!(
            "the request is larger than this server accepts ({} MiB, --max-upload)",
            cap / 1024 / 1024
        ))),
        Err(e) => Err(JobError::Bad(format!("the request's body could not be read: {e}"))),
    }
}

async fn read_multipart(job: &mut Job, body: Incoming, boundary: String, cap: u64) -> Result<(), JobError> {
    let stream = http_body_util::BodyStream::new(body).filter_map(|frame| async move {
        match frame {
            Ok(frame) => frame.into_data().ok().map(Ok),
            Err(e) => Some(Err(e)),
        }
    });
    let constraints = multer::Constraints::new().size_limit(multer::SizeLimit::new().whole_stream(cap));
    let mut multipart = multer::Multipart::with_constraints(stream, boundary, constraints);
    loop {
        let field = match multipart.next_field().await {
            Ok(Some(field)) => field,
            Ok(None) => return Ok(()),
            Err(e) => return Err(multipart_error(e, cap)),
        };
        let name = field.name().unwrap_or_default().to_string();
        let file_name = field.file_name().map(str::to_string);
        let mut field = field;
        if matches!(name.as_str(), "files" | "file") {
            // a file input with no file chosen is sent as a part with an empty file name
            let chosen = file_name.as_deref().is_some_and(|n| !n.is_empty());
            let mut upload: Option<(std::fs::File, String)> = None;
            loop {
                let chunk = match field.chunk().await {
                    Ok(Some(chunk)) => chunk,
                    Ok(None) => break,
                    Err(e) => return Err(multipart_error(e, cap)),
                };
                if chunk.is_empty() || (!chosen && upload.is_none() && chunk.iter().all(u8::is_ascii_whitespace)) {
                    continue;
                }
                job.count(chunk.len() as u64, cap)?;
                if upload.is_none() {
                    upload = Some(job.new_file(file_name.as_deref())?);
                }
                if let Some((file, shown)) = upload.as_mut() {
                    tokio::task::block_in_place(|| file.write_all(&chunk))
                        .map_err(|e| JobError::Server(format!("cannot keep the upload {shown}: {e}")))?;
                }
            }
            if upload.is_none() && chosen {
                // a chosen file with nothing in it is still an input (its check says it is empty)
                job.new_file(file_name.as_deref())?;
            }
            continue;
        }
        let mut value = Vec::new();
        loop {
            match field.chunk().await {
                Ok(Some(chunk)) => {
                    job.count(chunk.len() as u64, cap)?;
                    value.extend_from_slice(&chunk);
                    if value.len() as u64 > MAX_LOCAL_INPUT {
                        return Err(JobError::TooLarge(format!(
                            "the field {name} is larger than {} MiB: upload a large log as a file",
                            MAX_LOCAL_INPUT / 1024 / 1024
                        )));
                    }
                }
                Ok(None) => break,
                Err(e) => return Err(multipart_error(e, cap)),
            }
        }
        job.field(&name, &value)?;
    }
}

fn multipart_error(e: multer::Error, cap: u64) -> JobError {
    match e {
        multer::Error::StreamSizeExceeded { .. } | multer::Error::FieldSizeExceeded { .. } => {
            JobError::TooLarge(format!(
                "the request is larger than this server accepts ({} MiB, --max-upload)",
                cap / 1024 / 1024
            ))
        }
        other => JobError::Bad(format!("the form could not be read: {other}")),
    }
}

/// `{"input": "…", "ios": "17.4", "device": "iphone", "udid": "…", "symptom": "…",
/// "files": [{"name": "manifest.plist", "content": "<base64>"}]}`.
fn read_json(job: &mut Job, bytes: &[u8]) -> Result<(), JobError> {
    use base64::Engine as _;
    let value: serde_json::Value =
        serde_json::from_slice(bytes).map_err(|e| JobError::Bad(format!("the body is not JSON: {e}")))?;
    let object = value
        .as_object()
        .ok_or_else(|| JobError::Bad("the body is not a JSON object".to_string()))?;
    for (key, value) in object {
        if key == "files" {
            let files = value
                .as_array()
                .ok_or_else(|| JobError::Bad("\"files\" is not an array".to_string()))?;
            for file in files {
                let name = file.get("name").and_then(|n| n.as_str());
                let content = file
                    .get("content")
                    .and_then(|c| c.as_str())
                    .ok_or_else(|| JobError::Bad("each of \"files\" has a \"content\" in base64".to_string()))?;
                let bytes = base64::engine::general_purpose::STANDARD
                    .decode(content.trim())
                    .map_err(|e| JobError::Bad(format!("a file's \"content\" is not base64: {e}")))?;
                let (mut written, shown) = job.new_file(name)?;
                written
                    .write_all(&bytes)
                    .map_err(|e| JobError::Server(format!("cannot keep the upload {shown}: {e}")))?;
            }
            continue;
        }
        let text = value
            .as_str()
            .ok_or_else(|| JobError::Bad(format!("\"{}\" is not a string", escape(key))))?;
        job.field(key, text.as_bytes())?;
    }
    Ok(())
}

fn escape(text: &str) -> String {
    crate::text::escape_for_terminal(&text.chars().take(64).collect::<String>())
}

impl Job {
    /// Counts `n` more bytes of the body against its cap.
    fn count(&mut self, n: u64, cap: u64) -> Result<(), JobError> {
        self.read = self.read.saturating_add(n);
        if self.read > cap {
            return Err(JobError::TooLarge(format!(
                "the request is larger than this server accepts ({} MiB, --max-upload)",
                cap / 1024 / 1024
            )));
        }
        Ok(())
    }

    /// A text field of the form (or a key of the JSON body).
    fn field(&mut self, name: &str, value: &[u8]) -> Result<(), JobError> {
        let text = || -> Result<Option<String>, JobError> {
            if value.len() > MAX_OPTION {
                return Err(JobError::Bad(format!("{name} is longer than {MAX_OPTION} bytes")));
            }
            let text = String::from_utf8_lossy(value).trim().to_string();
            Ok((!text.is_empty()).then_some(text))
        };
        match name {
            "input" => {
                if value.len() as u64 > MAX_LOCAL_INPUT {
                    return Err(JobError::TooLarge(format!(
                        "the text is larger than {} MiB: upload a large log as a file",
                        MAX_LOCAL_INPUT / 1024 / 1024
                    )));
                }
                if !self.text.is_empty() {
                    self.text.push(b'\n');
                }
                self.text.extend_from_slice(value);
            }
            "ios" => self.ios = text()?,
            "device" => self.device = text()?,
            "udid" => self.udid = text()?,
            "symptom" => self.symptom = text()?,
            other => {
                return Err(JobError::Bad(format!(
                    "unknown field \"{}\": the fields are input, files, ios, device, udid and symptom",
                    escape(other)
                )));
            }
        }
        Ok(())
    }

    /// A new upload in the job's folder, named after `wanted` as far as that is safe.
    fn new_file(&mut self, wanted: Option<&str>) -> Result<(std::fs::File, String), JobError> {
        if self.files.len() >= MAX_FILES {
            return Err(JobError::Bad(format!("more than {MAX_FILES} files in one check")));
        }
        if self.dir.is_none() {
            let dir = tempfile::Builder::new()
                .prefix("otadoctor-serve-")
                .tempdir()
                .map_err(|e| JobError::Server(format!("cannot make a folder for the uploads: {e}")))?;
            self.dir = Some(dir);
        }
        let dir = self
            .dir
            .as_ref()
            .ok_or_else(|| JobError::Server("no folder for the uploads".to_string()))?;
        let base = safe_name(wanted.unwrap_or_default());
        let (stem, extension) = match base.rsplit_once('.') {
            Some((stem, ext)) if !stem.is_empty() => (stem.to_string(), format!(".{ext}")),
            _ => (base.clone(), String::new()),
        };
        let mut name = base.clone();
        let mut n = 1;
        while self.files.contains(&name) {
            n += 1;
            name = format!("{stem}-{n}{extension}");
        }
        let path = dir.path().join(&name);
        let file = std::fs::File::create_new(&path)
            .map_err(|e| JobError::Server(format!("cannot keep the upload {name}: {e}")))?;
        self.files.push(name.clone());
        Ok((file, name))
    }

    /// The check's arguments after `--`: standard input for the text, then each upload.
    fn inputs(&self) -> Vec<String> {
        let mut inputs = Vec::new();
        if !self.text.iter().all(u8::is_ascii_whitespace) {
            inputs.push("-".to_string());
        }
        if let Some(dir) = &self.dir {
            inputs.extend(self.files.iter().map(|f| dir.path().join(f).display().to_string()));
        }
        inputs
    }
}

/// A file name made safe to create: its last component, letters, digits, `.`, `-`, `_`, `+`
/// and spaces kept, anything else `_`, no leading dot, at most 100 characters; `upload` when
/// nothing is left.
fn safe_name(wanted: &str) -> String {
    let last = wanted.rsplit(['/', '\\']).next().unwrap_or_default();
    let mapped: String = last
        .chars()
        .map(|c| {
            if c.is_alphanumeric() || matches!(c, '.' | '-' | '_' | '+' | ' ') {
                c
            } else {
                '_'
            }
        })
        .take(100)
        .collect();
    let trimmed = mapped.trim().trim_start_matches('.').trim();
    if trimmed.is_empty() {
        "upload".to_string()
    } else {
        trimmed.to_string()
    }
}

/// What a check needs from the server, taken before it moves to a blocking thread.
pub struct Runner {
    pub read_check: super::ReadCheck,
    /// The `check` options every run gets.
    pub check: Vec<String>,
    pub guard: Option<Arc<crate::collect::net::guard::Guard>>,
    pub proxy_env: Vec<(String, String)>,
    pub now: Option<time::OffsetDateTime>,
}

impl Runner {
    /// Runs the check on a blocking thread (the pipeline has its own runtime and threads).
    pub async fn run(self, job: Job, kind: Kind, progress: Option<Progress>) -> Finished {
        tokio::task::spawn_blocking(move || self.run_blocking(job, kind, progress))
            .await
            .unwrap_or_else(|_| Finished::Failed("internal error: the check stopped without a word".to_string()))
    }

    fn run_blocking(&self, job: Job, kind: Kind, progress: Option<Progress>) -> Finished {
        let mut argv = self.check.clone();
        argv.push(match kind {
            Kind::Page => "--format=html".to_string(),
            Kind::Api => "--format=json".to_string(),
        });
        argv.push("--no-config".to_string());
        for (option, value) in [
            ("ios", &job.ios),
            ("device", &job.device),
            ("udid", &job.udid),
            ("symptom", &job.symptom),
        ] {
            if let Some(value) = value {
                argv.push(format!("--{option}={value}"));
            }
        }
        argv.push("--".to_string());
        argv.extend(job.inputs());
        let mut stdin: &[u8] = &job.text;
        let mut stdout = Vec::new();
        let mut sink = progress.clone().unwrap_or_default();
        let mut io = Io {
            stdin: &mut stdin,
            stdout: &mut stdout,
            stderr: &mut sink,
            stdout_is_tty: false,
            stderr_is_tty: false,
            no_color: true,
            proxy_env: self.proxy_env.clone(),
            now: self.now.unwrap_or_else(time::OffsetDateTime::now_utc),
            env: Vec::new(),
        };
        let (mut options, mut report) = match (self.read_check)(&argv, &io) {
            Ok(read) => read,
            Err(message) => return Finished::Failed(message),
        };
        options.collect.guard = self.guard.clone();
        report.progress = progress.is_some();
        let result = crate::run::check(&options, &report, &mut io);
        drop(io);
        match result {
            Ok(code) => {
                let mut body = String::from_utf8_lossy(&stdout).into_owned();
                if let Some(dir) = &job.dir {
                    // the uploads by their names, not by the server's folder
                    body = body.replace(&format!("{}/", dir.path().display()), "");
                }
                Finished::Report { body, code }
            }
            Err(e) => {
                let mut message = e.to_string();
                if let Some(dir) = &job.dir {
                    message = message.replace(&format!("{}/", dir.path().display()), "");
                }
                Finished::Failed(message)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn upload_names_are_made_safe() {
        assert_eq!(safe_name("App.ipa"), "App.ipa");
        assert_eq!(safe_name("../../etc/passwd"), "passwd");
        assert_eq!(safe_name("C:\\Users\\me\\manifest.plist"), "manifest.plist");
        assert_eq!(safe_name(".bashrc"), "bashrc");
        assert_eq!(safe_name("a<script>.plist"), "a_script_.plist");
        assert_eq!(safe_name(""), "upload");
        assert_eq!(safe_name(".."), "upload");
        assert_eq!(safe_name(&"x".repeat(300)).len(), 100);
    }

    #[test]
    fn the_progress_line_keeps_the_last_line_written() {
        let mut progress = Progress::default();
        let _ = progress.write(b"\r\x1b[2Kotadoctor \xc2\xb7 0/1 checked \xc2\xb7 GET https://a/");
        let _ = progress.write(b"\r\x1b[2Kotadoctor \xc2\xb7 0/1 checked \xc2\xb7 GET https://b/");
        let _ = progress.write(b"\r\x1b[2K");
        assert_eq!(progress.line(), "otadoctor · 0/1 checked · GET https://b/");
    }
}
