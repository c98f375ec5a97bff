//! Property tests: the link parser never panics, and a properly encoded link carries any
//! https URL to the phone unchanged, with no error findings.

mod support;

use otadoctor::check::{self, Context};
use otadoctor::facts::{Facts, LinkContext};
use otadoctor::link::{link_facts, parse};
use otadoctor::severity::Severity;
use proptest::prelude::*;
use support::NOW;

fn findings_for(text: &str, context: LinkContext) -> Vec<otadoctor::finding::Finding> {
    let facts = Facts {
        links: vec![link_facts(text, context, None, false)],
        ..Facts::default()
    };
    check::run(&facts, &Context::at(NOW))
}

/// A host name that is public-looking and not reserved for documentation.
fn host() -> impl Strategy<Value = String> {
    (
        prop::collection::vec("[a-z][a-z0-9-]{0,8}[a-z0-9]", 1..3),
        prop::sample::select(vec!["io", "com", "net", "dev", "de", "co.uk"]),
    )
        .prop_map(|(labels, tld)| format!("{}.{tld}", labels.join(".")))
        .prop_filter("not a documentation domain", |h| !h.contains("example"))
}

/// Any text, percent-encoded the way a server path or query needs it to be a valid URL.
fn encoded(s: String) -> String {
    otadoctor::text::encode_component(&s)
}

fn https_url() -> impl Strategy<Value = String> {
    (
        host(),
        prop::option::of(1024u16..65000),
        prop::collection::vec(any::<String>().prop_map(encoded), 0..4),
        prop::collection::vec(
            (any::<String>().prop_map(encoded), any::<String>().prop_map(encoded)),
            0..4,
        ),
        prop::option::of(any::<String>().prop_map(encoded)),
    )
        .prop_map(|(host, port, path, query, fragment)| {
            let mut url = format!("https://{host}");
            if let Some(p) = port {
                url.push_str(&format!(":{p}"));
            }
            url.push('/');
            url.push_str(&path.join("/"));
            if !query.is_empty() {
                let pairs: Vec<String> = query.iter().map(|(k, v)| format!("{k}={v}")).collect();
                url.push('?');
                url.push_str(&pairs.join("&"));
            }
            if let Some(f) = fragment {
                url.push('#');
                url.push_str(&f);
            }
            url
        })
        .prop_filter("not a placeholder or signed URL", |u| {
            !u.contains("__")
                && !u.contains("Expires")
                && !u.to_ascii_lowercase().contains("x-amz")
                && !u.contains("your")
        })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn any_https_url_round_trips_through_its_encoded_link(url in https_url()) {
        let link = otadoctor::check::repair::canonical_link(&url);
        let parsed = parse(&link);
        prop_assert_eq!(parsed.manifest_url.as_deref(), Some(url.as_str()));
        prop_assert_eq!(parsed.action.as_deref(), Some("download-manifest"));
        let errors: Vec<String> = findings_for(&link, LinkContext::Raw)
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .map(|f| format!("{} {}", f.rule.code, f.message))
            .collect();
        prop_assert!(errors.is_empty(), "{} -> {:?}", link, errors);
    }

    #[test]
    fn no_input_makes_the_link_checks_panic(text in any::<String>()) {
        for context in [
            LinkContext::Raw,
            LinkContext::HtmlAttribute { tag: "a".into(), attribute: "href".into() },
            LinkContext::JsString { target: String::new(), inside_attribute: false },
        ] {
            let _ = findings_for(&text, context);
        }
    }

    #[test]
    fn link_like_input_never_makes_the_checks_panic(
        tail in "[a-zA-Z0-9:/?#&=%+;. <>\"'{}$_\\-\\n\u{e9}\u{1b}]{0,80}",
        prefix in prop::sample::select(vec!["itms-services://?", "itms-services:", "itms-servies://", "<itms-services://?action=download-manifest&url=", "itms-services://?action=download-manifest&amp;url=", ""]),
    ) {
        let text = format!("{prefix}{tail}");
        let findings = findings_for(&text, LinkContext::Raw);
        // every finding that shows a corrected link shows one the parser can read back
        for f in &findings {
            if let Some(c) = &f.corrected {
                prop_assert!(parse(c).manifest_url.is_some(), "{}", c);
            }
        }
    }

    #[test]
    fn odd_authorities_never_hang_or_panic(
        scheme in prop::sample::select(vec!["https", "http", "ftp", "HTTPS", "file", ""]),
        slashes in 0usize..5,
        authority in "[a-z@:.\\[\\]0-9%é]{0,12}",
        rest in "[/?#&=a-z%]{0,12}",
    ) {
        let manifest = format!("{scheme}:{}{authority}{rest}", "/".repeat(slashes));
        for link in [
            format!("itms-services://?action=download-manifest&url={manifest}"),
            otadoctor::check::repair::canonical_link(&manifest),
        ] {
            let _ = findings_for(&link, LinkContext::Raw);
        }
    }

    #[test]
    fn no_page_makes_the_html_extractor_panic(html in "(<[a-z]{1,6}( [a-z-]{1,8}=(\"[^\"]{0,40}\"|'[^']{0,40}'|[a-z:/?&;=]{0,20}))*>|[^<]{0,30}|<script>[^<]{0,60}</script>|itms-services://\\?[a-z&;=%]{0,30}){0,12}") {
        let _ = otadoctor::collect::html::find_links(&html);
    }
}

/// A real Apple-signed profile, the base of the mutations below.
fn apple_profile() -> Vec<u8> {
    std::fs::read(support::testdata(
        "profiles/apple/AppStore_tools.fastlane.app.mobileprovision",
    ))
    .unwrap_or_default()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    /// Hostile profile bytes end in facts (an error or a verdict), never a panic; and a profile
    /// changed anywhere is never called Apple's, unless the change left the DER the same.
    #[test]
    fn a_damaged_profile_is_never_a_panic_nor_apples(at in 0usize..7434, byte in any::<u8>(), cut in 0usize..7434) {
        let mut bytes = apple_profile();
        prop_assume!(at < bytes.len());
        let original = bytes[at];
        bytes[at] = byte;
        let facts = otadoctor::collect::profile::read("p", &bytes, &[]);
        // the signed plist is bytes 62..3319 of this profile (its OCTET STRING's content): a
        // change there is never Apple's
        if byte != original && (62..3319).contains(&at) {
            prop_assert_ne!(facts.signature.verdict, otadoctor::facts::SignatureVerdict::Apple);
        }
        let truncated = &apple_profile()[..cut.min(bytes.len())];
        let _ = otadoctor::collect::profile::read("p", truncated, &[]);
        let _ = otadoctor::collect::profile::ber_to_der(truncated);
    }

    #[test]
    fn random_bytes_are_not_a_profile(bytes in prop::collection::vec(any::<u8>(), 0..2048)) {
        let facts = otadoctor::collect::profile::read("p", &bytes, &[]);
        prop_assert!(facts.error.is_some() || facts.signature.verdict != otadoctor::facts::SignatureVerdict::Apple);
    }
}
