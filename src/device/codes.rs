//! The table of device error codes: each code as its domain writes it, its symbolic name, what
//! it means, the rules whose causes produce it, and where the entry comes from.
//!
//! A code is written many ways: installd's `0xe8008015`, the same as a signed 32-bit decimal
//! (`-402620395`, what Xcode and `ErrorDetail` show) or unsigned (`3892346901`), and the
//! Foundation form `Domain code` (`ASDErrorDomain 507`, `Error Domain=NSURLErrorDomain
//! Code=-1202`). `parse` reads them all; `find` looks one up.

use serde::Serialize;

/// The error domain a code belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub enum Domain {
    /// installd / MobileInstallation / MobileDevice: `0xe800xxxx` (Xcode:
    /// `com.apple.dt.MobileDeviceErrorDomain`, signed decimal).
    MobileInstallation,
    /// `MIInstallerErrorDomain`: installd's own small numbers (13 = ApplicationVerificationFailed).
    MiInstaller,
    /// `ASDErrorDomain`: appstored, the daemon that runs OTA and MDM installs (iOS 13+).
    Asd,
    /// `SSErrorDomain`: StoreServices, itunesstored's installs (up to iOS 12).
    Ss,
    /// `NSURLErrorDomain`: the URL loading system (−1202 untrusted certificate, …).
    NsUrl,
    /// `kCFStreamErrorDomainSSL`: Secure Transport's TLS codes (−9812, −9813, …).
    CfStreamSsl,
    /// `DeviceManagement.error`: the MDM agent's command results (2604 …).
    DeviceManagement,
    /// `IXUserPresentableErrorDomain`: installcoordinationd's user-facing errors.
    IxUserPresentable,
}

impl Domain {
    pub const ALL: &'static [Domain] = &[
        Domain::MobileInstallation,
        Domain::MiInstaller,
        Domain::Asd,
        Domain::Ss,
        Domain::NsUrl,
        Domain::CfStreamSsl,
        Domain::DeviceManagement,
        Domain::IxUserPresentable,
    ];

    /// The domain's name as the device writes it.
    pub fn name(self) -> &'static str {
        match self {
            Domain::MobileInstallation => "MobileInstallation",
            Domain::MiInstaller => "MIInstallerErrorDomain",
            Domain::Asd => "ASDErrorDomain",
            Domain::Ss => "SSErrorDomain",
            Domain::NsUrl => "NSURLErrorDomain",
            Domain::CfStreamSsl => "kCFStreamErrorDomainSSL",
            Domain::DeviceManagement => "DeviceManagement.error",
            Domain::IxUserPresentable => "IXUserPresentableErrorDomain",
        }
    }

    /// What the domain is, in a sentence.
    pub fn about(self) -> &'static str {
        match self {
            Domain::MobileInstallation => "installd's codes, as Xcode's MobileDevice framework names them (kAMD…Error)",
            Domain::MiInstaller => "installd's own error domain (iOS 13+): the install step that failed",
            Domain::Asd => "appstored, the daemon that downloads and installs OTA and MDM apps (iOS 13+)",
            Domain::Ss => "StoreServices: itunesstored, which ran OTA installs up to iOS 12",
            Domain::NsUrl => "the URL loading system: the network request for the page, manifest or package",
            Domain::CfStreamSsl => "Secure Transport, the TLS layer under the URL loading system",
            Domain::DeviceManagement => "the MDM agent on the device: the result of an MDM command",
            Domain::IxUserPresentable => "installcoordinationd's user-facing install errors",
        }
    }

    /// Names a log or a user may write for this domain (lower case).
    fn aliases(self) -> &'static [&'static str] {
        match self {
            Domain::MobileInstallation => &[
                "com.apple.dt.mobiledeviceerrordomain",
                "mobiledeviceerrordomain",
                "mobileinstallation",
                "mobileinstallationerrordomain",
            ],
            Domain::MiInstaller => &["miinstallererrordomain"],
            Domain::Asd => &["asderrordomain"],
            Domain::Ss => &["sserrordomain"],
            Domain::NsUrl => &["nsurlerrordomain"],
            Domain::CfStreamSsl => &["kcfstreamerrordomainssl"],
            Domain::DeviceManagement => &[
                "devicemanagement.error",
                "com.apple.devicemanagement.error",
                "devicemanagement",
            ],
            Domain::IxUserPresentable => &["ixuserpresentableerrordomain"],
        }
    }

    /// The domain a name stands for (any case, `Domain=` and quotes around it allowed).
    pub fn named(text: &str) -> Option<Domain> {
        let lower = text
            .trim()
            .trim_start_matches("Domain=")
            .trim_matches(['"', '\'', ','])
            .to_ascii_lowercase();
        Domain::ALL
            .iter()
            .copied()
            .find(|d| d.aliases().contains(&lower.as_str()))
    }
}

/// A code in its domain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct Code {
    pub domain: Domain,
    /// The number as the domain writes it: installd's codes as unsigned 32-bit (`0xe8008015`),
    /// the others as signed decimals (`-1202`, `507`).
    pub value: i64,
}

impl Code {
    pub fn new(domain: Domain, value: i64) -> Code {
        Code { domain, value }
    }

    /// Whether this is an installd code (`0xe800xxxx`).
    pub fn is_installd(self) -> bool {
        self.domain == Domain::MobileInstallation
    }

    /// installd's code as a signed 32-bit integer (what Xcode and `ErrorDetail` show).
    pub fn signed(self) -> Option<i32> {
        self.is_installd()
            .then(|| u32::try_from(self.value).ok().map(|v| v as i32))
            .flatten()
    }

    /// The code as the domain writes it: `0xe8008015 (-402620395)`, `ASDErrorDomain 507`.
    pub fn display(self) -> String {
        match self.signed() {
            Some(signed) => format!("{:#010x} ({signed})", self.value),
            None => format!("{} {}", self.domain.name(), self.value),
        }
    }
}

/// Reads a code written any of the ways the device, Xcode, installer tools and users write it:
/// `0xe8008015`, `0xE8008015`, `e8008015`, `-402620395`, `3892346901`, `ASDErrorDomain 507`,
/// `ASDErrorDomain error 507`, `ASDErrorDomain Code=507`, `Error Domain=NSURLErrorDomain
/// Code=-1202`, `MIInstallerErrorDomain:13`, `DeviceManagement.error 2604`. `None` for
/// anything else (a decimal that is no installd code needs its domain).
pub fn parse(text: &str) -> Option<Code> {
    let text = text.trim().trim_end_matches(['.', ')', ',', ';']);
    if text.is_empty() || text.len() > 120 {
        return None;
    }
    if let Some(code) = installd_number(text) {
        return Some(code);
    }
    // `Domain[ .:=]*(error|code|Code=)?[ :=]*number`
    let text = text.strip_prefix("Error ").unwrap_or(text);
    let split = text.find(|c: char| c.is_whitespace() || c == ':' || c == '=' && !text.starts_with("Domain="))?;
    let (name, rest) = text.split_at(split);
    let mut domain = Domain::named(name);
    let mut rest = rest;
    if domain.is_none() && name.eq_ignore_ascii_case("Domain") {
        // `Domain=ASDErrorDomain Code=507`
        let after = rest.trim_start_matches([' ', '=']);
        let end = after.find(char::is_whitespace).unwrap_or(after.len());
        domain = Domain::named(&after[..end]);
        rest = &after[end..];
    }
    let domain = domain?;
    let mut number = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ':' || c == '=' || c == ',');
    for word in ["error", "code"] {
        // `get`: the text is the user's, and a multi-byte character may stand where the word would end
        if number.get(..word.len()).is_some_and(|w| w.eq_ignore_ascii_case(word)) {
            number = number[word.len()..].trim_start_matches(|c: char| c.is_whitespace() || c == ':' || c == '=');
        }
    }
    let end = number
        .char_indices()
        .find(|&(i, c)| !(c.is_ascii_hexdigit() || c == 'x' || c == 'X' || (i == 0 && c == '-')))
        .map_or(number.len(), |(i, _)| i);
    let number = &number[..end];
    if domain == Domain::MobileInstallation {
        return installd_number(number);
    }
    let value: i64 = number.parse().ok()?;
    Some(Code::new(domain, value))
}

/// An installd code written alone: hex with or without `0x`, or a signed or unsigned decimal,
/// whose value is in installd's `0xe800xxxx` range.
fn installd_number(text: &str) -> Option<Code> {
    let value: u32 = if let Some(hex) = text.strip_prefix("0x").or_else(|| text.strip_prefix("0X")) {
        u32::from_str_radix(hex, 16).ok()?
    } else if text.len() == 8 && text.bytes().all(|b| b.is_ascii_hexdigit()) && text[..2].eq_ignore_ascii_case("e8") {
        u32::from_str_radix(text, 16).ok()?
    } else if let Some(negative) = text.strip_prefix('-') {
        if !negative.bytes().all(|b| b.is_ascii_digit()) {
            return None;
        }
        let v: i64 = text.parse().ok()?;
        i32::try_from(v).ok()? as u32
    } else if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        text.parse().ok()?
    } else {
        return None;
    };
    (value >> 16 == 0xe800).then(|| Code::new(Domain::MobileInstallation, i64::from(value)))
}

/// Where a table entry comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum SourceKind {
    /// Apple's documentation (developer.apple.com, apple/device-management).
    Apple,
    /// An installer tool's own error table (ios-deploy's `errors.h`, libimobiledevice's
    /// `installation_proxy.h`, go-ios): the codes as Xcode's MobileDevice framework names them.
    Tool,
    /// A reproduced report: an issue or forum thread where the code was seen with its cause.
    Report,
}

/// One source of an entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct Source {
    pub kind: SourceKind,
    /// What it is, e.g. `ios-deploy src/ios-deploy/errors.h`.
    pub title: &'static str,
    pub url: &'static str,
}

/// One code of the table.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
pub struct DeviceError {
    pub code: Code,
    /// Other values of the same domain with the same meaning (installd's `0xe80000db` beside
    /// `0xe80000c0`).
    pub also: &'static [i64],
    /// The symbolic name (`ApplicationVerificationFailed`, `kAMDMismatchedApplicationIdentifierEntitlementError`
    /// without its prefix and suffix), or "" when none is known.
    pub name: &'static str,
    /// What the device or the tool prints for it.
    pub message: &'static str,
    /// What it means for an over-the-air install.
    pub meaning: &'static str,
    /// The rules whose causes produce it (codes; `tests` checks each is registered).
    pub rules: &'static [&'static str],
    /// What otadoctor does not check yet of this code's causes, and how to check it by hand
    /// ("" when the rules cover them).
    pub unchecked: &'static str,
    /// Commands to run next that the rules alone do not suggest (an MDM manifest: `--via mdm`).
    pub next: &'static [&'static str],
    pub sources: &'static [Source],
}

impl DeviceError {
    /// Whether this entry is for `code`.
    pub fn is(&self, code: Code) -> bool {
        self.code.domain == code.domain && (self.code.value == code.value || self.also.contains(&code.value))
    }
}

/// The entry for a code, if the table has one.
pub fn find(code: Code) -> Option<&'static DeviceError> {
    ALL.iter().find(|e| e.is(code))
}

/// The entry whose symbolic name is `name` (any case; an `kAMD…Error` spelling too).
/// libimobiledevice's `INSTPROXY_E_INSTALL_PROHIBITED` spelling too.
pub fn by_name(name: &str) -> Option<&'static DeviceError> {
    let name = name.trim();
    if name.is_empty() || name.len() > 120 {
        return None;
    }
    let bare = name
        .strip_prefix("kAMD")
        .map(|n| n.strip_suffix("Error").unwrap_or(n))
        .or_else(|| name.strip_prefix("INSTPROXY_E_"))
        .unwrap_or(name);
    // compared without case and underscores: `INSTALL_PROHIBITED` is `InstallProhibited`
    let key = |text: &str| -> String {
        text.chars()
            .filter(|&c| c != '_')
            .map(|c| c.to_ascii_lowercase())
            .collect()
    };
    let bare = key(bare);
    ALL.iter().find(|e| !e.name.is_empty() && key(e.name) == bare)
}

/// What can be said of a code the table does not know: its forms and its range for installd,
/// what the domain is for the others.
pub fn describe_unknown(code: Code) -> String {
    match code.signed() {
        Some(signed) => {
            let range = match code.value & 0xffff {
                0x8000..=0x80ff => {
                    "in installd's 0xe80080xx range: code signing and provisioning (the profile, the \
                     certificate, the signature); look for \"Failed to verify code signature\" beside it"
                }
                0x0000..=0x00ff => {
                    "in installd's 0xe80000xx range: the package and the device (MobileInstallation's \
                     kAMD…Error codes: the archive, Info.plist, the device's state and policy)"
                }
                _ => "outside the two ranges installd is known to use (0xe80000xx, 0xe80080xx)",
            };
            format!(
                "{:#010x} (signed {signed}, unsigned {}): an installd/MobileDevice code {range}; not in \
                 otadoctor's table",
                code.value, code.value
            )
        }
        None => format!(
            "{} {}: {}; this code is not in otadoctor's table",
            code.domain.name(),
            code.value,
            code.domain.about()
        ),
    }
}

// ---- sources -------------------------------------------------------------------------------

const fn tool(title: &'static str, url: &'static str) -> Source {
    Source {
        kind: SourceKind::Tool,
        title,
        url,
    }
}
const fn apple(title: &'static str, url: &'static str) -> Source {
    Source {
        kind: SourceKind::Apple,
        title,
        url,
    }
}
const fn report(title: &'static str, url: &'static str) -> Source {
    Source {
        kind: SourceKind::Report,
        title,
        url,
    }
}

const IOS_DEPLOY: Source = tool(
    "ios-deploy src/ios-deploy/errors.h (the kAMD names and Xcode MobileDevice messages)",
    "https://github.com/ios-control/ios-deploy/blob/master/src/ios-deploy/errors.h",
);
const LIBIMOBILEDEVICE: Source = tool(
    "libimobiledevice installation_proxy.h and installation_proxy.c (installd's Error names, ErrorDetail)",
    "https://github.com/libimobiledevice/libimobiledevice/blob/master/include/libimobiledevice/installation_proxy.h",
);
const GO_IOS: Source = tool(
    "go-ios ios/zipconduit/plists.go (ApplicationVerificationFailed is a signing error)",
    "https://github.com/danielpaulus/go-ios/blob/main/ios/zipconduit/plists.go",
);
const APPLE_URL_ERROR: Source = apple(
    "Apple, URLError.Code (NSURLErrorDomain codes)",
    "https://developer.apple.com/documentation/foundation/urlerror/code",
);
const APPLE_SECURE_TRANSPORT: Source = apple(
    "Apple, Secure Transport Result Codes (errSSL…)",
    "https://developer.apple.com/documentation/security/secure-transport-result-codes",
);
const SECURE_TRANSPORT_H: Source = tool(
    "Apple's SecureTransport.h (APSL source, as carried by darlinghq/darling-security): the errSSL numbers",
    "https://github.com/darlinghq/darling-security/blob/master/OSX/libsecurity_ssl/lib/SecureTransport.h",
);
const IDEVICEINSTALLER_139: Source = report(
    "ideviceinstaller#139: ErrorDetail -402620375 is 0xe8008029",
    "https://github.com/libimobiledevice/ideviceinstaller/issues/139",
);
const DKWECHAT_40: Source = report(
    "DKWechatHelper#40: Xcode shows -402620394 for 0xe8008016",
    "https://github.com/DKJone/DKWechatHelper/issues/40",
);
const DOTNET_MACIOS_23794: Source = report(
    "dotnet/macios#23794: MIInstallerErrorDomain error 13 with ApplicationVerificationFailed",
    "https://github.com/dotnet/macios/issues/23794",
);
const OTA_HEAD_FORUM: Source = report(
    "Apple Developer Forums thread 699329: appstored runs a HEAD on the package before the download",
    "https://developer.apple.com/forums/thread/699329",
);

// ---- the table -----------------------------------------------------------------------------

const fn mi(value: u32) -> Code {
    Code {
        domain: Domain::MobileInstallation,
        value: value as i64,
    }
}
const fn dom(domain: Domain, value: i64) -> Code {
    Code { domain, value }
}

/// The fields an entry does not set.
const BLANK: DeviceError = DeviceError {
    code: mi(0xe800_0000),
    also: &[],
    name: "",
    message: "",
    meaning: "",
    rules: &[],
    unchecked: "",
    next: &[],
    sources: &[],
};

/// The rules whose causes end in installd's code-signature verdict
/// (`ApplicationVerificationFailed`, `MIInstallerErrorDomain 13`).
const VERIFICATION_RULES: &[&str] = &[
    "SIG001", "SIG002", "SIG003", "SIG005", "SIG006", "SIG007", "SIG008", "SIG009", "SIG010", "SIG011", "SIG015",
    "SIG017", "SIG018", "SIG019", "SIG020", "SIG021",
];

const MACHO_BY_HAND: &str = "the executable's page hashes, unless run with --deep (SIG017 checks the CodeDirectory, \
     its CMS signature and entitlements always; the pages need the whole file). By hand: `codesign --verify --deep \
     --strict --verbose=4 Payload/App.app` and `codesign -d --entitlements - Payload/App.app` on a Mac";

/// Every code the table knows, by domain and value.
pub static ALL: &[DeviceError] = &[
    // installd: code signing and provisioning (0xe80080xx)
    DeviceError {
        code: mi(0xe800_8001),
        message: "An unknown error has occurred.",
        meaning: "installd's signature check failed without saying why (\"Failed to verify code signature of … : \
                  0xe8008001\"): usually a signature a third-party tool made that iOS does not accept",
        rules: &["SIG011", "SIG010", "SIG008"],
        unchecked: MACHO_BY_HAND,
        sources: &[
            IOS_DEPLOY,
            report(
                "ideviceinstaller#172: ApplicationVerificationFailed with code 0xe8008001",
                "https://github.com/libimobiledevice/ideviceinstaller/issues/172",
            ),
        ],
        ..BLANK
    },
    DeviceError {
        code: mi(0xe800_8003),
        also: &[0xe800_8005, 0xe800_8006, 0xe800_8007, 0xe800_8008],
        message: "This provisioning profile is malformed.",
        meaning: "the package's embedded.mobileprovision cannot be read: truncated, edited by hand or not a \
                  CMS-signed plist",
        rules: &["SIG015"],
        sources: &[IOS_DEPLOY],
        ..BLANK
    },
    DeviceError {
        code: mi(0xe800_8004),
        also: &[0xe800_800e, 0xe800_8013, 0xe800_801a],
        message: "This provisioning profile does not have a valid signature (or it has a valid, but untrusted signature).",
        meaning: "the profile's CMS signature does not verify or does not chain to Apple: the profile was edited \
                  after Apple signed it, or made by someone other than Apple",
        rules: &["SIG008", "SIG015"],
        sources: &[IOS_DEPLOY],
        ..BLANK
    },
    DeviceError {
        code: mi(0xe800_800f),
        message: "The application's signature is valid but it does not match the expected hash.",
        meaning: "the executable was changed after it was signed (stripped, patched, re-zipped by a tool that \
                  touches binaries): its pages no longer hash to the signed CodeDirectory",
        rules: &["SIG017"],
        unchecked: MACHO_BY_HAND,
        sources: &[IOS_DEPLOY],
        ..BLANK
    },
    DeviceError {
        code: mi(0xe800_8011),
        message: "This provisioning profile has expired.",
        meaning: "the embedded profile's ExpirationDate is past (the device's clock decides): rebuild with a \
                  renewed profile",
        rules: &["SIG003"],
        sources: &[
            IOS_DEPLOY,
            report(
                "openradar 21311129 (openradar-mirror#1023): \"Could not install embedded profile: 0xe8008011\" on an enterprise OTA install",
                "https://github.com/lionheart/openradar-mirror/issues/1023",
            ),
        ],
        ..BLANK
    },
    DeviceError {
        code: mi(0xe800_8012),
        message: "This provisioning profile cannot be installed on this device.",
        meaning: "the profile does not list this device: its UDID is not in ProvisionedDevices (ad hoc and \
                  development profiles)",
        rules: &["SIG005", "SIG002"],
        sources: &[IOS_DEPLOY],
        ..BLANK
    },
    DeviceError {
        code: mi(0xe800_8014),
        message: "The executable contains an invalid signature.",
        meaning: "the executable's code signature is damaged: its CodeDirectory or CMS blob does not verify",
        rules: &["SIG017", "SIG011"],
        unchecked: MACHO_BY_HAND,
        sources: &[IOS_DEPLOY],
        ..BLANK
    },
    DeviceError {
        code: mi(0xe800_8015),
        message: "A valid provisioning profile for this executable was not found.",
        meaning: "the package's profile does not cover this install: the device's UDID is not in it, or it is \
                  for another App ID or team, or an App Store profile, or there is none; the certificate that \
                  signed the code (or a nested framework's) must also be one of its DeveloperCertificates",
        rules: &["SIG018", "SIG005", "SIG006", "SIG001", "SIG002"],
        sources: &[
            IOS_DEPLOY,
            report(
                "zsign#100: 0xe8008015 from a nested framework signed with another certificate",
                "https://github.com/zhlynn/zsign/issues/100",
            ),
            report(
                "SideStore#661: 0xe8008015 on install",
                "https://github.com/SideStore/SideStore/issues/661",
            ),
            report(
                "Adobe-Runtime-Support#1602: ApplicationVerificationFailed with code 0xe8008015",
                "https://github.com/airsdk/Adobe-Runtime-Support/issues/1602",
            ),
        ],
        ..BLANK
    },
    DeviceError {
        code: mi(0xe800_8016),
        message: "The executable was signed with invalid entitlements.",
        meaning: "the entitlements in the code signature are not all granted by the profile (application-identifier, \
                  team, aps-environment, keychain groups, get-task-allow in an ad hoc or enterprise build)",
        rules: &["SIG019", "SIG006"],
        sources: &[
            IOS_DEPLOY,
            report(
                "ios-deploy#281: 0xe8008016, entitlements the profile does not grant",
                "https://github.com/ios-control/ios-deploy/issues/281",
            ),
            DKWECHAT_40,
        ],
        ..BLANK
    },
    DeviceError {
        code: mi(0xe800_8017),
        message: "A signed resource has been added, modified, or deleted.",
        meaning: "a file in the bundle differs from the seal in _CodeSignature/CodeResources: it was edited, \
                  added (a .DS_Store, __MACOSX) or removed after signing",
        rules: &["SIG010", "SIG009", "IPA007"],
        sources: &[
            IOS_DEPLOY,
            report(
                "Dringend-Issues#48: verify_signer_identity … 0xe8008017 in an OTA install",
                "https://github.com/SquaredTiki/Dringend-Issues/issues/48",
            ),
        ],
        ..BLANK
    },
    DeviceError {
        code: mi(0xe800_8018),
        message: "The identity used to sign the executable is no longer valid.",
        meaning: "the distribution certificate that signed the app has expired or was revoked",
        rules: &["SIG007", "SIG022"],
        unchecked: "with --offline, or when the responder does not answer, the revocation of the signing \
                    certificates (SIG022 asks their OCSP responder online). By hand: Certificates in the Apple \
                    Developer account, or `codesign -dvvv Payload/App.app` and `openssl ocsp` on the certificate",
        sources: &[
            IOS_DEPLOY,
            report(
                "AltServer-Linux#74: 0xe8008018",
                "https://github.com/NyaMisty/AltServer-Linux/issues/74",
            ),
            report(
                "iloader#431: Failed to verify code signature … 0xe8008018",
                "https://github.com/nab138/iloader/issues/431",
            ),
        ],
        ..BLANK
    },
    DeviceError {
        code: mi(0xe800_8019),
        message: "The application does not have a valid signature.",
        meaning: "the app is unsigned or its signature is damaged",
        rules: &["SIG011", "SIG010"],
        unchecked: MACHO_BY_HAND,
        sources: &[
            IOS_DEPLOY,
            report(
                "isign#141: ApplicationVerificationFailed with code 0xe8008019",
                "https://github.com/sauce-archives/isign/issues/141",
            ),
        ],
        ..BLANK
    },
    DeviceError {
        code: mi(0xe800_801c),
        message: "No code signature found.",
        meaning: "the app was never signed: no _CodeSignature, or an executable without LC_CODE_SIGNATURE",
        rules: &["SIG016", "SIG011"],
        sources: &[
            IOS_DEPLOY,
            report(
                "ideviceinstaller#127: No code signature found",
                "https://github.com/libimobiledevice/ideviceinstaller/issues/127",
            ),
        ],
        ..BLANK
    },
    DeviceError {
        code: mi(0xe800_8024),
        message: "The provisioning profile is banned.",
        meaning: "Apple has blocked this profile (its enterprise account or certificate was revoked for abuse): \
                  nothing in the package can fix it",
        unchecked: "whether Apple banned the profile: only Apple's servers know. Check the developer account's \
                    status and certificates",
        sources: &[IOS_DEPLOY],
        ..BLANK
    },
    DeviceError {
        code: mi(0xe800_8025),
        message: "The user did not explicitly trust the provisioning profile.",
        meaning: "an enterprise app whose developer the user has not trusted yet: Settings › General › VPN & \
                  Device Management",
        rules: &["SIG014"],
        sources: &[IOS_DEPLOY],
        ..BLANK
    },
    DeviceError {
        code: mi(0xe800_8026),
        message: "The provisioning profile requires online authorization.",
        meaning: "an enterprise profile that iOS must verify with Apple before the app opens: the device needs \
                  to reach Apple's servers once, then the user trusts the developer",
        rules: &["SIG014"],
        sources: &[IOS_DEPLOY],
        ..BLANK
    },
    DeviceError {
        code: mi(0xe800_8029),
        message: "The code signature version is no longer supported.",
        meaning: "iOS 15 and later refuse a signature made without the DER entitlements blob (old codesign or a \
                  third-party re-signer): re-sign with Xcode 13+ (\"needs to be updated\" on the device)",
        rules: &["SIG020"],
        sources: &[
            IDEVICEINSTALLER_139,
            report(
                "zsign#148: 0xe8008029 on iOS 15",
                "https://github.com/zhlynn/zsign/issues/148",
            ),
        ],
        ..BLANK
    },
    // installd: package and device (0xe80000xx)
    DeviceError {
        code: mi(0xe800_0022),
        name: "InvalidService",
        message: "The service is invalid.",
        meaning: "not an install failure: the computer's tool (ideviceinstaller, ios-deploy, a sideloader) could \
                  not start a service on the device (pairing, Developer Disk Image); an OTA install never shows it",
        unchecked: "the USB/pairing side, which an OTA install does not use: pair again, mount the Developer Disk \
                    Image, or install over the air instead",
        sources: &[
            IOS_DEPLOY,
            report(
                "Legacy-iOS-Kit#391: \"Invalid service\" from the host side",
                "https://github.com/LukeZGD/Legacy-iOS-Kit/issues/391",
            ),
        ],
        ..BLANK
    },
    DeviceError {
        code: mi(0xe800_002c),
        name: "ProvisioningProfileNotValid",
        message: "The provisioning profile is not valid.",
        meaning: "the embedded profile was refused: unreadable, not signed by Apple, or expired",
        rules: &["SIG015", "SIG008", "SIG003"],
        sources: &[IOS_DEPLOY],
        ..BLANK
    },
    DeviceError {
        code: mi(0xe800_0036),
        name: "ApplicationAlreadyInstalled",
        message: "A system application with the given bundle identifier is already installed on the device and cannot be replaced.",
        meaning: "the bundle identifier is a system app's: an app cannot replace one",
        unchecked: "whether the bundle identifier belongs to a system app (com.apple.…): give the app its own \
                    identifier",
        sources: &[IOS_DEPLOY, LIBIMOBILEDEVICE],
        ..BLANK
    },
    DeviceError {
        code: mi(0xe800_003a),
        name: "ApplicationVerificationFailed",
        message: "The application could not be verified.",
        meaning: "the code-signature verdict failed; the 0xe80080xx code beside it (\"Failed to verify code \
                  signature of … : 0xe8008015\") says which check: explain that one too",
        rules: VERIFICATION_RULES,
        unchecked: MACHO_BY_HAND,
        sources: &[IOS_DEPLOY, LIBIMOBILEDEVICE, GO_IOS],
        ..BLANK
    },
    DeviceError {
        code: mi(0xe800_0044),
        name: "EmbeddedProfileInstallFailed",
        message: "Could not install the embedded provisioning profile.",
        meaning: "installd could not install the app's embedded.mobileprovision: malformed, not signed by Apple, \
                  expired, or not for this device",
        rules: &["SIG015", "SIG008", "SIG003", "SIG005"],
        sources: &[
            IOS_DEPLOY,
            LIBIMOBILEDEVICE,
            report(
                "openradar 21311129 (openradar-mirror#1023): install_embedded_profile: Could not install embedded profile",
                "https://github.com/lionheart/openradar-mirror/issues/1023",
            ),
        ],
        ..BLANK
    },
    DeviceError {
        code: mi(0xe800_004b),
        name: "MissingBundleExecutable",
        message: "The application bundle does not contain an executable.",
        meaning: "Info.plist names no CFBundleExecutable, or the file it names is not in the bundle",
        rules: &["APP002", "IPA006"],
        sources: &[IOS_DEPLOY, LIBIMOBILEDEVICE],
        ..BLANK
    },
    DeviceError {
        code: mi(0xe800_004c),
        name: "MissingBundleIdentifier",
        message: "The application bundle does not contain a valid identifier.",
        meaning: "Info.plist has no usable CFBundleIdentifier (or cannot be read)",
        rules: &["APP002", "APP001"],
        sources: &[IOS_DEPLOY, LIBIMOBILEDEVICE],
        ..BLANK
    },
    DeviceError {
        code: mi(0xe800_0050),
        name: "PackageExtractionFailed",
        message: "Could not open the application package.",
        meaning: "the downloaded package is not a zip installd can extract: an HTML page, a truncated file, an \
                  unsupported compression method",
        rules: &["IPA001", "IPA005", "IPA004", "HTTP005", "HTTP011"],
        sources: &[IOS_DEPLOY, LIBIMOBILEDEVICE],
        ..BLANK
    },
    DeviceError {
        code: mi(0xe800_0051),
        name: "PackageInspectionFailed",
        message: "Could not inspect the application package.",
        meaning: "the archive opened but holds no app installd can read: no Payload/<Name>.app/, several apps, \
                  or an unreadable Info.plist",
        rules: &["IPA002", "IPA003", "APP001"],
        sources: &[IOS_DEPLOY, LIBIMOBILEDEVICE],
        ..BLANK
    },
    DeviceError {
        code: mi(0xe800_007e),
        name: "DeviceOSVersionTooLow",
        message: "The device OS version is too low.",
        meaning: "the app's MinimumOSVersion is above the device's iOS",
        rules: &["APP003"],
        sources: &[IOS_DEPLOY, LIBIMOBILEDEVICE],
        ..BLANK
    },
    DeviceError {
        code: mi(0xe800_0080),
        name: "DeviceFamilyNotSupported",
        message: "This application does not support this kind of device.",
        meaning: "UIDeviceFamily does not include this device (an iPad-only app on an iPhone)",
        rules: &["APP004"],
        sources: &[IOS_DEPLOY, LIBIMOBILEDEVICE],
        ..BLANK
    },
    DeviceError {
        code: mi(0xe800_0087),
        name: "IncorrectArchitecture",
        message: "This application does not support this device's CPU type.",
        meaning: "the executable has no slice this device runs: a simulator build, or 32-bit armv7 only on iOS \
                  11+ (\"Failed to find matching arch for 64-bit Mach-O input file\")",
        rules: &["APP009", "APP005", "APP006"],
        sources: &[
            IOS_DEPLOY,
            LIBIMOBILEDEVICE,
            report(
                "flutter#30551: IncorrectArchitecture, no matching arch for a 64-bit device",
                "https://github.com/flutter/flutter/issues/30551",
            ),
            report(
                "AppManager#4: Failed to find matching arch for 64-bit Mach-O input file",
                "https://github.com/kawaiizenbo/AppManager/issues/4",
            ),
        ],
        ..BLANK
    },
    DeviceError {
        code: mi(0xe800_0097),
        name: "InstallProhibited",
        message: "Installation of apps is prohibited by a policy on the device.",
        meaning: "a restriction (Screen Time or an MDM profile) forbids installing apps on this device",
        rules: &["DEV003"],
        sources: &[IOS_DEPLOY, LIBIMOBILEDEVICE],
        ..BLANK
    },
    DeviceError {
        code: mi(0xe800_009c),
        name: "MissingBundleVersion",
        message: "The bundle's Info.plist does not contain a CFBundleVersion key or its value is not a string.",
        meaning: "Info.plist has no CFBundleVersion string",
        rules: &["APP002"],
        sources: &[IOS_DEPLOY, LIBIMOBILEDEVICE],
        ..BLANK
    },
    DeviceError {
        code: mi(0xe800_009d),
        name: "AppBlacklisted",
        message: "This app is not allowed to be installed on this device.",
        meaning: "Apple's blocklist or a device policy refuses this app (by bundle identifier or signature)",
        unchecked: "Apple's blocklist and the device's app restrictions: only the device and Apple know them; ask \
                    the device's administrator",
        sources: &[IOS_DEPLOY],
        ..BLANK
    },
    DeviceError {
        code: mi(0xe800_009e),
        also: &[0xe800_00ca],
        message: "This app contains an app extension with an illegal bundle identifier. App extension bundle identifiers must have a prefix consisting of their containing application's bundle identifier followed by a '.'.",
        meaning: "an extension's bundle identifier does not start with the app's identifier plus \".\"",
        rules: &["APP007"],
        sources: &[IOS_DEPLOY],
        ..BLANK
    },
    DeviceError {
        code: mi(0xe800_00be),
        name: "MismatchedApplicationIdentifierEntitlement",
        message: "This application's application-identifier entitlement does not match that of the installed application. These values must match for an upgrade to be allowed.",
        meaning: "the app installed with this bundle identifier was signed by another team or App ID prefix: the \
                  upgrade is refused; delete the installed app first (its data goes with it)",
        rules: &["DEV004"],
        sources: &[IOS_DEPLOY],
        ..BLANK
    },
    DeviceError {
        code: mi(0xe800_00c0),
        also: &[0xe800_00db],
        name: "NoSpace",
        message: "No space is available on the device.",
        meaning: "the device has no room for the app (0xe80000db: \"The device is out of storage for apps\")",
        rules: &["DEV002"],
        sources: &[IOS_DEPLOY],
        ..BLANK
    },
    DeviceError {
        code: mi(0xe800_00c5),
        name: "MismatchedBundleIDSigningIdentifier",
        message: "This application's bundle identifier does not match its code signing identifier.",
        meaning: "the executable was signed under another identifier than the bundle's CFBundleIdentifier (the \
                  bundle id was changed after signing)",
        rules: &["SIG021"],
        sources: &[IOS_DEPLOY],
        ..BLANK
    },
    DeviceError {
        code: mi(0xe800_00c8),
        name: "DeviceNotSupportedByThinning",
        message: "This application is not built for this device.",
        meaning: "a thinned package (exported for one device model by App Thinning) installed on another model",
        unchecked: "whether the package is a thinned variant: export it again with App Thinning set to None (all \
                    compatible device variants)",
        sources: &[IOS_DEPLOY],
        ..BLANK
    },
    DeviceError {
        code: mi(0xe800_00e3),
        name: "InvalidSINF",
        message: "The encryption information included with this application is not valid so this application cannot be installed on this device.",
        meaning: "a FairPlay-encrypted App Store download re-hosted for OTA: it installs only from the App Store \
                  for the account that bought it",
        rules: &["APP008"],
        sources: &[IOS_DEPLOY],
        ..BLANK
    },
    // MIInstallerErrorDomain
    DeviceError {
        code: dom(Domain::MiInstaller, 13),
        name: "ApplicationVerificationFailed",
        message: "Failed to verify code signature of … (LegacyErrorString=ApplicationVerificationFailed)",
        meaning: "installd's code-signature verdict failed (the same as 0xe800003a); the 0xe80080xx code in the \
                  message says which check. Other MIInstallerErrorDomain numbers are not in the tool tables: \
                  libimobiledevice's own INSTPROXY_E_APPLICATION_VERIFICATION_FAILED is -13, the reports agree",
        rules: VERIFICATION_RULES,
        unchecked: MACHO_BY_HAND,
        sources: &[DOTNET_MACIOS_23794, LIBIMOBILEDEVICE],
        ..BLANK
    },
    DeviceError {
        code: dom(Domain::MiInstaller, 63),
        message: "Application is missing the application-identifier entitlement.",
        meaning: "the code signature carries no application-identifier entitlement (a signature made without a \
                  profile's entitlements); reported with LegacyErrorString=ApplicationVerificationFailed",
        rules: &["SIG019", "SIG001"],
        sources: &[report(
            "Reveil#5: MIInstallerErrorDomain Code=63, missing application-identifier entitlement",
            "https://github.com/Lessica/Reveil/issues/5",
        )],
        ..BLANK
    },
    // ASDErrorDomain (appstored)
    DeviceError {
        code: dom(Domain::Asd, 507),
        message: "Invalid response, status code … / expected content length unknown",
        meaning: "appstored's HEAD on the package URL (\"Running HEAD operation to get size for URL\") got a \
                  non-2xx answer or no Content-Length, or none within about 30 s: the download never starts (the \
                  message and the 30 s come from decompiled appstored strings: weak evidence, no public source)",
        rules: &["HTTP008", "HTTP009", "HTTP001", "HTTP004", "HTTP003", "NET004"],
        sources: &[OTA_HEAD_FORUM],
        ..BLANK
    },
    DeviceError {
        code: dom(Domain::Asd, 850),
        message: "The manifest URL isn't external",
        meaning: "an MDM InstallApplication (or InstallEnterpriseApplication) command whose ManifestURL is not an \
                  https URL a device can fetch (http://, or a host it cannot reach)",
        rules: &["URL001", "URL002", "URL004"],
        next: &["otadoctor --via mdm 'https://…/manifest.plist'"],
        sources: &[report(
            "micromdm#1045: ASDErrorDomain 850 \"The manifest URL isn't external\" with an http:// URL",
            "https://github.com/micromdm/micromdm/issues/1045",
        )],
        ..BLANK
    },
    // SSErrorDomain (itunesstored, up to iOS 12)
    DeviceError {
        code: dom(Domain::Ss, 2),
        message: "Could not load download manifest with underlying error: Error Domain=SSErrorDomain Code=2",
        meaning: "the manifest was fetched but is not one the installer accepts: not a plist, a wrong structure, \
                  an HTML page or an error page instead of the plist",
        rules: &[
            "MAN001", "MAN002", "MAN004", "MAN005", "MAN006", "MAN009", "HTTP005", "HTTP001",
        ],
        sources: &[report(
            "Qiita: \"Could not load download manifest with underlying error: SSErrorDomain Code=2\" from an invalid manifest",
            "https://qiita.com/yamotonalds/items/49e4173706e1756a9913",
        )],
        ..BLANK
    },
    // NSURLErrorDomain
    DeviceError {
        code: dom(Domain::NsUrl, -1001),
        name: "NSURLErrorTimedOut",
        message: "The request timed out.",
        meaning: "a server in the chain (page, manifest or package) did not answer in time",
        rules: &["NET004", "NET005"],
        sources: &[APPLE_URL_ERROR],
        ..BLANK
    },
    DeviceError {
        code: dom(Domain::NsUrl, -1003),
        name: "NSURLErrorCannotFindHost",
        message: "A server with the specified hostname could not be found.",
        meaning: "the manifest's or package's host name does not resolve (on the phone's network)",
        rules: &["NET001", "NET002", "URL004"],
        sources: &[APPLE_URL_ERROR],
        ..BLANK
    },
    DeviceError {
        code: dom(Domain::NsUrl, -1004),
        name: "NSURLErrorCannotConnectToHost",
        message: "Could not connect to the server.",
        meaning: "the host resolves but refuses or drops the connection (a firewall, a wrong port, a private \
                  address the phone cannot reach)",
        rules: &["NET003", "NET002"],
        sources: &[APPLE_URL_ERROR],
        ..BLANK
    },
    DeviceError {
        code: dom(Domain::NsUrl, -1022),
        name: "NSURLErrorAppTransportSecurityRequiresSecureConnection",
        message: "The resource could not be loaded because the App Transport Security policy requires the use of a secure connection.",
        meaning: "a URL in the chain is http://: the installer loads only https",
        rules: &["URL001"],
        sources: &[APPLE_URL_ERROR],
        ..BLANK
    },
    DeviceError {
        code: dom(Domain::NsUrl, -1200),
        name: "NSURLErrorSecureConnectionFailed",
        message: "An SSL error has occurred and a secure connection to the server cannot be made.",
        meaning: "the TLS handshake failed before any certificate was judged: an old TLS version, no cipher suite \
                  iOS accepts, a broken server",
        rules: &["TLS001", "TLS002", "TLS003"],
        sources: &[APPLE_URL_ERROR],
        ..BLANK
    },
    DeviceError {
        code: dom(Domain::NsUrl, -1201),
        name: "NSURLErrorServerCertificateHasBadDate",
        message: "The certificate for this server has expired.",
        meaning: "a certificate the server sends is expired (or not yet valid) by the phone's clock",
        rules: &["TLS009", "TLS010"],
        sources: &[APPLE_URL_ERROR],
        ..BLANK
    },
    DeviceError {
        code: dom(Domain::NsUrl, -1202),
        name: "NSURLErrorServerCertificateUntrusted",
        message: "The certificate for this server is invalid.",
        meaning: "the phone does not trust the server's certificate (\"Cannot connect to …\"): a root it does \
                  not trust, a missing intermediate, a host name not in the certificate, or a certificate that \
                  breaks Apple's requirements (key size, SHA-1, serverAuth, validity period, CT)",
        rules: &[
            "TLS004", "TLS005", "TLS006", "TLS007", "TLS008", "TLS011", "TLS012", "TLS013", "TLS014", "TLS015",
            "TLS016",
        ],
        sources: &[
            APPLE_URL_ERROR,
            report(
                "munki#482: NSURLErrorDomain -1202 with an untrusted server certificate",
                "https://github.com/munki/munki/issues/482",
            ),
            report(
                "appsendr-mac#2: \"The certificate for this server is invalid\" on an OTA manifest",
                "https://github.com/nolanbrown/appsendr-mac/issues/2",
            ),
        ],
        ..BLANK
    },
    DeviceError {
        code: dom(Domain::NsUrl, -1203),
        name: "NSURLErrorServerCertificateHasUnknownRoot",
        message: "The certificate for this server was signed by an unknown certifying authority.",
        meaning: "the chain ends at a root the phone does not know: a private CA not installed and trusted, or a \
                  self-signed certificate",
        rules: &["TLS004", "TLS005", "TLS006", "TLS007"],
        sources: &[APPLE_URL_ERROR],
        ..BLANK
    },
    DeviceError {
        code: dom(Domain::NsUrl, -1204),
        name: "NSURLErrorServerCertificateNotYetValid",
        message: "The certificate for this server is not yet valid.",
        meaning: "a certificate the server sends starts in the future (or the phone's clock is behind)",
        rules: &["TLS010"],
        sources: &[APPLE_URL_ERROR],
        ..BLANK
    },
    DeviceError {
        code: dom(Domain::NsUrl, -1206),
        name: "NSURLErrorClientCertificateRequired",
        message: "The server requires a client certificate.",
        meaning: "the server asks for a client certificate the installer cannot give",
        rules: &["TLS018"],
        sources: &[APPLE_URL_ERROR],
        ..BLANK
    },
    // kCFStreamErrorDomainSSL (Secure Transport)
    DeviceError {
        code: dom(Domain::CfStreamSsl, -9806),
        name: "errSSLClosedAbort",
        message: "connection closed via error",
        meaning: "the server closed the connection during the handshake: usually no protocol version or cipher \
                  suite in common",
        rules: &["TLS001", "TLS002", "TLS003"],
        sources: &[APPLE_SECURE_TRANSPORT, SECURE_TRANSPORT_H],
        ..BLANK
    },
    DeviceError {
        code: dom(Domain::CfStreamSsl, -9807),
        name: "errSSLXCertChainInvalid",
        message: "invalid certificate chain",
        meaning: "the served chain does not verify: a missing or wrong intermediate, or an untrusted root",
        rules: &["TLS007", "TLS004", "TLS006"],
        sources: &[APPLE_SECURE_TRANSPORT, SECURE_TRANSPORT_H],
        ..BLANK
    },
    DeviceError {
        code: dom(Domain::CfStreamSsl, -9808),
        name: "errSSLBadCert",
        message: "bad certificate format",
        meaning: "a certificate the server sends is one iOS refuses to use (malformed, a weak key or signature)",
        rules: &["TLS001", "TLS011", "TLS012"],
        sources: &[APPLE_SECURE_TRANSPORT, SECURE_TRANSPORT_H],
        ..BLANK
    },
    DeviceError {
        code: dom(Domain::CfStreamSsl, -9812),
        name: "errSSLUnknownRootCert",
        message: "valid cert chain, untrusted root",
        meaning: "the chain is complete but its root is not trusted by the phone: a private CA not installed and \
                  fully trusted, or a self-signed certificate",
        rules: &["TLS004", "TLS005", "TLS006"],
        sources: &[
            APPLE_SECURE_TRANSPORT,
            SECURE_TRANSPORT_H,
            report(
                "munki#662: kCFStreamErrorDomainSSL -9812/-9813 on an untrusted server",
                "https://github.com/munki/munki/issues/662",
            ),
        ],
        ..BLANK
    },
    DeviceError {
        code: dom(Domain::CfStreamSsl, -9813),
        name: "errSSLNoRootCert",
        message: "cert chain not verified by root",
        meaning: "the chain does not reach a root: usually the server does not send its intermediate certificate",
        rules: &["TLS007", "TLS004", "TLS006"],
        sources: &[
            APPLE_SECURE_TRANSPORT,
            SECURE_TRANSPORT_H,
            report(
                "munki#662: kCFStreamErrorDomainSSL -9812/-9813 on an untrusted server",
                "https://github.com/munki/munki/issues/662",
            ),
        ],
        ..BLANK
    },
    DeviceError {
        code: dom(Domain::CfStreamSsl, -9814),
        name: "errSSLCertExpired",
        message: "chain had an expired cert",
        meaning: "a certificate in the served chain has expired",
        rules: &["TLS009"],
        sources: &[APPLE_SECURE_TRANSPORT, SECURE_TRANSPORT_H],
        ..BLANK
    },
    DeviceError {
        code: dom(Domain::CfStreamSsl, -9815),
        name: "errSSLCertNotYetValid",
        message: "chain had a cert not yet valid",
        meaning: "a certificate in the served chain is not valid yet (or the phone's clock is behind)",
        rules: &["TLS010"],
        sources: &[APPLE_SECURE_TRANSPORT, SECURE_TRANSPORT_H],
        ..BLANK
    },
    DeviceError {
        code: dom(Domain::CfStreamSsl, -9836),
        name: "errSSLPeerProtocolVersion",
        message: "bad protocol version",
        meaning: "the server and the phone share no TLS version: the server speaks only TLS 1.0/1.1 or SSL",
        rules: &["TLS002"],
        sources: &[APPLE_SECURE_TRANSPORT, SECURE_TRANSPORT_H],
        ..BLANK
    },
    DeviceError {
        code: dom(Domain::CfStreamSsl, -9843),
        name: "errSSLHostNameMismatch",
        message: "peer host name mismatch",
        meaning: "the host in the URL is not in the certificate's subject alternative names",
        rules: &["TLS008"],
        sources: &[APPLE_SECURE_TRANSPORT, SECURE_TRANSPORT_H],
        ..BLANK
    },
    // DeviceManagement (the MDM agent)
    DeviceError {
        code: dom(Domain::DeviceManagement, 2604),
        message: "Could not validate manifest.",
        meaning: "an MDM InstallApplication command's manifest could not be fetched or read (a 404, an error \
                  page, not a manifest)",
        rules: &["HTTP001", "HTTP004", "MAN001", "MAN004", "MAN006"],
        next: &["otadoctor --via mdm 'https://…/manifest.plist'"],
        sources: &[report(
            "micromdm#834: DeviceManagement.error 2604 \"Could not validate manifest.\" for a manifest that answered 404",
            "https://github.com/micromdm/micromdm/issues/834",
        )],
        ..BLANK
    },
    // IXUserPresentableErrorDomain (installcoordinationd)
    DeviceError {
        code: dom(Domain::IxUserPresentable, 3),
        message: "… canceled by the user",
        meaning: "installcoordinationd's user-facing wrapper of a failed install, seen on failed in-house \
                  upgrades: the cause is the installd or appstored error logged just before it",
        unchecked: "the underlying error: look in the device log for the installd (0xe800…) or ASDErrorDomain code \
                    logged before it and explain that one",
        sources: &[OTA_HEAD_FORUM],
        ..BLANK
    },
];

#[cfg(test)]
mod tests {
    use super::*;

    fn mi(v: u32) -> Option<Code> {
        Some(Code::new(Domain::MobileInstallation, i64::from(v)))
    }

    #[test]
    fn installd_codes_are_read_in_every_form() {
        for text in [
            "0xe8008015",
            "0xE8008015",
            "e8008015",
            "-402620395",
            "3892346901",
            " 0xe8008015. ",
        ] {
            assert_eq!(parse(text), mi(0xe800_8015), "{text}");
        }
        assert_eq!(
            parse("com.apple.dt.MobileDeviceErrorDomain -402620395"),
            mi(0xe800_8015)
        );
        assert_eq!(parse("0xe8008015").and_then(Code::signed), Some(-402_620_395));
        assert_eq!(
            parse("0xe8008015").map(Code::display).as_deref(),
            Some("0xe8008015 (-402620395)")
        );
    }

    #[test]
    fn domain_codes_are_read_in_every_form() {
        let asd = Some(Code::new(Domain::Asd, 507));
        for text in [
            "ASDErrorDomain 507",
            "asderrordomain 507",
            "ASDErrorDomain error 507",
            "ASDErrorDomain Code=507",
            "ASDErrorDomain:507",
            "Error Domain=ASDErrorDomain Code=507",
            "Domain=ASDErrorDomain Code=507 \"Invalid response\"",
        ] {
            assert_eq!(parse(text), asd, "{text}");
        }
        assert_eq!(parse("NSURLErrorDomain -1202"), Some(Code::new(Domain::NsUrl, -1202)));
        assert_eq!(
            parse("kCFStreamErrorDomainSSL -9813"),
            Some(Code::new(Domain::CfStreamSsl, -9813))
        );
        assert_eq!(
            parse("DeviceManagement.error 2604"),
            Some(Code::new(Domain::DeviceManagement, 2604))
        );
        assert_eq!(
            parse("MIInstallerErrorDomain 13"),
            Some(Code::new(Domain::MiInstaller, 13))
        );
    }

    #[test]
    fn other_numbers_and_words_are_no_code() {
        for text in [
            "507",
            "-1202",
            "0x1234",
            "12345678",
            "hello",
            "",
            "ASDErrorDomain",
            "FooDomain 3",
            "0xe8008015zz",
        ] {
            assert_eq!(parse(text), None, "{text}");
        }
    }

    #[test]
    fn every_entry_is_sourced_and_maps_to_registered_rules() {
        for entry in ALL {
            let code = entry.code.display();
            assert!(!entry.sources.is_empty(), "{code}: no source");
            assert!(!entry.message.is_empty() && !entry.meaning.is_empty(), "{code}");
            assert!(
                !entry.rules.is_empty() || !entry.unchecked.is_empty(),
                "{code}: neither a rule nor what otadoctor does not check"
            );
            for rule in entry.rules {
                assert!(
                    crate::registry::lookup(rule).is_some(),
                    "{code}: {rule} is not registered"
                );
            }
            for source in entry.sources {
                assert!(source.url.starts_with("https://"), "{code}: {}", source.url);
            }
            if entry.code.is_installd() {
                for value in std::iter::once(&entry.code.value).chain(entry.also) {
                    assert_eq!(value >> 16, 0xe800, "{code}: {value:#x}");
                }
            }
        }
    }

    #[test]
    fn each_code_has_one_entry() {
        let mut seen = std::collections::BTreeSet::new();
        for entry in ALL {
            for value in std::iter::once(&entry.code.value).chain(entry.also) {
                let code = Code::new(entry.code.domain, *value);
                assert!(seen.insert(code), "{} twice", code.display());
                assert_eq!(find(code).map(|e| e.code), Some(entry.code));
            }
        }
    }

    #[test]
    fn installd_entries_agree_with_the_tool_tables() {
        // spot checks against ios-deploy's errors.h @83f7d9e and libimobiledevice's
        // installation_proxy.c @fa0f791 (the names installd sends as `Error`)
        for (name, value) in [
            ("ApplicationVerificationFailed", 0xe800_003a_u32),
            ("DeviceOSVersionTooLow", 0xe800_007e),
            ("DeviceFamilyNotSupported", 0xe800_0080),
            ("IncorrectArchitecture", 0xe800_0087),
            ("InstallProhibited", 0xe800_0097),
            ("MismatchedApplicationIdentifierEntitlement", 0xe800_00be),
            ("NoSpace", 0xe800_00c0),
            ("MismatchedBundleIDSigningIdentifier", 0xe800_00c5),
            ("InvalidSINF", 0xe800_00e3),
        ] {
            assert_eq!(by_name(name).map(|e| e.code), mi(value), "{name}");
        }
        assert_eq!(by_name("kAMDNoSpaceError").map(|e| e.code), mi(0xe800_00c0));
        assert_eq!(by_name("kAMDDeviceOSVersionTooLow").map(|e| e.code), mi(0xe800_007e));
        assert_eq!(
            by_name("INSTPROXY_E_INCORRECT_ARCHITECTURE").map(|e| e.code),
            mi(0xe800_0087)
        );
        assert!(by_name("").is_none() && by_name("NoSuchName").is_none());
        // the signed forms the reports show
        assert_eq!(parse("-402620375"), mi(0xe800_8029));
        assert_eq!(parse("-402620394"), mi(0xe800_8016));
    }

    #[test]
    fn unknown_codes_are_described_by_range_or_domain() {
        let signing = describe_unknown(Code::new(Domain::MobileInstallation, 0xe800_80ab));
        assert!(
            signing.contains("0xe80080ab") && signing.contains("-402620245"),
            "{signing}"
        );
        assert!(
            signing.contains("3892347051") && signing.contains("0xe80080xx"),
            "{signing}"
        );
        let package = describe_unknown(Code::new(Domain::MobileInstallation, 0xe800_00f0));
        assert!(
            package.contains("0xe80000xx") && package.contains("package"),
            "{package}"
        );
        let asd = describe_unknown(Code::new(Domain::Asd, 512));
        assert!(asd.starts_with("ASDErrorDomain 512: appstored"), "{asd}");
    }

    #[test]
    fn a_multibyte_character_where_a_word_would_end_is_no_panic() {
        assert_eq!(parse("ASDErrorDomain ééé"), None);
        assert_eq!(parse("ASDErrorDomain codé 3"), None);
    }
}
