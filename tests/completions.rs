//! Shell completions and the manual page are generated from the command-line definition, so
//! they always list the options the binary has.

mod support;

use support::otadoctor;

#[test]
fn completions_list_the_options_for_every_shell() {
    for shell in ["bash", "zsh", "fish", "elvish", "powershell"] {
        let run = otadoctor(&["completions", shell]);
        assert_eq!(run.code, 0, "{shell}: {}", run.stderr);
        for option in ["symptom", "udid", "deep", "format", "profile-ca"] {
            // fish writes `-l symptom`, the others `--symptom`
            let written = if shell == "fish" {
                format!("-l {option}")
            } else {
                format!("--{option}")
            };
            assert!(run.stdout.contains(&written), "{shell} completion lacks {written}");
        }
        assert!(run.stdout.contains("explain"), "{shell}: the subcommands");
    }
    let bash = otadoctor(&["completions", "bash"]).stdout;
    assert!(bash.contains("complete -F _otadoctor"), "a bash completion function");
    assert!(bash.contains("sarif"), "format values are completed");
    assert_eq!(
        otadoctor(&["completions", "tcsh"]).code,
        2,
        "an unknown shell is a usage error"
    );
}

#[test]
fn the_manual_page_documents_the_command_and_each_subcommand() {
    let run = otadoctor(&["manpage"]);
    assert_eq!(run.code, 0, "{}", run.stderr);
    let page = run.stdout;
    assert!(page.starts_with(".ie") || page.starts_with(".TH"), "roff");
    assert!(page.contains(".TH otadoctor 1"));
    for sub in [
        "otadoctor-check",
        "otadoctor-explain",
        "otadoctor-rules",
        "otadoctor-completions",
    ] {
        let version = env!("CARGO_PKG_VERSION");
        assert!(
            page.contains(&format!(".TH {sub} 1  \"{sub} {version}\"")),
            "a page section for {sub}"
        );
    }
    for option in ["\\-\\-symptom", "\\-\\-udid", "\\-\\-expiry\\-warning", "\\-\\-jobs"] {
        assert!(page.contains(option), "the manual lacks {option}");
    }
}
