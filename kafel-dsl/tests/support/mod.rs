#![allow(dead_code, reason = "each test binary uses part of the support module")]
//! The differential checker shared by the corpus and the property tests: a policy's own
//! semantics (`ir::Program::eval`) against (1) its direct BPF compiled by rpod and (2) its OCI
//! JSON, reloaded by the `profiles` crate and compiled by libseccomp the way runc does, both
//! run in the BPF emulator.

use kafel_dsl::source::SourceFile;
use kafel_dsl::{compile, ir, Options, Policy};
use profiles::bpf::{self, Action};
use profiles::resolve::Context;
use profiles::Arch;

/// What a policy compiled to.
pub struct Built {
    pub policy: Policy,
    pub bpf: bpf::Program,
    /// The libseccomp program of the OCI JSON, or why there is none.
    pub json: Result<bpf::Program, String>,
    pub json_text: Option<String>,
}

pub fn build(name: &str, text: &str, arches: &[Arch]) -> Built {
    build_file(SourceFile::new(name, None, text), arches)
}

pub fn build_file(file: SourceFile, arches: &[Arch]) -> Built {
    let name = file.name.clone();
    let name = name.as_str();
    let opts = Options {
        arches: arches.to_vec(),
        ..Options::default()
    };
    let policy = match compile(file, &opts) {
        Ok(p) => p,
        Err(e) => panic!("{name} does not compile:\n{}", e.render()),
    };
    let bpf = policy
        .to_bpf()
        .unwrap_or_else(|e| panic!("{name}: no BPF:\n{}", e.render()));
    let (json, json_text) = match policy.to_profile() {
        Ok(l) => {
            let text = l.profile.to_json_pretty();
            (libseccomp_program(&text, arches), Some(text))
        }
        Err(e) => (Err(e.render()), None),
    };
    Built {
        policy,
        bpf,
        json,
        json_text,
    }
}

/// The JSON as runc would load it: parsed by the strict loader, compiled by libseccomp.
pub fn libseccomp_program(text: &str, arches: &[Arch]) -> Result<bpf::Program, String> {
    let loaded = profiles::load::from_str(text).map_err(|e| format!("reload: {e:?}"))?;
    let cx = Context {
        host_arch: arches[0],
        ..Context::default()
    };
    let resolved = loaded.profile.resolve(&cx);
    let compiled =
        profiles::compile::compile(&resolved, Some(arches)).map_err(|e| e.to_string())?;
    if let Some(n) = compiled
        .notes
        .iter()
        .find(|n| n.kind == profiles::compile::NoteKind::LibseccompMisbuild)
    {
        return Err(format!("libseccomp misbuilt the filter: {n}"));
    }
    Ok(compiled.program)
}

/// A deterministic generator (xorshift), so failures reproduce.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    pub fn pick<T: Copy>(&mut self, v: &[T]) -> T {
        let n = u64::try_from(v.len()).expect("small");
        v[usize::try_from(self.next() % n).expect("small")]
    }
}

/// Values worth probing around each constant: the constant, its neighbours, its low word, with
/// high bits set, complemented; and the usual edges.
pub fn boundary_values(constants: &[u64]) -> Vec<u64> {
    let mut v = vec![
        0,
        1,
        2,
        u64::MAX,
        0xffff_ffff,
        0x1_0000_0000,
        0x8000_0000,
        0x8000_0000_0000_0000,
    ];
    for &c in constants {
        v.extend([
            c,
            c.wrapping_sub(1),
            c.wrapping_add(1),
            c & 0xffff_ffff,
            c | 0xffff_ffff_0000_0000,
            c ^ 0x1_0000_0000,
            !c,
            c >> 1,
        ]);
    }
    v.sort_unstable();
    v.dedup();
    v
}

fn action_of(prog: &bpf::Program, arch: Arch, nr: u32, args: [u64; 6]) -> Action {
    bpf::emulator::simulate(prog, arch, nr, args).action
}

/// Compares the three on `probes` per syscall; returns how many probes ran.
///
/// # Panics
/// On the first disagreement, naming the syscall, arguments and the three answers.
pub fn check_equivalent(name: &str, b: &Built, random_probes: usize, seed: u64) -> usize {
    let p: &ir::Program = &b.policy.program;
    let mut rng = Rng(seed | 1);
    let mut count = 0;
    let mut targets: Vec<(Arch, u32, Vec<u64>)> = Vec::new();
    for (&(arch, nr), s) in &p.syscalls {
        let mut cs = Vec::new();
        for r in &s.rules {
            r.cond.constants(&mut cs);
        }
        targets.push((arch, nr, boundary_values(&cs)));
    }
    // Syscalls the policy does not name, and x32 numbers on x86_64, get the default or a kill.
    for &arch in &p.arches {
        for nr in [39u32, 0x4000_0027, 1000, u32::MAX] {
            targets.push((arch, nr, boundary_values(&[])));
        }
    }
    for (arch, nr, values) in targets {
        let mut probes: Vec<[u64; 6]> = Vec::new();
        for i in 0..6 {
            for &v in &values {
                let mut a = [0u64; 6];
                a[i] = v;
                probes.push(a);
            }
        }
        for _ in 0..random_probes {
            let mut a = [0u64; 6];
            for x in &mut a {
                *x = rng.pick(&values);
            }
            probes.push(a);
        }
        for args in probes {
            count += 1;
            let want = p.eval(arch, nr, &args);
            let got_bpf = action_of(&b.bpf, arch, nr, args);
            assert_eq!(
                got_bpf, want,
                "{name}: BPF disagrees with the policy on {arch} nr {nr} args {args:#x?}"
            );
            // libseccomp's filter for x86_64 without x32 kills x32 numbers the same way;
            // for arches outside the filter it uses its bad-arch action, also KILL_THREAD.
            if let Ok(json) = &b.json {
                let got_json = action_of(json, arch, nr, args);
                assert_eq!(
                    got_json,
                    want,
                    "{name}: OCI JSON (via libseccomp) disagrees with the policy on {arch} nr {nr} args {args:#x?}\n{}",
                    b.json_text.as_deref().unwrap_or("")
                );
            }
        }
    }
    count
}
