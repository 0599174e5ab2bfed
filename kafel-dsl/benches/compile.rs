//! Compile time of a 300-syscall Kafel-like policy with argument rules, and instructions
//! executed per syscall by the filters built from it.
//!
//! The policy is generated here, deterministically, from the `x86_64` table: 60 syscalls with
//! argument rules of the kind real policies carry (socket families, tty ioctls, no `PROT_EXEC`,
//! no namespace flags, no setuid bits), some behind earlier `ERRNO` rules that overlap them so
//! first-match order matters, 10 syscalls denied outright, the rest plainly allowed, and
//! `DEFAULT ERRNO(38)`.
//!
//! The peer, measured in the same run, is the route every OCI runtime takes: the policy's OCI
//! JSON compiled by libseccomp. It is timed twice: through `profiles` (load, resolve, overlap
//! analysis, libseccomp, then rpod's emulator check of the result) and as raw libseccomp fed rules
//! already resolved to numbers, split the way runc splits them (the floor for runc and crun).
//! Instructions come from the emulator for every syscall of the `x86_64` table with zero
//! arguments, rpod's own BPF against libseccomp's binary tree. The two programs must agree on
//! every probed call: a disagreement fails the benchmark (exit status 1), also under
//! `cargo test --all-targets`.
//!
//! Run with `cargo bench -p kafel-dsl --bench compile` (or `make bench`).

use std::collections::BTreeSet;
use std::fmt::Write as _;
use std::hint::black_box;
use std::io::{Read, Seek};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use kafel_dsl::{compile_str, Options};
use libseccomp::{
    ScmpAction, ScmpArch, ScmpArgCompare, ScmpCompareOp, ScmpFilterContext, ScmpSyscall,
};
use profiles::bpf::{self, Action};
use profiles::model::Op;
use profiles::resolve::{Context, Resolved};
use profiles::{compile, load, syscalls, Arch};

const MAX_RUNS: usize = 200;
const MIN_RUNS: usize = 21;
/// About how long the timing takes in all (every step, interleaved).
const BUDGET: Duration = Duration::from_secs(40);
const POLICY_SIZE: usize = 300;

/// Rules that come before the allow list: for one syscall the first matching rule wins, so
/// these carve their region out of the `ALLOW` rules for the same syscall below.
const DENY_FIRST: &[(&str, &str)] = &[
    // No IPv6: EAFNOSUPPORT, although the ALLOW rule below lists AF_INET6.
    (
        "ERRNO(97)",
        "socket(domain, type, protocol) { domain == 10 }",
    ),
    // TIOCSTI and TIOCLINUX, inside the 0x54xx range allowed below.
    (
        "ERRNO(1)",
        "ioctl(fd, req, arg) { req == 0x5412 || req == 0x541c }",
    ),
    // O_CREAT, overlapping "not O_ACCMODE == 3" below.
    (
        "ERRNO(13)",
        "openat(dirfd, path, flags, mode) { (flags & 0x40) != 0 }",
    ),
    (
        "ERRNO(13)",
        "open(path, flags, mode) { (flags & 0x40) != 0 }",
    ),
    // CLONE_NEWUSER gets EPERM rather than ENOSYS.
    (
        "ERRNO(1)",
        "clone(flags, stack, ptid, ctid, tls) { (flags & 0x10000000) != 0 }",
    ),
    // PR_SET_SECCOMP, listed again in the ALLOW rule.
    ("ERRNO(1)", "prctl(option, a2, a3, a4, a5) { option == 22 }"),
    // F_SETFL, inside cmd < 5.
    ("ERRNO(1)", "fcntl(fd, cmd, arg) { cmd == 4 }"),
    // SIGKILL to anyone, inside the allowed signals.
    ("ERRNO(1)", "kill(pid, sig) { sig == 9 }"),
];

/// One argument each (libseccomp 2.5.4 is known to hang on some rule sets that test several
/// arguments of one syscall); several comparisons of that argument are fine.
const ALLOW_IF: &[&str] = &[
    "socket(domain, type, protocol) { domain == 1 || domain == 2 || domain == 10 }",
    "ioctl(fd, req, arg) { req == 0x5401 || (req & 0xff00) == 0x5400 }",
    "mmap(addr, len, prot, flags, fd, off) { (prot & 4) == 0 }",
    "mprotect(addr, len, prot) { (prot & 4) == 0 }",
    "prctl(option, a2, a3, a4, a5) { option == 38 || option == 15 || option == 22 || option == 16 }",
    "clone(flags, stack, ptid, ctid, tls) { (flags & 0x7e020000) == 0 }",
    "unshare(flags) { (flags & 0x7e020000) == 0 }",
    "fcntl(fd, cmd, arg) { cmd < 5 }",
    "openat(dirfd, path, flags, mode) { (flags & 0x3) != 3 }",
    "open(path, flags, mode) { (flags & 0x3) != 3 }",
    "personality(persona) { persona == 0 || persona == 8 || persona == 0x20000 || persona == 0x20008 || persona == 0xffffffff }",
    "socketpair(domain, type, protocol, sv) { domain == 1 }",
    "setsockopt(fd, level, optname, optval, optlen) { level == 1 || level == 6 || level == 41 }",
    "getsockopt(fd, level, optname, optval, optlen) { level == 1 || level == 6 || level == 41 }",
    "kill(pid, sig) { sig == 0 || sig == 9 || sig == 15 }",
    "tgkill(tgid, tid, sig) { sig == 0 || sig == 6 || sig == 9 || sig == 15 }",
    "tkill(tid, sig) { sig == 6 }",
    "madvise(addr, len, advice) { advice == 4 || advice == 8 || advice == 14 }",
    "futex(uaddr, op, val, ts, uaddr2, val3) { (op & 0x7f) == 0 || (op & 0x7f) == 1 || (op & 0x7f) == 9 || (op & 0x7f) == 10 }",
    "lseek(fd, offset, whence) { whence <= 2 }",
    "arch_prctl(code, addr) { code == 0x1001 || code == 0x1002 || code == 0x1003 || code == 0x1004 }",
    "dup3(oldfd, newfd, flags) { flags == 0 || flags == 0x80000 }",
    "pipe2(fds, flags) { (flags & 0xfff7f7ff) == 0 }",
    "eventfd2(initval, flags) { (flags & 0xfff7f7fe) == 0 }",
    "epoll_create1(flags) { flags == 0 || flags == 0x80000 }",
    "epoll_ctl(epfd, op, fd, event) { op >= 1 && op <= 3 }",
    "accept4(fd, addr, addrlen, flags) { (flags & 0xfff7f7ff) == 0 }",
    "inotify_init1(flags) { (flags & 0xfff7f7ff) == 0 }",
    "timerfd_create(clockid, flags) { clockid == 0 || clockid == 1 || clockid == 7 }",
    "timer_create(clockid, sevp, timerid) { clockid == 0 || clockid == 1 }",
    "clock_gettime(clockid, tp) { clockid < 12 }",
    "clock_nanosleep(clockid, flags, req, rem) { clockid == 0 || clockid == 1 }",
    "getrandom(buf, len, flags) { (flags & 0xfffffff8) == 0 }",
    "memfd_create(name, flags) { (flags & 0xfffffff8) == 0 }",
    "sched_setscheduler(pid, policy, param) { policy == 0 || policy == 3 || policy == 5 }",
    "setpriority(which, who, prio) { which == 0 }",
    "getpriority(which, who) { which <= 2 }",
    "ioprio_set(which, who, ioprio) { which == 1 }",
    "rt_sigprocmask(how, set, oldset, size) { how <= 2 }",
    "rt_sigaction(sig, act, oldact, size) { sig <= 64 }",
    "shutdown(fd, how) { how <= 2 }",
    "flock(fd, op) { (op & 0xfffffff0) == 0 }",
    "mremap(old, oldlen, newlen, flags, new) { flags < 4 }",
    "msync(addr, len, flags) { flags == 1 || flags == 4 }",
    "membarrier(cmd, flags, cpu) { cmd == 0 || cmd == 8 || cmd == 16 }",
    "waitid(idtype, id, info, options, ru) { idtype <= 3 }",
    "fadvise64(fd, offset, len, advice) { advice <= 5 }",
    "fallocate(fd, mode, offset, len) { mode == 0 || mode == 1 || mode == 3 }",
    "sendto(fd, buf, len, flags, addr, addrlen) { addr == 0 }",
    "recvfrom(fd, buf, len, flags, addr, addrlen) { (flags & 1) == 0 }",
    "splice(fdin, offin, fdout, offout, len, flags) { (flags & 0xfffffff0) == 0 }",
    "setitimer(which, new, old) { which == 0 }",
    "umask(mask) { (mask & 0x12) == 0x12 }",
    // No setuid or setgid bits.
    "chmod(path, mode) { (mode & 0xc00) == 0 }",
    "fchmod(fd, mode) { (mode & 0xc00) == 0 }",
    "fchmodat(dirfd, path, mode) { (mode & 0xc00) == 0 }",
    "mkdir(path, mode) { (mode & 0xc00) == 0 }",
    "mkdirat(dirfd, path, mode) { (mode & 0xc00) == 0 }",
    // Read-only prlimit: no new limit.
    "prlimit64(pid, resource, new, old) { new == 0 }",
    "sched_setaffinity(pid, len, mask) { pid == 0 }",
];

/// Denied with EPERM whatever the arguments.
const DENIED: &[&str] = &[
    "mount",
    "umount2",
    "pivot_root",
    "ptrace",
    "reboot",
    "swapon",
    "swapoff",
    "kexec_load",
    "init_module",
    "delete_module",
];

fn rule_name(rule: &str) -> &str {
    &rule[..rule.find('(').expect("a rule starts with name(")]
}

/// The policy text and the syscalls it names, sorted by number.
fn generate() -> (String, Vec<u32>) {
    let table = syscalls::table(Arch::X86_64);
    let nr = |name: &str| {
        table
            .iter()
            .find(|e| e.name == name && e.libseccomp)
            .unwrap_or_else(|| panic!("{name} is an x86_64 syscall known to libseccomp"))
            .nr
    };
    let mut named: BTreeSet<&str> = BTreeSet::new();
    named.extend(ALLOW_IF.iter().map(|r| rule_name(r)));
    named.extend(DENY_FIRST.iter().map(|(_, r)| rule_name(r)));
    named.extend(DENIED);
    for n in &named {
        nr(n);
    }
    let mut plain = Vec::new();
    for e in table {
        if named.len() + plain.len() == POLICY_SIZE {
            break;
        }
        if e.libseccomp && !named.contains(e.name) {
            plain.push(e.name);
        }
    }
    assert_eq!(
        named.len() + plain.len(),
        POLICY_SIZE,
        "the x86_64 table has {POLICY_SIZE} syscalls known to libseccomp"
    );

    let mut text = String::from("// Generated by kafel-dsl/benches/compile.rs\n");
    for (action, rule) in DENY_FIRST {
        writeln!(text, "{action} {{ {rule} }}").unwrap();
    }
    writeln!(text, "ERRNO(1) {{ {} }}", DENIED.join(", ")).unwrap();
    text.push_str("ALLOW {\n");
    for rule in ALLOW_IF {
        writeln!(text, "  {rule},").unwrap();
    }
    for chunk in plain.chunks(8) {
        writeln!(text, "  {},", chunk.join(", ")).unwrap();
    }
    // The last item must not end with a comma.
    text.truncate(text.trim_end().len() - 1);
    text.push_str("\n}\nDEFAULT ERRNO(38)\n");

    let mut nrs: Vec<u32> = named.iter().map(|n| nr(n)).collect();
    nrs.extend(plain.iter().map(|n| nr(n)));
    nrs.sort_unstable();
    (text, nrs)
}

fn options() -> Options {
    Options {
        arches: vec![Arch::X86_64],
        ..Options::default()
    }
}

fn context() -> Context {
    Context {
        host_arch: Arch::X86_64,
        ..Context::default()
    }
}

fn to_json(text: &str) -> String {
    let policy = compile_str("bench.kafel", text, &options()).expect("the policy compiles");
    let lowered = policy
        .to_profile()
        .unwrap_or_else(|e| panic!("the policy lowers to OCI JSON:\n{}", e.render()));
    lowered.profile.to_json_pretty()
}

fn to_bpf(text: &str) -> bpf::Program {
    let policy = compile_str("bench.kafel", text, &options()).expect("the policy compiles");
    policy
        .to_bpf()
        .unwrap_or_else(|e| panic!("the policy compiles to BPF:\n{}", e.render()))
}

fn resolve(json: &str) -> Resolved {
    load::from_str(json)
        .expect("the lowered profile loads")
        .profile
        .resolve(&context())
}

fn libseccomp_from_json(json: &str) -> bpf::Program {
    compile::compile(&resolve(json), Some(&[Arch::X86_64]))
        .expect("libseccomp compiles the lowered profile")
        .program
}

/// Medians of the steps, timed interleaved: each round runs every step once, starting from a
/// different step each round, so load that comes and goes falls on all of them alike. As many
/// rounds as fit in about `BUDGET` (at least `MIN_RUNS`, at most `MAX_RUNS`). Returns the
/// medians in the order of `steps`, and the number of rounds.
fn interleaved(steps: &mut [&mut dyn FnMut()]) -> (Vec<Duration>, usize) {
    // `cargo test --all-targets` runs benches without `--bench`: then one round, so the
    // suite checks the benchmark works without spending minutes timing a debug build.
    let bench = std::env::args().any(|a| a == "--bench");
    // Warm up caches and libseccomp's lazily built tables, and size the sample.
    let t = Instant::now();
    for step in steps.iter_mut() {
        step();
    }
    let round = t.elapsed();
    let rounds = if bench {
        usize::try_from(BUDGET.as_nanos() / round.as_nanos().max(1))
            .unwrap_or(MAX_RUNS)
            .clamp(MIN_RUNS, MAX_RUNS)
    } else {
        1
    };
    let n = steps.len();
    let mut times = vec![Vec::with_capacity(rounds); n];
    for r in 0..rounds {
        for k in 0..n {
            let i = (r + k) % n;
            let t = Instant::now();
            steps[i]();
            times[i].push(t.elapsed());
        }
    }
    let medians = times
        .into_iter()
        .map(|mut t| {
            t.sort();
            t[t.len() / 2]
        })
        .collect();
    (medians, rounds)
}

fn scmp_action(a: Action) -> ScmpAction {
    match a {
        Action::Allow => ScmpAction::Allow,
        Action::Errno(e) => ScmpAction::Errno(i32::from(e)),
        Action::KillThread => ScmpAction::KillThread,
        Action::KillProcess => ScmpAction::KillProcess,
        Action::Trap(_) => ScmpAction::Trap,
        Action::Trace(d) => ScmpAction::Trace(d),
        Action::Log => ScmpAction::Log,
        Action::UserNotif => ScmpAction::Notify,
    }
}

type RawRule = (ScmpAction, ScmpSyscall, Vec<ScmpArgCompare>);

/// What runc hands libseccomp: rules with the default action dropped, and a rule comparing
/// one argument twice split into one rule per comparison.
fn pre_resolve(r: &Resolved) -> Vec<RawRule> {
    let mut out = Vec::new();
    for rule in r
        .rules
        .iter()
        .filter(|rule| rule.action != r.default_action)
    {
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
        let mut seen = [false; 6];
        let split = rule
            .args
            .iter()
            .any(|c| std::mem::replace(&mut seen[usize::from(c.index)], true));
        for name in &rule.names {
            let Ok(sys) = ScmpSyscall::from_name(name) else {
                continue;
            };
            if split {
                for c in &conds {
                    out.push((scmp_action(rule.action), sys, vec![*c]));
                }
            } else {
                out.push((scmp_action(rule.action), sys, conds.clone()));
            }
        }
    }
    out
}

/// The peer's floor: libseccomp alone, binary tree as runc builds large profiles.
fn raw_libseccomp(rules: &[RawRule], default: ScmpAction) -> Vec<u8> {
    let mut ctx = ScmpFilterContext::new(default).unwrap();
    ctx.add_arch(ScmpArch::X8664).unwrap();
    ctx.set_ctl_optimize(2).unwrap();
    for (act, sys, conds) in rules {
        ctx.add_rule_conditional(*act, *sys, conds).unwrap();
    }
    let mut f = tempfile::tempfile().unwrap();
    ctx.export_bpf(&f).unwrap();
    let mut out = Vec::new();
    f.rewind().unwrap();
    f.read_to_end(&mut out).unwrap();
    out
}

/// Mean and max instructions executed with zero arguments, and a syscall that takes the max.
fn stats(program: &bpf::Program, nrs: &[u32]) -> (f64, usize, u32) {
    let counts: Vec<(usize, u32)> = nrs
        .iter()
        .map(|nr| {
            let n = bpf::simulate(program, Arch::X86_64, *nr, [0; 6]).insns_executed;
            (n, *nr)
        })
        .collect();
    let total: usize = counts.iter().map(|c| c.0).sum();
    #[expect(clippy::cast_precision_loss, reason = "a mean for display")]
    let mean = total as f64 / counts.len() as f64;
    let (max, at) = counts
        .into_iter()
        .max_by_key(|(n, nr)| (*n, std::cmp::Reverse(*nr)))
        .unwrap_or((0, 0));
    (mean, max, at)
}

fn name(nr: u32) -> &'static str {
    syscalls::table(Arch::X86_64)
        .iter()
        .find(|e| e.nr == nr)
        .map_or("?", |e| e.name)
}

fn ratio(a: f64, b: f64) -> String {
    let r = a / b;
    if r < 0.1 {
        format!("{r:.4}x")
    } else {
        format!("{r:.2}x")
    }
}

/// Argument values that sit on the policy's boundaries, one argument set at a time.
const PROBES: &[u64] = &[
    0,
    1,
    2,
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    12,
    15,
    16,
    22,
    38,
    0x40,
    0x41,
    0x43,
    0x800,
    0xc00,
    0x4000,
    0x5401,
    0x5412,
    0x8901,
    0x1001,
    0x20000,
    0x80000,
    0x1000_0000,
    0x4000_0000,
    0xffff_ffff,
    u64::MAX,
];

/// Calls where the two programs disagree: any one fails the benchmark, since its figures
/// would compare programs that do different things.
fn disagreements(a: &bpf::Program, b: &bpf::Program, nrs: &[u32]) -> Vec<String> {
    let mut out = Vec::new();
    for &nr in nrs {
        let mut cases = vec![[0u64; 6]];
        for i in 0..6 {
            for &v in PROBES {
                let mut args = [0u64; 6];
                args[i] = v;
                if !cases.contains(&args) {
                    cases.push(args);
                }
            }
        }
        for args in cases {
            let x = bpf::simulate(a, Arch::X86_64, nr, args).action;
            let y = bpf::simulate(b, Arch::X86_64, nr, args).action;
            if x != y {
                out.push(format!(
                    "{} (nr {nr}) args {args:x?}: rpod {x}, libseccomp {y}",
                    name(nr)
                ));
            }
        }
    }
    out
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn main() {
    let (text, in_policy) = generate();
    let arg_rules = ALLOW_IF.len() + DENY_FIRST.len();
    let not_in_policy: Vec<u32> = syscalls::table(Arch::X86_64)
        .iter()
        .map(|e| e.nr)
        .filter(|nr| in_policy.binary_search(nr).is_err())
        .collect();
    let json = to_json(&text);
    let rpod = to_bpf(&text);

    // libseccomp 2.5.4 can take forever on some rule sets; find out once, before timing.
    let (tx, rx) = mpsc::channel();
    let probe_json = json.clone();
    std::thread::spawn(move || tx.send(libseccomp_from_json(&probe_json)));
    let Ok(peer) = rx.recv_timeout(Duration::from_secs(60)) else {
        eprintln!("error: libseccomp did not compile the lowered profile within 60 s");
        std::process::exit(1);
    };
    let resolved = resolve(&json);
    let pre = pre_resolve(&resolved);
    let default = scmp_action(resolved.default_action);

    println!(
        "Policy: {} syscalls ({} argument rules on {} syscalls, {} of them ERRNO rules ahead of an overlapping ALLOW rule; {} denied, {} plainly allowed), DEFAULT ERRNO(38); {} lines of Kafel, {} bytes of OCI JSON ({} rules, {} after resolution, {} libseccomp rules as runc splits them), libseccomp {}",
        in_policy.len(),
        arg_rules,
        ALLOW_IF.len(),
        DENY_FIRST.len(),
        DENIED.len(),
        in_policy.len() - ALLOW_IF.len() - DENIED.len(),
        text.lines().count(),
        json.len(),
        load::from_str(&json).unwrap().profile.syscalls.len(),
        resolved.rules.len(),
        pre.len(),
        compile::libseccomp_version()
    );
    println!();

    print_times(&text, &json, &pre, default);
    println!();
    let raw = bpf::Program::from_bytes(&raw_libseccomp(&pre, default)).unwrap();
    print_insns(&rpod, &peer, &raw, &in_policy, &not_in_policy);
}

fn print_times(text: &str, json: &str, pre: &[RawRule], default: ScmpAction) {
    let resolved = resolve(json);
    let steps: [(&str, &mut dyn FnMut()); 7] = [
        (
            "policy -> OCI JSON (parse, resolve, lower, serialize)",
            &mut || drop(black_box(to_json(black_box(text)))),
        ),
        ("policy -> BPF (parse, resolve, rpod codegen)", &mut || {
            drop(black_box(to_bpf(black_box(text))))
        }),
        (
            "peer: OCI JSON -> BPF (load, resolve, libseccomp, check)",
            &mut || drop(black_box(libseccomp_from_json(black_box(json)))),
        ),
        ("  of which load + resolve", &mut || {
            drop(black_box(resolve(black_box(json))))
        }),
        (
            "  of which overlap analysis (compile::overlap_notes)",
            &mut || drop(black_box(compile::overlap_notes(black_box(&resolved)))),
        ),
        (
            "  raw libseccomp on pre-resolved rules (runc's floor)",
            &mut || drop(black_box(raw_libseccomp(pre, default))),
        ),
        (
            "policy -> OCI JSON -> libseccomp BPF (both steps)",
            &mut || drop(black_box(libseccomp_from_json(&to_json(black_box(text))))),
        ),
    ];
    let (labels, mut fns): (Vec<&str>, Vec<&mut dyn FnMut()>) = steps.into_iter().unzip();
    let (times, rounds) = interleaved(&mut fns);
    let peer = times[2];
    println!(
        "Compile time: medians of {rounds} rounds, each timing every step once, interleaved (starting from a different step each round); peer: the OCI JSON through `profiles` and libseccomp"
    );
    println!();
    println!("| step | median | vs peer |");
    println!("|---|---:|---:|");
    for (label, t) in labels.into_iter().zip(times) {
        println!(
            "| {} | {:.2} ms | {} |",
            label,
            ms(t),
            ratio(t.as_secs_f64(), peer.as_secs_f64())
        );
    }
}

fn print_insns(
    rpod: &bpf::Program,
    peer: &bpf::Program,
    raw: &bpf::Program,
    in_policy: &[u32],
    not_in_policy: &[u32],
) {
    println!("Instructions executed per x86_64 syscall, zero arguments (emulator):");
    println!();
    println!("| syscalls | rpod BPF mean / max | libseccomp mean / max | ratio |");
    println!("|---|---:|---:|---:|");
    let all: Vec<u32> = syscalls::table(Arch::X86_64).iter().map(|e| e.nr).collect();
    for (label, nrs) in [
        (format!("{} in the policy", in_policy.len()), in_policy),
        (
            format!("{} not in the policy", not_in_policy.len()),
            not_in_policy,
        ),
        (format!("all {}", all.len()), &all),
    ] {
        let (rm, rx, ra) = stats(rpod, nrs);
        let (lm, lx, la) = stats(peer, nrs);
        println!(
            "| {label} | {rm:.1} / {rx} (`{}`) | {lm:.1} / {lx} (`{}`) | {} |",
            name(ra),
            name(la),
            ratio(rm, lm)
        );
    }
    let (rn, ln) = (rpod.insns().len(), peer.insns().len());
    println!(
        "| program size | {} insns | {} insns | {} |",
        rn,
        ln,
        ratio(
            f64::from(u32::try_from(rn).unwrap()),
            f64::from(u32::try_from(ln).unwrap())
        )
    );
    if raw != peer {
        println!("note: raw libseccomp built a different program than the profiles path");
    }
    // Past the table: unassigned numbers, x32's range, and -1 (what a tracer's skip leaves).
    let mut probed = all.clone();
    probed.extend([999, 0x4000_0000, 0x4000_0001, u32::MAX]);
    let diff = disagreements(rpod, peer, &probed);
    if !diff.is_empty() {
        eprintln!(
            "error: rpod's BPF and libseccomp's filter for the same policy disagree on {} calls, so the figures above compare programs that do different things; first ones:",
            diff.len()
        );
        for d in diff.iter().take(10) {
            eprintln!("  {d}");
        }
        eprintln!(
            "hint: one of kafel-dsl's two back ends is wrong for these calls (to_profile, whose JSON libseccomp compiles, or to_bpf, rpod's code generator); rerun with `cargo bench -p kafel-dsl --bench compile`"
        );
        std::process::exit(1);
    }
    println!();
    println!(
        "rpod's and libseccomp's programs agree on {} syscall numbers, each with zero arguments and {} single-argument probes",
        probed.len(),
        6 * (PROBES.len() - 1)
    );
}
