//! Every network scenario in `testdata/lab-scenarios.json`: a real HTTPS site on loopback set
//! up the named way, walked through the CLI entry point; the run must raise exactly the rules
//! listed, and a neighbour must not raise the rules it is the neighbour of. The human output of
//! each run is kept in target/tmp/lab-transcripts/ (the rule docs quote it).

mod support;

use std::collections::BTreeSet;
use std::net::Ipv4Addr;
use std::time::Duration;

use serde::Deserialize;
use support::lab::{Route, Site, package, png};
use support::{otadoctor_args, testdata};

#[derive(Deserialize)]
struct Scenario {
    name: String,
    setup: String,
    raises: Vec<String>,
    #[serde(default)]
    neighbour_of: Vec<String>,
}

const HOST: &str = "ota.acme-apps.test";

/// Builds the site for `setup` and returns it with the arguments to run.
fn build(setup: &str) -> (Site, Vec<String>) {
    if setup.starts_with("tls-") {
        return build_tls(setup);
    }
    let mut site = Site::correct(HOST);
    // an OCSP responder the setup starts, kept as long as the site
    let mut responder: Option<support::ocsp::Responder> = None;
    let lab = &site.lab;
    let mut input = site.link();
    let mut extra: Vec<String> = Vec::new();
    let broken_manifest = |text: String| site.serve_manifest(&text);
    match setup {
        "correct-site" => {}
        "correct-page" => input = site.url(Site::PAGE),
        // HTTP014: the page sniffs the User-Agent; iPadOS Safari asks as a Mac by default
        "ipad-page-without-link" | "ipad-page-other-link" | "ipad-page-same-link-written-otherwise" => {
            let phone_page = format!(
                "<!doctype html><html><body><h1>Field Service</h1><a href=\"{}\">Install</a></body></html>",
                site.link().replace('&', "&amp;")
            );
            let mac_page = match setup {
                "ipad-page-without-link" => {
                    "<!doctype html><html><body><h1>Field Service</h1><p>Open this page on your iPhone to install the app.</p></body></html>".to_string()
                }
                "ipad-page-other-link" => format!(
                    "<!doctype html><html><body><a href=\"{}\">Install for Mac</a></body></html>",
                    otadoctor::check::repair::canonical_link(&site.url("/mac/manifest.plist")).replace('&', "&amp;")
                ),
                // the same manifest URL, written unencoded and with its entity undecoded in a
                // script string: another text, the same link
                _ => format!(
                    "<!doctype html><html><body><p>Tap to install</p><button onclick=\"location.href='itms-services://?action=download-manifest&amp;url={}'\">Install</button></body></html>",
                    site.url(Site::MANIFEST)
                ),
            };
            lab.route(
                "/install.html",
                Route::ok("text/html; charset=utf-8", mac_page)
                    .for_agent("iPhone", Route::ok("text/html; charset=utf-8", phone_page)),
            );
            input = site.url(Site::PAGE);
        }
        "manifest-url-input" => input = site.url(Site::MANIFEST),
        "unknown-host" => {
            input = otadoctor::check::repair::canonical_link(&format!(
                "https://nowhere.acme-apps.test:{}/app/manifest.plist",
                lab.addr.port()
            ))
        }
        "private-dns-answer" => {
            // no --resolve: the name goes to the lab's DNS server, which answers 127.0.0.1
            lab.dns_answer(HOST, Ipv4Addr::LOCALHOST);
            let mut args = lab.args(&[]);
            args.extend([
                "--timeout".to_string(),
                "3".to_string(),
                "--format".to_string(),
                "json".to_string(),
                input,
            ]);
            return (site, args);
        }
        "connection-refused" => {
            let port = std::net::TcpListener::bind("127.0.0.1:0")
                .and_then(|l| l.local_addr())
                .map(|a| a.port())
                .unwrap_or(9);
            input = otadoctor::check::repair::canonical_link(&format!("https://closed.acme-apps.test:{port}/m.plist"));
            extra = vec!["--resolve".into(), format!("closed.acme-apps.test:{port}:127.0.0.1")];
        }
        "first-byte-timeout" => {
            lab.route(
                Site::MANIFEST,
                Route::ok("text/xml", site.manifest_text()).delay(Duration::from_millis(2500)),
            );
            extra = vec!["--timeout".into(), "1".into()];
        }
        "slow-first-byte" => {
            lab.route(
                Site::MANIFEST,
                Route::ok("text/xml", site.manifest_text()).delay(Duration::from_millis(5300)),
            );
            extra = vec!["--timeout".into(), "8".into()];
        }
        "manifest-404" => {
            lab.route(
                Site::MANIFEST,
                Route::status(404, "text/html", "<html><body>Not Found</body></html>").header("server", "nginx/1.24.0"),
            );
        }
        "package-404" => {
            lab.route(
                Site::PACKAGE,
                Route::status(404, "application/xml", "<Error><Code>NoSuchKey</Code></Error>")
                    .header("server", "AmazonS3"),
            );
        }
        "s3-access-denied" => {
            let body = "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Error><Code>AccessDenied</Code><Message>Request has expired</Message></Error>";
            lab.route(
                Site::PACKAGE,
                Route::status(403, "application/xml", body).header("server", "AmazonS3"),
            );
        }
        "package-redirect-signed" => {
            let signed = format!(
                "{}?X-Amz-Credential=sso%2Fauth&X-Amz-Signature=login",
                site.url("/cdn/Field.ipa")
            );
            lab.route(
                "/cdn/Field.ipa",
                Route::ok("application/octet-stream", package(64 * 1024)),
            );
            lab.route("/dl/Field.ipa", Route::redirect(302, &signed));
            broken_manifest(site.manifest_for_package(&site.url("/dl/Field.ipa")));
        }
        "iis-404" => {
            lab.route(
                Site::MANIFEST,
                Route::status(
                    404,
                    "text/html",
                    "<html><body>404 - File or directory not found.</body></html>",
                )
                .header("server", "Microsoft-IIS/10.0"),
            );
        }
        "manifest-redirect" => {
            lab.route("/old/manifest.plist", Route::redirect(301, &site.url(Site::MANIFEST)));
            input = otadoctor::check::repair::canonical_link(&site.url("/old/manifest.plist"));
        }
        "package-redirect" => {
            lab.route("/dl/Field.ipa", Route::redirect(302, &site.url(Site::PACKAGE)));
            broken_manifest(site.manifest_for_package(&site.url("/dl/Field.ipa")));
        }
        "redirect-loop" => {
            lab.route("/loop/a", Route::redirect(302, &site.url("/loop/b")));
            lab.route("/loop/b", Route::redirect(302, &site.url("/loop/a")));
            input = otadoctor::check::repair::canonical_link(&site.url("/loop/a"));
        }
        "basic-auth" => {
            lab.route(
                Site::MANIFEST,
                Route::status(401, "text/html", "<html><body>401</body></html>")
                    .header("www-authenticate", "Basic realm=\"builds\""),
            );
        }
        "login-redirect" => {
            lab.route(
                Site::MANIFEST,
                Route::redirect(302, &site.url("/sso/login?next=/app/manifest.plist")),
            );
            lab.route(
                "/sso/login",
                Route::ok(
                    "text/html",
                    "<html><head><title>Sign in</title></head><body>form</body></html>",
                ),
            );
        }
        "html-manifest" => {
            lab.route(
                Site::MANIFEST,
                Route::ok(
                    "text/html",
                    "<!DOCTYPE html><html><head><title>Field Service – Download</title></head><body>app</body></html>",
                ),
            );
        }
        "html-package" => {
            lab.route(
                Site::PACKAGE,
                Route::ok(
                    "text/html",
                    "<!doctype html><html><head><title>Dropbox</title></head><body>preview</body></html>",
                ),
            );
        }
        "waf-challenge" => {
            lab.route(Site::MANIFEST, Route::status(403, "text/html", "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body>challenge-platform</body></html>").header("cf-mitigated", "challenge").header("server", "cloudflare"));
        }
        "manifest-as-text-html" => {
            lab.route(Site::MANIFEST, Route::ok("text/html", site.manifest_text()));
        }
        "head-refused" => {
            lab.route(
                Site::PACKAGE,
                Route::ok("application/octet-stream", package(256 * 1024)).head(403),
            );
        }
        "no-content-length" => {
            lab.route(
                Site::PACKAGE,
                Route::ok("application/octet-stream", package(64 * 1024)).no_length(),
            );
        }
        "range-ignored-large" => {
            lab.route(
                Site::PACKAGE,
                Route::ok("application/octet-stream", package(65 * 1024 * 1024)).no_ranges(),
            );
        }
        "range-ignored" => {
            lab.route(
                Site::PACKAGE,
                Route::ok("application/octet-stream", package(64 * 1024)).no_ranges(),
            );
        }
        "remote-package-wrapped" => {
            let wrapped = support::lab::ipa(&support::lab::IpaSpec {
                root: "FieldService/",
                padding: 64 * 1024,
                ..Default::default()
            });
            lab.route(Site::PACKAGE, Route::ok("application/octet-stream", wrapped));
        }
        "remote-bundle-id-mismatch" => {
            // built and signed for another app id
            let profile = support::profile::ProfileSpec {
                application_identifier: "A1B2C3D4E5.com.acme.field-beta".to_string(),
                ..Default::default()
            };
            let other = support::lab::ipa(&support::lab::IpaSpec {
                info_plist: Some(support::lab::info_plist("com.acme.field-beta", "Field")),
                profile: Some(profile.signed()),
                padding: 64 * 1024,
                ..Default::default()
            });
            lab.route(Site::PACKAGE, Route::ok("application/octet-stream", other));
        }
        "remote-simulator-build" => {
            let plist = support::lab::info_plist("com.acme.field", "Field").replace(
                "</dict></plist>",
                "<key>DTPlatformName</key><string>iphonesimulator</string></dict></plist>",
            );
            let simulator = support::lab::ipa(&support::lab::IpaSpec {
                info_plist: Some(plist),
                nested: support::lab::signed_bundle(
                    "Payload/Field.app/PlugIns/Share.appex",
                    &support::lab::info_plist("com.acme.share", "Share"),
                    "com.acme.share",
                ),
                padding: 64 * 1024,
                ..Default::default()
            });
            lab.route(Site::PACKAGE, Route::ok("application/octet-stream", simulator));
        }
        "wrong-range-bytes" => {
            let body = support::lab::ipa(&support::lab::IpaSpec {
                padding: 256 * 1024,
                ..Default::default()
            });
            lab.route(
                Site::PACKAGE,
                Route::ok("application/octet-stream", body).wrong_range_bytes(4096),
            );
        }
        "lfs-pointer" => {
            lab.route(Site::PACKAGE, Route::ok("application/octet-stream", "version https://git-lfs.github.com/spec/v1\noid sha256:4d7a214614ab2935c943f9e0ff69d22eadbb8f32b1258daaa5e2ca24d17e2393\nsize 48211733\n"));
        }
        "agent-dependent" => {
            let page = Route::ok(
                "text/html",
                "<!doctype html><html><head><title>Open on your iPhone</title></head><body>use Safari</body></html>",
            );
            lab.route(
                Site::MANIFEST,
                page.for_agent("Safari", Route::ok("text/xml", site.manifest_text())),
            );
        }
        "huge-manifest" => {
            lab.route(Site::MANIFEST, Route::ok("text/xml", vec![b' '; 2 * 1024 * 1024]));
        }
        "raw-ampersand" => {
            let text = site.manifest_text().replace(
                "Field.ipa</string>",
                "Field.ipa?X-Amz-Date=20261125T090000Z&X-Amz-Expires=604800&X-Amz-Signature=9f2c</string>",
            );
            broken_manifest(text);
        }
        "icons-wrong" => {
            lab.route(Site::DISPLAY, Route::ok("image/jpeg", b"\xff\xd8\xff\xe0JFIF".to_vec()));
            lab.route(Site::FULL, Route::ok("image/png", png(1024, 1024)));
        }
        "hash-chunks" => {
            let text = site.manifest_text().replace(
                "<string>software-package</string>",
                "<string>software-package</string>\n\t\t\t\t\t<key>md5-size</key>\n\t\t\t\t\t<integer>65536</integer>\n\t\t\t\t\t<key>md5s</key>\n\t\t\t\t\t<array><string>a</string><string>b</string></array>",
            );
            broken_manifest(text);
        }
        "hash-chunks-right" => {
            let md5s: String = (0..4).map(|i| format!("<string>{i:032x}</string>")).collect();
            let text = site.manifest_text().replace(
                "<string>software-package</string>",
                &format!("<string>software-package</string>\n\t\t\t\t\t<key>md5-size</key>\n\t\t\t\t\t<integer>65536</integer>\n\t\t\t\t\t<key>md5s</key>\n\t\t\t\t\t<array>{md5s}</array>"),
            );
            broken_manifest(text);
        }
        "http-package-url" => {
            let text = site.manifest_text().replace(
                &format!("https://{HOST}:{}/app/Field.ipa", lab.addr.port()),
                &format!("http://{HOST}:{}/app/Field.ipa", lab.addr.port()),
            );
            broken_manifest(text);
        }
        "file-asset-url" => {
            let text = site
                .manifest_text()
                .replace(&site.url(Site::DISPLAY), "file:///etc/passwd");
            broken_manifest(text);
        }
        // answers that are not valid HTTP, or end early, or trickle, or come compressed
        "manifest-not-http" => {
            let mut raw =
                b"HTTP/1.1 200 OK\r\ncontent-type: text/xml\r\ncontent-length: 1\r\ncontent-length: 2\r\n\r\n".to_vec();
            raw.extend_from_slice(site.manifest_text().as_bytes());
            lab.route(Site::MANIFEST, Route::raw(raw));
        }
        "manifest-cut-short" => {
            let raw = b"HTTP/1.1 200 OK\r\ncontent-type: text/xml\r\ncontent-length: 100000\r\n\r\n<?xml vers".to_vec();
            lab.route(Site::MANIFEST, Route::raw(raw).without_close_notify());
        }
        "manifest-ends-with-connection" => {
            // HTTP/1.0, no length: the body ends where the connection ends, here without TLS
            // close_notify, which the phone accepts
            let mut raw = b"HTTP/1.0 200 OK\r\ncontent-type: text/xml\r\n\r\n".to_vec();
            raw.extend_from_slice(site.manifest_text().as_bytes());
            lab.route(Site::MANIFEST, Route::raw(raw).without_close_notify());
        }
        "manifest-head-trickles" => {
            let raw = format!(
                "HTTP/1.1 200 OK\r\ncontent-type: text/xml\r\nx-padding: {}\r\n\r\n",
                "a".repeat(200)
            );
            lab.route(
                Site::MANIFEST,
                Route::raw(raw.into_bytes()).trickle(Duration::from_millis(100)),
            );
            extra = vec!["--timeout".into(), "2".into()];
        }
        "manifest-gzip" | "manifest-gzip-bomb" => {
            use std::io::Write as _;
            let plain = if setup == "manifest-gzip" {
                site.manifest_text().into_bytes()
            } else {
                vec![b' '; 16 * 1024 * 1024]
            };
            let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
            gz.write_all(&plain).expect("gzip");
            let body = gz.finish().expect("gzip");
            lab.route(
                Site::MANIFEST,
                Route::ok("text/xml", body).header("content-encoding", "gzip"),
            );
        }
        "manifest-redirect-to-file" => {
            lab.route(Site::MANIFEST, Route::redirect(302, "file:///etc/passwd"));
        }
        "package-wrong-content-range" => {
            lab.route(
                Site::PACKAGE,
                Route::ok("application/octet-stream", package(256 * 1024)).wrong_content_range(4096),
            );
        }
        // --deep: the package downloaded in ranges, hashed and its seal checked
        "deep-hashes-right" | "deep-hashes-wrong" | "deep-remote-file-added" => {
            let mut spec = support::lab::IpaSpec {
                padding: 300 * 1024,
                ..Default::default()
            };
            if setup == "deep-remote-file-added" {
                spec.extra = vec![("Payload/Field.app/config.json", b"{}".to_vec())];
            }
            let bytes = support::lab::ipa(&spec);
            let hex = |d: &[u8]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
            let md5 = {
                use md5::Digest as _;
                hex(&md5::Md5::digest(&bytes))
            };
            let chunk = 128 * 1024;
            let mut sha256s: Vec<String> = bytes
                .chunks(chunk)
                .map(|c| hex(ring::digest::digest(&ring::digest::SHA256, c).as_ref()))
                .collect();
            let md5 = if setup == "deep-hashes-wrong" {
                // the hashes of the build before this one
                sha256s[1] = "0".repeat(64);
                md5.replace(|c: char| c.is_ascii_digit(), "a")
            } else {
                md5
            };
            let list: String = sha256s.drain(..).map(|h| format!("<string>{h}</string>")).collect();
            lab.route(Site::PACKAGE, Route::ok("application/octet-stream", bytes));
            let text = site.manifest_text().replace(
                "<string>software-package</string>",
                &format!("<string>software-package</string>\n\t\t\t\t\t<key>md5</key>\n\t\t\t\t\t<string>{md5}</string>\n\t\t\t\t\t<key>sha256-size</key>\n\t\t\t\t\t<integer>{chunk}</integer>\n\t\t\t\t\t<key>sha256s</key>\n\t\t\t\t\t<array>{list}</array>"),
            );
            broken_manifest(text);
            extra = vec!["--deep".into()];
        }
        // the package's signing, read by Range from the lab
        "remote-unsigned"
        | "remote-expired-profile"
        | "remote-edited-info-plist"
        | "remote-not-apple"
        | "remote-udid-not-listed" => {
            let mut spec = support::lab::IpaSpec {
                padding: 64 * 1024,
                ..Default::default()
            };
            match setup {
                "remote-unsigned" => {
                    spec.profile = None;
                    spec.seal = None;
                }
                "remote-expired-profile" => {
                    let expired = support::profile::ProfileSpec {
                        created: rcgen::date_time_ymd(2025, 9, 1),
                        expires: rcgen::date_time_ymd(2026, 9, 1),
                        ..Default::default()
                    };
                    spec.profile = Some(expired.signed());
                }
                "remote-edited-info-plist" => {
                    let original = support::lab::info_plist("com.acme.field", "Field");
                    spec.info_plist = Some(original.replace("812", "813"));
                    spec.seal = Some(support::lab::SealSpec {
                        files2: true,
                        sealed_info_plist: Some(original.into_bytes()),
                        ..Default::default()
                    });
                }
                "remote-udid-not-listed" => extra = vec!["--udid".into(), "00008110-000A1B2C3D4E5F60".into()],
                _ => {}
            }
            lab.route(
                Site::PACKAGE,
                Route::ok("application/octet-stream", support::lab::ipa(&spec)),
            );
        }
        // SIG022: the distribution certificate's OCSP responder (openssl ocsp on loopback)
        // answers revoked; its neighbour, good
        "remote-revoked-certificate" | "remote-certificate-good" => {
            const REVOKED: &str = "5A0101";
            const GOOD: &str = "5A0102";
            let ocsp = support::ocsp::Responder::start(&[
                (REVOKED, support::ocsp::Status::Revoked),
                (GOOD, support::ocsp::Status::Good),
            ]);
            let serial = if setup == "remote-revoked-certificate" {
                REVOKED
            } else {
                GOOD
            };
            let profile = support::profile::ProfileSpec {
                // and the usual one, which names no responder
                developer_certificates: Some(vec![
                    support::ocsp::developer(serial, &ocsp.url()),
                    support::profile::ca().developer_der.clone(),
                ]),
                ..Default::default()
            };
            let spec = support::lab::IpaSpec {
                profile: Some(profile.signed()),
                ..Default::default()
            };
            lab.route(
                Site::PACKAGE,
                Route::ok("application/octet-stream", support::lab::ipa(&spec)),
            );
            responder = Some(ocsp);
        }
        other => panic!("unknown setup {other}"),
    }
    if let Some(ocsp) = responder {
        site.guards.push(Box::new(ocsp));
    }
    let mut args = site.args(&[]);
    if setup == "remote-not-apple" {
        // as a device judges it: the tests' profile CA is not Apple's
        if let Some(at) = args.iter().position(|a| a == "--profile-ca") {
            args.drain(at..at + 2);
        }
    }
    if !extra.iter().any(|a| a == "--timeout") {
        args.extend(["--timeout".to_string(), "3".to_string()]);
    }
    args.extend(extra);
    args.push(input);
    (site, args)
}

/// nginx 1.22's error page for a request without the client certificate `ssl_verify_client on`
/// requires (seen from the real server in tests/real_servers.rs).
const NGINX_NO_CERTIFICATE: &str = "<html>\r\n<head><title>400 No required SSL certificate was sent</title></head>\r\n<body>\r\n<center><h1>400 Bad Request</h1></center>\r\n<center>No required SSL certificate was sent</center>\r\n<hr><center>nginx/1.22.1</center>\r\n</body>\r\n</html>\r\n";

/// SCTs from `n` logs Apple counts, from distinct operators where it can (RFC 6962 logs).
fn valid_scts(n: usize) -> Vec<([u8; 32], u64)> {
    let list = otadoctor::ctlog::CtLogList::shipped();
    let mut operators: Vec<&str> = Vec::new();
    let mut out = Vec::new();
    let at = u64::try_from((support::NOW - time::Duration::days(10)).unix_timestamp()).unwrap_or(0) * 1000;
    for log in list.logs.iter().filter(|l| l.state == "usable" && l.rfc6962) {
        if out.len() == n {
            break;
        }
        if operators.contains(&log.operator.as_str()) && operators.len() < 2 {
            continue;
        }
        operators.push(&log.operator);
        if let Ok(id) = <[u8; 32]>::try_from(log.log_id.as_slice()) {
            out.push((id, at));
        }
    }
    out
}

/// A site whose TLS is set up the `setup` way.
fn build_tls(setup: &str) -> (Site, Vec<String>) {
    use support::lab::{Lab, LeafSpec, OpensslServer, Pki, TlsOptions, not_tls_server};
    use time::Duration as D;
    let pki = std::sync::Arc::new(Pki::new());
    let now = support::NOW;
    let mut spec = LeafSpec::new(&[HOST]);
    let mut options = TlsOptions::default();
    // --trust-store: the lab root stands for a public root (the 398-day, CT and CA/B rules apply)
    let mut public = false;
    let mut trusted = true;
    match setup {
        "tls-expired" => (spec.not_before, spec.not_after) = (now - D::days(100), now - D::days(5)),
        "tls-not-yet-valid" => (spec.not_before, spec.not_after) = (now + D::days(5), now + D::days(95)),
        "tls-wrong-host" => spec.names = vec!["other.acme-apps.test"],
        "tls-cn-only" => spec.san = false,
        "tls-no-eku" => spec.server_auth = false,
        "tls-900-days" => spec.not_after = spec.not_before + D::days(900),
        "tls-expiring-soon" => spec.not_after = now + D::days(10),
        "tls-self-signed" => spec.self_signed = true,
        "tls-missing-intermediate-aia" => {
            spec.with_intermediate = false;
            spec.aia = Some("http://ca.acme-apps.test/intermediate.crt".to_string());
        }
        "tls-missing-intermediate" => spec.with_intermediate = false,
        "tls-untrusted-root" => trusted = false,
        "tls-client-cert" => options.client_auth_root = Some(pki.root_der()),
        "tls-client-cert-400" => {
            options.client_auth_root = Some(pki.root_der());
            options.client_auth_optional = true;
        }
        "tls-three-problems" => {
            spec.names = vec!["other.acme-apps.test"];
            spec.server_auth = false;
            (spec.not_before, spec.not_after) = (now - D::days(100), now - D::days(5));
        }
        "tls-400-days-public" => {
            public = true;
            spec.not_after = spec.not_before + D::days(400);
            spec.scts = valid_scts(3);
        }
        "tls-cabf-public" => {
            public = true;
            spec.not_after = spec.not_before + D::days(250);
            spec.scts = valid_scts(3);
        }
        "tls-ct-compliant" => {
            public = true;
            spec.scts = valid_scts(2);
        }
        "tls-ct-ocsp" => {
            public = true;
            let scts = valid_scts(2);
            spec.scts = scts[..1].to_vec();
            options.ocsp = Some(support::lab::ocsp_with_scts(&scts[1..]));
        }
        "tls-ct-unknown-logs" => {
            public = true;
            let at = u64::try_from((now - D::days(10)).unix_timestamp()).unwrap_or(0) * 1000;
            spec.scts = vec![([0xab; 32], at), ([0xcd; 32], at)];
        }
        "tls-sha1" | "tls-rsa1024" | "tls-old-version" | "tls-cbc-only" | "tls-not-tls" => {}
        other => panic!("unknown setup {other}"),
    }
    let fixture_root = format!("{}/testdata/pki/root.pem", env!("CARGO_MANIFEST_DIR"));
    let fixture =
        |name: &str| std::fs::read(format!("{}/testdata/pki/{name}", env!("CARGO_MANIFEST_DIR"))).expect("fixture");
    let cert = if setup == "tls-sha1" {
        let chain: Vec<_> = rustls::pki_types::pem::PemObject::pem_slice_iter(&fixture("sha1-leaf.pem"))
            .filter_map(Result::ok)
            .collect();
        let key = rustls::pki_types::pem::PemObject::from_pem_slice(&fixture("sha1-leaf.key")).expect("key");
        support::lab::ServerCert {
            chain,
            key: std::sync::Arc::new(key),
        }
    } else {
        pki.leaf_spec(&spec)
    };
    let site = Site::with_lab(Lab::start_tls(pki.clone(), cert, options), HOST);
    if setup == "tls-client-cert-400" {
        // what nginx with `ssl_verify_client on` answers a request without a certificate
        site.lab.route(
            Site::MANIFEST,
            Route::status(400, "text/html", NGINX_NO_CERTIFICATE).header("server", "nginx/1.22.1"),
        );
    }
    let mut args = vec![
        "--dns-server".to_string(),
        site.lab.dns.to_string(),
        "--profile-ca".to_string(),
        support::profile::ca_file(),
        "--timeout".into(),
        "3".into(),
        "--format".into(),
        "json".into(),
    ];
    let mut port = site.lab.addr.port();
    let mut site = site;
    match setup {
        "tls-sha1" => args.extend(["--ca-file".to_string(), fixture_root]),
        "tls-rsa1024" | "tls-old-version" | "tls-cbc-only" => {
            let (cert, key, extra): (&str, &str, &[&str]) = match setup {
                "tls-rsa1024" => (
                    "rsa1024-leaf.pem",
                    "rsa1024-leaf.key",
                    &["-cipher", "DEFAULT@SECLEVEL=0"],
                ),
                "tls-old-version" => (
                    "rsa2048-leaf.pem",
                    "rsa2048-leaf.key",
                    &["-tls1_1", "-cipher", "DEFAULT@SECLEVEL=0"],
                ),
                _ => (
                    "rsa2048-leaf.pem",
                    "rsa2048-leaf.key",
                    &["-tls1_2", "-cipher", "ECDHE-RSA-AES128-SHA:@SECLEVEL=0"],
                ),
            };
            let server = OpensslServer::start(cert, key, extra);
            port = server.port;
            site.guards.push(Box::new(server));
            args.extend(["--ca-file".to_string(), fixture_root]);
        }
        "tls-not-tls" => {
            let (p, handle) = not_tls_server();
            port = p;
            site.guards.push(Box::new(handle));
        }
        _ if public => args.extend(["--trust-store".to_string(), pki.root_file()]),
        _ if trusted => args.extend(["--ca-file".to_string(), pki.root_file()]),
        _ => {}
    }
    args.extend(["--resolve".to_string(), format!("{HOST}:{port}:127.0.0.1")]);
    args.push(otadoctor::check::repair::canonical_link(&format!(
        "https://{HOST}:{port}{}",
        Site::MANIFEST
    )));
    (site, args)
}

fn scenarios() -> Vec<Scenario> {
    let text = std::fs::read_to_string(testdata("lab-scenarios.json")).expect("testdata/lab-scenarios.json");
    serde_json::from_str(&text).expect("a list of scenarios")
}

fn transcript(name: &str, args: &[String]) {
    let mut human: Vec<String> = args.to_vec();
    if let Some(i) = human.iter().position(|a| a == "--format") {
        human.drain(i..i + 2);
    }
    let run = otadoctor_args(&human);
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("lab-transcripts");
    let _ = std::fs::create_dir_all(&dir);
    let _ = std::fs::write(
        dir.join(format!("{name}.txt")),
        format!("$ otadoctor {}\n{}", quoted(&human).join(" "), run.stdout),
    );
}

/// The arguments as a shell needs them.
fn quoted(args: &[String]) -> Vec<String> {
    args.iter()
        .map(|a| {
            if a.contains(['&', '?', ' ']) {
                format!("'{a}'")
            } else {
                a.clone()
            }
        })
        .collect()
}

#[test]
fn every_lab_scenario_raises_exactly_its_rules() {
    let mut failures = Vec::new();
    for s in scenarios() {
        let (site, args) = build(&s.setup);
        let run = otadoctor_args(&args);
        support::dump_json("lab", &s.name, &run);
        let codes: BTreeSet<String> = run.codes().into_iter().collect();
        let expected: BTreeSet<String> = s.raises.iter().cloned().collect();
        if codes != expected || run.code == 2 {
            failures.push(format!(
                "{} ({}): expected {:?}, got {:?} (exit {}) {}",
                s.name, s.setup, expected, codes, run.code, run.stderr
            ));
        }
        for silent in &s.neighbour_of {
            if codes.contains(silent) {
                failures.push(format!("{}: neighbour of {silent} raised it", s.name));
            }
        }
        transcript(&s.setup, &args);
        drop(site);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
