//! A real OTA site for the tests: HTTPS servers on 127.0.0.1:0 (rustls, tokio) with a PKI made
//! by rcgen with explicit dates (root → intermediate → leaf), routes with switches for every
//! way a server can get OTA wrong, a request log, and a DNS server on loopback UDP.

#![allow(dead_code)]

use std::collections::HashMap;
use std::io::Write as _;
use std::net::{Ipv4Addr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rcgen::{
    BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, Issuer, KeyPair, KeyUsagePurpose,
};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer};
use time::OffsetDateTime;

use super::NOW;

/// A root and an intermediate CA; leaves for any names and dates.
pub struct Pki {
    pub root_pem: String,
    root_der: CertificateDer<'static>,
    intermediate_params: CertificateParams,
    intermediate_key: KeyPair,
    intermediate_der: CertificateDer<'static>,
}

/// A leaf with its chain, ready to serve.
#[derive(Clone)]
pub struct ServerCert {
    /// Leaf first; the intermediate unless left out on purpose.
    pub chain: Vec<CertificateDer<'static>>,
    pub key: Arc<PrivateKeyDer<'static>>,
}

fn days(n: i64) -> time::Duration {
    time::Duration::days(n)
}

impl Pki {
    pub fn new() -> Pki {
        let root_key = KeyPair::generate().expect("root key");
        let mut root = CertificateParams::new(Vec::<String>::new()).expect("root params");
        root.distinguished_name.push(DnType::CommonName, "otadoctor test root");
        root.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        root.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        root.not_before = NOW - days(400);
        root.not_after = NOW + days(3650);
        let root_cert = root.self_signed(&root_key).expect("root cert");
        let issuer = Issuer::new(root, root_key);
        let intermediate_key = KeyPair::generate().expect("intermediate key");
        let mut inter = CertificateParams::new(Vec::<String>::new()).expect("intermediate params");
        inter
            .distinguished_name
            .push(DnType::CommonName, "otadoctor test intermediate");
        inter.is_ca = IsCa::Ca(BasicConstraints::Constrained(0));
        inter.key_usages = vec![KeyUsagePurpose::KeyCertSign, KeyUsagePurpose::CrlSign];
        inter.not_before = NOW - days(300);
        inter.not_after = NOW + days(1800);
        let intermediate_der = inter
            .signed_by(&intermediate_key, &issuer)
            .expect("intermediate cert")
            .der()
            .clone();
        Pki {
            root_pem: root_cert.pem(),
            root_der: root_cert.der().clone(),
            intermediate_params: inter,
            intermediate_key,
            intermediate_der,
        }
    }

    /// A 90-day server certificate for `names`, issued by the intermediate, chain included.
    pub fn leaf(&self, names: &[&str]) -> ServerCert {
        self.leaf_with(names, NOW - days(10), NOW + days(80))
    }

    pub fn leaf_with(&self, names: &[&str], not_before: OffsetDateTime, not_after: OffsetDateTime) -> ServerCert {
        let key = KeyPair::generate().expect("leaf key");
        let mut params =
            CertificateParams::new(names.iter().map(|n| n.to_string()).collect::<Vec<_>>()).expect("leaf params");
        params
            .distinguished_name
            .push(DnType::CommonName, names.first().copied().unwrap_or("leaf"));
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        params.not_before = not_before;
        params.not_after = not_after;
        let issuer = Issuer::from_params(&self.intermediate_params, &self.intermediate_key);
        let cert = params.signed_by(&key, &issuer).expect("leaf cert");
        ServerCert {
            chain: vec![cert.der().clone(), self.intermediate_der.clone()],
            key: Arc::new(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()))),
        }
    }

    /// A leaf described by `spec`, issued by the intermediate (or self-signed).
    pub fn leaf_spec(&self, spec: &LeafSpec) -> ServerCert {
        let key = KeyPair::generate().expect("leaf key");
        let names: Vec<String> = if spec.san {
            spec.names.iter().map(|n| n.to_string()).collect()
        } else {
            Vec::new()
        };
        let mut params = CertificateParams::new(names).expect("leaf params");
        params
            .distinguished_name
            .push(DnType::CommonName, spec.names.first().copied().unwrap_or("leaf"));
        if spec.server_auth {
            params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth];
        }
        params.not_before = spec.not_before;
        params.not_after = spec.not_after;
        if let Some(url) = &spec.aia {
            params.custom_extensions.push(rcgen::CustomExtension::from_oid_content(
                &[1, 3, 6, 1, 5, 5, 7, 1, 1],
                aia_der(url),
            ));
        }
        if !spec.scts.is_empty() {
            params.custom_extensions.push(rcgen::CustomExtension::from_oid_content(
                &[1, 3, 6, 1, 4, 1, 11129, 2, 4, 2],
                der_octet_string(&sct_list(&spec.scts)),
            ));
        }
        let cert = if spec.self_signed {
            params.self_signed(&key).expect("self-signed leaf")
        } else {
            let issuer = Issuer::from_params(&self.intermediate_params, &self.intermediate_key);
            params.signed_by(&key, &issuer).expect("leaf cert")
        };
        let mut chain = vec![cert.der().clone()];
        if spec.with_intermediate && !spec.self_signed {
            chain.push(self.intermediate_der.clone());
        }
        ServerCert {
            chain,
            key: Arc::new(PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()))),
        }
    }

    /// The root's DER.
    pub fn root_der(&self) -> CertificateDer<'static> {
        self.root_der.clone()
    }

    /// Writes the root as PEM for `--ca-file` and returns the path.
    pub fn root_file(&self) -> String {
        let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
        let path = dir.join(format!("root-{}.pem", hex8(self.root_der.as_ref())));
        let mut f = std::fs::File::create(&path).expect("root file");
        f.write_all(self.root_pem.as_bytes()).expect("write root");
        path.display().to_string()
    }
}

fn hex8(der: &[u8]) -> String {
    let sum = der
        .iter()
        .fold(0u64, |acc, b| acc.wrapping_mul(31).wrapping_add(u64::from(*b)));
    format!("{sum:016x}")
}

impl ServerCert {
    /// The chain as served, leaf first, as PEM (for servers that read certificate files).
    pub fn chain_pem(&self) -> String {
        self.chain.iter().map(|der| pem("CERTIFICATE", der.as_ref())).collect()
    }

    /// The leaf alone as PEM (a server that sends no intermediate).
    pub fn leaf_pem(&self) -> String {
        self.chain
            .first()
            .map(|der| pem("CERTIFICATE", der.as_ref()))
            .unwrap_or_default()
    }

    /// The private key as PKCS#8 PEM.
    pub fn key_pem(&self) -> String {
        pem("PRIVATE KEY", self.key.secret_der())
    }
}

/// DER as a PEM block with `label`.
pub fn pem(label: &str, der: &[u8]) -> String {
    use base64::Engine as _;
    let text = base64::engine::general_purpose::STANDARD.encode(der);
    let mut out = format!("-----BEGIN {label}-----\n");
    for line in text.as_bytes().chunks(64) {
        out.push_str(&String::from_utf8_lossy(line));
        out.push('\n');
    }
    out.push_str(&format!("-----END {label}-----\n"));
    out
}

/// What a test leaf looks like; `LeafSpec::new(names)` is a correct 90-day leaf.
#[derive(Clone, Debug)]
pub struct LeafSpec {
    pub names: Vec<&'static str>,
    pub not_before: OffsetDateTime,
    pub not_after: OffsetDateTime,
    /// Put the names in a subjectAltName (else only the CN carries the first name).
    pub san: bool,
    pub server_auth: bool,
    pub self_signed: bool,
    /// Serve the intermediate after the leaf.
    pub with_intermediate: bool,
    /// An AIA caIssuers URL.
    pub aia: Option<String>,
    /// Embedded SCTs: (log id, timestamp in ms).
    pub scts: Vec<([u8; 32], u64)>,
}

impl LeafSpec {
    pub fn new(names: &[&'static str]) -> LeafSpec {
        LeafSpec {
            names: names.to_vec(),
            not_before: NOW - days(10),
            not_after: NOW + days(80),
            san: true,
            server_auth: true,
            self_signed: false,
            with_intermediate: true,
            aia: None,
            scts: Vec::new(),
        }
    }
}

/// AuthorityInfoAccess with one caIssuers URI.
fn aia_der(url: &str) -> Vec<u8> {
    let oid = [0x06, 0x08, 0x2b, 0x06, 0x01, 0x05, 0x05, 0x07, 0x30, 0x02];
    let mut uri = vec![0x86];
    push_len(&mut uri, url.len());
    uri.extend_from_slice(url.as_bytes());
    let mut desc = oid.to_vec();
    desc.extend_from_slice(&uri);
    let access = der_seq(&desc);
    der_seq(&access)
}

fn der_seq(content: &[u8]) -> Vec<u8> {
    let mut out = vec![0x30];
    push_len(&mut out, content.len());
    out.extend_from_slice(content);
    out
}

fn der_octet_string(content: &[u8]) -> Vec<u8> {
    let mut out = vec![0x04];
    push_len(&mut out, content.len());
    out.extend_from_slice(content);
    out
}

fn push_len(out: &mut Vec<u8>, len: usize) {
    if len < 0x80 {
        out.push(len as u8);
    } else if len < 0x100 {
        out.extend_from_slice(&[0x81, len as u8]);
    } else {
        out.extend_from_slice(&[0x82, (len >> 8) as u8, len as u8]);
    }
}

/// A TLS-encoded SignedCertificateTimestampList (RFC 6962 §3.3) with dummy signatures.
pub fn sct_list(scts: &[([u8; 32], u64)]) -> Vec<u8> {
    let mut items = Vec::new();
    for (log_id, timestamp) in scts {
        let mut sct = vec![0u8];
        sct.extend_from_slice(log_id);
        sct.extend_from_slice(&timestamp.to_be_bytes());
        sct.extend_from_slice(&[0, 0]); // no extensions
        sct.extend_from_slice(&[4, 3, 0, 4, 1, 2, 3, 4]); // sha256/ecdsa, a 4-byte "signature"
        items.extend_from_slice(&(sct.len() as u16).to_be_bytes());
        items.extend_from_slice(&sct);
    }
    let mut out = (items.len() as u16).to_be_bytes().to_vec();
    out.extend_from_slice(&items);
    out
}

/// Bytes standing for a stapled OCSP response that carries SCTs: the SingleResponse extension
/// (1.3.6.1.4.1.11129.2.4.5) is what otadoctor reads; rustls passes the staple on unverified.
pub fn ocsp_with_scts(scts: &[([u8; 32], u64)]) -> Vec<u8> {
    let list = der_octet_string(&sct_list(scts));
    let mut ext = vec![0x06, 0x0a, 0x2b, 0x06, 0x01, 0x04, 0x01, 0xd6, 0x79, 0x02, 0x04, 0x05];
    ext.extend_from_slice(&der_octet_string(&list));
    der_seq(&der_seq(&ext))
}

/// How the TLS server behaves beyond its certificate.
#[derive(Clone, Debug, Default)]
pub struct TlsOptions {
    /// Demand a client certificate issued by this root.
    pub client_auth_root: Option<CertificateDer<'static>>,
    /// With `client_auth_root`: ask for a client certificate but finish the handshake without
    /// one (as nginx's `ssl_verify_client on` does before it answers 400).
    pub client_auth_optional: bool,
    /// Staple this OCSP response.
    pub ocsp: Option<Vec<u8>>,
}

use otadoctor::demo::server::Server;
pub use otadoctor::demo::server::{Logged, Route};

/// An HTTPS server on 127.0.0.1:0 and a DNS server, on their own runtime thread.
pub struct Lab {
    pub addr: SocketAddr,
    pub dns: SocketAddr,
    pub pki: Arc<Pki>,
    server: Arc<Server>,
    dns_names: Arc<Mutex<HashMap<String, Ipv4Addr>>>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Lab {
    /// A server for `names` with a correct certificate chain.
    pub fn start(names: &[&str]) -> Lab {
        let pki = Arc::new(Pki::new());
        let cert = pki.leaf(names);
        Lab::start_with(pki, cert)
    }

    pub fn start_with(pki: Arc<Pki>, cert: ServerCert) -> Lab {
        Lab::start_tls(pki, cert, TlsOptions::default())
    }

    pub fn start_tls(pki: Arc<Pki>, cert: ServerCert, options: TlsOptions) -> Lab {
        let _ = rustls::crypto::ring::default_provider().install_default();
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("lab runtime");
        let dns_names: Arc<Mutex<HashMap<String, Ipv4Addr>>> = Arc::default();
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = rustls::ServerConfig::builder_with_provider(provider.clone())
            .with_safe_default_protocol_versions()
            .expect("versions");
        let builder = match &options.client_auth_root {
            Some(root) => {
                let mut roots = rustls::RootCertStore::empty();
                roots.add(root.clone()).expect("client root");
                let verifier = rustls::server::WebPkiClientVerifier::builder_with_provider(Arc::new(roots), provider);
                let verifier = if options.client_auth_optional {
                    verifier.allow_unauthenticated()
                } else {
                    verifier
                }
                .build()
                .expect("client verifier");
                builder.with_client_cert_verifier(verifier)
            }
            None => builder.with_no_client_auth(),
        };
        let config = match &options.ocsp {
            Some(ocsp) => builder.with_single_cert_with_ocsp(cert.chain.clone(), cert.key.clone_key(), ocsp.clone()),
            None => builder.with_single_cert(cert.chain.clone(), cert.key.clone_key()),
        }
        .expect("server cert");
        let listener = runtime
            .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let udp = runtime
            .block_on(tokio::net::UdpSocket::bind("127.0.0.1:0"))
            .expect("bind dns");
        let dns = udp.local_addr().expect("dns addr");
        let server = Server::new(HashMap::new(), None, true);
        server.serve_tls(&runtime, listener, Arc::new(config));
        runtime.spawn(serve_dns(udp, dns_names.clone()));
        Lab {
            addr,
            dns,
            pki,
            server,
            dns_names,
            runtime: Some(runtime),
        }
    }

    pub fn route(&self, path: &str, route: Route) -> &Lab {
        self.server.route(path, route);
        self
    }

    pub fn url(&self, host: &str, path: &str) -> String {
        format!("https://{host}:{}{path}", self.addr.port())
    }

    /// Makes the lab's DNS server answer `name` with `ip`.
    pub fn dns_answer(&self, name: &str, ip: Ipv4Addr) {
        if let Ok(mut names) = self.dns_names.lock() {
            names.insert(name.trim_end_matches('.').to_ascii_lowercase(), ip);
        }
    }

    /// The options that point `hosts` at this server, trust its root and keep every other
    /// name inside the lab (its DNS server answers NXDOMAIN): nothing leaves loopback.
    pub fn args(&self, hosts: &[&str]) -> Vec<String> {
        // the test packages' profiles are signed by the tests' profile CA
        let mut args = vec![
            "--ca-file".to_string(),
            self.pki.root_file(),
            "--dns-server".to_string(),
            self.dns.to_string(),
            "--profile-ca".to_string(),
            super::profile::ca_file(),
        ];
        for host in hosts {
            args.push("--resolve".to_string());
            args.push(format!("{host}:{}:127.0.0.1", self.addr.port()));
        }
        args
    }

    pub fn requests(&self) -> Vec<Logged> {
        self.server.requests()
    }

    pub fn connections(&self) -> usize {
        self.server.connections()
    }
}

impl Drop for Lab {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// A DNS server on loopback UDP alone, for tests whose HTTPS servers are not the lab's: it answers
/// NXDOMAIN to every name, so `--dns-server` keeps a run that leaves its `--resolve` pins inside.
pub struct DnsServer {
    pub addr: SocketAddr,
    runtime: Option<tokio::runtime::Runtime>,
}

impl DnsServer {
    pub fn start() -> DnsServer {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(1)
            .enable_all()
            .build()
            .expect("dns runtime");
        let udp = runtime
            .block_on(tokio::net::UdpSocket::bind("127.0.0.1:0"))
            .expect("bind dns");
        let addr = udp.local_addr().expect("dns addr");
        runtime.spawn(serve_dns(udp, Arc::default()));
        DnsServer {
            addr,
            runtime: Some(runtime),
        }
    }
}

impl Drop for DnsServer {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

/// Answers A queries for the names it knows, NXDOMAIN for the rest.
async fn serve_dns(socket: tokio::net::UdpSocket, names: Arc<Mutex<HashMap<String, Ipv4Addr>>>) {
    let mut buf = [0u8; 512];
    while let Ok((n, peer)) = socket.recv_from(&mut buf).await {
        let query = &buf[..n];
        if n < 12 {
            continue;
        }
        let mut at = 12;
        let mut labels = Vec::new();
        while at < n && query[at] != 0 {
            let len = query[at] as usize;
            labels.push(String::from_utf8_lossy(&query[at + 1..(at + 1 + len).min(n)]).to_ascii_lowercase());
            at += 1 + len;
        }
        let question_end = (at + 5).min(n);
        let qtype = if at + 3 <= n {
            u16::from_be_bytes([query[at + 1], query[at + 2]])
        } else {
            0
        };
        let name = labels.join(".");
        let known = names.lock().ok().and_then(|m| m.get(&name).copied());
        let mut reply = Vec::with_capacity(64);
        reply.extend_from_slice(&query[..2]);
        let rcode: u8 = if known.is_some() { 0 } else { 3 };
        reply.extend_from_slice(&[0x81, 0x80 | rcode]);
        reply.extend_from_slice(&[0, 1]);
        let answer = known.filter(|_| qtype == 1);
        reply.extend_from_slice(&[0, u8::from(answer.is_some()), 0, 0, 0, 0]);
        reply.extend_from_slice(&query[12..question_end]);
        if let Some(ip) = answer {
            reply.extend_from_slice(&[0xc0, 0x0c, 0, 1, 0, 1, 0, 0, 0, 60, 0, 4]);
            reply.extend_from_slice(&ip.octets());
        }
        let _ = socket.send_to(&reply, peer).await;
    }
}

/// A PNG of `w`×`h` (the demo's builder).
pub fn png(w: u32, h: u32) -> Vec<u8> {
    otadoctor::demo::package::png(w, h)
}

/// A package: a real IPA (Info.plist, an executable with Unix mode 755) padded with a stored
/// resource to about `len` bytes.
pub fn package(len: usize) -> Vec<u8> {
    // what the files other than the padding take (with a margin for the padding's own headers)
    let base = ipa(&IpaSpec::default()).len() + 256;
    ipa(&IpaSpec {
        padding: len.saturating_sub(base),
        ..IpaSpec::default()
    })
}

/// What a test IPA holds.
#[derive(Clone, Debug)]
pub struct IpaSpec {
    /// The .app folder names under Payload/ (or elsewhere with `root`).
    pub apps: Vec<&'static str>,
    /// A folder everything is put in (a wrapped archive).
    pub root: &'static str,
    pub info_plist: Option<String>,
    pub executable_mode: Option<u32>,
    /// Write no Unix modes at all (a zip made on Windows).
    pub no_unix_modes: bool,
    pub padding: usize,
    pub extra: Vec<(&'static str, Vec<u8>)>,
    /// More entries, named at run time (`signed_bundle`).
    pub nested: Vec<(String, Vec<u8>)>,
    pub large_file: bool,
    pub method: zip::CompressionMethod,
    /// `embedded.mobileprovision` of every app (a test-CA-signed ad hoc profile by default).
    pub profile: Option<Vec<u8>>,
    /// `_CodeSignature/CodeResources` of every app (sealing its Info.plist by default).
    pub seal: Option<SealSpec>,
    /// Every app's executable (a correctly signed one by default).
    pub executable: Executable,
}

/// An app's executable in a test package.
#[derive(Clone, Debug, Default)]
pub enum Executable {
    /// Signed as Xcode signs for the ad hoc profile: [`executable_spec`] for the Info.plist's
    /// bundle id, binding the package's Info.plist and CodeResources.
    #[default]
    Signed,
    /// Written from this spec; its Info.plist and CodeResources, when `None`, are the package's.
    Custom(Box<otadoctor::demo::codesign::MachOSpec>),
    /// These bytes as they are.
    Bytes(Vec<u8>),
}

/// The executable the test CA's developer certificate signs for `bundle_id` (team A1B2C3D4E5):
/// one arm64 slice of one 4 KiB page, one SHA-256 CodeDirectory, the entitlements the default profile grants in
/// XML and DER, signed on 2026-06-02. Tests change one thing of it.
pub fn executable_spec(bundle_id: &str) -> otadoctor::demo::codesign::MachOSpec {
    use otadoctor::demo::codesign::{MachOSpec, Signing, entitlements_plist};
    let ca = super::profile::ca();
    let mut spec = MachOSpec::executable(
        bundle_id,
        "A1B2C3D4E5",
        Some(entitlements_plist(
            &format!("A1B2C3D4E5.{bundle_id}"),
            "A1B2C3D4E5",
            false,
            "",
        )),
        Signing::Signed {
            cert_der: ca.developer_der.clone(),
            key_pkcs8: ca.developer_key.clone(),
            chain: vec![ca.intermediate_der.clone()],
        },
        rcgen::date_time_ymd(2026, 6, 2),
    );
    // one page of code: test packages stay a few KiB (tests/bounds.rs wants them under 16 KiB)
    spec.slices = vec![otadoctor::demo::codesign::SliceSpec::arm64(4096)];
    spec
}

/// The bundle id an XML Info.plist names (`com.acme.field` when it names none). Found by its
/// text, not parsed: test Info.plists include hostile ones (100,000 levels deep).
pub fn bundle_id_of(info_plist: &[u8]) -> String {
    let text = String::from_utf8_lossy(info_plist);
    text.split_once("<key>CFBundleIdentifier</key>")
        .and_then(|(_, rest)| rest.trim_start().strip_prefix("<string>")?.split_once("</string>"))
        .map(|(id, _)| id.to_string())
        .unwrap_or_else(|| "com.acme.field".to_string())
}

/// The bytes of an app's executable, binding `info_plist` and `code_resources` as signed.
pub fn executable_bytes(executable: &Executable, info_plist: Option<&[u8]>, code_resources: Option<&[u8]>) -> Vec<u8> {
    let mut spec = match executable {
        Executable::Bytes(bytes) => return bytes.clone(),
        Executable::Signed => executable_spec(&bundle_id_of(info_plist.unwrap_or_default())),
        Executable::Custom(spec) => (**spec).clone(),
    };
    if spec.info_plist.is_none() {
        spec.info_plist = info_plist.map(<[u8]>::to_vec);
    }
    if spec.code_resources.is_none() {
        spec.code_resources = code_resources.map(<[u8]>::to_vec);
    }
    otadoctor::demo::codesign::build(&spec).expect("build the test executable")
}

/// How the test package's CodeResources seals Info.plist.
#[derive(Clone, Debug, Default)]
pub struct SealSpec {
    /// Seal it in `files2` too (SHA-256), not only in `files` (SHA-1, as Xcode does).
    pub files2: bool,
    /// Seal these bytes instead of the Info.plist written (an Info.plist edited after signing,
    /// or a binary one written through `extra`).
    pub sealed_info_plist: Option<Vec<u8>>,
    /// More sealed resources (path inside the app, sealed bytes); the package holds them only
    /// when they are also written (`extra`), with the same or other bytes.
    pub resources: Vec<(String, Vec<u8>)>,
}

impl Default for IpaSpec {
    fn default() -> IpaSpec {
        IpaSpec {
            apps: vec!["Field.app"],
            root: "",
            info_plist: Some(info_plist("com.acme.field", "Field")),
            executable_mode: Some(0o755),
            no_unix_modes: false,
            padding: 0,
            extra: Vec::new(),
            nested: Vec::new(),
            large_file: false,
            method: zip::CompressionMethod::Deflated,
            profile: Some(super::profile::ProfileSpec::default().signed()),
            seal: Some(SealSpec::default()),
            executable: Executable::Signed,
        }
    }
}

/// The entries of a nested bundle (an extension, a watch app) at `path`, signed like the app:
/// its Info.plist, a profile for its own id and a CodeResources sealing the Info.plist.
pub fn signed_bundle(path: &str, info_plist: &str, bundle_id: &str) -> Vec<(String, Vec<u8>)> {
    let profile = super::profile::ProfileSpec {
        application_identifier: format!("A1B2C3D4E5.{bundle_id}"),
        ..Default::default()
    };
    let signed = profile.signed();
    let seal = super::profile::code_resources(
        info_plist.as_bytes(),
        false,
        &[("embedded.mobileprovision".to_string(), signed.clone())],
        &[],
    );
    vec![
        (format!("{path}/Info.plist"), info_plist.as_bytes().to_vec()),
        (format!("{path}/embedded.mobileprovision"), signed),
        (format!("{path}/_CodeSignature/CodeResources"), seal.into_bytes()),
    ]
}

/// An Info.plist for `bundle_id` whose executable is `executable`.
pub fn info_plist(bundle_id: &str, executable: &str) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\"><dict><key>CFBundleIdentifier</key><string>{bundle_id}</string><key>CFBundleExecutable</key><string>{executable}</string><key>CFBundleVersion</key><string>812</string><key>CFBundleShortVersionString</key><string>4.2</string><key>MinimumOSVersion</key><string>15.0</string><key>UIDeviceFamily</key><array><integer>1</integer><integer>2</integer></array></dict></plist>\n"
    )
}

/// Builds an IPA in memory with the zip crate.
pub fn ipa(spec: &IpaSpec) -> Vec<u8> {
    use std::io::Write as _;
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = |mode: u32| {
        let o = zip::write::SimpleFileOptions::default()
            .compression_method(spec.method)
            .large_file(spec.large_file);
        if spec.no_unix_modes {
            o
        } else {
            o.unix_permissions(mode)
        }
    };
    for app in &spec.apps {
        let dir = format!("{}Payload/{app}", spec.root);
        let mut seal_bytes: Option<Vec<u8>> = None;
        if let Some(seal) = &spec.seal {
            let sealed: &[u8] = match (&seal.sealed_info_plist, &spec.info_plist) {
                (Some(bytes), _) => bytes,
                (None, Some(text)) => text.as_bytes(),
                (None, None) => b"",
            };
            // what the signer saw: the profile, the payload (when small enough to hash in a
            // test), the extra resources, and nested code as cdhash entries
            let mut resources = seal.resources.clone();
            if let Some(profile) = &spec.profile {
                resources.push(("embedded.mobileprovision".to_string(), profile.clone()));
            }
            if spec.padding > 0 && spec.padding <= 64 * 1024 * 1024 {
                resources.push(("Assets.car".to_string(), vec![7u8; spec.padding]));
            }
            let mut nested: Vec<String> = spec
                .nested
                .iter()
                .filter_map(|(name, _)| {
                    let rest = name.strip_prefix(&format!("{dir}/"))?;
                    let mut parts = rest.split('/');
                    let (folder, bundle) = (parts.next()?, parts.next()?);
                    (bundle.ends_with(".appex") || bundle.ends_with(".app")).then(|| format!("{folder}/{bundle}"))
                })
                .collect();
            nested.sort();
            nested.dedup();
            let code_resources = super::profile::code_resources(sealed, seal.files2, &resources, &nested);
            zip.start_file(format!("{dir}/_CodeSignature/CodeResources"), options(0o644))
                .expect("entry");
            zip.write_all(code_resources.as_bytes()).expect("write");
            seal_bytes = Some(code_resources.into_bytes());
        }
        if let Some(plist) = &spec.info_plist {
            zip.start_file(format!("{dir}/Info.plist"), options(0o644))
                .expect("entry");
            zip.write_all(plist.as_bytes()).expect("write");
        }
        if let Some(profile) = &spec.profile {
            zip.start_file(format!("{dir}/embedded.mobileprovision"), options(0o644))
                .expect("entry");
            zip.write_all(profile).expect("write");
        }
        let exe = app.trim_end_matches(".app");
        zip.start_file(format!("{dir}/{exe}"), options(spec.executable_mode.unwrap_or(0o644)))
            .expect("entry");
        let executable = executable_bytes(
            &spec.executable,
            spec.info_plist.as_deref().map(str::as_bytes),
            seal_bytes.as_deref(),
        );
        zip.write_all(&executable).expect("write");
        if spec.padding > 0 {
            let stored = zip::write::SimpleFileOptions::default()
                .compression_method(zip::CompressionMethod::Stored)
                .large_file(spec.large_file);
            zip.start_file(format!("{dir}/Assets.car"), stored).expect("entry");
            zip.write_all(&vec![7u8; spec.padding]).expect("write");
        }
    }
    let nested = spec.nested.iter().map(|(n, b)| (n.as_str(), b));
    for (name, bytes) in spec.extra.iter().map(|(n, b)| (*n, b)).chain(nested) {
        zip.start_file(name.to_string(), options(0o644)).expect("entry");
        zip.write_all(bytes).expect("write");
    }
    zip.finish().expect("finish").into_inner()
}

/// A manifest as Xcode writes it, with the given asset URLs (the demo's builder).
pub fn manifest(package: &str, display: &str, full: &str, bundle_id: &str, title: &str) -> String {
    otadoctor::demo::package::manifest(package, display, full, bundle_id, title)
}

/// The correct site on `host`: a download page, its manifest, a package and two icons.
pub struct Site {
    pub lab: Lab,
    pub host: String,
    /// Things that must live as long as the site (an openssl server).
    pub guards: Vec<Box<dyn std::any::Any>>,
}

impl Site {
    pub const PAGE: &'static str = "/install.html";
    pub const MANIFEST: &'static str = "/app/manifest.plist";
    pub const PACKAGE: &'static str = "/app/Field.ipa";
    pub const DISPLAY: &'static str = "/app/icon-57.png";
    pub const FULL: &'static str = "/app/icon-512.png";

    pub fn correct(host: &str) -> Site {
        Site::with_lab(Lab::start(&[host]), host)
    }

    /// The correct site's files on `lab` (whatever certificate it serves).
    pub fn with_lab(lab: Lab, host: &str) -> Site {
        let site = Site {
            lab,
            host: host.to_string(),
            guards: Vec::new(),
        };
        site.serve_manifest(&site.manifest_text());
        site.lab.route(
            Site::PACKAGE,
            Route::ok("application/octet-stream", package(256 * 1024)),
        );
        site.lab.route(Site::DISPLAY, Route::ok("image/png", png(57, 57)));
        site.lab.route(Site::FULL, Route::ok("image/png", png(512, 512)));
        let page = format!(
            "<!doctype html><html><body><a href=\"{}\">Install</a></body></html>",
            site.link().replace('&', "&amp;")
        );
        site.lab.route(Site::PAGE, Route::ok("text/html; charset=utf-8", page));
        site
    }

    pub fn url(&self, path: &str) -> String {
        self.lab.url(&self.host, path)
    }

    pub fn manifest_text(&self) -> String {
        self.manifest_for_package(&self.url(Site::PACKAGE))
    }

    /// The correct manifest with the package at `url` instead.
    pub fn manifest_for_package(&self, url: &str) -> String {
        manifest(
            url,
            &self.url(Site::DISPLAY),
            &self.url(Site::FULL),
            "com.acme.field",
            "Field Service",
        )
    }

    pub fn serve_manifest(&self, text: &str) {
        self.lab
            .route(Site::MANIFEST, Route::ok("text/xml", text.as_bytes().to_vec()));
    }

    pub fn link(&self) -> String {
        otadoctor::check::repair::canonical_link(&self.url(Site::MANIFEST))
    }

    /// `otadoctor` options for this site plus `extra`.
    pub fn args(&self, extra: &[&str]) -> Vec<String> {
        let mut args = self.lab.args(&[&self.host]);
        args.extend(["--format".to_string(), "json".to_string()]);
        args.extend(extra.iter().map(|s| s.to_string()));
        args
    }
}

/// An `openssl s_server` on 127.0.0.1 for what rustls cannot serve (old TLS versions, CBC-only
/// suites, RSA-1024 keys); killed when dropped.
pub struct OpensslServer {
    pub port: u16,
    child: std::process::Child,
}

impl OpensslServer {
    /// Starts `openssl s_server` with the fixture `cert`/`key` (paths under testdata/pki) and
    /// `extra` options, and waits until it accepts connections.
    pub fn start(cert: &str, key: &str, extra: &[&str]) -> OpensslServer {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("a free port");
        let dir = format!("{}/testdata/pki", env!("CARGO_MANIFEST_DIR"));
        let child = std::process::Command::new("openssl")
            .arg("s_server")
            .args([
                "-accept",
                &format!("127.0.0.1:{port}"),
                "-cert",
                &format!("{dir}/{cert}"),
                "-key",
                &format!("{dir}/{key}"),
                "-www",
                "-quiet",
            ])
            .args(extra)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .expect("openssl s_server (.ci/run installs openssl)");
        for _ in 0..100 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(Duration::from_millis(30));
        }
        OpensslServer { port, child }
    }
}

impl Drop for OpensslServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A TCP server that answers every connection with bytes that are not TLS.
pub fn not_tls_server() -> (u16, std::thread::JoinHandle<()>) {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().map(|a| a.port()).expect("port");
    let handle = std::thread::spawn(move || {
        let _ = listener.set_nonblocking(false);
        for mut stream in listener.incoming().take(64).flatten() {
            let _ = std::io::Write::write_all(
                &mut stream,
                b"SSH-2.0-OpenSSH_9.6\r\n\x00\x00\x00garbage that is not a TLS record",
            );
        }
    });
    (port, handle)
}
