//! Benchmark (issue 13): a 16 MiB device log — a sysdiagnose excerpt read with `log show`, most
//! of it other processes' lines, with the install events of 500 attempts among them — checked by
//! the release binary (`otadoctor --offline --format json FILE`). Checks that every attempt's
//! events are in the report (up to the event cap) and prints the median wall time of 5 runs.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const RUNS: usize = 5;
/// The cap of a local input: the log must fit.
const CAP: usize = 16 * 1024 * 1024;
/// Install attempts in the log: each writes a manifest request, a HEAD and an installd failure.
const ATTEMPTS: usize = 500;

pub fn log() -> String {
    let noise = [
        "2026-12-01 09:12:44.301122+0000 0x3a41f    Default     0x0                  62     0    backboardd: (BackBoardServices) [com.apple.backboard:Display] brightness 0x16f2a3000 changed to -0.4023",
        "2026-12-01 09:12:44.301187+0000 0x3a420    Info        0x0                  77     0    locationd: (CoreLocation) [com.apple.locationd.Core:Client] client authorized, pid 402620 port 443",
        "2026-12-01 09:12:44.301244+0000 0x3a421    Default     0x0                  58     0    SpringBoard: (SpringBoard) [com.apple.SpringBoard:Icon] layout changed for 24 icons on page 2",
        "2026-12-01 09:12:44.301301+0000 0x3a422    Error       0x0                  91     0    mDNSResponder: [com.apple.mDNSResponder:Default] query for _airplay._tcp.local returned -65563",
    ];
    let mut out = String::with_capacity(CAP);
    let mut line = 0usize;
    let mut attempt = 0usize;
    while out.len() + 1024 < CAP {
        if line.is_multiple_of(150) && attempt < ATTEMPTS {
            let n = attempt;
            out.push_str(&format!(
                "2026-12-01 09:13:{:02}.000001+0000 0x3a501    Default     0x0                  211    0    appstored: (AppStoreDaemon) [com.apple.appstored:Library] [UPP/com.acme.b{n}] Loading download manifest from https://ota.acme-apps.io/b/{n}/manifest.plist\n\
                 2026-12-01 09:13:{:02}.000002+0000 0x3a501    Default     0x0                  211    0    appstored: (AppStoreDaemon) [com.apple.appstored:Library] [UPP/com.acme.b{n}] Running HEAD operation to get size for URL: https://ota.acme-apps.io/b/{n}/App.ipa\n\
                 2026-12-01 09:13:{:02}.000003+0000 0x3a502    Error       0x0                  88     0    installd: (MobileInstallation) [com.apple.installd:Install] -[MIInstaller performInstallationWithError:]: Verification stage failed: 0xe8008015 (A valid provisioning profile for this executable was not found.)\n",
                n % 60,
                n % 60,
                n % 60
            ));
            attempt += 1;
        }
        out.push_str(noise[line % noise.len()]);
        out.push('\n');
        line += 1;
    }
    out
}

fn main() {
    let path = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("device-log-16mib.log");
    let text = log();
    std::fs::write(&path, &text).expect("write the log");
    let file = path.display().to_string();
    let otadoctor = env!("CARGO_BIN_EXE_otadoctor");
    let args = ["--offline", "--format", "json", file.as_str()];
    let output = Command::new(otadoctor).args(args).output().expect("otadoctor");
    let doc: serde_json::Value = serde_json::from_slice(&output.stdout).expect("JSON");
    let evidence = &doc["results"][0]["facts"]["evidence"];
    assert_eq!(evidence["format"], "log-show");
    let events = evidence["events"].as_array().map_or(0, Vec::len);
    assert_eq!(events, 200, "the event cap");
    let attempts = text.matches("Loading download manifest").count();
    assert_eq!(attempts, ATTEMPTS, "every attempt fits in the log");
    let more = format!("{} more", 3 * ATTEMPTS - 200);
    assert!(
        evidence["cut"].as_str().is_some_and(|c| c.contains(&more)),
        "{}",
        evidence["cut"]
    );
    let run = || {
        let start = Instant::now();
        let status = Command::new(otadoctor)
            .args(args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .expect("otadoctor");
        let elapsed = start.elapsed();
        assert_eq!(
            status.code(),
            Some(0),
            "a logged failure nothing explains is no finding"
        );
        elapsed
    };
    run();
    let mut times: Vec<Duration> = (0..RUNS).map(|_| run()).collect();
    times.sort();
    println!(
        "{:.1} MiB log, {} lines, {ATTEMPTS} install attempts: otadoctor --offline --format json {:.0} ms (median of {RUNS})",
        text.len() as f64 / 1048576.0,
        text.lines().count(),
        times[RUNS / 2].as_secs_f64() * 1000.0
    );
}
