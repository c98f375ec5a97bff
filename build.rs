//! Embeds Apple's iOS trust store (assets/apple-trust-store/roots/*.cer) into the binary.

use std::fmt::Write as _;
use std::path::Path;

fn main() {
    // the package being built, read when the script runs: a script compiled for another checkout
    // of the same sources (cargo reuses it from a shared target directory) must not read that one
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_else(|| ".".into());
    let dir = Path::new(&manifest_dir).join("assets/apple-trust-store/roots");
    println!("cargo:rerun-if-changed={}", dir.display());
    let mut names: Vec<String> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .filter_map(|entry| entry.ok())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".cer"))
        .collect();
    names.sort();
    let mut out = String::from(
        "/// (file name, DER) of every root in Apple's iOS trust store.\npub static APPLE_ROOTS: &[(&str, &[u8])] = &[\n",
    );
    for name in &names {
        let _ = writeln!(
            out,
            "    ({name:?}, include_bytes!({:?})),",
            dir.join(name).display().to_string()
        );
    }
    out.push_str("];\n");
    let dest = Path::new(&std::env::var("OUT_DIR").unwrap_or_else(|_| ".".to_string())).join("apple_roots.rs");
    std::fs::write(&dest, out).unwrap_or_else(|e| panic!("{}: {e}", dest.display()));
}
