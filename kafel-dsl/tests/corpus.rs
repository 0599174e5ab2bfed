//! The policy corpus (`tests/corpus/*.kafel`): every construct of the language, each file with
//! the actions it must give for probe syscalls, checked three ways (the policy's own semantics,
//! rpod's BPF, the OCI JSON through libseccomp) plus a boundary-value sweep of every constant.
//!
//! Header lines in a corpus file:
//! - `// arches: x86_64 x86` — the target arches (default x86_64);
//! - `// expect: [ARCH] SYSCALL(ARG, ...) => ACTION` — ACTION as `rpod seccomp simulate` prints it;
//! - `// json-error: TEXT` — lowering to OCI JSON must fail with a message containing TEXT.

mod support;

use std::path::Path;

use kafel_dsl::source::SourceFile;
use profiles::bpf::emulator::simulate;
use profiles::Arch;

fn parse_number(s: &str) -> u64 {
    let s = s.trim();
    if let Some(h) = s.strip_prefix("0x") {
        u64::from_str_radix(h, 16).expect("hex")
    } else if let Some(n) = s.strip_prefix('-') {
        0u64.wrapping_sub(n.parse::<u64>().expect("number"))
    } else {
        s.parse().expect("number")
    }
}

struct Expect {
    line: usize,
    arch: Option<Arch>,
    syscall: String,
    args: [u64; 6],
    action: String,
}

fn parse_expect(line: usize, s: &str) -> Expect {
    let (call, action) = s.split_once("=>").expect("expect: CALL => ACTION");
    let call = call.trim();
    let (head, args) = call.split_once('(').expect("expect: NAME(ARGS)");
    let mut words: Vec<&str> = head.split_whitespace().collect();
    let syscall = words.pop().expect("a syscall").to_string();
    let arch = words.first().map(|a| a.parse::<Arch>().expect("arch"));
    let mut a = [0u64; 6];
    for (i, v) in args
        .trim_end_matches(')')
        .split(',')
        .filter(|v| !v.trim().is_empty())
        .enumerate()
    {
        a[i] = parse_number(v);
    }
    Expect {
        line,
        arch,
        syscall,
        args: a,
        action: action.trim().to_string(),
    }
}

fn syscall_nr(arch: Arch, s: &str) -> u32 {
    if let Ok(n) = s.parse::<u32>() {
        return n;
    }
    if let Some(h) = s.strip_prefix("0x") {
        return u32::from_str_radix(h, 16).expect("hex");
    }
    profiles::syscalls::number(arch, s).unwrap_or_else(|| panic!("no {s} on {arch}"))
}

fn run_file(path: &Path) -> (usize, usize) {
    let text = std::fs::read_to_string(path).expect("corpus file");
    let name = path.file_name().unwrap().to_string_lossy().to_string();
    let mut arches = vec![Arch::X86_64];
    let mut expects = Vec::new();
    let mut json_error = None;
    for (i, l) in text.lines().enumerate() {
        let l = l.trim();
        if let Some(a) = l.strip_prefix("// arches:") {
            arches = a
                .split_whitespace()
                .map(|a| a.parse().expect("arch"))
                .collect();
        } else if let Some(e) = l.strip_prefix("// expect:") {
            expects.push(parse_expect(i + 1, e));
        } else if let Some(e) = l.strip_prefix("// json-error:") {
            json_error = Some(e.trim().to_string());
        }
    }
    assert!(!expects.is_empty(), "{name} has no expectations");
    let built = support::build_file(
        SourceFile::new(name.clone(), Some(path.to_path_buf()), text.clone()),
        &arches,
    );
    match (&json_error, &built.json) {
        (Some(want), Err(got)) => assert!(
            got.contains(want.as_str()),
            "{name}: expected a JSON error containing {want:?}, got:\n{got}"
        ),
        (Some(want), Ok(_)) => panic!("{name}: expected a JSON error containing {want:?}"),
        (None, Err(got)) => panic!("{name}: OCI JSON failed:\n{got}"),
        (None, Ok(_)) => {}
    }
    for e in &expects {
        let arch = e.arch.unwrap_or(arches[0]);
        let nr = syscall_nr(arch, &e.syscall);
        let want = built.policy.program.eval(arch, nr, &e.args);
        assert_eq!(
            want.to_string(),
            e.action,
            "{name}:{}: the policy's semantics give {want} for {arch} {}{:x?}",
            e.line,
            e.syscall,
            e.args
        );
        let got = simulate(&built.bpf, arch, nr, e.args).action;
        assert_eq!(got, want, "{name}:{}: BPF gives {got}", e.line);
        if let Ok(json) = &built.json {
            let got = simulate(json, arch, nr, e.args).action;
            assert_eq!(got, want, "{name}:{}: OCI JSON gives {got}", e.line);
        }
    }
    let probes = support::check_equivalent(&name, &built, 300, 0x5eed);
    (expects.len(), probes)
}

#[test]
fn every_corpus_policy_means_what_it_says_in_bpf_and_in_oci_json() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/corpus");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("corpus dir")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "kafel"))
        .collect();
    files.sort();
    assert!(files.len() >= 10, "the corpus is missing");
    let (mut expects, mut probes) = (0, 0);
    for f in &files {
        let (e, p) = run_file(f);
        expects += e;
        probes += p;
    }
    eprintln!(
        "{} policies, {expects} expectations, {probes} differential probes",
        files.len()
    );
}
