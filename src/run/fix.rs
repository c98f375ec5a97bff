//! `--fix` and `--diff`: the corrected link written back into the file it was found in.
//!
//! A link is rewritten only where the rewrite is certain: the whole link is one literal in
//! the file (`LinkFacts::literal`: no template value, not wrapped over lines, not inside an
//! encoding such as quoted-printable), and its findings carry a corrected link (the link
//! rules' one repair, the same every finding shows). The corrected link is escaped the way
//! the file escapes that literal (an HTML attribute: `&amp;`; a JSON or JavaScript string:
//! backslashes), every edit placed by the offsets of the file as it was read (in one pass,
//! none overlapping), and the result is read again to make sure it holds each corrected link.
//! A file that changed since it was read is not written.
//!
//! `--fix` writes the files, says on standard error what it fixed and what it left, and then
//! checks the inputs again: the report and the exit code are those of what remains. `--diff`
//! writes nothing: it prints a unified diff (`patch -p1` applies it) and exits as the fixed
//! files would check offline.

use std::collections::HashMap;
use std::io::{Read, Write};
use std::path::Path;

use super::{Io, Options, ReportOptions, RunError, context, exit_code_of, judge};
use crate::check::Context;
use crate::collect::input::{self, MAX_LOCAL_INPUT};
use crate::collect::{self, CollectError};
use crate::facts::{Escaping, Input};
use crate::report::Summary;
use crate::text::escape_for_terminal;

/// What to do with the corrections.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    /// `--fix`: write them into the files.
    Write,
    /// `--diff`: print them as a unified diff.
    Diff,
}

/// One link replaced by its corrected form.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Edit {
    /// Byte range of the link's literal in the file.
    pub start: usize,
    pub end: usize,
    /// The corrected link as the file writes it (escaped for the literal).
    pub replacement: String,
    /// The corrected link.
    pub corrected: String,
    /// The literal as the file wrote it.
    pub was: String,
    /// `file:line:column`.
    pub at: String,
    /// The rules whose findings the correction answers.
    pub rules: Vec<&'static str>,
}

/// A link with findings that is left as it is, and why.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Left {
    pub at: String,
    pub reason: String,
}

/// The corrections of one file.
#[derive(Debug, Clone)]
pub struct Plan {
    pub path: String,
    pub original: Vec<u8>,
    /// In file order, not overlapping.
    pub edits: Vec<Edit>,
    pub left: Vec<Left>,
}

impl Plan {
    /// The file with every edit applied. The edits are in file order and do not overlap, so
    /// each offset is one of the file as read; the result is built in one pass.
    pub fn fixed(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(self.original.len());
        let mut at = 0;
        for edit in &self.edits {
            out.extend_from_slice(&self.original[at..edit.start]);
            out.extend_from_slice(edit.replacement.as_bytes());
            at = edit.end;
        }
        out.extend_from_slice(&self.original[at..]);
        out
    }
}

/// The corrected link as a literal of `escaping` writes it.
pub fn escape(link: &str, escaping: Escaping) -> String {
    let mut out = String::with_capacity(link.len());
    for c in link.chars() {
        match (escaping, c) {
            (Escaping::Markup, '&') => out.push_str("&amp;"),
            (Escaping::Markup, '"') => out.push_str("&quot;"),
            (Escaping::Markup, '\'') => out.push_str("&#39;"),
            (Escaping::Markup, '<') => out.push_str("&lt;"),
            (Escaping::Markup, '>') => out.push_str("&gt;"),
            (Escaping::Backslash | Escaping::BackslashDollar, '\\') => out.push_str("\\\\"),
            (Escaping::Backslash | Escaping::BackslashDollar, '"') => out.push_str("\\\""),
            (Escaping::BackslashDollar, '$') => out.push_str("\\$"),
            _ => out.push(c),
        }
    }
    out
}

/// `--fix` or `--diff` over the inputs of `options`, which must all be files.
pub fn command(options: &Options, report: &ReportOptions, mode: Mode, io: &mut Io<'_>) -> Result<i32, RunError> {
    let arguments = collect::arguments(&options.collect)?;
    let files = files(&arguments, mode)?;
    let ctx = context(options)?;
    let mut plans = Vec::new();
    for file in &files {
        plans.push(plan(file, options, &ctx)?);
    }
    let verb = match mode {
        Mode::Write => "fixed",
        Mode::Diff => "would fix",
    };
    match mode {
        Mode::Diff => {
            let mut remaining = Vec::new();
            for plan in &plans {
                if !plan.edits.is_empty() {
                    io.stdout
                        .write_all(unified_diff(&plan.path, &plan.original, &plan.edits).as_bytes())
                        .map_err(RunError::Write)?;
                }
                remaining.extend(findings_of(&plan.path, &plan.fixed(), options, &ctx)?);
            }
            tell(io, &plans, verb);
            let summary = Summary::of(&remaining);
            let _ = writeln!(
                io.stderr,
                "otadoctor: {} finding{} would remain (offline checks of the fixed files)",
                summary.total(),
                if summary.total() == 1 { "" } else { "s" }
            );
            Ok(exit_code_of(summary, options.fail_on))
        }
        Mode::Write => {
            write_plans(&plans)?;
            tell(io, &plans, verb);
            super::check(options, report, io)
        }
    }
}

/// Writes every plan's fixed file — none of them unless every file is still what was read.
pub fn write_plans(plans: &[Plan]) -> Result<(), RunError> {
    for plan in plans.iter().filter(|p| !p.edits.is_empty()) {
        if read_capped(&plan.path)? != plan.original {
            return Err(RunError::Fix(format!(
                "{} changed since otadoctor read it: nothing was written",
                plan.path
            )));
        }
    }
    for plan in plans.iter().filter(|p| !p.edits.is_empty()) {
        write(&plan.path, &plan.fixed())?;
    }
    Ok(())
}

/// The files to fix: every input must be one.
fn files(arguments: &[String], mode: Mode) -> Result<Vec<String>, RunError> {
    let option = match mode {
        Mode::Write => "--fix",
        Mode::Diff => "--diff",
    };
    let mut files: Vec<String> = Vec::new();
    for arg in arguments {
        let path = Path::new(arg);
        if path.is_dir() {
            // the files a scan of the directory checks, by their path from here
            for found in crate::collect::tree::read(arg, &crate::collect::PackageOptions::default()) {
                let (Some(file), Some(_)) = (&found.file, &found.facts.root) else {
                    continue;
                };
                let joined = path.join(file).display().to_string();
                if found.kind != crate::facts::InputKind::Package && !files.contains(&joined) {
                    files.push(joined);
                }
            }
            continue;
        }
        let problem = if arg == "-" {
            Some("standard input is not a file it can write to")
        } else if !path.is_file() {
            Some("is not a file (links and URLs given as arguments cannot be rewritten)")
        } else {
            None
        };
        if let Some(problem) = problem {
            return Err(RunError::Fix(format!("{option}: {arg} {problem}")));
        }
        if !files.contains(arg) {
            files.push(arg.clone());
        }
    }
    Ok(files)
}

/// The file's bytes, up to the cap of a local input.
fn read_capped(path: &str) -> Result<Vec<u8>, RunError> {
    let unreadable = |source| {
        RunError::Collect(CollectError::Input(input::InputError::Unreadable {
            path: path.to_string(),
            source,
        }))
    };
    let file = std::fs::File::open(path).map_err(unreadable)?;
    let mut bytes = Vec::new();
    file.take(MAX_LOCAL_INPUT + 1)
        .read_to_end(&mut bytes)
        .map_err(unreadable)?;
    if bytes.len() as u64 > MAX_LOCAL_INPUT {
        return Err(RunError::Collect(CollectError::Input(input::InputError::TooLarge {
            path: path.to_string(),
        })));
    }
    Ok(bytes)
}

/// The inputs of a file's bytes, judged offline: each input with its findings.
fn judged(path: &str, bytes: &[u8], options: &Options, ctx: &Context) -> Result<Vec<super::Outcome>, RunError> {
    let inputs: Vec<Input> = input::read_bytes(path, bytes).map_err(|e| RunError::Collect(CollectError::Input(e)))?;
    Ok(inputs.into_iter().map(|i| judge(options, ctx, i)).collect())
}

fn findings_of(
    path: &str,
    bytes: &[u8],
    options: &Options,
    ctx: &Context,
) -> Result<Vec<crate::finding::Finding>, RunError> {
    Ok(judged(path, bytes, options, ctx)?
        .into_iter()
        .flat_map(|o| o.findings)
        .collect())
}

/// What can be fixed in `path`, and what is left.
pub fn plan(path: &str, options: &Options, ctx: &Context) -> Result<Plan, RunError> {
    let original = read_capped(path)?;
    let mut edits: Vec<Edit> = Vec::new();
    let mut left = Vec::new();
    // how many links of each text the file holds: a corrected link must be there once more for
    // each edit that writes it
    let mut counts: HashMap<String, isize> = HashMap::new();
    for outcome in judged(path, &original, options, ctx)? {
        for link in &outcome.input.facts.links {
            *counts.entry(link.text.clone()).or_default() -= 1;
        }
        // each link's findings, grouped in one pass (a page may hold thousands of links)
        let mut by_link: HashMap<usize, Vec<&crate::finding::Finding>> = HashMap::new();
        for f in &outcome.findings {
            if let Some(index) = f.subject.link {
                by_link.entry(index).or_default().push(f);
            }
        }
        for (index, link) in outcome.input.facts.links.iter().enumerate() {
            let Some(findings) = by_link.get(&index) else {
                continue;
            };
            let at = match &link.location {
                Some(l) => l.describe(),
                None => path.to_string(),
            };
            let mut corrected: Vec<&str> = findings.iter().filter_map(|f| f.corrected.as_deref()).collect();
            corrected.dedup();
            let rules: Vec<&'static str> = findings.iter().map(|f| f.rule.code).collect();
            let reason = if link.dynamic {
                let values: Vec<&str> = link.values.iter().map(|v| v.expression.as_str()).collect();
                Some(format!(
                    "the link is built from template values ({}): they are not touched",
                    values.join(", ")
                ))
            } else if corrected.is_empty() {
                Some(format!("no certain correction for {}", rules.join(", ")))
            } else if corrected.len() > 1 {
                Some("the findings disagree on the corrected link".to_string())
            } else if link.literal.is_none() {
                Some("the link is not one literal in the file (wrapped over lines, or encoded)".to_string())
            } else {
                None
            };
            let (Some(literal), None, [fixed]) = (&link.literal, &reason, corrected.as_slice()) else {
                left.push(Left {
                    at,
                    reason: reason.unwrap_or_default(),
                });
                continue;
            };
            let in_bounds = literal.start <= literal.end
                && literal.end <= original.len()
                && std::str::from_utf8(&original[literal.start..literal.end]).is_ok();
            if !in_bounds || *fixed == link.text {
                left.push(Left {
                    at,
                    reason: "the link's place in the file is not known exactly".to_string(),
                });
                continue;
            }
            edits.push(Edit {
                start: literal.start,
                end: literal.end,
                replacement: escape(fixed, literal.escaping),
                corrected: fixed.to_string(),
                was: String::from_utf8_lossy(&original[literal.start..literal.end]).into_owned(),
                at,
                rules,
            });
        }
    }
    edits.sort_by_key(|e| e.start);
    let mut kept: Vec<Edit> = Vec::new();
    for edit in edits {
        match kept.last() {
            Some(last) if edit.start < last.end => left.push(Left {
                at: edit.at,
                reason: "overlaps another link's correction".to_string(),
            }),
            _ => kept.push(edit),
        }
    }
    let mut plan = Plan {
        path: path.to_string(),
        original,
        edits: kept,
        left,
    };
    // the fixed file, read back by the same finders, must hold each corrected link where an
    // edit wrote it: as many more of them as edits wrote
    if !plan.edits.is_empty() {
        let fixed = plan.fixed();
        for outcome in judged(path, &fixed, options, ctx).unwrap_or_default() {
            for link in outcome.input.facts.links {
                *counts.entry(link.text).or_default() += 1;
            }
        }
        for edit in &plan.edits {
            *counts.entry(edit.corrected.clone()).or_default() -= 1;
        }
        if plan
            .edits
            .iter()
            .any(|e| counts.get(&e.corrected).is_none_or(|n| *n < 0))
        {
            for edit in std::mem::take(&mut plan.edits) {
                plan.left.push(Left {
                    at: edit.at,
                    reason:
                        "the corrected link would not read back from the file as written: the file is left as it is"
                            .to_string(),
                });
            }
        }
    }
    Ok(plan)
}

/// Writes `bytes` to `path` through a temporary file in the same folder, keeping its mode.
fn write(path: &str, bytes: &[u8]) -> Result<(), RunError> {
    let target = Path::new(path);
    let dir = target
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let failed = |e: std::io::Error| RunError::Fix(format!("cannot write {path}: {e}"));
    let permissions = std::fs::metadata(target).map_err(failed)?.permissions();
    let mut temporary = tempfile::NamedTempFile::new_in(dir).map_err(failed)?;
    temporary.write_all(bytes).map_err(failed)?;
    temporary.as_file().set_permissions(permissions).map_err(failed)?;
    temporary.persist(target).map_err(|e| failed(e.error))?;
    Ok(())
}

/// What was (or would be) fixed and what is left, on standard error.
fn tell(io: &mut Io<'_>, plans: &[Plan], verb: &str) {
    let mut fixed = 0;
    let mut files = 0;
    let mut left = 0;
    for plan in plans {
        if !plan.edits.is_empty() {
            files += 1;
        }
        for edit in &plan.edits {
            fixed += 1;
            let _ = writeln!(
                io.stderr,
                "{verb}  {}  {}\n  was  {}\n  now  {}",
                escape_for_terminal(&edit.at),
                edit.rules.join(", "),
                escape_for_terminal(&edit.was),
                escape_for_terminal(&edit.corrected)
            );
        }
        for l in &plan.left {
            left += 1;
            let _ = writeln!(
                io.stderr,
                "left   {}  {}",
                escape_for_terminal(&l.at),
                escape_for_terminal(&l.reason)
            );
        }
    }
    let plural = |n: usize, word: &str| format!("{n} {word}{}", if n == 1 { "" } else { "s" });
    let _ = writeln!(
        io.stderr,
        "otadoctor: {verb} {} in {}; {} left as {}",
        plural(fixed, "link"),
        plural(files, "file"),
        plural(left, "link"),
        if left == 1 { "it was" } else { "they were" }
    );
}

/// A unified diff of `old` and `old` with `edits` applied (`--- a/PATH`, `+++ b/PATH`, hunks
/// with three lines of context), which `patch -p1` applies. The edits are known, so the hunks
/// come straight from the lines they touch.
pub fn unified_diff(path: &str, old: &[u8], edits: &[Edit]) -> String {
    const CONTEXT: usize = 3;
    let text = String::from_utf8_lossy(old);
    let text = text.as_ref();
    // each line with its line break
    let mut starts = vec![0];
    starts.extend(text.match_indices('\n').map(|(i, _)| i + 1).filter(|i| *i < text.len()));
    let line_of = |at: usize| starts.partition_point(|s| *s <= at).saturating_sub(1);
    let line = |i: usize| &text[starts[i]..starts.get(i + 1).copied().unwrap_or(text.len())];
    let count = starts.len();
    // blocks of changed lines: (first, last, new text of those lines)
    let mut blocks: Vec<(usize, usize, Vec<&Edit>)> = Vec::new();
    for edit in edits {
        let first = line_of(edit.start);
        let last = line_of(edit.end.saturating_sub(1).max(edit.start));
        match blocks.last_mut() {
            Some((_, block_last, block_edits)) if first <= *block_last => {
                *block_last = (*block_last).max(last);
                block_edits.push(edit);
            }
            _ => blocks.push((first, last, vec![edit])),
        }
    }
    let replaced: Vec<(usize, usize, Vec<String>)> = blocks
        .into_iter()
        .map(|(first, last, edits)| {
            let from = starts[first];
            let to = starts.get(last + 1).copied().unwrap_or(text.len());
            let mut new = String::new();
            let mut at = from;
            for e in edits {
                new.push_str(&text[at..e.start]);
                new.push_str(&e.replacement);
                at = e.end;
            }
            new.push_str(&text[at..to]);
            let lines = new.split_inclusive('\n').map(str::to_string).collect();
            (first, last, lines)
        })
        .collect();
    let mut out = format!("--- a/{path}\n+++ b/{path}\n");
    let push_line = |out: &mut String, mark: char, l: &str| {
        out.push(mark);
        out.push_str(l);
        if !l.ends_with('\n') {
            out.push_str("\n\\ No newline at end of file\n");
        }
    };
    let mut delta: isize = 0;
    let mut i = 0;
    while i < replaced.len() {
        // blocks whose contexts touch go into one hunk
        let mut j = i;
        while j + 1 < replaced.len() && replaced[j + 1].0 <= replaced[j].1 + 2 * CONTEXT + 1 {
            j += 1;
        }
        let start = replaced[i].0.saturating_sub(CONTEXT);
        let end = (replaced[j].1 + CONTEXT).min(count - 1);
        let mut body = String::new();
        let mut old_count = 0;
        let mut new_count = 0;
        let mut at = start;
        for (first, last, new_lines) in &replaced[i..=j] {
            for k in at..*first {
                push_line(&mut body, ' ', line(k));
                old_count += 1;
                new_count += 1;
            }
            for k in *first..=*last {
                push_line(&mut body, '-', line(k));
                old_count += 1;
            }
            for l in new_lines {
                push_line(&mut body, '+', l);
                new_count += 1;
            }
            at = last + 1;
        }
        for k in at..=end {
            push_line(&mut body, ' ', line(k));
            old_count += 1;
            new_count += 1;
        }
        let new_start = start as isize + 1 + delta;
        out.push_str(&format!(
            "@@ -{},{old_count} +{new_start},{new_count} @@\n{body}",
            start + 1
        ));
        delta += new_count as isize - old_count as isize;
        i = j + 1;
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edit(start: usize, end: usize, replacement: &str) -> Edit {
        Edit {
            start,
            end,
            replacement: replacement.to_string(),
            corrected: replacement.to_string(),
            was: String::new(),
            at: String::new(),
            rules: Vec::new(),
        }
    }

    #[test]
    fn escapes_for_each_literal() {
        let link = "itms-services://?a=\"1\"&b=$x\\";
        assert_eq!(escape(link, Escaping::Verbatim), link);
        assert_eq!(
            escape(link, Escaping::Markup),
            "itms-services://?a=&quot;1&quot;&amp;b=$x\\"
        );
        assert_eq!(
            escape(link, Escaping::Backslash),
            "itms-services://?a=\\\"1\\\"&b=$x\\\\"
        );
        assert_eq!(
            escape(link, Escaping::BackslashDollar),
            "itms-services://?a=\\\"1\\\"&b=\\$x\\\\"
        );
    }

    #[test]
    fn hunks_have_three_lines_of_context_and_merge_when_close() {
        let old: String = (1..=20).map(|i| format!("line {i}\n")).collect();
        let at = |n: usize| old.find(&format!("line {n}\n")).expect("line");
        let edits = [
            edit(at(2), at(2) + 6, "LINE 2"),
            edit(at(5), at(5) + 6, "LINE 5"),
            edit(at(18), at(18) + 7, "L18"),
        ];
        let diff = unified_diff("f.txt", old.as_bytes(), &edits);
        assert_eq!(
            diff,
            "--- a/f.txt\n+++ b/f.txt\n@@ -1,8 +1,8 @@\n line 1\n-line 2\n+LINE 2\n line 3\n line 4\n-line 5\n+LINE 5\n line 6\n line 7\n line 8\n@@ -15,6 +15,6 @@\n line 15\n line 16\n line 17\n-line 18\n+L18\n line 19\n line 20\n"
        );
    }

    #[test]
    fn a_last_line_without_a_line_break_is_marked() {
        let diff = unified_diff("f", b"a\nb", &[edit(2, 3, "c")]);
        assert_eq!(
            diff,
            "--- a/f\n+++ b/f\n@@ -1,2 +1,2 @@\n a\n-b\n\\ No newline at end of file\n+c\n\\ No newline at end of file\n"
        );
    }
}
