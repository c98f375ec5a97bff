//! The rule table: every rule's stable code, name, family, default severity, basis and doc.
//!
//! Codes and names are public API (`../shared/spec/RULES.md`): never renumber or rename one.
//! Each doc is compiled in from `rules/<CODE>-<name>.md`, so a missing doc does not compile;
//! `tests/registry.rs` fails on a doc without an entry here.

use serde::Serialize;

use crate::finding::Severity;

/// The family a rule belongs to; its code prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Family {
    #[serde(rename = "LNK")]
    Lnk,
    #[serde(rename = "URL")]
    Url,
}

impl Family {
    pub const ALL: &'static [Family] = &[Family::Lnk, Family::Url];

    pub fn prefix(self) -> &'static str {
        match self {
            Family::Lnk => "LNK",
            Family::Url => "URL",
        }
    }

    pub fn title(self) -> &'static str {
        match self {
            Family::Lnk => "the itms-services link itself",
            Family::Url => "hygiene of every URL in the chain",
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
}

/// Finds a rule by code (any case) or name.
pub fn lookup(key: &str) -> Option<&'static Rule> {
    let key = key.trim();
    ALL.iter()
        .copied()
        .find(|r| r.code.eq_ignore_ascii_case(key) || r.name == key.to_ascii_lowercase())
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
