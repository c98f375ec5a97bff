//! Where decoded text came from in its source: an e-mail part after its transfer encoding, a
//! Markdown code block without its `> ` prefixes, a JSON string after its escapes. A finder
//! that decodes builds a `Decoded` as it goes (one pass) and maps every offset it finds in the
//! decoded text back to the source, for the link's line and column and for `--fix`.

/// One run of decoded text and the source bytes it came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Segment {
    /// Where the run starts in the decoded text.
    out: usize,
    /// The source bytes of the run.
    src: usize,
    src_end: usize,
    /// The run is the source bytes as they are (one byte for one byte).
    verbatim: bool,
}

/// The map from decoded offsets back to source offsets, built in order as text is decoded.
#[derive(Debug, Clone, Default)]
pub struct SourceMap {
    segments: Vec<Segment>,
}

impl SourceMap {
    /// Decoded bytes `out..out + len` are the source bytes `src..src + len` as they are.
    pub fn copy(&mut self, out: usize, src: usize, len: usize) {
        if len == 0 {
            return;
        }
        if let Some(last) = self.segments.last_mut()
            && last.verbatim
            && last.src_end == src
            && last.out + (last.src_end - last.src) == out
        {
            last.src_end = src + len;
            return;
        }
        self.segments.push(Segment {
            out,
            src,
            src_end: src + len,
            verbatim: true,
        });
    }

    /// Decoded bytes from `out` on (up to the next piece) came from the source bytes
    /// `src..src_end` (an escape, an encoded line).
    pub fn decoded(&mut self, out: usize, src: usize, src_end: usize) {
        if let Some(last) = self.segments.last_mut()
            && !last.verbatim
            && last.src_end == src
        {
            last.src_end = src_end;
            return;
        }
        if self.segments.last().is_some_and(|last| last.out == out) {
            // the piece before it decoded to nothing: this one takes its place
            self.segments.pop();
        }
        self.segments.push(Segment {
            out,
            src,
            src_end,
            verbatim: false,
        });
    }

    /// The segment holding decoded byte `at`.
    fn segment(&self, at: usize) -> Option<&Segment> {
        let i = self.segments.partition_point(|s| s.out <= at);
        self.segments.get(i.checked_sub(1)?)
    }

    /// Where decoded byte `at` starts in the source.
    pub fn source_start(&self, at: usize) -> usize {
        match self.segment(at) {
            Some(s) if s.verbatim => (s.src + (at - s.out)).min(s.src_end),
            Some(s) => s.src,
            None => 0,
        }
    }

    /// Where the decoded text ending before byte `end` ends in the source.
    pub fn source_end(&self, end: usize) -> usize {
        match self.segment(end.saturating_sub(1)) {
            Some(s) if s.verbatim => (s.src + (end - s.out)).min(s.src_end),
            Some(s) => s.src_end,
            None => 0,
        }
    }

    /// The source range of decoded `start..end` when it is the source bytes as they are, in
    /// one piece (what `--fix` can rewrite in place).
    pub fn verbatim_range(&self, start: usize, end: usize) -> Option<(usize, usize)> {
        let s = self.segment(start)?;
        (s.verbatim && end > start && end - s.out <= s.src_end - s.src)
            .then(|| (s.src + (start - s.out), s.src + (end - s.out)))
    }
}

/// Decoded text, with the map back to its source.
#[derive(Debug, Clone, Default)]
pub struct Decoded {
    pub text: String,
    pub map: SourceMap,
}

impl Decoded {
    pub fn new() -> Decoded {
        Decoded::default()
    }

    /// Appends source text as it is, found at `src` in the source.
    pub fn copy(&mut self, piece: &str, src: usize) {
        self.map.copy(self.text.len(), src, piece.len());
        self.text.push_str(piece);
    }

    /// Appends text decoded from the source bytes `src..src_end` (an escape, an encoded line).
    pub fn decoded(&mut self, piece: &str, src: usize, src_end: usize) {
        if piece.is_empty() {
            return;
        }
        self.map.decoded(self.text.len(), src, src_end);
        self.text.push_str(piece);
    }

    pub fn source_start(&self, at: usize) -> usize {
        self.map.source_start(at)
    }

    pub fn source_end(&self, end: usize) -> usize {
        self.map.source_end(end)
    }

    pub fn verbatim_range(&self, start: usize, end: usize) -> Option<(usize, usize)> {
        self.map.verbatim_range(start, end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn maps_decoded_offsets_to_the_source() {
        // source: "ab=3Dcd=\nef"  (quoted-printable: "=3D" is "=", "=\n" a soft break)
        let mut d = Decoded::new();
        d.copy("ab", 0);
        d.decoded("=", 2, 5);
        d.copy("cd", 5);
        d.copy("ef", 9);
        assert_eq!(d.text, "ab=cdef");
        assert_eq!(d.source_start(0), 0);
        assert_eq!(d.source_start(2), 2);
        assert_eq!(d.source_end(3), 5);
        assert_eq!(d.source_start(3), 5);
        assert_eq!(d.source_start(5), 9);
        assert_eq!(d.source_end(7), 11);
        assert_eq!(d.verbatim_range(5, 7), Some((9, 11)));
        assert_eq!(d.verbatim_range(0, 2), Some((0, 2)));
        assert_eq!(d.verbatim_range(0, 3), None, "crosses an escape");
        assert_eq!(d.verbatim_range(3, 6), None, "crosses a soft break");
    }

    #[test]
    fn adjacent_verbatim_pieces_merge() {
        let mut d = Decoded::new();
        d.copy("abc", 10);
        d.copy("def", 13);
        assert_eq!(d.map.segments.len(), 1);
        assert_eq!(d.verbatim_range(1, 5), Some((11, 15)));
    }
}
