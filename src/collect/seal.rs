//! `_CodeSignature/CodeResources`: how one file is sealed. Read by the package reader (the
//! Info.plist's hash, SIG009) and by `--deep` (every file, SIG010).

/// How a file is sealed: a SHA-256 (`hash2`) or SHA-1 (`hash`, or old-style data) digest, code
/// sealed by its own signature (`cdhash`), or something else (a symlink).
pub enum Sealed {
    Sha256(Vec<u8>),
    Sha1(Vec<u8>),
    NestedCode,
    Other,
}

impl Sealed {
    /// The digest algorithm and the sealed digest, for a hashed file.
    pub fn digest(&self) -> Option<(&'static ring::digest::Algorithm, &[u8])> {
        match self {
            Sealed::Sha256(d) => Some((&ring::digest::SHA256, d)),
            Sealed::Sha1(d) => Some((&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, d)),
            _ => None,
        }
    }
}

/// One entry of `files2` or `files`: how it is sealed, and whether it may be missing.
pub fn sealed_entry(value: &plist::Value) -> (Sealed, bool) {
    let data = |d: &plist::Dictionary, key: &str| d.get(key).and_then(plist::Value::as_data).map(<[u8]>::to_vec);
    match value {
        plist::Value::Data(h) => (Sealed::Sha1(h.clone()), false),
        plist::Value::Dictionary(d) => {
            let optional = d.get("optional").and_then(plist::Value::as_boolean).unwrap_or(false);
            let sealed = if d.contains_key("cdhash") || d.contains_key("requirement") {
                Sealed::NestedCode
            } else if let Some(h) = data(d, "hash2") {
                Sealed::Sha256(h)
            } else if let Some(h) = data(d, "hash") {
                Sealed::Sha1(h)
            } else {
                Sealed::Other
            };
            (sealed, optional)
        }
        _ => (Sealed::Other, false),
    }
}
