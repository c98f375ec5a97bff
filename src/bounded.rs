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
//! * **caps on what a tree copies into the facts** ([`MAX_VALUES`], [`MAX_STRING_CHARS`],
//!   [`MAX_TEXT_BYTES`]): a copy that reaches one is cut, and says so ([`Cut`]). Real manifests
//!   (tens of values, hash lists of a few thousand) and Info.plists (hundreds) are far below them.

use std::io::Cursor;

/// How deep arrays and dictionaries may nest in a plist, and any structure read from the input
/// may nest (BER elements in a profile). Manifests nest 5 levels, Info.plists about 10,
/// CodeResources 4, profiles 3 (their BER envelope about 12).
pub const MAX_DEPTH: usize = 64;

/// The most values (array items and dictionary entries, with the root) a tree copied into the
/// facts keeps.
pub const MAX_VALUES: usize = 20_000;

/// The most characters one string (a key or a value) keeps in the facts; longer ones are
/// shortened, ending in "…".
pub const MAX_STRING_CHARS: usize = 16 * 1024;

/// The most bytes of text (keys and strings, UTF-8) one tree keeps in the facts together.
pub const MAX_TEXT_BYTES: usize = 1024 * 1024;

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

/// The plist as JSON (dates as RFC 3339 strings, data as a note of its size), within the facts
/// caps; `Some(cut)` says what was left out.
pub fn to_json(value: &plist::Value) -> (serde_json::Value, Option<Cut>) {
    let mut copy = Copy::default();
    let json = copy.value(value, 0);
    let cut = (copy.cut != Cut::default()).then_some(copy.cut);
    (json, cut)
}

/// A copy under way: what it holds so far and what it left out.
#[derive(Default)]
struct Copy {
    values: usize,
    chars: usize,
    cut: Cut,
}

impl Copy {
    /// Whether one more value fits (a container only within [`MAX_DEPTH`], as parsing allows);
    /// when it does not, it is counted, with what it holds.
    fn admit(&mut self, value: &plist::Value, depth: usize) -> bool {
        let container = matches!(value, plist::Value::Array(_) | plist::Value::Dictionary(_));
        if self.has_room() && !(container && depth >= MAX_DEPTH) {
            self.values += 1;
            return true;
        }
        self.cut.left_out = self.cut.left_out.saturating_add(count(value, depth));
        false
    }

    /// A string, shortened to [`MAX_STRING_CHARS`] characters.
    fn string(&mut self, s: &str) -> String {
        let long = s.char_indices().nth(MAX_STRING_CHARS).map(|(at, _)| at);
        let kept = match long {
            Some(at) => {
                self.cut.shortened += 1;
                format!("{}…", &s[..at])
            }
            None => s.to_string(),
        };
        self.chars = self.chars.saturating_add(kept.len());
        kept
    }

    /// `value`, the `depth`-th container's child (the root at 0), once admitted.
    fn value(&mut self, value: &plist::Value, depth: usize) -> serde_json::Value {
        use serde_json::Value as J;
        if !self.admit(value, depth) {
            return J::Null;
        }
        match value {
            plist::Value::Array(items) => {
                let mut out = Vec::new();
                for (i, item) in items.iter().enumerate() {
                    if !self.has_room() {
                        self.leave_out(items[i..].iter(), depth + 1);
                        break;
                    }
                    out.push(self.value(item, depth + 1));
                }
                J::Array(out)
            }
            plist::Value::Dictionary(dict) => {
                let mut out = serde_json::Map::new();
                for (i, (key, item)) in dict.iter().enumerate() {
                    if !self.has_room() {
                        self.leave_out(dict.values().skip(i), depth + 1);
                        break;
                    }
                    let key = self.string(key);
                    let item = self.value(item, depth + 1);
                    out.insert(key, item);
                }
                J::Object(out)
            }
            plist::Value::Boolean(b) => J::Bool(*b),
            plist::Value::Integer(i) => i
                .as_signed()
                .map(J::from)
                .or_else(|| i.as_unsigned().map(J::from))
                .unwrap_or(J::Null),
            plist::Value::Real(r) => serde_json::Number::from_f64(*r).map_or(J::Null, J::Number),
            plist::Value::String(s) => J::String(self.string(s)),
            plist::Value::Date(d) => J::String(d.to_xml_format()),
            plist::Value::Data(d) => J::String(format!("<data: {} bytes>", d.len())),
            plist::Value::Uid(u) => J::from(u.get()),
            _ => J::Null,
        }
    }

    fn has_room(&self) -> bool {
        self.values < MAX_VALUES && self.chars < MAX_TEXT_BYTES
    }

    /// Counts `rest` (the children of one container not copied) as left out.
    fn leave_out<'v>(&mut self, rest: impl Iterator<Item = &'v plist::Value>, depth: usize) {
        for value in rest {
            self.cut.left_out = self.cut.left_out.saturating_add(count(value, depth));
        }
    }
}

/// How many values `value` is, with what it holds (containers past [`MAX_DEPTH`] count as one).
fn count(value: &plist::Value, depth: usize) -> usize {
    if depth >= MAX_DEPTH {
        return 1;
    }
    let inner = match value {
        plist::Value::Array(items) => items.iter().map(|v| count(v, depth + 1)).sum(),
        plist::Value::Dictionary(dict) => dict.values().map(|v| count(v, depth + 1)).sum(),
        _ => 0,
    };
    1usize.saturating_add(inner)
}

/// What was left out when a tree read from the input (a manifest, an Info.plist) was copied
/// into the facts: the copy keeps at most 20,000 values, 16 KiB characters per string and 1 MiB
/// of text (`crate::bounded`), so that no input makes the facts, and the JSON report, grow
/// without bound. Real manifests and Info.plists are far below that.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct Cut {
    /// Values (array items and dictionary entries, each with all it holds) left out.
    pub left_out: usize,
    /// Strings (keys and values) shortened, ending in "…".
    pub shortened: usize,
}

impl Cut {
    /// "cut: 1,204 values left out, 2 strings shortened".
    pub fn describe(&self) -> String {
        let mut parts = Vec::new();
        if self.left_out > 0 {
            parts.push(format!("{} left out", counted(self.left_out, "value")));
        }
        if self.shortened > 0 {
            parts.push(format!("{} shortened", counted(self.shortened, "string")));
        }
        format!("cut: {}", parts.join(", "))
    }
}

/// "1 value", "12,345 values".
fn counted(n: usize, noun: &str) -> String {
    let digits = n.to_string();
    let mut grouped = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            grouped.push(',');
        }
        grouped.push(c);
    }
    format!("{grouped} {noun}{}", if n == 1 { "" } else { "s" })
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

    #[test]
    fn a_copy_keeps_every_level_parsing_allows() {
        let mut value = plist::Value::String("bottom".into());
        for _ in 0..MAX_DEPTH {
            value = plist::Value::Array(vec![value]);
        }
        let (json, cut) = to_json(&value);
        assert_eq!(cut, None);
        let mut inner = &json;
        for _ in 0..MAX_DEPTH {
            inner = &inner[0];
        }
        assert_eq!(inner, "bottom");
        // one level more (no parse gives it) is left out, counted as one value
        let (_, cut) = to_json(&plist::Value::Array(vec![value]));
        assert_eq!(cut.map(|c| c.left_out), Some(1));
    }

    #[test]
    fn a_copy_within_the_caps_is_whole() {
        let mut dict = plist::Dictionary::new();
        dict.insert("a".into(), plist::Value::Array(vec![plist::Value::Boolean(true); 3]));
        let (json, cut) = to_json(&plist::Value::Dictionary(dict));
        assert_eq!(json, serde_json::json!({"a": [true, true, true]}));
        assert_eq!(cut, None);
    }

    #[test]
    fn a_copy_past_the_caps_is_cut_and_says_so() {
        let items = vec![plist::Value::String("x".repeat(MAX_STRING_CHARS + 5)); MAX_VALUES + 10];
        let (json, cut) = to_json(&plist::Value::Array(items));
        let cut = cut.expect("cut");
        let kept = json.as_array().map(Vec::len).unwrap_or_default();
        // the text cap is reached first: 1 MiB of 16 KiB strings
        assert_eq!(kept, MAX_TEXT_BYTES / (MAX_STRING_CHARS + '…'.len_utf8()) + 1);
        assert_eq!(cut.left_out, MAX_VALUES + 10 - kept);
        assert_eq!(cut.shortened, kept);
        let first = json[0].as_str().unwrap_or_default();
        assert_eq!(first.chars().count(), MAX_STRING_CHARS + 1);
        assert!(first.ends_with('…'));

        let (json, cut) = to_json(&plist::Value::Array(vec![plist::Value::Boolean(true); MAX_VALUES * 2]));
        assert_eq!(
            json.as_array().map(Vec::len),
            Some(MAX_VALUES - 1),
            "the root is a value"
        );
        assert_eq!(cut.map(|c| c.left_out), Some(MAX_VALUES + 1));
    }
}
