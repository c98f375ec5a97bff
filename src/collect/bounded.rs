//! Reading nested input within bounds. Hostile input is normal input here: a 2 KB package can
//! hold an Info.plist of 100,000 nested arrays, and a binary plist can share one array between
//! two parents at each of 40 levels (2⁴⁰ values once expanded). So:
//!
//! * **one depth limit**, [`MAX_DEPTH`], for every structure read from the input and walked:
//!   plists (manifests, Info.plists, profiles' content, CodeResources), the manifest's XML, BER in
//!   profiles. Deeper input is refused before anything recursive sees it, and the refusal is a
//!   fact the rules report (MAN001, APP001, SIG015, the seal's error);
//! * **plists are read twice**: first as the `plist` crate's own event stream (its tokenizer, so
//!   no other parser's idea of the syntax can disagree with it), counting depth and values
//!   without building anything; then, when that stays within bounds, parsed as before;
//! * **a cap on a line of input kept in the facts** ([`MAX_STRING_CHARS`]), as where a parse
//!   error is shown.

use std::io::Cursor;

/// How deep arrays and dictionaries may nest in a plist, and any structure read from the input
/// may nest (BER elements in a profile). Manifests nest 5 levels, Info.plists about 10,
/// CodeResources 4, profiles 3 (their BER envelope about 12).
pub const MAX_DEPTH: usize = 64;

/// The most characters one string (a line of the input) keeps in the facts.
pub const MAX_STRING_CHARS: usize = 16 * 1024;

/// Why a plist was not read.
#[derive(Debug)]
pub enum PlistError {
    /// Arrays and dictionaries nest deeper than [`MAX_DEPTH`].
    TooDeep,
    /// It expands to more values than its size allows (objects of a binary plist shared over and
    /// over: a plist bomb).
    TooManyValues(usize),
    /// The `plist` crate's error.
    Plist(plist::Error),
}

impl std::fmt::Display for PlistError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            PlistError::TooDeep => write!(f, "{}", too_deep()),
            PlistError::TooManyValues(n) => write!(
                f,
                "it expands to more than {n} values, objects shared over and over as in a zip bomb"
            ),
            PlistError::Plist(e) => write!(f, "{e}"),
        }
    }
}

/// "nested deeper than 64 levels …", as every refusal words it.
pub fn too_deep() -> String {
    format!("nested deeper than {MAX_DEPTH} levels of arrays and dictionaries")
}

/// Reads a plist of any kind (binary, XML or ASCII, as `plist::Value::from_reader` detects
/// them), refusing one that nests deeper than [`MAX_DEPTH`] or expands beyond its size.
pub fn read_plist(bytes: &[u8]) -> Result<plist::Value, PlistError> {
    within_bounds(plist::stream::Reader::new(Cursor::new(bytes)), bytes.len())?;
    plist::Value::from_reader(Cursor::new(bytes)).map_err(PlistError::Plist)
}

/// Reads an XML plist, as `plist::Value::from_reader_xml`, within the same bounds.
pub fn read_plist_xml(text: &str) -> Result<plist::Value, PlistError> {
    let events = plist::stream::XmlReader::new(std::io::BufReader::new(Cursor::new(text.as_bytes())));
    within_bounds(events, text.len())?;
    plist::Value::from_reader_xml(Cursor::new(text.as_bytes())).map_err(PlistError::Plist)
}

/// Walks the event stream of a plist of `len` bytes without building anything: too deep, or
/// more values than `len` bytes can hold without sharing, is an error. A syntax error is left to
/// the parse proper, which meets it at the same place (the same reader on the same bytes) and
/// so never deeper than here.
fn within_bounds<E>(events: E, len: usize) -> Result<(), PlistError>
where
    E: Iterator<Item = Result<plist::stream::OwnedEvent, plist::Error>>,
{
    use plist::stream::Event;
    // every value of an XML or ASCII plist takes bytes of its own, and so does every reference
    // of a binary one; only shared objects expand beyond that
    let most = len.saturating_mul(4).saturating_add(4096);
    let mut depth = 0usize;
    let mut values = 0usize;
    for event in events {
        let Ok(event) = event else { return Ok(()) };
        match event {
            Event::StartArray(_) | Event::StartDictionary(_) => {
                depth += 1;
                if depth > MAX_DEPTH {
                    return Err(PlistError::TooDeep);
                }
            }
            Event::EndCollection => {
                depth = depth.saturating_sub(1);
                continue;
            }
            _ => {}
        }
        values += 1;
        if values > most {
            return Err(PlistError::TooManyValues(most));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nested_xml(depth: usize) -> String {
        format!(
            "<?xml version=\"1.0\"?><plist version=\"1.0\">{}{}</plist>",
            "<array>".repeat(depth),
            "</array>".repeat(depth)
        )
    }

    #[test]
    fn the_depth_limit_is_the_last_level_read() {
        assert!(read_plist(nested_xml(MAX_DEPTH).as_bytes()).is_ok());
        assert!(matches!(
            read_plist(nested_xml(MAX_DEPTH + 1).as_bytes()),
            Err(PlistError::TooDeep)
        ));
        assert!(matches!(read_plist_xml(&nested_xml(100_000)), Err(PlistError::TooDeep)));
        // ASCII plists too
        let ascii = format!("{}{}", "(".repeat(100_000), ")".repeat(100_000));
        assert!(matches!(read_plist(ascii.as_bytes()), Err(PlistError::TooDeep)));
    }

    #[test]
    fn syntax_errors_are_the_crates_own() {
        let broken = "<?xml version=\"1.0\"?><plist version=\"1.0\"><dict><key>a</key></dict></plist>";
        let ours = read_plist(broken.as_bytes()).err().map(|e| e.to_string());
        let theirs = plist::Value::from_reader(Cursor::new(broken.as_bytes()))
            .err()
            .map(|e| e.to_string());
        assert!(ours.is_some());
        assert_eq!(ours, theirs);
    }
}
