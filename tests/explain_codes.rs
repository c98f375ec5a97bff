//! `otadoctor explain <device error>` for every code of the table, in every spelling a log, a
//! tool or a user writes it; unknown codes and garbage; and docs/device-errors.md is the table.

mod support;

use otadoctor::device::codes::{ALL, Code, DeviceError, Domain};
use otadoctor::device::explain::{forms, kind_label};
use support::otadoctor;

/// Every spelling of an entry's code (and of its `also` values) that `explain` must accept.
fn spellings(entry: &DeviceError) -> Vec<String> {
    let mut out = Vec::new();
    for value in std::iter::once(entry.code.value).chain(entry.also.iter().copied()) {
        let code = Code::new(entry.code.domain, value);
        out.extend(forms(code));
        match code.signed() {
            Some(signed) => {
                out.push(format!("{:#010X}", code.value)); // upper-case hex
                out.push(format!("{:08x}", code.value)); // hex without 0x
                out.push(format!("com.apple.dt.MobileDeviceErrorDomain {signed}"));
            }
            None => {
                out.push(format!("{} error {}", code.domain.name(), code.value));
                out.push(format!("{} Code={}", code.domain.name(), code.value));
            }
        }
    }
    if !entry.name.is_empty() {
        out.push(entry.name.to_string());
        out.push(entry.name.to_ascii_lowercase());
    }
    out
}

/// The parts of an explanation that must be there, whatever the spelling.
fn assert_explains(run: &support::Run, entry: &DeviceError, spelling: &str) {
    assert_eq!(run.code, 0, "{spelling}: {}", run.stderr);
    let out = &run.stdout;
    for form in forms(entry.code) {
        assert!(out.contains(&form), "{spelling}: the form {form} is missing:\n{out}");
    }
    assert!(out.contains(entry.meaning), "{spelling}: no meaning:\n{out}");
    assert!(out.contains(entry.message), "{spelling}: no message:\n{out}");
    for rule in entry.rules {
        assert!(
            out.contains(&format!("otadoctor explain {rule}")),
            "{spelling}: the rule {rule} is missing:\n{out}"
        );
    }
    if !entry.unchecked.is_empty() {
        assert!(out.contains(entry.unchecked), "{spelling}: what is not checked:\n{out}");
    }
    for source in entry.sources {
        assert!(
            out.contains(source.url),
            "{spelling}: the source {}:\n{out}",
            source.url
        );
    }
    assert!(out.contains("\nNext:\n  "), "{spelling}: no next step:\n{out}");
}

#[test]
fn every_code_of_the_table_is_explained_in_every_spelling() {
    let mut runs = 0;
    for entry in ALL {
        let spellings = spellings(entry);
        let first = otadoctor(&["explain", &spellings[0]]);
        assert_explains(&first, entry, &spellings[0]);
        for spelling in &spellings[1..] {
            let run = otadoctor(&["explain", spelling]);
            // a name shared by two domains (ApplicationVerificationFailed) explains the first entry
            if entry.name == spelling.as_str() || entry.name.eq_ignore_ascii_case(spelling) {
                let named = otadoctor::device::codes::by_name(spelling).expect("a name of the table");
                assert_explains(&run, named, spelling);
            } else {
                assert_eq!(
                    run.stdout, first.stdout,
                    "{spelling} explains another entry than {}",
                    spellings[0]
                );
            }
            runs += 1;
        }
    }
    assert!(runs > 5 * ALL.len(), "{runs} runs");
}

#[test]
fn the_spellings_of_the_issue_are_read() {
    for (spelling, expected) in [
        ("0xe8008015", "0xe8008015 (-402620395)\n"),
        ("-402620395", "0xe8008015 (-402620395)\n"),
        ("3892346901", "0xe8008015 (-402620395)\n"),
        ("ASDErrorDomain 507", "ASDErrorDomain 507\n"),
        ("Error Domain=ASDErrorDomain Code=507", "ASDErrorDomain 507\n"),
        ("kAMDNoSpaceError", "0xe80000c0 (-402652992)\n"),
        ("0xe80000db", "0xe80000c0 (-402652992)\n"),
        ("MIInstallerErrorDomain 13", "MIInstallerErrorDomain 13\n"),
    ] {
        let run = otadoctor(&["explain", spelling]);
        assert_eq!(run.code, 0, "{spelling}: {}", run.stderr);
        assert!(run.stdout.starts_with(expected), "{spelling}:\n{}", run.stdout);
    }
    // unquoted, the shell splits a domain code into words: they are read as one
    let split = otadoctor(&["explain", "ASDErrorDomain", "507"]);
    assert_eq!(split.stdout, otadoctor(&["explain", "ASDErrorDomain 507"]).stdout);
    let foundation = otadoctor(&["explain", "Error", "Domain=NSURLErrorDomain", "Code=-1202"]);
    assert!(
        foundation.stdout.starts_with("NSURLErrorDomain -1202\n"),
        "{}",
        foundation.stderr
    );
}

#[test]
fn the_explanation_names_the_rules_and_the_next_command() {
    let run = otadoctor(&["explain", "0xe8008015"]);
    support::assert_in_order(
        &run.stdout,
        &[
            "0xe8008015 (-402620395)\n",
            "  forms     0xe8008015 · -402620395 · 3892346901\n",
            "  message   A valid provisioning profile for this executable was not found.\n",
            "Rules to check:\n",
            "  SIG018   signer-not-in-profile — the certificate that signed a Mach-O is not one of the profile's DeveloperCertificates",
            "· otadoctor explain SIG018\n",
            "  SIG005   device-not-provisioned — with --udid: the device is not in ProvisionedDevices",
            "· otadoctor explain SIG005\n",
            "Sources:\n",
            "  [tool table] ios-deploy src/ios-deploy/errors.h",
            "  [reported] zsign#100",
            "Next:\n",
            "  otadoctor --udid <UDID> App.ipa",
            "  otadoctor --udid <UDID> '<install link>'",
        ],
    );
    let tls = otadoctor(&["explain", "kCFStreamErrorDomainSSL -9813"]);
    support::assert_in_order(
        &tls.stdout,
        &[
            "  name      errSSLNoRootCert\n",
            "  TLS007   incomplete-chain",
            "  [Apple] Apple, Secure Transport Result Codes",
            "Next:\n  otadoctor '<install link>'",
        ],
    );
    let mdm = otadoctor(&["explain", "DeviceManagement.error 2604"]);
    assert!(
        mdm.stdout
            .contains("Next:\n  otadoctor --via mdm 'https://…/manifest.plist'\n"),
        "{}",
        mdm.stdout
    );
    let os = otadoctor(&["explain", "DeviceOSVersionTooLow"]);
    assert!(
        os.stdout.contains("\n  otadoctor --ios <VERSION> App.ipa"),
        "{}",
        os.stdout
    );
}

#[test]
fn json_carries_the_same_fields() {
    let run = otadoctor(&["explain", "--format", "json", "0xe8008015"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let doc = run.json();
    assert_eq!(doc["schema_version"], 1);
    assert_eq!(doc["kind"], "device_error");
    assert_eq!(doc["known"], true);
    assert_eq!(doc["code"]["hex"], "0xe8008015");
    assert_eq!(doc["code"]["signed"], -402_620_395);
    assert_eq!(doc["code"]["value"], 3_892_346_901_u64);
    assert_eq!(doc["code"]["domain"], "MobileInstallation");
    assert_eq!(
        doc["message"],
        "A valid provisioning profile for this executable was not found."
    );
    let rules: Vec<&str> = doc["rules"]
        .as_array()
        .expect("rules")
        .iter()
        .filter_map(|r| r["code"].as_str())
        .collect();
    assert_eq!(rules, ["SIG018", "SIG005", "SIG006", "SIG001", "SIG002"]);
    assert_eq!(doc["rules"][0]["explain"], "otadoctor explain SIG018");
    assert_eq!(doc["sources"][0]["kind"], "tool");
    assert!(
        doc["next"][0]
            .as_str()
            .is_some_and(|n| n.starts_with("otadoctor --udid <UDID> App.ipa"))
    );
    // every entry serialises, with its rules resolved
    for entry in ALL {
        let form = &forms(entry.code)[0];
        let doc = otadoctor(&["explain", "--format", "json", form]).json();
        assert_eq!(doc["code"]["display"], entry.code.display(), "{form}");
        assert_eq!(doc["rules"].as_array().map(Vec::len), Some(entry.rules.len()), "{form}");
    }
    // a rule in JSON: its doc and fields
    let rule = otadoctor(&["explain", "--format", "json", "LNK006"]).json();
    assert_eq!(rule["kind"], "rule");
    assert_eq!(rule["name"], "html-entity-in-link");
    assert!(rule["doc"].as_str().is_some_and(|d| d.starts_with("# LNK006")));
}

#[test]
fn a_valid_code_the_table_does_not_know_exits_2_with_its_forms() {
    let signing = otadoctor(&["explain", "0xe80080ab"]);
    assert_eq!(signing.code, 2);
    assert_eq!(signing.stdout, "");
    for piece in [
        "unknown device error",
        "0xe80080ab",
        "-402620245",
        "3892347051",
        "0xe80080xx range",
        "hint:",
    ] {
        assert!(signing.stderr.contains(piece), "{piece}: {}", signing.stderr);
    }
    let package = otadoctor(&["explain", "-402653000"]); // 0xe80000b8
    assert_eq!(package.code, 2);
    assert!(
        package.stderr.contains("0xe80000b8") && package.stderr.contains("0xe80000xx range"),
        "{}",
        package.stderr
    );
    let asd = otadoctor(&["explain", "ASDErrorDomain 512"]);
    assert_eq!(asd.code, 2);
    assert!(asd.stderr.contains("ASDErrorDomain 512: appstored"), "{}", asd.stderr);
    assert!(
        asd.stderr.contains("Error Domain=ASDErrorDomain Code=512"),
        "{}",
        asd.stderr
    );
    let json = otadoctor(&["explain", "--format", "json", "NSURLErrorDomain -1100"]);
    assert_eq!(json.code, 2);
    let doc = json.json();
    assert_eq!(doc["known"], false);
    assert_eq!(doc["code"]["domain"], "NSURLErrorDomain");
    assert!(
        doc["description"]
            .as_str()
            .is_some_and(|d| d.contains("URL loading system"))
    );
}

#[test]
fn garbage_is_an_unknown_rule_and_rules_are_explained_as_before() {
    for garbage in [
        "LNK999",
        "0x1234",
        "507",
        "FooDomain 3",
        "hello world",
        "é",
        "0xe8008015zz",
    ] {
        let run = otadoctor(&["explain", garbage]);
        assert_eq!(run.code, 2, "{garbage}");
        assert!(run.stderr.contains("unknown rule"), "{garbage}: {}", run.stderr);
        assert_eq!(run.stdout, "", "{garbage}");
    }
    let rule = otadoctor(&["explain", "DEV002"]);
    assert_eq!(rule.code, 0);
    assert_eq!(rule.stdout, otadoctor::registry::lookup("DEV002").expect("DEV002").doc);
}

// ---- docs/device-errors.md -------------------------------------------------------------------

fn doc_path() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/device-errors.md")
}

fn cell(text: &str) -> String {
    text.replace('|', "\\|").replace('\n', " ")
}

/// The code columns of an entry: installd's hex and signed decimal (with the `also` values).
fn code_cells(entry: &DeviceError) -> String {
    let values = std::iter::once(entry.code.value).chain(entry.also.iter().copied());
    match entry.code.signed() {
        Some(_) => {
            let (hex, signed): (Vec<String>, Vec<String>) = values
                .map(|v| {
                    let code = Code::new(entry.code.domain, v);
                    (
                        format!("`{:#010x}`", v),
                        format!("`{}`", code.signed().unwrap_or_default()),
                    )
                })
                .unzip();
            format!("{} | {}", hex.join("<br>"), signed.join("<br>"))
        }
        None => values
            .map(|v| format!("`{} {v}`", entry.code.domain.name()))
            .collect::<Vec<_>>()
            .join("<br>"),
    }
}

/// The generated part of docs/device-errors.md: one table per domain.
fn tables() -> String {
    let mut out = String::new();
    for domain in Domain::ALL {
        let entries: Vec<&DeviceError> = ALL.iter().filter(|e| e.code.domain == *domain).collect();
        if entries.is_empty() {
            continue;
        }
        out.push_str(&format!("\n### {}\n\n{}.\n\n", domain.name(), domain.about()));
        if *domain == Domain::MobileInstallation {
            out.push_str("| code | signed | name | message | meaning | rules to check | sources |\n");
            out.push_str("|---|---|---|---|---|---|---|\n");
        } else {
            out.push_str("| code | name | message | meaning | rules to check | sources |\n");
            out.push_str("|---|---|---|---|---|---|\n");
        }
        for entry in entries {
            let mut rules: Vec<String> = entry.rules.iter().map(|r| format!("`{r}`")).collect();
            if !entry.unchecked.is_empty() {
                rules.push(format!("not checked: {}", entry.unchecked));
            }
            let sources: Vec<String> = entry
                .sources
                .iter()
                .map(|s| format!("[{}]({}) ({})", s.title, s.url, kind_label(s.kind)))
                .collect();
            let name = if entry.name.is_empty() {
                "—".to_string()
            } else {
                format!("`{}`", entry.name)
            };
            out.push_str(&format!(
                "| {} | {} | {} | {} | {} | {} |\n",
                code_cells(entry),
                name,
                cell(entry.message),
                cell(entry.meaning),
                cell(&rules.join("; ")),
                cell(&sources.join("<br>")),
            ));
        }
    }
    out
}

#[test]
fn the_doc_lists_every_code_of_the_table() {
    let doc = std::fs::read_to_string(doc_path()).expect("docs/device-errors.md");
    let (start_marker, end_marker) = ("<!-- device-errors:start -->", "<!-- device-errors:end -->");
    let start = doc.find(start_marker).expect("start marker") + start_marker.len();
    let end = doc.find(end_marker).expect("end marker");
    let expected = tables();
    if std::env::var_os("OTADOCTOR_BLESS").is_some() && doc[start..end].trim() != expected.trim() {
        // OTADOCTOR_BLESS=1 cargo test --test explain_codes: rewrite the tables from the table
        let blessed = format!("{}\n{}\n\n{}", &doc[..start], expected.trim(), &doc[end..]);
        std::fs::write(doc_path(), blessed).expect("write docs/device-errors.md");
        return;
    }
    assert_eq!(
        doc[start..end].trim(),
        expected.trim(),
        "docs/device-errors.md's tables are out of date; OTADOCTOR_BLESS=1 cargo test --test explain_codes"
    );
    // and, said plainly: both forms of every installd code, every domain code
    for entry in ALL {
        for value in std::iter::once(entry.code.value).chain(entry.also.iter().copied()) {
            let code = Code::new(entry.code.domain, value);
            match code.signed() {
                Some(signed) => {
                    assert!(doc.contains(&format!("`{value:#010x}`")), "{value:#010x}");
                    assert!(doc.contains(&format!("`{signed}`")), "{signed}");
                }
                None => assert!(doc.contains(&format!("`{} {value}`", code.domain.name())), "{value}"),
            }
        }
    }
}

/// The README's `otadoctor explain 0xe8008015` is the real output.
#[test]
fn the_readme_example_is_real() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md");
    let marker = "```console\n$ otadoctor explain 0xe8008015\n";
    let start = readme.find(marker).expect("the explain example") + marker.len();
    let end = start + readme[start..].find("```").expect("the end of the example");
    assert_eq!(
        &readme[start..end],
        otadoctor(&["explain", "0xe8008015"]).stdout,
        "the README's explain example is stale"
    );
}
