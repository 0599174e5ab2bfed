//! Kernel agreement: `profiles::bpf` (validator and emulator) against the kernel's seccomp.
//!
//! Each probe installs a filter in a fresh process (`seccomp-probe`), makes one syscall there,
//! and compares what the kernel did with what the emulator says the filter returns, mapped to
//! what that action looks like from user space ([`rpod_tests::expected`]). Filters come from
//! libseccomp (every comparison operator and action, optimize level 2, several arches) and
//! are written by hand (every instruction kind, edge return values, random ALU programs, and
//! programs the kernel must refuse).
//!
//! Needs: a kernel with seccomp filters. No root: the probe sets no_new_privs. The probe
//! syscalls (getppid, getuid, ...) ignore their arguments, so any argument value is harmless
//! when the filter lets the call through.

use std::collections::{BTreeSet, HashMap};
use std::io::{Read as _, Seek as _};
use std::sync::{Mutex, OnceLock};

use libseccomp::{
    ScmpAction, ScmpArch, ScmpArgCompare, ScmpCompareOp, ScmpFilterContext, ScmpSyscall,
};
use profiles::bpf::{self, code::*, Insn, Program};
use profiles::Arch;
use rpod_tests::{expected, require, seccomp_available, KernelOutcome, Probe, ProbeMode};

fn nr(sys: libc::c_long) -> u32 {
    u32::try_from(sys).expect("syscall numbers are small and positive")
}

fn getppid() -> u32 {
    nr(libc::SYS_getppid)
}

const RET_ALLOW: Insn = Insn::stmt(BPF_RET | BPF_K, bpf::SECCOMP_RET_ALLOW);

struct Kernel {
    probe: Probe,
    /// What each probe syscall returns when allowed, from a probe under an allow-all filter.
    allowed: Mutex<HashMap<u32, i64>>,
}

impl Kernel {
    /// What syscall `nr` returns in the probe when the filter lets it run.
    fn allowed(&self, nr: u32) -> i64 {
        let mut cache = self.allowed.lock().expect("cache lock");
        *cache.entry(nr).or_insert_with(|| {
            let allow_all = RET_ALLOW.to_bytes();
            match self.probe.run(&allow_all, nr, [0; 6]) {
                KernelOutcome::Returned(v) => v,
                KernelOutcome::InstallFailed(errno) => panic!(
                    "the kernel refused even an allow-all seccomp filter (errno {errno}); \
                     this machine cannot run the kernel-agreement suite"
                ),
                other => panic!("syscall {nr} under an allow-all filter gave {other:?}"),
            }
        })
    }
}

/// The shared probe, or `None` (after a loud notice) where seccomp is missing and not required.
fn kernel() -> Option<&'static Kernel> {
    static KERNEL: OnceLock<Kernel> = OnceLock::new();
    if !require("seccomp", seccomp_available()) {
        return None;
    }
    Some(KERNEL.get_or_init(|| Kernel {
        probe: Probe::new(env!("CARGO_BIN_EXE_seccomp-probe")),
        allowed: Mutex::new(HashMap::new()),
    }))
}

/// Counts probes and collects disagreements, so one run shows all of them.
struct Report {
    name: &'static str,
    probes: usize,
    mismatches: Vec<String>,
}

impl Report {
    fn new(name: &'static str) -> Report {
        Report {
            name,
            probes: 0,
            mismatches: Vec::new(),
        }
    }

    /// Runs `prog` on syscall `nr` with `args` in the emulator and in the kernel.
    fn check(
        &mut self,
        k: &Kernel,
        mode: ProbeMode,
        prog: &Program,
        nr: u32,
        args: [u64; 6],
        what: &str,
    ) {
        let emu = bpf::simulate(prog, Arch::native(), nr, args);
        let want = expected(emu.action, mode, k.allowed(nr));
        let got = k.probe.with_mode(mode).run(&prog.to_bytes(), nr, args);
        if let KernelOutcome::InstallFailed(errno) = got {
            panic!(
                "{what}: the kernel refused (errno {errno}) a filter that profiles::bpf accepts:\n{}",
                bpf::disasm::disasm(prog)
            );
        }
        self.probes += 1;
        if got != want {
            self.mismatches.push(format!(
                "{what}: syscall {nr} args {args:x?} ({mode:?}): emulator {emu}, so expected \
                 {want:?}; kernel {got:?}\n{}",
                bpf::disasm::disasm(prog)
            ));
        }
    }

    fn finish(self) {
        eprintln!(
            "{}: {} kernel-agreement probes, {} disagreements",
            self.name,
            self.probes,
            self.mismatches.len()
        );
        assert!(
            self.mismatches.is_empty(),
            "{} of {} probes disagree with the kernel:\n\n{}",
            self.mismatches.len(),
            self.probes,
            self.mismatches.join("\n")
        );
    }
}

/// `body` for syscall `nr`, every other syscall allowed (the probe needs write and exit_group
/// after its syscall).
fn guarded(nr: u32, body: &[Insn]) -> Program {
    let mut insns = vec![
        Insn::stmt(BPF_LD | BPF_W | BPF_ABS, 0),
        Insn::jump(BPF_JMP | BPF_JEQ | BPF_K, nr, 1, 0),
        RET_ALLOW,
    ];
    insns.extend_from_slice(body);
    Program::new(insns).expect("a test program the validator accepts")
}

#[test]
fn probe_installs_an_allow_all_filter() {
    let Some(k) = kernel() else { return };
    let ppid = k.allowed(getppid());
    assert_eq!(
        ppid,
        i64::from(std::process::id()),
        "getppid in the probe is this test process"
    );
}

#[test]
fn return_values_agree() {
    let Some(k) = kernel() else { return };
    let mut report = Report::new("return values");
    let rets = [
        bpf::SECCOMP_RET_ALLOW,
        bpf::SECCOMP_RET_ALLOW | 0x1234,
        bpf::SECCOMP_RET_LOG,
        bpf::SECCOMP_RET_ERRNO,
        bpf::SECCOMP_RET_ERRNO | 1,
        bpf::SECCOMP_RET_ERRNO | 77,
        bpf::SECCOMP_RET_ERRNO | 4095,
        bpf::SECCOMP_RET_ERRNO | 4096,
        bpf::SECCOMP_RET_ERRNO | 0xffff,
        bpf::SECCOMP_RET_TRAP,
        bpf::SECCOMP_RET_TRAP | 0xabcd,
        bpf::SECCOMP_RET_TRACE | 5,
        bpf::SECCOMP_RET_USER_NOTIF,
        bpf::SECCOMP_RET_KILL_THREAD,
        bpf::SECCOMP_RET_KILL_THREAD | 9,
        bpf::SECCOMP_RET_KILL_PROCESS,
        // Action values the kernel does not define.
        0x0001_0000,
        0x0004_0000,
        0x7ffe_0000,
        0x7ffd_0000,
        0x7fc1_0000,
        0x8001_0000,
        0xffff_0000,
    ];
    for ret in rets {
        let prog = guarded(getppid(), &[Insn::stmt(BPF_RET | BPF_K, ret)]);
        for mode in [ProbeMode::Process, ProbeMode::Thread] {
            report.check(
                k,
                mode,
                &prog,
                getppid(),
                [0; 6],
                &format!("return {ret:#010x}"),
            );
        }
    }
    report.finish();
}

/// The kernel kills the whole process for KILL_THREAD when the thread is its only one
/// (`__seccomp_filter`: "dump core only if this is the last remaining thread").
#[test]
fn kill_thread_of_the_only_thread_kills_the_process() {
    let Some(k) = kernel() else { return };
    let prog = guarded(
        getppid(),
        &[Insn::stmt(BPF_RET | BPF_K, bpf::SECCOMP_RET_KILL_THREAD)],
    );
    let got = k.probe.run(&prog.to_bytes(), getppid(), [0; 6]);
    assert_eq!(got, KernelOutcome::Killed);
    let got = k
        .probe
        .with_mode(ProbeMode::Thread)
        .run(&prog.to_bytes(), getppid(), [0; 6]);
    assert_eq!(got, KernelOutcome::ThreadKilled);
}

#[test]
fn registers_start_at_zero_and_division_by_zero_returns_zero() {
    let Some(k) = kernel() else { return };
    let mut report = Report::new("registers and division");
    let nr = getppid();
    // Unguarded: A is 0, so every syscall returns 0 (KILL_THREAD).
    let ret_a = Program::new(vec![Insn::stmt(BPF_RET | BPF_A, 0)]).expect("valid");
    let txa = Program::new(vec![
        Insn::stmt(BPF_MISC | BPF_TXA, 0),
        Insn::stmt(BPF_RET | BPF_A, 0),
    ])
    .expect("valid");
    let div = |x: u32| {
        guarded(
            nr,
            &[
                Insn::stmt(BPF_LD | BPF_IMM, 500),
                Insn::stmt(BPF_LDX | BPF_IMM, x),
                Insn::stmt(BPF_ALU | BPF_DIV | BPF_X, 0),
                Insn::stmt(BPF_ALU | BPF_OR | BPF_K, bpf::SECCOMP_RET_ERRNO),
                Insn::stmt(BPF_RET | BPF_A, 0),
            ],
        )
    };
    for mode in [ProbeMode::Process, ProbeMode::Thread] {
        report.check(k, mode, &ret_a, nr, [0; 6], "return A first");
        report.check(k, mode, &txa, nr, [0; 6], "return X first");
        report.check(k, mode, &div(0), nr, [0; 6], "A / X with X = 0");
        report.check(k, mode, &div(7), nr, [0; 6], "A / X with X = 7");
    }
    report.finish();
}

#[test]
fn loads_see_the_argument_halves() {
    let Some(k) = kernel() else { return };
    let mut report = Report::new("loads");
    let nr = getppid();
    let args = [
        0x0123_4567_89ab_cdef,
        0xfedc_ba98_7654_3210,
        0xffff_ffff_0000_0001,
        0x0000_0001_ffff_ffff,
        0x8000_0000_8000_0000,
        0x7fff_0000_0000_ffff,
    ];
    // Each 32-bit word of nr, arch and the args, 16 bits at a time through TRAP data.
    for offset in (0..64).step_by(4).filter(|o| *o != 8 && *o != 12) {
        for shift in [0, 16] {
            let prog = guarded(
                nr,
                &[
                    Insn::stmt(BPF_LD | BPF_W | BPF_ABS, offset),
                    Insn::stmt(BPF_ALU | BPF_RSH | BPF_K, shift),
                    Insn::stmt(BPF_ALU | BPF_AND | BPF_K, 0xffff),
                    Insn::stmt(BPF_ALU | BPF_OR | BPF_K, bpf::SECCOMP_RET_TRAP),
                    Insn::stmt(BPF_RET | BPF_A, 0),
                ],
            );
            let what = format!("word at {offset} >> {shift}");
            report.check(k, ProbeMode::Process, &prog, nr, args, &what);
        }
    }
    // LEN loads and scratch memory round trips.
    let prog = guarded(
        nr,
        &[
            Insn::stmt(BPF_LD | BPF_W | BPF_ABS, 20),
            Insn::stmt(BPF_ST, 15),
            Insn::stmt(BPF_LDX | BPF_W | BPF_LEN, 0),
            Insn::stmt(BPF_STX, 0),
            Insn::stmt(BPF_LD | BPF_W | BPF_LEN, 0),
            Insn::stmt(BPF_LDX | BPF_MEM, 15),
            Insn::stmt(BPF_ALU | BPF_ADD | BPF_X, 0),
            Insn::stmt(BPF_LDX | BPF_MEM, 0),
            Insn::stmt(BPF_ALU | BPF_ADD | BPF_X, 0),
            Insn::stmt(BPF_ALU | BPF_AND | BPF_K, 0xffff),
            Insn::stmt(BPF_ALU | BPF_OR | BPF_K, bpf::SECCOMP_RET_TRAP),
            Insn::stmt(BPF_RET | BPF_A, 0),
        ],
    );
    report.check(k, ProbeMode::Process, &prog, nr, args, "len and scratch");
    report.finish();
}

/// xorshift64*: a fixed, dependency-free sequence, so a failure reproduces.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn u32(&mut self) -> u32 {
        const INTERESTING: [u32; 10] = [
            0,
            1,
            2,
            31,
            32,
            33,
            0x7fff_ffff,
            0x8000_0000,
            0xffff_fffe,
            0xffff_ffff,
        ];
        if self.below(3) == 0 {
            INTERESTING[usize::try_from(self.below(10)).expect("small")]
        } else {
            u32::try_from(self.next() >> 32).expect("32 bits")
        }
    }

    fn u64(&mut self) -> u64 {
        match self.below(4) {
            0 => u64::from(self.u32()),
            1 => u64::from(self.u32()) << 32 | u64::from(self.u32()),
            _ => self.next(),
        }
    }

    fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        let n = u64::try_from(items.len()).expect("small");
        items[usize::try_from(self.below(n)).expect("small")]
    }
}

/// A random straight-line program over A, X and scratch memory, with skip-one conditional
/// jumps; it leaves its result in A.
fn random_body(rng: &mut Rng) -> Vec<Insn> {
    const ALU: [u16; 9] = [
        BPF_ADD, BPF_SUB, BPF_MUL, BPF_DIV, BPF_OR, BPF_AND, BPF_LSH, BPF_RSH, BPF_XOR,
    ];
    const JMP: [u16; 4] = [BPF_JEQ, BPF_JGT, BPF_JGE, BPF_JSET];
    let offsets: Vec<u32> = (0..64).step_by(4).filter(|o| *o != 8 && *o != 12).collect();
    let mut stored: Vec<u32> = Vec::new();
    let mut body = Vec::new();
    let alu_k = |rng: &mut Rng| {
        let op = rng.pick(&ALU);
        let k = match op {
            BPF_LSH | BPF_RSH => rng.u32() % 32,
            BPF_DIV => rng.u32().max(1),
            _ => rng.u32(),
        };
        Insn::stmt(BPF_ALU | op | BPF_K, k)
    };
    for _ in 0..(4 + rng.below(16)) {
        match rng.below(15) {
            0 | 1 => body.push(Insn::stmt(BPF_LD | BPF_W | BPF_ABS, rng.pick(&offsets))),
            2 => body.push(Insn::stmt(BPF_LD | BPF_IMM, rng.u32())),
            3 => body.push(Insn::stmt(BPF_LDX | BPF_IMM, rng.u32())),
            4 => body.push(Insn::stmt(BPF_MISC | BPF_TAX, 0)),
            5 => body.push(Insn::stmt(BPF_MISC | BPF_TXA, 0)),
            6 => {
                let slot = u32::try_from(rng.below(16)).expect("small");
                let code = if rng.below(2) == 0 { BPF_ST } else { BPF_STX };
                body.push(Insn::stmt(code, slot));
                stored.push(slot);
            }
            7 if !stored.is_empty() => {
                let code = if rng.below(2) == 0 {
                    BPF_LD | BPF_MEM
                } else {
                    BPF_LDX | BPF_MEM
                };
                body.push(Insn::stmt(code, rng.pick(&stored)));
            }
            8 | 9 => body.push(alu_k(rng)),
            10 | 11 => body.push(Insn::stmt(BPF_ALU | rng.pick(&ALU) | BPF_X, 0)),
            12 => body.push(Insn::stmt(BPF_ALU | BPF_NEG, 0)),
            13 => {
                // if (cond) run the next instruction, else skip it; or the other way round.
                let src = if rng.below(2) == 0 { BPF_K } else { BPF_X };
                let (jt, jf) = if rng.below(2) == 0 { (0, 1) } else { (1, 0) };
                body.push(Insn::jump(
                    BPF_JMP | rng.pick(&JMP) | src,
                    rng.u32(),
                    jt,
                    jf,
                ));
                body.push(alu_k(rng));
            }
            _ => {
                body.push(Insn::stmt(BPF_JMP | BPF_JA, 1));
                body.push(alu_k(rng));
            }
        }
    }
    body
}

#[test]
fn random_programs_agree() {
    let Some(k) = kernel() else { return };
    let mut report = Report::new("random programs");
    let mut rng = Rng(0x5eed_0f2b_1d2c_3e4f);
    let nr = getppid();
    for i in 0..60 {
        let body = random_body(&mut rng);
        let mode = if i % 4 == 0 {
            ProbeMode::Thread
        } else {
            ProbeMode::Process
        };
        // All 32 bits of A come out as two halves of TRAP data.
        for shift in [0, 16] {
            let mut insns = body.clone();
            insns.extend([
                Insn::stmt(BPF_ALU | BPF_RSH | BPF_K, shift),
                Insn::stmt(BPF_ALU | BPF_AND | BPF_K, 0xffff),
                Insn::stmt(BPF_ALU | BPF_OR | BPF_K, bpf::SECCOMP_RET_TRAP),
                Insn::stmt(BPF_RET | BPF_A, 0),
            ]);
            let prog = guarded(nr, &insns);
            for _ in 0..2 {
                let args = [
                    rng.u64(),
                    rng.u64(),
                    rng.u64(),
                    rng.u64(),
                    rng.u64(),
                    rng.u64(),
                ];
                report.check(k, mode, &prog, nr, args, &format!("program {i} >> {shift}"));
            }
        }
    }
    report.finish();
}

/// Programs the kernel must refuse (and the validator with it), and edge cases it must take.
#[test]
fn validator_agrees_with_the_kernels_checks() {
    let Some(k) = kernel() else { return };
    let mut report = Report::new("validator");
    let nr = getppid();
    let s = Insn::stmt;
    let j = Insn::jump;
    let ret_a = s(BPF_RET | BPF_A, 0);
    let cases: Vec<(&str, Vec<Insn>)> = vec![
        ("empty", vec![]),
        ("4096 instructions", vec![RET_ALLOW; 4096]),
        ("4097 instructions", vec![RET_ALLOW; 4097]),
        ("mod k", vec![s(BPF_ALU | BPF_MOD | BPF_K, 3), RET_ALLOW]),
        ("mod x", vec![s(BPF_ALU | BPF_MOD | BPF_X, 0), RET_ALLOW]),
        ("ld h abs", vec![s(BPF_LD | BPF_H | BPF_ABS, 0), RET_ALLOW]),
        ("ld b abs", vec![s(BPF_LD | BPF_B | BPF_ABS, 0), RET_ALLOW]),
        ("ld w ind", vec![s(BPF_LD | BPF_W | BPF_IND, 0), RET_ALLOW]),
        ("ldx msh", vec![s(BPF_LDX | BPF_B | BPF_MSH, 0), RET_ALLOW]),
        (
            "ldx w abs",
            vec![s(BPF_LDX | BPF_W | BPF_ABS, 0), RET_ALLOW],
        ),
        ("ld h imm", vec![s(BPF_LD | BPF_H | BPF_IMM, 0), RET_ALLOW]),
        ("ret x", vec![s(BPF_RET | BPF_X, 0), RET_ALLOW]),
        ("neg x", vec![s(BPF_ALU | BPF_NEG | BPF_X, 0), RET_ALLOW]),
        ("ja x", vec![s(BPF_JMP | BPF_JA | BPF_X, 0), RET_ALLOW]),
        ("misc 0x08", vec![s(BPF_MISC | 0x08, 0), RET_ALLOW]),
        ("opcode 0x106", vec![s(0x106, 0), RET_ALLOW]),
        ("ld abs 2", vec![s(BPF_LD | BPF_W | BPF_ABS, 2), RET_ALLOW]),
        (
            "ld abs 64",
            vec![s(BPF_LD | BPF_W | BPF_ABS, 64), RET_ALLOW],
        ),
        (
            "ld abs ancillary",
            vec![s(BPF_LD | BPF_W | BPF_ABS, 0xffff_f000), RET_ALLOW],
        ),
        (
            "ld abs 60",
            vec![s(BPF_LD | BPF_W | BPF_ABS, 60), RET_ALLOW],
        ),
        ("st 16", vec![s(BPF_ST, 16), RET_ALLOW]),
        ("ldx mem 16", vec![s(BPF_LDX | BPF_MEM, 16), RET_ALLOW]),
        (
            "lsh k 32",
            vec![s(BPF_ALU | BPF_LSH | BPF_K, 32), RET_ALLOW],
        ),
        (
            "rsh k 32",
            vec![s(BPF_ALU | BPF_RSH | BPF_K, 32), RET_ALLOW],
        ),
        (
            "lsh k 31",
            vec![s(BPF_ALU | BPF_LSH | BPF_K, 31), RET_ALLOW],
        ),
        ("div k 0", vec![s(BPF_ALU | BPF_DIV | BPF_K, 0), RET_ALLOW]),
        ("div k 1", vec![s(BPF_ALU | BPF_DIV | BPF_K, 1), RET_ALLOW]),
        (
            "jeq past the end",
            vec![j(BPF_JMP | BPF_JEQ | BPF_K, 0, 2, 0), RET_ALLOW, RET_ALLOW],
        ),
        (
            "jeq false past the end",
            vec![j(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2), RET_ALLOW, RET_ALLOW],
        ),
        (
            "jeq to the last",
            vec![j(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0), RET_ALLOW, RET_ALLOW],
        ),
        ("ja past the end", vec![s(BPF_JMP | BPF_JA, 1), RET_ALLOW]),
        (
            "ja 0xffffffff",
            vec![s(BPF_JMP | BPF_JA, u32::MAX), RET_ALLOW],
        ),
        (
            "ja to the last",
            vec![s(BPF_JMP | BPF_JA, 1), RET_ALLOW, RET_ALLOW],
        ),
        ("no final return", vec![RET_ALLOW, s(BPF_LD | BPF_IMM, 0)]),
        (
            "final return a",
            vec![s(BPF_LD | BPF_IMM, bpf::SECCOMP_RET_ALLOW), ret_a],
        ),
        (
            "read unwritten slot",
            vec![s(BPF_LD | BPF_MEM, 3), RET_ALLOW],
        ),
        (
            "slot written on one path",
            vec![
                j(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
                s(BPF_ST, 3),
                s(BPF_LD | BPF_MEM, 3),
                RET_ALLOW,
            ],
        ),
        (
            "slot written before the branch",
            vec![
                s(BPF_ST, 3),
                j(BPF_JMP | BPF_JEQ | BPF_K, 0, 1, 0),
                s(BPF_LD | BPF_MEM, 3),
                RET_ALLOW,
            ],
        ),
        (
            // Correct, but the kernel carries the slots of the path to the return at 3 into 4.
            "slot after a return (kernel quirk)",
            vec![
                j(BPF_JMP | BPF_JEQ | BPF_K, 0, 0, 2),
                s(BPF_ST, 0),
                s(BPF_JMP | BPF_JA, 1),
                RET_ALLOW,
                s(BPF_LD | BPF_MEM, 0),
                RET_ALLOW,
            ],
        ),
        (
            "ld len and ldx len",
            vec![
                s(BPF_LD | BPF_W | BPF_LEN, 0),
                s(BPF_LDX | BPF_W | BPF_LEN, 0),
                RET_ALLOW,
            ],
        ),
    ];
    for (name, insns) in cases {
        let bytes: Vec<u8> = insns.iter().flat_map(|i| i.to_bytes()).collect();
        let ours = Program::from_bytes(&bytes);
        match ours {
            Ok(prog) => report.check(k, ProbeMode::Process, &prog, nr, [0; 6], name),
            Err(e) => {
                let got = k.probe.run(&bytes, nr, [0; 6]);
                report.probes += 1;
                if got != KernelOutcome::InstallFailed(libc::EINVAL) {
                    report.mismatches.push(format!(
                        "{name}: the validator says \"{e}\", the kernel gave {got:?}"
                    ));
                }
            }
        }
    }
    report.finish();
}

// ---- Filters compiled by libseccomp -----------------------------------------------------

/// The syscalls the probe makes after its own (see strace): a filter whose default is not
/// ALLOW must allow them, or the probe dies before it can report.
const PROBE_NEEDS: [&str; 5] = [
    "write",
    "sigaltstack",
    "munmap",
    "exit_group",
    "rt_sigreturn",
];

/// Exports `ctx` (optimize level 2) and parses it with the validator.
fn export(ctx: &mut ScmpFilterContext) -> Program {
    ctx.set_ctl_optimize(2)
        .expect("libseccomp optimize level 2");
    let mut file = tempfile::tempfile().expect("temporary file");
    ctx.export_bpf(&file)
        .expect("libseccomp exports the filter");
    let mut bytes = Vec::new();
    file.rewind()
        .and_then(|()| file.read_to_end(&mut bytes))
        .expect("read the exported filter");
    let prog = Program::from_bytes(&bytes).expect("the validator accepts libseccomp's filter");
    let text = bpf::disasm::disasm(&prog);
    assert!(
        !text.contains("invalid"),
        "disassembly of libseccomp's filter:\n{text}"
    );
    prog
}

fn sys(name: &str) -> ScmpSyscall {
    ScmpSyscall::from_name(name).unwrap_or_else(|e| panic!("libseccomp knows {name}: {e}"))
}

/// Three conditional rules on getppid across arguments 0-3 (a chain libseccomp lays out with
/// nested argument checks); the last allows `args[3] <= le`.
fn add_getppid_rules(ctx: &mut ScmpFilterContext, le: u64) {
    let cmp = ScmpArgCompare::new;
    let ppid = getppid_sys();
    ctx.add_rule_conditional(
        ScmpAction::Errno(11),
        ppid,
        &[
            cmp(0, ScmpCompareOp::Equal, 5),
            cmp(1, ScmpCompareOp::Greater, 0x1_0000_0000),
        ],
    )
    .expect("rule");
    ctx.add_rule_conditional(
        ScmpAction::Trap,
        ppid,
        &[cmp(2, ScmpCompareOp::MaskedEqual(0xff00), 0x1200)],
    )
    .expect("rule");
    ctx.add_rule_conditional(
        ScmpAction::Errno(12),
        ppid,
        &[cmp(3, ScmpCompareOp::LessOrEqual, le)],
    )
    .expect("rule");
}

fn getppid_sys() -> ScmpSyscall {
    ScmpSyscall::from(i32::try_from(getppid()).expect("small"))
}

/// A filter with one conditional rule for getppid: default ALLOW, or, for an ALLOW rule,
/// default ERRNO(88) with what the probe needs allowed.
fn one_rule(action: ScmpAction, cmp: ScmpArgCompare) -> Program {
    let default = if action == ScmpAction::Allow {
        ScmpAction::Errno(88)
    } else {
        ScmpAction::Allow
    };
    let mut ctx = ScmpFilterContext::new(default).expect("libseccomp context");
    if action == ScmpAction::Allow {
        for name in PROBE_NEEDS {
            ctx.add_rule(ScmpAction::Allow, sys(name))
                .expect("allow rule");
        }
    }
    ctx.add_rule_conditional(action, getppid_sys(), &[cmp])
        .expect("libseccomp takes the rule");
    export(&mut ctx)
}

/// Values around `c` that tell every comparison apart, including ones that differ from it only
/// in the high or the low 32 bits.
fn probe_values(c: u64) -> BTreeSet<u64> {
    [
        c.wrapping_sub(1),
        c,
        c.wrapping_add(1),
        0,
        u64::MAX,
        c ^ (1 << 32),
        c ^ (1 << 63),
        c ^ 1,
        c ^ (1 << 31),
        c & 0xffff_ffff,
        c | 0xffff_ffff_0000_0000,
    ]
    .into_iter()
    .collect()
}

#[test]
fn libseccomp_comparisons_agree() {
    let Some(k) = kernel() else { return };
    let mut report = Report::new("libseccomp comparisons");
    let nr = getppid();
    let actions = [
        ScmpAction::Errno(77),
        ScmpAction::KillProcess,
        ScmpAction::KillThread,
        ScmpAction::Trap,
        ScmpAction::Trace(5),
        ScmpAction::Log,
        ScmpAction::Notify,
        ScmpAction::Allow,
    ];
    let constants: [u64; 12] = [
        0,
        1,
        5,
        0x7fff_ffff,
        0x8000_0000,
        0xffff_ffff,
        0x1_0000_0000,
        0x1_0000_0005,
        0xffff_ffff_0000_0000,
        0x8000_0000_0000_0000,
        u64::MAX - 1,
        u64::MAX,
    ];
    let ops = [
        ScmpCompareOp::NotEqual,
        ScmpCompareOp::Less,
        ScmpCompareOp::LessOrEqual,
        ScmpCompareOp::Equal,
        ScmpCompareOp::GreaterEqual,
        ScmpCompareOp::Greater,
    ];
    let mut n = 0usize;
    let mut next_action = || {
        n += 1;
        actions[n % actions.len()]
    };
    let run = |report: &mut Report,
               action: ScmpAction,
               prog: &Program,
               arg: u32,
               values: &BTreeSet<u64>,
               what: &str| {
        let mode = if action == ScmpAction::KillThread {
            ProbeMode::Thread
        } else {
            ProbeMode::Process
        };
        for &v in values {
            // The other arguments hold a pattern the rule does not look at.
            let mut args = [0x5555_aaaa_5555_aaaa_u64; 6];
            args[usize::try_from(arg).expect("small")] = v;
            report.check(k, mode, prog, nr, args, what);
        }
    };
    for (i, op) in ops.into_iter().enumerate() {
        for (j, &c) in constants.iter().enumerate() {
            let arg = u32::try_from((i + j) % 6).expect("small");
            let action = next_action();
            let prog = one_rule(action, ScmpArgCompare::new(arg, op, c));
            let what = format!("{action:?} if arg{arg} {op:?} {c:#x}");
            run(&mut report, action, &prog, arg, &probe_values(c), &what);
        }
    }
    let masks: [u64; 4] = [0xff, 0xffff_0000_0000, 0x8000_0000_0000_0001, u64::MAX];
    for (i, &mask) in masks.iter().enumerate() {
        for (j, &c) in [0x0, 0x1234_5678_9abc_def1, u64::MAX].iter().enumerate() {
            let arg = u32::try_from((i + j) % 6).expect("small");
            let datum = c & mask;
            let action = next_action();
            let cmp = ScmpArgCompare::new(arg, ScmpCompareOp::MaskedEqual(mask), datum);
            let prog = one_rule(action, cmp);
            let mut values = probe_values(datum);
            let low = mask & mask.wrapping_neg();
            let high = 1u64 << (63 - mask.leading_zeros());
            values.extend([datum ^ low, datum ^ high, datum ^ !mask, datum | !mask]);
            let what = format!("{action:?} if arg{arg} & {mask:#x} == {datum:#x}");
            run(&mut report, action, &prog, arg, &values, &what);
        }
    }
    report.finish();
}

/// Many rules, several per syscall and across arguments, and several arches: the binary tree
/// of optimize level 2 and the arch prologue.
#[test]
fn libseccomp_rule_sets_agree() {
    let Some(k) = kernel() else { return };
    let mut report = Report::new("libseccomp rule sets");
    let mut ctx = ScmpFilterContext::new(ScmpAction::Allow).expect("libseccomp context");
    if cfg!(target_arch = "x86_64") {
        ctx.add_arch(ScmpArch::X86).expect("add x86");
        ctx.add_arch(ScmpArch::X32).expect("add x32");
    }
    // Bulk that the probe never calls, to grow the tree.
    let bulk = [
        "mkdir",
        "rmdir",
        "chdir",
        "fchdir",
        "chmod",
        "fchmod",
        "chown",
        "fchown",
        "lchown",
        "link",
        "unlink",
        "symlink",
        "rename",
        "truncate",
        "ftruncate",
        "mknod",
        "sethostname",
        "setdomainname",
        "mount",
        "umount2",
        "swapon",
        "swapoff",
        "reboot",
        "kexec_load",
        "init_module",
        "delete_module",
        "acct",
        "settimeofday",
        "pivot_root",
        "chroot",
        "ptrace",
        "bpf",
        "perf_event_open",
        "userfaultfd",
        "keyctl",
        "add_key",
        "request_key",
        "unshare",
        "setns",
        "quotactl",
    ];
    for (i, name) in bulk.iter().enumerate() {
        let errno = 20 + i32::try_from(i).expect("small");
        ctx.add_rule(ScmpAction::Errno(errno), sys(name))
            .expect("bulk rule");
    }
    add_getppid_rules(&mut ctx, 7);
    let cmp = ScmpArgCompare::new;
    ctx.add_rule_conditional(
        ScmpAction::KillProcess,
        sys("getuid"),
        &[cmp(0, ScmpCompareOp::Less, 3)],
    )
    .expect("rule");
    ctx.add_rule_conditional(
        ScmpAction::Errno(13),
        sys("getuid"),
        &[cmp(0, ScmpCompareOp::GreaterEqual, 0x8000_0000_0000_0000)],
    )
    .expect("rule");
    ctx.add_rule_conditional(
        ScmpAction::Log,
        sys("getgid"),
        &[cmp(5, ScmpCompareOp::NotEqual, 0)],
    )
    .expect("rule");
    ctx.add_rule(ScmpAction::Trace(9), sys("geteuid"))
        .expect("rule");
    ctx.add_rule_conditional(
        ScmpAction::Notify,
        sys("getegid"),
        &[cmp(4, ScmpCompareOp::Equal, 0xdead_beef_0000_0000)],
    )
    .expect("rule");
    let prog = export(&mut ctx);

    let pattern = 0x5555_aaaa_5555_aaaa_u64;
    let p = ProbeMode::Process;
    for a0 in [4, 5, 6] {
        for a1 in [0, 0x1_0000_0000, 0x1_0000_0001] {
            for a2 in [0x1200, 0x12ff, 0x1300] {
                for a3 in [7, 8] {
                    let args = [a0, a1, a2, a3, pattern, pattern];
                    report.check(k, p, &prog, getppid(), args, "getppid rules");
                }
            }
        }
    }
    for a0 in [
        0,
        2,
        3,
        0x7fff_ffff_ffff_ffff,
        0x8000_0000_0000_0000,
        u64::MAX,
    ] {
        let args = [a0, pattern, pattern, pattern, pattern, pattern];
        report.check(k, p, &prog, nr(libc::SYS_getuid), args, "getuid rules");
    }
    for a5 in [0, 1, 1 << 32] {
        let args = [pattern, pattern, pattern, pattern, pattern, a5];
        report.check(k, p, &prog, nr(libc::SYS_getgid), args, "getgid rule");
    }
    report.check(k, p, &prog, nr(libc::SYS_geteuid), [0; 6], "geteuid rule");
    for a4 in [0xdead_beef_0000_0000, 0xdead_beef, 0] {
        let args = [0, 0, 0, 0, a4, 0];
        report.check(k, p, &prog, nr(libc::SYS_getegid), args, "getegid rule");
    }
    report.finish();
}

/// The disassembly of a libseccomp filter names the arch and the syscalls of its checks.
#[test]
fn disassembly_of_a_libseccomp_filter_uses_names() {
    let mut ctx = ScmpFilterContext::new(ScmpAction::Allow).expect("libseccomp context");
    ctx.add_rule(ScmpAction::Errno(1), sys("mkdir"))
        .expect("rule");
    let prog = export(&mut ctx);
    let text = bpf::disasm::disasm(&prog);
    let arch = match Arch::native() {
        Arch::X86_64 => "ARCH_X86_64",
        Arch::Aarch64 => "ARCH_AARCH64",
        other => {
            // The expected listing is written for these two; a skip says so rather than pass.
            let _skipped = require(&format!("x86_64 or aarch64 (this is {other})"), false);
            return;
        }
    };
    assert!(text.contains(&format!("if (A != {arch})")), "{text}");
    assert!(
        text.contains("if (A == mkdir)") || text.contains("if (A != mkdir)"),
        "{text}"
    );
    assert!(text.contains("return ERRNO(1)"), "{text}");
    assert!(text.contains(": return ALLOW\n"), "{text}");
}

// ---- The emulator's program paths ------------------------------------------------------
//
// BENCHMARKS.md quotes the emulator's instruction counts (`Outcome::insns_executed`). The
// kernel does not report a count, but it does tell which return instruction a filter reached,
// when every return is made to say its own index: so for each input, the path the emulator
// reports (`run_traced`) is checked to be a walk of the program that follows its jumps, to end
// at the return instruction the kernel reached, and to be as long as the count the emulator
// reports; hand-made programs check that counts are exact.

/// Checks that `path` is a walk of `prog` from instruction 0 that follows each instruction's
/// successor (its jump targets, or the next instruction), and that it ends where `out` says:
/// at a return of `out.ret`, or at a division by zero (the kernel returns 0 there).
fn check_path(prog: &Program, path: &[usize], out: &bpf::Outcome, what: &str) {
    assert_eq!(
        out.insns_executed,
        path.len(),
        "{what}: the count differs from the path's length"
    );
    assert_eq!(path.first(), Some(&0), "{what}: the path starts at 0");
    let ops = prog.ops();
    for w in path.windows(2) {
        let (pc, next) = (w[0], w[1]);
        let ok = match ops[pc] {
            bpf::Op::Ja(k) => next == pc + 1 + usize::try_from(k).expect("small"),
            bpf::Op::Jump { jt, jf, .. } => {
                next == pc + 1 + usize::from(jt) || next == pc + 1 + usize::from(jf)
            }
            bpf::Op::Ret(_) => false,
            _ => next == pc + 1,
        };
        assert!(ok, "{what}: the path goes from {pc} to {next}: {path:?}");
    }
    let last = *path.last().expect("a path");
    match ops[last] {
        bpf::Op::Ret(bpf::RetVal::K(k)) => assert_eq!(k, out.ret, "{what}: return value"),
        bpf::Op::Ret(bpf::RetVal::A) => {}
        bpf::Op::Alu(bpf::AluOp::Div, _) => {
            assert_eq!(out.ret, 0, "{what}: a division by zero returns 0");
        }
        other => panic!("{what}: the path ends at {other:?}, not a return"),
    }
}

/// `prog` with each return from instruction `from` on replaced by `TRAP(index)`: the kernel's
/// SIGSYS then says which return instruction it reached. Control flow is unchanged.
fn tag_returns(prog: &Program, from: usize) -> Program {
    let insns = prog
        .insns()
        .iter()
        .enumerate()
        .map(|(i, insn)| {
            if i >= from && insn.code & 0x07 == BPF_RET {
                Insn::stmt(
                    BPF_RET | BPF_K,
                    bpf::SECCOMP_RET_TRAP | u32::try_from(i).expect("small"),
                )
            } else {
                *insn
            }
        })
        .collect();
    Program::new(insns).expect("tagging keeps a program valid")
}

/// For each of `inputs` to getppid, with `prog` guarded so the probe's own syscalls are
/// allowed: the emulator's path is a walk of the program ending at the return the kernel
/// reached (the guard's own return is left untagged, so the probe can report), and the
/// kernel's action is the emulator's.
/// Returns how many different return instructions the inputs reached.
fn paths_agree(
    k: &Kernel,
    report: &mut Report,
    prog: &Program,
    inputs: &[[u64; 6]],
    what: &str,
) -> usize {
    let nr = getppid();
    let mut ends = BTreeSet::new();
    let whole = guarded(nr, prog.insns());
    let tagged = tag_returns(&whole, 3);
    for &args in inputs {
        let data = bpf::SeccompData::new(Arch::native(), nr, args);
        let (out, path) = bpf::emulator::run_traced(&whole, &data);
        check_path(&whole, &path, &out, what);
        assert_eq!(
            bpf::emulator::run(&whole, &data),
            out,
            "{what}: run and run_traced"
        );
        // The accept/deny result of the path's return, in the kernel.
        report.check(k, ProbeMode::Process, &whole, nr, args, what);
        // And which return it was.
        let last = *path.last().expect("a path");
        ends.insert(last);
        let want = if matches!(whole.ops()[last], bpf::Op::Ret(_)) {
            KernelOutcome::Trap(i32::try_from(last).expect("small"))
        } else {
            // Division by zero: the filter returns 0, KILL_THREAD of the only thread.
            KernelOutcome::Killed
        };
        let got = k.probe.run(&tagged.to_bytes(), nr, args);
        report.probes += 1;
        if got != want {
            report.mismatches.push(format!(
                "{what}: args {args:x?}: the emulator's path {path:?} ends at {last}, the kernel \
                 gave {got:?}\n{}",
                bpf::disasm::disasm(&whole)
            ));
        }
    }
    ends.len()
}

#[test]
fn emulator_instruction_counts_are_exact_on_hand_made_programs() {
    let nr = getppid();
    let s = Insn::stmt;
    let j = Insn::jump;
    let ret_errno = s(BPF_RET | BPF_K, bpf::SECCOMP_RET_ERRNO | 1);
    let prog = |v: Vec<Insn>| Program::new(v).expect("valid");
    // (program, syscall, arg0, expected path)
    let cases: Vec<(&str, Program, u32, u64, Vec<usize>)> = vec![
        ("one return", prog(vec![RET_ALLOW]), nr, 0, vec![0]),
        (
            "match",
            prog(vec![
                s(BPF_LD | BPF_W | BPF_ABS, 0),
                j(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
                ret_errno,
                RET_ALLOW,
            ]),
            nr,
            0,
            vec![0, 1, 2],
        ),
        (
            "no match",
            prog(vec![
                s(BPF_LD | BPF_W | BPF_ABS, 0),
                j(BPF_JMP | BPF_JEQ | BPF_K, nr, 0, 1),
                ret_errno,
                RET_ALLOW,
            ]),
            nr + 1,
            0,
            vec![0, 1, 3],
        ),
        (
            "ja over three",
            prog(vec![
                s(BPF_LD | BPF_W | BPF_ABS, 0),
                s(BPF_JMP | BPF_JA, 3),
                ret_errno,
                ret_errno,
                ret_errno,
                RET_ALLOW,
            ]),
            nr,
            0,
            vec![0, 1, 5],
        ),
        (
            "straight line of ten loads",
            prog(
                std::iter::repeat_n(s(BPF_LD | BPF_IMM, 7), 10)
                    .chain([RET_ALLOW])
                    .collect(),
            ),
            nr,
            0,
            (0..=10).collect(),
        ),
        (
            "argument test taken",
            prog(vec![
                s(BPF_LD | BPF_W | BPF_ABS, 16),
                j(BPF_JMP | BPF_JGT | BPF_K, 5, 2, 0),
                s(BPF_LD | BPF_IMM, 1),
                RET_ALLOW,
                ret_errno,
            ]),
            nr,
            6,
            vec![0, 1, 4],
        ),
        (
            "argument test not taken",
            prog(vec![
                s(BPF_LD | BPF_W | BPF_ABS, 16),
                j(BPF_JMP | BPF_JGT | BPF_K, 5, 2, 0),
                s(BPF_LD | BPF_IMM, 1),
                RET_ALLOW,
                ret_errno,
            ]),
            nr,
            5,
            vec![0, 1, 2, 3],
        ),
        (
            "division by zero stops",
            prog(vec![
                s(BPF_LD | BPF_IMM, 5),
                s(BPF_LDX | BPF_IMM, 0),
                s(BPF_ALU | BPF_DIV | BPF_X, 0),
                RET_ALLOW,
            ]),
            nr,
            0,
            vec![0, 1, 2],
        ),
    ];
    for (what, p, nr, a0, want) in cases {
        let data = bpf::SeccompData::new(Arch::native(), nr, [a0, 0, 0, 0, 0, 0]);
        let (out, path) = bpf::emulator::run_traced(&p, &data);
        assert_eq!(path, want, "{what}");
        assert_eq!(out.insns_executed, want.len(), "{what}");
        assert_eq!(
            bpf::emulator::run(&p, &data),
            out,
            "{what}: run and run_traced"
        );
        check_path(&p, &path, &out, what);
    }
}

#[test]
fn emulator_paths_end_where_the_kernel_returns() {
    let Some(k) = kernel() else { return };
    let mut report = Report::new("emulator paths");
    let values = [
        0u64,
        1,
        5,
        6,
        0x1200,
        0x12ff,
        0xffff_ffff,
        0x1_0000_0000,
        0x8000_0000_0000_0000,
        u64::MAX,
    ];
    let mut rng = Rng(0x9a75_eed0_0000_0001);
    let mut inputs: Vec<[u64; 6]> = Vec::new();
    for (i, &v) in values.iter().enumerate() {
        let mut a = [0u64; 6];
        a[i % 6] = v;
        inputs.push(a);
        inputs.push([v; 6]);
    }
    // Each rule below matched on its own.
    inputs.extend([
        [5, 0x1_0000_0001, 0, 7, 7, 7],
        [5, u64::MAX, 0x12ff, 7, 0, 0],
        [0, 0, 0x1234, 7, 7, 7],
        [0, 0, 0, 6, 7, 7],
    ]);
    for _ in 0..8 {
        inputs.push(std::array::from_fn(|_| rng.pick(&values)));
    }

    // libseccomp's binary tree: several rules on getppid across arguments, and bulk.
    let mut ctx = ScmpFilterContext::new(ScmpAction::Allow).expect("libseccomp context");
    for (i, name) in ["mkdir", "rmdir", "chdir", "mount", "ptrace", "bpf"]
        .iter()
        .enumerate()
    {
        let errno = 20 + i32::try_from(i).expect("small");
        ctx.add_rule(ScmpAction::Errno(errno), sys(name))
            .expect("bulk rule");
    }
    add_getppid_rules(&mut ctx, 6);
    let libseccomp = export(&mut ctx);
    let ends = paths_agree(k, &mut report, &libseccomp, &inputs, "libseccomp rules");
    assert!(
        ends >= 4,
        "the inputs reached only {ends} returns of libseccomp's filter"
    );

    // rpod's own BPF for a policy.
    let policy = kafel_dsl::compile(
        kafel_dsl::source::SourceFile::new(
            "paths.kafel",
            None,
            "DEFAULT ALLOW\n\
             ERRNO(1) { getppid(a, b, c, d, e, f) { a == 5 && b > 0x100000000 } }\n\
             ERRNO(2) { getppid(a, b, c, d, e, f) { (c & 0xff00) == 0x1200 || f < 6 } }\n\
             KILL_PROCESS { mkdir, rmdir }\n"
                .to_string(),
        ),
        &kafel_dsl::Options {
            arches: vec![Arch::native()],
            ..kafel_dsl::Options::default()
        },
    )
    .unwrap_or_else(|e| panic!("paths.kafel:\n{}", e.render()));
    let ours = policy.to_bpf().expect("BPF");
    let ends = paths_agree(k, &mut report, &ours, &inputs, "rpod's BPF");
    assert!(
        ends >= 3,
        "the inputs reached only {ends} returns of rpod's filter"
    );

    // Random programs (with division by a register that may be zero).
    for i in 0..12 {
        let mut body = random_body(&mut rng);
        body.push(Insn::stmt(BPF_ALU | BPF_AND | BPF_K, 0xffff));
        body.push(Insn::jump(BPF_JMP | BPF_JGT | BPF_K, 0x7fff, 0, 1));
        body.push(Insn::stmt(BPF_RET | BPF_K, bpf::SECCOMP_RET_ERRNO | 3));
        body.push(Insn::stmt(BPF_ALU | BPF_OR | BPF_K, bpf::SECCOMP_RET_TRAP));
        body.push(Insn::stmt(BPF_RET | BPF_A, 0));
        let prog = Program::new(body).expect("valid");
        let _ = paths_agree(
            k,
            &mut report,
            &prog,
            &inputs[..6],
            &format!("random program {i}"),
        );
    }
    assert!(report.probes >= 250, "only {} probes", report.probes);
    report.finish();
}
