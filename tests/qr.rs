//! QR codes in images as inputs: every image here is made at run time (tests/support/qrgen.rs
//! renders codes with the `qrcode` crate, then turns, speckles, blurs and photographs them),
//! written to a file and read by the real pipeline. Each test asserts the decoded text exactly.

#[path = "support/qrgen.rs"]
mod qrgen;
mod support;

use std::time::Instant;

use image::GrayImage;
use otadoctor::collect::PackageOptions;
use otadoctor::collect::input::{InputError, read_argument};
use otadoctor::facts::{Input, InputKind};
use qrcode::EcLevel;
use qrgen::{canvas, code, jpeg, photo, place, png, rotate, speckle};
use support::lab::Site;
use support::{Rng, Run, otadoctor, otadoctor_args};

const LINK: &str = "itms-services://?action=download-manifest&url=https://ota.acme-apps.io/field/manifest.plist";
const AMP_LINK: &str =
    "itms-services://?action=download-manifest&amp;url=https://ota.acme-apps.io/field/manifest.plist";
const PAGE: &str = "https://ota.acme-apps.io/field/install.html";
const WIFI: &str = "WIFI:S:Acme Guest;T:WPA;P:field-service-2026;;";

/// The committed README example: a poster whose code holds a link written for HTML.
const POSTER: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/testdata/qr/install-poster.png");

/// Writes `bytes` to a fresh file named `name` in a temporary directory (kept while the guard is).
fn file(name: &str, bytes: &[u8]) -> (tempfile::TempDir, String) {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join(name);
    std::fs::write(&path, bytes).expect("write image");
    (dir, path.to_string_lossy().into_owned())
}

/// The inputs the pipeline's reader makes of an image file.
fn read(name: &str, bytes: &[u8]) -> Result<Vec<Input>, InputError> {
    let (_dir, path) = file(name, bytes);
    read_argument(&path, &mut std::io::empty(), &PackageOptions::default())
}

/// The decoded texts of an image, in order.
fn texts(name: &str, bytes: &[u8]) -> Vec<String> {
    match read(name, bytes) {
        Ok(inputs) => inputs
            .iter()
            .map(|i| i.facts.qr.as_ref().expect("QR facts").text.clone())
            .collect(),
        Err(e) => panic!("{name}: {e}"),
    }
}

#[test]
fn codes_of_several_module_sizes_and_versions_are_read() {
    for module in [2, 3, 5, 9] {
        let image = code(LINK, module, None, EcLevel::M);
        assert_eq!(texts("code.png", &png(&image)), [LINK], "{module} px modules");
    }
    for version in [2, 6, 12, 25] {
        let text = if version == 2 { "https://a.test/" } else { LINK };
        let image = code(text, 4, Some(version), EcLevel::L);
        assert_eq!(texts("code.png", &png(&image)), [text], "version {version}");
    }
    // the version the generator chose for LINK at M, for the record of what was read
    assert_eq!(qrgen::version_of(LINK, EcLevel::M), 6);
}

#[test]
fn turned_codes_are_read() {
    let image = code(LINK, 4, None, EcLevel::M);
    for (turned, what) in [
        (image::imageops::rotate90(&image), "90°"),
        (image::imageops::rotate180(&image), "180°"),
        (image::imageops::rotate270(&image), "270°"),
    ] {
        assert_eq!(texts("turned.png", &png(&turned)), [LINK], "{what}");
    }
    for degrees in [10.0, 33.0, 45.0, 77.0] {
        let turned = rotate(&image, degrees, 255);
        assert_eq!(texts("turned.png", &png(&turned)), [LINK], "{degrees}°");
    }
}

#[test]
fn speckled_codes_are_read() {
    let mut rng = Rng(0x51ec_4711);
    for per_mille in [10, 30, 60] {
        for ec in [EcLevel::M, EcLevel::H] {
            let mut image = code(LINK, 4, None, ec);
            speckle(&mut image, per_mille, &mut rng);
            assert_eq!(texts("speckled.png", &png(&image)), [LINK], "{per_mille}‰ {ec:?}");
        }
    }
}

/// A link code and a page code on one canvas, `beside` or one above the other.
fn two_codes(beside: bool) -> GrayImage {
    let (a, b) = (code(LINK, 4, None, EcLevel::M), code(PAGE, 4, None, EcLevel::M));
    let (w, h) = if beside {
        (a.width() + b.width() + 60, a.height().max(b.height()) + 40)
    } else {
        (a.width().max(b.width()) + 40, a.height() + b.height() + 60)
    };
    let mut image = canvas(w, h, 255);
    place(&mut image, &a, 20, 20);
    if beside {
        place(&mut image, &b, a.width() + 40, 20);
    } else {
        place(&mut image, &b, 20, a.height() + 40);
    }
    image
}

#[test]
fn two_codes_are_two_inputs_in_reading_order() {
    for beside in [true, false] {
        let inputs = read("two.png", &png(&two_codes(beside))).expect("two codes");
        let got: Vec<(InputKind, &str, usize, usize)> = inputs
            .iter()
            .map(|i| {
                let qr = i.facts.qr.as_ref().expect("QR facts");
                (i.kind, qr.text.as_str(), qr.index, qr.count)
            })
            .collect();
        assert_eq!(
            got,
            [(InputKind::Link, LINK, 1, 2), (InputKind::Url, PAGE, 2, 2)],
            "beside: {beside}"
        );
        let second = inputs[1].facts.qr.as_ref().expect("QR facts");
        // the second code starts 40 px right of (or below) the first's 196 px
        let at = if beside { second.x } else { second.y };
        assert!((230..=260).contains(&at), "{at}");
    }
    // a code turned the other way round is still read in its place
    let mut image = two_codes(true);
    image = image::imageops::rotate180(&image);
    assert_eq!(texts("two.png", &png(&image)), [PAGE, LINK]);
}

#[test]
fn a_photo_of_a_poster_is_read() {
    let mut rng = Rng(0x0b57_e700);
    for (scale, sigma, quality) in [(0.5, 1.0, 30), (0.4, 1.2, 25)] {
        let bytes = photo(LINK, scale, sigma, quality, &mut rng);
        assert!(bytes.starts_with(b"\xff\xd8\xff"));
        // named .png: the content says JPEG, and the content is what counts
        assert_eq!(
            texts("poster.png", &bytes),
            [LINK],
            "scale {scale}, blur {sigma}, q{quality}"
        );
    }
}

#[test]
fn a_large_photo_is_read_in_bounded_time() {
    let mut rng = Rng(0x4000_3000);
    let code = rotate(&code(LINK, 24, None, EcLevel::M), 8.0, 255);
    let mut page = canvas(4000, 3000, 170);
    qrgen::clutter(&mut page, (1500, 900, code.width(), code.height()), &mut rng);
    place(&mut page, &code, 1500, 900);
    let bytes = jpeg(&image::imageops::blur(&page, 2.0), 80);
    let started = Instant::now();
    assert_eq!(texts("photo.jpg", &bytes), [LINK]);
    let took = started.elapsed();
    eprintln!(
        "4000×3000 JPEG ({} bytes): decoded and searched in {took:?}",
        bytes.len()
    );
    // generous for an unoptimised build on a shared machine; the release figure is in the README
    assert!(took.as_secs() < 60, "{took:?}");
}

#[test]
fn a_link_with_amp_in_a_code_is_lnk006_located_at_the_image() {
    let (_dir, path) = file("poster.png", &png(&code(AMP_LINK, 4, None, EcLevel::M)));
    let run = otadoctor(&["--offline", "--format", "json", &path]);
    assert_eq!(run.code, 1, "{}", run.stdout);
    assert_eq!(run.codes(), ["LNK006"]);
    let doc = run.json();
    let result = &doc["results"][0];
    assert_eq!(result["kind"], "link");
    assert_eq!(result["facts"]["qr"]["text"], AMP_LINK);
    assert_eq!(result["facts"]["qr"]["index"], 1);
    assert_eq!(result["facts"]["qr"]["count"], 1);
    assert_eq!(result["facts"]["qr"]["format"], "PNG");
    assert_eq!(result["findings"][0]["location"]["file"], path.as_str());

    let human = otadoctor(&["--offline", "--color", "never", &path]);
    support::assert_in_order(
        &human.stdout,
        &[
            AMP_LINK,
            &format!("from      QR code 1 of 1 in {path}, at "),
            " PNG)",
            "LNK006",
            &format!("at      {path}\n"),
        ],
    );

    // SARIF: the image is the physical location, with no line in it
    let sarif = otadoctor(&["--offline", "--format", "sarif", &path]);
    let doc: serde_json::Value = serde_json::from_str(&sarif.stdout).expect("SARIF is JSON");
    let location = &doc["runs"][0]["results"][0]["locations"][0]["physicalLocation"];
    assert!(
        location["artifactLocation"]["uri"]
            .as_str()
            .is_some_and(|u| u.ends_with("poster.png")),
        "{location}"
    );
    assert!(location.get("region").is_none(), "{location}");
}

#[test]
fn a_correct_link_in_a_code_is_not_lnk006() {
    let (_dir, path) = file("poster.png", &png(&code(LINK, 4, None, EcLevel::M)));
    let run = otadoctor(&["--offline", "--format", "json", &path]);
    assert_eq!(run.code, 0, "{}", run.stdout);
    assert!(!run.codes().contains(&"LNK006".to_string()), "{:?}", run.codes());
    assert_eq!(run.json()["results"][0]["facts"]["qr"]["text"], LINK);
}

#[test]
fn a_code_holding_a_download_page_url_is_fetched_and_its_link_followed() {
    let site = Site::correct("ota.acme-apps.test");
    let page = site.url(Site::PAGE);
    let (_dir, path) = file("flyer.png", &png(&code(&page, 4, None, EcLevel::M)));
    let run = otadoctor_args(&site.args(&[&path]));
    assert_eq!(run.code, 0, "{}\n{}", run.stdout, run.stderr);
    let doc = run.json();
    let result = &doc["results"][0];
    assert_eq!(result["facts"]["qr"]["text"], page.as_str());
    assert_eq!(result["kind"], "page");
    assert_eq!(result["facts"]["page"]["links_found"], 1);
    let walk = &result["facts"]["walks"][0];
    assert_eq!(walk["manifest_url"], site.url(Site::MANIFEST).as_str());
    let requested: Vec<String> = site.lab.requests().iter().map(|r| r.path.clone()).collect();
    for path in [Site::PAGE, Site::MANIFEST, Site::PACKAGE] {
        assert!(requested.iter().any(|p| p == path), "{path} not in {requested:?}");
    }
}

/// Runs `otadoctor ARGS` with `stdin` as bytes.
fn with_stdin(args: &[&str], stdin: &[u8]) -> Run {
    support::otadoctor_bytes(args, stdin, false, true)
}

#[test]
fn a_png_on_standard_input_is_read() {
    let run = with_stdin(
        &["--offline", "--format", "json", "-"],
        &png(&code(AMP_LINK, 3, None, EcLevel::Q)),
    );
    assert_eq!(run.code, 1, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.codes(), ["LNK006"]);
    let qr = &run.json()["results"][0]["facts"]["qr"];
    assert_eq!(qr["text"], AMP_LINK);
    assert_eq!(qr["image"], "<stdin>");
    assert_eq!(qr["ec_level"], "Q");
}

/// A PNG whose header claims `width`×`height`, with a correct CRC and no pixels.
fn png_header(width: u32, height: u32) -> Vec<u8> {
    let mut chunk = b"IHDR".to_vec();
    chunk.extend_from_slice(&width.to_be_bytes());
    chunk.extend_from_slice(&height.to_be_bytes());
    chunk.extend_from_slice(&[8, 0, 0, 0, 0]);
    let mut crc = 0xffff_ffffu32;
    for &b in &chunk {
        crc ^= u32::from(b);
        for _ in 0..8 {
            crc = if crc & 1 == 1 {
                (crc >> 1) ^ 0xedb8_8320
            } else {
                crc >> 1
            };
        }
    }
    let mut png = b"\x89PNG\r\n\x1a\n\x00\x00\x00\x0d".to_vec();
    png.extend_from_slice(&chunk);
    png.extend_from_slice(&(!crc).to_be_bytes());
    png
}

/// Runs the binary on `bytes` saved as `name`: exit 2 and the message on standard error.
fn refused(name: &str, bytes: &[u8]) -> String {
    let (_dir, path) = file(name, bytes);
    let started = Instant::now();
    let run = otadoctor(&["--offline", &path]);
    assert!(started.elapsed().as_secs() < 20, "{name} took {:?}", started.elapsed());
    assert_eq!(run.code, 2, "{name}: {}{}", run.stdout, run.stderr);
    assert!(run.stdout.is_empty(), "{}", run.stdout);
    run.stderr.replace(&path, name)
}

#[test]
fn hostile_images_are_clean_errors() {
    let bomb = refused("bomb.png", &png_header(100_000, 100_000));
    assert!(
        bomb.contains("cannot read the image bomb.png: the image is 100000×100000 pixels"),
        "{bomb}"
    );

    let whole = png(&code(LINK, 4, None, EcLevel::M));
    let truncated = refused("cut.png", &whole[..whole.len() / 2]);
    assert!(
        truncated.contains("cannot read the image cut.png: the PNG data is not a readable image"),
        "{truncated}"
    );

    let mut rng = Rng(0xbad_1e9);
    let mut garbage = b"\xff\xd8\xff\xe0".to_vec();
    garbage.extend((0..20_000).map(|_| rng.next() as u8));
    let garbage = refused("garbage.jpg", &garbage);
    assert!(
        garbage.contains("cannot read the image garbage.jpg: the JPEG data is not a readable image"),
        "{garbage}"
    );

    // a header that is all there is
    let header_only = refused("header.png", &png_header(640, 480));
    assert!(
        header_only.contains("cannot read the image header.png"),
        "{header_only}"
    );
}

#[test]
fn an_image_without_a_code_says_it_was_searched() {
    let blank = refused("blank.png", &png(&canvas(300, 200, 255)));
    assert!(
        blank.contains("no QR code found in blank.png: the whole 300×200 PNG image was searched"),
        "{blank}"
    );
    // a code whose data is scratched out: its finder patterns are there, its data is not
    let mut damaged = code(LINK, 6, None, EcLevel::L);
    let (w, h) = (damaged.width(), damaged.height());
    let mut rng = Rng(0xdead_c0de);
    for y in h * 40 / 100..h * 70 / 100 {
        for x in w * 15 / 100..w * 85 / 100 {
            damaged.put_pixel(x, y, image::Luma([if rng.below(2) == 0 { 0 } else { 255 }]));
        }
    }
    let seen = refused("damaged.png", &png(&damaged));
    assert!(
        seen.contains("a QR code is in damaged.png")
            && seen.contains("its finder patterns were seen, but it could not be read"),
        "{seen}"
    );
}

#[test]
fn a_code_that_holds_no_link_is_said_plainly() {
    let wifi = refused("wifi.png", &png(&code(WIFI, 4, None, EcLevel::M)));
    assert!(
        wifi.contains("no link in the QR codes of wifi.png: QR code 1 of 1 in wifi.png, at "),
        "{wifi}"
    );
    assert!(
        wifi.contains("holds a Wi-Fi network's settings (\"WIFI:S:Acme Guest;T:WPA;"),
        "{wifi}"
    );

    // beside a link code: the link is checked, the Wi-Fi code is noted as not checked
    let (a, b) = (code(WIFI, 4, None, EcLevel::M), code(AMP_LINK, 4, None, EcLevel::M));
    let mut image = canvas(a.width() + b.width() + 60, a.height().max(b.height()) + 40, 255);
    place(&mut image, &a, 20, 20);
    place(&mut image, &b, a.width() + 40, 20);
    let (_dir, path) = file("both.png", &png(&image));
    let run = otadoctor(&["--offline", "--format", "json", &path]);
    assert_eq!(run.codes(), ["LNK006"]);
    let result = &run.json()["results"][0];
    assert_eq!(result["facts"]["qr"]["text"], AMP_LINK);
    assert_eq!(result["facts"]["qr"]["index"], 2);
    let skipped = result["facts"]["skipped"].to_string();
    assert!(
        skipped.contains("QR code 1 of 2 in") && skipped.contains("Wi-Fi network"),
        "{skipped}"
    );
}

#[test]
fn a_directory_scan_does_not_decode_images() {
    let dir = tempfile::tempdir().expect("temp dir");
    std::fs::write(dir.path().join("poster.png"), png(&code(AMP_LINK, 4, None, EcLevel::M))).expect("write");
    std::fs::write(dir.path().join("photo.jpg"), photo(LINK, 0.5, 1.0, 30, &mut Rng(7))).expect("write");
    std::fs::write(dir.path().join("README.md"), format!("Install: <{LINK}>\n")).expect("write");
    let run = otadoctor(&["--format", "json", &dir.path().to_string_lossy()]);
    let doc = run.json();
    let results = doc["results"].as_array().expect("results");
    assert_eq!(results.len(), 2, "{}", run.stdout);
    assert_eq!(results[1]["facts"]["links"][0]["text"], LINK);
    let skipped = &results[0]["facts"]["scan"]["skipped"];
    let image = skipped
        .as_array()
        .and_then(|s| s.iter().find(|s| s["reason"] == "image"))
        .unwrap_or_else(|| panic!("no image skip in {skipped}"));
    assert_eq!(image["count"], 2);
    assert_eq!(image["examples"], serde_json::json!(["photo.jpg", "poster.png"]));
    let human = otadoctor(&["--color", "never", &dir.path().to_string_lossy()]);
    assert!(
        human.stdout.contains("2 images (PNG, JPEG), not searched for QR codes"),
        "{}",
        human.stdout
    );
}

/// The README's example image: a poster with a title bar and small print around the code,
/// which holds a link written for HTML (`&amp;`).
fn poster() -> Vec<u8> {
    let mut rng = Rng(0x0b05_7e25);
    let code = code(AMP_LINK, 6, None, EcLevel::M);
    let mut page = canvas(code.width() + 160, code.height() + 200, 236);
    qrgen::clutter(&mut page, (60, 100, code.width() + 40, code.height() + 40), &mut rng);
    place(&mut page, &code, 80, 120);
    png(&page)
}

#[test]
fn the_committed_poster_still_decodes() {
    // OTADOCTOR_BLESS=1 cargo test --test qr: write it again from `poster()`
    if std::env::var_os("OTADOCTOR_BLESS").is_some() {
        std::fs::write(POSTER, poster()).expect("write the poster");
    }
    let committed = std::fs::read(POSTER).expect("testdata/qr/install-poster.png");
    assert_eq!(texts("install-poster.png", &committed), [AMP_LINK]);
    let run = otadoctor(&["--offline", "--format", "json", POSTER]);
    assert_eq!(run.codes(), ["LNK006"]);

    // the README shows this image and the tool's real output for it
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md");
    let marker = "```console\n$ otadoctor --offline testdata/qr/install-poster.png\n";
    let start = readme.find(marker).expect("the README's QR example") + marker.len();
    let shown = &readme[start..start + readme[start..].find("```").expect("the block's end")];
    let human = otadoctor(&["--offline", "testdata/qr/install-poster.png"]);
    assert_eq!(human.code, 1);
    assert_eq!(shown, human.stdout, "the README's QR example is stale");
}
