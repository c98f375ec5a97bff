//! Reading inputs: arguments, files and standard input, recognised by content, not only name.

use std::io::Read;
use std::path::Path;

use crate::collect::{PackageOptions, deep, find, html, manifest, qr};
use crate::facts::{
    EvidenceFacts, Facts, Input, InputKind, LinkContext, LinkFacts, PackageFacts, PageFacts, QrFacts, WalkFacts,
};
use crate::finding::Location;
use crate::link::{self, looks_like_link};
use crate::text::lines_and_columns;

/// The most a local input may hold; larger files are not download pages or link lists.
pub const MAX_LOCAL_INPUT: u64 = 16 * 1024 * 1024;

/// Why an input could not be read. These are usage problems (exit 2), not findings.
#[derive(Debug, thiserror::Error)]
pub enum InputError {
    #[error("cannot read {path}: {source}")]
    Unreadable { path: String, source: std::io::Error },
    #[error("{path} is larger than {} MiB; an input is a link, a list of links or a download page", MAX_LOCAL_INPUT / 1024 / 1024)]
    TooLarge { path: String },
    #[error("{path} is not text, HTML, a plist, a zip or a profile")]
    Unrecognised { path: String },
    #[error("{0} is empty")]
    Empty(String),
    #[error("no itms-services link, manifest, package or profile found in {0}")]
    NoLinks(String),
    #[error("\"{0}\" is not an itms-services link and no such file exists")]
    NoSuchInput(String),
    #[error("cannot read the image {path}: {reason}")]
    Image { path: String, reason: String },
    #[error("no QR code found in {path}: the whole {width}×{height} {format} image was searched")]
    NoQrCode {
        path: String,
        format: &'static str,
        width: u32,
        height: u32,
    },
    #[error(
        "a QR code is in {path} ({width}×{height} {format}): its finder patterns were seen, but it could not be read (blurred, too small or damaged); try a sharper or closer picture"
    )]
    UnreadableQrCode {
        path: String,
        format: &'static str,
        width: u32,
        height: u32,
    },
    #[error("no link in the QR codes of {path}: {what}")]
    QrNoLink { path: String, what: String },
}

/// Turns one command-line argument into inputs (a file of links gives one input per link).
pub fn read_argument(arg: &str, stdin: &mut dyn Read, package: &PackageOptions) -> Result<Vec<Input>, InputError> {
    if arg == "-" {
        let bytes = read_capped(stdin, "standard input")?;
        return from_bytes("-", "<stdin>", &bytes, package);
    }
    if looks_like_link(arg, false) {
        return Ok(vec![link_input(arg, None)]);
    }
    let lower = arg.trim().to_ascii_lowercase();
    if lower.starts_with("https://") || lower.starts_with("http://") {
        return Ok(vec![Input {
            name: arg.trim().to_string(),
            kind: InputKind::Url,
            file: None,
            facts: Facts::default(),
        }]);
    }
    let path = Path::new(arg);
    if path.is_file() {
        let mut file = std::fs::File::open(path).map_err(|source| InputError::Unreadable {
            path: arg.to_string(),
            source,
        })?;
        // A package is read through ranges, whatever its size (IPAs are often gigabytes); a
        // file named .ipa is one even when it is not a zip (an error page saved by a browser).
        let mut magic = [0u8; 4];
        let got = read_up_to(&mut file, &mut magic).map_err(|source| InputError::Unreadable {
            path: arg.to_string(),
            source,
        })?;
        let named_ipa = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("ipa"));
        if named_ipa || is_zip_magic(&magic[..got]) {
            return Ok(vec![package_input(arg, arg, package)]);
        }
        let file = std::io::Cursor::new(magic[..got].to_vec()).chain(file);
        let bytes = read_capped(&mut file.take(MAX_LOCAL_INPUT + 1), arg)?;
        return from_bytes(arg, arg, &bytes, package);
    }
    if path.exists() {
        return Err(InputError::Unreadable {
            path: arg.to_string(),
            source: std::io::Error::other("not a regular file"),
        });
    }
    if let Some(evidence) = crate::collect::evidence::of_code(arg) {
        // a bare error code: `0xe8008015`, `-402620395`, `ASDErrorDomain 507`
        return Ok(vec![evidence_input(arg.trim(), None, evidence, Vec::new())]);
    }
    if arg.contains(':') && !arg.contains(std::path::MAIN_SEPARATOR) {
        // Some other scheme (mailto:, ftp://, …): a link that is not itms-services.
        return Ok(vec![link_input(arg, None)]);
    }
    Err(InputError::NoSuchInput(arg.to_string()))
}

/// The inputs in the bytes of the file `file`, read as `read_argument` reads a file (what
/// `--fix` reads, and reads again after fixing).
pub fn read_bytes(file: &str, bytes: &[u8]) -> Result<Vec<Input>, InputError> {
    from_bytes(file, file, bytes, &PackageOptions::default())
}

/// A file a directory scan found, read as a file argument is: `path` is where it is, `shown`
/// its path relative to the directory (the inputs' file and every location in them). `bytes`
/// is the whole file, or `None` for a package (read through ranges, at any size).
pub fn read_found(
    path: &Path,
    shown: &str,
    bytes: Option<&[u8]>,
    package: &PackageOptions,
) -> Result<Vec<Input>, InputError> {
    match bytes {
        None => Ok(vec![package_input_at(shown, shown, path, package)]),
        // a zip not named .ipa is not read as a package from a tree (a .jar, a .docx)
        Some(bytes) if is_zip_magic(bytes) => Err(InputError::Unrecognised {
            path: shown.to_string(),
        }),
        // an image in a tree is an icon or an asset: its QR codes are read only when it is given
        Some(bytes) if qr::sniff(bytes).is_some() => Err(InputError::Unrecognised {
            path: shown.to_string(),
        }),
        Some(bytes) => from_bytes(shown, shown, bytes, package),
    }
}

/// Whether the bytes start like a zip: a local file header, or the end record of an empty zip.
pub fn is_zip_magic(bytes: &[u8]) -> bool {
    bytes.starts_with(b"PK\x03\x04") || bytes.starts_with(b"PK\x05\x06")
}

/// Fills `buf` as far as the reader goes; how many bytes were read.
fn read_up_to(reader: &mut dyn Read, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match reader.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

fn read_capped(reader: &mut dyn Read, name: &str) -> Result<Vec<u8>, InputError> {
    let mut bytes = Vec::new();
    reader
        .take(MAX_LOCAL_INPUT + 1)
        .read_to_end(&mut bytes)
        .map_err(|source| InputError::Unreadable {
            path: name.to_string(),
            source,
        })?;
    if bytes.len() as u64 > MAX_LOCAL_INPUT {
        return Err(InputError::TooLarge { path: name.to_string() });
    }
    Ok(bytes)
}

/// Sniffs the bytes of a file (or standard input) and builds its inputs, with the
/// `otadoctor: ignore[…]` comments on their links' lines.
fn from_bytes(name: &str, file: &str, bytes: &[u8], package: &PackageOptions) -> Result<Vec<Input>, InputError> {
    let mut inputs = sniffed(name, file, bytes, package)?;
    if let Ok(text) = std::str::from_utf8(bytes) {
        crate::collect::suppress::attach(file, text, &mut inputs);
    }
    Ok(inputs)
}

/// Sniffs the bytes of a file (or standard input) and builds its inputs.
fn sniffed(name: &str, file: &str, bytes: &[u8], package: &PackageOptions) -> Result<Vec<Input>, InputError> {
    let body = bytes.strip_prefix(b"\xef\xbb\xbf").unwrap_or(bytes);
    let start = body.iter().position(|b| !b.is_ascii_whitespace()).unwrap_or(body.len());
    let head = &body[start..body.len().min(start + 1024)];
    let head_lower = String::from_utf8_lossy(head).to_ascii_lowercase();
    let utf16 = matches!(
        bytes,
        [0xff, 0xfe, ..] | [0xfe, 0xff, ..] | [b'<', 0, ..] | [0, b'<', ..]
    );
    let named_profile = Path::new(file)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("mobileprovision") || e.eq_ignore_ascii_case("provisionprofile"));
    if named_profile || (bytes.first() == Some(&0x30) && bytes.iter().take(64).any(|b| *b == 0)) {
        return Ok(vec![profile_input(name, file, bytes, package)]);
    }
    if qr::sniff(bytes).is_some() {
        return image_inputs(name, file, bytes);
    }
    if let Some(text) = plist_config(file, bytes) {
        return text_inputs(name, file, text);
    }
    if body.starts_with(b"bplist")
        || utf16
        || (head_lower.starts_with("<?xml") && head_lower.contains("<plist"))
        || head_lower.starts_with("<!doctype plist")
        || head_lower.starts_with("<plist")
        || Path::new(file)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("plist"))
    {
        return Ok(vec![manifest_input(name, file, bytes)]);
    }
    if is_zip_magic(body) {
        return Ok(vec![package_input(name, file, package)]);
    }
    let Ok(text) = std::str::from_utf8(bytes) else {
        if let Some(mail) = eight_bit_mail(file, bytes) {
            return text_inputs(name, file, &mail).map(without_literals);
        }
        return Err(InputError::Unrecognised { path: name.to_string() });
    };
    if text.trim().is_empty() {
        return Err(InputError::Empty(if name == "-" {
            "standard input".to_string()
        } else {
            name.to_string()
        }));
    }
    let is_html = ["<!doctype html", "<html", "<head", "<body", "<a ", "<meta", "<script"]
        .iter()
        .any(|t| head_lower.starts_with(t))
        || Path::new(file)
            .extension()
            .is_some_and(|e| e.eq_ignore_ascii_case("html") || e.eq_ignore_ascii_case("htm"));
    // a local template (`.php`, `.erb`, an `.html` with template tags) is read with its tags
    // as values, one input per link, like source code
    if is_html && !find::Syntax::of(file, text).is_template() {
        return Ok(vec![page_input(name, file, text)]);
    }
    text_inputs(name, file, text)
}

/// An XML plist that is not a manifest — no `items` key — and is a configuration profile
/// (`.mobileconfig`) or holds a link: a configuration file whose values are searched for links
/// (a web clip's `URL`). A plist without items and without a link stays a manifest input, so
/// its missing keys are reported.
/// The whole file is the text (a byte-order mark included), so offsets are the file's.
fn plist_config<'a>(file: &str, bytes: &'a [u8]) -> Option<&'a str> {
    let text = std::str::from_utf8(bytes).ok()?;
    let start = text.trim_start_matches('\u{feff}').trim_start();
    let head = start.get(..start.len().min(1024)).unwrap_or(start).to_ascii_lowercase();
    let named_profile = Path::new(file)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("mobileconfig"));
    let xml_plist = head.starts_with("<?xml") && head.contains("<plist")
        || head.starts_with("<!doctype plist")
        || head.starts_with("<plist");
    (xml_plist && !text.contains("<key>items</key>") && (named_profile || !find::prose::spans(text).is_empty()))
        .then_some(text)
}

/// An e-mail that is not UTF-8 (8bit Latin-1 parts are common): read byte for character as
/// Latin-1, so every line and column stays where it is; the links are ASCII either way.
fn eight_bit_mail(file: &str, bytes: &[u8]) -> Option<String> {
    let text: String = bytes.iter().map(|&b| char::from(b)).collect();
    let named = Path::new(file)
        .extension()
        .is_some_and(|e| e.eq_ignore_ascii_case("eml"));
    (named || find::email::looks_like_email(&text)).then_some(text)
}

/// The inputs without their literals: their offsets are not the file's bytes (`--fix` must
/// not write there).
fn without_literals(mut inputs: Vec<Input>) -> Vec<Input> {
    for link in inputs.iter_mut().flat_map(|i| i.facts.links.iter_mut()) {
        link.literal = None;
    }
    inputs
}

/// Reads a local package (an IPA) through the same range reader as a remote one; with
/// `--deep`, hashes it whole (in the manifest's chunk `sizes`) and checks every seal.
pub fn read_local_package(path: &str, package: &PackageOptions, sizes: deep::ChunkSizes) -> PackageFacts {
    let mut facts = read_local_package_contents(path, package);
    if package.deep && facts.error.is_none() {
        facts.deep = Some(deep::check_file(Path::new(path), &facts, sizes));
    }
    facts
}

fn read_local_package_contents(path: &str, package: &PackageOptions) -> PackageFacts {
    let source = crate::collect::remote_zip::LocalFile::Path(path.into());
    let runtime = tokio::runtime::Builder::new_current_thread().build();
    match runtime {
        Ok(rt) => rt.block_on(crate::collect::ipa::read_with(
            &source,
            path,
            &package.profile_anchors,
            package.deep,
        )),
        Err(e) => PackageFacts {
            source: path.to_string(),
            error: Some(crate::facts::PackageError {
                kind: crate::facts::PackageErrorKind::Read,
                reason: e.to_string(),
                head: None,
            }),
            ..Default::default()
        },
    }
}

/// A provisioning profile file: read and verified now.
fn profile_input(name: &str, file: &str, bytes: &[u8], package: &PackageOptions) -> Input {
    Input {
        name: name.to_string(),
        kind: InputKind::Profile,
        file: Some(file.to_string()),
        facts: Facts {
            profile: Some(crate::collect::profile::read(file, bytes, &package.profile_anchors)),
            ..Facts::default()
        },
    }
}

/// A package file: its contents read now (they are local).
fn package_input(name: &str, file: &str, package: &PackageOptions) -> Input {
    package_input_at(name, file, Path::new(file), package)
}

/// A package file read at `path`, shown as `file`.
fn package_input_at(name: &str, file: &str, path: &Path, package: &PackageOptions) -> Input {
    let mut contents = read_local_package(&path.to_string_lossy(), package, (None, None));
    contents.source = file.to_string();
    let walk = WalkFacts {
        manifest_url: file.to_string(),
        package: Some(contents),
        ..WalkFacts::default()
    };
    file_input(name, file, InputKind::Package, walk)
}

/// A manifest file: read now; its assets are fetched later unless the run is offline.
fn manifest_input(name: &str, file: &str, bytes: &[u8]) -> Input {
    let walk = WalkFacts {
        manifest_url: file.to_string(),
        document: Some(manifest::read(file, bytes)),
        ..WalkFacts::default()
    };
    file_input(name, file, InputKind::Manifest, walk)
}

/// A local file input that is one walk already started.
fn file_input(name: &str, file: &str, kind: InputKind, walk: WalkFacts) -> Input {
    Input {
        name: name.to_string(),
        kind,
        file: Some(file.to_string()),
        facts: Facts {
            walks: vec![walk],
            ..Facts::default()
        },
    }
}

/// A download page: every link in it, with its line.
pub fn page_input(name: &str, file: &str, html_text: &str) -> Input {
    let found = html::find_links(html_text);
    let mut facts = Facts {
        page: Some(PageFacts {
            source: file.to_string(),
            bytes: html_text.len(),
            links_found: found.len(),
            fetch: None,
            as_ipad: None,
        }),
        ..Facts::default()
    };
    let offsets: Vec<usize> = found.iter().map(|f| f.offset).collect();
    let places = lines_and_columns(html_text, &offsets);
    for (f, (line, column)) in found.into_iter().zip(places) {
        let location = Location {
            file: file.to_string(),
            line,
            column,
        };
        facts.links.push(f.into_facts(Some(location)));
    }
    Input {
        name: name.to_string(),
        kind: InputKind::Page,
        file: Some(file.to_string()),
        facts,
    }
}

/// A text that is not a page, a manifest, a package or a profile: a link pasted as is, or a
/// text holding links (a ticket, an e-mail, Markdown, a config file, source code, a
/// template), each found where it stands and read by its syntax. One input per link.
fn text_inputs(name: &str, file: &str, text: &str) -> Result<Vec<Input>, InputError> {
    let syntax = find::Syntax::of(file, text);
    // a device log, an installer tool's output, or a ticket quoting them: one input with the
    // events and the links it holds
    if matches!(syntax, find::Syntax::Prose | find::Syntax::Email)
        && let Some(evidence) = crate::collect::evidence::read(text)
    {
        let links = located_links(file, text, find::links_in(syntax, text));
        return Ok(vec![evidence_input(name, Some(file), evidence, links)]);
    }
    if syntax == find::Syntax::Prose && is_link_list(text) {
        return Ok(link_lines(file, text));
    }
    if let Some(pasted) = pasted_link(text).filter(|_| syntax == find::Syntax::Prose) {
        return Ok(vec![link_input(
            pasted,
            Some(Location {
                file: file.to_string(),
                line: 1,
                column: 1,
            }),
        )]);
    }
    let found = find::links_in(syntax, text);
    if found.is_empty() {
        return Err(InputError::NoLinks(if name == "-" {
            "standard input".to_string()
        } else {
            name.to_string()
        }));
    }
    let offsets: Vec<usize> = found.iter().map(|f| f.offset).collect();
    let places = lines_and_columns(text, &offsets);
    Ok(found
        .into_iter()
        .zip(places)
        .map(|(f, (line, column))| {
            let location = Location {
                file: file.to_string(),
                line,
                column,
            };
            let link = f.into_facts(Some(location));
            Input {
                name: link.written.clone(),
                kind: InputKind::Link,
                file: Some(file.to_string()),
                facts: Facts {
                    links: vec![link],
                    ..Facts::default()
                },
            }
        })
        .collect())
}

/// An image (PNG, JPEG): every QR code in it, in reading order, each text read as a pasted
/// text is — an itms-services link (or a text holding links) gives link inputs, an http(s)
/// URL a page to fetch. A code holding anything else (a Wi-Fi network, a contact) is noted in
/// the first input's `skipped`; an image with no link in any code is an error.
fn image_inputs(name: &str, file: &str, bytes: &[u8]) -> Result<Vec<Input>, InputError> {
    let path = if name == "-" { "standard input" } else { name }.to_string();
    let search = qr::search(bytes).map_err(|e| InputError::Image {
        path: path.clone(),
        reason: e.to_string(),
    })?;
    let (format, width, height) = (search.format.name(), search.width, search.height);
    if search.codes.is_empty() {
        return Err(if search.finder_seen {
            InputError::UnreadableQrCode {
                path,
                format,
                width,
                height,
            }
        } else {
            InputError::NoQrCode {
                path,
                format,
                width,
                height,
            }
        });
    }
    let count = search.codes.len();
    let mut inputs = Vec::new();
    let mut others = Vec::new();
    for (index, code) in search.codes.into_iter().enumerate() {
        let origin = QrFacts {
            image: file.to_string(),
            format: format.to_string(),
            width,
            height,
            index: index + 1,
            count,
            x: code.x,
            y: code.y,
            points: code.points,
            ec_level: code.ec_level,
            text: code.text,
        };
        match qr_text_inputs(file, &origin.text) {
            Some(found) => inputs.extend(found.into_iter().map(|mut input| {
                input.facts.qr = Some(origin.clone());
                input
            })),
            None => others.push(format!(
                "{} holds {}, not a link: not checked",
                origin.describe(),
                qr::describe_text(&origin.text)
            )),
        }
    }
    match inputs.first_mut() {
        Some(first) => first.facts.skipped.extend(others),
        None => {
            return Err(InputError::QrNoLink {
                path,
                what: others.join("; "),
            });
        }
    }
    Ok(inputs)
}

/// The inputs in one QR code's text: an http(s) URL alone is a page to fetch; any other text
/// is read as a pasted text (a link, or a text holding links). Every link is located at the
/// image (line 0: no line in it), and has no literal (`--fix` cannot rewrite a picture).
fn qr_text_inputs(file: &str, text: &str) -> Option<Vec<Input>> {
    let trimmed = text.trim();
    let lower = trimmed.to_ascii_lowercase();
    if (lower.starts_with("https://") || lower.starts_with("http://")) && !trimmed.contains(char::is_whitespace) {
        return Some(vec![Input {
            name: trimmed.to_string(),
            kind: InputKind::Url,
            file: Some(file.to_string()),
            facts: Facts::default(),
        }]);
    }
    // read as prose (no file name: the image's extension says nothing of the text's syntax)
    let found = text_inputs(file, "", text).ok()?;
    Some(
        found
            .into_iter()
            .map(|mut input| {
                input.file = Some(file.to_string());
                for link in &mut input.facts.links {
                    link.literal = None;
                    link.location = Some(Location {
                        file: file.to_string(),
                        line: 0,
                        column: 0,
                    });
                }
                input
            })
            .collect(),
    )
}

/// The text when it is one link pasted as is — alone, perhaps quoted, bracketed or padded —
/// and nothing else: it is checked as written, the way an argument is, so what wraps it is
/// reported (LNK011).
fn pasted_link(text: &str) -> Option<&str> {
    let whole = text.trim_end_matches(['\n', '\r']);
    match find::prose::spans(whole).as_slice() {
        [(start, end)] => {
            let around = |s: &str| {
                s.chars()
                    .all(|c| c.is_whitespace() || "\"'`<>\u{201c}\u{201d}\u{2018}\u{2019}".contains(c))
            };
            (around(&whole[..*start]) && around(&whole[*end..]) && looks_like_link(whole, false)).then_some(whole)
        }
        _ => None,
    }
}

/// Whether the text is a list of links: no line holds a space inside it (prose does). A line
/// that does not start a link then continues the one before it (a link a mail client wrapped).
fn is_link_list(text: &str) -> bool {
    text.lines().all(|line| !line.trim().contains(char::is_whitespace))
}

/// A list of links, one per line; a line that does not start a link continues the one
/// before it. A list with no link in it is one input (LNK001 says what it is).
fn link_lines(file: &str, text: &str) -> Vec<Input> {
    let mut links: Vec<(usize, String)> = Vec::new();
    for (number, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        if looks_like_link(line, false) {
            links.push((number + 1, line.to_string()));
        } else if let Some((_, last)) = links.last_mut() {
            last.push('\n');
            last.push_str(line);
        }
    }
    if links.is_empty() {
        links.push((1, text.trim_end_matches(['\n', '\r']).to_string()));
    }
    links
        .into_iter()
        .map(|(line, text)| {
            link_input(
                &text,
                Some(Location {
                    file: file.to_string(),
                    line,
                    column: 1,
                }),
            )
        })
        .collect()
}

/// Device evidence with the itms-services links its text holds.
fn evidence_input(name: &str, file: Option<&str>, mut evidence: EvidenceFacts, links: Vec<LinkFacts>) -> Input {
    evidence.file = file.filter(|f| *f != "<stdin>").map(str::to_string);
    Input {
        name: name.to_string(),
        kind: InputKind::Evidence,
        file: file.map(str::to_string),
        facts: Facts {
            links,
            evidence: Some(evidence),
            ..Facts::default()
        },
    }
}

/// The links found in a text, each with its `file:line:column`.
fn located_links(file: &str, text: &str, found: Vec<find::FoundLink>) -> Vec<LinkFacts> {
    let offsets: Vec<usize> = found.iter().map(|f| f.offset).collect();
    let places = lines_and_columns(text, &offsets);
    found
        .into_iter()
        .zip(places)
        .map(|(f, (line, column))| {
            f.into_facts(Some(Location {
                file: file.to_string(),
                line,
                column,
            }))
        })
        .collect()
}

fn link_input(text: &str, location: Option<Location>) -> Input {
    let file = location.as_ref().map(|l| l.file.clone());
    let facts = Facts {
        links: vec![link::link_facts(text, LinkContext::Raw, location, false)],
        ..Facts::default()
    };
    Input {
        name: text.to_string(),
        kind: InputKind::Link,
        file,
        facts,
    }
}
