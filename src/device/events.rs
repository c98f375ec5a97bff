//! The install events a device log shows: what each means, and the rules whose causes produce
//! it. The log reader (`collect::evidence`) finds them; the report maps them to findings.

use serde::Serialize;

use crate::device::codes::{self, Code};

/// installd's codes whose cause only the device shows, and their DEV rules.
const DEVICE_ONLY: &[(i64, &str)] = &[
    (0xe800_00c0, "DEV002"),
    (0xe800_00db, "DEV002"),
    (0xe800_0097, "DEV003"),
    (0xe800_00be, "DEV004"),
];

/// The DEV rule an error code raises: a cause only the device shows (a full device, a
/// restriction, another team's app installed), or `DEV005` for a code the table does not know.
pub fn device_rule(code: Code) -> Option<&'static str> {
    if code.is_installd()
        && let Some((_, rule)) = DEVICE_ONLY.iter().find(|(value, _)| *value == code.value)
    {
        return Some(rule);
    }
    codes::find(code).is_none().then_some("DEV005")
}

/// What one line (or one block) of device evidence says happened.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum EventKind {
    /// `Could not load download manifest with underlying error: …` (itunesstored, appstored):
    /// the manifest could not be fetched or read.
    ManifestLoadFailed,
    /// `BundleValidator: Failed bundleIdentifier: X does not match expected … Y`: the package's
    /// bundle id is not the manifest's.
    BundleIdMismatch,
    /// `Ignore manifest download, already have bundleID: X`: an install of X is already queued.
    AlreadyQueued,
    /// `verify_signer_identity: MISValidateSignatureAndCopyInfo failed …`: installd rejected the
    /// package's signature after the download.
    SignatureRejected,
    /// `libmis: … has non-matching application-identifier`: the profile's App ID does not cover
    /// the app.
    ProfileAppIdMismatch,
    /// `Running HEAD operation to get size for URL: …`: appstored asks the package's size first.
    PackageHead,
    /// The device asked for a manifest (a line naming the manifest URL it loads).
    ManifestRequested,
    /// An install failed: `ERROR: Install failed …` (ideviceinstaller), `Unable to install "…"`
    /// (Xcode), `[ !! ] Error 0x…` (ios-deploy), an installd error line.
    InstallFailed,
    /// A TLS or connection error of the URL loading system (`NSURLErrorDomain`,
    /// `kCFStreamErrorDomainSSL`).
    NetworkError,
    /// An MDM command's failure (`DeviceManagement.error`, `ASDErrorDomain 850`).
    MdmCommandFailed,
    /// An error code with nothing else around it (a pasted code, a line with only a code).
    ErrorCode,
}

impl EventKind {
    /// What it means, in a few words.
    pub fn summary(self) -> &'static str {
        match self {
            EventKind::ManifestLoadFailed => "the device could not load the manifest",
            EventKind::BundleIdMismatch => "the package's bundle id is not the one the manifest promised",
            EventKind::AlreadyQueued => "the device ignored the manifest: the same app is already queued",
            EventKind::SignatureRejected => "installd rejected the package's signature",
            EventKind::ProfileAppIdMismatch => "the profile's App ID does not cover the app",
            EventKind::PackageHead => "the device asked the package's size with a HEAD request",
            EventKind::ManifestRequested => "the device asked for the manifest",
            EventKind::InstallFailed => "the install failed",
            EventKind::NetworkError => "a connection or TLS error",
            EventKind::MdmCommandFailed => "an MDM install command failed",
            EventKind::ErrorCode => "an error code",
        }
    }

    /// Whether this event is a failure (the others show a step the device took).
    pub fn is_failure(self) -> bool {
        !matches!(self, EventKind::PackageHead | EventKind::ManifestRequested)
    }

    /// The rules whose causes produce this event whatever its codes say (the codes' own rules
    /// come from the code table).
    pub fn causes(self) -> &'static [&'static str] {
        match self {
            // the manifest's fetch or its contents: every rule about reaching, serving or reading it
            EventKind::ManifestLoadFailed => &[
                "NET001", "NET003", "NET004", "TLS001", "TLS002", "TLS004", "TLS005", "TLS006", "TLS007", "TLS008",
                "TLS009", "TLS010", "TLS011", "TLS012", "TLS013", "TLS014", "TLS015", "TLS016", "TLS018", "URL001",
                "URL002", "URL003", "HTTP001", "HTTP002", "HTTP004", "HTTP005", "HTTP006", "HTTP011", "HTTP013",
                "MAN001", "MAN004", "MAN005", "MAN006", "MAN009", "MAN010", "MAN011", "MAN012", "LNK007",
            ],
            EventKind::BundleIdMismatch => &["MAN014"],
            EventKind::AlreadyQueued => &["DEV001"],
            EventKind::SignatureRejected => &[
                "SIG003", "SIG005", "SIG006", "SIG007", "SIG008", "SIG009", "SIG010", "SIG011", "SIG015",
            ],
            EventKind::ProfileAppIdMismatch => &["SIG006"],
            // the HEAD itself is no failure; what the package's answers show is
            EventKind::PackageHead => &[],
            EventKind::ManifestRequested => &[],
            EventKind::InstallFailed => &[],
            EventKind::NetworkError => &[
                "NET001", "NET003", "NET004", "TLS001", "TLS002", "TLS003", "TLS004", "TLS005", "TLS006", "TLS007",
                "TLS008", "TLS009", "TLS010", "TLS011", "TLS012", "TLS013", "TLS014", "TLS015", "TLS016", "TLS018",
            ],
            EventKind::MdmCommandFailed => &[],
            EventKind::ErrorCode => &[],
        }
    }
}
