//! The settings a check run takes besides its command line: a configuration file
//! (`otadoctor.toml`, or `.otadoctor.toml`) and `OTADOCTOR_*` environment variables.
//!
//! Precedence, highest first: the command line, the environment, the configuration file, the
//! defaults. A value from a higher source replaces a lower one's whole, lists included (an
//! `OTADOCTOR_IGNORE` does not add to the file's `ignore`: it replaces it). Reading here is I/O
//! (the file), the rules never see any of it: the command line turns it into `run::Options`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use crate::check::{self, DeviceFamily};
use crate::registry::Selector;
use crate::severity::Severity;
use crate::text::edit_distance;

/// The most bytes of a configuration file read.
pub const MAX_CONFIG_BYTES: u64 = 1 << 20;

/// The names looked for in each directory, in this order: the first found in the nearest
/// directory is the one used.
pub const FILE_NAMES: [&str; 2] = ["otadoctor.toml", ".otadoctor.toml"];

/// The keys of a configuration file.
const KEYS: [&str; 10] = [
    "select",
    "ignore",
    "fail-on",
    "ca-file",
    "trust-store",
    "profile-ca",
    "expiry-warning",
    "ios",
    "device",
    "per-path-ignores",
];

/// The environment variables read, beside `OTADOCTOR_CONFIG`.
const VARIABLES: [(&str, &str); 9] = [
    ("OTADOCTOR_SELECT", "select"),
    ("OTADOCTOR_IGNORE", "ignore"),
    ("OTADOCTOR_FAIL_ON", "fail-on"),
    ("OTADOCTOR_CA_FILE", "ca-file"),
    ("OTADOCTOR_TRUST_STORE", "trust-store"),
    ("OTADOCTOR_PROFILE_CA", "profile-ca"),
    ("OTADOCTOR_EXPIRY_WARNING", "expiry-warning"),
    ("OTADOCTOR_IOS", "ios"),
    ("OTADOCTOR_DEVICE", "device"),
];

/// The settings of one source; `None`: this source does not set it.
#[derive(Debug, Clone, Default)]
pub struct Settings {
    pub select: Option<Vec<Selector>>,
    pub ignore: Option<Vec<Selector>>,
    /// `Some(None)`: never fail.
    pub fail_on: Option<Option<Severity>>,
    pub ca_file: Option<Vec<PathBuf>>,
    pub trust_store: Option<PathBuf>,
    pub profile_ca: Option<Vec<PathBuf>>,
    pub expiry_warning: Option<u32>,
    pub ios: Option<Vec<u32>>,
    pub device: Option<DeviceFamily>,
}

impl Settings {
    /// These settings over `lower`'s: each one this source sets replaces the lower one's.
    pub fn over(self, lower: Settings) -> Settings {
        Settings {
            select: self.select.or(lower.select),
            ignore: self.ignore.or(lower.ignore),
            fail_on: self.fail_on.or(lower.fail_on),
            ca_file: self.ca_file.or(lower.ca_file),
            trust_store: self.trust_store.or(lower.trust_store),
            profile_ca: self.profile_ca.or(lower.profile_ca),
            expiry_warning: self.expiry_warning.or(lower.expiry_warning),
            ios: self.ios.or(lower.ios),
            device: self.device.or(lower.device),
        }
    }
}

/// A configuration file, read.
#[derive(Debug, Clone)]
pub struct Config {
    /// The file, as found or given.
    pub path: PathBuf,
    pub settings: Settings,
    pub per_path: Vec<PathIgnore>,
}

/// One `[per-path-ignores]` entry: the rules not reported in the files its glob matches.
#[derive(Debug, Clone)]
pub struct PathIgnore {
    /// The glob as written, relative to `base`.
    pub pattern: String,
    pub matcher: globset::GlobMatcher,
    pub rules: Vec<Selector>,
    /// The configuration file's directory, absolute.
    pub base: PathBuf,
    /// The configuration file, as shown in reports.
    pub config: String,
}

impl PathIgnore {
    /// Whether `file` (as `resolve` gives it) is matched.
    pub fn matches_file(&self, file: &Path) -> bool {
        file.strip_prefix(&self.base)
            .is_ok_and(|relative| self.matcher.is_match(relative))
    }
}

/// A file (absolute, or relative to the working directory) as `PathIgnore::matches_file` takes
/// it: resolved like the configuration file's folder is.
pub fn resolve(file: &Path) -> Option<PathBuf> {
    std::fs::canonicalize(file).or_else(|_| std::path::absolute(file)).ok()
}

/// `--fail-on`'s values.
pub fn parse_fail_on(s: &str) -> Result<Option<Severity>, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "error" => Ok(Some(Severity::Error)),
        "warning" => Ok(Some(Severity::Warning)),
        "info" => Ok(Some(Severity::Info)),
        "never" => Ok(None),
        _ => Err(format!("\"{s}\" is not a severity: error, warning, info or never")),
    }
}

/// `--device`'s values.
pub fn parse_device(s: &str) -> Result<DeviceFamily, String> {
    match s.trim().to_ascii_lowercase().as_str() {
        "iphone" => Ok(DeviceFamily::Iphone),
        "ipad" => Ok(DeviceFamily::Ipad),
        _ => Err(format!("\"{s}\" is not a device family: iphone or ipad")),
    }
}

/// `--ios`'s values.
pub fn parse_ios(s: &str) -> Result<Vec<u32>, String> {
    check::version_numbers(s).ok_or_else(|| format!("\"{s}\" is not an iOS version (17.4, 18.0.1)"))
}

/// `--expiry-warning`'s values.
pub fn parse_expiry(s: &str) -> Result<u32, String> {
    s.trim()
        .parse::<u32>()
        .ok()
        .filter(|d| *d <= 3650)
        .ok_or_else(|| format!("\"{s}\" is not a number of days from 0 to 3650"))
}

/// Rule selectors (codes, names, family prefixes); blank items are left out.
pub fn parse_selectors<'a>(items: impl IntoIterator<Item = &'a str>) -> Result<Vec<Selector>, String> {
    items
        .into_iter()
        .filter(|i| !i.trim().is_empty())
        .map(|item| {
            Selector::parse(item)
                .ok_or_else(|| format!("unknown rule or family \"{item}\"{}", crate::registry::suggestion(item)))
        })
        .collect()
}

/// The settings of the `OTADOCTOR_*` variables in `env` (an empty one counts as unset), and
/// `OTADOCTOR_CONFIG`'s file. Rule lists are comma separated; path lists are split as `PATH`
/// is (`:` on Unix, `;` on Windows). Other `OTADOCTOR_` names are not read.
pub fn from_env(env: &[(String, OsString)]) -> Result<(Settings, Option<PathBuf>), String> {
    let get = |name: &str| {
        env.iter()
            .rev()
            .find(|(k, v)| k == name && !v.is_empty())
            .map(|(_, v)| v.as_os_str())
    };
    let text = |name: &str| -> Result<Option<&str>, String> {
        get(name)
            .map(|v| v.to_str().ok_or_else(|| format!("{name}: not UTF-8 text")))
            .transpose()
    };
    let bad = |name: &str, e: String| format!("{name}: {e}");
    let mut settings = Settings::default();
    for (name, key) in VARIABLES {
        match key {
            "ca-file" | "profile-ca" => {
                let paths = get(name).map(|v| std::env::split_paths(v).filter(|p| !p.as_os_str().is_empty()).collect());
                if key == "ca-file" {
                    settings.ca_file = paths;
                } else {
                    settings.profile_ca = paths;
                }
            }
            "trust-store" => settings.trust_store = get(name).map(PathBuf::from),
            _ => {
                let Some(value) = text(name)? else { continue };
                match key {
                    "select" => settings.select = Some(parse_selectors(value.split(',')).map_err(|e| bad(name, e))?),
                    "ignore" => settings.ignore = Some(parse_selectors(value.split(',')).map_err(|e| bad(name, e))?),
                    "fail-on" => settings.fail_on = Some(parse_fail_on(value).map_err(|e| bad(name, e))?),
                    "expiry-warning" => settings.expiry_warning = Some(parse_expiry(value).map_err(|e| bad(name, e))?),
                    "ios" => settings.ios = Some(parse_ios(value).map_err(|e| bad(name, e))?),
                    _ => settings.device = Some(parse_device(value).map_err(|e| bad(name, e))?),
                }
            }
        }
    }
    Ok((settings, get("OTADOCTOR_CONFIG").map(PathBuf::from)))
}

/// The directory an input's configuration file is looked for from: a directory itself, a
/// file's own directory, the working directory for anything else (a link, a URL, an error
/// code, standard input).
pub fn start_dir(input: &str, cwd: &Path) -> PathBuf {
    let path = Path::new(input);
    let dir = if input != "-" && path.is_dir() {
        path.to_path_buf()
    } else if input != "-" && path.is_file() {
        match path.parent() {
            Some(parent) if !parent.as_os_str().is_empty() => parent.to_path_buf(),
            _ => PathBuf::from("."),
        }
    } else {
        return cwd.to_path_buf();
    };
    // resolved, so that `..` and links do not make a directory that is not above it look so
    std::fs::canonicalize(cwd.join(&dir)).unwrap_or_else(|_| cwd.join(dir))
}

/// A found file as reports show it: relative to the working directory when under it.
fn shown(found: PathBuf, cwd: &Path) -> PathBuf {
    match found.strip_prefix(cwd) {
        Ok(relative) => relative.to_path_buf(),
        Err(_) => found,
    }
}

/// The nearest configuration file at or above `dir`.
pub fn find(dir: &Path) -> Option<PathBuf> {
    dir.ancestors()
        .flat_map(|d| FILE_NAMES.iter().map(move |name| d.join(name)))
        .find(|p| p.is_file())
}

/// The configuration file of a run over `inputs`: the one every input finds. Inputs that find
/// different files (or some a file and some none) are refused: one run has one configuration.
pub fn discover(inputs: &[String], cwd: &Path) -> Result<Option<PathBuf>, String> {
    let cwd = &std::fs::canonicalize(cwd).unwrap_or_else(|_| cwd.to_path_buf());
    let mut found: Option<(&str, Option<PathBuf>)> = None;
    let starts: Vec<&str> = if inputs.is_empty() {
        vec!["-"]
    } else {
        inputs.iter().map(String::as_str).collect()
    };
    // a batch of links all start from the working directory: each folder is searched once
    let mut searched = std::collections::HashSet::new();
    for input in starts {
        let dir = start_dir(input, cwd);
        if !searched.insert(dir.clone()) {
            continue;
        }
        let file = find(&dir);
        match &found {
            None => found = Some((input, file)),
            Some((first, theirs)) if *theirs != file => {
                let name = |f: &Option<PathBuf>| f.as_ref().map_or("none".to_string(), |p| p.display().to_string());
                return Err(format!(
                    "the inputs {first} and {input} find different configuration files ({} and {}): \
                     check them in separate runs, or name one with --config FILE (or --no-config)",
                    name(theirs),
                    name(&file)
                ));
            }
            Some(_) => {}
        }
    }
    Ok(found.and_then(|(_, f)| f).map(|f| shown(f, cwd)))
}

/// Reads the configuration file at `path` (at most `MAX_CONFIG_BYTES`).
pub fn load(path: &Path) -> Result<Config, String> {
    use std::io::Read;
    let shown = path.display().to_string();
    let file = std::fs::File::open(path).map_err(|e| format!("{shown}: {e}"))?;
    let mut bytes = Vec::new();
    file.take(MAX_CONFIG_BYTES + 1)
        .read_to_end(&mut bytes)
        .map_err(|e| format!("{shown}: {e}"))?;
    if bytes.len() as u64 > MAX_CONFIG_BYTES {
        return Err(format!(
            "{shown}: larger than {} bytes: not a configuration file",
            MAX_CONFIG_BYTES
        ));
    }
    let text = String::from_utf8(bytes).map_err(|_| format!("{shown}: not UTF-8 text"))?;
    let absolute = std::fs::canonicalize(path).map_err(|e| format!("{shown}: {e}"))?;
    let base = absolute.parent().map(Path::to_path_buf).unwrap_or_default();
    parse(&shown, &base, &text).map(|(settings, per_path)| Config {
        path: path.to_path_buf(),
        settings,
        per_path,
    })
}

/// The line (from 1) of a byte offset.
fn line_of(text: &str, offset: usize) -> usize {
    text.as_bytes()[..offset.min(text.len())]
        .iter()
        .filter(|b| **b == b'\n')
        .count()
        + 1
}

/// The settings in a configuration file's text; paths in it are relative to `base`.
/// Either file name may hold the keys at the top level or under `[tool.otadoctor]` (other
/// `[tool.*]` tables are other tools' and are not read).
pub fn parse(shown: &str, base: &Path, text: &str) -> Result<(Settings, Vec<PathIgnore>), String> {
    let at =
        |span: std::ops::Range<usize>, message: String| format!("{shown}:{}: {message}", line_of(text, span.start));
    let root = DeTable::parse(text).map_err(|e| match e.span() {
        Some(span) => at(span, format!("not TOML: {}", e.message())),
        None => format!("{shown}: not TOML: {}", e.message()),
    })?;
    let root = root.get_ref();
    let tool = root.iter().find(|(k, _)| k.get_ref() == "tool");
    let table: Vec<(&Spanned<toml::de::DeString<'_>>, &Spanned<DeValue<'_>>)> = match tool {
        Some((key, value)) => {
            if let Some((other, _)) = root.iter().find(|(k, _)| k.get_ref() != "tool") {
                return Err(at(
                    other.span(),
                    format!(
                        "`{}`: beside a [tool] table, the settings go under [tool.otadoctor]",
                        other.get_ref()
                    ),
                ));
            }
            let Some(tools) = value.get_ref().as_table() else {
                return Err(at(
                    key.span(),
                    "`tool`: expected a table ([tool.otadoctor])".to_string(),
                ));
            };
            match tools.iter().find(|(k, _)| k.get_ref() == "otadoctor") {
                Some((k, v)) => match v.get_ref().as_table() {
                    Some(t) => t.iter().collect(),
                    None => return Err(at(k.span(), "`tool.otadoctor`: expected a table".to_string())),
                },
                None => Vec::new(),
            }
        }
        None => root.iter().collect(),
    };
    let mut table = table;
    // errors in the file's order
    table.sort_by_key(|(k, _)| k.span().start);
    let mut settings = Settings::default();
    let mut per_path = Vec::new();
    for (key, value) in table {
        let name = key.get_ref().as_ref();
        let here = |message: String| at(key.span(), format!("`{name}`: {message}"));
        let value_at = |message: String| at(value.span(), format!("`{name}`: {message}"));
        let v = value.get_ref();
        match name {
            "select" => settings.select = Some(parse_selectors(strings(v).map_err(value_at)?).map_err(value_at)?),
            "ignore" => settings.ignore = Some(parse_selectors(strings(v).map_err(value_at)?).map_err(value_at)?),
            "fail-on" => settings.fail_on = Some(parse_fail_on(string(v).map_err(value_at)?).map_err(value_at)?),
            "ca-file" => settings.ca_file = Some(paths(v, base).map_err(value_at)?),
            "profile-ca" => settings.profile_ca = Some(paths(v, base).map_err(value_at)?),
            "trust-store" => settings.trust_store = Some(base.join(string(v).map_err(value_at)?)),
            "expiry-warning" => {
                let days = v
                    .as_integer()
                    .and_then(|i| i.as_str().parse::<u32>().ok())
                    .filter(|d| *d <= 3650 && v.as_integer().is_some_and(|i| i.radix() == 10));
                settings.expiry_warning =
                    Some(days.ok_or_else(|| value_at("expected a number of days from 0 to 3650".to_string()))?);
            }
            "ios" => {
                if v.is_float() || v.is_integer() {
                    return Err(value_at(
                        "expected a string: write the version quoted (ios = \"17.4\")".to_string(),
                    ));
                }
                settings.ios = Some(parse_ios(string(v).map_err(value_at)?).map_err(value_at)?);
            }
            "device" => settings.device = Some(parse_device(string(v).map_err(value_at)?).map_err(value_at)?),
            "per-path-ignores" => {
                let Some(globs) = v.as_table() else {
                    return Err(value_at(
                        "expected a table of globs (\"tests/fixtures/**\" = [\"LNK006\"])".to_string(),
                    ));
                };
                let mut entries: Vec<_> = globs.iter().collect();
                entries.sort_by_key(|(k, _)| k.span().start);
                for (glob, rules) in entries {
                    let pattern = glob.get_ref().as_ref();
                    let in_entry = |m: String| at(glob.span(), format!("`per-path-ignores` \"{pattern}\": {m}"));
                    let matcher = globset::GlobBuilder::new(pattern)
                        .literal_separator(true)
                        .build()
                        .map_err(|e| in_entry(format!("not a glob ({})", e.kind())))?
                        .compile_matcher();
                    let rules = parse_selectors(strings(rules.get_ref()).map_err(in_entry)?).map_err(in_entry)?;
                    per_path.push(PathIgnore {
                        pattern: pattern.to_string(),
                        matcher,
                        rules,
                        base: base.to_path_buf(),
                        config: shown.to_string(),
                    });
                }
            }
            _ => return Err(here(format!("unknown key{}", key_suggestion(name)))),
        }
    }
    Ok((settings, per_path))
}

/// ", did you mean `fail-on`?" for a mistyped key.
fn key_suggestion(key: &str) -> String {
    let key = key.to_ascii_lowercase().replace('_', "-");
    KEYS.iter()
        .map(|k| (edit_distance(&key, k), k))
        .filter(|(d, _)| *d <= 3)
        .min_by_key(|(d, _)| *d)
        .map(|(_, k)| format!("; did you mean `{k}`?"))
        .unwrap_or_else(|| format!("; the keys are {}", KEYS.join(", ")))
}

fn string<'a>(v: &'a DeValue<'_>) -> Result<&'a str, String> {
    v.as_str()
        .ok_or_else(|| format!("expected a string, found {}", v.type_str()))
}

/// A list of strings: an array, or one string (comma separated, as on the command line).
fn strings<'a>(v: &'a DeValue<'_>) -> Result<Vec<&'a str>, String> {
    if let Some(s) = v.as_str() {
        return Ok(s.split(',').collect());
    }
    let Some(items) = v.as_array() else {
        return Err(format!("expected an array of strings, found {}", v.type_str()));
    };
    items.iter().map(|i| string(i.get_ref())).collect()
}

/// Paths (one string or an array), relative to `base`.
fn paths(v: &DeValue<'_>, base: &Path) -> Result<Vec<PathBuf>, String> {
    let list = match v.as_str() {
        Some(one) => vec![one],
        None => v
            .as_array()
            .ok_or_else(|| format!("expected a path or an array of paths, found {}", v.type_str()))?
            .iter()
            .map(|i| string(i.get_ref()))
            .collect::<Result<_, _>>()?,
    };
    Ok(list.into_iter().map(|p| base.join(p)).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parsed(text: &str) -> Result<Settings, String> {
        parse("otadoctor.toml", Path::new("/repo"), text).map(|(s, _)| s)
    }

    #[test]
    fn every_key_is_read() {
        let s = parsed(
            "select = [\"LNK\", \"TLS008\"]\nignore = \"LNK006,html-entity-in-link\"\nfail-on = \"warning\"\n\
             ca-file = \"ca.pem\"\ntrust-store = \"roots.pem\"\nprofile-ca = [\"a.pem\", \"b.pem\"]\n\
             expiry-warning = 14\nios = \"17.4\"\ndevice = \"ipad\"\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.select.map(|v| v.len()), Some(2));
        assert_eq!(s.ignore.map(|v| v.len()), Some(2));
        assert_eq!(s.fail_on, Some(Some(Severity::Warning)));
        assert_eq!(s.ca_file, Some(vec![PathBuf::from("/repo/ca.pem")]));
        assert_eq!(s.trust_store, Some(PathBuf::from("/repo/roots.pem")));
        assert_eq!(s.profile_ca.map(|v| v.len()), Some(2));
        assert_eq!(s.expiry_warning, Some(14));
        assert_eq!(s.ios, Some(vec![17, 4]));
        assert_eq!(s.device, Some(DeviceFamily::Ipad));
    }

    #[test]
    fn tool_otadoctor_holds_the_keys_and_other_tools_are_not_read() {
        let s =
            parsed("[tool.otadoctor]\nfail-on = \"never\"\n[tool.other]\nx = 1\n").unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.fail_on, Some(None));
        let e = parsed("fail-on = \"never\"\n[tool.otadoctor]\n")
            .err()
            .unwrap_or_default();
        assert!(e.starts_with("otadoctor.toml:1: `fail-on`"), "{e}");
    }

    #[test]
    fn errors_name_the_line_and_key_and_suggest() {
        let e = parsed("select = [\"LNK\"]\n\nfail_on = \"error\"\n")
            .err()
            .unwrap_or_default();
        assert_eq!(e, "otadoctor.toml:3: `fail_on`: unknown key; did you mean `fail-on`?");
        let e = parsed("expiry-warning = \"30\"\n").err().unwrap_or_default();
        assert!(
            e.starts_with("otadoctor.toml:1: `expiry-warning`: expected a number"),
            "{e}"
        );
        let e = parsed("ios = 17.4\n").err().unwrap_or_default();
        assert!(e.contains("ios = \\\"17.4\\\"") || e.contains("ios = \"17.4\""), "{e}");
        let e = parsed("\n\nignore = [\"LNK0066\"]\n").err().unwrap_or_default();
        assert!(
            e.starts_with("otadoctor.toml:3: `ignore`: unknown rule or family \"LNK0066\"; did you mean"),
            "{e}"
        );
        let e = parsed("select = [\n").err().unwrap_or_default();
        assert!(e.starts_with("otadoctor.toml:"), "{e}");
    }

    #[test]
    fn per_path_globs_are_relative_to_the_file() {
        let (_, per_path) = parse(
            "otadoctor.toml",
            Path::new("/repo"),
            "[per-path-ignores]\n\"tests/fixtures/**\" = [\"LNK006\"]\n",
        )
        .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(per_path.len(), 1);
        let matches = |file: &str| resolve(Path::new(file)).is_some_and(|f| per_path[0].matches_file(&f));
        assert!(matches("/repo/tests/fixtures/a/b.html"));
        assert!(!matches("/repo/src/tests/fixtures/b.html"));
        assert!(!matches("/other/tests/fixtures/b.html"));
    }

    #[test]
    fn environment_values_are_checked_and_empty_is_unset() {
        let env = |pairs: &[(&str, &str)]| -> Vec<(String, OsString)> {
            pairs.iter().map(|(k, v)| (k.to_string(), OsString::from(v))).collect()
        };
        let (s, config) = from_env(&env(&[("OTADOCTOR_FAIL_ON", ""), ("OTADOCTOR_IGNORE", "LNK006, TLS")]))
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(s.fail_on, None);
        assert_eq!(s.ignore.map(|v| v.len()), Some(2));
        assert_eq!(config, None);
        let e = from_env(&env(&[("OTADOCTOR_DEVICE", "ipod")]))
            .err()
            .unwrap_or_default();
        assert_eq!(e, "OTADOCTOR_DEVICE: \"ipod\" is not a device family: iphone or ipad");
    }
}
