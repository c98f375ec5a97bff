//! The observation model: plain data built by collectors, read by rules and by the JSON report.
//!
//! Nothing here judges. Later stages (HTTP exchanges, TLS, manifest, package) add fields to
//! `Facts` without changing what is already here.

use serde::Serialize;

use crate::finding::Location;

/// What an input was recognised as.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum InputKind {
    /// An itms-services link.
    Link,
    /// A download page (a file, or an https URL that served HTML).
    Page,
    /// A manifest plist (a file, or an https URL that served one).
    Manifest,
    /// An http(s) URL not fetched yet.
    Url,
    /// A package (an IPA file).
    Package,
    /// A provisioning profile (a `.mobileprovision` file).
    Profile,
    /// A directory walked like a source tree: what the scan found and skipped (`Facts::scan`);
    /// every file in it that holds something to check is an input of its own after it.
    Directory,
    /// Device evidence: a device log, an installer tool's or Xcode's output, a ticket quoting
    /// them, or a bare error code (`Facts::evidence`).
    Evidence,
}

/// One unit of work: the text shown as its name, what it is, and its facts so far.
#[derive(Debug, Clone)]
pub struct Input {
    pub name: String,
    pub kind: InputKind,
    /// The file the input came from, if any (for locations).
    pub file: Option<String>,
    pub facts: Facts,
}

/// Everything observed for one input.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Facts {
    /// The itms-services links found in the input, in order (one for a link input).
    pub links: Vec<LinkFacts>,
    /// The page the links were found in, when the input was HTML.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub page: Option<PageFacts>,
    /// Steps the run did not take, and why (`--offline`, not supported for this input, …).
    pub skipped: Vec<String>,
    /// What following each link (or a manifest input) gave.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub walks: Vec<WalkFacts>,
    /// Every host:port the run touched: name resolution, TCP and TLS. Shared with the other
    /// inputs that touched the same hosts (a batch holds one copy of each chain).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub hosts: Vec<std::sync::Arc<HostFacts>>,
    /// The roots certificates were judged against (one copy for the whole run).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub trust_store: Option<std::sync::Arc<TrustStoreFacts>>,
    /// A provisioning profile given on its own (a `.mobileprovision` input).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileFacts>,
    /// Online: the OCSP status of the certificates of that profile (its DeveloperCertificates
    /// and its signer), as `PackageFacts::revocation`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub profile_revocation: Vec<RevocationFacts>,
    /// As `PackageFacts::revocation_not_asked`, for that profile.
    #[serde(skip_serializing_if = "is_zero")]
    pub profile_revocation_not_asked: usize,
    /// Set when the run's deadline passed before this input was checked: what was under way.
    /// The facts are then what was known before that step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unfinished: Option<String>,
    /// `otadoctor: ignore[…]` comments on the lines of this input's links or the lines before
    /// them (`run::judge` applies them to the findings located there).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub suppressions: Vec<SuppressionComment>,
    /// Set on an input read from a file a directory scan found: the directory as given. The
    /// input's file and every location in its facts are relative to it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub root: Option<String>,
    /// A directory input: what the scan listed, matched, checked and skipped.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scan: Option<ScanFacts>,
    /// Device evidence: the install events a log shows, the URLs and bundle ids it names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub evidence: Option<EvidenceFacts>,
    /// Set on an input read from a QR code in an image: which code, where, and its text.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub qr: Option<QrFacts>,
    /// The path the install takes (`--via`): a link tapped in Safari (not shown), or an MDM
    /// `InstallApplication` command.
    #[serde(skip_serializing_if = "Via::is_link")]
    pub via: Via,
}

/// What a device log, an installer tool's output or a pasted error code shows.
#[derive(Debug, Clone, Default, Serialize)]
pub struct EvidenceFacts {
    /// The file it was read from (`None`: an argument, or standard input).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<String>,
    /// How the text is written: the line format most of its events came in.
    pub format: EvidenceFormat,
    /// Lines read.
    pub lines: usize,
    /// The install events found, in the order of the text.
    pub events: Vec<DeviceEvent>,
    /// Manifest URLs the log names: followed like a link's (unless offline).
    pub manifest_urls: Vec<String>,
    /// Package URLs the log names (the HEAD appstored made).
    pub package_urls: Vec<String>,
    /// Bundle ids the log names.
    pub bundle_ids: Vec<String>,
    /// Set when the text held more events than are kept: how many were left out.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cut: Option<String>,
}

/// The line format of device evidence.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EvidenceFormat {
    /// Lines copied from Console.app (type, time, process and message separated by tabs).
    Console,
    /// `log show` output, as in a sysdiagnose's `system_logs.logarchive` read on a Mac.
    LogShow,
    /// syslog-style lines: `idevicesyslog`, `log show --style syslog`, older device logs.
    Syslog,
    /// `ideviceinstaller` output.
    Ideviceinstaller,
    /// `ios-deploy` output.
    IosDeploy,
    /// Xcode's error message (`Domain:`/`Code:` lines, `MobileDeviceErrorCode`).
    Xcode,
    /// A bare error code given as the input.
    Code,
    /// Any other text quoting device messages or codes (a ticket, an e-mail).
    #[default]
    Text,
}

/// One install event of device evidence.
#[derive(Debug, Clone, Serialize)]
pub struct DeviceEvent {
    /// The line it is on (1-based).
    pub line: usize,
    /// The time the log gives, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub time: Option<String>,
    /// The process that wrote it (`appstored`, `installd`, …), when the line says.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub process: Option<String>,
    pub kind: crate::device::events::EventKind,
    /// The message, as written (capped).
    pub text: String,
    /// The error codes in it, decoded.
    pub codes: Vec<crate::device::codes::Code>,
    /// The URL it names.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub url: Option<String>,
    /// The bundle id it names (the package's, for a bundle id mismatch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bundle_id: Option<String>,
    /// The bundle id the device expected (the manifest's, for a bundle id mismatch).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub expected_bundle_id: Option<String>,
}

/// How the app reaches the device (`--via`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Via {
    /// An itms-services link tapped in Safari: the installer fetches the manifest.
    #[default]
    Link,
    /// An MDM `InstallApplication` command (or a declarative `app.managed`): the MDM agent
    /// fetches the manifest URL the MDM server sent, with no browser and no session.
    Mdm,
}

impl Via {
    pub fn is_link(&self) -> bool {
        *self == Via::Link
    }
}

/// A directory walked like a source tree (`.gitignore`, `.ignore` and git's excludes
/// respected, hidden entries and symbolic links left out), each file first searched for a few
/// bytes (`itms`, `download-manifest`, a manifest plist) and read as an input only when they
/// are there, or when its name makes it a package or a profile.
/// An `otadoctor: ignore[CODE,…]` comment in a file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SuppressionComment {
    /// The file, as the input's locations name it.
    pub file: String,
    pub line: usize,
    /// The codes (or names, or family prefixes) as written.
    pub codes: Vec<String>,
    /// The comment's marker as written (`otadoctor: ignore[LNK006]`).
    pub comment: String,
}

#[derive(Debug, Clone, Default, Serialize)]
pub struct ScanFacts {
    /// The directory as given; the paths of its inputs are relative to it.
    pub root: String,
    /// The directory as an absolute `file:` URI ending in `/` (SARIF's `%SRCROOT%`); empty
    /// when it could not be resolved.
    pub root_uri: String,
    /// Files the walk listed (what `.gitignore`, `.ignore` and git's excludes leave out is not
    /// listed, as git does not list it).
    pub files: usize,
    /// Files the byte search matched, or named as a package (`.ipa`) or a profile.
    pub matched: usize,
    /// Files that gave something to check, and how many inputs they gave.
    pub checked: usize,
    pub inputs: usize,
    /// Bytes read by the search.
    pub bytes_read: u64,
    /// What was not read or gave nothing, by reason.
    pub skipped: Vec<ScanSkip>,
    /// Whether the links found are followed on the network (`--follow`); without it they are
    /// checked offline only.
    pub follow: bool,
    /// Whether the whole run is offline (`--offline`): nothing is followed, whatever `follow`.
    pub offline: bool,
}

/// Files (or entries) a scan skipped for one reason.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ScanSkip {
    pub reason: ScanSkipReason,
    /// How many.
    pub count: usize,
    /// The first few, by path (with the error, for unreadable ones).
    pub examples: Vec<String>,
}

/// Why a scan skipped a file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ScanSkipReason {
    /// A hidden file or folder (its name starts with `.`): not entered, not read.
    Hidden,
    /// A symbolic link: not followed (it may lead out of the tree).
    Symlink,
    /// A NUL byte in its first 8 KiB, and not a package, a profile or a binary manifest.
    Binary,
    /// Larger than the 16 MiB cap of a local input (and not a package, which is read in ranges).
    TooLarge,
    /// Its bytes matched but it is not UTF-8 text.
    NotText,
    /// Its bytes matched (`itms…`, `download-manifest`) but no link was found in it: a mention,
    /// not a link.
    NoLink,
    /// It could not be read (permissions, removed meanwhile), or the walk could not enter it.
    Unreadable,
    /// A PNG or JPEG image (an icon, an asset): its QR codes are read only when it is given as
    /// an input of its own, not in a scan.
    Image,
}

impl ScanSkipReason {
    /// How the reports say it, for `n` of them: "3 binary files (…)".
    pub fn describe(self, n: usize) -> String {
        let one = n == 1;
        let (entries, files) = if one { ("entry", "file") } else { ("entries", "files") };
        match self {
            ScanSkipReason::Hidden => format!("{n} hidden {entries} (name starting with \".\"), not entered"),
            ScanSkipReason::Symlink => format!("{n} symbolic link{}, not followed", if one { "" } else { "s" }),
            ScanSkipReason::Binary => format!("{n} binary {files} (not a package, profile or manifest)"),
            ScanSkipReason::TooLarge => format!("{n} {files} larger than 16 MiB"),
            ScanSkipReason::NotText => format!("{n} {files} that matched but are not UTF-8 text"),
            ScanSkipReason::NoLink => format!(
                "{n} {files} that matched but hold{} no link (a mention, not a link)",
                if one { "s" } else { "" }
            ),
            ScanSkipReason::Unreadable => format!("{n} unreadable {entries}"),
            ScanSkipReason::Image => format!(
                "{n} image{} (PNG, JPEG), not searched for QR codes (give an image as an input to read its codes)",
                if one { "" } else { "s" }
            ),
        }
    }
}

impl Facts {
    /// Every provisioning profile of this input: a profile input, and those of every bundle of
    /// every package.
    pub fn profiles_mut(&mut self) -> impl Iterator<Item = &mut ProfileFacts> {
        let bundles = self
            .walks
            .iter_mut()
            .filter_map(|w| w.package.as_mut())
            .flat_map(|p| p.bundles.iter_mut())
            .filter_map(|b| b.profile.as_mut());
        self.profile.iter_mut().chain(bundles)
    }

    /// Every host:port an exchange of this input went to.
    pub fn hosts_used(&self) -> std::collections::BTreeSet<(String, u16)> {
        let page = self.page.iter().filter_map(|p| p.fetch.as_ref());
        let walks = self.walks.iter().flat_map(|w| {
            let assets = w.assets.iter().flat_map(|a| a.head.iter().chain(a.get.iter()));
            w.manifest
                .iter()
                .chain(w.manifest_as_browser.iter())
                .chain(w.manifest_as_installer.iter())
                .chain(assets)
        });
        let ipad = self.page.iter().filter_map(|p| p.as_ipad.as_ref().map(|i| &i.fetch));
        page.chain(ipad)
            .chain(walks)
            .flat_map(|f| f.exchanges.iter())
            .filter_map(|e| e.host.as_ref().map(|h| (h.host.clone(), h.port)))
            .collect()
    }
}

/// A saved or fetched download page.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PageFacts {
    pub source: String,
    pub bytes: usize,
    pub links_found: usize,
    /// The request for the page, when it was fetched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fetch: Option<Fetch>,
    /// The same page asked for as iPadOS Safari asks by default, when it was fetched.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub as_ipad: Option<IpadPage>,
}

/// A download page as iPadOS Safari gets it: since iPadOS 13 it asks for pages with a Mac's
/// User-Agent ("Request Desktop Website" is on by default), so a page that picks its content
/// by User-Agent serves an iPad what it serves a Mac.
#[derive(Debug, Clone, Default, Serialize)]
pub struct IpadPage {
    /// The request, with the desktop-class User-Agent, made beside the iPhone's.
    pub fetch: Fetch,
    /// The itms-services links found in what the iPad got (by the same finder as the page's
    /// own links), in order; none when it got no 2xx page.
    pub links: Vec<SeenLink>,
    /// What the iPad's page reads in script to tell devices apart (`navigator.userAgent`,
    /// `navigator.platform`, `navigator.maxTouchPoints`, `navigator.userAgentData`): what
    /// such a script shows an iPad is decided in the browser, not known from a fetch.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub scripts_read: Vec<String>,
}

/// A link found in a second view of a page, kept short: where it is and what iOS fetches.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct SeenLink {
    /// The link's text as parsed.
    pub text: String,
    /// Its scheme, as written (`itms-services` for an install link).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scheme: Option<String>,
    /// The manifest URL the device would fetch (the `url` parameter decoded once).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest_url: Option<String>,
    /// Built at run time by a script: only its fixed part is known.
    pub dynamic: bool,
    pub line: usize,
    pub column: usize,
}

/// Where a link was written, which decides how it was decoded before iOS saw it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum LinkContext {
    /// Pasted or typed as is (an argument, a line of a file, a chat message).
    Raw,
    /// An HTML attribute value: the HTML parser decoded entities (`&amp;` → `&`).
    HtmlAttribute { tag: String, attribute: String },
    /// `<meta http-equiv="refresh" content="0; url=…">`: an attribute, so entities were decoded.
    MetaRefresh,
    /// A JavaScript string literal; `inside_attribute` when the script is an `on…` attribute,
    /// whose entities the HTML parser decoded before the script ran.
    JsString { target: String, inside_attribute: bool },
    /// Found in a text: a ticket, an e-mail, Markdown, a config file, source code or a
    /// template. `language` names the syntax that decoded it (`markdown`, `json`, `python`,
    /// `erb`, …), `place` where in it the link stands ("Markdown link target", "string passed
    /// to window.open", "JSON value at install.url"), `used_as` whether HTML entities in it
    /// were, or will be, decoded before the link reaches iOS.
    Text {
        text_kind: TextKind,
        language: String,
        place: String,
        used_as: LinkUse,
    },
}

/// What kind of text a link was found in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum TextKind {
    /// Running text: a ticket, a chat message, a plain text file.
    Prose,
    /// An e-mail (`.eml`), its text or HTML part.
    Email,
    /// Markdown: a link target, an autolink, a code span or block, or its prose.
    Markdown,
    /// A configuration value: JSON, YAML, XML, a plist, a `.mobileconfig`, TOML, `.env`.
    Config,
    /// A string literal in source code.
    Source,
    /// A template: HTML (or text) with template tags of an engine (ERB, Jinja, PHP, …).
    Template,
}

/// Where a link's text goes, which decides whether `&amp;` in it becomes `&`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum LinkUse {
    /// Into markup that decodes character references first: an HTML attribute or a string
    /// inserted as HTML, XML or plist text, a CommonMark link target. `written` is the text
    /// after that decoding.
    Markup,
    /// As a URL directly (`location.href`, `window.open`, a `Location` header, a QR code, a
    /// JSON API value, plain text, a Markdown autolink or code span): nothing decodes `&amp;`.
    Url,
    /// The file does not show where the string goes. `written` is the text after HTML
    /// decoding (right only if the string ends up inside markup).
    Unknown,
}

/// A value a template or a program puts into the link at run time (`{{ url }}`, `${plist}`,
/// `<%= u %>`, `' + x + '`): not a defect, only its place in the link is known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TemplateValue {
    /// The value as written in the source, delimiters included (`{{ plist_url | urlencode }}`).
    pub expression: String,
    /// Byte range of `expression` in `LinkFacts::text`.
    pub start: usize,
    pub end: usize,
    /// The encoding call or filter the value passes through (`encodeURIComponent`,
    /// `urlencode`, `url.QueryEscape`, …), when one is recognised.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoded_by: Option<String>,
}

/// Where the whole link stands as a literal in its file, and how that file escapes text:
/// what `--fix` rewrites.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Literal {
    /// Byte range in the file of the link's text as written (inside any quotes).
    pub start: usize,
    pub end: usize,
    pub escaping: Escaping,
}

/// How a corrected link must be escaped to be written back where the link was found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Escaping {
    /// Written as is (prose, a Markdown link target, a YAML plain scalar).
    Verbatim,
    /// HTML or XML text or attribute: `&` as `&amp;`, `<` as `&lt;`, `"` as `&quot;`.
    Markup,
    /// A string literal with backslash escapes (`"` and `\` escaped; JSON, C-family, JS).
    Backslash,
    /// A string literal that also interpolates `$` (PHP and Kotlin double quotes, Dart,
    /// Groovy, Perl): `$` as `\$` besides backslash escapes.
    BackslashDollar,
}

impl LinkContext {
    /// Whether HTML entity decoding happened before the link was used.
    pub fn html_decoded(&self) -> bool {
        match self {
            LinkContext::Raw => false,
            LinkContext::HtmlAttribute { .. } | LinkContext::MetaRefresh => true,
            LinkContext::JsString { inside_attribute, .. } => *inside_attribute,
            LinkContext::Text { used_as, .. } => *used_as != LinkUse::Url,
        }
    }

    /// Where the link's text goes: into markup (entities decoded), used as a URL, or unknown.
    pub fn used_as(&self) -> LinkUse {
        match self {
            LinkContext::Raw => LinkUse::Url,
            LinkContext::HtmlAttribute { .. } | LinkContext::MetaRefresh => LinkUse::Markup,
            LinkContext::JsString { inside_attribute, .. } => {
                if *inside_attribute {
                    LinkUse::Markup
                } else {
                    LinkUse::Url
                }
            }
            LinkContext::Text { used_as, .. } => *used_as,
        }
    }

    /// Whether a browser's URL parser handled the text (it strips tabs and line breaks, and
    /// leading and trailing spaces, before iOS sees the link).
    pub fn browser_parsed(&self) -> bool {
        match self {
            LinkContext::Raw => false,
            LinkContext::Text { text_kind, used_as, .. } => *used_as != LinkUse::Url || *text_kind == TextKind::Source,
            _ => true,
        }
    }

    pub fn describe(&self) -> String {
        match self {
            LinkContext::Raw => "as written".to_string(),
            LinkContext::HtmlAttribute { tag, attribute } => format!("<{tag} {attribute}>"),
            LinkContext::MetaRefresh => "<meta http-equiv=\"refresh\">".to_string(),
            LinkContext::JsString {
                target,
                inside_attribute: false,
            } if target.is_empty() => "script string".to_string(),
            LinkContext::JsString {
                target,
                inside_attribute: false,
            } => format!("script: {target}"),
            LinkContext::JsString {
                target,
                inside_attribute: true,
            } => format!("event handler: {target}"),
            LinkContext::Text { place, .. } => place.clone(),
        }
    }
}

/// Something taken off or out of the link text before it could be parsed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Wrapping {
    /// Spaces or line breaks before or after the link.
    SurroundingWhitespace,
    /// Quotes around the link.
    Quotes,
    /// `<…>` around the link (mail clients, RFC 3986 appendix C).
    AngleBrackets,
    /// Quoted-printable soft line breaks (`=` at a line end) and `=3D` escapes.
    SoftBreaks,
    /// Line breaks (and the indentation after them) inside the link.
    LineBreaks,
}

impl Wrapping {
    pub fn describe(self) -> &'static str {
        match self {
            Wrapping::SurroundingWhitespace => "whitespace around the link",
            Wrapping::Quotes => "quotes around the link",
            Wrapping::AngleBrackets => "<…> around the link",
            Wrapping::SoftBreaks => "quoted-printable soft line breaks (\"=\" at line ends)",
            Wrapping::LineBreaks => "line breaks inside the link",
        }
    }
}

/// One `name=value` pair of the link's query, split on `&` as iOS does.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkParam {
    /// Byte range of the pair in `LinkFacts::text`.
    pub start: usize,
    pub end: usize,
    pub raw_name: String,
    /// `None` when the pair has no `=`.
    pub raw_value: Option<String>,
    /// Percent-decoded once.
    pub name: String,
    /// Percent-decoded once; `+` stays `+`.
    pub value: Option<String>,
}

/// An itms-services link as written, and as iOS parses it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LinkFacts {
    /// The text exactly as found (for HTML: the attribute value after entity decoding).
    pub written: String,
    /// The source text before HTML decoding, when it differs (attribute values in a page).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_text: Option<String>,
    pub context: LinkContext,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub location: Option<Location>,
    /// What was taken off `written` to get `text`.
    pub wrapping: Vec<Wrapping>,
    /// True when a script builds the rest of the link at run time (string concatenation or a
    /// template): only the fixed part is known.
    pub dynamic: bool,
    /// The text that was parsed.
    pub text: String,
    pub parsed: ParsedLink,
    /// The values a template or program puts into the link (`dynamic` links), in order.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub values: Vec<TemplateValue>,
    /// Where the whole link stands as a literal in its file (what `--fix` may rewrite).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub literal: Option<Literal>,
}

/// The parts of the link, split the way iOS splits an `itms-services` URL.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ParsedLink {
    /// Text before the first `:`, as written; `None` when there is no `:`.
    pub scheme: Option<String>,
    /// How many `/` follow the `:`.
    pub slashes: usize,
    /// Text between the slashes and the `?` (should be empty).
    pub authority_and_path: String,
    /// The raw query (between `?` and `#`).
    pub query: Option<String>,
    /// Byte offset of the query in `text`.
    pub query_start: usize,
    /// The raw fragment (after the first `#`); iOS never sends it anywhere.
    pub fragment: Option<String>,
    /// Byte offset of the `#` in `text`.
    pub fragment_start: Option<usize>,
    pub params: Vec<LinkParam>,
    /// The first `action` parameter, decoded.
    pub action: Option<String>,
    /// The first `url` parameter, decoded once: the manifest URL the phone will fetch.
    pub manifest_url: Option<String>,
}

impl ParsedLink {
    pub fn param(&self, name: &str) -> Option<&LinkParam> {
        self.params.iter().find(|p| p.name == name)
    }

    pub fn param_index(&self, name: &str) -> Option<usize> {
        self.params.iter().position(|p| p.name == name)
    }
}

/// What one link (or a manifest given directly) led to when it was followed like the device.
#[derive(Debug, Clone, Default, Serialize)]
pub struct WalkFacts {
    /// Which link of the input this walk follows (`None` for a manifest input).
    pub link: Option<usize>,
    /// The manifest URL the phone asks for (decoded once from the link).
    pub manifest_url: String,
    /// The manifest request as the installer sends it, with every redirect hop.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest: Option<Fetch>,
    /// The same manifest asked for with a browser's User-Agent, to compare.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest_as_browser: Option<Fetch>,
    /// `--via mdm`: the same manifest asked for with the installer's User-Agent (what a tapped
    /// link gets), to compare with the MDM agent's answer in `manifest`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub manifest_as_installer: Option<Fetch>,
    /// The manifest's content, read from the fetched body or a local file.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<ManifestFacts>,
    /// What was fetched for each asset of the manifest, in manifest order.
    pub assets: Vec<AssetFetch>,
    /// The package's contents, read through Range requests or from a local file (--ipa).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package: Option<PackageFacts>,
    /// Why the package's contents were not read, when they were not.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub package_not_read: Option<String>,
    /// True when they were not read only because the package is too large to download whole
    /// from a server that ignores Range (otadoctor's own cap, not the server's fault: the phone
    /// downloads it).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub package_too_large_to_stream: bool,
}

/// One resource asked for, hop by hop: each exchange is one request; a 3xx leads to the next.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Fetch {
    pub exchanges: Vec<Exchange>,
}

impl Fetch {
    /// The last exchange: where the redirects ended.
    pub fn last(&self) -> Option<&Exchange> {
        self.exchanges.last()
    }

    /// The exchanges that answered with a redirect.
    pub fn redirects(&self) -> impl Iterator<Item = &Exchange> {
        self.exchanges
            .iter()
            .filter(|e| e.status.is_some_and(|s| (300..400).contains(&s)))
    }
}

/// One HTTP request and what came back.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Exchange {
    pub method: String,
    pub url: String,
    pub user_agent: String,
    /// Request headers sent besides the User-Agent (`Range`).
    pub request_headers: Vec<(String, String)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<u16>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub http_version: Option<String>,
    /// Response headers, names in lower case, in the order received.
    pub headers: Vec<(String, String)>,
    pub timing: Timing,
    /// Body bytes read (never more than the cap).
    pub body_bytes: u64,
    /// True when the body was cut at the cap (or on purpose, after the bytes that were needed).
    pub body_truncated: bool,
    /// The cap that applied to the body.
    pub body_cap: u64,
    /// The first bytes of the body as text (lossy), for telling HTML, plists, zips and LFS pointers.
    pub body_head: String,
    /// The first bytes of the body, hex, for binary signatures.
    pub body_magic: String,
    /// Where the connection went.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub host: Option<HostRef>,
    /// Why the request failed, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<NetError>,
    /// The server certificate verdict for the connection this came over (`None`: not https).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_verdict: Option<ChainVerdict>,
    /// True when the content came over a connection whose certificate iOS would refuse
    /// (otadoctor goes on to report everything; the phone would stop here).
    pub over_refused_tls: bool,
    /// The body's `Content-Encoding` (`gzip`, `deflate`), when it was decoded as the installer
    /// decodes it; `body_bytes` and `body_head` are then of the decoded body.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub decoded: Option<String>,
    /// The body's bytes as they came over the wire, when they were decoded.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encoded_bytes: Option<u64>,
    /// True when a body delimited by the end of the connection ended without TLS close_notify
    /// (read whole all the same, as iOS reads it).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub closed_without_close_notify: bool,
}

impl Exchange {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
}

/// Milliseconds from the start of the request (connect and TLS times are per host, in `hosts`).
#[derive(Debug, Clone, Copy, Default, Serialize)]
pub struct Timing {
    /// When the request started, in ms since the run's network client was made: where the
    /// HTML report's timeline places it (reports only; no rule reads it).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub start_ms: Option<u64>,
    /// Until the response headers arrived (including any new connection).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub first_byte_ms: Option<u64>,
    pub total_ms: u64,
}

/// A host and port the run talked to, and how its name was resolved.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HostRef {
    pub host: String,
    pub port: u16,
}

/// Why a request got no (complete) answer.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
pub enum NetError {
    /// The name did not resolve.
    Dns { host: String, detail: String },
    /// TCP connect refused, reset or unreachable.
    Connect { detail: String },
    /// No answer within the time limit, in this phase.
    Timeout { phase: Phase, after_ms: u64 },
    /// The TLS handshake failed.
    Tls { detail: String },
    /// The whole run's deadline passed before this request could finish.
    Deadline,
    /// More than the allowed number of redirects.
    TooManyRedirects { limit: usize },
    /// A redirect to a URL otadoctor will not fetch (not http or https).
    RedirectNotFollowed { location: String },
    /// Anything else the HTTP layer reported.
    Http { detail: String },
    /// The proxy the request went through failed it: unreachable, no answer in time, or it
    /// refused the CONNECT tunnel (403, 407, …). About the proxy, not the site.
    Proxy {
        proxy: String,
        failure: ProxyFailure,
        /// The proxy's answer to CONNECT, when it gave one.
        #[serde(skip_serializing_if = "Option::is_none")]
        status: Option<u16>,
        detail: String,
    },
    /// The server answered, but not in valid HTTP: a head too large, a bad status line,
    /// conflicting Content-Length headers, a malformed chunk, a body its Content-Encoding does
    /// not describe, or a connection closed before any answer.
    InvalidResponse { detail: String },
    /// The body stopped before its end: the connection closed (or broke) after `received` of
    /// the `expected` bytes (`None`: the length was not announced).
    BodyCutShort {
        received: u64,
        #[serde(skip_serializing_if = "Option::is_none")]
        expected: Option<u64>,
        detail: String,
    },
    /// Not sent: the run's guard (`otadoctor serve`) refuses every address of the host, which is
    /// not a fault of the site: what is behind the request was not checked.
    Refused {
        host: String,
        /// The first address refused.
        address: String,
        /// Why ("a private address").
        reason: String,
    },
}

impl NetError {
    /// Whether the request was not sent because the run's guard refused its address.
    pub fn is_refused(&self) -> bool {
        matches!(self, NetError::Refused { .. })
    }
}

impl std::fmt::Display for NetError {
    /// The error in words, as reports and messages quote it.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            NetError::Dns { host, detail } => write!(f, "{host} does not resolve: {detail}"),
            NetError::Connect { detail } => write!(f, "cannot connect: {detail}"),
            NetError::Timeout { phase, after_ms } => write!(f, "timed out {} (after {after_ms} ms)", phase.describe()),
            NetError::Tls { detail } => write!(f, "TLS handshake failed: {detail}"),
            NetError::Deadline => f.write_str("the run's deadline passed"),
            NetError::TooManyRedirects { limit } => write!(f, "more than {limit} redirects"),
            NetError::RedirectNotFollowed { location } => {
                write!(f, "redirect to {location} not followed (not http or https)")
            }
            NetError::Http { detail } => f.write_str(detail),
            NetError::Proxy { proxy, detail, .. } => write!(f, "the proxy {proxy} {detail}"),
            NetError::InvalidResponse { detail } => write!(f, "the server's answer is not valid HTTP: {detail}"),
            NetError::BodyCutShort {
                received,
                expected: Some(expected),
                detail,
            } => write!(f, "the body stopped after {received} of {expected} bytes: {detail}"),
            NetError::BodyCutShort {
                received,
                expected: None,
                detail,
            } => write!(f, "the body stopped after {received} bytes: {detail}"),
            NetError::Refused { host, address, reason } => {
                let bare = host.trim_start_matches('[').trim_end_matches(']');
                if bare.parse::<std::net::IpAddr>().is_ok() {
                    write!(f, "not fetched: {address} is {reason}")?;
                } else {
                    write!(f, "not fetched: {host} resolves to {address}, {reason}")?;
                }
                f.write_str("; this server does not fetch private, loopback, link-local or cloud-metadata addresses (its --allow-private option lists ranges it may)")
            }
        }
    }
}

/// How a proxy failed a request.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProxyFailure {
    /// Its name does not resolve, or nothing accepts a connection at its address.
    Unreachable,
    /// No (complete) answer to CONNECT within the time limit.
    Timeout,
    /// It answered 407: it wants credentials, or refused the ones sent.
    AuthenticationRequired,
    /// It answered CONNECT with another status than 200 (403: its policy refuses the host).
    Refused,
    /// It closed the connection, sent more than the cap, or something that is not HTTP.
    BrokenAnswer,
    /// The HTTP client's own connection through it failed (the probe's went through).
    Other,
}

/// The network phases a timeout can hit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Phase {
    Connect,
    FirstByte,
    /// The head had started to arrive (bytes came) but did not finish in time.
    Head,
    Body,
}

impl Phase {
    pub fn describe(self) -> &'static str {
        match self {
            Phase::Connect => "connecting (TCP and TLS)",
            Phase::FirstByte => "waiting for the first byte",
            Phase::Head => "receiving the response headers, which trickled in",
            Phase::Body => "reading the body",
        }
    }
}

/// A host:port the install touches: how its name resolved, and a probe of its TCP and TLS.
#[derive(Debug, Clone, Default, Serialize)]
pub struct HostFacts {
    pub host: String,
    pub port: u16,
    pub dns: DnsFacts,
    /// The separate connection made once per host to time TCP and TLS and record the chain.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub probe: Option<ProbeFacts>,
    /// The proxy this host was reached through (https: a CONNECT tunnel; http: forwarded).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy: Option<ProxyFacts>,
    /// Which resources were fetched from this host (`manifest`, `package`, `icon`, `page`).
    pub resources: Vec<String>,
}

/// A proxy a host was reached through.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ProxyFacts {
    /// `http://host:port`, never with its credentials.
    pub url: String,
    /// Where it was set: `--proxy`, or the environment variable(s) read.
    pub source: String,
    /// True when Proxy-Authorization was sent (the credentials themselves are never kept).
    pub credentials: bool,
    /// True when a --resolve pin names this host: it was not used, as in curl (the proxy
    /// resolves the names it connects to; a pin applies to the proxy's own name).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub resolve_not_used: bool,
}

/// What name resolution gave for one host.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DnsFacts {
    pub source: DnsSource,
    /// What DNS answered, all of it (NET002 judges these: the device meets them too).
    pub addresses: Vec<String>,
    /// Those of `addresses` the run's guard refused (`otadoctor serve`): never connected to.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub refused: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub ms: u64,
}

impl DnsFacts {
    /// The addresses that may be connected to: those DNS answered, less those refused.
    pub fn usable(&self) -> impl Iterator<Item = &String> {
        self.addresses.iter().filter(|a| !self.refused.contains(a))
    }
}

/// One TCP connection and TLS handshake to a host, timed.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProbeFacts {
    /// The address connected to: the host's, or the proxy's when it went through one.
    pub address: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub connect_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls_ms: Option<u64>,
    /// Through a proxy: how long its answer to CONNECT took (`connect_ms` is to the proxy).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tunnel_ms: Option<u64>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<NetError>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub tls: Option<TlsSeen>,
    /// When the handshake failed, what kind of failure it was.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub handshake_failure: Option<HandshakeFailure>,
}

/// The server certificate chain a TLS connection presented, the standard verdict on it, and
/// what was negotiated.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TlsSeen {
    pub server_name: String,
    /// The chain exactly as served, leaf first, DER as hex.
    pub chain_der_hex: Vec<String>,
    pub verdict: ChainVerdict,
    /// Which roots accepted the chain.
    pub anchored_by: AnchoredBy,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub version: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cipher_suite: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub key_exchange: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub alpn: Option<String>,
    /// Length of the stapled OCSP response (0: none).
    pub ocsp_staple_bytes: usize,
    /// The stapled OCSP response, hex (for SCTs delivered by OCSP).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub ocsp_staple_hex: String,
    /// True when the server asked for a client certificate (none was sent).
    pub client_certificate_requested: bool,
}

impl TlsSeen {
    pub fn accepted(&self) -> bool {
        self.verdict == ChainVerdict::Ok
    }
}

/// The standard (webpki) verdict on a served chain: serialized as `ok`, or as webpki's reason
/// for refusing it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum ChainVerdict {
    #[default]
    Ok,
    Refused(String),
}

impl std::fmt::Display for ChainVerdict {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            ChainVerdict::Ok => f.write_str("ok"),
            ChainVerdict::Refused(reason) => f.write_str(reason),
        }
    }
}

impl Serialize for ChainVerdict {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

/// Which roots accepted a chain.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum AnchoredBy {
    /// The public store (Apple's iOS trust store, or --trust-store).
    Public,
    /// A root given with --ca-file (installed on devices by profile).
    Private,
    #[default]
    None,
}

impl AnchoredBy {
    pub fn as_str(self) -> &'static str {
        match self {
            AnchoredBy::Public => "public",
            AnchoredBy::Private => "private",
            AnchoredBy::None => "none",
        }
    }
}

/// How a host name was resolved.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum DnsSource {
    /// Pinned with --resolve.
    ResolveOption,
    /// Asked of --dns-server.
    DnsServer,
    /// The system resolver.
    #[default]
    System,
    /// The URL names an IP address.
    IpLiteral,
    /// Not resolved here: the request went through a proxy, which resolves the name.
    Proxy,
}

/// The kind of a failed TLS handshake.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum HandshakeFailure {
    /// The server offers only older TLS versions.
    ProtocolVersion,
    /// No common cipher suite or parameters.
    HandshakeFailure,
    /// The server demands a client certificate.
    ClientCertificate,
    /// The connection was dropped.
    Reset,
    Other,
}

/// The root store the run judged certificates against.
#[derive(Debug, Clone, Default, Serialize)]
pub struct TrustStoreFacts {
    pub name: String,
    pub version: String,
    pub roots: usize,
    /// Roots from --ca-file (private: installed on devices by profile).
    pub private_roots: usize,
    /// Every root's subject, and whether it is public (the rules look up issuers here).
    #[serde(skip)]
    pub anchors: Vec<Anchor>,
}

/// A trusted root, as the TLS rules need it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Anchor {
    pub subject: String,
    /// The root's DER, hex.
    pub der_hex: String,
    pub public: bool,
}

/// An asset of the manifest and what fetching it gave.
#[derive(Debug, Clone, Default, Serialize)]
pub struct AssetFetch {
    pub item: usize,
    pub asset: usize,
    pub kind: String,
    pub url: String,
    /// Why it was not fetched (`--offline`, not an http(s) URL, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub not_fetched: Option<String>,
    /// The installer's HEAD (package only).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head: Option<Fetch>,
    /// The GET (for the package a ranged GET of the first bytes).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub get: Option<Fetch>,
    /// PNG header facts, for images.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub png: Option<PngFacts>,
}

/// The PNG signature and size, read from an image's first bytes.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct PngFacts {
    pub is_png: bool,
    pub width: u32,
    pub height: u32,
}

/// A manifest as read: its encoding and, if it parsed, its content as a tree.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ManifestFacts {
    /// Where it came from (a URL or a file).
    pub source: String,
    pub bytes: usize,
    pub format: ManifestFormat,
    pub utf8_bom: bool,
    /// `utf-16le`/`utf-16be` when the bytes start with a UTF-16 byte order mark or pattern.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub utf16: Option<String>,
    /// The `encoding="…"` of the XML declaration.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub declared_encoding: Option<String>,
    /// True when the bytes are valid UTF-8.
    pub valid_utf8: bool,
    /// True when every byte is ASCII (valid in any declared encoding).
    pub ascii: bool,
    /// Why it did not parse, with the place.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub parse_error: Option<ParseError>,
    /// The plist as JSON (dates as RFC 3339 strings, data as base64), when it parsed.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document: Option<serde_json::Value>,
    /// Set when `document` is a cut copy: the manifest holds more than the facts keep.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub document_cut: Option<Cut>,
    /// The manifest text, when it is text (for line numbers in findings).
    #[serde(skip)]
    pub text: Option<String>,
    /// The line of each `<key>` by its path (`items[0].metadata.kind`), for XML manifests.
    #[serde(skip)]
    pub key_lines: std::collections::BTreeMap<String, usize>,
}

pub use crate::bounded::Cut;

/// How a manifest is encoded.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum ManifestFormat {
    Xml,
    Binary,
    #[default]
    Unknown,
}

impl ManifestFormat {
    pub fn as_str(self) -> &'static str {
        match self {
            ManifestFormat::Xml => "xml",
            ManifestFormat::Binary => "binary",
            ManifestFormat::Unknown => "unknown",
        }
    }
}

/// A plist parse error and where it is.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ParseError {
    pub message: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<usize>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<usize>,
    /// The line of the manifest where the error is, as written.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub source_line: Option<String>,
}

/// What reading the package (the IPA) showed: its zip index and the bundle's Info.plist.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PackageFacts {
    /// A file path or URL.
    pub source: String,
    /// The package's size.
    pub bytes: u64,
    /// Range requests (or file reads) made, and bytes read, to get what follows.
    pub requests: u32,
    pub bytes_read: u64,
    /// The Range requests of a served package (up to `remote_zip::MAX_LOGGED`, the first bytes
    /// of their bodies not kept), in the order they were made.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub range_reads: Vec<Exchange>,
    /// How many more Range requests were made than `range_reads` keeps.
    #[serde(skip_serializing_if = "is_zero_u32")]
    pub range_reads_not_kept: u32,
    /// Read whole from one GET, because the server ignores Range (packages up to 64 MiB).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub streamed: bool,
    /// Why the package could not be read.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<PackageError>,
    pub entries: usize,
    /// The first entry names, for telling what the archive is when it is not an IPA.
    pub first_names: Vec<String>,
    /// Every `Payload/<Name>.app` at the root of Payload.
    pub apps: Vec<String>,
    /// True when the archive needs zip64 (an entry or offset of 4 GiB or more, or 65535+ entries).
    pub zip64: bool,
    /// Entries stored with a method other than stored (0) or deflate (8): (name, method).
    pub odd_methods: Vec<(String, u16)>,
    pub encrypted: Vec<String>,
    /// How many file entries carry no Unix mode.
    pub without_unix_modes: usize,
    pub files: usize,
    /// `__MACOSX/`, `.DS_Store`, `Thumbs.db` entries.
    pub junk: Vec<String>,
    /// The main app's executable (named by CFBundleExecutable).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub executable: Option<ExecutableFacts>,
    /// The main app and every app extension, watch app and App Clip in it.
    pub bundles: Vec<BundleFacts>,
    /// Every Mach-O of the bundles (main executables, extensions', frameworks, dylibs): its
    /// slices, load commands and code signature, as far as they were read.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub machos: Vec<MachOFacts>,
    /// What reading the Mach-Os cost, and what of them was not read and why.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub macho_reading: Option<MachOReading>,
    /// `--deep`: the whole package hashed and every seal checked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub deep: Option<DeepFacts>,
    /// Online: the OCSP status of each certificate that signed the package's profiles (and its
    /// code), one entry per certificate.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub revocation: Vec<RevocationFacts>,
    /// Distinct signing certificates past the most asked about in one package (16), not asked.
    #[serde(skip_serializing_if = "is_zero")]
    pub revocation_not_asked: usize,
}

/// What a certificate is to the package, for its revocation check.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum CertificateRole {
    /// In a profile's `DeveloperCertificates`: a certificate allowed to sign the app.
    DistributionCertificate,
    /// The certificate that signed a profile's CMS envelope.
    ProfileSigner,
    /// The certificate that signed a Mach-O's code signature (its CMS blob).
    CodeSigner,
}

impl CertificateRole {
    pub fn words(self) -> &'static str {
        match self {
            CertificateRole::DistributionCertificate => "distribution certificate",
            CertificateRole::ProfileSigner => "profile signer",
            CertificateRole::CodeSigner => "code signer",
        }
    }
}

/// The OCSP status of one certificate, as its responder answered at the run's clock.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RevocationFacts {
    /// What the certificate is to the package (each role it has, in order).
    pub roles: Vec<CertificateRole>,
    /// The bundles whose profile (or code) names it.
    pub bundles: Vec<String>,
    pub subject: String,
    /// Hex, as `CertificateSummary::serial`.
    pub serial: String,
    /// The OCSP responder named in its Authority Information Access.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub responder: Option<String>,
    pub status: RevocationStatus,
    #[serde(with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub revoked_at: Option<time::OffsetDateTime>,
    /// The CRL reason the responder gave for a revocation (`keyCompromise`, …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revocation_reason: Option<String>,
    #[serde(with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub this_update: Option<time::OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub next_update: Option<time::OffsetDateTime>,
    /// Who signed the answer: `issuer`, or the delegated responder certificate's name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signed_by: Option<String>,
    /// The responder refused the request with a nonce (`malformedRequest`, `unauthorized`):
    /// it was asked again without one.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub asked_without_nonce: bool,
    /// Whether the answer echoed the request's nonce (`None`: no answer was read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub nonce_echoed: Option<bool>,
    /// Why the status is not known (`status` is then `not-checked`, or `unknown` when the
    /// responder itself said it does not know the certificate).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub problem: Option<RevocationProblem>,
    /// The request to the responder.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fetch: Option<Fetch>,
}

/// What the responder said of a certificate.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RevocationStatus {
    Good,
    Revoked,
    /// The responder does not know the certificate.
    Unknown,
    /// No answer otadoctor could trust (see `problem`).
    #[default]
    NotChecked,
}

/// Why a certificate's status could not be learnt.
#[derive(Debug, Clone, Default, Serialize)]
pub struct RevocationProblem {
    pub kind: RevocationProblemKind,
    pub detail: String,
}

#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum RevocationProblemKind {
    /// The certificate names no OCSP responder (no AIA extension, or none for OCSP).
    NoResponder,
    /// Its issuer is not among the certificates at hand (Apple's WWDR intermediates, those of
    /// a profile signed by Apple or under `--profile-ca`): it is not asked about.
    NoIssuer,
    /// The responder could not be reached, or answered with an HTTP error.
    #[default]
    Unreachable,
    TimedOut,
    /// The responder answered with an OCSP error status (tryLater, unauthorized, …).
    ResponderError,
    /// The answer is not an OCSP response for the certificate asked about.
    Malformed,
    /// The answer's signature is not the issuer's nor a delegated responder's.
    BadSignature,
    /// The answer's nonce is not the one sent.
    NonceMismatch,
    /// The answer is out of date at the run's clock (past its nextUpdate).
    Stale,
    /// `--offline`, or the run's deadline had passed.
    NotAsked,
}

impl RevocationProblemKind {
    pub fn words(self) -> &'static str {
        match self {
            RevocationProblemKind::NoResponder => "no OCSP responder in the certificate",
            RevocationProblemKind::NoIssuer => "issuer not available",
            RevocationProblemKind::Unreachable => "responder unreachable",
            RevocationProblemKind::TimedOut => "responder timed out",
            RevocationProblemKind::ResponderError => "responder error",
            RevocationProblemKind::Malformed => "malformed answer",
            RevocationProblemKind::BadSignature => "answer not signed by the issuer",
            RevocationProblemKind::NonceMismatch => "answer's nonce not the one sent",
            RevocationProblemKind::Stale => "stale answer",
            RevocationProblemKind::NotAsked => "not asked",
        }
    }
}

/// Why a package could not be read, as the reader saw it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct PackageError {
    pub kind: PackageErrorKind,
    /// The reader's reason.
    pub reason: String,
    /// For `not-zip`: the first bytes (up to 512), as text with invalid UTF-8 replaced.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub head: Option<String>,
}

/// What kind of trouble the package reader had.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum PackageErrorKind {
    /// The bytes came but the zip did not open.
    NotZip,
    /// A range request or a file read failed.
    #[default]
    Read,
    /// Entries overlap in the archive.
    Overlap,
}

/// The main executable's zip entry.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ExecutableFacts {
    pub path: String,
    pub exists: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unix_mode: Option<u32>,
}

/// One bundle in the package and its Info.plist.
#[derive(Debug, Clone, Default, Serialize)]
pub struct BundleFacts {
    /// `Payload/Field.app`, `Payload/Field.app/PlugIns/Share.appex`, …
    pub path: String,
    pub kind: BundleKind,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info_plist: Option<serde_json::Value>,
    /// Set when `info_plist` is a cut copy: the Info.plist holds more than the facts keep.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info_plist_cut: Option<Cut>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info_plist_error: Option<String>,
    /// `embedded.mobileprovision`; `None` when the bundle has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile: Option<ProfileFacts>,
    /// Set when the profile's bytes could not be fetched or read (not a finding about the
    /// profile: the package reader's own trouble).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub profile_error: Option<String>,
    /// `_CodeSignature/CodeResources`; `None` when the bundle has none.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub seal: Option<SealFacts>,
}

/// What a bundle in the package is.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum BundleKind {
    /// The main app.
    #[default]
    App,
    /// An app extension.
    Appex,
    WatchApp,
    AppClip,
}

impl BundleFacts {
    /// A string value of the bundle's Info.plist.
    pub fn info_str(&self, key: &str) -> Option<&str> {
        self.info_plist.as_ref()?.get(key)?.as_str()
    }
}

impl BundleKind {
    pub fn as_str(self) -> &'static str {
        match self {
            BundleKind::App => "app",
            BundleKind::Appex => "appex",
            BundleKind::WatchApp => "watch-app",
            BundleKind::AppClip => "app-clip",
        }
    }
}

/// A provisioning profile (`embedded.mobileprovision`, or a `.mobileprovision` file): its CMS
/// envelope, the signature as verified here, and the plist fields the device reads.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProfileFacts {
    /// Where it was read: a path in the package, or a file.
    pub source: String,
    pub bytes: u64,
    /// Why it could not be read as a CMS-signed plist (the other fields are then empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// `der`, or `ber` (indefinite lengths, as `openssl cms -stream` writes).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub encoding: String,
    pub signature: ProfileSignature,
    /// The profile's type, by the catalog's decision table (`None` when not read).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub kind: Option<ProfileKind>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub uuid: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app_id_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team_name: Option<String>,
    pub team_identifier: Vec<String>,
    /// `Entitlements.application-identifier`: `TEAMID.bundle.id` or a wildcard (`TEAMID.*`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub application_identifier: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub get_task_allow: Option<bool>,
    /// `Entitlements`, whole: what the code signature's entitlements may claim (SIG019).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub entitlements: Option<serde_json::Value>,
    pub provisions_all_devices: bool,
    /// `ProvisionedDevices`, as written.
    pub provisioned_devices: Vec<String>,
    pub platform: Vec<String>,
    #[serde(with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub creation_date: Option<time::OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub expiration_date: Option<time::OffsetDateTime>,
    /// `DeveloperCertificates`: the certificates allowed to sign the app.
    pub developer_certificates: Vec<CertificateSummary>,
    /// The certificate that signed the CMS envelope (DER), for the collectors; not in the output.
    #[serde(skip)]
    pub signer_der: Option<Vec<u8>>,
    /// Every certificate the CMS envelope carries (DER): issuers for the revocation check.
    #[serde(skip)]
    pub carried_certificates: Vec<Vec<u8>>,
}

/// A provisioning profile's type.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum ProfileKind {
    Development,
    AdHoc,
    Enterprise,
    AppStore,
}

impl ProfileKind {
    /// How the reports and messages name it ("ad hoc", "App Store").
    pub fn words(self) -> &'static str {
        match self {
            ProfileKind::Development => "development",
            ProfileKind::AdHoc => "ad hoc",
            ProfileKind::Enterprise => "enterprise",
            ProfileKind::AppStore => "App Store",
        }
    }
}

/// The profile's CMS signature, verified here.
#[derive(Debug, Clone, Default, Serialize)]
pub struct ProfileSignature {
    pub verdict: SignatureVerdict,
    /// Why, in words, when the verdict is not `apple`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub digest_algorithm: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub signature_algorithm: String,
    /// The CMS `signingTime`: the chain is judged at this time.
    #[serde(with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub signing_time: Option<time::OffsetDateTime>,
    /// The signer first, then each issuer found: subject common names (or whole subjects).
    pub chain: Vec<String>,
}

/// What verifying a profile's signature gave.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum SignatureVerdict {
    /// Not read (serialized as an empty string).
    #[default]
    #[serde(rename = "")]
    NotRead,
    /// The signature verifies and its signer chains to Apple Root CA.
    Apple,
    /// It verifies, but the signer does not chain to Apple Root CA.
    OtherSigner,
    /// The signature or the content digest does not verify.
    Invalid,
    /// An algorithm this tool does not verify.
    Unsupported,
    /// It chains to a root given with `--profile-ca` (a lab's, not Apple's).
    ExtraAnchor,
}

impl SignatureVerdict {
    pub fn as_str(self) -> &'static str {
        match self {
            SignatureVerdict::NotRead => "",
            SignatureVerdict::Apple => "apple",
            SignatureVerdict::OtherSigner => "other-signer",
            SignatureVerdict::Invalid => "invalid",
            SignatureVerdict::Unsupported => "unsupported",
            SignatureVerdict::ExtraAnchor => "extra-anchor",
        }
    }
}

/// What a certificate is: its subject, its team and its validity.
#[derive(Debug, Clone, Default, Serialize)]
pub struct CertificateSummary {
    pub subject: String,
    /// The subject's organizational unit (for Apple signing certificates, the team id).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub team: Option<String>,
    pub serial: String,
    /// The SHA-256 of its DER, in hex: how the certificate that signed the code is found among
    /// the profile's (SIG018).
    #[serde(skip_serializing_if = "String::is_empty")]
    pub sha256: String,
    #[serde(with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub not_before: Option<time::OffsetDateTime>,
    #[serde(with = "time::serde::rfc3339::option", skip_serializing_if = "Option::is_none")]
    pub not_after: Option<time::OffsetDateTime>,
    /// Set when the DER in the profile did not parse as a certificate.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// The certificate itself, for the collectors (its revocation check); not in the output.
    #[serde(skip)]
    pub der: Vec<u8>,
}

/// `_CodeSignature/CodeResources` of a bundle, and how the Info.plist in the package compares
/// with the hash sealed in it.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SealFacts {
    /// Why CodeResources could not be read (missing, not a plist, too large).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// How many files `files2` (else `files`) seals.
    pub sealed_files: usize,
    /// The Info.plist entry of the seal, when there is one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub info_plist: Option<SealedHash>,
}

/// A sealed hash and the hash of the file as it is in the package.
#[derive(Debug, Clone, Default, Serialize)]
pub struct SealedHash {
    /// Where the sealed hash was found: `files2.hash2` (SHA-256), `files2.hash` or `files` (SHA-1).
    pub key: String,
    pub algorithm: String,
    /// Hex.
    pub sealed: String,
    /// Hex, of the file in the package; empty when the file could not be read.
    pub actual: String,
}

/// What `--deep` found: the whole package hashed, and every bundle's seal checked file by file.
#[derive(Debug, Clone, Default, Serialize)]
pub struct DeepFacts {
    /// Why the deep check could not be made (the other fields are then empty).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// Requests made to download the package (0 for a local file) and bytes hashed.
    pub requests: u32,
    pub bytes: u64,
    /// Hex digests of the whole package.
    pub md5: String,
    pub sha256: String,
    /// Per-chunk digests when the manifest gives `md5-size` / `sha256-size`: (chunk size, hex).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub md5s: Option<(u64, Vec<String>)>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sha256s: Option<(u64, Vec<String>)>,
    /// One per bundle with a readable CodeResources.
    pub seals: Vec<SealCheck>,
    /// Each signed slice of each Mach-O, its pages and bundle files compared (SIG017).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub code: Vec<DeepSignature>,
}

/// `--deep`: a Mach-O slice's signature with its code pages, Info.plist and CodeResources
/// compared with the bytes of the package (`CodeDirectory::pages`, `CodeDirectory::special`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct DeepSignature {
    /// The Mach-O's path in the package, and the slice's architecture.
    pub file: String,
    pub arch: String,
    /// Why the file could not be read whole (too large, not in the zip).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<crate::codesign::CodeSignatureFacts>,
}

/// A bundle's files against its CodeResources (`files2`, else `files`).
#[derive(Debug, Clone, Default, Serialize)]
pub struct SealCheck {
    pub bundle: String,
    /// Files checked against their sealed hash.
    pub checked: usize,
    /// In the bundle, not sealed, and not omitted by the seal's rules.
    pub added: Vec<String>,
    /// Sealed (not optional), not in the bundle.
    pub removed: Vec<String>,
    /// Sealed with another hash.
    pub changed: Vec<String>,
}

/// Where an input read from a QR code came from: the image, which of its codes, and where in it.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct QrFacts {
    /// The image file as given (`<stdin>` for standard input).
    pub image: String,
    /// `PNG` or `JPEG` (from the file's first bytes).
    pub format: String,
    /// The image's size in pixels.
    pub width: u32,
    pub height: u32,
    /// This code's place in reading order (top to bottom, left to right), from 1.
    pub index: usize,
    /// How many codes were read in the image.
    pub count: usize,
    /// The top-left corner of the code (of the box around its finder patterns), in pixels.
    pub x: u32,
    pub y: u32,
    /// The points the code was located by: the finder patterns' centres (bottom-left,
    /// top-left, top-right) and an alignment pattern when there is one, in pixels.
    pub points: Vec<[f32; 2]>,
    /// The error-correction level (L, M, Q or H), when the decoder said.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ec_level: Option<String>,
    /// The code's text, exactly as decoded.
    pub text: String,
}

impl QrFacts {
    /// "QR code 2 of 2 in poster.jpg, at 412,96".
    pub fn describe(&self) -> String {
        format!(
            "QR code {} of {} in {}, at {},{}",
            self.index, self.count, self.image, self.x, self.y
        )
    }
}

/// One Mach-O file of the package.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MachOFacts {
    /// Its path in the package (`Payload/Field.app/Field`).
    pub path: String,
    /// The bundle it belongs to (`Payload/Field.app`, `Payload/Field.app/PlugIns/Share.appex`).
    pub bundle: String,
    pub role: MachORole,
    /// The entry's compression method (0 stored, 8 deflated), compressed and full size.
    pub method: u16,
    pub compressed_size: u64,
    pub size: u64,
    /// Why it could not be read as a Mach-O (not one, cut short, too many load commands …).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    /// `error` is about its bytes, all of them at hand (not a Mach-O, cut short, load commands
    /// that do not parse), not about bytes that could not be fetched or inflated.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub malformed: bool,
    /// A universal (fat) file: several slices.
    pub fat: bool,
    pub slices: Vec<MachOSlice>,
    /// Whether its code signature was read, and when not, why (`--deep` lifts the cap).
    pub signature_read: SignatureRead,
}

/// What a Mach-O is in its bundle.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum MachORole {
    /// A bundle's `CFBundleExecutable` (the app's, an extension's, a watch app's, an App Clip's).
    #[default]
    Main,
    /// A framework's executable (`Frameworks/X.framework/X`).
    Framework,
    /// A dynamic library (`Frameworks/libX.dylib`).
    Dylib,
}

/// Whether a Mach-O's code signature was read.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "kebab-case", tag = "state", content = "reason")]
pub enum SignatureRead {
    /// Read (every slice that has `LC_CODE_SIGNATURE`).
    Read,
    /// No slice has `LC_CODE_SIGNATURE`: nothing to read.
    #[default]
    Absent,
    /// Not read, and why (over the cap of compressed executables; the load commands did not
    /// read).
    Skipped(String),
}

/// One architecture's slice of a Mach-O (the whole file when it is thin).
#[derive(Debug, Clone, Default, Serialize)]
pub struct MachOSlice {
    /// `arm64`, `arm64e`, `armv7`, `armv7s`, `x86_64`, or the CPU type in hex.
    pub arch: String,
    pub cputype: u32,
    pub cpusubtype: u32,
    /// Where the slice is in the file, and its size.
    pub offset: u64,
    pub size: u64,
    /// Whether its header and load commands were read (a later slice of a deflated fat file is
    /// read only when the entry is inflated whole for the signatures); the fields below say
    /// nothing when not.
    pub commands_read: bool,
    /// `LC_BUILD_VERSION` (or `LC_VERSION_MIN_*`): `ios`, `ios-simulator`, … with the minimum OS
    /// and the SDK.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub minos: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub sdk: Option<String>,
    /// `LC_ENCRYPTION_INFO(_64)`: FairPlay when `cryptid` is not 0.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub encryption: Option<EncryptionInfo>,
    /// `LC_CODE_SIGNATURE`: where the signature is, from the slice's start.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub code_signature: Option<LinkeditRange>,
    /// The signature, read (`signature_read`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature: Option<crate::codesign::CodeSignatureFacts>,
}

impl MachOSlice {
    /// Whether the slice is arm64 code (arm64 or arm64e: `CPU_TYPE_ARM64`), the only code iOS
    /// 11 and later run.
    pub fn is_arm64(&self) -> bool {
        self.cputype == 0x0100_000c
    }

    /// Whether the slice is FairPlay-encrypted (`cryptid` not 0).
    pub fn encrypted(&self) -> bool {
        self.encryption.is_some_and(|e| e.cryptid != 0)
    }
}

/// `LC_ENCRYPTION_INFO(_64)`.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct EncryptionInfo {
    pub cryptoff: u32,
    pub cryptsize: u32,
    pub cryptid: u32,
}

/// A `linkedit_data_command` range (`LC_CODE_SIGNATURE`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
pub struct LinkeditRange {
    pub dataoff: u32,
    pub datasize: u32,
}

/// What reading the package's Mach-Os cost and left out.
#[derive(Debug, Clone, Default, Serialize)]
pub struct MachOReading {
    /// Requests and bytes for the load commands (the first bytes of each inflated entry).
    pub header_requests: u32,
    pub header_bytes: u64,
    /// Requests and bytes for the code signatures.
    pub signature_requests: u32,
    pub signature_bytes: u64,
    /// The cap on the compressed executables whose signatures are read (`--deep`: none).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub signature_cap: Option<u64>,
    /// What was not read, and why.
    pub skipped: Vec<String>,
}

/// The most distinct signing certificates of one package (or profile) asked about by OCSP.
pub const REVOCATION_CERTIFICATES_MAX: usize = 16;

fn is_zero(n: &usize) -> bool {
    *n == 0
}

fn is_zero_u32(n: &u32) -> bool {
    *n == 0
}
