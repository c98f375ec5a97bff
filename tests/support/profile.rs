//! Provisioning profiles made in the tests: a plist like the Developer portal's, signed as CMS
//! SignedData (by the library's builder, `otadoctor::demo::pki::sign_cms`) by a test CA of three
//! levels like Apple's (root → intermediate → "Test Provisioning Profile Signing"), with
//! explicit dates. otadoctor must call these `profile-not-apple-signed` unless the run passes
//! the test root with `--profile-ca`.

use std::sync::OnceLock;

use base64::Engine as _;
use rcgen::{BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose};

/// The test CA: its root (PEM, for `--profile-ca`), the chain the profile carries, and the
/// signer's key.
pub struct ProfileCa {
    pub root_pem: String,
    pub root_der: Vec<u8>,
    pub intermediate_der: Vec<u8>,
    pub signer_der: Vec<u8>,
    signer_key: Vec<u8>,
    /// A certificate like a team's "Apple Distribution" one, for `DeveloperCertificates`.
    pub developer_der: Vec<u8>,
    /// Its P-256 key (PKCS#8): the test packages' code is signed with it.
    pub developer_key: Vec<u8>,
    /// The same, expired (2025).
    pub expired_developer_der: Vec<u8>,
    /// The intermediate that issues the developer certificates, to issue more (the revocation
    /// tests: certificates naming an OCSP responder) and to sign an OCSP responder's answers.
    pub intermediate_params: CertificateParams,
    pub intermediate_key: KeyPair,
}

fn ymd(y: i32, m: u8, d: u8) -> time::OffsetDateTime {
    rcgen::date_time_ymd(y, m, d)
}

fn ca_params(cn: &str, from: (i32, u8, u8), to: (i32, u8, u8)) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).expect("params");
    p.distinguished_name.push(DnType::CommonName, cn);
    p.distinguished_name.push(DnType::OrganizationName, "otadoctor tests");
    p.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    p.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::DigitalSignature];
    p.not_before = ymd(from.0, from.1, from.2);
    p.not_after = ymd(to.0, to.1, to.2);
    p
}

fn leaf_params(cn: &str, ou: Option<&str>, from: (i32, u8, u8), to: (i32, u8, u8)) -> CertificateParams {
    let mut p = CertificateParams::new(Vec::<String>::new()).expect("params");
    p.distinguished_name.push(DnType::CommonName, cn);
    if let Some(ou) = ou {
        p.distinguished_name.push(DnType::OrganizationalUnitName, ou);
    }
    p.distinguished_name.push(DnType::OrganizationName, "otadoctor tests");
    p.is_ca = IsCa::ExplicitNoCa;
    p.not_before = ymd(from.0, from.1, from.2);
    p.not_after = ymd(to.0, to.1, to.2);
    p
}

impl ProfileCa {
    pub fn new() -> ProfileCa {
        let root_key = KeyPair::generate().expect("key");
        let root_params = ca_params("otadoctor Test Root CA", (2020, 1, 1), (2040, 1, 1));
        let root = root_params.self_signed(&root_key).expect("root");
        let root_issuer = Issuer::new(root_params, root_key);
        let inter_key = KeyPair::generate().expect("key");
        let inter_params = ca_params(
            "otadoctor Test iPhone Certification Authority",
            (2020, 1, 1),
            (2035, 1, 1),
        );
        let inter = inter_params.signed_by(&inter_key, &root_issuer).expect("intermediate");
        let inter_issuer = Issuer::from_params(&inter_params, &inter_key);
        let signer_key = KeyPair::generate().expect("key");
        let signer = leaf_params("Test Provisioning Profile Signing", None, (2024, 1, 1), (2034, 1, 1))
            .signed_by(&signer_key, &inter_issuer)
            .expect("signer");
        let dev_key = KeyPair::generate().expect("key");
        let developer = leaf_params(
            "iPhone Distribution: Acme Field Services (A1B2C3D4E5)",
            Some("A1B2C3D4E5"),
            (2026, 1, 10),
            (2027, 1, 10),
        )
        .signed_by(&dev_key, &inter_issuer)
        .expect("developer");
        let expired = leaf_params(
            "iPhone Distribution: Acme Field Services (A1B2C3D4E5)",
            Some("A1B2C3D4E5"),
            (2024, 3, 1),
            (2025, 3, 1),
        )
        .signed_by(&dev_key, &inter_issuer)
        .expect("developer");
        ProfileCa {
            root_pem: root.pem(),
            root_der: root.der().to_vec(),
            intermediate_der: inter.der().to_vec(),
            signer_der: signer.der().to_vec(),
            signer_key: signer_key.serialize_der(),
            developer_der: developer.der().to_vec(),
            developer_key: dev_key.serialize_der(),
            expired_developer_der: expired.der().to_vec(),
            intermediate_params: inter_params,
            intermediate_key: inter_key,
        }
    }

    /// Signs `content` as CMS SignedData (DER), as Apple signs profiles, with the library's
    /// builder (the demo's): the signer and its intermediate in the certificate set.
    pub fn sign(&self, content: &[u8], signing_time: time::OffsetDateTime) -> Vec<u8> {
        otadoctor::demo::pki::sign_cms(
            content,
            signing_time,
            &self.signer_der,
            std::slice::from_ref(&self.intermediate_der),
            &self.signer_key,
        )
        .expect("sign the test profile")
    }
}

/// The test CA of this test process.
pub fn ca() -> &'static ProfileCa {
    static CA: OnceLock<ProfileCa> = OnceLock::new();
    CA.get_or_init(ProfileCa::new)
}

/// The test root as a PEM file (for `--profile-ca`), written once per process.
pub fn ca_file() -> String {
    static FILE: OnceLock<String> = OnceLock::new();
    FILE.get_or_init(|| {
        let path =
            std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("profile-ca-{}.pem", std::process::id()));
        std::fs::write(&path, &ca().root_pem).expect("write the profile CA");
        path.display().to_string()
    })
    .clone()
}

/// What a test profile says.
#[derive(Clone, Debug)]
pub struct ProfileSpec {
    pub name: String,
    pub application_identifier: String,
    pub team: String,
    pub devices: Vec<String>,
    pub all_devices: bool,
    pub get_task_allow: bool,
    pub created: time::OffsetDateTime,
    pub expires: time::OffsetDateTime,
    /// DER certificates for `DeveloperCertificates` (the CA's current one when `None`).
    pub developer_certificates: Option<Vec<Vec<u8>>>,
}

/// Two devices, one in each UDID format.
pub const DEVICE_NEW: &str = "00008030-001A35E11A88802E";
pub const DEVICE_OLD: &str = "a1b2c3d4e5f60718293a4b5c6d7e8f9012345678";

impl Default for ProfileSpec {
    /// An ad hoc profile for com.acme.field, valid 2026-06-01 → 2027-06-01, two devices.
    fn default() -> ProfileSpec {
        ProfileSpec {
            name: "Field Ad Hoc".to_string(),
            application_identifier: "A1B2C3D4E5.com.acme.field".to_string(),
            team: "A1B2C3D4E5".to_string(),
            devices: vec![DEVICE_NEW.to_string(), DEVICE_OLD.to_string()],
            all_devices: false,
            get_task_allow: false,
            created: ymd(2026, 6, 1),
            expires: ymd(2027, 6, 1),
            developer_certificates: None,
        }
    }
}

impl ProfileSpec {
    /// The profile's plist, laid out like the Developer portal's (the library's builder).
    pub fn plist(&self) -> String {
        let certificates = self
            .developer_certificates
            .clone()
            .unwrap_or_else(|| vec![ca().developer_der.clone()]);
        otadoctor::demo::package::ProfilePlist {
            name: &self.name,
            team: &self.team,
            team_name: "Acme Field Services",
            application_identifier: &self.application_identifier,
            devices: &self.devices,
            all_devices: self.all_devices,
            get_task_allow: self.get_task_allow,
            created: self.created,
            expires: self.expires,
            developer_certificates: &certificates,
            uuid: "6f1c2a3b-4d5e-4f60-8a9b-0c1d2e3f4a5b",
        }
        .text()
    }

    /// The signed profile (DER), signed on its creation date.
    pub fn signed(&self) -> Vec<u8> {
        ca().sign(self.plist().as_bytes(), self.created)
    }
}

/// A CodeResources plist as Xcode writes it: Info.plist sealed with SHA-1 in `files` (Xcode's
/// `rules2` leave it out of `files2`, as the code directory binds it) — or, with `files2`, in
/// `files2` too —; each of `resources` (paths inside the bundle) with SHA-1 and SHA-256; each
/// of `nested` (nested code such as `PlugIns/Share.appex`) as a `cdhash` entry; and Xcode's rules.
pub fn code_resources(info_plist: &[u8], files2: bool, resources: &[(String, Vec<u8>)], nested: &[String]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let sha1 = |b: &[u8]| b64.encode(ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, b));
    let sha256 = |b: &[u8]| b64.encode(ring::digest::digest(&ring::digest::SHA256, b));
    let mut files = format!("\t\t<key>Info.plist</key>\n\t\t<data>{}</data>\n", sha1(info_plist));
    let mut files2_text = String::new();
    if files2 {
        files2_text.push_str(&format!(
            "\t\t<key>Info.plist</key>\n\t\t<dict>\n\t\t\t<key>hash</key>\n\t\t\t<data>{}</data>\n\t\t\t<key>hash2</key>\n\t\t\t<data>{}</data>\n\t\t</dict>\n",
            sha1(info_plist),
            sha256(info_plist)
        ));
    }
    let mut sorted: Vec<&(String, Vec<u8>)> = resources.iter().collect();
    sorted.sort_by(|a, b| a.0.cmp(&b.0));
    for (path, bytes) in sorted {
        files.push_str(&format!("\t\t<key>{path}</key>\n\t\t<data>{}</data>\n", sha1(bytes)));
        files2_text.push_str(&format!(
            "\t\t<key>{path}</key>\n\t\t<dict>\n\t\t\t<key>hash</key>\n\t\t\t<data>{}</data>\n\t\t\t<key>hash2</key>\n\t\t\t<data>{}</data>\n\t\t</dict>\n",
            sha1(bytes),
            sha256(bytes)
        ));
    }
    for path in nested {
        files2_text.push_str(&format!(
            "\t\t<key>{path}</key>\n\t\t<dict>\n\t\t\t<key>cdhash</key>\n\t\t\t<data>{}</data>\n\t\t\t<key>requirement</key>\n\t\t\t<string>identifier \"{path}\"</string>\n\t\t</dict>\n",
            sha1(path.as_bytes())
        ));
    }
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>files</key>
	<dict>
{files}	</dict>
	<key>files2</key>
	<dict>
{files2_text}	</dict>
	<key>rules</key>
	<dict>
		<key>^.*</key>
		<true/>
		<key>^.*\.lproj/</key>
		<dict><key>optional</key><true/><key>weight</key><real>1000</real></dict>
		<key>^Base\.lproj/</key>
		<dict><key>weight</key><real>1010</real></dict>
		<key>^version.plist$</key>
		<true/>
	</dict>
	<key>rules2</key>
	<dict>
		<key>.*\.dSYM($|/)</key>
		<dict><key>weight</key><real>11</real></dict>
		<key>^(.*/)?\.DS_Store$</key>
		<dict><key>omit</key><true/><key>weight</key><real>2000</real></dict>
		<key>^.*</key>
		<true/>
		<key>^.*\.lproj/</key>
		<dict><key>optional</key><true/><key>weight</key><real>1000</real></dict>
		<key>^.*\.lproj/locversion.plist$</key>
		<dict><key>omit</key><true/><key>weight</key><real>1100</real></dict>
		<key>^Base\.lproj/</key>
		<dict><key>weight</key><real>1010</real></dict>
		<key>^Info\.plist$</key>
		<dict><key>omit</key><true/><key>weight</key><real>20</real></dict>
		<key>^PkgInfo$</key>
		<dict><key>omit</key><true/><key>weight</key><real>20</real></dict>
		<key>^embedded\.provisionprofile$</key>
		<dict><key>weight</key><real>20</real></dict>
		<key>^version\.plist$</key>
		<dict><key>weight</key><real>20</real></dict>
		<key>^[^/]+$</key>
		<dict><key>nested</key><true/><key>weight</key><real>10</real></dict>
		<key>^(Frameworks|SharedFrameworks|PlugIns|Plug-ins|XPCServices|Helpers|MacOS|Library/(Automator|Spotlight|LoginItems))/</key>
		<dict><key>nested</key><true/><key>weight</key><real>10</real></dict>
	</dict>
</dict>
</plist>
"#
    )
}

/// Re-encodes DER as BER the way `openssl cms -stream` writes it: every constructed element
/// with an indefinite length, and OCTET STRINGs over 64 bytes split into constructed chunks.
pub fn to_ber(der: &[u8]) -> Vec<u8> {
    fn element(input: &[u8], out: &mut Vec<u8>) -> usize {
        let tag = input[0];
        let (len, header) = if input[1] & 0x80 == 0 {
            (usize::from(input[1]), 2)
        } else {
            let n = usize::from(input[1] & 0x7f);
            (
                input[2..2 + n].iter().fold(0usize, |a, b| (a << 8) | usize::from(*b)),
                2 + n,
            )
        };
        let content = &input[header..header + len];
        if tag & 0x20 != 0 {
            out.extend_from_slice(&[tag, 0x80]);
            let mut at = 0;
            while at < content.len() {
                at += element(&content[at..], out);
            }
            out.extend_from_slice(&[0, 0]);
        } else if tag == 0x04 && content.len() > 64 {
            out.extend_from_slice(&[0x24, 0x80]);
            for chunk in content.chunks(64) {
                out.push(0x04);
                out.push(chunk.len() as u8);
                out.extend_from_slice(chunk);
            }
            out.extend_from_slice(&[0, 0]);
        } else {
            out.extend_from_slice(&input[..header + len]);
        }
        header + len
    }
    let mut out = Vec::new();
    element(der, &mut out);
    out
}
