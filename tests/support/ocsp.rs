//! A real OCSP responder for the revocation tests: `openssl ocsp` started by the test on a free
//! loopback port, answering for certificates of the profile CA's intermediate (the issuer a test
//! profile carries) from an index the test writes, signing with the intermediate's own key; and
//! certificates of that intermediate whose Authority Information Access names a responder.
//! The responder is stopped (its process, by id) when dropped.

#![allow(dead_code)]

use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use rcgen::{CertificateParams, DnType, Issuer, KeyPair, SerialNumber};

use super::servers::TempDir;

/// What the responder says of a serial number.
#[derive(Clone, Copy, Debug)]
pub enum Status {
    Good,
    /// Revoked on 2026-11-02 for key compromise.
    Revoked,
}

/// A running `openssl ocsp -index … -port …`.
pub struct Responder {
    pub port: u16,
    child: Child,
    dir: TempDir,
}

impl Responder {
    /// Starts a responder that knows `serials` (hex, upper case, as the index writes them):
    /// any other serial is `unknown` to it. Its answers are valid for ten years from the
    /// machine's clock (`-ndays`): the runs' `--now` is fixed, the responder's clock is not.
    pub fn start(serials: &[(&str, Status)]) -> Responder {
        let ca = super::profile::ca();
        let dir = TempDir::new("ocsp");
        let ca_pem = dir.write("ca.pem", super::lab::pem("CERTIFICATE", &ca.intermediate_der));
        let key_pem = dir.write("ca.key", ca.intermediate_key.serialize_pem());
        let index = dir.write("index.txt", index_text(serials));
        let mut failures = Vec::new();
        for attempt in 0..3 {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map(|a| a.port())
                .expect("a free port");
            let log = std::fs::File::create(dir.join(&format!("ocsp-{attempt}.log"))).expect("log");
            let err = log.try_clone().expect("log");
            let mut child = Command::new("openssl")
                .args(["ocsp", "-index", &index, "-port", &port.to_string()])
                .args([
                    "-rsigner",
                    &ca_pem,
                    "-rkey",
                    &key_pem,
                    "-CA",
                    &ca_pem,
                    "-ndays",
                    "3650",
                    "-ignore_err",
                ])
                .stdin(Stdio::null())
                .stdout(Stdio::from(log))
                .stderr(Stdio::from(err))
                .spawn()
                .expect("openssl ocsp (.ci/run installs openssl)");
            let deadline = Instant::now() + Duration::from_secs(10);
            loop {
                if let Ok(Some(status)) = child.try_wait() {
                    failures.push(format!("try {}: it exited ({status})", attempt + 1));
                    break;
                }
                // openssl ocsp serves one connection at a time: the probe must end its own
                if let Ok(mut probe) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                    use std::io::{Read as _, Write as _};
                    let _ = probe.set_read_timeout(Some(Duration::from_secs(5)));
                    let _ = probe.write_all(b"GET /probe HTTP/1.0\r\n\r\n");
                    let _ = probe.read_to_end(&mut Vec::new());
                    return Responder { port, child, dir };
                }
                if Instant::now() > deadline {
                    let _ = child.kill();
                    let _ = child.wait();
                    failures.push(format!("try {}: port {port} did not answer", attempt + 1));
                    break;
                }
                std::thread::sleep(Duration::from_millis(25));
            }
        }
        panic!("openssl ocsp did not start: {}", failures.join("; "));
    }

    /// The URL certificates name in their AIA.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}/", self.port)
    }

    /// How many OCSP requests it received (its log says each; the start-up probe is not one).
    pub fn requests(&self) -> usize {
        (0..3)
            .filter_map(|i| std::fs::read_to_string(self.dir.join(&format!("ocsp-{i}.log"))).ok())
            .map(|log| log.matches("1st line: GET /M").count())
            .sum()
    }
}

impl Drop for Responder {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// openssl's index of issued certificates: `serials` good or revoked.
fn index_text(serials: &[(&str, Status)]) -> String {
    let mut index = String::new();
    for (serial, status) in serials {
        match status {
            Status::Good => index.push_str(&format!("V\t360101000000Z\t\t{serial}\tunknown\t/CN=test\n")),
            Status::Revoked => index.push_str(&format!(
                "R\t360101000000Z\t261102093000Z,keyCompromise\t{serial}\tunknown\t/CN=test\n"
            )),
        }
    }
    index
}

/// Has `openssl ocsp` answer `request` (DER) offline (`-reqin`/`-respout`) from an index
/// listing `serials`, signed by `signer` (certificate DER, key PEM), else by the intermediate.
pub fn answer_offline(request: &[u8], serials: &[(&str, Status)], signer: Option<(&[u8], &str)>) -> Vec<u8> {
    let ca = super::profile::ca();
    let dir = TempDir::new("ocsp-offline");
    let ca_pem = dir.write("ca.pem", super::lab::pem("CERTIFICATE", &ca.intermediate_der));
    let (signer_pem, key_pem) = match signer {
        Some((der, key)) => (
            dir.write("signer.pem", super::lab::pem("CERTIFICATE", der)),
            dir.write("signer.key", key),
        ),
        None => (ca_pem.clone(), dir.write("ca.key", ca.intermediate_key.serialize_pem())),
    };
    let index = dir.write("index.txt", index_text(serials));
    let req = dir.write("req.der", request);
    let resp = dir.join("resp.der");
    let mut command = Command::new("openssl");
    command
        .args([
            "ocsp",
            "-index",
            &index,
            "-rsigner",
            &signer_pem,
            "-rkey",
            &key_pem,
            "-CA",
            &ca_pem,
        ])
        .args(["-ndays", "3650", "-reqin", &req, "-respout", &resp]);
    if signer.is_none() {
        // the issuer's answer needs no certificate: the signature then ends it
        command.arg("-resp_no_certs");
    }
    let out = command.output().expect("openssl ocsp (.ci/run installs openssl)");
    assert!(
        out.status.success(),
        "openssl ocsp: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    std::fs::read(&resp).expect("the answer")
}

/// A responder certificate of the intermediate (DER, key PEM): with the OCSP-signing EKU, a
/// responder the issuer delegated; without, a certificate that may not answer for it.
pub fn responder_certificate(ocsp_signing: bool) -> (Vec<u8>, String) {
    let ca = super::profile::ca();
    let key = KeyPair::generate().expect("key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params
        .distinguished_name
        .push(DnType::CommonName, "otadoctor Test OCSP Responder");
    params.is_ca = rcgen::IsCa::ExplicitNoCa;
    params.not_before = rcgen::date_time_ymd(2026, 1, 1);
    params.not_after = rcgen::date_time_ymd(2036, 1, 1);
    if ocsp_signing {
        params.extended_key_usages = vec![rcgen::ExtendedKeyUsagePurpose::OcspSigning];
    }
    let issuer = Issuer::from_params(&ca.intermediate_params, &ca.intermediate_key);
    let cert = params.signed_by(&key, &issuer).expect("responder");
    (cert.der().to_vec(), key.serialize_pem())
}

/// A distribution certificate of the profile CA's intermediate with serial `serial` (hex) whose
/// AIA names the OCSP responder `ocsp_url` (DER).
pub fn developer(serial: &str, ocsp_url: &str) -> Vec<u8> {
    developer_with_key(serial, ocsp_url).0
}

/// The same, with its P-256 key (PKCS#8), to sign code with it.
pub fn developer_with_key(serial: &str, ocsp_url: &str) -> (Vec<u8>, Vec<u8>) {
    let ca = super::profile::ca();
    let key = KeyPair::generate().expect("key");
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.distinguished_name.push(
        DnType::CommonName,
        "iPhone Distribution: Acme Field Services (A1B2C3D4E5)",
    );
    params
        .distinguished_name
        .push(DnType::OrganizationalUnitName, "A1B2C3D4E5");
    params
        .distinguished_name
        .push(DnType::OrganizationName, "otadoctor tests");
    params.is_ca = rcgen::IsCa::ExplicitNoCa;
    params.not_before = rcgen::date_time_ymd(2026, 1, 10);
    params.not_after = rcgen::date_time_ymd(2027, 1, 10);
    let bytes: Vec<u8> = (0..serial.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(&serial[i..i + 2], 16).expect("hex serial"))
        .collect();
    params.serial_number = Some(SerialNumber::from(bytes));
    params.custom_extensions.push(rcgen::CustomExtension::from_oid_content(
        &[1, 3, 6, 1, 5, 5, 7, 1, 1],
        aia_ocsp(ocsp_url),
    ));
    let issuer = Issuer::from_params(&ca.intermediate_params, &ca.intermediate_key);
    let cert = params.signed_by(&key, &issuer).expect("developer");
    (cert.der().to_vec(), key.serialize_der())
}

/// AuthorityInfoAccess with one id-ad-ocsp URI.
fn aia_ocsp(url: &str) -> Vec<u8> {
    let oid = [0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x01];
    let mut desc = oid.to_vec();
    desc.extend(tlv(0x86, url.as_bytes()));
    tlv(0x30, &tlv(0x30, &desc))
}

fn tlv(tag: u8, content: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    match content.len() {
        n if n < 0x80 => out.push(n as u8),
        n if n < 0x100 => out.extend([0x81, n as u8]),
        n => out.extend([0x82, (n >> 8) as u8, n as u8]),
    }
    out.extend_from_slice(content);
    out
}
