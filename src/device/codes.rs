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
        if number.len() >= word.len() && number[..word.len()].eq_ignore_ascii_case(word) {
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
pub fn by_name(name: &str) -> Option<&'static DeviceError> {
    let name = name.trim();
    let bare = name
        .strip_prefix("kAMD")
        .map(|n| n.strip_suffix("Error").unwrap_or(n))
        .unwrap_or(name);
    ALL.iter()
        .find(|e| !e.name.is_empty() && e.name.eq_ignore_ascii_case(bare))
}

/// What can be said of a code the table does not know: its forms, and what its range or domain is.
pub fn describe_unknown(code: Code) -> String {
    if let Some(signed) = code.signed() {
        let range = if code.value & 0xff00 == 0x8000 {
            "0xe80080xx: a signing or provisioning error"
        } else {
            "0xe80000xx: a package or device error"
        };
        return format!(
            "installd {:#010x} (signed {signed}, unsigned {}; range {range})",
            code.value, code.value
        );
    }
    format!("{} code {}", code.domain.name(), code.value)
}

const IOS_DEPLOY: Source = Source {
    kind: SourceKind::Tool,
    title: "ios-deploy src/ios-deploy/errors.h (Xcode MobileDevice messages)",
    url: "https://github.com/ios-control/ios-deploy/blob/master/src/ios-deploy/errors.h",
};

/// Every code the table knows, by domain and value.
pub static ALL: &[DeviceError] = &[DeviceError {
    code: Code {
        domain: Domain::MobileInstallation,
        value: 0xe800_8015,
    },
    also: &[],
    name: "",
    message: "A valid provisioning profile for this executable was not found.",
    meaning: "the package's profile does not cover this install: the device's UDID is not in it, or it is \
              for another App ID or team, or the certificate that signed the code (or a nested \
              framework's) is not one of its DeveloperCertificates",
    rules: &["SIG005", "SIG006", "SIG001"],
    sources: &[IOS_DEPLOY],
}];

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
}
