//! The Example section of every rule doc shows the tool's real output: each `$ otadoctor …`
//! line is run through the CLI entry point and the lines under it must appear, in order.

mod support;

use otadoctor::registry::ALL;
use support::otadoctor;

/// Splits `--offline 'a b' --now X` into arguments (single quotes only, as the docs write them).
fn shell_words(line: &str) -> Vec<String> {
    let mut words = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut in_word = false;
    for c in line.chars() {
        match c {
            '\'' => {
                quoted = !quoted;
                in_word = true;
            }
            c if c.is_whitespace() && !quoted => {
                if in_word {
                    words.push(std::mem::take(&mut current));
                    in_word = false;
                }
            }
            c => {
                current.push(c);
                in_word = true;
            }
        }
    }
    if in_word {
        words.push(current);
    }
    words
}

/// The Example section of a doc.
fn example_section(doc: &str) -> &str {
    let start = doc.find("## Example").unwrap_or(doc.len());
    let end = doc[start..].find("\n## How to fix").map_or(doc.len(), |i| start + i);
    &doc[start..end]
}

/// (command, expected output lines) pairs from the Example section's plain code blocks
/// (```` ``` ````). A ```` ```console ```` block is a transcript from the test lab: shown, not run.
fn examples(doc: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    // None: outside a block; Some(true): in a runnable block; Some(false): in a transcript
    let mut fence: Option<bool> = None;
    for line in example_section(doc).lines() {
        let trimmed = line.trim_start();
        if trimmed.starts_with("```") {
            fence = match fence {
                Some(_) => None,
                None => Some(trimmed == "```"),
            };
            continue;
        }
        if fence != Some(true) {
            continue;
        }
        if let Some(cmd) = line.strip_prefix("$ otadoctor ") {
            out.push((cmd.to_string(), Vec::new()));
        } else if let Some((_, lines)) = out.last_mut()
            && !line.trim().is_empty()
        {
            lines.push(line.trim_end().to_string());
        }
    }
    out
}

#[test]
fn every_rule_doc_example_is_the_real_output() {
    let mut problems = Vec::new();
    for rule in ALL {
        let examples = examples(rule.doc);
        if rule.needs_network {
            // a network rule's example is a lab transcript; it must show the finding
            let section = example_section(rule.doc);
            if !section.contains("```console") || !section.contains(&format!("[{} {}]", rule.code, rule.name)) {
                problems.push(format!(
                    "{}: a ```console transcript showing [{} {}] is needed",
                    rule.doc_file(),
                    rule.code,
                    rule.name
                ));
            }
            continue;
        }
        if examples.is_empty() {
            problems.push(format!("{}: no `$ otadoctor …` example", rule.doc_file()));
        }
        let mut raised = false;
        for (cmd, expected) in examples {
            let args = shell_words(&cmd);
            let argv: Vec<&str> = args.iter().map(String::as_str).collect();
            let run = otadoctor(&argv);
            raised |= run.stdout.contains(&format!("[{} {}]", rule.code, rule.name));
            let actual: Vec<&str> = run.stdout.lines().map(str::trim_end).collect();
            let mut at = 0;
            for line in &expected {
                match actual[at..].iter().position(|a| a == line) {
                    Some(i) => at += i + 1,
                    None => {
                        problems.push(format!(
                            "{}: `otadoctor {cmd}`: line not in the output (in order):\n  {line}\nactual output:\n{}",
                            rule.doc_file(),
                            run.stdout
                        ));
                        break;
                    }
                }
            }
        }
        if !raised {
            problems.push(format!("{}: no example raises {}", rule.doc_file(), rule.code));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

#[test]
fn shell_words_reads_single_quotes() {
    assert_eq!(shell_words("--offline 'a b&c' x"), ["--offline", "a b&c", "x"]);
}
