//! The files the demo serves: manifests as Xcode writes them, packages (a real IPA made with the
//! zip crate: Info.plist, an executable with Unix mode 0755, a signed embedded.mobileprovision
//! and a `_CodeSignature/CodeResources` sealing them), provisioning profiles laid out like the
//! Developer portal's, and icons.

use std::io::Write as _;

use base64::Engine as _;
use time::OffsetDateTime;

use super::pki::{DemoPki, TEAM_ID};

/// The demo app's bundle identifier.
pub const BUNDLE_ID: &str = "com.demo.field";
/// The manifest's title (it shares a word with the app's name, "Field").
pub const TITLE: &str = "Field Service";

/// Two devices, one in each UDID format.
const DEVICES: [&str; 2] = ["00008030-001A35E11A88802E", "A1B2C3D4E5F60718293A4B5C6D7E8F9012345678"];

/// What a demo provisioning profile says.
#[derive(Clone, Debug)]
pub struct Profile {
    pub name: &'static str,
    pub bundle_id: &'static str,
    /// Ad hoc: the devices are listed; App Store: no devices and not all devices.
    pub ad_hoc: bool,
    pub created: OffsetDateTime,
    pub expires: OffsetDateTime,
    /// Tells the profiles' UUIDs apart.
    pub serial: u8,
}

fn plist_date(t: OffsetDateTime) -> String {
    format!(
        "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}Z",
        t.year(),
        u8::from(t.month()),
        t.day(),
        t.hour(),
        t.minute(),
        t.second()
    )
}

/// The plist of a provisioning profile, laid out like the Developer portal's. The demo's
/// profiles and the test suite's are written with it.
#[derive(Clone, Debug)]
pub struct ProfilePlist<'a> {
    pub name: &'a str,
    pub team: &'a str,
    pub team_name: &'a str,
    /// `TEAMID.bundle.id`, or a wildcard.
    pub application_identifier: &'a str,
    /// `ProvisionedDevices` (none: the key is left out).
    pub devices: &'a [String],
    /// `ProvisionsAllDevices` (an enterprise profile).
    pub all_devices: bool,
    pub get_task_allow: bool,
    pub created: OffsetDateTime,
    pub expires: OffsetDateTime,
    /// `DeveloperCertificates`, DER.
    pub developer_certificates: &'a [Vec<u8>],
    pub uuid: &'a str,
}

impl ProfilePlist<'_> {
    pub fn text(&self) -> String {
        let b64 = base64::engine::general_purpose::STANDARD;
        let certificates: String = self
            .developer_certificates
            .iter()
            .map(|c| format!("\t\t<data>{}</data>\n", b64.encode(c)))
            .collect();
        let devices = if self.all_devices {
            "\t<key>ProvisionsAllDevices</key>\n\t<true/>\n".to_string()
        } else if self.devices.is_empty() {
            String::new()
        } else {
            let list: String = self
                .devices
                .iter()
                .map(|d| format!("\t\t<string>{d}</string>\n"))
                .collect();
            format!("\t<key>ProvisionedDevices</key>\n\t<array>\n{list}\t</array>\n")
        };
        format!(
            r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>AppIDName</key>
	<string>Field</string>
	<key>ApplicationIdentifierPrefix</key>
	<array>
		<string>{team}</string>
	</array>
	<key>CreationDate</key>
	<date>{created}</date>
	<key>Platform</key>
	<array>
		<string>iOS</string>
	</array>
	<key>DeveloperCertificates</key>
	<array>
{certificates}	</array>
	<key>Entitlements</key>
	<dict>
		<key>application-identifier</key>
		<string>{app_id}</string>
		<key>get-task-allow</key>
		<{get_task_allow}/>
		<key>com.apple.developer.team-identifier</key>
		<string>{team}</string>
	</dict>
	<key>ExpirationDate</key>
	<date>{expires}</date>
	<key>Name</key>
	<string>{name}</string>
{devices}	<key>TeamIdentifier</key>
	<array>
		<string>{team}</string>
	</array>
	<key>TeamName</key>
	<string>{team_name}</string>
	<key>TimeToLive</key>
	<integer>365</integer>
	<key>UUID</key>
	<string>{uuid}</string>
	<key>Version</key>
	<integer>1</integer>
</dict>
</plist>
"#,
            team = self.team,
            created = plist_date(self.created),
            expires = plist_date(self.expires),
            app_id = self.application_identifier,
            get_task_allow = self.get_task_allow,
            name = self.name,
            team_name = self.team_name,
            uuid = self.uuid,
        )
    }
}

impl Profile {
    /// The profile's plist.
    fn plist(&self, developer_der: &[u8]) -> String {
        let devices: Vec<String> = if self.ad_hoc {
            DEVICES.iter().map(|d| d.to_string()).collect()
        } else {
            Vec::new()
        };
        ProfilePlist {
            name: self.name,
            team: TEAM_ID,
            team_name: "Demo Field Services",
            application_identifier: &format!("{TEAM_ID}.{}", self.bundle_id),
            devices: &devices,
            all_devices: false,
            get_task_allow: false,
            created: self.created,
            expires: self.expires,
            developer_certificates: &[developer_der.to_vec()],
            uuid: &format!("0d3e5a7c-1b2f-4c6d-8e9a-0000de3000{:02x}", self.serial),
        }
        .text()
    }

    /// The profile signed by the demo CA on its creation date (DER).
    pub fn signed(&self, pki: &DemoPki) -> Result<Vec<u8>, String> {
        pki.sign_profile(self.plist(&pki.developer_der).as_bytes(), self.created)
    }
}

/// An Info.plist for `bundle_id` whose executable is `Field`.
pub fn info_plist(bundle_id: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\"><dict><key>CFBundleIdentifier</key><string>{bundle_id}</string><key>CFBundleExecutable</key><string>Field</string><key>CFBundleName</key><string>Field</string><key>CFBundleVersion</key><string>812</string><key>CFBundleShortVersionString</key><string>4.2</string><key>MinimumOSVersion</key><string>15.0</string><key>UIDeviceFamily</key><array><integer>1</integer><integer>2</integer></array></dict></plist>\n"
    )
}

/// A CodeResources plist as Xcode writes it: Info.plist sealed with SHA-1 in `files` (Xcode
/// leaves it out of `files2`, as the code directory binds it), the profile with SHA-1 in
/// `files` and SHA-1 and SHA-256 in `files2`.
fn code_resources(info_plist: &[u8], profile: &[u8]) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let sha1 = |b: &[u8]| b64.encode(ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, b));
    let sha256 = |b: &[u8]| b64.encode(ring::digest::digest(&ring::digest::SHA256, b));
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>files</key>
	<dict>
		<key>Info.plist</key>
		<data>{info_sha1}</data>
		<key>embedded.mobileprovision</key>
		<data>{profile_sha1}</data>
	</dict>
	<key>files2</key>
	<dict>
		<key>embedded.mobileprovision</key>
		<dict>
			<key>hash</key>
			<data>{profile_sha1}</data>
			<key>hash2</key>
			<data>{profile_sha256}</data>
		</dict>
	</dict>
	<key>rules</key>
	<dict>
		<key>^.*</key>
		<true/>
		<key>^version.plist$</key>
		<true/>
	</dict>
	<key>rules2</key>
	<dict>
		<key>^.*</key>
		<true/>
		<key>^Info\.plist$</key>
		<dict><key>omit</key><true/><key>weight</key><real>20</real></dict>
		<key>^PkgInfo$</key>
		<dict><key>omit</key><true/><key>weight</key><real>20</real></dict>
		<key>^embedded\.provisionprofile$</key>
		<dict><key>weight</key><real>20</real></dict>
		<key>^[^/]+$</key>
		<dict><key>nested</key><true/><key>weight</key><real>10</real></dict>
	</dict>
</dict>
</plist>
"#,
        info_sha1 = sha1(info_plist),
        profile_sha1 = sha1(profile),
        profile_sha256 = sha256(profile),
    )
}

/// An IPA: `Payload/Field.app` with an Info.plist for `bundle_id`, the executable (mode 0755),
/// the signed `profile` and a CodeResources sealing both.
pub fn ipa(bundle_id: &str, profile: &[u8], pki: &DemoPki) -> Result<Vec<u8>, String> {
    let failed = |e: std::io::Error| format!("cannot build the demo's package: {e}");
    let zip_failed = |e: zip::result::ZipError| format!("cannot build the demo's package: {e}");
    let info = info_plist(bundle_id);
    let options = |mode: u32| {
        zip::write::SimpleFileOptions::default()
            .compression_method(zip::CompressionMethod::Deflated)
            .unix_permissions(mode)
    };
    let dir = "Payload/Field.app";
    let seal = code_resources(info.as_bytes(), profile).into_bytes();
    // signed as Xcode signs for the profile: the developer certificate, the entitlements the
    // profile grants (XML and DER), the Info.plist and CodeResources bound
    let mut code = super::codesign::MachOSpec::executable(
        bundle_id,
        TEAM_ID,
        Some(super::codesign::entitlements_plist(
            &format!("{TEAM_ID}.{bundle_id}"),
            TEAM_ID,
            false,
            "",
        )),
        super::codesign::Signing::Signed {
            cert_der: pki.developer_der.clone(),
            key_pkcs8: pki.developer_key.clone(),
            chain: Vec::new(),
        },
        pki.now() - time::Duration::days(1),
    );
    code.info_plist = Some(info.as_bytes().to_vec());
    code.code_resources = Some(seal.clone());
    let executable = super::codesign::build(&code)?;
    let entries: [(String, u32, Vec<u8>); 4] = [
        (format!("{dir}/_CodeSignature/CodeResources"), 0o644, seal),
        (format!("{dir}/Info.plist"), 0o644, info.into_bytes()),
        (format!("{dir}/embedded.mobileprovision"), 0o644, profile.to_vec()),
        (format!("{dir}/Field"), 0o755, executable),
    ];
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    for (name, mode, bytes) in entries {
        zip.start_file(name, options(mode)).map_err(zip_failed)?;
        zip.write_all(&bytes).map_err(failed)?;
    }
    Ok(zip.finish().map_err(zip_failed)?.into_inner())
}

/// A manifest as Xcode writes it, with the given package and icon URLs.
pub fn manifest(package: &str, display: &str, full: &str, bundle_id: &str, title: &str) -> String {
    format!(
        r#"<?xml version="1.0" encoding="UTF-8"?>
<!DOCTYPE plist PUBLIC "-//Apple//DTD PLIST 1.0//EN" "http://www.apple.com/DTDs/PropertyList-1.0.dtd">
<plist version="1.0">
<dict>
	<key>items</key>
	<array>
		<dict>
			<key>assets</key>
			<array>
				<dict>
					<key>kind</key>
					<string>software-package</string>
					<key>url</key>
					<string>{package}</string>
				</dict>
				<dict>
					<key>kind</key>
					<string>display-image</string>
					<key>url</key>
					<string>{display}</string>
				</dict>
				<dict>
					<key>kind</key>
					<string>full-size-image</string>
					<key>url</key>
					<string>{full}</string>
				</dict>
			</array>
			<key>metadata</key>
			<dict>
				<key>bundle-identifier</key>
				<string>{bundle_id}</string>
				<key>bundle-version</key>
				<string>4.2</string>
				<key>kind</key>
				<string>software</string>
				<key>platform-identifier</key>
				<string>com.apple.platform.iphoneos</string>
				<key>title</key>
				<string>{title}</string>
			</dict>
		</dict>
	</array>
</dict>
</plist>
"#
    )
}

/// A PNG of `w`×`h`: a real signature and IHDR (the pixels are not needed by anything here).
pub fn png(w: u32, h: u32) -> Vec<u8> {
    let mut out = b"\x89PNG\r\n\x1a\n".to_vec();
    let mut ihdr = Vec::new();
    ihdr.extend_from_slice(&w.to_be_bytes());
    ihdr.extend_from_slice(&h.to_be_bytes());
    ihdr.extend_from_slice(&[8, 6, 0, 0, 0]);
    chunk(&mut out, b"IHDR", &ihdr);
    chunk(&mut out, b"IEND", &[]);
    out
}

fn chunk(out: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    let len = u32::try_from(data.len()).unwrap_or(u32::MAX);
    out.extend_from_slice(&len.to_be_bytes());
    let mut crc_input = kind.to_vec();
    crc_input.extend_from_slice(data);
    out.extend_from_slice(&crc_input);
    out.extend_from_slice(&crc32(&crc_input).to_be_bytes());
}

/// CRC-32 (ISO-HDLC), as PNG chunks carry it.
fn crc32(bytes: &[u8]) -> u32 {
    let mut crc = 0xffff_ffffu32;
    for b in bytes {
        crc ^= u32::from(*b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    !crc
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crc32_is_the_png_one() {
        // the CRC of an IEND chunk, as every PNG ends
        assert_eq!(crc32(b"IEND"), 0xae42_6082);
    }
}
