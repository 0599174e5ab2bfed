//! Getting libseccomp to build rules correctly: what `merge` and the Kafel lowering need before
//! they write rules that runc will hand to libseccomp.
//!
//! libseccomp 2.5.4 does three things with some rule sets that compare several arguments of one
//! syscall, depending on the order in which the rules are added (runc and crun add them in
//! profile order; see `docs/profiles-libseccomp.md`):
//! - it loops forever in `seccomp_rule_add`, so every build runs on its own thread and is given
//!   up once that thread has used [`CPU_BUDGET`] of CPU time ([`bounded`]); safe Rust cannot
//!   stop the thread, which is left behind until the process ends (it holds no lock rpod needs),
//!   and a search stops after [`MAX_HANGS`] of them;
//! - it refuses chains it thinks collide (`EEXIST`; on x86 it also rewrites socket rules into
//!   `socketcall` rules);
//! - it builds a filter that disagrees with the rules.
//!
//! The bound is the build thread's own CPU time, not wall-clock time, so that what rpod answers
//! does not depend on how loaded the machine is (issue 11): a build thread that waits for a core
//! accrues no CPU time, while one that loops accrues it at full speed. A wall-clock timeout took
//! a slow build on a loaded machine for a hang and dropped a candidate order, so `merge` and the
//! Kafel lowering gave different answers under load.
//!
//! So a caller offers candidate rule lists in its order of preference ([`likely_orders`] gives
//! the orders libseccomp gets right most often), and [`first_built_right`] builds each with
//! libseccomp and hands the filter to the caller's own check (the emulator on every cell for
//! `merge`, an exact symbolic run for the Kafel lowering), returning the first list whose filter
//! passes, or a typed [`SearchFailure`] that says why the last one did not.

use std::collections::BTreeSet;
use std::sync::mpsc::{self, RecvTimeoutError, TryRecvError};
use std::time::Duration;

use nix::sys::time::TimeValLike;
use nix::time::ClockId;

use crate::arch::Arch;
use crate::bpf::{self, Action};
use crate::compile::{self, Compiled, Options};
use crate::model::{ArgCondition, Op};
use crate::resolve::{Resolved, ResolvedRule};
use crate::solve::MAX_32BIT;

/// How much CPU time one libseccomp build may use before it is taken for a hang.
///
/// Measured on the machine `docs/host.md` describes (issue 11), over the 2404 builds that the
/// unit, corpus and property tests of `profiles` and `kafel-dsl` make (debug build, which also
/// runs the emulator check of `compile::verify` on the build thread; load average 12 on 2
/// cores): median 0.05 ms, 99th percentile 0.8 ms, slowest 35 ms (a 240-rule profile), podman's
/// default for x86_64, x86 and x32 at once 23 ms. The budget is about 57 times the slowest, so
/// a machine many times slower still builds every legitimate rule set, while a looping build
/// is given up after two seconds of one core.
pub const CPU_BUDGET: Duration = Duration::from_secs(2);

/// How often the waiting thread reads the build thread's CPU clock. Only the CPU time decides
/// the outcome; this interval only sets how soon after the budget is spent the hang is seen.
const POLL: Duration = Duration::from_millis(20);

/// How many builds of one search may hang: each leaves a thread spinning in libseccomp.
pub const MAX_HANGS: usize = 2;

/// Why libseccomp gave no filter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Failure {
    /// libseccomp used [`CPU_BUDGET`] of CPU time without returning.
    Hang,
    /// libseccomp (or rpod around it) refused; the message has the cause chain.
    Refused { message: String },
}

/// The CPU-time clock of the thread `tid` of this process.
///
/// `pthread_getcpuclockid` needs a `pthread_t`, which stays valid only while the thread runs
/// and has no safe wrapper in `nix`; the clock id glibc returns is the kernel's encoding of the
/// thread id (`MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED)` in `include/linux/posix-timers.h`,
/// the same expression as glibc's `pthread_getcpuclockid`), so it is built from the tid here.
/// The kernel answers it only for threads of the calling process, and with `EINVAL` once the
/// thread has exited.
fn thread_cpu_clock(tid: nix::unistd::Pid) -> ClockId {
    const CPUCLOCK_SCHED: i32 = 2;
    const CPUCLOCK_PERTHREAD_MASK: i32 = 4;
    const CLOCK_IDFIELD_SIZE: u32 = 3;
    ClockId::from_raw(
        (!tid.as_raw() << CLOCK_IDFIELD_SIZE) | CPUCLOCK_PERTHREAD_MASK | CPUCLOCK_SCHED,
    )
}

/// What the worker thread tells the waiting one.
enum Message<T> {
    /// Sent first: the worker's CPU clock.
    Clock(ClockId),
    Done(T),
}

/// Why [`on_cpu_budget`] has no result.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Unfinished {
    /// The worker used the whole budget of CPU time.
    Spent,
    /// The worker panicked.
    Panicked,
}

/// [`compile::compile_with`] on another thread, given up once that thread has used
/// [`CPU_BUDGET`] of CPU time: libseccomp 2.5.4 can loop forever in `seccomp_rule_add` on some
/// rule sets (`docs/profiles-libseccomp.md`). Waiting costs no CPU time, so how long the build
/// waits for a core on a loaded machine does not change the answer.
///
/// # Errors
/// [`Failure::Hang`] once the budget is spent, [`Failure::Refused`] with libseccomp's reason.
pub fn bounded(
    r: &Resolved,
    arches: Option<&[Arch]>,
    options: Options,
) -> Result<Compiled, Failure> {
    let r = r.clone();
    let arches = arches.map(<[Arch]>::to_vec);
    let work = move || {
        compile::compile_with(&r, arches.as_deref(), options)
            .map_err(|e| crate::chain::one_line(&e))
    };
    match on_cpu_budget(work, CPU_BUDGET) {
        Ok(Ok(c)) => Ok(c),
        Ok(Err(message)) => Err(Failure::Refused { message }),
        Err(Unfinished::Spent) => Err(Failure::Hang),
        Err(Unfinished::Panicked) => Err(Failure::Refused {
            message: "the libseccomp build thread panicked (an rpod bug, please report it)"
                .to_string(),
        }),
    }
}

/// `work`'s result, computed on a thread of its own, unless that thread uses `budget` of CPU
/// time first; then the thread is left running (safe Rust cannot stop it) and nobody reads
/// its result.
fn on_cpu_budget<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
    budget: Duration,
) -> Result<T, Unfinished> {
    // The caller's budget of search states (`solve::bounded`) goes with the work to its thread,
    // and what the work leaves of it comes back (issue 12: decompile's searches ran in builds).
    let states = crate::solve::budget_left();
    let work = move || crate::solve::with_budget_left(states, work);
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        // The receiver is gone only after the budget is spent, and then nobody wants the result.
        let _ = tx.send(Message::Clock(thread_cpu_clock(nix::unistd::gettid())));
        let _ = tx.send(Message::Done(work()));
    });
    let done = |(out, left)| {
        crate::solve::charge(left);
        Ok(out)
    };
    let clock = match rx.recv() {
        Ok(Message::Clock(c)) => c,
        Ok(Message::Done(out)) => return done(out),
        Err(_) => return Err(Unfinished::Panicked),
    };
    loop {
        match rx.recv_timeout(POLL) {
            Ok(Message::Done(out)) => return done(out),
            Ok(Message::Clock(_)) => {}
            Err(RecvTimeoutError::Disconnected) => return Err(Unfinished::Panicked),
            Err(RecvTimeoutError::Timeout) => {
                // An error means the thread has exited: its answer is in the channel, and the
                // next receive gets it.
                let Ok(used) = clock.now() else { continue };
                if Duration::from_nanos(u64::try_from(used.num_nanoseconds()).unwrap_or(0)) < budget
                {
                    continue;
                }
                // The work may have finished between the receive and the clock read.
                return match rx.try_recv() {
                    Ok(Message::Done(out)) => done(out),
                    Ok(Message::Clock(_)) | Err(TryRecvError::Empty) => Err(Unfinished::Spent),
                    Err(TryRecvError::Disconnected) => Err(Unfinished::Panicked),
                };
            }
        }
    }
}

/// One rule for the syscalls being built: its action and AND-ed conditions.
pub type Rule = (Action, Vec<ArgCondition>);

/// What a search builds: the syscalls that all get the candidate rules, and the filter around
/// them.
#[derive(Debug, Clone, Copy)]
pub struct Target<'a> {
    pub names: &'a [String],
    pub default: Action,
    pub arches: &'a [Arch],
    pub options: Options,
}

impl Target<'_> {
    /// The profile runc would receive for `rules`, in that order.
    #[must_use]
    pub fn resolved(&self, rules: &[Rule]) -> Resolved {
        Resolved {
            default_action: self.default,
            arches: self.arches.to_vec(),
            rules: rules
                .iter()
                .enumerate()
                .map(|(i, (action, args))| ResolvedRule {
                    names: self.names.to_vec(),
                    action: *action,
                    args: args.clone(),
                    origin: i,
                })
                .collect(),
            flags: Vec::new(),
            dropped: Vec::new(),
        }
    }
}

/// A caller's judgement of a filter libseccomp built.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Verdict<E> {
    /// The filter does what the rules say.
    Right,
    /// It does not; try the next candidate.
    Wrong(E),
    /// It cannot be judged, and no other order would change that: stop searching.
    GiveUp(E),
}

/// Why no candidate was built right: what happened to the last one tried.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SearchFailure<E> {
    /// libseccomp gave no filter (or, with no candidates at all, [`Failure::Hang`]).
    Libseccomp(Failure),
    /// The check found the filter wrong.
    Wrong(E),
    /// The check gave up.
    GaveUp(E),
}

/// The first of `candidates` that libseccomp builds, within [`CPU_BUDGET`] each, into a filter
/// `check` accepts (it is given the filter and the candidate). Stops at the first [`Verdict::GiveUp`] and after [`MAX_HANGS`] hangs.
///
/// # Errors
/// What went wrong with the last candidate tried.
pub fn first_built_right<E>(
    target: &Target<'_>,
    candidates: impl IntoIterator<Item = Vec<Rule>>,
    check: impl FnMut(&bpf::Program, &[Rule]) -> Verdict<E>,
) -> Result<Vec<Rule>, SearchFailure<E>> {
    first_built_right_within(target, candidates, check, &mut Hangs::new(MAX_HANGS))
}

/// How many more builds may hang across several searches: each hang costs [`CPU_BUDGET`] and
/// leaves a thread spinning, so a caller that searches once per syscall shares one of these
/// (issue 12: three searches per syscall, two hangs each, made one policy take 12 s a syscall).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Hangs {
    left: usize,
}

impl Hangs {
    /// Room for `n` hangs.
    #[must_use]
    pub fn new(n: usize) -> Hangs {
        Hangs { left: n }
    }

    /// Whether no build may hang any more: a search would try nothing.
    #[must_use]
    pub fn spent(&self) -> bool {
        self.left == 0
    }
}

/// [`first_built_right`], stopping also once `hangs` is spent (and spending it).
///
/// # Errors
/// As [`first_built_right`]; [`Failure::Hang`] when `hangs` was spent before any build.
pub fn first_built_right_within<E>(
    target: &Target<'_>,
    candidates: impl IntoIterator<Item = Vec<Rule>>,
    mut check: impl FnMut(&bpf::Program, &[Rule]) -> Verdict<E>,
    budget: &mut Hangs,
) -> Result<Vec<Rule>, SearchFailure<E>> {
    let mut last = SearchFailure::Libseccomp(Failure::Hang);
    let mut hangs = 0;
    for rules in candidates {
        if budget.spent() {
            break;
        }
        let r = target.resolved(&rules);
        match bounded(&r, Some(target.arches), target.options) {
            Ok(c) => match check(&c.program, &rules) {
                Verdict::Right => return Ok(rules),
                Verdict::Wrong(e) => last = SearchFailure::Wrong(e),
                Verdict::GiveUp(e) => return Err(SearchFailure::GaveUp(e)),
            },
            Err(Failure::Hang) => {
                last = SearchFailure::Libseccomp(Failure::Hang);
                hangs += 1;
                budget.left = budget.left.saturating_sub(1);
                if hangs == MAX_HANGS {
                    break;
                }
            }
            // Refusals (EEXIST for chains libseccomp thinks collide) depend on the order too.
            Err(f) => last = SearchFailure::Libseccomp(f),
        }
    }
    Err(last)
}

/// libseccomp's order of the first node of each condition (`_db_chain_lt` in `db.c`): argument,
/// then operator class (GE/GT before LE/LT before EQ/NE/MASKED_EQ), then the compared value
/// (high word, then low word; reversed for LE/LT). libseccomp builds the chain in argument order.
#[must_use]
pub fn chain_key(args: &[ArgCondition]) -> Vec<(u8, u8, i64, i64)> {
    let mut key: Vec<(u8, u8, i64, i64)> = args
        .iter()
        .map(|c| {
            let datum = if c.op == Op::MaskedEq {
                c.value_two & c.value
            } else {
                c.value
            };
            let hi = i64::from(u32::try_from(datum >> 32).unwrap_or(u32::MAX));
            let lo = i64::from(u32::try_from(datum & MAX_32BIT).unwrap_or(u32::MAX));
            match c.op {
                Op::Ge | Op::Gt => (c.index, 1, hi, lo),
                Op::Le | Op::Lt => (c.index, 2, -hi, -lo),
                Op::Eq | Op::Ne | Op::MaskedEq => (c.index, 3, hi, lo),
            }
        })
        .collect();
    key.sort_unstable();
    key
}

/// Rule orders to try with libseccomp (indices into `rules`), best first: most conditions first
/// (fewest failures and no hang in random tests), then other simple orders, then every order of
/// up to five rules.
#[must_use]
pub fn likely_orders(rules: &[Rule]) -> Vec<Vec<usize>> {
    let n = rules.len();
    let mut desc: Vec<usize> = (0..n).collect();
    desc.sort_by(|a, b| chain_key(&rules[*b].1).cmp(&chain_key(&rules[*a].1)));
    let mut most = desc.clone();
    most.sort_by_key(|i| std::cmp::Reverse(rules[*i].1.len()));
    let mut fewest = desc.clone();
    fewest.sort_by_key(|i| rules[*i].1.len());
    let mut deny_first = desc.clone();
    deny_first.sort_by_key(|i| std::cmp::Reverse(rules[*i].0.strictness()));
    let mut allow_first = desc.clone();
    allow_first.sort_by_key(|i| rules[*i].0.strictness());
    // Ascending chain order hung libseccomp most often in random tests: it comes last.
    let mut out = vec![
        most.clone(),
        desc.clone(),
        deny_first,
        fewest,
        allow_first,
        most.iter().rev().copied().collect(),
        desc.iter().rev().copied().collect(),
    ];
    if n <= 5 {
        let mut perm: Vec<usize> = (0..n).collect();
        out.push(perm.clone());
        // Lexicographic successors (Narayana Pandita).
        while let Some(i) = (1..n).rev().find(|i| perm[i - 1] < perm[*i]) {
            let j = (i..n).rev().find(|j| perm[*j] > perm[i - 1]).unwrap_or(i);
            perm.swap(i - 1, j);
            perm[i..].reverse();
            out.push(perm.clone());
        }
    }
    let mut seen = BTreeSet::new();
    out.retain(|o| seen.insert(o.clone()));
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Op;

    fn cond(index: u8, op: Op, value: u64) -> ArgCondition {
        ArgCondition {
            index,
            value,
            value_two: 0,
            op,
        }
    }

    /// Rules on `write` that libseccomp 2.5.4 loops on forever when they are added in this
    /// order (found among random rule sets; the descending chain order builds them).
    fn looping_rules() -> Vec<Rule> {
        vec![
            (Action::Allow, vec![cond(1, Op::Lt, 0), cond(0, Op::Lt, 2)]),
            (Action::Errno(1), vec![cond(1, Op::Gt, 1)]),
            (
                Action::Errno(1),
                vec![cond(0, Op::Lt, 2), cond(1, Op::Eq, 2)],
            ),
        ]
    }

    #[test]
    fn the_build_thread_s_clock_is_that_thread_s_cpu_time() {
        // The clock id built from the tid must be the kernel's per-thread CPU clock: read
        // between two reads of this thread's own CPU clock, it lies between them.
        let nanos = |c: ClockId| c.now().expect("clock_gettime").num_nanoseconds();
        let own = ClockId::CLOCK_THREAD_CPUTIME_ID;
        let before = nanos(own);
        let got = nanos(thread_cpu_clock(nix::unistd::gettid()));
        let after = nanos(own);
        assert!(
            before <= got && got <= after,
            "{before} <= {got} <= {after}"
        );
    }

    #[test]
    fn waiting_uses_no_budget_and_spinning_uses_it_up() {
        // Issue 11: what bounds a build is the CPU time its thread uses, not the time it takes.
        // A thread that sleeps (as one that waits for a core on a loaded machine) is not given
        // up, however long it takes; one that spins is.
        let budget = Duration::from_millis(50);
        let slept = on_cpu_budget(
            || {
                std::thread::sleep(Duration::from_millis(400));
                "finished"
            },
            budget,
        );
        assert_eq!(slept, Ok("finished"));
        // Spins until told to stop: left behind when its budget is spent, as a looping
        // libseccomp build is, then stopped so it does not take a core from the other tests.
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let flag = std::sync::Arc::clone(&stop);
        let spun = on_cpu_budget(
            move || {
                let mut x = 0u64;
                while !flag.load(std::sync::atomic::Ordering::Relaxed) {
                    x = std::hint::black_box(x.wrapping_add(1));
                }
            },
            budget,
        );
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        assert_eq!(spun, Err::<(), _>(Unfinished::Spent));
        // Printing a panic's backtrace can take more than 50 ms of CPU time itself.
        let panicked = on_cpu_budget(|| panic!("boom"), CPU_BUDGET);
        assert_eq!(panicked, Err::<(), _>(Unfinished::Panicked));
    }

    #[test]
    fn a_build_libseccomp_loops_on_is_reported_as_a_hang_and_the_search_goes_on() {
        // Issue 11: the bound is CPU time; a looping build still uses it up and is a hang.
        let names = vec!["write".to_string()];
        let target = Target {
            names: &names,
            default: Action::KillProcess,
            arches: &[Arch::X86_64],
            options: Options::default(),
        };
        let looping = looping_rules();
        let got = bounded(
            &target.resolved(&looping),
            Some(&[Arch::X86_64]),
            target.options,
        );
        assert_eq!(got.err(), Some(Failure::Hang));
        // The search gives up on that order and builds the next one.
        let order = &likely_orders(&looping)[0];
        let next: Vec<Rule> = order.iter().map(|i| looping[*i].clone()).collect();
        assert_ne!(next, looping);
        let found = first_built_right(&target, [looping, next.clone()], |_, _| {
            Verdict::<()>::Right
        });
        assert_eq!(found, Ok(next));
    }

    #[test]
    fn a_loaded_machine_does_not_change_what_a_merge_builds() {
        // Issue 11: a wall-clock timeout took slow builds on a loaded machine for hangs and
        // dropped rule orders. With a bound on the build thread's CPU time, busy threads on
        // every core change how long the merge takes, never its result. No timing is asserted.
        use crate::load;
        use crate::merge::{merge, MergeOptions};
        use crate::resolve::Context;
        let fixture = |name: &str| {
            let path = format!("{}/tests/fixtures/{name}", env!("CARGO_MANIFEST_DIR"));
            load::from_str(&std::fs::read_to_string(&path).expect("fixture"))
                .expect("fixture loads")
                .profile
        };
        let inputs = [fixture("podman-default.json"), fixture("moby-default.json")];
        let cx = Context {
            host_arch: Arch::X86_64,
            ..Context::default()
        };
        let quiet = merge(&inputs, &cx, &MergeOptions::default()).expect("merges");
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let cores = std::thread::available_parallelism().map_or(2, std::num::NonZero::get);
        let busy: Vec<_> = (0..8 * cores)
            .map(|_| {
                let stop = stop.clone();
                std::thread::spawn(move || {
                    let mut x = 0u64;
                    while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                        x = std::hint::black_box(x.wrapping_mul(31).wrapping_add(7));
                    }
                })
            })
            .collect();
        let loaded = merge(&inputs, &cx, &MergeOptions::default());
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        for t in busy {
            t.join().expect("busy thread");
        }
        let loaded = loaded.expect("merges on a loaded machine");
        assert_eq!(loaded, quiet);
    }

    #[test]
    fn likely_orders_try_every_order_of_a_few_rules_once() {
        let rules: Vec<Rule> = vec![
            (Action::Allow, vec![cond(0, Op::Eq, 1)]),
            (
                Action::Errno(1),
                vec![cond(0, Op::Gt, 5), cond(1, Op::Eq, 0)],
            ),
            (Action::Log, Vec::new()),
        ];
        let orders = likely_orders(&rules);
        assert_eq!(orders.len(), 6, "{orders:?}");
        // The rule with the most conditions goes first in the first order.
        assert_eq!(orders[0][0], 1);
    }

    #[test]
    fn the_search_returns_the_first_order_the_check_accepts() {
        let names = vec!["read".to_string()];
        let target = Target {
            names: &names,
            default: Action::Errno(1),
            arches: &[Arch::X86_64],
            options: Options::default(),
        };
        let a: Vec<Rule> = vec![(Action::Allow, vec![cond(0, Op::Eq, 1)])];
        let b: Vec<Rule> = vec![(Action::Allow, vec![cond(0, Op::Eq, 2)])];
        let mut seen = 0;
        let got = first_built_right(&target, [a, b.clone()], |_, _| {
            seen += 1;
            if seen == 1 {
                Verdict::Wrong("first")
            } else {
                Verdict::Right
            }
        });
        assert_eq!(got, Ok(b));
        let gave_up = first_built_right(&target, [Vec::new(), Vec::new()], |_, _| {
            Verdict::GiveUp("too many cells")
        });
        assert_eq!(gave_up, Err(SearchFailure::GaveUp("too many cells")));
    }

    #[test]
    fn a_refusal_is_typed_and_keeps_libseccomp_s_reason() {
        let names = vec!["read".to_string()];
        let target = Target {
            names: &names,
            default: Action::Allow,
            arches: &[Arch::X86_64],
            options: Options::default(),
        };
        // libseccomp takes errnos up to 4094 (`docs/profiles-libseccomp.md`).
        let rules: Vec<Rule> = vec![(Action::Errno(5000), Vec::new())];
        let got = first_built_right(&target, [rules], |_, _| Verdict::<()>::Right);
        assert!(
            matches!(&got, Err(SearchFailure::Libseccomp(Failure::Refused { message })) if message.starts_with("libseccomp refused")),
            "{got:?}"
        );
    }
}
