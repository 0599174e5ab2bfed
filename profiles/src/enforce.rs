//! The filter an OCI runtime installs for a profile: the runtime's own conversion of the OCI
//! `linux.seccomp` section to libseccomp, plus what it adds to libseccomp's program.
//!
//! A profile does not say everything a container is held to. Both runtimes rpod drives hand
//! the rules to libseccomp the way [`compile`] does (a rule equal to the default action is
//! skipped, a rule comparing one argument twice is split into one rule per condition, a name
//! the linked libseccomp does not know is skipped, `ERRNO`/`TRACE` without `errnoRet` use
//! EPERM), with libseccomp's default layout (no binary tree: neither runc 1.1.5 nor crun 1.8.1
//! sets `SCMP_FLTATR_CTL_OPTIMIZE`). They differ in what comes after:
//!
//! - **runc** (checked against 1.1.5, `libcontainer/seccomp/patchbpf/enosys_linux.go`)
//!   prepends an *ENOSYS stub* to libseccomp's program unless the default action is ALLOW,
//!   LOG or TRACE: per architecture of the profile's `architectures`, it takes the highest
//!   number libseccomp resolves for any name in any rule (whatever the rule's action or
//!   arguments, unknown names ignored) and returns `ERRNO(ENOSYS)` for every higher syscall
//!   number, so that a libc probing a syscall newer than the profile falls back instead of being
//!   denied. On x86_64 a syscall number with bit 30 set (x32) skips the x86_64 check and is
//!   compared with x32's highest number when the profile lists x32. On s390 and s390x
//!   `setup(2)` (number 0, through which the kernel leaves syscalls it does not know) always
//!   gets ENOSYS. Syscalls at or below the highest number, and every syscall of an architecture
//!   the profile does not list, go to libseccomp's program unchanged. runc walks a Go map to
//!   build the stub, so the order of its per-arch sections changes from run to run; the
//!   meaning does not (this model orders them as the profile lists the arches). runc also
//!   tests `defaultErrnoRet` against the *action value* `SCMP_ACT_ERRNO(ENOSYS)` to skip the
//!   stub, which no errno equals; the stub is built for `ERRNO(ENOSYS)` defaults too, where it
//!   changes nothing.
//! - **crun** (1.8.1, `src/libcrun/seccomp.c`) loads libseccomp's program as exported, adding
//!   nothing, but installs it with `SECCOMP_FILTER_FLAG_SPEC_ALLOW` when the profile gives no
//!   flags (the speculative-store-bypass mitigation is not forced on the container).
//!
//! [`enforce`] returns the program the runtime loads, and [`Note`]s (kind
//! [`NoteKind::EnosysStub`] for the stub) for what it changes, next to libseccomp's own.
//! [`Target::Compiled`] is the program without any runtime: libseccomp's filter as
//! [`compile::compile`] builds it.
//!
//! ```
//! use profiles::{bpf, enforce::{self, Target}, load, resolve::Context, syscalls, Arch};
//!
//! let json = r#"{"defaultAction": "SCMP_ACT_KILL_PROCESS",
//!                "syscalls": [{"names": ["read", "write", "close"], "action": "SCMP_ACT_ALLOW"}]}"#;
//! let profile = load::from_str(json)?.profile;
//! let mut cx = Context::default();
//! cx.host_arch = Arch::X86_64;
//! let r = profile.resolve(&cx);
//! let openat = syscalls::number(Arch::X86_64, "openat").unwrap(); // 257, above close (3)
//! let runc = enforce::enforce(&r, None, Target::Runc)?;
//! let crun = enforce::enforce(&r, None, Target::Crun)?;
//! assert_eq!(bpf::simulate(&runc.program, Arch::X86_64, openat, [0; 6]).action, bpf::Action::Errno(38));
//! assert_eq!(bpf::simulate(&crun.program, Arch::X86_64, openat, [0; 6]).action, bpf::Action::KillProcess);
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use std::fmt;
use std::str::FromStr;

use libseccomp::ScmpSyscall;
use serde::Serialize;

use crate::arch::Arch;
use crate::bpf::{self, code::*, Action, Insn};
use crate::compile::{self, CompileError, Compiled, Note, NoteKind};
use crate::model::Flag;
use crate::resolve::Resolved;

/// Whose filter: a runtime's, or libseccomp's program with no runtime around it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "kebab-case")]
pub enum Target {
    /// runc 1.1: libseccomp's program behind runc's ENOSYS stub.
    Runc,
    /// crun 1.8: libseccomp's program as exported.
    Crun,
    /// libseccomp's program alone (binary tree), as `compile::compile` builds it; no runtime
    /// loads exactly this. Called `none` on the command line and in JSON.
    #[serde(rename = "none")]
    Compiled,
}

impl Target {
    pub const ALL: [Target; 3] = [Target::Runc, Target::Crun, Target::Compiled];

    #[must_use]
    pub fn name(self) -> &'static str {
        match self {
            Target::Runc => "runc",
            Target::Crun => "crun",
            Target::Compiled => "none",
        }
    }

    /// One line for people: whose filter a result is about (runc: with its ENOSYS stub; see
    /// [`Target::describe_filter`] for a filter runc built without one).
    #[must_use]
    pub fn describe(self) -> &'static str {
        self.describe_filter(true)
    }

    /// [`Target::describe`] for a filter with or without runc's ENOSYS check.
    #[must_use]
    pub fn describe_filter(self, enosys_check: bool) -> &'static str {
        match self {
            Target::Runc if !enosys_check => {
                "as runc 1.1 installs it: libseccomp's filter, with no ENOSYS stub (the default action allows, or no syscall above number 0 is named)"
            }
            Target::Runc => "as runc 1.1 installs it: its ENOSYS stub, then libseccomp's filter",
            Target::Crun => "as crun 1.8 installs it: libseccomp's filter, nothing added",
            Target::Compiled => {
                "libseccomp's filter alone, without any runtime's additions (not what runc loads)"
            }
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not `runc`, `crun` or `none`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown runtime '{0}' (runc, crun or none)")]
pub struct UnknownTarget(pub String);

impl FromStr for Target {
    type Err = UnknownTarget;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Target::ALL
            .into_iter()
            .find(|t| t.name() == s)
            .ok_or_else(|| UnknownTarget(s.to_string()))
    }
}

/// The highest syscall number runc's stub lets through to libseccomp's program, per arch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct StubLimit {
    pub arch: Arch,
    /// The highest number libseccomp resolves for a name in the profile (x32: with bit 30).
    pub last: u32,
    /// The name with that number.
    pub syscall: String,
}

/// The program a runtime loads for a profile.
#[derive(Debug, Clone)]
pub struct Enforced {
    pub target: Target,
    pub program: bpf::Program,
    pub arches: Vec<Arch>,
    /// libseccomp's notes, then the runtime's ([`NoteKind::EnosysStub`], flags).
    pub notes: Vec<Note>,
    /// runc's ENOSYS limits; empty when no stub is built.
    pub stub: Vec<StubLimit>,
    /// Instructions before libseccomp's program (the stub's length).
    pub prefix_len: usize,
}

impl Enforced {
    /// One line for people: whose filter this is.
    #[must_use]
    pub fn describe(&self) -> &'static str {
        self.target.describe_filter(!self.stub.is_empty())
    }
}

/// Why the model cannot say what the runtime loads.
#[derive(Debug, thiserror::Error)]
pub enum EnforceError {
    #[error(transparent)]
    Compile(#[from] CompileError),
    /// runc refuses the profile before it loads anything.
    #[error("{runtime} refuses the profile: {reason}")]
    Refused { runtime: Target, reason: String },
    #[error("{runtime}'s filter would not load")]
    Invalid {
        runtime: Target,
        #[source]
        source: bpf::ProgramError,
    },
}

/// ENOSYS as runc's build host spells it (`SCMP_ACT_ERRNO(ENOSYS)` is a C constant in runc):
/// 38 on every arch rpod runs on except MIPS (89) and PA-RISC (251).
fn enosys(host: Arch) -> u16 {
    match host {
        Arch::Mips | Arch::Mipsel | Arch::Mips64 | Arch::Mipsel64 | Arch::Mips64n32 => 89,
        Arch::Mipsel64n32 => 89,
        Arch::Parisc | Arch::Parisc64 => 251,
        _ => 38,
    }
}

/// The program `target` loads for `r` (its arches, or `arches` when given, as the profile's
/// `architectures` the runtime receives).
///
/// # Errors
/// When libseccomp refuses the profile, or the runtime would.
pub fn enforce(
    r: &Resolved,
    arches: Option<&[Arch]>,
    target: Target,
) -> Result<Enforced, EnforceError> {
    if target == Target::Compiled {
        let c = compile::compile(r, arches)?;
        return Ok(Enforced {
            target,
            program: c.program,
            arches: c.arches,
            notes: c.notes,
            stub: Vec::new(),
            prefix_len: 0,
        });
    }
    if target == Target::Runc && r.default_action == Action::UserNotif {
        // libcontainer/seccomp: "SCMP_ACT_NOTIFY cannot be used as default action".
        return Err(EnforceError::Refused {
            runtime: target,
            reason: "SCMP_ACT_NOTIFY cannot be the default action".into(),
        });
    }
    if target == Target::Runc {
        if let Some(f) = r
            .flags
            .iter()
            .find(|f| matches!(f, Flag::WaitKillableRecv | Flag::TsyncEsrch))
        {
            // runc 1.1's setFlag knows TSYNC, LOG and SPEC_ALLOW only.
            return Err(EnforceError::Refused {
                runtime: target,
                reason: format!("runc 1.1 does not support the flag {}", f.name()),
            });
        }
    }
    // Neither runtime sets SCMP_FLTATR_CTL_OPTIMIZE: libseccomp's linear layout.
    let c: Compiled = compile::compile_with(
        r,
        arches,
        compile::Options {
            binary_tree: false,
            verify: true,
        },
    )?;
    let mut notes = c.notes;
    let (program, stub, prefix_len) = match target {
        Target::Runc if !skips_stub(r.default_action) => {
            let host = c.arches.first().copied().unwrap_or_else(Arch::native);
            let limits = last_syscalls(r, &c.arches);
            let errno = enosys(host);
            let prefix = stub_program(&c.arches, &limits, errno);
            // With an ENOSYS default the stub answers what the filter would have answered.
            if r.default_action != Action::Errno(errno) {
                for l in &limits {
                    notes.push(stub_note(l, r.default_action, errno));
                }
            }
            if c.arches
                .iter()
                .any(|a| matches!(a, Arch::S390 | Arch::S390x))
                && r.default_action != Action::Errno(errno)
            {
                notes.push(Note {
                    kind: NoteKind::EnosysStub,
                    rule: None,
                    syscall: Some("setup".into()),
                    message: format!(
                        "runc returns ERRNO({errno} ENOSYS) for syscall 0 (setup) on s390 and s390x, whatever the profile says"
                    ),
                });
            }
            let len = prefix.len();
            let mut insns = prefix;
            insns.extend_from_slice(c.program.insns());
            let program = bpf::Program::new(insns).map_err(|source| EnforceError::Invalid {
                runtime: target,
                source,
            })?;
            (program, limits, len)
        }
        _ => (c.program, Vec::new(), 0),
    };
    if target == Target::Crun && r.flags.is_empty() {
        notes.push(Note {
            kind: NoteKind::FlagNotInBpf,
            rule: None,
            syscall: None,
            message: "crun installs the filter with SECCOMP_FILTER_FLAG_SPEC_ALLOW when the profile gives no flags (the speculative store bypass mitigation is not forced on)".into(),
        });
    }
    notes.sort();
    notes.dedup();
    Ok(Enforced {
        target,
        program,
        arches: c.arches,
        notes,
        stub,
        prefix_len,
    })
}

/// runc's `isAllowAction`: TRACE counts as allowing, "because a good tracer should support
/// future syscalls".
fn skips_stub(default: Action) -> bool {
    matches!(default, Action::Allow | Action::Log | Action::Trace(_))
}

fn stub_note(l: &StubLimit, default: Action, errno: u16) -> Note {
    let what = format!(
        "not the default action {}",
        crate::analysis::action_label(default)
    );
    let above = if l.arch == Arch::X32 {
        format!("{:#x}", l.last)
    } else {
        l.last.to_string()
    };
    Note {
        kind: NoteKind::EnosysStub,
        rule: None,
        syscall: Some(l.syscall.clone()),
        message: format!(
            "on {}: runc returns ERRNO({errno} ENOSYS) for every syscall number above {above} ({}, the highest the profile names), {what}",
            l.arch, l.syscall
        ),
    }
}

const X32_BIT: u32 = 0x4000_0000;

/// runc's `findLastSyscalls`: per arch, the highest number libseccomp resolves for any name
/// of any rule (`GetSyscallFromNameByArch`; negative pseudo numbers and unknown names do not
/// count); an arch with none gets no check.
fn last_syscalls(r: &Resolved, arches: &[Arch]) -> Vec<StubLimit> {
    let mut out: Vec<StubLimit> = Vec::new();
    for &arch in arches {
        if out.iter().any(|l| l.arch == arch) {
            continue;
        }
        let mut best: Option<(i32, &str)> = None;
        for rule in &r.rules {
            for name in &rule.names {
                let Ok(sys) = ScmpSyscall::from_name_by_arch(name, compile::scmp_arch(arch)) else {
                    continue;
                };
                let n = i32::from(sys);
                if n > best.map_or(0, |b| b.0) {
                    best = Some((n, name.as_str()));
                }
            }
        }
        if let Some((n, name)) = best {
            out.push(StubLimit {
                arch,
                last: n.cast_unsigned(),
                syscall: name.to_string(),
            });
        }
    }
    out
}

fn ld(off: u32) -> Insn {
    Insn::stmt(BPF_LD | BPF_W | BPF_ABS, off)
}

fn ja(k: u32) -> Insn {
    Insn::stmt(BPF_JMP | BPF_JA, k)
}

fn ret(k: u32) -> Insn {
    Insn::stmt(BPF_RET | BPF_K, k)
}

fn jmp(op: u16, k: u32, jt: usize, jf: usize) -> Insn {
    // The short forms are only used when the offsets fit, as in runc.
    let t = u8::try_from(jt).expect("short jump");
    let f = u8::try_from(jf).expect("short jump");
    Insn::jump(BPF_JMP | op | BPF_K, k, t, f)
}

fn len32(v: &[Insn]) -> u32 {
    u32::try_from(v.len()).expect("a stub is a few dozen instructions")
}

/// runc's `generateEnosysStub`, instruction for instruction (golang.org/x/net/bpf assembles
/// `JumpNotEqual`, `JumpLessOrEqual` and `JumpBitsNotSet` as `jeq`, `jgt` and `jset` with the
/// targets swapped). Built back to front, as runc does: jumps count from the end.
fn stub_program(arches: &[Arch], limits: &[StubLimit], errno: u16) -> Vec<Insn> {
    let ret_enosys = ret(bpf::SECCOMP_RET_ERRNO | u32::from(errno));
    let mut tail: Vec<Insn> = vec![ja(1), ret_enosys];
    // (audit arch, distance of its section from the end)
    let mut table: Vec<(u32, usize)> = Vec::new();
    // Every arch of the profile has an entry in runc's map, even one without syscalls (its
    // check then jumps straight to libseccomp's program).
    let mut natives: Vec<u32> = Vec::new();
    for a in arches {
        let native = a.audit_arch();
        if !natives.contains(&native) {
            natives.push(native);
        }
    }
    for &native in &natives {
        let mine: Vec<&StubLimit> = limits
            .iter()
            .filter(|l| l.arch.audit_arch() == native)
            .collect();
        let base_enosys = tail.len() - 1;
        let base_filter = len32(&tail);
        let mut section = vec![ld(0)];
        match mine.as_slice() {
            [one] => {
                if matches!(one.arch, Arch::S390 | Arch::S390x) {
                    // jne [setup=0],1 ; ret ENOSYS
                    section.push(jmp(BPF_JEQ, 0, 0, 1));
                    section.push(ret_enosys);
                }
                let mut sect_tail = if base_enosys < 255 {
                    vec![jmp(BPF_JGT, one.last, base_enosys + 1, 0), ja(base_filter)]
                } else {
                    vec![
                        // jle [syscall],1 = jgt with the targets swapped
                        jmp(BPF_JGT, one.last, 0, 1),
                        ret_enosys,
                        ja(base_filter),
                    ]
                };
                if native == Arch::X86_64.audit_arch() {
                    let skip = sect_tail.len() - 1;
                    let check = if one.arch == Arch::X32 {
                        jmp(BPF_JSET, X32_BIT, 0, skip)
                    } else {
                        jmp(BPF_JSET, X32_BIT, skip, 0)
                    };
                    sect_tail.insert(0, check);
                }
                section.extend(sect_tail);
            }
            [_, _] => {
                let x86 = mine.iter().find(|l| l.arch == Arch::X86_64).map(|l| l.last);
                let x32 = mine.iter().find(|l| l.arch == Arch::X32).map(|l| l.last);
                let (Some(x86), Some(x32)) = (x86, x32) else {
                    continue;
                };
                if base_enosys < 254 {
                    section.extend([
                        jmp(BPF_JSET, X32_BIT, 1, 0),
                        jmp(BPF_JGT, x86, base_enosys + 2, 1),
                        jmp(BPF_JGT, x32, base_enosys + 1, 0),
                        ja(base_filter),
                    ]);
                } else {
                    section.extend([
                        jmp(BPF_JSET, X32_BIT, 1, 0),
                        jmp(BPF_JGT, x86, 1, 2),
                        jmp(BPF_JGT, x32, 0, 1),
                        ret_enosys,
                        ja(base_filter),
                    ]);
                }
            }
            _ => continue,
        }
        section.extend(tail);
        tail = section;
        table.push((native, tail.len()));
    }
    tail.insert(0, ja(len32(&tail)));
    for &native in &natives {
        let at = table
            .iter()
            .find(|(n, _)| *n == native)
            .map_or(0, |(_, d)| *d);
        let jump = tail.len() - at;
        if jump <= 255 {
            tail.insert(0, jmp(BPF_JEQ, native, jump, 0));
        } else {
            let k = u32::try_from(jump).expect("a stub is a few dozen instructions");
            tail.splice(0..0, [jmp(BPF_JEQ, native, 0, 1), ja(k)]);
        }
    }
    tail.insert(0, ld(4));
    tail
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::load;
    use crate::resolve::Context;
    use crate::syscalls;

    fn resolved(json: &str, arches: &[Arch]) -> Resolved {
        let p = load::from_str(json).unwrap().profile;
        let cx = Context {
            host_arch: arches[0],
            ..Context::default()
        };
        let mut r = p.resolve(&cx);
        r.arches = arches.to_vec();
        r
    }

    fn act(e: &Enforced, arch: Arch, nr: u32) -> Action {
        bpf::simulate(&e.program, arch, nr, [0; 6]).action
    }

    fn nr(arch: Arch, name: &str) -> u32 {
        syscalls::number(arch, name).unwrap()
    }

    /// The issue's example: `ALLOW { read, write, close } DEFAULT KILL_PROCESS`.
    const ISSUE_11: &str = r#"{"defaultAction": "SCMP_ACT_KILL_PROCESS",
        "syscalls": [{"names": ["read", "write", "close"], "action": "SCMP_ACT_ALLOW"}]}"#;

    #[test]
    fn runc_answers_enosys_above_the_highest_listed_syscall_issue_11() {
        let r = resolved(ISSUE_11, &[Arch::X86_64]);
        let runc = enforce(&r, None, Target::Runc).unwrap();
        let x = Arch::X86_64;
        assert_eq!(act(&runc, x, nr(x, "openat")), Action::Errno(38));
        assert_eq!(act(&runc, x, nr(x, "fstat")), Action::Errno(38));
        assert_eq!(act(&runc, x, 4), Action::Errno(38));
        assert_eq!(act(&runc, x, u32::from(u16::MAX)), Action::Errno(38));
        // At or below close (3): the profile's own answer.
        assert_eq!(act(&runc, x, nr(x, "read")), Action::Allow);
        assert_eq!(act(&runc, x, nr(x, "close")), Action::Allow);
        assert_eq!(act(&runc, x, nr(x, "open")), Action::KillProcess);
        assert_eq!(
            runc.stub,
            [StubLimit {
                arch: x,
                last: 3,
                syscall: "close".into()
            }]
        );
        let stub: Vec<&Note> = runc
            .notes
            .iter()
            .filter(|n| n.kind == NoteKind::EnosysStub)
            .collect();
        assert_eq!(stub.len(), 1, "{:?}", runc.notes);
        assert_eq!(
            stub[0].message,
            "on x86_64: runc returns ERRNO(38 ENOSYS) for every syscall number above 3 (close, the highest the profile names), not the default action KILL_PROCESS"
        );
    }

    #[test]
    fn crun_and_libseccomp_alone_have_no_stub() {
        let r = resolved(ISSUE_11, &[Arch::X86_64]);
        let x = Arch::X86_64;
        for t in [Target::Crun, Target::Compiled] {
            let e = enforce(&r, None, t).unwrap();
            assert_eq!(act(&e, x, nr(x, "openat")), Action::KillProcess, "{t}");
            assert_eq!(act(&e, x, nr(x, "read")), Action::Allow, "{t}");
            assert!(e.stub.is_empty() && e.prefix_len == 0, "{t}");
            assert!(!e.notes.iter().any(|n| n.kind == NoteKind::EnosysStub));
        }
        let crun = enforce(&r, None, Target::Crun).unwrap();
        assert!(crun
            .notes
            .iter()
            .any(|n| n.message.contains("SECCOMP_FILTER_FLAG_SPEC_ALLOW")));
    }

    #[test]
    fn the_stub_is_runcs_instruction_for_instruction() {
        let r = resolved(ISSUE_11, &[Arch::X86_64]);
        let runc = enforce(&r, None, Target::Runc).unwrap();
        let crun = enforce(&r, None, Target::Crun).unwrap();
        let x86_64 = Arch::X86_64.audit_arch();
        let expected = [
            ld(4),
            jmp(BPF_JEQ, x86_64, 1, 0),
            ja(6),
            ld(0),
            jmp(BPF_JSET, X32_BIT, 1, 0),
            jmp(BPF_JGT, 3, 2, 0),
            ja(2),
            ja(1),
            ret(bpf::SECCOMP_RET_ERRNO | 38),
        ];
        assert_eq!(runc.prefix_len, expected.len());
        assert_eq!(&runc.program.insns()[..expected.len()], expected);
        // Then libseccomp's program as crun loads it.
        assert_eq!(
            &runc.program.insns()[expected.len()..],
            crun.program.insns()
        );
    }

    #[test]
    fn permissive_defaults_get_no_stub() {
        for default in ["SCMP_ACT_ALLOW", "SCMP_ACT_LOG", "SCMP_ACT_TRACE"] {
            let json = format!(
                r#"{{"defaultAction": "{default}",
                    "syscalls": [{{"names": ["mkdir"], "action": "SCMP_ACT_ERRNO"}}]}}"#
            );
            let r = resolved(&json, &[Arch::X86_64]);
            let runc = enforce(&r, None, Target::Runc).unwrap();
            assert!(runc.stub.is_empty(), "{default}");
            let x = Arch::X86_64;
            assert_ne!(
                act(&runc, x, nr(x, "openat")),
                Action::Errno(38),
                "{default}"
            );
        }
    }

    #[test]
    fn errno_and_kill_defaults_get_the_stub() {
        for (default, expected) in [
            ("SCMP_ACT_ERRNO", Action::Errno(1)),
            ("SCMP_ACT_KILL", Action::KillThread),
            ("SCMP_ACT_KILL_THREAD", Action::KillThread),
            ("SCMP_ACT_TRAP", Action::Trap(0)),
        ] {
            let json = format!(
                r#"{{"defaultAction": "{default}",
                    "syscalls": [{{"names": ["getpid"], "action": "SCMP_ACT_ALLOW"}}]}}"#
            );
            let r = resolved(&json, &[Arch::X86_64]);
            let runc = enforce(&r, None, Target::Runc).unwrap();
            let x = Arch::X86_64;
            let getpid = nr(x, "getpid");
            assert_eq!(act(&runc, x, getpid + 1), Action::Errno(38), "{default}");
            assert_eq!(act(&runc, x, getpid - 1), expected, "{default}");
            assert_eq!(act(&runc, x, getpid), Action::Allow, "{default}");
        }
    }

    #[test]
    fn an_enosys_default_gets_the_stub_but_no_note() {
        let json = r#"{"defaultAction": "SCMP_ACT_ERRNO", "defaultErrnoRet": 38,
            "syscalls": [{"names": ["write"], "action": "SCMP_ACT_ALLOW"}]}"#;
        let r = resolved(json, &[Arch::X86_64]);
        let runc = enforce(&r, None, Target::Runc).unwrap();
        assert_eq!(runc.stub.len(), 1);
        assert!(!runc.notes.iter().any(|n| n.kind == NoteKind::EnosysStub));
    }

    #[test]
    fn every_rule_counts_for_the_limit_even_one_equal_to_the_default() {
        // runc reads config.Syscalls before it drops rules equal to the default, and ignores
        // names libseccomp does not know (statmount, 457, is newer than libseccomp 2.5.4).
        let json = r#"{"defaultAction": "SCMP_ACT_ERRNO",
            "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"},
                         {"names": ["openat2", "statmount"], "action": "SCMP_ACT_ERRNO"},
                         {"names": ["ioctl"], "action": "SCMP_ACT_ALLOW",
                          "args": [{"index": 1, "value": 1, "op": "SCMP_CMP_EQ"}]}]}"#;
        let r = resolved(json, &[Arch::X86_64]);
        let runc = enforce(&r, None, Target::Runc).unwrap();
        let x = Arch::X86_64;
        assert_eq!(runc.stub[0].last, nr(x, "openat2"));
        assert_eq!(act(&runc, x, nr(x, "openat2")), Action::Errno(1));
        assert_eq!(act(&runc, x, nr(x, "openat2") + 1), Action::Errno(38));
    }

    #[test]
    fn x32_numbers_are_checked_against_x32s_own_limit() {
        let json = r#"{"defaultAction": "SCMP_ACT_KILL_PROCESS",
            "architectures": ["SCMP_ARCH_X86_64", "SCMP_ARCH_X32", "SCMP_ARCH_X86"],
            "syscalls": [{"names": ["read", "write", "close", "getpid"], "action": "SCMP_ACT_ALLOW"}]}"#;
        let arches = [Arch::X86_64, Arch::X32, Arch::X86];
        let r = resolved(json, &arches);
        let runc = enforce(&r, None, Target::Runc).unwrap();
        let limits: Vec<(Arch, u32)> = runc.stub.iter().map(|l| (l.arch, l.last)).collect();
        let getpid = |a| nr(a, "getpid");
        assert_eq!(
            limits,
            [
                (Arch::X86_64, getpid(Arch::X86_64)),
                (Arch::X32, getpid(Arch::X32)),
                (Arch::X86, getpid(Arch::X86)),
            ]
        );
        for a in arches {
            assert_eq!(act(&runc, a, getpid(a)), Action::Allow, "{a}");
            assert_eq!(act(&runc, a, getpid(a) + 1), Action::Errno(38), "{a}");
            assert_eq!(act(&runc, a, getpid(a) - 1), Action::KillProcess, "{a}");
        }
        // x86_64 numbers with bit 30 set are x32's: below x32's limit, the filter decides.
        assert_eq!(act(&runc, Arch::X86_64, X32_BIT | 1), Action::Allow);
        // The same profile without x32: bit-30 numbers skip the check and meet libseccomp's
        // bad-arch test.
        let r = resolved(json, &[Arch::X86_64]);
        let runc = enforce(&r, Some(&[Arch::X86_64]), Target::Runc).unwrap();
        let crun = enforce(&r, Some(&[Arch::X86_64]), Target::Crun).unwrap();
        assert_eq!(
            act(&runc, Arch::X86_64, X32_BIT | 1),
            act(&crun, Arch::X86_64, X32_BIT | 1)
        );
        assert_eq!(act(&runc, Arch::X86_64, X32_BIT | 1), Action::KillThread);
        // An arch outside the profile is not checked by the stub either.
        assert_eq!(
            act(&runc, Arch::Aarch64, 500),
            act(&crun, Arch::Aarch64, 500)
        );
    }

    #[test]
    fn a_profile_naming_only_syscall_0_gets_no_check() {
        // runc starts its search for the largest number at 0 and skips an arch whose largest is
        // 0: on x86_64 `read` alone leaves every other syscall to the default action.
        let json = r#"{"defaultAction": "SCMP_ACT_KILL_PROCESS",
            "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}"#;
        let r = resolved(json, &[Arch::X86_64]);
        let runc = enforce(&r, None, Target::Runc).unwrap();
        assert!(runc.stub.is_empty());
        assert_eq!(act(&runc, Arch::X86_64, 1), Action::KillProcess);
    }

    #[test]
    fn s390x_setup_always_gets_enosys() {
        // libseccomp cannot mix s390x into a filter on this host; the stub alone, in front of
        // a program that kills.
        let limits = [StubLimit {
            arch: Arch::S390x,
            last: 3,
            syscall: "read".into(),
        }];
        let mut insns = stub_program(&[Arch::S390x], &limits, 38);
        insns.push(ret(bpf::SECCOMP_RET_KILL_PROCESS));
        let p = bpf::Program::new(insns).unwrap();
        let on = |nr| bpf::simulate(&p, Arch::S390x, nr, [0; 6]).action;
        assert_eq!(on(0), Action::Errno(38));
        assert_eq!(on(1), Action::KillProcess);
        assert_eq!(on(4), Action::Errno(38));
        assert_eq!(
            bpf::simulate(&p, Arch::X86_64, 0, [0; 6]).action,
            Action::KillProcess
        );
    }

    #[test]
    fn runc_refuses_a_notify_default() {
        let json = r#"{"defaultAction": "SCMP_ACT_NOTIFY", "listenerPath": "/run/x.sock",
            "syscalls": [{"names": ["read"], "action": "SCMP_ACT_ALLOW"}]}"#;
        let r = resolved(json, &[Arch::X86_64]);
        assert!(matches!(
            enforce(&r, None, Target::Runc),
            Err(EnforceError::Refused { .. })
        ));
    }

    #[test]
    fn targets_by_name() {
        for t in Target::ALL {
            assert_eq!(t.name().parse::<Target>().unwrap(), t);
        }
        assert!("youki".parse::<Target>().is_err());
    }
}
