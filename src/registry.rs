//! The rule table: every rule's stable code, name, family, default severity, basis and doc.
//!
//! Codes and names are public API (`../shared/spec/RULES.md`): never renumber or rename one.
//! Each doc is compiled in from `rules/<CODE>-<name>.md`, so a missing doc does not compile;
//! `tests/registry.rs` fails on a doc without an entry here.

use serde::Serialize;

use crate::severity::Severity;
use crate::text::edit_distance;

/// The family a rule belongs to; its code prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Family {
    #[serde(rename = "LNK")]
    Lnk,
    #[serde(rename = "URL")]
    Url,
    #[serde(rename = "NET")]
    Net,
    #[serde(rename = "TLS")]
    Tls,
    #[serde(rename = "HTTP")]
    Http,
    #[serde(rename = "MAN")]
    Man,
    #[serde(rename = "IPA")]
    Ipa,
    #[serde(rename = "APP")]
    App,
    #[serde(rename = "SIG")]
    Sig,
    #[serde(rename = "DEV")]
    Dev,
}

impl Family {
    pub const ALL: &'static [Family] = &[
        Family::Lnk,
        Family::Url,
        Family::Net,
        Family::Tls,
        Family::Http,
        Family::Man,
        Family::Ipa,
        Family::App,
        Family::Sig,
        Family::Dev,
    ];

    pub fn prefix(self) -> &'static str {
        match self {
            Family::Lnk => "LNK",
            Family::Url => "URL",
            Family::Net => "NET",
            Family::Tls => "TLS",
            Family::Http => "HTTP",
            Family::Man => "MAN",
            Family::Ipa => "IPA",
            Family::App => "APP",
            Family::Sig => "SIG",
            Family::Dev => "DEV",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Family::Lnk => "the itms-services link itself",
            Family::Url => "hygiene of every URL in the chain",
            Family::Net => "reaching each host",
            Family::Tls => "the certificate and handshake as iOS judges them",
            Family::Http => "how each resource is served",
            Family::Man => "the manifest plist",
            Family::Ipa => "the archive",
            Family::App => "the bundle's Info.plist",
            Family::Sig => "signing and provisioning",
            Family::Dev => "what only the device's own evidence shows",
        }
    }
}

/// How we know the device behaves this way (RULES.md, "Basis").
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Basis {
    /// Apple documents it.
    Apple,
    /// Reproduced reports from users and maintainers.
    Field,
    /// Follows from the mechanism; not yet confirmed on a device.
    Inferred,
}

impl Basis {
    pub fn as_str(self) -> &'static str {
        match self {
            Basis::Apple => "apple",
            Basis::Field => "field",
            Basis::Inferred => "inferred",
        }
    }
}

/// One rule of the registry.
#[derive(Debug, PartialEq, Eq)]
pub struct Rule {
    pub code: &'static str,
    pub name: &'static str,
    pub family: Family,
    /// The severity for the manifest, the package and the link.
    pub severity: Severity,
    /// "by subject": the same finding about an icon is one level lower (a warning).
    pub by_subject: bool,
    pub basis: Basis,
    pub needs_network: bool,
    pub summary: &'static str,
    /// What the device shows when this rule is the cause (the usual case; findings may be more precise).
    pub device_symptom: &'static str,
    /// The rule's Markdown doc, from `rules/`.
    pub doc: &'static str,
}

impl Rule {
    /// `rules/<CODE>-<name>.md`
    pub fn doc_file(&self) -> String {
        format!("{}-{}.md", self.code, self.name)
    }

    /// The severity as RULES.md writes it, e.g. `error (by subject)`.
    pub fn severity_label(&self) -> String {
        if self.by_subject {
            format!("{} (by subject)", self.severity.as_str())
        } else {
            self.severity.as_str().to_string()
        }
    }
}

macro_rules! rules {
    ($(
        $konst:ident = $code:literal $name:literal {
            family: $family:ident,
            severity: $sev:ident $(, by_subject: $by:literal)?,
            basis: $basis:ident,
            network: $net:literal,
            summary: $summary:literal,
            device: $device:literal $(,)?
        }
    )*) => {
        $(
            pub static $konst: Rule = Rule {
                code: $code,
                name: $name,
                family: Family::$family,
                severity: Severity::$sev,
                by_subject: rules!(@by $($by)?),
                basis: Basis::$basis,
                needs_network: $net,
                summary: $summary,
                device_symptom: $device,
                doc: include_str!(concat!(env!("CARGO_MANIFEST_DIR"), "/rules/", $code, "-", $name, ".md")),
            };
        )*

        /// Every rule, in code order.
        pub static ALL: &[&Rule] = &[$(&$konst),*];
    };
    (@by $by:literal) => { $by };
    (@by) => { false };
}

rules! {
    NOT_ITMS_SERVICES = "LNK001" "not-itms-services" {
        family: Lnk, severity: Error, basis: Inferred, network: false,
        summary: "the link's scheme is not itms-services (a typo, or itms/itms-apps which open the App Store)",
        device: "the App Store opens, Safari says it cannot open the page, or nothing happens",
    }
    MISSING_DOUBLE_SLASH = "LNK002" "missing-double-slash" {
        family: Lnk, severity: Error, basis: Field, network: false,
        summary: "the link is written itms-services:?action=… without the //",
        device: "tapping the link does nothing",
    }
    EXTRA_SLASH = "LNK003" "extra-slash" {
        family: Lnk, severity: Warning, basis: Field, network: false,
        summary: "the link has a third slash or a path before the ?",
        device: "unconfirmed: the link may do nothing on some iOS versions",
    }
    BAD_ACTION = "LNK004" "bad-action" {
        family: Lnk, severity: Error, basis: Apple, network: false,
        summary: "the action parameter is missing or not exactly download-manifest",
        device: "tapping the link does nothing",
    }
    MISSING_URL_PARAMETER = "LNK005" "missing-url-parameter" {
        family: Lnk, severity: Error, basis: Inferred, network: false,
        summary: "no url parameter after parsing the query as iOS does",
        device: "tapping the link does nothing",
    }
    HTML_ENTITY_IN_LINK = "LNK006" "html-entity-in-link" {
        family: Lnk, severity: Error, basis: Inferred, network: false,
        summary: "an HTML entity such as &amp; reaches iOS undecoded",
        device: "tapping the link does nothing",
    }
    MANIFEST_QUERY_NOT_ENCODED = "LNK007" "manifest-query-not-encoded" {
        family: Lnk, severity: Error, basis: Field, network: false,
        summary: "the manifest URL's own query was not percent-encoded, so its & split it",
        device: "nothing happens, or \"Cannot Connect to …\": the phone fetches a truncated manifest URL",
    }
    MANIFEST_FRAGMENT_NOT_ENCODED = "LNK008" "manifest-fragment-not-encoded" {
        family: Lnk, severity: Warning, basis: Inferred, network: false,
        summary: "a raw # after url=: the rest of the link never reaches the server",
        device: "the phone asks for the manifest without the part after \"#\": a 404 or the wrong file",
    }
    MANIFEST_URL_DOUBLE_ENCODED = "LNK009" "manifest-url-double-encoded" {
        family: Lnk, severity: Error, basis: Inferred, network: false,
        summary: "after the single decode iOS does, url still reads https%3A%2F%2F…",
        device: "tapping the link does nothing",
    }
    DUPLICATED_PREFIX = "LNK010" "duplicated-prefix" {
        family: Lnk, severity: Error, basis: Field, network: false,
        summary: "itms-services:// appears twice (a template bug)",
        device: "tapping the link does nothing",
    }
    LINK_WRAPPED_OR_PADDED = "LNK011" "link-wrapped-or-padded" {
        family: Lnk, severity: Warning, basis: Inferred, network: false,
        summary: "whitespace, line breaks, soft breaks, <…> or quotes around or inside the link",
        device: "the link is cut where it was wrapped: nothing happens, or the wrong URL is requested",
    }
    PLUS_IN_MANIFEST_URL = "LNK012" "plus-in-manifest-url" {
        family: Lnk, severity: Info, basis: Field, network: false,
        summary: "a + in the manifest URL stays a + (it is not a space)",
        device: "if a space was meant, the phone asks for the wrong file (404)",
    }
    HTML_ENTITY_CONTEXT_UNKNOWN = "LNK013" "html-entity-context-unknown" {
        family: Lnk, severity: Warning, basis: Inferred, network: false,
        summary: "source code or a template holds &amp; in a link string whose use the file does not show",
        device: "if the string is used as a URL, tapping the link does nothing (iOS reads amp;url)",
    }
    URL_NOT_HTTPS = "URL001" "url-not-https" {
        family: Url, severity: Error, by_subject: true, basis: Apple, network: false,
        summary: "the URL's scheme is not https",
        device: "\"Cannot Connect to …\" (iOS 7.1 and later refuse a manifest that is not served over https)",
    }
    URL_NOT_ABSOLUTE = "URL002" "url-not-absolute" {
        family: Url, severity: Error, by_subject: true, basis: Apple, network: false,
        summary: "the URL is relative, has no host, or has whitespace around it",
        device: "nothing happens, or \"Unable to Download App\"",
    }
    URL_INVALID_CHARACTERS = "URL003" "url-invalid-characters" {
        family: Url, severity: Error, by_subject: true, basis: Field, network: false,
        summary: "a space, control character, raw non-ASCII or <>\"{}|\\^` that iOS's URL parser refuses",
        device: "nothing happens: iOS cannot build a URL from the text",
    }
    URL_HOST_NOT_PUBLIC_NAME = "URL004" "url-host-not-public-name" {
        family: Url, severity: Warning, basis: Field, network: false,
        summary: "the host is an IP literal, localhost, a single label or a .local name",
        device: "\"Cannot Connect to …\" outside the office network; MDM: \"The manifest URL isn't external\"",
    }
    URL_CREDENTIALS = "URL005" "url-credentials" {
        family: Url, severity: Warning, basis: Inferred, network: false,
        summary: "user:password@ inside the URL",
        device: "credential prompts for every resource, or \"Cannot Connect to …\"",
    }
    URL_NON_ASCII_HOST = "URL006" "url-non-ascii-host" {
        family: Url, severity: Warning, basis: Inferred, network: false,
        summary: "a non-ASCII host name (write it in its punycode form)",
        device: "nothing happens: iOS may not build a URL from the text",
    }
    URL_PREVIEW_PAGE = "URL007" "url-preview-page" {
        family: Url, severity: Error, by_subject: true, basis: Field, network: false,
        summary: "a share or preview page (Dropbox, Google Drive, OneDrive, GitHub blob), not the raw file",
        device: "nothing happens: the phone gets an HTML page instead of the file",
    }
    URL_SIGNATURE_EXPIRY = "URL008" "url-signature-expiry" {
        family: Url, severity: Warning, basis: Field, network: false,
        summary: "a pre-signed URL has expired or expires within 24 hours",
        device: "worked when the link was sent; later nothing happens or \"Unable to Download App\"",
    }
    URL_SCHEME_PORT_MISMATCH = "URL009" "url-scheme-port-mismatch" {
        family: Url, severity: Error, basis: Field, network: false,
        summary: "http://host:443 or https://host:80: a proxy-generated URL with the wrong scheme",
        device: "\"Cannot Connect to …\"",
    }
    URL_PLACEHOLDER = "URL010" "url-placeholder" {
        family: Url, severity: Error, basis: Field, network: false,
        summary: "unexpanded template text or a documentation domain in the URL",
        device: "nothing happens, or \"Cannot Connect to …\"",
    }

    DNS_FAILURE = "NET001" "dns-failure" {
        family: Net, severity: Error, basis: Inferred, network: true,
        summary: "the host name does not resolve",
        device: "\"Cannot Connect to …\"",
    }
    PRIVATE_ADDRESS = "NET002" "private-address" {
        family: Net, severity: Warning, basis: Inferred, network: true,
        summary: "the host resolves to a private, loopback, link-local, CGNAT or ULA address",
        device: "works on the office Wi-Fi or VPN only; elsewhere \"Cannot Connect to …\"",
    }
    CONNECTION_FAILED = "NET003" "connection-failed" {
        family: Net, severity: Error, basis: Inferred, network: true,
        summary: "TCP connect refused, reset or unreachable; an answer that is not valid HTTP, or a body that breaks off",
        device: "\"Cannot Connect to …\"",
    }
    TIMEOUT = "NET004" "timeout" {
        family: Net, severity: Error, basis: Inferred, network: true,
        summary: "no answer within the time limit (connect, first byte, response headers or body)",
        device: "\"Cannot Connect to …\", or the icon sits at \"Waiting…\" and the install fails",
    }
    SLOW_FIRST_BYTE = "NET005" "slow-first-byte" {
        family: Net, severity: Warning, basis: Field, network: true,
        summary: "the first byte took more than 5 s",
        device: "the icon sits at \"Waiting…\", then the install may fail",
    }
    HANDSHAKE_FAILED = "TLS001" "handshake-failed" {
        family: Tls, severity: Error, basis: Inferred, network: true,
        summary: "the TLS handshake failed for a reason not covered by another TLS rule",
        device: "\"Cannot Connect to …\"",
    }
    TLS_VERSION_TOO_OLD = "TLS002" "tls-version-too-old" {
        family: Tls, severity: Error, basis: Apple, network: true,
        summary: "the server only speaks TLS 1.0/1.1 (or SSL)",
        device: "\"Cannot Connect to …\"",
    }
    NO_AEAD_CIPHER_SUITE = "TLS003" "no-aead-cipher-suite" {
        family: Tls, severity: Warning, basis: Apple, network: true,
        summary: "the TLS 1.2 handshake fails on the cipher choice (iOS may still accept ECDHE-CBC suites)",
        device: "possibly \"Cannot Connect to …\"",
    }
    UNTRUSTED_ROOT = "TLS004" "untrusted-root" {
        family: Tls, severity: Error, basis: Apple, network: true,
        summary: "the chain does not lead to a root iOS trusts",
        device: "\"Cannot Connect to …\"",
    }
    PRIVATE_ROOT = "TLS005" "private-root" {
        family: Tls, severity: Info, basis: Apple, network: true,
        summary: "the chain ends at a --ca-file root: devices need it installed and fully trusted",
        device: "\"Cannot Connect to …\" on every phone without the root installed and trusted",
    }
    SELF_SIGNED_CERTIFICATE = "TLS006" "self-signed-certificate" {
        family: Tls, severity: Error, basis: Field, network: true,
        summary: "the server certificate is self-signed",
        device: "\"Cannot Connect to …\"",
    }
    INCOMPLETE_CHAIN = "TLS007" "incomplete-chain" {
        family: Tls, severity: Warning, basis: Apple, network: true,
        summary: "the server does not send its intermediate certificate(s)",
        device: "often works; fails on networks that block the CA, or when the leaf has no AIA URL",
    }
    HOSTNAME_MISMATCH = "TLS008" "hostname-mismatch" {
        family: Tls, severity: Error, basis: Apple, network: true,
        summary: "the host is not in the certificate's SAN (the CN is ignored)",
        device: "\"Cannot Connect to …\"",
    }
    CERTIFICATE_EXPIRED = "TLS009" "certificate-expired" {
        family: Tls, severity: Error, basis: Inferred, network: true,
        summary: "a certificate in the served chain is past its notAfter",
        device: "\"Cannot Connect to …\"",
    }
    CERTIFICATE_NOT_YET_VALID = "TLS010" "certificate-not-yet-valid" {
        family: Tls, severity: Error, basis: Inferred, network: true,
        summary: "a certificate in the served chain is before its notBefore",
        device: "\"Cannot Connect to …\"",
    }
    WEAK_KEY = "TLS011" "weak-key" {
        family: Tls, severity: Error, basis: Apple, network: true,
        summary: "RSA below 2048 or EC below 256 bits in the leaf or an issuing CA",
        device: "\"Cannot Connect to …\"",
    }
    SHA1_SIGNATURE = "TLS012" "sha1-signature" {
        family: Tls, severity: Error, basis: Apple, network: true,
        summary: "a SHA-1 (or MD5) signature on the leaf or an intermediate",
        device: "\"Cannot Connect to …\"",
    }
    MISSING_SERVER_AUTH_EKU = "TLS013" "missing-server-auth-eku" {
        family: Tls, severity: Error, basis: Apple, network: true,
        summary: "notBefore on or after 2019-07-01 and no serverAuth extended key usage",
        device: "\"Cannot Connect to …\"",
    }
    VALIDITY_OVER_825_DAYS = "TLS014" "validity-over-825-days" {
        family: Tls, severity: Error, basis: Apple, network: true,
        summary: "notBefore on or after 2019-07-01 and a lifetime over 825 days (private CAs too)",
        device: "\"Cannot Connect to …\"",
    }
    VALIDITY_OVER_398_DAYS = "TLS015" "validity-over-398-days" {
        family: Tls, severity: Error, basis: Apple, network: true,
        summary: "a public root, notBefore on or after 2020-09-01 and a lifetime over 398 days",
        device: "\"Cannot Connect to …\"",
    }
    CT_NONCOMPLIANT = "TLS016" "ct-noncompliant" {
        family: Tls, severity: Error, basis: Apple, network: true,
        summary: "a public root and too few SCTs for Apple's Certificate Transparency policy",
        device: "\"Cannot Connect to …\"",
    }
    VALIDITY_OVER_CABF_LIMIT = "TLS017" "validity-over-cabf-limit" {
        family: Tls, severity: Warning, basis: Inferred, network: true,
        summary: "a public root and a lifetime over the CA/Browser Forum limit in force at notBefore",
        device: "none yet: the CA broke the rules and may have to revoke the certificate",
    }
    CLIENT_CERTIFICATE_REQUIRED = "TLS018" "client-certificate-required" {
        family: Tls, severity: Error, basis: Inferred, network: true,
        summary: "the server demands a client certificate",
        device: "\"Cannot Connect to …\"",
    }
    CERTIFICATE_EXPIRING_SOON = "TLS019" "certificate-expiring-soon" {
        family: Tls, severity: Warning, basis: Inferred, network: true,
        summary: "a served certificate expires within 14 days",
        device: "nothing yet; \"Cannot Connect to …\" once it expires",
    }
    HTTP_STATUS = "HTTP001" "http-status" {
        family: Http, severity: Error, by_subject: true, basis: Field, network: true,
        summary: "the installer's request gets a non-2xx status",
        device: "nothing happens, or \"Unable to Download App\"",
    }
    IIS_MISSING_MIME_MAP = "HTTP002" "iis-missing-mime-map" {
        family: Http, severity: Error, basis: Apple, network: true,
        summary: "IIS answers 404 for a .plist or .ipa path because the extension has no MIME map",
        device: "nothing happens, or \"Unable to Download App\"",
    }
    REDIRECT = "HTTP003" "redirect" {
        family: Http, severity: Warning, basis: Field, network: true,
        summary: "a 3xx on the resource (the installer is reported not to follow redirects for the package)",
        device: "the install prompt may not appear; for the package, \"Unable to Download App\" or \"Waiting…\" forever",
    }
    AUTH_REQUIRED = "HTTP004" "auth-required" {
        family: Http, severity: Error, basis: Field, network: true,
        summary: "401/403, a WWW-Authenticate challenge, or a redirect to a login page",
        device: "nothing happens, or \"Cannot Connect to …\": the installer has no browser cookies",
    }
    UNEXPECTED_HTML = "HTTP005" "unexpected-html" {
        family: Http, severity: Error, by_subject: true, basis: Field, network: true,
        summary: "an HTML page where a plist, an IPA or a PNG was expected",
        device: "nothing happens (manifest), or \"Unable to Download App\" (package)",
    }
    BOT_CHALLENGE = "HTTP006" "bot-challenge" {
        family: Http, severity: Error, basis: Inferred, network: true,
        summary: "a WAF or CDN challenge page the installer cannot solve",
        device: "\"Cannot Connect to …\" or \"Unable to Download App\"",
    }
    UNEXPECTED_CONTENT_TYPE = "HTTP007" "unexpected-content-type" {
        family: Http, severity: Info, basis: Apple, network: true,
        summary: "a Content-Type outside the usual set for the resource",
        device: "usually nothing: the body counts, not the type",
    }
    HEAD_NOT_SUPPORTED = "HTTP008" "head-not-supported" {
        family: Http, severity: Warning, basis: Field, network: true,
        summary: "HEAD on the package fails or disagrees with GET (iOS sends HEAD first)",
        device: "the install may stall at \"Waiting…\" or fail",
    }
    MISSING_CONTENT_LENGTH = "HTTP009" "missing-content-length" {
        family: Http, severity: Warning, basis: Inferred, network: true,
        summary: "the package is served without Content-Length",
        device: "the progress bar is wrong; with chunk hashes the download may fail",
    }
    RANGE_NOT_SUPPORTED = "HTTP010" "range-not-supported" {
        family: Http, severity: Info, basis: Inferred, network: true,
        summary: "the package server ignores Range requests",
        device: "an interrupted download starts again from zero",
    }
    GIT_LFS_POINTER = "HTTP011" "git-lfs-pointer" {
        family: Http, severity: Error, basis: Inferred, network: true,
        summary: "the body is a Git LFS pointer file, not the file",
        device: "\"Unable to Download App\", or nothing happens",
    }
    USER_AGENT_DEPENDENT = "HTTP012" "user-agent-dependent" {
        family: Http, severity: Warning, basis: Inferred, network: true,
        summary: "the installer's User-Agent gets a different answer than a browser",
        device: "works in a browser, fails on the phone",
    }
    RESPONSE_TOO_LARGE = "HTTP013" "response-too-large" {
        family: Http, severity: Error, basis: Inferred, network: true,
        summary: "the manifest is larger than the 1 MiB cap: not a manifest",
        device: "nothing happens",
    }
    PAGE_HIDES_LINK_FROM_IPAD = "HTTP014" "page-hides-link-from-ipad" {
        family: Http, severity: Warning, basis: Field, network: true,
        summary: "the download page served to iPadOS Safari's desktop-class (Mac) User-Agent has no itms-services link, or another one",
        device: "on an iPad the download page shows no install button, or \"open this page on your iPhone\"",
    }
    MANIFEST_NOT_PLIST = "MAN001" "manifest-not-plist" {
        family: Man, severity: Error, basis: Inferred, network: false,
        summary: "the manifest is not a parseable plist",
        device: "nothing happens",
    }
    MANIFEST_ENCODING = "MAN002" "manifest-encoding" {
        family: Man, severity: Warning, basis: Field, network: false,
        summary: "a UTF-8 BOM, UTF-16, or an encoding= that does not match the bytes",
        device: "possibly nothing happens",
    }
    MANIFEST_BINARY_PLIST = "MAN003" "manifest-binary-plist" {
        family: Man, severity: Info, basis: Inferred, network: false,
        summary: "a binary plist: it works, but XML is easier to debug",
        device: "nothing known: binary manifests are expected to install (not confirmed on a device)",
    }
    MISSING_ITEMS = "MAN004" "missing-items" {
        family: Man, severity: Error, basis: Apple, network: false,
        summary: "no items array with at least one dict",
        device: "nothing happens",
    }
    MISSING_ASSETS = "MAN005" "missing-assets" {
        family: Man, severity: Error, basis: Apple, network: false,
        summary: "an item without an assets array",
        device: "nothing happens",
    }
    MISSING_SOFTWARE_PACKAGE = "MAN006" "missing-software-package" {
        family: Man, severity: Error, basis: Apple, network: false,
        summary: "no asset of kind software-package",
        device: "nothing happens, or \"Unable to Download App\"",
    }
    MULTIPLE_SOFTWARE_PACKAGES = "MAN007" "multiple-software-packages" {
        family: Man, severity: Error, basis: Apple, network: false,
        summary: "more than one software-package in one item",
        device: "nothing happens, or \"Unable to Download App\"",
    }
    UNKNOWN_ASSET_KIND = "MAN008" "unknown-asset-kind" {
        family: Man, severity: Warning, basis: Apple, network: false,
        summary: "an asset kind outside the known set",
        device: "the asset is ignored; a misspelt software-package means nothing installs",
    }
    MISSING_METADATA = "MAN009" "missing-metadata" {
        family: Man, severity: Error, basis: Apple, network: false,
        summary: "an item without a metadata dict",
        device: "nothing happens",
    }
    METADATA_KIND_NOT_SOFTWARE = "MAN010" "metadata-kind-not-software" {
        family: Man, severity: Error, basis: Apple, network: false,
        summary: "metadata.kind is not software",
        device: "nothing happens",
    }
    MISSING_TITLE = "MAN011" "missing-title" {
        family: Man, severity: Error, basis: Apple, network: false,
        summary: "title missing or empty",
        device: "nothing happens, or an install prompt without a name",
    }
    MISSING_BUNDLE_IDENTIFIER = "MAN012" "missing-bundle-identifier" {
        family: Man, severity: Error, basis: Apple, network: false,
        summary: "bundle-identifier missing or empty",
        device: "nothing happens, or \"Unable to Download App\" after the download",
    }
    UNKNOWN_KEY = "MAN013" "unknown-key" {
        family: Man, severity: Warning, basis: Inferred, network: false,
        summary: "a key that is not in the schema but is close to one (a typo)",
        device: "the value is ignored: as if the key were missing",
    }
    HASH_CHUNKS_INCONSISTENT = "MAN017" "hash-chunks-inconsistent" {
        family: Man, severity: Error, basis: Apple, network: true,
        summary: "the chunk hash count does not fit md5-size/sha256-size and the package size",
        device: "the download restarts or never completes",
    }
    BUNDLE_ID_MISMATCH = "MAN014" "bundle-id-mismatch" {
        family: Man, severity: Error, basis: Field, network: false,
        summary: "the manifest's bundle-identifier differs from the IPA's CFBundleIdentifier (exact, case-sensitive)",
        device: "the download runs, then nothing installs, or \"Unable to Download App\"",
    }
    BUNDLE_VERSION_MISMATCH = "MAN015" "bundle-version-mismatch" {
        family: Man, severity: Info, basis: Inferred, network: false,
        summary: "bundle-version matches neither CFBundleVersion nor CFBundleShortVersionString",
        device: "nothing at install; the version shown while it downloads is not the one installed",
    }
    HASH_MISMATCH = "MAN016" "hash-mismatch" {
        family: Man, severity: Error, basis: Apple, network: false,
        summary: "--deep: md5/md5s or sha256/sha256s do not match the package",
        device: "the download completes, then \"Unable to Download App\"; or it restarts and never completes",
    }
    REMOVED_KEYS = "MAN018" "removed-keys" {
        family: Man, severity: Info, basis: Apple, network: false,
        summary: "needs-shine, sizeInBytes or metadata.items: keys iOS ignores",
        device: "nothing: the keys are ignored",
    }
    MISSING_IMAGES = "MAN019" "missing-images" {
        family: Man, severity: Info, basis: Apple, network: false,
        summary: "no display-image or no full-size-image asset",
        device: "a blank placeholder icon while installing",
    }
    IMAGE_NOT_PNG = "MAN020" "image-not-png" {
        family: Man, severity: Info, basis: Apple, network: true,
        summary: "an icon is not a PNG, or not 57×57 / 512×512",
        device: "the icon is not shown while installing",
    }
    UNKNOWN_PLATFORM_IDENTIFIER = "MAN021" "unknown-platform-identifier" {
        family: Man, severity: Warning, basis: Field, network: false,
        summary: "platform-identifier is present and not com.apple.platform.iphoneos",
        device: "unknown: the value is not in Apple's schema",
    }
    TITLE_DIFFERS_FROM_APP = "MAN022" "title-differs-from-app" {
        family: Man, severity: Info, basis: Inferred, network: false,
        summary: "the manifest's title shares no word with the app's display name",
        device: "the install prompt names one app and the home screen shows another name",
    }
    MULTIPLE_ITEMS = "MAN023" "multiple-items" {
        family: Man, severity: Info, basis: Apple, network: false,
        summary: "more than one item: each one is checked",
        device: "one prompt installs several apps",
    }

    IPA_NOT_ZIP = "IPA001" "ipa-not-zip" {
        family: Ipa, severity: Error, basis: Field, network: false,
        summary: "the package is not a zip: an HTML page, a JSON error, a truncated file",
        device: "\"Unable to Install\" (PackageExtractionFailed)",
    }
    NO_PAYLOAD_APP = "IPA002" "no-payload-app" {
        family: Ipa, severity: Error, basis: Field, network: false,
        summary: "no Payload/<Name>.app/ at the root of the archive",
        device: "\"Unable to Install\" (PackageExtractionFailed)",
    }
    MULTIPLE_APPS = "IPA003" "multiple-apps" {
        family: Ipa, severity: Warning, basis: Inferred, network: false,
        summary: "more than one .app in Payload/",
        device: "unpredictable: the wrong app may be installed, or none",
    }
    IPA_TOO_LARGE = "IPA004" "ipa-too-large" {
        family: Ipa, severity: Warning, basis: Field, network: false,
        summary: "zip64 entries (a warning) or a package over 4 GiB (an error)",
        device: "\"Unable to Install\" (PackageExtractionFailed) for packages over 4 GiB",
    }
    UNSUPPORTED_COMPRESSION = "IPA005" "unsupported-compression" {
        family: Ipa, severity: Error, basis: Inferred, network: false,
        summary: "an entry that is neither stored nor deflated, or an encrypted entry",
        device: "\"Unable to Install\": extraction fails",
    }
    MISSING_UNIX_MODES = "IPA006" "missing-unix-modes" {
        family: Ipa, severity: Error, basis: Field, network: false,
        summary: "the zip was made without Unix modes, or the main executable is not executable",
        device: "the app installs but does not launch, or \"Unable to Install\"",
    }
    JUNK_ENTRIES = "IPA007" "junk-entries" {
        family: Ipa, severity: Info, basis: Inferred, network: false,
        summary: "__MACOSX/, .DS_Store or Thumbs.db in the archive (an error inside the .app: it breaks the seal)",
        device: "nothing outside the .app; inside it, \"integrity could not be verified\"",
    }

    INFO_PLIST_UNREADABLE = "APP001" "info-plist-unreadable" {
        family: App, severity: Error, basis: Field, network: false,
        summary: "a bundle's Info.plist is missing or cannot be parsed",
        device: "\"Unable to Install\" (the bundle has no readable Info.plist)",
    }
    MISSING_BUNDLE_KEYS = "APP002" "missing-bundle-keys" {
        family: App, severity: Error, basis: Field, network: false,
        summary: "CFBundleIdentifier, CFBundleExecutable (or the file it names) or CFBundleVersion is missing",
        device: "\"Unable to Install\"",
    }
    MINIMUM_OS_TOO_HIGH = "APP003" "minimum-os-too-high" {
        family: App, severity: Error, basis: Apple, network: false,
        summary: "MinimumOSVersion is above the device's iOS (--ios)",
        device: "\"Unable to Install\": the app requires a newer version of iOS",
    }
    DEVICE_FAMILY_UNSUPPORTED = "APP004" "device-family-unsupported" {
        family: App, severity: Error, basis: Apple, network: false,
        summary: "UIDeviceFamily does not include the device's family (--device; without it, an info when no iPhone can install the app)",
        device: "\"Unable to Install\": the app is not compatible with this device",
    }
    SIMULATOR_BUILD = "APP005" "simulator-build" {
        family: App, severity: Error, basis: Field, network: false,
        summary: "the app was built for the iOS Simulator (CFBundleSupportedPlatforms/DTPlatformName)",
        device: "\"Unable to Install\": a simulator build does not run on a device",
    }
    UNSUPPORTED_PLATFORM = "APP006" "unsupported-platform" {
        family: App, severity: Error, basis: Inferred, network: false,
        summary: "the app was built for tvOS, visionOS, watchOS or Mac Catalyst, not iOS",
        device: "\"Unable to Install\"",
    }
    EXTENSION_BUNDLE_ID_PREFIX = "APP007" "extension-bundle-id-prefix" {
        family: App, severity: Error, basis: Apple, network: false,
        summary: "an .appex, watch app or App Clip bundle id does not start with the app's id plus \".\"",
        device: "\"Unable to Install\"",
    }
    FAIRPLAY_ENCRYPTED = "APP008" "fairplay-encrypted" {
        family: App, severity: Error, basis: Field, network: false,
        summary: "an executable is FairPlay-encrypted (LC_ENCRYPTION_INFO with a cryptid other than 0): an App Store download re-hosted",
        device: "\"Unable to Install\": the encryption information included with this application is not valid (0xe80000e3 InvalidSINF)",
    }
    NO_64_BIT_SLICE = "APP009" "no-64-bit-slice" {
        family: App, severity: Error, basis: Apple, network: false,
        summary: "a bundle's executable has no arm64 slice (32-bit armv7 only, or built for another CPU)",
        device: "\"Unable to Install\": the app needs to be updated; installd: IncorrectArchitecture (0xe8000087)",
    }
    NO_EMBEDDED_PROFILE = "SIG001" "no-embedded-profile" {
        family: Sig, severity: Error, basis: Field, network: false,
        summary: "no embedded.mobileprovision (an App Store or TestFlight build, or unsigned)",
        device: "\"Unable to Download App\": \"<App>\" could not be installed at this time",
    }
    APP_STORE_PROFILE = "SIG002" "app-store-profile" {
        family: Sig, severity: Error, basis: Field, network: false,
        summary: "the profile is an App Store distribution profile (no devices, not all devices)",
        device: "\"Unable to Download App\": \"<App>\" could not be installed at this time",
    }
    PROFILE_EXPIRED = "SIG003" "profile-expired" {
        family: Sig, severity: Error, basis: Apple, network: false,
        summary: "the profile's ExpirationDate is in the past",
        device: "\"Unable to Install\": this app cannot be installed because its integrity could not be verified",
    }
    PROFILE_EXPIRING_SOON = "SIG004" "profile-expiring-soon" {
        family: Sig, severity: Warning, basis: Apple, network: false,
        summary: "the profile expires within 30 days (--expiry-warning DAYS)",
        device: "it installs today; once the profile expires the app stops opening",
    }
    DEVICE_NOT_PROVISIONED = "SIG005" "device-not-provisioned" {
        family: Sig, severity: Error, basis: Field, network: false,
        summary: "with --udid: the device is not in ProvisionedDevices (of the app and each extension)",
        device: "\"Unable to Install\": this app cannot be installed because its integrity could not be verified",
    }
    APP_ID_MISMATCH = "SIG006" "app-id-mismatch" {
        family: Sig, severity: Error, basis: Field, network: false,
        summary: "the profile's application-identifier (wildcards allowed) does not cover TEAMID.CFBundleIdentifier",
        device: "\"Unable to Install\"",
    }
    SIGNING_CERTIFICATES_EXPIRED = "SIG007" "signing-certificates-expired" {
        family: Sig, severity: Error, basis: Apple, network: false,
        summary: "every certificate in the profile's DeveloperCertificates has expired",
        device: "\"Unable to Install\": this app cannot be installed because its integrity could not be verified",
    }
    PROFILE_NOT_APPLE_SIGNED = "SIG008" "profile-not-apple-signed" {
        family: Sig, severity: Error, basis: Field, network: false,
        summary: "the profile's CMS signature does not verify, or its signer does not chain to Apple Root CA",
        device: "\"Unable to Install\" (installd: the provisioning profile does not have a valid signature)",
    }
    INFO_PLIST_MODIFIED_AFTER_SIGNING = "SIG009" "info-plist-modified-after-signing" {
        family: Sig, severity: Error, basis: Inferred, network: false,
        summary: "Info.plist's hash differs from the one sealed in _CodeSignature/CodeResources",
        device: "\"Unable to Install\": this app cannot be installed because its integrity could not be verified",
    }
    SEAL_BROKEN = "SIG010" "seal-broken" {
        family: Sig, severity: Error, basis: Inferred, network: false,
        summary: "--deep: files added, removed or changed in a bundle after it was signed",
        device: "\"Unable to Install\": this app cannot be installed because its integrity could not be verified",
    }
    MISSING_CODE_SIGNATURE = "SIG011" "missing-code-signature" {
        family: Sig, severity: Error, basis: Inferred, network: false,
        summary: "no _CodeSignature/CodeResources: the app is not signed",
        device: "\"Unable to Install\": this app cannot be installed because its integrity could not be verified",
    }
    DEVELOPMENT_PROFILE = "SIG012" "development-profile" {
        family: Sig, severity: Info, basis: Apple, network: false,
        summary: "a development profile: listed devices only, plus Developer Mode",
        device: "installs on the listed devices only; elsewhere \"Unable to Install\"",
    }
    DEVELOPER_MODE_REQUIRED = "SIG013" "developer-mode-required" {
        family: Sig, severity: Info, basis: Apple, network: false,
        summary: "an ad hoc or development build: iOS 16 and later need Developer Mode to open it",
        device: "the app installs; opening it shows \"Developer Mode Required\" until it is turned on",
    }
    ENTERPRISE_TRUST_REQUIRED = "SIG014" "enterprise-trust-required" {
        family: Sig, severity: Info, basis: Apple, network: false,
        summary: "an enterprise build: the user must trust the developer (iOS 18 restarts)",
        device: "the app installs; opening it shows \"Untrusted Enterprise Developer\" until the developer is trusted",
    }
    PROFILE_UNREADABLE = "SIG015" "profile-unreadable" {
        family: Sig, severity: Error, basis: Inferred, network: false,
        summary: "embedded.mobileprovision is not a CMS-signed plist",
        device: "\"Unable to Install\"",
    }
    EXECUTABLE_NOT_SIGNED = "SIG016" "executable-not-signed" {
        family: Sig, severity: Error, basis: Field, network: false,
        summary: "a Mach-O of a signed bundle (executable, extension, framework, dylib) has no LC_CODE_SIGNATURE or no CodeDirectory",
        device: "\"Unable to Install\": this app cannot be installed because its integrity could not be verified (0xe800801c No code signature found)",
    }
    CODE_SIGNATURE_INVALID = "SIG017" "code-signature-invalid" {
        family: Sig, severity: Error, basis: Field, network: false,
        summary: "the CodeDirectory's CMS signature does not verify, its hash is not the one signed, or (--deep) a page hash differs from the executable's bytes",
        device: "\"Unable to Install\": this app cannot be installed because its integrity could not be verified (0xe8008014, 0xe800800f)",
    }
    SIGNER_NOT_IN_PROFILE = "SIG018" "signer-not-in-profile" {
        family: Sig, severity: Error, basis: Field, network: false,
        summary: "the certificate that signed a Mach-O is not one of the profile's DeveloperCertificates",
        device: "\"Unable to Install\" (installd 0xe8008015: a valid provisioning profile for this executable was not found)",
    }
    ENTITLEMENTS_NOT_ALLOWED = "SIG019" "entitlements-not-allowed" {
        family: Sig, severity: Error, basis: Apple, network: false,
        summary: "an entitlement in the code signature is not granted by the profile's Entitlements",
        device: "\"Unable to Install\" (installd 0xe8008016: the executable was signed with invalid entitlements)",
    }
    MISSING_DER_ENTITLEMENTS = "SIG020" "missing-der-entitlements" {
        family: Sig, severity: Error, basis: Apple, network: false,
        summary: "entitlements are signed only as XML, without the DER entitlements blob iOS 15+ requires",
        device: "\"Unable to Install\": the app needs to be updated (installd 0xe8008029: the code signature version is no longer supported)",
    }
    SIGNING_IDENTIFIER_MISMATCH = "SIG021" "signing-identifier-mismatch" {
        family: Sig, severity: Error, basis: Field, network: false,
        summary: "the CodeDirectory identifier is not the bundle's CFBundleIdentifier, or its team id is not the profile's",
        device: "\"Unable to Install\" (installd 0xe80000c5: the bundle identifier does not match its code signing identifier)",
    }
    SIGNING_CERTIFICATE_REVOKED = "SIG022" "signing-certificate-revoked" {
        family: Sig, severity: Error, basis: Apple, network: true,
        summary: "the OCSP responder a signing certificate names (its AIA, e.g. Apple's) answers revoked: a distribution certificate, the profile's signer or the code's",
        device: "\"Unable to Install\": the identity used to sign the executable is no longer valid (0xe8008018); installed copies stop opening",
    }
    INSTALL_ALREADY_QUEUED = "DEV001" "install-already-queued" {
        family: Dev, severity: Warning, basis: Field, network: false,
        summary: "the device ignores the manifest: an earlier install of the same bundle id is stuck in its queue",
        device: "nothing happens on tap, or the icon stays on \"Waiting…\"",
    }
    DEVICE_STORAGE_FULL = "DEV002" "device-storage-full" {
        family: Dev, severity: Error, basis: Field, network: false,
        summary: "installd reports no space on the device (0xe80000c0 NoSpace)",
        device: "\"Unable to Install\": not enough storage on the device",
    }
    INSTALL_PROHIBITED = "DEV003" "install-prohibited" {
        family: Dev, severity: Error, basis: Field, network: false,
        summary: "a restriction or MDM policy on the device forbids installing apps (0xe8000097 InstallProhibited)",
        device: "\"Unable to Install\": installing apps is not allowed on this device",
    }
    INSTALLED_APP_ID_DIFFERS = "DEV004" "installed-app-id-differs" {
        family: Dev, severity: Error, basis: Field, network: false,
        summary: "the installed app with this bundle id has another application-identifier: the upgrade is refused (0xe80000be)",
        device: "\"Unable to Install\": the app already on the device is from another team or App ID prefix",
    }
    UNKNOWN_DEVICE_ERROR = "DEV005" "unknown-device-error" {
        family: Dev, severity: Info, basis: Inferred, network: false,
        summary: "an installd or appstored error the rule set does not know yet, shown raw with its code decoded",
        device: "whatever the log shows: otadoctor does not know this error yet",
    }
}

/// Finds a rule by code (any case) or name.
pub fn lookup(key: &str) -> Option<&'static Rule> {
    let key = key.trim();
    ALL.iter()
        .copied()
        .find(|r| r.code.eq_ignore_ascii_case(key) || r.name == key.to_ascii_lowercase())
}

/// ", did you mean …?" for a mistyped rule.
pub fn suggestion(key: &str) -> String {
    let key = key.to_ascii_lowercase();
    ALL.iter()
        .map(|r| {
            (
                edit_distance(&key, r.name).min(edit_distance(&key, &r.code.to_ascii_lowercase())),
                r,
            )
        })
        .filter(|(d, _)| *d <= 3)
        .min_by_key(|(d, _)| *d)
        .map(|(_, r)| format!("; did you mean {} ({})?", r.code, r.name))
        .unwrap_or_else(|| "; `otadoctor rules` lists them".to_string())
}

/// What a `--select`/`--ignore` item matches: one rule, or a whole family.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Selector {
    Rule(&'static Rule),
    Family(Family),
}

impl Selector {
    pub fn parse(item: &str) -> Option<Selector> {
        let item = item.trim();
        if let Some(family) = Family::ALL.iter().find(|f| f.prefix().eq_ignore_ascii_case(item)) {
            return Some(Selector::Family(*family));
        }
        lookup(item).map(Selector::Rule)
    }

    pub fn matches(&self, rule: &Rule) -> bool {
        match self {
            Selector::Rule(r) => r.code == rule.code,
            Selector::Family(f) => rule.family == *f,
        }
    }
}
