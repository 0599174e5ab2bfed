//! The policy language as `rpod seccomp compile|fmt` take it: parse (with diagnostics
//! rendered), format, resolve, lower to OCI JSON, compile to BPF.
//!
//! Properties besides "no panic, no hang, bounded memory": a policy that parses formats to text
//! that parses and formats to itself; the OCI JSON a policy lowers to loads as a profile; the
//! BPF it compiles to reads back as the same program and runs in the emulator.
//!
//! The input is the policy text. Its length picks the target arches (odd: this machine's and
//! aarch64, as `--arch x86_64 --arch aarch64`; even: this machine's), so both paths of the
//! lowering are fuzzed without a header the seeds would need.
#![no_main]

use kafel_dsl::diag::Severity;
use kafel_dsl::source::{SourceFile, Sources};
use libfuzzer_sys::fuzz_target;
use profiles::bpf::{self, disasm};
use profiles::Arch;

fn has_errors(d: &[kafel_dsl::diag::Diagnostic]) -> bool {
    d.iter().any(|d| d.severity == Severity::Error)
}

/// What `rpod seccomp fmt` does with the text.
fn format(text: &str) -> Option<String> {
    let mut sources = Sources::new();
    let id = sources.add(SourceFile::new("fuzz.policy", None, text));
    let (ast, diags) = kafel_dsl::parse::parse(id, text);
    let _ = kafel_dsl::diag::render_all(&diags, &sources);
    (!has_errors(&diags)).then(|| kafel_dsl::fmt::format(&ast))
}

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    if let Some(formatted) = format(text) {
        let again = format(&formatted)
            .unwrap_or_else(|| panic!("fmt wrote a policy that does not parse:\n{formatted}"));
        assert_eq!(again, formatted, "fmt is not idempotent");
    }

    let mut arches = Vec::new();
    if data.len() % 2 == 1 {
        arches = vec![Arch::native(), Arch::Aarch64];
    }
    let opts = kafel_dsl::Options {
        arches,
        search_path: Vec::new(),
    };
    let policy = match kafel_dsl::compile(SourceFile::new("fuzz.policy", None, text), &opts) {
        Ok(p) => p,
        Err(e) => {
            let _ = e.render();
            return;
        }
    };
    let _ = policy.render(&policy.warnings);

    match policy.to_profile() {
        Ok(lowered) => {
            let _ = policy.render(&lowered.warnings);
            let json = lowered.profile.to_json_pretty();
            if let Err(e) = profiles::load::from_str(&json) {
                panic!("the lowered profile does not load: {e}\n{json}");
            }
        }
        Err(e) => {
            let _ = e.render();
        }
    }

    match policy.to_bpf() {
        Ok(program) => {
            let bytes = program.to_bytes();
            let back = bpf::Program::from_bytes(&bytes).expect("compiled BPF reads back");
            assert_eq!(back.insns(), program.insns(), "BPF bytes do not round-trip");
            let _ = disasm::disasm(&program);
            for &arch in &policy.program.arches {
                for nr in [0, 1, 2, 59, 257, 435, 0x4000_0000, u32::MAX] {
                    let out =
                        bpf::simulate(&program, arch, nr, [0, 1, u64::MAX, 0x8000_0000, 42, 7]);
                    assert!(out.insns_executed <= program.insns().len());
                }
            }
        }
        Err(e) => {
            let _ = e.render();
        }
    }
});
