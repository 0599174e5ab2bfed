//! Every example in README.md and docs/*.md runs here, so the docs cannot drift from rpod.
//!
//! Each document gets its own directory (the working directory of its examples), with `rpod` on
//! `PATH` pointing at this build and at a store of its own, `busybox` imported, and a private
//! `/tmp` (a bind mount in a mount namespace of each command's own), so examples can be written
//! as a user would type them. Blocks run in document order and share the directory.
//!
//! How a fenced block is tested is said by the HTML comments right before it (invisible when the
//! Markdown is rendered), `<!-- doc-test: DIRECTIVE -->`, one directive per comment:
//! - `setup CMD`: CMD runs first (a fixture the reader is assumed to have, such as `./tool`);
//! - `file NAME`: the block is written to NAME for later blocks (and still tested by language);
//! - `stdout CMD`: CMD must exit 0 and print the block on stdout;
//! - `stderr CMD`: CMD must exit non-zero and print the block on stderr;
//! - `instead CMD`: the block is shown to the reader but CMD is what runs (must exit 0), for
//!   blocks that cannot run as written inside a test (`make demo` is `scripts/demo.sh` run with
//!   this build);
//! - `skip REASON`: not run; the reason is required and printed, and skips are counted.
//!
//! Otherwise the block's language decides:
//! - `sh`: a bash script (`set -euo pipefail`) that must exit 0;
//! - `console`: each `$ CMD` line runs; the lines after it, up to the next `$`, are its output
//!   (stdout and stderr, as a terminal shows them);
//!   a last line `? N` is its exit status (0 when absent);
//! - `kafel`: compiled to OCI JSON and to BPF; both must succeed;
//! - `json`: must parse; a profile (it has `defaultAction`) must also pass `rpod seccomp
//!   validate`;
//! - `ebnf`: a grammar, not an example, so not run (counted as such).
//!
//! Any other block without a directive is an error: a new example cannot go untested by
//! accident. Expected output matches line by line; a line `...` matches any number of lines and
//! `[..]` within a line matches any text, as in trycmd.

mod support;

use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use pulldown_cmark::{CodeBlockKind, Event, Parser, Tag, TagEnd};

/// The repository root.
fn repo() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .expect("engine/ has a parent")
        .to_path_buf()
}

/// One fenced block and the directives before it.
#[derive(Debug, Clone)]
struct Block {
    line: usize,
    lang: String,
    text: String,
    directives: Vec<Directive>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Directive {
    Setup(String),
    File(String),
    Stdout(String),
    Stderr(String),
    Instead(String),
    Skip(String),
}

fn directive(comment: &str) -> Option<Result<Directive, String>> {
    let body = comment
        .trim()
        .strip_prefix("<!--")?
        .strip_suffix("-->")?
        .trim();
    let rest = body.strip_prefix("doc-test:")?.trim();
    let (word, arg) = rest.split_once(' ').unwrap_or((rest, ""));
    let arg = arg.trim().to_string();
    Some(match word {
        _ if arg.is_empty() => Err(format!("`{word}` needs an argument")),
        "setup" => Ok(Directive::Setup(arg)),
        "file" => Ok(Directive::File(arg)),
        "stdout" => Ok(Directive::Stdout(arg)),
        "stderr" => Ok(Directive::Stderr(arg)),
        "instead" => Ok(Directive::Instead(arg)),
        "skip" => Ok(Directive::Skip(arg)),
        _ => Err(format!(
            "unknown directive `{word}` (setup, file, stdout, stderr, instead, skip)"
        )),
    })
}

/// The fenced blocks of `markdown`, each with the directives in the HTML comments before it.
fn blocks(markdown: &str) -> Result<Vec<Block>, String> {
    let line_of = |offset: usize| markdown[..offset].matches('\n').count() + 1;
    let mut out = Vec::new();
    let mut pending: Vec<Directive> = Vec::new();
    let mut current: Option<Block> = None;
    for (event, range) in Parser::new(markdown).into_offset_iter() {
        match event {
            Event::Html(html) | Event::InlineHtml(html) => {
                for comment in html.split_inclusive("-->") {
                    match directive(comment) {
                        Some(Ok(d)) => pending.push(d),
                        Some(Err(e)) => return Err(format!("line {}: {e}", line_of(range.start))),
                        None => {}
                    }
                }
            }
            Event::Start(Tag::CodeBlock(kind)) => {
                let lang = match kind {
                    CodeBlockKind::Fenced(info) => {
                        info.split_whitespace().next().unwrap_or("").to_string()
                    }
                    CodeBlockKind::Indented => "indented".to_string(),
                };
                current = Some(Block {
                    line: line_of(range.start),
                    lang,
                    text: String::new(),
                    directives: std::mem::take(&mut pending),
                });
            }
            Event::Text(t) => {
                if let Some(b) = current.as_mut() {
                    b.text.push_str(&t);
                }
            }
            Event::End(TagEnd::CodeBlock) => out.extend(current.take()),
            Event::Start(Tag::HtmlBlock) | Event::End(TagEnd::HtmlBlock) => {}
            _ => {
                // Directives belong to the block that follows them, with nothing between.
                if current.is_none() && !pending.is_empty() && !is_blank(&event) {
                    return Err(format!(
                        "line {}: a doc-test directive must come right before a fenced block",
                        line_of(range.start)
                    ));
                }
            }
        }
    }
    if !pending.is_empty() {
        return Err("a doc-test directive at the end of the file has no block".to_string());
    }
    Ok(out)
}

fn is_blank(e: &Event<'_>) -> bool {
    matches!(e, Event::SoftBreak | Event::HardBreak)
        || matches!(e, Event::Text(t) if t.trim().is_empty())
}

/// Whether `actual` matches `expected`: lines equal, `...` for any lines, `[..]` for any text.
fn matches(expected: &str, actual: &str) -> bool {
    let e: Vec<&str> = expected.lines().collect();
    let a: Vec<&str> = actual.lines().collect();
    fn go(e: &[&str], a: &[&str]) -> bool {
        match e.split_first() {
            None => a.is_empty(),
            Some((&"...", rest)) => (0..=a.len()).any(|i| go(rest, &a[i..])),
            Some((first, rest)) => a
                .split_first()
                .is_some_and(|(x, more)| line_matches(first, x) && go(rest, more)),
        }
    }
    go(&e, &a)
}

fn line_matches(pattern: &str, line: &str) -> bool {
    let mut parts = pattern.split("[..]");
    let first = parts.next().unwrap_or("");
    let Some(mut rest) = line.strip_prefix(first) else {
        return false;
    };
    let parts: Vec<&str> = parts.collect();
    let Some((last, middle)) = parts.split_last() else {
        return rest.is_empty();
    };
    for p in middle {
        match rest.find(p) {
            Some(i) => rest = &rest[i + p.len()..],
            None => return false,
        }
    }
    rest.ends_with(last)
}

/// A document's sandbox: its directory, its store, its `/tmp`.
struct Sandbox {
    env: support::Env,
    work: PathBuf,
}

impl Sandbox {
    fn new() -> Sandbox {
        // Not under /tmp, which each command's namespace covers with the sandbox's own.
        let env = support::Env::with_in(Path::new(env!("CARGO_TARGET_TMPDIR")), |_| {});
        let work = env.dir.path().join("work");
        for d in ["work", "bin", "tmp"] {
            std::fs::create_dir_all(env.dir.path().join(d)).expect("sandbox dirs");
        }
        // Examples are typed in a checkout: `profiles/data/default.json` is podman's default.
        std::os::unix::fs::symlink(repo().join("profiles"), work.join("profiles"))
            .expect("symlink profiles/");
        // `rpod` on PATH: this build, with the sandbox's store.
        let wrapper = env.dir.path().join("bin/rpod");
        std::fs::write(
            &wrapper,
            format!(
                "#!/bin/sh\nexec {} --root {} --runroot {} \"$@\"\n",
                env!("CARGO_BIN_EXE_rpod"),
                env.dir.path().join("root").display(),
                env.dir.path().join("run").display()
            ),
        )
        .expect("wrapper");
        std::fs::set_permissions(
            &wrapper,
            std::os::unix::fs::PermissionsExt::from_mode(0o755),
        )
        .expect("chmod wrapper");
        Sandbox { env, work }
    }

    /// `script` under bash in the sandbox, with its own `/tmp`.
    fn sh(&self, script: &str) -> Output {
        let dir = self.env.dir.path();
        let path = format!(
            "{}:{}",
            dir.join("bin").display(),
            std::env::var("PATH").unwrap_or_default()
        );
        Command::new("unshare")
            .args(["--mount", "--propagation", "private", "--"])
            .arg("bash")
            .arg("-c")
            .arg(
                "mount --bind \"$DOC_TMP\" /tmp && cd \"$DOC_WORK\" && \
                 exec bash -euo pipefail -c \"$DOC_SCRIPT\"",
            )
            .env("PATH", path)
            .env("DOC_TMP", dir.join("tmp"))
            .env("DOC_WORK", &self.work)
            .env("DOC_SCRIPT", script)
            .env("RPOD", env!("CARGO_BIN_EXE_rpod"))
            .env("REPO", repo())
            .stdin(Stdio::null())
            .output()
            .expect("unshare and bash run")
    }
}

fn show(o: &Output) -> String {
    format!(
        "exit {:?}\n--- stdout\n{}--- stderr\n{}",
        o.status.code(),
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

/// What happened to a document's blocks.
#[derive(Default)]
struct Tally {
    run: usize,
    grammar: usize,
    skipped: Vec<String>,
    failures: Vec<String>,
}

/// Runs every block of `doc` (relative to the repository root) and fails with every problem.
fn check_document(doc: &str) {
    let markdown = std::fs::read_to_string(repo().join(doc)).expect("read the document");
    let blocks = blocks(&markdown).unwrap_or_else(|e| panic!("{doc}: {e}"));
    let sandbox = Sandbox::new();
    let mut t = Tally::default();
    for b in &blocks {
        let at = format!("{doc}:{} ({})", b.line, b.lang);
        if let Err(e) = check_block(&sandbox, b) {
            t.failures.push(format!("{at}: {e}"));
            continue;
        }
        match (
            b.directives.iter().find_map(|d| match d {
                Directive::Skip(r) => Some(r),
                _ => None,
            }),
            b.lang.as_str(),
        ) {
            (Some(reason), _) => t.skipped.push(format!("{at}: {reason}")),
            (None, "ebnf") => t.grammar += 1,
            _ => t.run += 1,
        }
    }
    eprintln!(
        "{doc}: {} blocks run, {} grammar blocks, {} not run:",
        t.run,
        t.grammar,
        t.skipped.len()
    );
    for s in &t.skipped {
        eprintln!("  {s}");
    }
    assert!(
        t.failures.is_empty(),
        "{} of {} blocks in {doc} do not work as written:\n\n{}",
        t.failures.len(),
        blocks.len(),
        t.failures.join("\n\n")
    );
}

fn check_block(s: &Sandbox, b: &Block) -> Result<(), String> {
    let mut checked = false;
    for d in &b.directives {
        match d {
            Directive::Setup(cmd) => {
                let o = s.sh(cmd);
                if !o.status.success() {
                    return Err(format!("setup `{cmd}` failed: {}", show(&o)));
                }
            }
            Directive::File(name) => {
                std::fs::write(s.work.join(name), &b.text)
                    .map_err(|e| format!("writing {name}: {e}"))?;
            }
            Directive::Skip(reason) => {
                if reason.split_whitespace().count() < 3 {
                    return Err(format!("`skip {reason}`: say why in a few words"));
                }
                return Ok(());
            }
            Directive::Instead(cmd) => {
                let o = s.sh(cmd);
                if !o.status.success() {
                    return Err(format!("`{cmd}` (run instead of the block): {}", show(&o)));
                }
                checked = true;
            }
            Directive::Stdout(cmd) => {
                let o = s.sh(cmd);
                let out = String::from_utf8_lossy(&o.stdout);
                if !o.status.success() || !matches(&b.text, &out) {
                    return Err(format!(
                        "`{cmd}` does not print the block:\n--- expected\n{}{}",
                        b.text,
                        show(&o)
                    ));
                }
                checked = true;
            }
            Directive::Stderr(cmd) => {
                let o = s.sh(cmd);
                let err = String::from_utf8_lossy(&o.stderr);
                if o.status.success() || !matches(&b.text, &err) {
                    return Err(format!(
                        "`{cmd}` does not fail with the block on stderr:\n--- expected\n{}{}",
                        b.text,
                        show(&o)
                    ));
                }
                checked = true;
            }
        }
    }
    if checked {
        return Ok(());
    }
    match b.lang.as_str() {
        "sh" => {
            let o = s.sh(&b.text);
            if o.status.success() {
                Ok(())
            } else {
                Err(format!("the script fails:\n{}", show(&o)))
            }
        }
        "console" => console(s, &b.text),
        "kafel" => kafel(s, b),
        "json" => json(s, b),
        "ebnf" => Ok(()),
        other => Err(format!(
            "a `{other}` block needs a directive saying how it is tested (see engine/tests/docs.rs)"
        )),
    }
}

/// `$ CMD` lines with their expected stdout and `? N` exit status.
fn console(s: &Sandbox, text: &str) -> Result<(), String> {
    let mut steps: Vec<(String, Vec<&str>)> = Vec::new();
    for line in text.lines() {
        if let Some(cmd) = line.strip_prefix("$ ") {
            steps.push((cmd.to_string(), Vec::new()));
        } else if let Some((_, out)) = steps.last_mut() {
            out.push(line);
        } else {
            return Err(format!("output before the first `$ ` command: {line:?}"));
        }
    }
    for (cmd, mut out) in steps {
        let status = match out.last().and_then(|l| l.strip_prefix("? ")) {
            Some(n) => {
                let n = n
                    .trim()
                    .parse::<i32>()
                    .map_err(|e| format!("`? {n}`: {e}"))?;
                out.pop();
                n
            }
            None => 0,
        };
        let expected = out.iter().fold(String::new(), |mut acc, l| {
            let _ = writeln!(acc, "{l}");
            acc
        });
        // A terminal shows both streams, as the console block does.
        let o = s.sh(&format!("exec 2>&1\n{cmd}"));
        let actual = String::from_utf8_lossy(&o.stdout);
        if o.status.code() != Some(status) || !matches(&expected, &actual) {
            return Err(format!(
                "`{cmd}`: expected exit {status} and\n{expected}--- got {}",
                show(&o)
            ));
        }
    }
    Ok(())
}

fn kafel(s: &Sandbox, b: &Block) -> Result<(), String> {
    let name = b
        .directives
        .iter()
        .find_map(|d| match d {
            Directive::File(n) => Some(n.clone()),
            _ => None,
        })
        .unwrap_or_else(|| format!("block-{}.kafel", b.line));
    std::fs::write(s.work.join(&name), &b.text).map_err(|e| format!("writing {name}: {e}"))?;
    for format in ["json", "bpf"] {
        let o = s.sh(&format!(
            "rpod seccomp compile {name} --format {format} -o /dev/null"
        ));
        if !o.status.success() {
            return Err(format!(
                "the policy does not compile to {format}:\n{}",
                show(&o)
            ));
        }
    }
    Ok(())
}

fn json(s: &Sandbox, b: &Block) -> Result<(), String> {
    let v: serde_json::Value =
        serde_json::from_str(&b.text).map_err(|e| format!("not valid JSON: {e}"))?;
    if v.get("defaultAction").is_some() {
        let name = format!("block-{}.json", b.line);
        std::fs::write(s.work.join(&name), &b.text).map_err(|e| format!("writing {name}: {e}"))?;
        let o = s.sh(&format!("rpod seccomp validate {name}"));
        if !o.status.success() {
            return Err(format!("the profile is not valid:\n{}", show(&o)));
        }
    }
    Ok(())
}

fn ready() -> bool {
    support::ready()
        // The README and trace-syscall.md record with eBPF (as trace.rs checks it).
        && rpod_tests::require(
            "bpf",
            Path::new("/sys/kernel/btf/vmlinux").exists()
                && Path::new("/sys/kernel/tracing").exists(),
        )
        && rpod_tests::require(
            "unshare",
            Command::new("unshare")
                .arg("--version")
                .output()
                .is_ok_and(|o| o.status.success()),
        )
}

#[test]
fn readme_examples_work_as_written() {
    if ready() {
        check_document("README.md");
    }
}

#[test]
fn kafel_md_examples_work_as_written() {
    if ready() {
        check_document("docs/kafel.md");
    }
}

#[test]
fn recorded_profiles_md_examples_work_as_written() {
    if ready() {
        check_document("docs/recorded-profiles.md");
    }
}

#[test]
fn trace_syscall_md_examples_work_as_written() {
    if ready() {
        check_document("docs/trace-syscall.md");
    }
}

#[test]
fn podman_compat_md_examples_work_as_written() {
    if ready() {
        check_document("docs/podman-compat.md");
    }
}

#[test]
fn host_md_examples_work_as_written() {
    if ready() {
        check_document("docs/host.md");
    }
}

#[test]
fn profile_format_md_examples_work_as_written() {
    if ready() {
        check_document("docs/profile-format.md");
    }
}

#[test]
fn profiles_libseccomp_md_examples_work_as_written() {
    if ready() {
        check_document("docs/profiles-libseccomp.md");
    }
}

#[test]
fn fuzzing_md_examples_work_as_written() {
    if ready() {
        check_document("docs/fuzzing.md");
    }
}

#[test]
fn go_templates_md_examples_work_as_written() {
    if ready() {
        check_document("docs/go-templates.md");
    }
}

#[test]
fn workloads_md_examples_work_as_written() {
    if ready() {
        check_document("docs/workloads.md");
    }
}

#[test]
fn denials_md_examples_work_as_written() {
    if ready() {
        check_document("docs/denials.md");
    }
}

/// A new document under docs/ gets a test above, or this fails.
#[test]
fn every_document_is_tested() {
    let this = include_str!("docs.rs");
    let mut missing = Vec::new();
    for entry in std::fs::read_dir(repo().join("docs")).expect("docs/") {
        let name = entry.expect("entry").file_name();
        let name = name.to_string_lossy();
        if name.ends_with(".md") && !this.contains(&format!("check_document(\"docs/{name}\")")) {
            missing.push(name.to_string());
        }
    }
    assert!(
        missing.is_empty(),
        "docs without a test in docs.rs: {missing:?}"
    );
}

#[test]
fn directives_and_blocks_are_read_as_documented() {
    let md =
        "text\n\n<!-- doc-test: file a.kafel -->\n<!-- doc-test: skip not for tests here -->\n\
              ```kafel\nALLOW { read }\n```\n\n```sh\nls\n```\n";
    let b = blocks(md).expect("parses");
    assert_eq!(b.len(), 2);
    assert_eq!(
        b[0].directives,
        vec![
            Directive::File("a.kafel".into()),
            Directive::Skip("not for tests here".into())
        ]
    );
    assert_eq!(
        (b[0].lang.as_str(), b[0].text.as_str()),
        ("kafel", "ALLOW { read }\n")
    );
    assert_eq!(
        (b[1].lang.as_str(), b[1].line, b[1].directives.len()),
        ("sh", 9, 0)
    );
    assert!(blocks("<!-- doc-test: frobnicate x -->\n```sh\nls\n```\n").is_err());
    assert!(blocks("<!-- doc-test: skip why -->\n\nsome prose\n\n```sh\nls\n```\n").is_err());
}

#[test]
fn expected_output_matches_with_wildcards_only() {
    assert!(matches("a\nb\n", "a\nb\n"));
    assert!(!matches("a\nb\n", "a\nc\n"));
    assert!(!matches("a\n", "a\nb\n"));
    assert!(matches("a\n...\nz\n", "a\nb\nc\nz\n"));
    assert!(matches("a\n...\nz\n", "a\nz\n"));
    assert!(matches("x [..] y [..]\n", "x 1 2 y 3\n"));
    assert!(!matches("x [..] y\n", "x 1 2 z\n"));
}
