//! The crate's layering, read from its sources (design/ARCHITECTURE.md): arrows only point
//! down, `cli → run → {collect, check, report} → ground floor`, and nothing imports in a loop.
//!
//! A module's references are the `crate::…` and `super::…` paths in its file (test modules at
//! the end of a file left out), each resolved to the longest module path that exists.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Every source file's module path (`check::man`, `collect::net::tls`, `facts`) and its text
/// without its `#[cfg(test)]` module.
fn modules() -> BTreeMap<String, String> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut out = BTreeMap::new();
    let mut stack = vec![root.clone()];
    while let Some(dir) = stack.pop() {
        for entry in std::fs::read_dir(&dir).expect("src/") {
            let path = entry.expect("entry").path();
            if path.is_dir() {
                stack.push(path);
                continue;
            }
            if path.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let relative = path.strip_prefix(&root).expect("under src/").with_extension("");
            let mut parts: Vec<String> = relative
                .components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect();
            if parts.last().is_some_and(|p| p == "mod") {
                parts.pop();
            }
            if matches!(parts.as_slice(), [only] if only == "lib" || only == "main") {
                continue;
            }
            let text = std::fs::read_to_string(&path).expect("source");
            let text = match text.find("#[cfg(test)]\nmod tests") {
                Some(at) => text[..at].to_string(),
                None => text,
            };
            out.insert(parts.join("::"), text);
        }
    }
    out
}

/// The modules `text` (the source of `module`) refers to.
fn references(module: &str, text: &str, known: &BTreeSet<String>) -> BTreeSet<String> {
    let pattern = regex::Regex::new(r"\b(crate|super)((?:::[a-z_][a-z0-9_]*)+)").expect("pattern");
    let mut out = BTreeSet::new();
    for found in pattern.captures_iter(text) {
        let mut path: Vec<&str> = match &found[1] {
            "crate" => Vec::new(),
            _ => {
                let mut parent: Vec<&str> = module.split("::").collect();
                parent.pop();
                parent
            }
        };
        path.extend(found[2].split("::").filter(|s| !s.is_empty()));
        // the longest prefix that is a module
        while !path.is_empty() && !known.contains(&path.join("::")) {
            path.pop();
        }
        if !path.is_empty() {
            out.insert(path.join("::"));
        }
    }
    out.remove(module);
    out
}

/// The graph of references between modules.
fn graph() -> BTreeMap<String, BTreeSet<String>> {
    let modules = modules();
    let known: BTreeSet<String> = modules.keys().cloned().collect();
    modules
        .iter()
        .map(|(module, text)| (module.clone(), references(module, text, &known)))
        .collect()
}

fn top(module: &str) -> &str {
    module.split("::").next().unwrap_or(module)
}

/// A cycle in `edges`, if there is one.
fn cycle(edges: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        node: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) -> Option<Vec<String>> {
        if let Some(at) = path.iter().position(|p| p == node) {
            let mut found = path[at..].to_vec();
            found.push(node.to_string());
            return Some(found);
        }
        if done.contains(node) {
            return None;
        }
        path.push(node.to_string());
        for next in edges.get(node).into_iter().flatten() {
            if let Some(found) = visit(next, edges, path, done) {
                return Some(found);
            }
        }
        path.pop();
        done.insert(node.to_string());
        None
    }
    let mut done = BTreeSet::new();
    edges
        .keys()
        .find_map(|node| visit(node, edges, &mut Vec::new(), &mut done))
}

#[test]
fn check_never_imports_collect_and_neither_imports_report() {
    let mut wrong = Vec::new();
    for (module, refs) in graph() {
        for target in refs {
            let (from, to) = (top(&module), top(&target));
            if (from == "check" && to == "collect") || (matches!(from, "check" | "collect") && to == "report") {
                wrong.push(format!("{module} → {target}"));
            }
        }
    }
    assert!(wrong.is_empty(), "imports against the layering: {wrong:?}");
}

#[test]
fn arrows_point_down() {
    // each top-level module's layer; a module refers only to its own layer's modules (without a
    // loop) and to lower ones
    let layer = |m: &str| match m {
        "severity" | "text" => 0,
        "registry" | "finding" | "facts" | "x509" | "link" | "manifest" | "ctlog" | "symptom" | "device"
        | "codesign" | "bounded" | "cms" => 1,
        "collect" | "check" | "report" => 2,
        "run" | "generate" | "config" => 3,
        "demo" | "cli" | "serve" => 4,
        other => panic!("module {other} has no layer here: add it"),
    };
    let mut wrong = Vec::new();
    for (module, refs) in graph() {
        for target in refs {
            let (from, to) = (top(&module), top(&target));
            let sideways_between_stages = layer(from) == 2 && layer(to) == 2 && from != to;
            if layer(to) > layer(from) || sideways_between_stages {
                wrong.push(format!("{module} → {target}"));
            }
        }
    }
    assert!(wrong.is_empty(), "upward or sideways imports: {wrong:?}");
}

#[test]
fn no_import_loops_between_modules() {
    let graph = graph();
    // between top-level modules
    let mut tops: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, refs) in &graph {
        let entry = tops.entry(top(module).to_string()).or_default();
        entry.extend(refs.iter().map(|r| top(r).to_string()).filter(|r| r != top(module)));
    }
    assert_eq!(cycle(&tops), None, "an import loop between top-level modules");
    // between the files of one module (its mod.rs, the family's shared ground, left out)
    let mut files: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (module, refs) in &graph {
        if !module.contains("::") {
            continue;
        }
        let siblings = refs
            .iter()
            .filter(|r| r.contains("::") && top(r) == top(module) && !module.starts_with(&format!("{r}::")))
            .cloned();
        files.entry(module.clone()).or_default().extend(siblings);
    }
    assert_eq!(cycle(&files), None, "an import loop between the files of a module");
}

#[test]
fn the_scan_sees_what_it_is_meant_to_see() {
    // a scan that reads nothing passes everything: make sure it reads the known arrows
    let graph = graph();
    let refs = |m: &str| graph.get(m).cloned().unwrap_or_default();
    assert!(refs("run").contains("collect"), "{:?}", refs("run"));
    assert!(refs("check::lnk").contains("check::repair"), "{:?}", refs("check::lnk"));
    assert!(
        refs("check::ipa").contains("check"),
        "super:: is read: {:?}",
        refs("check::ipa")
    );
    assert!(
        refs("collect::walk").contains("collect::net"),
        "{:?}",
        refs("collect::walk")
    );
    let loop_graph: BTreeMap<String, BTreeSet<String>> = [
        ("a".to_string(), BTreeSet::from(["b".to_string()])),
        ("b".to_string(), BTreeSet::from(["a".to_string()])),
    ]
    .into();
    assert!(cycle(&loop_graph).is_some());
}

/// Every rule's decision sits in one function named after it (`hostname-mismatch` →
/// `fn hostname_mismatch`) in its family's module: the rule's registry constant is named nowhere
/// else under `src/check/`.
#[test]
fn each_rule_is_decided_in_a_function_named_after_it() {
    let modules = modules();
    let function = regex::Regex::new(r"(?m)^\s*(?:pub(?:\([a-z]+\))? )?fn ([a-z_][a-z0-9_]*)").expect("pattern");
    let constant = regex::Regex::new(r"rules::([A-Z][A-Z0-9_]*)\b").expect("pattern");
    // the registry's constants by rule, read from its source
    let registry = modules.get("registry").expect("registry");
    let entry = regex::Regex::new(r#"(?m)^\s*([A-Z][A-Z0-9_]*) = "([A-Z]+[0-9]{3})" "([a-z0-9-]+)""#).expect("pattern");
    let rules: BTreeMap<String, (String, String)> = entry
        .captures_iter(registry)
        .map(|c| (c[1].to_string(), (c[2].to_string(), c[3].to_string())))
        .collect();
    assert_eq!(
        rules.len(),
        otadoctor::registry::ALL.len(),
        "every registry entry is read"
    );
    let mut wrong = Vec::new();
    let mut decided: BTreeSet<String> = BTreeSet::new();
    for (module, text) in modules.iter().filter(|(m, _)| m.starts_with("check::")) {
        let starts: Vec<(usize, &str)> = function
            .captures_iter(text)
            .filter_map(|c| Some((c.get(0)?.start(), c.get(1)?.as_str())))
            .collect();
        for found in constant.captures_iter(text) {
            let Some((code, name)) = rules.get(&found[1]) else {
                continue;
            };
            let at = found.get(0).map_or(0, |m| m.start());
            let enclosing = starts.iter().rev().find(|(start, _)| *start < at).map(|(_, f)| *f);
            let expected = name.replace('-', "_");
            let family = code.trim_end_matches(|c: char| c.is_ascii_digit()).to_ascii_lowercase();
            if enclosing != Some(expected.as_str()) || module != &format!("check::{family}") {
                wrong.push(format!("{code} {name} named in {module}::{}", enclosing.unwrap_or("?")));
            }
            decided.insert(code.clone());
        }
    }
    let undecided: Vec<&String> = rules
        .values()
        .map(|(c, _)| c)
        .filter(|c| !decided.contains(*c))
        .collect();
    assert!(undecided.is_empty(), "rules no check function raises: {undecided:?}");
    assert!(wrong.is_empty(), "rules decided outside their own function: {wrong:?}");
}
