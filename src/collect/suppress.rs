//! `otadoctor: ignore[LNK006,TLS]` comments in a file read as an input: found by a byte search
//! (linear, one pass), and kept on the inputs whose links stand on the comment's line or the
//! line after it. What they suppress is decided by `run::judge`; an item that names no rule is
//! said in the input's `skipped` lines, once.

use memchr::memmem;

use crate::facts::{Input, SuppressionComment};
use crate::registry::Selector;

/// The marker, before `ignore[`.
const MARKER: &[u8] = b"otadoctor:";

/// The most comments kept of one file, and of one line, and the longest list of codes read:
/// each input keeps the comments of two lines, so a hostile file cannot make the inputs' facts
/// grow with the product of its links and its comments.
const MAX_COMMENTS: usize = 10_000;
const MAX_PER_LINE: usize = 8;
const MAX_LIST: usize = 256;

/// The comments in `text` (the file `file`), in line order.
pub fn comments(file: &str, text: &str) -> Vec<SuppressionComment> {
    let bytes = text.as_bytes();
    let mut found = Vec::new();
    let (mut line, mut counted) = (1, 0);
    for at in memmem::find_iter(bytes, MARKER) {
        if found.len() >= MAX_COMMENTS {
            break;
        }
        let before = line;
        line += memchr::memchr_iter(b'\n', &bytes[counted..at]).count();
        counted = at;
        if line == before
            && found
                .iter()
                .rev()
                .take_while(|c: &&SuppressionComment| c.line == line)
                .count()
                >= MAX_PER_LINE
        {
            continue;
        }
        let rest = &text[at + MARKER.len()..];
        let after = rest.trim_start_matches([' ', '\t']);
        let Some(list) = after.strip_prefix("ignore[") else {
            continue;
        };
        let window = &list.as_bytes()[..list.len().min(MAX_LIST)];
        let Some(end) = window
            .iter()
            .position(|b| matches!(b, b']' | b'\n'))
            .filter(|e| window[*e] == b']')
        else {
            continue;
        };
        let codes: Vec<String> = list[..end]
            .split(',')
            .map(|c| c.trim().to_string())
            .filter(|c| !c.is_empty())
            .collect();
        let comment_end = at + MARKER.len() + (rest.len() - after.len()) + "ignore[".len() + end + 1;
        found.push(SuppressionComment {
            file: file.to_string(),
            line,
            codes,
            comment: text[at..comment_end].to_string(),
        });
    }
    found
}

/// Keeps on each input the comments of `text` on its links' lines or the lines before them; an
/// item naming no rule is said (once, on the first input that gets the comment).
pub fn attach(file: &str, text: &str, inputs: &mut [Input]) {
    if memmem::find(text.as_bytes(), MARKER).is_none() {
        return;
    }
    let comments = comments(file, text);
    if comments.is_empty() {
        return;
    }
    let mut said = vec![false; comments.len()];
    for input in inputs.iter_mut() {
        let mut lines: Vec<usize> = input
            .facts
            .links
            .iter()
            .filter_map(|l| l.location.as_ref())
            .filter(|l| l.file == file && l.line > 0)
            .map(|l| l.line)
            .collect();
        lines.sort_unstable();
        lines.dedup();
        for line in lines {
            // the comments on the line before and on the line itself
            let from = comments.partition_point(|c| c.line + 1 < line);
            for (i, comment) in comments
                .iter()
                .enumerate()
                .skip(from)
                .take_while(|(_, c)| c.line <= line)
            {
                if input.facts.suppressions.contains(comment) {
                    continue;
                }
                if !said[i] {
                    said[i] = true;
                    let unknown: Vec<&str> = comment
                        .codes
                        .iter()
                        .filter(|c| Selector::parse(c).is_none())
                        .map(String::as_str)
                        .collect();
                    if comment.codes.is_empty() || !unknown.is_empty() {
                        input.facts.skipped.push(format!(
                            "{file}:{}: `{}` names {}: it suppresses nothing for {} (`otadoctor rules` lists the codes)",
                            comment.line,
                            comment.comment,
                            if unknown.is_empty() {
                                "no rule".to_string()
                            } else {
                                format!("no rule {}", unknown.join(", "))
                            },
                            if unknown.is_empty() { "any rule" } else { "those" }
                        ));
                    }
                }
                input.facts.suppressions.push(comment.clone());
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comments_are_found_with_their_lines() {
        let text = "a\n<!-- otadoctor: ignore[LNK006, TLS] -->\nb # otadoctor:ignore[x]\notadoctor: ignore[LNK001\n]";
        let found = comments("f.html", text);
        assert_eq!(found.len(), 2);
        assert_eq!(found[0].line, 2);
        assert_eq!(found[0].codes, vec!["LNK006", "TLS"]);
        assert_eq!(found[0].comment, "otadoctor: ignore[LNK006, TLS]");
        assert_eq!(found[1].line, 3);
        assert_eq!(found[1].comment, "otadoctor:ignore[x]");
    }

    #[test]
    fn a_line_keeps_a_few_short_comments() {
        let line = "otadoctor: ignore[LNK006] ".repeat(100);
        assert_eq!(comments("f", &line).len(), MAX_PER_LINE);
        let long = format!("otadoctor: ignore[{}]", "LNK006,".repeat(100));
        assert!(comments("f", &long).is_empty());
        let two = format!("{line}\n{line}");
        assert_eq!(comments("f", &two).len(), 2 * MAX_PER_LINE);
    }
}
