//! Differential test against Go's `text/template` itself: podman 4.3 is a Go program, and
//! `podman version --format TEMPLATE` runs any template (with podman's functions) over
//! `{Client: <version struct>, Server: nil}`. Each line of `podman_corpus.txt` runs there and
//! here over the same data (the client fields read from podman as JSON); where podman succeeds
//! the outputs must be byte-equal, where it fails we must fail too.
//!
//! podman normalizes a `--format` first (containers/common `report.NormalizeFormat`): the
//! two-character escapes `\t` and `\n` become a tab and a newline, and a newline is appended
//! unless the format ends with one. The test does the same before parsing.
//!
//! Needs podman; skipped visibly without it, and a failure under `RPOD_TEST_REQUIRE=all`.

use std::process::Command;

use gotemplate::Template;

const CORPUS: &str = include_str!("podman_corpus.txt");

fn podman_available() -> bool {
    Command::new("podman")
        .arg("--version")
        .output()
        .is_ok_and(|o| o.status.success())
}

fn normalize(format: &str) -> String {
    let mut f = format.replace("\\t", "\t").replace("\\n", "\n");
    if !f.ends_with('\n') {
        f.push('\n');
    }
    f
}

struct Outcome {
    template: String,
    podman: Result<String, String>,
    ours: Result<String, String>,
}

fn run_podman(template: &str) -> Result<String, String> {
    let out = Command::new("podman")
        .args(["version", "--format", template])
        .output()
        .expect("podman runs");
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(String::from_utf8_lossy(&out.stderr).into_owned())
    }
}

fn run_ours(template: &str, data: &serde_json::Value) -> Result<String, String> {
    let t = Template::parse(&normalize(template)).map_err(|e| format!("parse: {e}"))?;
    t.render(data).map_err(|e| format!("exec: {e}"))
}

#[test]
fn go_text_template_and_rpod_agree_on_the_corpus() {
    if !rpod_tests::require("podman", podman_available()) {
        return;
    }
    let client = run_podman("{{json .Client}}").expect("podman version --format runs");
    let client: serde_json::Value = serde_json::from_str(client.trim()).expect("client is JSON");
    let data = serde_json::json!({ "Client": client, "Server": null });
    let lines: Vec<&str> = CORPUS
        .lines()
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    assert!(
        lines.len() >= 100,
        "the corpus has {} templates",
        lines.len()
    );
    // Two workers: one podman process per template is the slow part.
    let (a, b) = lines.split_at(lines.len() / 2);
    let work = |part: &[&str]| -> Vec<Outcome> {
        part.iter()
            .map(|t| Outcome {
                template: (*t).to_string(),
                podman: run_podman(t),
                ours: run_ours(t, &data),
            })
            .collect()
    };
    let outcomes: Vec<Outcome> = std::thread::scope(|s| {
        let h = s.spawn(|| work(a));
        let mut second = work(b);
        let mut all = h.join().expect("worker");
        all.append(&mut second);
        all
    });
    let mut failures = Vec::new();
    for o in &outcomes {
        let agree = match (&o.podman, &o.ours) {
            (Ok(p), Ok(r)) => p == r,
            (Err(_), Err(_)) => true,
            _ => false,
        };
        if !agree {
            failures.push(format!(
                "template {:?}\n  go:   {:?}\n  rpod: {:?}",
                o.template, o.podman, o.ours
            ));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} templates differ from Go's text/template:\n{}",
        failures.len(),
        outcomes.len(),
        failures.join("\n")
    );
}
