//! The crate as `cargo package` makes it holds what the build reads and nothing else the
//! repository keeps for its own tests: every file `include_str!`/`include_bytes!` and build.rs
//! read, the licenses, and no tests, benches or testdata. (`.ci/run` builds the packaged crate
//! offline.)

use std::collections::BTreeSet;
use std::path::Path;
use std::process::Command;

fn packaged() -> BTreeSet<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_string());
    let out = Command::new(cargo)
        .args(["package", "--list", "--offline", "--locked", "--allow-dirty"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("run cargo package --list");
    assert!(out.status.success(), "{}", String::from_utf8_lossy(&out.stderr));
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(str::to_string)
        .collect()
}

/// The files the sources name in `include_str!`/`include_bytes!` (relative to the crate root),
/// with the rule docs the registry's macro names.
fn included(root: &Path) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut dirs = vec![root.join("src")];
    while let Some(dir) = dirs.pop() {
        for entry in std::fs::read_dir(&dir).expect("read src").flatten() {
            let path = entry.path();
            if path.is_dir() {
                dirs.push(path);
                continue;
            }
            let text = std::fs::read_to_string(&path).unwrap_or_default();
            for piece in text.split("include_").skip(1) {
                let Some(arg) = piece
                    .strip_prefix("bytes!(\"")
                    .or_else(|| piece.strip_prefix("str!(\""))
                    .and_then(|rest| rest.split('"').next())
                else {
                    continue;
                };
                let file = path.parent().expect("dir").join(arg);
                let file = file.canonicalize().unwrap_or(file);
                if let Ok(rel) = file.strip_prefix(root.canonicalize().expect("root")) {
                    found.insert(rel.display().to_string());
                }
            }
        }
    }
    for rule in std::fs::read_dir(root.join("rules")).expect("rules").flatten() {
        found.insert(format!("rules/{}", rule.file_name().to_string_lossy()));
    }
    for root_cert in std::fs::read_dir(root.join("assets/apple-trust-store/roots"))
        .expect("roots")
        .flatten()
    {
        found.insert(format!(
            "assets/apple-trust-store/roots/{}",
            root_cert.file_name().to_string_lossy()
        ));
    }
    found
}

#[test]
fn the_package_holds_what_the_build_reads_and_no_test_data() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let files = packaged();
    let wanted = included(root);
    assert!(
        wanted.len() > 150,
        "{} files found included: the scan is broken",
        wanted.len()
    );
    let missing: Vec<&String> = wanted.iter().filter(|f| !files.contains(*f)).collect();
    assert!(missing.is_empty(), "read by the build but not packaged: {missing:?}");
    for needed in ["build.rs", "LICENSE-MIT", "LICENSE-APACHE", "README.md", "Cargo.lock"] {
        assert!(files.contains(needed), "{needed} not packaged");
    }
    let extra: Vec<&String> = files
        .iter()
        .filter(|f| {
            ["tests/", "benches/", "testdata/", "docs/", "scripts/", ".ci/"]
                .iter()
                .any(|p| f.starts_with(p))
        })
        .collect();
    assert!(extra.is_empty(), "packaged but only the repository's: {extra:?}");
}
