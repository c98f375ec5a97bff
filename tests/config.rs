//! The configuration file (`otadoctor.toml`, `.otadoctor.toml` with `[tool.otadoctor]`, found
//! upward from the inputs, or `--config`), the `OTADOCTOR_*` variables, their precedence
//! (command line > environment > file > defaults; a list replaces), per-path ignores and
//! `otadoctor: ignore[…]` comments. The runs that depend on the working directory or the
//! environment run the binary as a child process with its own directory and variables.

mod support;

use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::lab::Site;
use support::{Run, otadoctor, otadoctor_args, testdata};

/// A link whose host is a documentation domain: URL010 (error), offline.
const EXAMPLE_LINK: &str = "itms-services://?action=download-manifest&url=https%3A%2F%2Fota.example.com%2Fm.plist";

/// A page whose link holds `&amp;amp;`: LNK006 (error) at line 3.
const PAGE: &str = "<!doctype html>\n<html><body>\n<a href=\"itms-services://?action=download-manifest&amp;amp;url=https://ota.acme-apps.io/field/manifest.plist\">Install</a>\n</body></html>\n";

/// A fresh, empty directory under the tests' temp dir.
fn fresh(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("config").join(name);
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a temporary directory");
    dir
}

fn write(root: &Path, path: &str, bytes: impl AsRef<[u8]>) -> String {
    let path = root.join(path);
    std::fs::create_dir_all(path.parent().expect("a parent")).expect("folders");
    std::fs::write(&path, bytes).expect("a file");
    path.display().to_string()
}

fn s(path: &Path) -> String {
    path.display().to_string()
}

/// A path as the report shows it: relative to the working directory when it lies under it (a
/// target directory inside the checkout, as on a fresh clone), else as it is.
fn shown(path: &str) -> String {
    let cwd = std::env::current_dir().expect("a working directory");
    std::path::Path::new(path)
        .strip_prefix(&cwd)
        .map_or_else(|_| path.to_string(), |p| p.display().to_string())
}

/// Runs the binary in `dir` with only these `OTADOCTOR_*` variables.
fn run_in(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Run {
    let mut command = Command::new(env!("CARGO_BIN_EXE_otadoctor"));
    command.current_dir(dir).args(args);
    for (name, _) in std::env::vars_os() {
        if name.to_string_lossy().starts_with("OTADOCTOR_") {
            command.env_remove(name);
        }
    }
    command.envs(env.iter().copied());
    let out = command.output().expect("the binary runs");
    Run {
        code: out.status.code().unwrap_or(-1),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// Every (code, suppression) of a JSON document's suppressed findings.
fn suppressed(doc: &Value) -> Vec<(String, Value)> {
    doc["results"]
        .as_array()
        .into_iter()
        .flatten()
        .flat_map(|r| r["suppressed_findings"].as_array().into_iter().flatten())
        .map(|f| {
            (
                f["code"].as_str().unwrap_or_default().to_string(),
                f["suppressed"].clone(),
            )
        })
        .collect()
}

// ---------------------------------------------------------------------------------------------
// finding the file

#[test]
fn the_file_is_found_upward_from_a_scanned_directory_and_named_in_the_report() {
    let root = fresh("upward-dir");
    write(&root, "site/web/install.html", PAGE);
    let scanned = s(&root.join("site/web"));
    let without = otadoctor(&["--offline", "--format", "json", &scanned]);
    assert_eq!(
        (without.code, without.codes()),
        (1, vec!["LNK006".to_string()]),
        "{}",
        without.stderr
    );
    assert!(without.json().get("config").is_none());
    let config = write(&root, "site/otadoctor.toml", "fail-on = \"never\"\n");
    let with = otadoctor(&["--offline", "--format", "json", &scanned]);
    assert_eq!(
        (with.code, with.codes()),
        (0, vec!["LNK006".to_string()]),
        "{}",
        with.stderr
    );
    assert_eq!(with.json()["config"], shown(&config).as_str());
    let human = otadoctor(&["--offline", &scanned]);
    assert!(
        human.stdout.contains(&format!("config   {}\n", shown(&config))),
        "{}",
        human.stdout
    );
}

#[test]
fn a_dot_file_with_tool_otadoctor_is_found_from_a_file_input_and_the_nearest_wins() {
    let root = fresh("upward-file");
    let page = write(&root, "a/b/install.html", PAGE);
    write(
        &root,
        "a/.otadoctor.toml",
        "[tool.otadoctor]\nignore = [\"LNK006\"]\n\n[tool.other-tool]\nline-length = 100\n",
    );
    // a farther file is not read, nor merged
    write(&root, "otadoctor.toml", "fail-on = \"never\"\nselect = [\"TLS\"]\n");
    let run = otadoctor(&["--offline", "--format", "json", &page]);
    assert_eq!((run.code, run.codes()), (0, Vec::<String>::new()), "{}", run.stderr);
    assert_eq!(
        run.json()["config"],
        shown(&s(&root.join("a/.otadoctor.toml"))).as_str()
    );
}

#[test]
fn a_link_finds_the_file_from_the_working_directory() {
    let root = fresh("cwd");
    write(&root, "otadoctor.toml", "ignore = [\"url-placeholder\"]\n");
    write(&root, "sub/keep", "");
    let run = run_in(&root.join("sub"), &["--offline", "--format", "json", EXAMPLE_LINK], &[]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    assert_eq!(run.codes(), Vec::<String>::new());
    // a file above the working directory is shown whole
    let found = std::fs::canonicalize(root.join("otadoctor.toml")).expect("the file");
    assert_eq!(run.json()["config"], s(&found).as_str());
    // the file under the working directory is shown relative to it
    let here = run_in(&root, &["--offline", "--format", "json", EXAMPLE_LINK], &[]);
    assert_eq!(here.json()["config"], "otadoctor.toml");
}

#[test]
fn config_names_the_file_and_no_config_reads_none() {
    let root = fresh("explicit");
    let page = write(&root, "web/install.html", PAGE);
    write(&root, "otadoctor.toml", "fail-on = \"never\"\n");
    let other = write(&root, "ci/strict.toml", "fail-on = \"error\"\nignore = []\n");
    let found = otadoctor(&["--offline", &page]);
    assert_eq!(found.code, 0, "{}", found.stderr);
    let named = otadoctor(&["--offline", "--format", "json", "--config", &other, &page]);
    assert_eq!(named.code, 1, "{}", named.stderr);
    assert_eq!(named.json()["config"], other.as_str());
    let none = otadoctor(&["--offline", "--format", "json", "--no-config", &page]);
    assert_eq!(none.code, 1, "{}", none.stderr);
    assert!(none.json().get("config").is_none());
    // OTADOCTOR_CONFIG names one too; --no-config wins over it
    let by_env = run_in(&root, &["--offline", &page], &[("OTADOCTOR_CONFIG", &other)]);
    assert_eq!(by_env.code, 1, "{}", by_env.stderr);
    let lenient = write(&root, "ci/lenient.toml", "fail-on = \"never\"\n");
    let lenient_by_env = run_in(&root, &["--offline", &page], &[("OTADOCTOR_CONFIG", &lenient)]);
    assert_eq!(lenient_by_env.code, 0, "{}", lenient_by_env.stderr);
    let refused = run_in(
        &root,
        &["--offline", "--no-config", &page],
        &[("OTADOCTOR_CONFIG", &lenient)],
    );
    assert_eq!(refused.code, 1, "{}", refused.stderr);
    let missing = otadoctor(&["--offline", "--config", "no/such.toml", &page]);
    assert_eq!(missing.code, 2);
    assert!(missing.stderr.contains("no/such.toml"), "{}", missing.stderr);
}

#[test]
fn inputs_that_find_different_files_are_refused_and_the_same_file_is_shared() {
    let root = fresh("several");
    let a = write(&root, "a/install.html", PAGE);
    let b = write(&root, "b/install.html", PAGE);
    write(&root, "a/otadoctor.toml", "fail-on = \"never\"\n");
    let run = otadoctor(&["--offline", &a, &b]);
    assert_eq!(run.code, 2, "{}", run.stdout);
    assert!(
        run.stderr.contains("find different configuration files")
            && run.stderr.contains(&s(&root.join("a/otadoctor.toml")))
            && run.stderr.contains("none")
            && run.stderr.contains("--config"),
        "{}",
        run.stderr
    );
    write(&root, "otadoctor.toml", "fail-on = \"never\"\n");
    std::fs::remove_file(root.join("a/otadoctor.toml")).expect("removed");
    let shared = otadoctor(&["--offline", &a, &b]);
    assert_eq!(shared.code, 0, "{}", shared.stderr);
}

// ---------------------------------------------------------------------------------------------
// every key has an effect

/// Runs with `--config` naming a file of `text` in a fresh directory `name`.
fn with_config(name: &str, text: &str, args: &[&str]) -> Run {
    let root = fresh(name);
    let config = write(&root, "otadoctor.toml", text);
    let mut all = vec!["--offline", "--format", "json", "--config", &config];
    all.extend_from_slice(args);
    otadoctor(&all)
}

#[test]
fn select_ignore_and_fail_on_change_the_findings_and_the_exit_code() {
    let page = testdata("pages/install-broken.html");
    let all = otadoctor(&["--offline", "--format", "json", "--no-config", &page]);
    assert!(all.codes().len() > 1, "{}", all.stdout);
    let first = all.codes()[0].clone();
    let selected = with_config("select", &format!("select = [\"{first}\"]\n"), &[&page]);
    assert!(selected.codes().iter().all(|c| *c == first), "{:?}", selected.codes());
    let ignored = with_config("ignore", &format!("ignore = \"{first}\"\n"), &[&page]);
    assert!(!ignored.codes().contains(&first), "{:?}", ignored.codes());
    let never = with_config("fail-on", "fail-on = \"never\"\n", &[&page]);
    assert_eq!((all.code, never.code), (1, 0));
}

#[test]
fn ios_device_and_expiry_warning_raise_the_package_rules() {
    let field = testdata("ipa/docs/Field.ipa");
    let ipad_only = testdata("ipa/docs/Field-ipad-only.ipa");
    let plain = otadoctor(&["--offline", "--format", "json", "--no-config", &field]);
    assert!(!plain.codes().contains(&"APP003".to_string()));
    let old_ios = with_config("ios", "ios = \"12.0\"\n", &[&field]);
    assert!(old_ios.codes().contains(&"APP003".to_string()), "{:?}", old_ios.codes());
    let iphone = otadoctor(&["--offline", "--format", "json", "--no-config", &ipad_only]);
    assert!(iphone.codes().contains(&"APP004".to_string()), "{:?}", iphone.codes());
    let ipad = with_config("device", "device = \"ipad\"\n", &[&ipad_only]);
    assert!(!ipad.codes().contains(&"APP004".to_string()), "{:?}", ipad.codes());
    // a profile ten years from expiry is "expiring soon" under a 3650-day warning
    let adhoc = testdata("ipa/docs/Field-adhoc.ipa");
    let ca = testdata("profiles/docs/lab-ca.pem");
    let soon = with_config(
        "expiry",
        &format!("expiry-warning = 3650\nprofile-ca = [{ca:?}]\n"),
        &[&adhoc],
    );
    assert!(soon.codes().contains(&"SIG004".to_string()), "{:?}", soon.codes());
    let usual = with_config("expiry-usual", &format!("profile-ca = [{ca:?}]\n"), &[&adhoc]);
    assert!(!usual.codes().contains(&"SIG004".to_string()), "{:?}", usual.codes());
}

#[test]
fn profile_ca_paths_are_relative_to_the_file() {
    let root = fresh("profile-ca");
    std::fs::copy(testdata("profiles/docs/lab-ca.pem"), root.join("lab-ca.pem")).expect("copied");
    let config = write(&root, "ci/otadoctor.toml", "profile-ca = \"../lab-ca.pem\"\n");
    let adhoc = testdata("ipa/docs/Field-adhoc.ipa");
    let run = otadoctor(&["--offline", "--format", "json", "--config", &config, &adhoc]);
    assert_eq!(run.codes(), ["SIG013"], "{}{}", run.stdout, run.stderr);
    let alone = otadoctor(&["--offline", "--format", "json", "--no-config", &adhoc]);
    assert_eq!(alone.codes(), ["SIG008", "SIG013"]);
}

#[test]
fn ca_file_and_trust_store_in_the_file_reach_a_lab_site() {
    let site = Site::correct("ota.acme-apps.test");
    let root = fresh("ca-file");
    std::fs::copy(site.lab.pki.root_file(), root.join("root.pem")).expect("copied");
    let config = write(&root, "otadoctor.toml", "ca-file = [\"root.pem\"]\n");
    // the lab's arguments but its root
    let mut args: Vec<String> = Vec::new();
    let lab_args = site.args(&[]);
    let mut skip = false;
    for a in lab_args {
        if skip {
            skip = false;
        } else if a == "--ca-file" {
            skip = true;
        } else {
            args.push(a);
        }
    }
    let url = site.url(Site::PAGE);
    let run_with = |extra: &[&str]| {
        let mut all = args.clone();
        all.extend(extra.iter().map(|a| a.to_string()));
        all.push(url.clone());
        otadoctor_args(&all)
    };
    let root_pem = s(&root.join("root.pem"));
    // what the command line's --ca-file gives, the file's gives
    let by_option = run_with(&["--no-config", "--ca-file", &root_pem]);
    let untrusted = run_with(&["--no-config"]);
    assert_ne!(untrusted.codes(), by_option.codes());
    let trusted = run_with(&["--config", &config]);
    assert_eq!(trusted.codes(), by_option.codes(), "{}", trusted.stderr);
    // trust-store: read from the file's directory (a missing one is said, exit 2)
    let store = write(
        &root,
        "store.toml",
        "ca-file = [\"root.pem\"]\ntrust-store = \"public-roots.pem\"\n",
    );
    let missing = run_with(&["--config", &store]);
    assert_eq!(missing.code, 2, "{}", missing.stdout);
    assert!(
        missing.stderr.contains(&s(&root.join("public-roots.pem"))),
        "{}",
        missing.stderr
    );
    // the same from the environment, in a child process
    let mut child: Vec<String> = args.clone();
    child.extend(["--no-config".to_string(), url.clone()]);
    let child: Vec<&str> = child.iter().map(String::as_str).collect();
    let by_env = run_in(&root, &child, &[("OTADOCTOR_CA_FILE", &root_pem)]);
    assert_eq!(by_env.codes(), by_option.codes(), "{}", by_env.stderr);
    let store = run_in(
        &root,
        &child,
        &[
            ("OTADOCTOR_CA_FILE", &root_pem),
            ("OTADOCTOR_TRUST_STORE", "/no/such/store.pem"),
        ],
    );
    assert_eq!(store.code, 2, "{}", store.stdout);
    assert!(store.stderr.contains("/no/such/store.pem"), "{}", store.stderr);
}

// ---------------------------------------------------------------------------------------------
// precedence: command line > environment > file > defaults; a list replaces

#[test]
fn the_file_overrides_the_default() {
    let root = fresh("file-over-default");
    write(&root, "otadoctor.toml", "fail-on = \"never\"\n");
    assert_eq!(run_in(&root, &["--offline", EXAMPLE_LINK], &[]).code, 0);
    assert_eq!(run_in(&root, &["--offline", "--no-config", EXAMPLE_LINK], &[]).code, 1);
}

#[test]
fn the_environment_overrides_the_file() {
    let root = fresh("env-over-file");
    write(&root, "otadoctor.toml", "fail-on = \"never\"\n");
    let run = run_in(&root, &["--offline", EXAMPLE_LINK], &[("OTADOCTOR_FAIL_ON", "error")]);
    assert_eq!(run.code, 1, "{}", run.stderr);
    // an empty variable is unset: the file's value stands
    let empty = run_in(&root, &["--offline", EXAMPLE_LINK], &[("OTADOCTOR_FAIL_ON", "")]);
    assert_eq!(empty.code, 0, "{}", empty.stderr);
}

#[test]
fn the_command_line_overrides_the_environment() {
    let root = fresh("cli-over-env");
    let env = [("OTADOCTOR_FAIL_ON", "never")];
    assert_eq!(run_in(&root, &["--offline", EXAMPLE_LINK], &env).code, 0);
    assert_eq!(
        run_in(&root, &["--offline", "--fail-on", "error", EXAMPLE_LINK], &env).code,
        1
    );
}

#[test]
fn a_list_from_a_higher_source_replaces_the_lower_one() {
    let root = fresh("lists");
    write(&root, "otadoctor.toml", "ignore = [\"URL010\"]\n");
    let codes = |env: &[(&str, &str)], extra: &[&str]| {
        let mut args = vec!["--offline", "--format", "json"];
        args.extend_from_slice(extra);
        args.push(EXAMPLE_LINK);
        run_in(&root, &args, env).codes()
    };
    assert_eq!(codes(&[], &[]), Vec::<String>::new());
    // the environment's list replaces the file's: URL010 is back
    assert_eq!(codes(&[("OTADOCTOR_IGNORE", "LNK006")], &[]), ["URL010"]);
    // the command line's replaces both
    assert_eq!(
        codes(&[("OTADOCTOR_IGNORE", "URL010")], &["--ignore", "LNK006"]),
        ["URL010"]
    );
    // an empty item on the command line clears the list
    assert_eq!(codes(&[], &["--ignore="]), ["URL010"]);
}

#[test]
fn every_variable_is_read() {
    let root = fresh("variables");
    let field = testdata("ipa/docs/Field.ipa");
    let ipad_only = testdata("ipa/docs/Field-ipad-only.ipa");
    let adhoc = testdata("ipa/docs/Field-adhoc.ipa");
    let ca = testdata("profiles/docs/lab-ca.pem");
    let codes =
        |env: &[(&str, &str)], input: &str| run_in(&root, &["--offline", "--format", "json", input], env).codes();
    assert!(codes(&[("OTADOCTOR_IOS", "12.0")], &field).contains(&"APP003".to_string()));
    assert!(!codes(&[("OTADOCTOR_DEVICE", "ipad")], &ipad_only).contains(&"APP004".to_string()));
    assert_eq!(codes(&[("OTADOCTOR_PROFILE_CA", &ca)], &adhoc), ["SIG013"]);
    assert!(
        codes(
            &[("OTADOCTOR_PROFILE_CA", &ca), ("OTADOCTOR_EXPIRY_WARNING", "3650")],
            &adhoc
        )
        .contains(&"SIG004".to_string())
    );
    assert_eq!(codes(&[("OTADOCTOR_SELECT", "SIG001")], &field), ["SIG001"]);
    assert_eq!(
        codes(&[("OTADOCTOR_IGNORE", "SIG001,missing-code-signature")], &field),
        Vec::<String>::new()
    );
    // paths are a list as PATH is
    let list = std::env::join_paths([ca.as_str(), "/no/such/second.pem"]).expect("a path list");
    let two = run_in(
        &root,
        &["--offline", &adhoc],
        &[("OTADOCTOR_PROFILE_CA", list.to_str().expect("utf-8"))],
    );
    assert!(
        two.stderr.contains("/no/such/second.pem"),
        "{}{}",
        two.stdout,
        two.stderr
    );
}

// ---------------------------------------------------------------------------------------------
// bad files and values

#[test]
fn a_bad_file_is_said_with_its_line_and_key() {
    let cases: &[(&str, &str)] = &[
        (
            "select = [\"LNK\"]\n\nfail_on = \"never\"\n",
            ":3: `fail_on`: unknown key; did you mean `fail-on`?",
        ),
        (
            "ignore = [\"LNK0066\"]\n",
            ":1: `ignore`: unknown rule or family \"LNK0066\"; did you mean",
        ),
        (
            "expiry-warning = \"30\"\n",
            ":1: `expiry-warning`: expected a number of days from 0 to 3650",
        ),
        ("ios = 17.4\n", ":1: `ios`: expected a string: write the version quoted"),
        ("device = \"ipod\"\n", ":1: `device`: \"ipod\" is not a device family"),
        (
            "fail-on = [\"error\"]\n",
            ":1: `fail-on`: expected a string, found array",
        ),
        (
            "[per-path-ignores]\n\"a/[\" = [\"LNK006\"]\n",
            ":2: `per-path-ignores` \"a/[\": not a glob",
        ),
        ("select = [\n", ":1: not TOML: unclosed array"),
        (
            "color = \"always\"\n",
            ":1: `color`: unknown key; the keys are select, ignore",
        ),
    ];
    for (i, (text, said)) in cases.iter().enumerate() {
        let root = fresh(&format!("bad-{i}"));
        let config = write(&root, "otadoctor.toml", text);
        let run = otadoctor(&["--offline", "--config", &config, EXAMPLE_LINK]);
        assert_eq!(run.code, 2, "{text}: {}", run.stdout);
        assert!(run.stdout.is_empty(), "{}", run.stdout);
        assert!(
            run.stderr.starts_with(&format!("otadoctor: {config}{said}")),
            "{text:?}: {}",
            run.stderr
        );
    }
}

#[test]
fn a_file_over_a_mebibyte_is_refused() {
    let root = fresh("huge");
    let config = write(&root, "otadoctor.toml", format!("# {}\n", "x".repeat(1 << 20)));
    let run = otadoctor(&["--offline", "--config", &config, EXAMPLE_LINK]);
    assert_eq!(run.code, 2);
    assert!(run.stderr.contains("larger than 1048576 bytes"), "{}", run.stderr);
}

#[test]
fn a_bad_variable_is_said_by_name() {
    let root = fresh("bad-env");
    for (name, value, said) in [
        ("OTADOCTOR_FAIL_ON", "sometimes", "\"sometimes\" is not a severity"),
        ("OTADOCTOR_SELECT", "LNK006,LNK9", "unknown rule or family \"LNK9\""),
        ("OTADOCTOR_EXPIRY_WARNING", "-1", "\"-1\" is not a number of days"),
        ("OTADOCTOR_IOS", "seventeen", "is not an iOS version"),
        ("OTADOCTOR_DEVICE", "watch", "is not a device family"),
    ] {
        let run = run_in(&root, &["--offline", EXAMPLE_LINK], &[(name, value)]);
        assert_eq!(run.code, 2, "{name}={value}");
        assert!(
            run.stderr.starts_with(&format!("otadoctor: {name}: ")) && run.stderr.contains(said),
            "{}",
            run.stderr
        );
    }
}

// ---------------------------------------------------------------------------------------------
// suppression

/// A repository with a fixture page, a page with comments, and a config with per-path ignores.
fn suppressing_repository(name: &str) -> PathBuf {
    let root = fresh(name);
    write(
        &root,
        "otadoctor.toml",
        "[per-path-ignores]\n\"tests/fixtures/**\" = [\"LNK006\"]\n",
    );
    write(&root, "tests/fixtures/broken.html", PAGE);
    write(
        &root,
        "web/install.html",
        "<!doctype html>\n<html><body>\n<!-- otadoctor: ignore[LNK006] the CMS double-escapes; ticket 4711 -->\n\
         <a href=\"itms-services://?action=download-manifest&amp;amp;url=https://ota.acme-apps.io/field/manifest.plist\">Install</a>\n\
         <a href=\"itms-services://?action=download-manifest&amp;amp;url=https://ota.acme-apps.io/field/manifest.plist\">Again</a> <!-- otadoctor: ignore[html-entity-in-link] -->\n\
         </body></html>\n",
    );
    root
}

#[test]
fn comments_and_per_path_ignores_suppress_in_json_without_counting() {
    let root = suppressing_repository("suppress-json");
    let run = otadoctor(&["--offline", "--format", "json", &s(&root)]);
    assert_eq!(run.code, 0, "{}{}", run.stdout, run.stderr);
    let doc = run.json();
    assert_eq!(run.codes(), Vec::<String>::new());
    assert_eq!(doc["summary"]["suppressed"], 3);
    assert_eq!(doc["summary"]["error"], 0);
    let mut found = suppressed(&doc);
    found.sort_by_key(|(_, why)| why.to_string());
    let mut expected = vec![
        (
            "LNK006".to_string(),
            serde_json::json!({"kind": "external", "config": shown(&s(&root.join("otadoctor.toml"))), "pattern": "tests/fixtures/**"}),
        ),
        (
            "LNK006".to_string(),
            serde_json::json!({"kind": "in-source", "comment": "otadoctor: ignore[LNK006]", "file": "web/install.html", "line": 3}),
        ),
        (
            "LNK006".to_string(),
            serde_json::json!({"kind": "in-source", "comment": "otadoctor: ignore[html-entity-in-link]", "file": "web/install.html", "line": 5}),
        ),
    ];
    expected.sort_by_key(|(_, why)| why.to_string());
    assert_eq!(found, expected);
    let human = otadoctor(&["--offline", &s(&root)]);
    assert!(
        human
            .stdout
            .ends_with("no problem in what was checked · 2 inputs not checked in full · 3 suppressed · exit 0\n"),
        "{}",
        human.stdout
    );
    let markdown = otadoctor(&["--offline", "--format", "markdown", &s(&root)]);
    assert!(markdown.stdout.contains("3 suppressed"), "{}", markdown.stdout);
    let github = otadoctor(&["--offline", "--format", "github", &s(&root)]);
    assert!(!github.stdout.contains("::error"), "{}", github.stdout);
    let junit = otadoctor(&["--offline", "--format", "junit", &s(&root)]);
    assert!(!junit.stdout.contains("<failure"), "{}", junit.stdout);
    // without the comments' and the file's help, all three count
    let none = otadoctor(&["--offline", "--format", "json", "--no-config", &s(&root.join("tests"))]);
    assert_eq!((none.code, none.codes()), (1, vec!["LNK006".to_string()]));
}

#[test]
fn a_comment_two_lines_above_or_for_another_rule_suppresses_nothing() {
    let root = fresh("suppress-not");
    let page = write(
        &root,
        "install.html",
        "<!-- otadoctor: ignore[LNK006] -->\n\n<a href=\"itms-services://?action=download-manifest&amp;amp;url=https://ota.acme-apps.io/m.plist\">x</a>\n\
         <a href=\"itms-services://?action=download-manifest&amp;amp;url=https://ota.acme-apps.io/m.plist\">x</a> <!-- otadoctor: ignore[TLS008] -->\n",
    );
    let run = otadoctor(&["--offline", "--format", "json", &page]);
    assert_eq!(run.code, 1);
    assert_eq!(run.codes(), ["LNK006", "LNK006"]);
    assert!(suppressed(&run.json()).is_empty());
}

#[test]
fn a_comment_naming_no_rule_is_said() {
    let root = fresh("suppress-unknown");
    let page = write(
        &root,
        "install.html",
        "<a href=\"itms-services://?action=download-manifest&amp;amp;url=https://ota.acme-apps.io/m.plist\">x</a> <!-- otadoctor: ignore[LNK006, LNK0O6] -->\n",
    );
    let run = otadoctor(&["--offline", "--format", "json", &page]);
    // the known code still suppresses; the unknown one is said
    assert_eq!(run.code, 0);
    let skipped = run.json()["results"][0]["facts"]["skipped"].to_string();
    assert!(skipped.contains("names no rule LNK0O6"), "{skipped}");
    let human = otadoctor(&["--offline", &page]);
    assert!(
        human.says("`otadoctor: ignore[LNK006, LNK0O6]` names no rule LNK0O6"),
        "{}",
        human.stdout
    );
}

#[test]
fn the_readme_example_files_are_valid() {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/README.md")).expect("README.md");
    let section = readme
        .split("\n## Configuration\n")
        .nth(1)
        .and_then(|rest| rest.split("\n## ").next())
        .expect("a Configuration section");
    let examples: Vec<&str> = section
        .split("```toml\n")
        .skip(1)
        .filter_map(|block| block.split("```").next())
        .collect();
    assert_eq!(examples.len(), 2, "{section}");
    for example in &examples {
        let parsed = otadoctor::config::parse("README.md", Path::new("/repo"), example);
        assert!(parsed.is_ok(), "{example}: {:?}", parsed.err());
    }
    let (settings, per_path) =
        otadoctor::config::parse("README.md", Path::new("/repo"), examples[0]).expect("the first example");
    assert_eq!(settings.ios, Some(vec![16, 7]));
    assert_eq!(per_path.len(), 2);
}
