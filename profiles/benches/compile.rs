//! Compile time of podman's default profile and instructions executed per syscall.
//!
//! The peer is libseccomp itself, driven directly with syscall numbers resolved in advance
//! (what runc's Go code does after parsing): the ratio is rpod's cost (parse, validate,
//! resolve, compile, export, re-check) over that floor, in the same run. Instructions come from
//! the emulator over every syscall of the x86_64 table, binary tree against libseccomp's
//! default linear layout.
//!
//! Run with `cargo bench -p profiles` (or `make bench`).

use std::hint::black_box;
use std::time::{Duration, Instant};

use libseccomp::{
    ScmpAction, ScmpArch, ScmpArgCompare, ScmpCompareOp, ScmpFilterContext, ScmpSyscall,
};
use profiles::bpf::{self, Action};
use profiles::compile::{self, Options};
use profiles::default_profile::DEFAULT_JSON;
use profiles::model::Op;
use profiles::resolve::{Context, Resolved};
use profiles::{load, syscalls, Arch};

/// Medians of two closures timed interleaved: each round runs both, the first one first in
/// even rounds and second in odd ones, so neither the order nor load that comes and goes
/// favours one of them.
fn interleaved(mut a: impl FnMut(), mut b: impl FnMut(), runs: usize) -> (Duration, Duration) {
    // Warm up caches and libseccomp's lazily built tables.
    for _ in 0..3 {
        a();
        b();
    }
    let time = |f: &mut dyn FnMut()| {
        let t = Instant::now();
        f();
        t.elapsed()
    };
    let (mut ta, mut tb) = (Vec::with_capacity(runs), Vec::with_capacity(runs));
    for r in 0..runs {
        if r % 2 == 0 {
            ta.push(time(&mut a));
            tb.push(time(&mut b));
        } else {
            tb.push(time(&mut b));
            ta.push(time(&mut a));
        }
    }
    ta.sort();
    tb.sort();
    (ta[runs / 2], tb[runs / 2])
}

fn scmp_arch(a: Arch) -> ScmpArch {
    match a {
        Arch::X86 => ScmpArch::X86,
        Arch::X32 => ScmpArch::X32,
        _ => ScmpArch::X8664,
    }
}

fn scmp_action(a: Action) -> ScmpAction {
    match a {
        Action::Allow => ScmpAction::Allow,
        Action::Errno(e) => ScmpAction::Errno(i32::from(e)),
        Action::KillThread => ScmpAction::KillThread,
        _ => ScmpAction::KillProcess,
    }
}

/// The peer: libseccomp alone, rules pre-resolved to numbers and conditions.
fn raw_libseccomp(
    rules: &[(ScmpAction, ScmpSyscall, Vec<ScmpArgCompare>)],
    default: ScmpAction,
    arches: &[Arch],
) -> Vec<u8> {
    let mut ctx = ScmpFilterContext::new(default).unwrap();
    for a in arches {
        ctx.add_arch(scmp_arch(*a)).unwrap();
    }
    ctx.set_ctl_optimize(2).unwrap();
    for (act, sys, conds) in rules {
        ctx.add_rule_conditional(*act, *sys, conds).unwrap();
    }
    let mut f = tempfile::tempfile().unwrap();
    ctx.export_bpf(&f).unwrap();
    let mut out = Vec::new();
    use std::io::{Read, Seek};
    f.rewind().unwrap();
    f.read_to_end(&mut out).unwrap();
    out
}

fn pre_resolve(r: &Resolved) -> Vec<(ScmpAction, ScmpSyscall, Vec<ScmpArgCompare>)> {
    let mut out = Vec::new();
    for rule in &r.rules {
        if rule.action == r.default_action {
            continue;
        }
        let conds: Vec<ScmpArgCompare> = rule
            .args
            .iter()
            .map(|c| {
                let (op, datum) = match c.op {
                    Op::Ne => (ScmpCompareOp::NotEqual, c.value),
                    Op::Lt => (ScmpCompareOp::Less, c.value),
                    Op::Le => (ScmpCompareOp::LessOrEqual, c.value),
                    Op::Eq => (ScmpCompareOp::Equal, c.value),
                    Op::Ge => (ScmpCompareOp::GreaterEqual, c.value),
                    Op::Gt => (ScmpCompareOp::Greater, c.value),
                    Op::MaskedEq => (ScmpCompareOp::MaskedEqual(c.value), c.value_two),
                };
                ScmpArgCompare::new(u32::from(c.index), op, datum)
            })
            .collect();
        for name in &rule.names {
            if let Ok(sys) = ScmpSyscall::from_name(name) {
                out.push((scmp_action(rule.action), sys, conds.clone()));
            }
        }
    }
    out
}

fn insns_per_syscall(program: &bpf::Program, arch: Arch) -> (f64, usize) {
    let table = syscalls::table(arch);
    let counts: Vec<usize> = table
        .iter()
        .map(|e| bpf::simulate(program, arch, e.nr, [0; 6]).insns_executed)
        .collect();
    let total: usize = counts.iter().sum();
    #[expect(clippy::cast_precision_loss, reason = "a mean for display")]
    let mean = total as f64 / counts.len() as f64;
    (mean, counts.into_iter().max().unwrap_or(0))
}

fn main() {
    // `cargo test --all-targets` runs benches without `--bench`: a few runs, just to check.
    let runs = if std::env::args().any(|a| a == "--bench") {
        200
    } else {
        3
    };
    let cx = Context {
        host_arch: Arch::X86_64,
        ..Context::default()
    };
    let resolved = load::from_str(DEFAULT_JSON).unwrap().profile.resolve(&cx);
    println!(
        "podman default profile, {} rules after resolution, libseccomp {}",
        resolved.rules.len(),
        compile::libseccomp_version()
    );
    println!();
    println!(
        "Compile time: medians of {runs} runs each, rpod and raw libseccomp interleaved (order alternating)"
    );
    println!();
    println!("| filter arches | rpod | raw libseccomp | ratio |");
    println!("|---|---:|---:|---:|");
    for arches in [vec![Arch::X86_64], vec![Arch::X86_64, Arch::X86, Arch::X32]] {
        let label = arches
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" + ");
        let pre = pre_resolve(&resolved);
        let (rpod, raw) = interleaved(
            || {
                let p = load::from_str(black_box(DEFAULT_JSON)).unwrap().profile;
                let r = p.resolve(&cx);
                black_box(compile::compile(&r, Some(&arches)).unwrap());
            },
            || {
                black_box(raw_libseccomp(
                    &pre,
                    scmp_action(resolved.default_action),
                    &arches,
                ));
            },
            runs,
        );
        println!(
            "| {} | {:.2} ms | {:.2} ms | {:.2}x |",
            label,
            rpod.as_secs_f64() * 1e3,
            raw.as_secs_f64() * 1e3,
            rpod.as_secs_f64() / raw.as_secs_f64()
        );
    }
    println!();
    println!("Instructions executed per x86_64 syscall, zero arguments (emulator):");
    println!();
    println!(
        "| filter arches | binary tree (rpod) mean / max | linear mean / max | ratio | program size tree / linear |"
    );
    println!("|---|---:|---:|---:|---:|");
    for arches in [vec![Arch::X86_64], vec![Arch::X86_64, Arch::X86, Arch::X32]] {
        let label = arches
            .iter()
            .map(ToString::to_string)
            .collect::<Vec<_>>()
            .join(" + ");
        let tree = compile::compile_with(
            &resolved,
            Some(&arches),
            Options {
                binary_tree: true,
                verify: true,
            },
        )
        .unwrap();
        let linear = compile::compile_with(
            &resolved,
            Some(&arches),
            Options {
                binary_tree: false,
                verify: true,
            },
        )
        .unwrap();
        let (tm, tx) = insns_per_syscall(&tree.program, Arch::X86_64);
        let (lm, lx) = insns_per_syscall(&linear.program, Arch::X86_64);
        println!(
            "| {} | {:.1} / {} | {:.1} / {} | {:.2}x | {} / {} insns |",
            label,
            tm,
            tx,
            lm,
            lx,
            tm / lm,
            tree.program.insns().len(),
            linear.program.insns().len()
        );
    }
}
