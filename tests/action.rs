//! The GitHub Action (action.yml, action/run.sh): every input is declared, documented in the
//! README and reaches the script, and the script reads no other; its steps, run as the runner
//! runs a composite action (each `run` in bash with the step's env, `if` conditions, outputs
//! through GITHUB_OUTPUT), write the SARIF file and the job summary, upload the SARIF before the
//! last step fails with otadoctor's exit code, and pass a clean input. The release download is
//! run against a release served by the lab over HTTPS: the archive is used only when its sha256
//! is the one in the release's sha256.sum.

mod support;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

use support::lab::{Lab, Route};
use support::testdata;
use yaml_rust2::{Yaml, YamlLoader};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");
const BIN: &str = env!("CARGO_BIN_EXE_otadoctor");

fn action() -> Yaml {
    let text = std::fs::read_to_string(Path::new(ROOT).join("action.yml")).expect("action.yml");
    let mut docs = YamlLoader::load_from_str(&text).expect("action.yml is YAML");
    docs.remove(0)
}

fn script() -> String {
    std::fs::read_to_string(Path::new(ROOT).join("action/run.sh")).expect("action/run.sh")
}

/// The inputs action.yml declares, with their defaults.
fn declared_inputs(action: &Yaml) -> BTreeMap<String, String> {
    let inputs = action["inputs"].as_hash().expect("inputs");
    inputs
        .iter()
        .map(|(name, input)| {
            let name = name.as_str().expect("input name").to_string();
            let default = input["default"].as_str().unwrap_or_default().to_string();
            (name, default)
        })
        .collect()
}

fn steps(action: &Yaml) -> &[Yaml] {
    assert_eq!(action["runs"]["using"].as_str(), Some("composite"));
    action["runs"]["steps"].as_vec().expect("steps")
}

/// The INPUT_* variables a text names.
fn input_variables(text: &str) -> std::collections::BTreeSet<String> {
    let mut names = std::collections::BTreeSet::new();
    let mut rest = text;
    while let Some(at) = rest.find("INPUT_") {
        let tail = &rest[at..];
        let end = tail
            .find(|c: char| !(c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_'))
            .unwrap_or(tail.len());
        if end > "INPUT_".len() {
            names.insert(tail[..end].to_string());
        }
        rest = &tail[end..];
    }
    names
}

#[test]
fn every_input_is_declared_documented_and_read_by_the_script() {
    let action = action();
    let inputs = declared_inputs(&action);
    assert!(inputs.contains_key("inputs") && inputs.contains_key("upload-sarif"));
    let readme = std::fs::read_to_string(Path::new(ROOT).join("README.md")).expect("README");
    let run_step = steps(&action)
        .iter()
        .find(|s| s["id"].as_str() == Some("run"))
        .expect("a step with id run");
    let env = run_step["env"].as_hash().expect("the run step's env");
    let mut passed = std::collections::BTreeSet::new();
    for (name, input) in &inputs {
        assert!(
            input.is_empty() || !input.contains("${{"),
            "{name}: a default is a plain value"
        );
        let description = action["inputs"][name.as_str()]["description"]
            .as_str()
            .unwrap_or_default();
        assert!(!description.is_empty(), "{name} has a description");
        assert!(
            readme.contains(&format!("| `{name}` |")),
            "README's action table documents {name}"
        );
        let variable = format!("INPUT_{}", name.to_ascii_uppercase().replace('-', "_"));
        let value = env
            .get(&Yaml::String(variable.clone()))
            .and_then(Yaml::as_str)
            .unwrap_or_else(|| panic!("the run step passes {name} as {variable}"));
        assert_eq!(value, format!("${{{{ inputs.{name} }}}}"));
        passed.insert(variable);
    }
    let env_inputs: std::collections::BTreeSet<String> = env
        .keys()
        .filter_map(Yaml::as_str)
        .filter(|k| k.starts_with("INPUT_"))
        .map(str::to_string)
        .collect();
    assert_eq!(env_inputs, passed, "the run step passes exactly the declared inputs");
    assert_eq!(
        input_variables(&script()),
        passed,
        "run.sh reads exactly the inputs passed to it"
    );
    // no expression is pasted into a script: every `run` reads its values from env
    for step in steps(&action) {
        if let Some(run) = step["run"].as_str() {
            assert!(!run.contains("${{"), "an expression in a run script: {run}");
        }
    }
}

/// A run of the action's steps, as the runner runs a composite action.
struct Outcome {
    /// The exit code of the first `run` step that failed, else 0.
    code: i32,
    outputs: BTreeMap<String, String>,
    /// The `sarif_file` given to each upload step that ran, in order with `steps`.
    steps: Vec<String>,
    summary: String,
    stderr: String,
}

struct Runner {
    inputs: BTreeMap<String, String>,
    env: Vec<(String, String)>,
    action_path: PathBuf,
    work: tempfile::TempDir,
}

impl Runner {
    fn new(inputs: &[(&str, &str)]) -> Runner {
        Runner {
            inputs: inputs.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect(),
            env: vec![("OTADOCTOR_BIN".to_string(), BIN.to_string())],
            action_path: PathBuf::from(ROOT),
            work: tempfile::tempdir().expect("work dir"),
        }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.work.path().join(name)
    }

    /// `${{ … }}` in `text`, with the few expressions action.yml uses; any other fails the test.
    fn expand(&self, text: &str, defaults: &BTreeMap<String, String>, outputs: &BTreeMap<String, String>) -> String {
        let mut out = String::new();
        let mut rest = text;
        while let Some(start) = rest.find("${{") {
            out.push_str(&rest[..start]);
            let end = rest[start..].find("}}").expect("closed expression") + start;
            out.push_str(&self.value(rest[start + 3..end].trim(), defaults, outputs));
            rest = &rest[end + 2..];
        }
        out.push_str(rest);
        out
    }

    fn value(
        &self,
        expression: &str,
        defaults: &BTreeMap<String, String>,
        outputs: &BTreeMap<String, String>,
    ) -> String {
        if let Some(name) = expression.strip_prefix("inputs.") {
            let default = defaults.get(name).unwrap_or_else(|| panic!("undeclared input {name}"));
            return self.inputs.get(name).unwrap_or(default).clone();
        }
        if let Some(name) = expression.strip_prefix("steps.run.outputs.") {
            return outputs.get(name).cloned().unwrap_or_default();
        }
        match expression {
            // empty in composite actions' run steps on some runners (actions/runner#2473)
            "github.action_repository" => String::new(),
            _ => panic!("an expression the test runner does not know: {expression}"),
        }
    }

    /// `steps.run.outputs.X == 'v'` or `!=`, the forms action.yml uses.
    fn condition(&self, condition: &str, outputs: &BTreeMap<String, String>) -> bool {
        let (left, right, equal) = match condition.split_once("!=") {
            Some((l, r)) => (l, r, false),
            None => {
                let (l, r) = condition.split_once("==").expect("a comparison");
                (l, r, true)
            }
        };
        let name = left
            .trim()
            .strip_prefix("steps.run.outputs.")
            .expect("an output of step run");
        let value = right.trim().trim_matches('\'');
        (outputs.get(name).map(String::as_str).unwrap_or_default() == value) == equal
    }

    fn run(&self) -> Outcome {
        let action = action();
        let defaults = declared_inputs(&action);
        let output_file = self.path("github_output");
        let summary_file = self.path("step_summary");
        std::fs::write(&output_file, "").expect("output file");
        std::fs::write(&summary_file, "").expect("summary file");
        let mut outputs = BTreeMap::new();
        let mut ran = Vec::new();
        let mut stderr = String::new();
        let mut code = 0;
        for (index, step) in steps(&action).iter().enumerate() {
            if let Some(condition) = step["if"].as_str()
                && !self.condition(condition, &outputs)
            {
                continue;
            }
            if let Some(uses) = step["uses"].as_str() {
                assert!(uses.starts_with("github/codeql-action/upload-sarif@"), "{uses}");
                let file = step["with"]["sarif_file"].as_str().expect("sarif_file");
                ran.push(format!("upload {}", self.expand(file, &defaults, &outputs)));
                continue;
            }
            let script = step["run"].as_str().expect("a run or uses step");
            assert_eq!(step["shell"].as_str(), Some("bash"), "step {index}");
            let mut command = Command::new("bash");
            command
                .args(["--noprofile", "--norc", "-eo", "pipefail", "-c", script])
                .current_dir(self.work.path())
                .env("GITHUB_ACTION_PATH", &self.action_path)
                .env("GITHUB_OUTPUT", &output_file)
                .env("GITHUB_STEP_SUMMARY", &summary_file)
                .env("RUNNER_TEMP", self.work.path())
                .env("RUNNER_OS", "Linux")
                .env("RUNNER_ARCH", "X64")
                .env("GITHUB_REPOSITORY", "someone/app")
                .env_remove("OTADOCTOR_BIN");
            for (key, value) in &self.env {
                command.env(key, value);
            }
            if let Some(env) = step["env"].as_hash() {
                for (key, value) in env {
                    let value = value.as_str().expect("an env value");
                    command.env(
                        key.as_str().expect("an env name"),
                        self.expand(value, &defaults, &outputs),
                    );
                }
            }
            let done = command.output().expect("bash runs");
            stderr.push_str(&String::from_utf8_lossy(&done.stderr));
            let text = std::fs::read_to_string(&output_file).expect("outputs");
            for line in text.lines() {
                if let Some((k, v)) = line.split_once('=') {
                    outputs.insert(k.to_string(), v.to_string());
                }
            }
            let step_code = done.status.code().expect("an exit code");
            ran.push(format!("run {index} exit {step_code}"));
            if step_code != 0 {
                code = step_code;
                break;
            }
        }
        Outcome {
            code,
            outputs,
            steps: ran,
            summary: std::fs::read_to_string(&summary_file).expect("summary"),
            stderr,
        }
    }
}

#[test]
fn a_broken_link_is_reported_uploaded_and_then_fails_the_step() {
    let page = testdata("pages/install-broken.html");
    let inputs = format!("{page}\n\n");
    let runner = Runner::new(&[
        ("inputs", &inputs),
        ("offline", "true"),
        ("upload-sarif", "true"),
        ("format", "json=report.json, github"),
        ("args", "--now\n2026-11-25T12:00:00Z"),
    ]);
    let run = runner.run();
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert_eq!(run.outputs["exit-code"], "1");
    assert_eq!(run.outputs["sarif-file"], "otadoctor.sarif");
    assert_eq!(run.steps, ["run 0 exit 0", "upload otadoctor.sarif", "run 2 exit 1"]);
    let sarif: serde_json::Value =
        serde_json::from_slice(&std::fs::read(runner.path("otadoctor.sarif")).expect("the SARIF file")).expect("JSON");
    let results = sarif["runs"][0]["results"].as_array().expect("results");
    assert!(results.iter().any(|r| r["ruleId"] == "LNK006"), "{sarif}");
    let json: serde_json::Value =
        serde_json::from_slice(&std::fs::read(runner.path("report.json")).expect("the JSON file")).expect("JSON");
    assert_eq!(json["results"][0]["input"].as_str(), Some(page.as_str()));
    assert!(run.summary.contains("LNK006"), "{}", run.summary);
    assert!(run.stderr.contains("otadoctor exited with 1"), "{}", run.stderr);
}

#[test]
fn a_clean_input_passes_and_nothing_is_uploaded_unless_asked() {
    let runner = Runner::new(&[("inputs", &testdata("pages/install-good.html")), ("offline", "true")]);
    let run = runner.run();
    assert_eq!(run.code, 0, "{}", run.stderr);
    assert_eq!(run.outputs["exit-code"], "0");
    assert_eq!(run.outputs["upload"], "false");
    assert_eq!(run.steps, ["run 0 exit 0"], "no upload, no failing step");
    assert!(runner.path("otadoctor.sarif").is_file());
    assert!(!run.summary.is_empty());
}

#[test]
fn a_usage_error_fails_with_2_and_uploads_nothing() {
    let runner = Runner::new(&[
        ("inputs", &testdata("pages/install-broken.html")),
        ("fail-on", "sometimes"),
        ("upload-sarif", "true"),
    ]);
    let run = runner.run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert_eq!(run.outputs["upload"], "false", "no SARIF was written");
    assert_eq!(run.steps, ["run 0 exit 0", "run 2 exit 2"]);
}

/// A release as dist lays it out, served by the lab: the archive holding otadoctor (which
/// starts the binary cargo built) and sha256.sum (`sha256 *name` lines, as dist writes them);
/// the action checked out by the runner under `_actions/OWNER/REPO/REF`, with the version in
/// its Cargo.toml.
fn release_runner(lab: &Lab, tampered: bool) -> Runner {
    let mut runner = Runner::new(&[("inputs", &testdata("pages/install-broken.html")), ("offline", "true")]);
    let checkout = runner.path("_actions/acme/otadoctor/v0");
    std::fs::create_dir_all(checkout.join("action")).expect("checkout");
    std::fs::copy(Path::new(ROOT).join("action/run.sh"), checkout.join("action/run.sh")).expect("run.sh");
    std::fs::write(
        checkout.join("Cargo.toml"),
        "[package]\nname = \"otadoctor\"\nversion = \"0.4.1\"\n",
    )
    .expect("Cargo.toml");
    let stage = runner.path("stage/otadoctor-x86_64-unknown-linux-musl");
    std::fs::create_dir_all(&stage).expect("stage");
    // the archive's otadoctor starts the binary cargo built: xz over the 50 MB debug binary
    // would take a minute, and what is tested is the download, the sum and the unpacking
    let binary = stage.join("otadoctor");
    std::fs::write(&binary, format!("#!/bin/sh\nexec '{BIN}' \"$@\"\n")).expect("binary");
    let mode = std::os::unix::fs::PermissionsExt::from_mode(0o755);
    std::fs::set_permissions(&binary, mode).expect("mode");
    let archive = runner.path("otadoctor-x86_64-unknown-linux-musl.tar.xz");
    let made = Command::new("tar")
        .arg("-cJf")
        .arg(&archive)
        .arg("-C")
        .arg(runner.path("stage"))
        .arg("otadoctor-x86_64-unknown-linux-musl")
        .status()
        .expect("tar");
    assert!(made.success());
    let bytes = std::fs::read(&archive).expect("archive");
    let mut sum: String = ring::digest::digest(&ring::digest::SHA256, &bytes)
        .as_ref()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    if tampered {
        sum.replace_range(..4, "0000");
    }
    let sums = format!(
        "{} *otadoctor-aarch64-apple-darwin.tar.xz\n{sum} *otadoctor-x86_64-unknown-linux-musl.tar.xz\n\n",
        "ab".repeat(32)
    );
    let base = "/acme/otadoctor/releases/download/v0.4.1";
    lab.route(
        &format!("{base}/otadoctor-x86_64-unknown-linux-musl.tar.xz"),
        Route::ok("application/octet-stream", bytes),
    );
    lab.route(&format!("{base}/sha256.sum"), Route::ok("text/plain", sums));
    runner.action_path = checkout;
    runner.env = vec![
        (
            "GITHUB_SERVER_URL".to_string(),
            format!("https://localhost:{}", lab.addr.port()),
        ),
        ("CURL_CA_BUNDLE".to_string(), lab.pki.root_file()),
    ];
    runner
}

fn release_lab() -> Lab {
    let pki = std::sync::Arc::new(support::lab::Pki::new());
    // curl checks the certificate against the real clock
    let now = time::OffsetDateTime::now_utc();
    let cert = pki.leaf_with(
        &["localhost"],
        now - time::Duration::days(1),
        now + time::Duration::days(30),
    );
    Lab::start_with(pki, cert)
}

#[test]
fn the_release_binary_of_the_actions_version_is_downloaded_and_checked() {
    let lab = release_lab();
    let runner = release_runner(&lab, false);
    let run = runner.run();
    assert_eq!(run.code, 1, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("otadoctor v0.4.1 (x86_64-unknown-linux-musl) from acme/otadoctor's releases"),
        "{}",
        run.stderr
    );
    assert!(runner.path("otadoctor.sarif").is_file());
    let asked: Vec<String> = lab.requests().iter().map(|r| r.path.clone()).collect();
    assert_eq!(
        asked,
        [
            "/acme/otadoctor/releases/download/v0.4.1/otadoctor-x86_64-unknown-linux-musl.tar.xz",
            "/acme/otadoctor/releases/download/v0.4.1/sha256.sum"
        ]
    );
}

#[test]
fn an_archive_whose_sha256_differs_from_the_release_sum_is_not_run() {
    let lab = release_lab();
    let runner = release_runner(&lab, true);
    let run = runner.run();
    assert_eq!(run.code, 2, "{}", run.stderr);
    assert!(
        run.stderr
            .contains("otadoctor-x86_64-unknown-linux-musl.tar.xz's sha256 is"),
        "{}",
        run.stderr
    );
    assert!(!runner.path("otadoctor.sarif").exists(), "otadoctor did not run");
    assert!(!run.outputs.contains_key("exit-code"));
}
