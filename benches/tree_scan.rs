//! Benchmark (issue 12, item 7b): a directory scan against `rg -l itms-services` over the same
//! tree. Target: `otadoctor --offline DIR` within 2× of ripgrep.
//!
//! `cargo bench --bench tree_scan` generates a tree of 24,000 files under the target's temp dir
//! (the same tree every run): source files of realistic sizes in many languages (0.5–24 KiB,
//! about 6 KiB on average) in folders of 40, 300 of them holding an install link (HTML pages, JS,
//! Markdown, JSON, tickets), a few manifests, images (binary), and a `node_modules/` folder of
//! 2,000 files that `.gitignore` leaves out (each holding a link: reading one would show). It
//! checks what the scan found, then times both tools, warm (each run once first), and prints the
//! medians of 7 runs. Without `rg` on the PATH the ripgrep side is skipped with a message.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const FILES: usize = 24_000;
const WITH_LINKS: usize = 300;
const IGNORED: usize = 2_000;
const RUNS: usize = 7;

/// A small deterministic generator (xorshift), so the tree is the same every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

const WORDS: &[&str] = &[
    "request", "response", "value", "index", "buffer", "config", "install", "manifest", "package", "user", "account",
    "session", "token", "render", "update", "layout", "handler", "result", "error", "items", "services", "download",
    "build", "release", "version", "bundle", "profile", "device", "network", "cache",
];

/// A source-like file of about `size` bytes in the syntax of `extension`.
fn source(rng: &mut Rng, extension: &str, size: usize) -> String {
    let mut out = String::with_capacity(size + 128);
    let mut n = 0;
    while out.len() < size {
        let a = WORDS[rng.below(WORDS.len() as u64) as usize];
        let b = WORDS[rng.below(WORDS.len() as u64) as usize];
        let line = match extension {
            "rs" => format!("fn {a}_{b}_{n}(x: u32) -> Result<u32, Error> {{ Ok(x.wrapping_add({n})) }} // {a} {b}\n"),
            "js" | "ts" => format!("export function {a}{n}({b}) {{ return {b}.{a} ?? '{a}-{b}-{n}'; }} // {a}\n"),
            "py" => format!("def {a}_{n}(self, {b}):\n    return self.{a}.get('{b}', {n})  # {a} {b}\n"),
            "go" => format!("func {a}{n}({b} string) (int, error) {{ return len({b}) + {n}, nil }} // {a}\n"),
            "java" | "kt" => format!("    public int {a}{n}(String {b}) {{ return {b}.length() + {n}; }} // {a}\n"),
            "md" => format!("The {a} of the {b} is described in section {n}; see the {a} guide for more.\n"),
            "json" => format!("  \"{a}_{n}\": {{\"{b}\": {n}, \"enabled\": true, \"label\": \"{a} {b}\"}},\n"),
            "yml" => format!("{a}_{n}:\n  {b}: {n}\n  label: \"{a} {b}\"\n"),
            "html" => format!("<div class=\"{a}\"><span data-{b}=\"{n}\">{a} {b} {n}</span></div>\n"),
            _ => format!("{a} {b} {n} {a}{b} lorem ipsum dolor sit amet, consectetur adipiscing elit\n"),
        };
        out.push_str(&line);
        n += 1;
    }
    out
}

/// A file holding an install link, in the syntax of `extension`.
fn with_link(rng: &mut Rng, extension: &str, i: usize) -> String {
    let manifest = format!("https%3A%2F%2Fota.acme-apps.io%2Fbuild%2F{i}%2Fmanifest.plist");
    let link = format!("itms-services://?action=download-manifest&url={manifest}");
    let size = 2000 + rng.below(4000) as usize;
    let body = source(rng, extension, size);
    let line = match extension {
        "html" => format!("<a href=\"{}\">Install build {i}</a>\n", link.replace('&', "&amp;")),
        "json" => format!("  \"install\": \"{link}\",\n"),
        "md" => format!("Install build {i}: [tap here]({link})\n"),
        // in code, a link is a string literal (a bare line would not compile)
        "js" | "ts" => format!("export const install{i} = '{link}';\n"),
        "py" => format!("INSTALL_{i} = \"{link}\"\n"),
        "go" => format!("const install{i} = \"{link}\"\n"),
        "java" => format!("    static final String INSTALL_{i} = \"{link}\";\n"),
        "kt" => format!("    val install{i} = \"{link}\"\n"),
        _ => format!("the install link is {link} (build {i})\n"),
    };
    let half = body.len() / 2;
    let cut = (half..body.len())
        .find(|&k| body.is_char_boundary(k) && body[..k].ends_with('\n'))
        .unwrap_or(half);
    format!("{}{line}{}", &body[..cut], &body[cut..])
}

/// A manifest plist for build `i`.
fn manifest(i: usize) -> String {
    format!(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<plist version=\"1.0\"><dict><key>items</key><array><dict><key>assets</key><array><dict><key>kind</key><string>software-package</string><key>url</key><string>https://ota.acme-apps.io/build/{i}/App.ipa</string></dict></array><key>metadata</key><dict><key>bundle-identifier</key><string>com.acme.app</string><key>bundle-version</key><string>1.{i}</string><key>kind</key><string>software</string><key>title</key><string>App</string></dict></dict></array></dict></plist>\n"
    )
}

/// Writes the tree (once: a marker file says it is complete) and returns its root.
fn tree() -> PathBuf {
    let root = Path::new(env!("CARGO_TARGET_TMPDIR")).join("tree-scan-24000");
    let done = root.join(".complete");
    if done.is_file() {
        return root;
    }
    let _ = std::fs::remove_dir_all(&root);
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    // a git checkout: both tools then read .gitignore the same way
    std::fs::create_dir_all(root.join(".git")).expect("tree");
    std::fs::write(root.join(".gitignore"), "node_modules/\n*.log\n").expect(".gitignore");
    let extensions = [
        "rs", "js", "ts", "py", "go", "java", "kt", "md", "json", "yml", "html", "txt",
    ];
    let link_every = FILES / WITH_LINKS;
    for i in 0..FILES {
        let dir = root.join(format!("src/module{:03}/part{}", i / 400, (i / 40) % 10));
        std::fs::create_dir_all(&dir).expect("dir");
        let extension = extensions[i % extensions.len()];
        let (name, bytes) = if i % 2_000 == 7 {
            // images: binary, skipped after their first bytes
            let mut png = vec![0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a, 0, 0, 0, 0x0d];
            png.extend((0..20_000).map(|_| rng.next() as u8));
            (format!("image{i}.png"), png)
        } else if i % 4_000 == 11 {
            (format!("manifest{i}.plist"), manifest(i).into_bytes())
        } else if i % link_every == 3 {
            (
                format!("file{i}.{extension}"),
                with_link(&mut rng, extension, i).into_bytes(),
            )
        } else {
            // realistic sizes: mostly small, some large
            let size = match rng.below(10) {
                0..=5 => 512 + rng.below(4 * 1024),
                6..=8 => 4 * 1024 + rng.below(8 * 1024),
                _ => 12 * 1024 + rng.below(12 * 1024),
            } as usize;
            (
                format!("file{i}.{extension}"),
                source(&mut rng, extension, size).into_bytes(),
            )
        };
        std::fs::write(dir.join(name), bytes).expect("file");
    }
    for i in 0..IGNORED {
        let dir = root.join(format!("node_modules/pkg{}", i / 50));
        std::fs::create_dir_all(&dir).expect("dir");
        std::fs::write(dir.join(format!("index{i}.js")), with_link(&mut rng, "js", 100_000 + i)).expect("file");
    }
    std::fs::write(&done, "").expect("marker");
    root
}

fn median(mut xs: Vec<Duration>) -> Duration {
    xs.sort();
    xs[xs.len() / 2]
}

/// The median wall time of `RUNS` runs of `program args` (after one warm-up run), output
/// discarded.
fn time(program: &str, args: &[&str]) -> Duration {
    let run = || {
        let start = Instant::now();
        let status = Command::new(program)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("run");
        let elapsed = start.elapsed();
        assert!(status.code().is_some_and(|c| c <= 1), "{program} {args:?}: {status}");
        elapsed
    };
    run();
    median((0..RUNS).map(|_| run()).collect())
}

fn main() {
    let root = tree();
    let dir = root.display().to_string();
    let otadoctor = env!("CARGO_BIN_EXE_otadoctor");
    // what the scan found: every file with a link and every manifest, nothing ignored
    let output = Command::new(otadoctor)
        .args(["--offline", "--format", "json", &dir])
        .output()
        .expect("otadoctor");
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let scan = &doc["results"][0]["facts"]["scan"];
    let manifests = (0..FILES).filter(|i| i % 4_000 == 11).count();
    let images = (0..FILES).filter(|i| i % 2_000 == 7).count();
    let linked = (0..FILES)
        .filter(|i| i % 2_000 != 7 && i % 4_000 != 11 && i % (FILES / WITH_LINKS) == 3)
        .count();
    assert_eq!(scan["files"], FILES, "{scan}");
    assert_eq!(scan["checked"], linked + manifests, "{scan}");
    // images are skipped as images (a scan does not decode QR codes)
    let skipped_images = scan["skipped"]
        .as_array()
        .into_iter()
        .flatten()
        .find(|s| s["reason"] == "image");
    assert_eq!(
        skipped_images.map(|s| s["count"].clone()),
        Some(images.into()),
        "{scan}"
    );
    let ignored = doc["results"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|r| r["file"].as_str().is_some_and(|f| f.starts_with("node_modules")))
        .count();
    assert_eq!(ignored, 0, "a .gitignore'd file was read");
    let ours = time(otadoctor, &["--offline", &dir]);
    println!(
        "tree: {FILES} files ({linked} with a link, {manifests} manifests, {images} images), {IGNORED} more in a .gitignore'd node_modules/"
    );
    println!(
        "otadoctor --offline DIR: {:.0} ms (median of {RUNS})",
        ours.as_secs_f64() * 1000.0
    );
    let rg = Command::new("rg").arg("--version").output();
    if rg.is_err() {
        println!("rg not found on the PATH: the ripgrep comparison is skipped (apt-get install ripgrep)");
        return;
    }
    let theirs = time("rg", &["-l", "itms-services", &dir]);
    println!(
        "rg -l itms-services DIR: {:.0} ms (median of {RUNS}); otadoctor ÷ rg = {:.2} (target ≤ 2)",
        theirs.as_secs_f64() * 1000.0,
        ours.as_secs_f64() / theirs.as_secs_f64()
    );
}
