//! Reading a package over HTTP Range requests against the test lab (groundwork of the package
//! checks): requests and bytes used, and a server that ignores Range.

mod support;

use std::sync::Arc;

use otadoctor::collect::net::{Net, NetOptions};
use otadoctor::collect::remote_zip::{HttpRanges, open, read_entry};
use support::lab::{Route, Site};

const HOST: &str = "ota.acme-apps.test";

/// An IPA whose Info.plist comes first and a `binary`-byte stored payload after it.
fn ipa(binary: usize) -> Vec<u8> {
    support::lab::ipa(&support::lab::IpaSpec {
        padding: binary,
        ..support::lab::IpaSpec::default()
    })
}

/// A runtime and a range source for `path` on the site.
fn ranges(site: &Site, path: &str) -> (tokio::runtime::Runtime, HttpRanges) {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    let source = HttpRanges::new(net(site), site.url(path));
    (runtime, source)
}

fn net(site: &Site) -> Arc<Net> {
    let options = NetOptions {
        timeout: std::time::Duration::from_secs(3),
        deadline: std::time::Duration::from_secs(20),
        pins: vec![
            format!("{HOST}:{}:127.0.0.1", site.lab.addr.port())
                .parse()
                .expect("pin"),
        ],
        dns_server: Some(site.lab.dns),
        ca_pem: vec![("lab".to_string(), site.lab.pki.root_pem.clone().into_bytes())],
        trust_store: None,
        now: support::NOW,
        proxies: otadoctor::collect::net::proxy::Proxies::none(),
        guard: None,
    };
    Arc::new(Net::new(&options).expect("net"))
}

#[test]
fn info_plist_of_an_8_mib_package_takes_two_requests_and_little_data() {
    let site = Site::correct(HOST);
    let package = ipa(8 * 1024 * 1024);
    site.lab
        .route("/big.ipa", Route::ok("application/octet-stream", package.clone()));
    let (runtime, source) = ranges(&site, "/big.ipa");
    let (zip, plist) = runtime.block_on(async {
        let mut zip = open(&source).await.expect("opens");
        let plist = read_entry(&source, &mut zip, "Payload/Field.app/Info.plist", 1 << 20)
            .await
            .expect("reads");
        (zip, plist)
    });
    assert!(
        plist.trim_ascii_end().ends_with(b"</plist>"),
        "{}",
        String::from_utf8_lossy(&plist)
    );
    let ranges: Vec<String> = site
        .lab
        .requests()
        .iter()
        .filter(|r| r.path == "/big.ipa")
        .filter_map(|r| r.range.clone())
        .collect();
    assert_eq!(ranges.len(), 2, "{ranges:?}");
    assert_eq!(ranges[0], "bytes=-65536");
    assert_eq!(zip.extents.requests, 2);
    assert!(
        zip.extents.bytes <= 256 * 1024,
        "{} bytes of {}",
        zip.extents.bytes,
        package.len()
    );
}

#[test]
fn a_server_that_ignores_range_is_an_error_not_a_download() {
    let site = Site::correct(HOST);
    site.lab.route(
        "/big.ipa",
        Route::ok("application/octet-stream", ipa(4 * 1024 * 1024)).no_ranges(),
    );
    let (runtime, source) = ranges(&site, "/big.ipa");
    let result = runtime.block_on(open(&source));
    let error = result.expect_err("no ranges");
    assert!(error.to_string().contains("ignores Range"), "{error}");
}
