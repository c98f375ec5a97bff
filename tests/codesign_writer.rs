//! The signed Mach-O writer (`otadoctor::demo::codesign`) the demo, the tests and the benches
//! build their executables with, checked by a tool that is not ours: `openssl cms -verify`
//! verifies the CMS blob as a detached signature over the CodeDirectory it signs, and refuses it
//! once one byte of that CodeDirectory changes.

mod support;

use std::process::Command;

use support::lab::executable_spec;

fn be32(b: &[u8], at: usize) -> usize {
    u32::from_be_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as usize
}

fn le32(b: &[u8], at: usize) -> usize {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]]) as usize
}

/// The blobs of a thin file's signature, by slot.
fn blobs(file: &[u8]) -> Vec<(usize, Vec<u8>)> {
    let (ncmds, mut at) = (le32(file, 16), 32);
    for _ in 0..ncmds {
        if le32(file, at) == 0x1d {
            let (off, len) = (le32(file, at + 8), le32(file, at + 12));
            let sig = &file[off..off + len];
            return (0..be32(sig, 8))
                .map(|i| {
                    let (slot, start) = (be32(sig, 12 + 8 * i), be32(sig, 16 + 8 * i));
                    (slot, sig[start..start + be32(sig, start + 4)].to_vec())
                })
                .collect();
        }
        at += le32(file, at + 4);
    }
    panic!("no LC_CODE_SIGNATURE");
}

fn openssl_verifies(cms: &[u8], content: &[u8]) -> (bool, String) {
    let dir = tempfile::tempdir().expect("tempdir");
    let (cms_path, cd_path) = (dir.path().join("sig.der"), dir.path().join("cd.bin"));
    std::fs::write(&cms_path, cms).expect("write");
    std::fs::write(&cd_path, content).expect("write");
    let out = Command::new("openssl")
        .args([
            "cms",
            "-verify",
            "-inform",
            "DER",
            "-binary",
            "-noverify",
            "-purpose",
            "any",
            "-in",
        ])
        .arg(&cms_path)
        .arg("-content")
        .arg(&cd_path)
        .args(["-out", "/dev/null"])
        .output()
        .expect("run openssl");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn openssl_verifies_the_cms_over_the_code_directory_and_refuses_a_changed_one() {
    let file = otadoctor::demo::codesign::build(&executable_spec("com.acme.field")).expect("build");
    let blobs = blobs(&file);
    let slots: Vec<usize> = blobs.iter().map(|b| b.0).collect();
    assert_eq!(slots, vec![0, 2, 5, 7, 0x10000]);
    let cd = &blobs[0].1;
    let cms = &blobs[4].1[8..];
    let (ok, said) = openssl_verifies(cms, cd);
    assert!(ok, "openssl: {said}");
    assert!(said.contains("Verification successful"), "{said}");
    // one byte of a page hash changed: the signature no longer covers it
    let mut changed = cd.clone();
    let last = changed.len() - 1;
    changed[last] ^= 1;
    let (ok, said) = openssl_verifies(cms, &changed);
    assert!(!ok, "openssl accepted a changed CodeDirectory: {said}");
}

#[test]
fn the_signed_attributes_name_every_code_directory() {
    let mut spec = executable_spec("com.acme.field");
    spec.hashes = otadoctor::demo::codesign::Hashes::Sha1AndSha256;
    let file = otadoctor::demo::codesign::build(&spec).expect("build");
    let blobs = blobs(&file);
    let slots: Vec<usize> = blobs.iter().map(|b| b.0).collect();
    assert_eq!(slots, vec![0, 2, 5, 7, 0x1000, 0x10000]);
    let cms = &blobs[5].1[8..];
    let (ok, said) = openssl_verifies(cms, &blobs[0].1);
    assert!(ok, "openssl: {said}");
    // the cdhashes plist lists the truncated SHA-1 of the primary and SHA-256 of the alternate
    let sha1 = ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, &blobs[0].1);
    let sha256 = ring::digest::digest(&ring::digest::SHA256, &blobs[4].1);
    use base64::Engine as _;
    let b64 = |b: &[u8]| base64::engine::general_purpose::STANDARD.encode(b);
    let text = String::from_utf8_lossy(cms);
    assert!(text.contains(&b64(&sha1.as_ref()[..20])), "no SHA-1 cdhash");
    assert!(text.contains(&b64(&sha256.as_ref()[..20])), "no SHA-256 cdhash");
    // and the agility attribute the full SHA-256
    assert!(cms.windows(32).any(|w| w == sha256.as_ref()), "no full SHA-256 cdhash");
}
