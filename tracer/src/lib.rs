//! rpod's syscall recorder: loads the `ebpf` program with aya, scopes it to one process tree,
//! and reads what that tree did as a [`profiles::record::Recording`].
//!
//! The model. A *recording* covers the tasks (threads and processes) descended from the thread
//! that calls [`Recorder::start`] (which then starts the runtime or the command).
//! Syscalls count only inside the *window*: from the moment a task's seccomp filter install
//! returns 0 ([`Start::SeccompFilter`], what an enforced profile sees: the runtime installs
//! the container's filter, then execs the workload) or from its execve ([`Start::Exec`], for a
//! command on the host), inherited by every child and thread, up to the exit of the last one.
//! Nothing is recorded for tasks outside the tree, with one bounded exception for containers
//! ([`Options::follow_pid_namespace`]): a task forked by an untraced parent into the pid
//! namespace of a task of the tree that opened its window (the container's, never the
//! recorder's own) joins the tree. That is how `rpod exec`'d processes, which the runtime
//! (`runc exec`, `crun exec`) forks into the container from another rpod process, are recorded;
//! like the container's init, they are recorded from their own filter install on, and their
//! handoff is counted apart ([`Finished::exec_handoff`]).
//!
//! Argument values ([`Options::args`]) are recorded for the workload only: from the exec that
//! ends the runtime's handoff on. The handoff's own values are kept apart
//! ([`Finished::handoff_args`]).
//!
//! ```no_run
//! let rec = tracer::Recorder::start(&tracer::Options::default())?;
//! // ... start the runtime, wait for it ...
//! let done = rec.finish(std::time::Duration::from_secs(2))?;
//! println!("{} syscalls", done.recording.syscalls.len());
//! # Ok::<(), tracer::Error>(())
//! ```
//!
//! The program is attached only between [`Recorder::start`] and [`Recorder::finish`] (or
//! drop): while attached, every syscall on the machine pays one hash lookup.

mod btf;
mod error;

use std::collections::BTreeMap;
use std::path::Path;
use std::time::{Duration, Instant};

use aya::maps::{Array, HashMap, MapData, PerCpuArray};
use aya::programs::RawTracePoint;
use aya::{Ebpf, EbpfLoader};
use profiles::record::{ArgSpec, CompatCalls, RecordedArg, Recording};
use profiles::Arch;
use rpod_ebpf_common::{globals, slot, stats, task, ArgKey, MAX_SYSCALL_NR};

pub use error::Error;

/// The kernel's own BTF, where `task_struct`'s layout is read.
const KERNEL_BTF: &str = "/sys/kernel/btf/vmlinux";

/// The program's object file, built by build.rs.
static PROGRAM: &[u8] = aya::include_bytes_aligned!(concat!(env!("OUT_DIR"), "/rpod-syscalls"));

/// Where the window opens.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Start {
    /// When a task of the tree installs a seccomp filter (a container runtime applying the
    /// profile, right before it execs the workload).
    #[default]
    SeccompFilter,
    /// When a task of the tree calls execve (a command run on the host).
    Exec,
}

#[derive(Debug, Clone, Default)]
pub struct Options {
    pub start: Start,
    /// Syscalls whose argument values are recorded (libseccomp names).
    pub args: BTreeMap<String, ArgSpec>,
    /// Also record processes forked into the container's pid namespace from outside the tree
    /// (`rpod exec`), from their own filter install on. Only with [`Start::SeccompFilter`];
    /// never follows the recorder's own pid namespace (a `--pid=host` container).
    pub follow_pid_namespace: bool,
}

/// A recording in progress: the program is loaded and attached, and the thread that started
/// it roots the traced tree.
pub struct Recorder {
    ebpf: Ebpf,
    /// The attachments, owned so [`Recorder::finish`] detaches them before reading.
    links: Vec<aya::programs::raw_trace_point::RawTracePointLink>,
    arch: Arch,
    start: Start,
    args: BTreeMap<u32, (String, ArgSpec)>,
}

/// A finished recording and how complete it is.
#[derive(Debug, Clone)]
pub struct Finished {
    pub recording: Recording,
    /// Syscalls seen in the window.
    pub seen: u64,
    /// Tasks the program could not track (map full): their syscalls are missing.
    pub lost_tasks: u64,
    /// Argument values that did not fit in the map: their syscalls are allowed whole.
    pub lost_arg_values: u64,
    /// Calls with a number outside every table (negative, x32's bit 30, invalid): not in the
    /// recording; they get the profile's default action.
    pub out_of_range: u64,
    /// Tasks of the tree still in the window when the recording was read (for example a
    /// daemon that escaped a `--pid=host` container): later syscalls are not recorded.
    pub still_running: usize,
    /// The handoff of processes that joined the container (`rpod exec`): the runtime's calls
    /// between their filter install and their exec. Also in `recording.handoff`.
    pub exec_handoff: BTreeMap<String, u64>,
    /// Argument values of the chosen syscalls seen in the handoffs (the runtime's own calls),
    /// kept out of `recording.args`, which holds the workload's only.
    pub handoff_args: BTreeMap<String, RecordedArg>,
    /// The syscalls whose arguments were recorded ([`Options::args`]), seen or not.
    pub arg_specs: BTreeMap<String, ArgSpec>,
}

impl Finished {
    /// Whether anything was lost.
    #[must_use]
    pub fn is_complete(&self) -> bool {
        self.lost_tasks == 0 && self.still_running == 0
    }
}

fn map_err(map: &'static str) -> impl FnOnce(aya::maps::MapError) -> Error {
    move |e| Error::Map {
        map,
        source: Some(e),
    }
}

/// A recorder loaded into the kernel (maps created, program not attached yet). Loading takes
/// tens of milliseconds (aya parses the kernel's BTF), so it may run on another thread while
/// the container is prepared; [`Loaded::attach`] then runs on the thread that will start it.
pub struct Loaded {
    ebpf: Ebpf,
    arch: Arch,
    start: Start,
    args: BTreeMap<u32, (String, ArgSpec)>,
}

impl Recorder {
    /// Loads and attaches the program and makes the calling thread the root of the tree:
    /// [`Recorder::load`] then [`Loaded::attach`].
    ///
    /// # Errors
    /// As those.
    pub fn start(options: &Options) -> Result<Recorder, Error> {
        Recorder::load(options)?.attach()
    }

    /// Loads the program and its maps, not attached.
    ///
    /// # Errors
    /// No BTF, a kernel that refuses the program (the verifier log is in the error), an
    /// argument spec for a syscall this arch lacks.
    pub fn load(options: &Options) -> Result<Loaded, Error> {
        let arch = Arch::native();
        let kernel = btf::Btf::read(Path::new(KERNEL_BTF))?;
        let task_pid = kernel.member_offset("task_struct", "pid")?;
        let task_filter = kernel.member_offset("task_struct", "seccomp")?
            + kernel.member_offset("seccomp", "filter")?;
        let task_nsproxy = kernel.member_offset("task_struct", "nsproxy")?;
        let nsproxy_pidns = kernel.member_offset("nsproxy", "pid_ns_for_children")?;
        let pidns_inum = kernel.member_offset("pid_namespace", "ns")?
            + kernel.member_offset("ns_common", "inum")?;
        let follow = options.follow_pid_namespace && options.start == Start::SeccompFilter;
        let host_pidns = own_pid_namespace()?;
        let mut ebpf = EbpfLoader::new()
            // No CO-RE relocations: the two kernel offsets come from `btf` above, and pt_regs is
            // user ABI. (`EbpfLoader::new` has parsed the kernel BTF already, ~25 ms: hence
            // [`Loaded`], so that can happen on another thread.)
            .btf(None)
            .override_global(globals::TASK_PID, &task_pid, true)
            .override_global(globals::TASK_SECCOMP_FILTER, &task_filter, true)
            .override_global(globals::ARGS_ON, &u32::from(!options.args.is_empty()), true)
            .override_global(globals::TASK_NSPROXY, &task_nsproxy, true)
            .override_global(globals::NSPROXY_PIDNS, &nsproxy_pidns, true)
            .override_global(globals::PIDNS_INUM, &pidns_inum, true)
            .override_global(globals::HOST_PIDNS, &host_pidns, true)
            .override_global(globals::FOLLOW_PIDNS, &u32::from(follow), true)
            .map_max_entries("TASKS", pid_max()?)
            .load(PROGRAM)
            .map_err(Error::Load)?;

        let mut args = BTreeMap::new();
        {
            let mut specs: Array<&mut MapData, rpod_ebpf_common::ArgSpec> =
                Array::try_from(ebpf.map_mut("ARG_SPECS").ok_or(Error::Map {
                    map: "ARG_SPECS",
                    source: None,
                })?)
                .map_err(map_err("ARG_SPECS"))?;
            for (name, spec) in &options.args {
                let nr = profiles::syscalls::number(arch, name).ok_or_else(|| Error::NoNumber {
                    name: name.clone(),
                    arch: arch.short_name(),
                })?;
                let value = rpod_ebpf_common::ArgSpec {
                    mask: spec.mask,
                    index: u32::from(spec.index),
                    enabled: 1,
                };
                specs.set(nr, value, 0).map_err(map_err("ARG_SPECS"))?;
                args.insert(nr, (name.clone(), *spec));
            }
        }

        Ok(Loaded {
            ebpf,
            arch,
            start: options.start,
            args,
        })
    }
}

impl Loaded {
    /// Attaches the program and makes the calling thread the root of the traced tree.
    ///
    /// # Errors
    /// The kernel refuses to load or attach a hook.
    pub fn attach(self) -> Result<Recorder, Error> {
        let Loaded {
            mut ebpf,
            arch,
            start,
            args,
        } = self;
        let mut links = Vec::new();
        // The process tree first, then the syscall hook.
        for name in [
            "sched_process_fork",
            "sched_process_exec",
            "sched_process_exit",
            "sys_enter",
        ] {
            let err = |source| Error::Program {
                program: name,
                source,
            };
            let p: &mut RawTracePoint = program(&mut ebpf, name)?.try_into().map_err(err)?;
            p.load().map_err(err)?;
            let id = p.attach(name).map_err(err)?;
            links.push(p.take_link(id).map_err(err)?);
        }

        // The calling thread roots the tree: what it forks (the runtime, the command) and the
        // threads those start are added by the fork hook, already attached. Other threads of
        // this process (log copiers, other recordings) stay out.
        let flags = match start {
            Start::SeccompFilter => task::TRACED,
            Start::Exec => task::TRACED | task::OPEN_ON_EXEC,
        };
        let mut tasks: Array<&mut MapData, u32> =
            Array::try_from(ebpf.map_mut("TASKS").ok_or(Error::Map {
                map: "TASKS",
                source: None,
            })?)
            .map_err(map_err("TASKS"))?;
        let tid = u32::try_from(nix::unistd::gettid().as_raw()).expect("thread ids are positive");
        tasks.set(tid, flags, 0).map_err(map_err("TASKS"))?;
        Ok(Recorder {
            ebpf,
            links,
            arch,
            start,
            args,
        })
    }
}

impl Recorder {
    /// Waits up to `grace` for every task in the window to exit, reads the maps and detaches.
    ///
    /// # Errors
    /// A map the kernel will not read.
    pub fn finish(mut self, grace: Duration) -> Result<Finished, Error> {
        let deadline = Instant::now() + grace;
        let mut still_running = self.open_tasks()?;
        while still_running > 0 && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(2));
            still_running = self.open_tasks()?;
        }
        // Detach first: the machine stops paying for the hooks, and the counts stop moving.
        self.links.clear();
        let counts: PerCpuArray<&MapData, u64> =
            PerCpuArray::try_from(self.map("COUNTS")?).map_err(map_err("COUNTS"))?;
        let mut recording = Recording::new(self.arch);
        let compat_arch = compat_arch(self.arch);
        let mut compat = BTreeMap::new();
        let mut exec_handoff = BTreeMap::new();
        let mut seen = 0u64;
        let used: PerCpuArray<&MapData, u64> =
            PerCpuArray::try_from(self.map("USED")?).map_err(map_err("USED"))?;
        let mut slots = Vec::new();
        for word in 0..slot::BLOCKS * MAX_SYSCALL_NR / 64 {
            let bits = used
                .get(&word, 0)
                .map_err(map_err("USED"))?
                .iter()
                .fold(0u64, |a, b| a | b);
            slots.extend(
                (0..64)
                    .filter(|b| bits & (1 << b) != 0)
                    .map(|b| word * 64 + b),
            );
        }
        for index in slots {
            let calls: u64 = counts
                .get(&index, 0)
                .map_err(map_err("COUNTS"))?
                .iter()
                .sum();
            if calls == 0 {
                continue;
            }
            seen += calls;
            let (block, nr) = (index / MAX_SYSCALL_NR, index % MAX_SYSCALL_NR);
            let (arch, into) = if block & slot::COMPAT != 0 {
                // Runtimes are native code: 32-bit calls, handoff or not, are the workload's.
                (compat_arch, &mut compat)
            } else if block & slot::HANDOFF != 0 {
                if block & slot::JOINED != 0 {
                    if let Some(name) = profiles::syscalls::name(self.arch, nr) {
                        *exec_handoff.entry(name.to_string()).or_default() += calls;
                    }
                }
                (Some(self.arch), &mut recording.handoff)
            } else {
                (Some(self.arch), &mut recording.syscalls)
            };
            match arch.and_then(|a| profiles::syscalls::name(a, nr)) {
                Some(name) => {
                    *into.entry(name.to_string()).or_default() += calls;
                }
                None => {
                    *recording.unnamed.entry(nr).or_default() += calls;
                }
            }
        }
        if let (Some(arch), false) = (compat_arch, compat.is_empty()) {
            recording.compat = Some(CompatCalls {
                arch,
                syscalls: compat,
            });
        }
        if self.start == Start::Exec {
            // The execve that opened the window ran before it: a launcher applying the
            // profile before exec'ing the command needs it.
            *recording.syscalls.entry("execve".to_string()).or_default() += 1;
        }
        recording.args = self.arg_values("ARG_VALUES")?;
        let handoff_args = self.arg_values(rpod_ebpf_common::maps::HANDOFF_ARG_VALUES)?;
        let stats: PerCpuArray<&MapData, u64> =
            PerCpuArray::try_from(self.map("STATS")?).map_err(map_err("STATS"))?;
        let stat = |i: u32| -> Result<u64, Error> {
            Ok(stats.get(&i, 0).map_err(map_err("STATS"))?.iter().sum())
        };
        let lost_arg_values = stat(stats::LOST_ARG_VALUES)?;
        let out_of_range = stat(stats::OUT_OF_RANGE)?;
        let seen = seen + out_of_range;
        if lost_arg_values > 0 {
            // Some values are missing: a rule listing the others would deny them.
            recording.args.clear();
        }
        Ok(Finished {
            seen,
            lost_tasks: stat(stats::LOST_TASKS)?,
            lost_arg_values,
            out_of_range,
            still_running,
            recording,
            exec_handoff,
            handoff_args,
            arg_specs: self.args.values().cloned().collect(),
        })
    }

    /// The argument values in the map `name` (`ARG_VALUES` or `HANDOFF_ARG_VALUES`).
    fn arg_values(&self, name: &'static str) -> Result<BTreeMap<String, RecordedArg>, Error> {
        let values: HashMap<&MapData, ArgKey, u64> =
            HashMap::try_from(self.map(name)?).map_err(map_err(name))?;
        let mut out: BTreeMap<String, RecordedArg> = BTreeMap::new();
        for item in values.iter() {
            let (key, calls) = item.map_err(map_err(name))?;
            let Some((syscall, spec)) = self.args.get(&key.nr) else {
                continue;
            };
            out.entry(syscall.clone())
                .or_insert_with(|| RecordedArg {
                    index: spec.index,
                    mask: spec.mask,
                    values: BTreeMap::new(),
                })
                .values
                .insert(key.value, calls);
        }
        Ok(out)
    }

    fn map(&self, name: &'static str) -> Result<&aya::maps::Map, Error> {
        self.ebpf.map(name).ok_or(Error::Map {
            map: name,
            source: None,
        })
    }

    /// Tasks of the tree currently in the window: the sum of the per-CPU enter/leave deltas.
    fn open_tasks(&self) -> Result<usize, Error> {
        let stats: PerCpuArray<&MapData, u64> =
            PerCpuArray::try_from(self.map("STATS")?).map_err(map_err("STATS"))?;
        let sum = stats
            .get(&stats::OPEN_DELTA, 0)
            .map_err(map_err("STATS"))?
            .iter()
            .fold(0u64, |a, v| a.wrapping_add(*v));
        // Negative (a task that entered before an exit was counted on another CPU) reads as 0.
        Ok(usize::try_from(i64::from_ne_bytes(sum.to_ne_bytes())).unwrap_or(0))
    }
}

/// The inode number of the calling process's pid namespace: the one the program never follows.
fn own_pid_namespace() -> Result<u32, Error> {
    use std::os::unix::fs::MetadataExt as _;
    let path = "/proc/self/ns/pid";
    let ino = std::fs::metadata(path)
        .map_err(|e| Error::PidNamespace {
            why: format!("{path}: {e}"),
        })?
        .ino();
    u32::try_from(ino).map_err(|_| Error::PidNamespace {
        why: format!("{path}: inode number {ino} is above 32 bits"),
    })
}

/// The kernel's `pid_max`: thread ids are below it, and `TASKS` is indexed by them.
fn pid_max() -> Result<u32, Error> {
    let path = "/proc/sys/kernel/pid_max";
    std::fs::read_to_string(path)
        .map_err(|e| e.to_string())
        .and_then(|s| s.trim().parse::<u32>().map_err(|e| e.to_string()))
        .map_err(|why| Error::PidMax { why })
}

/// The 32-bit ABI a native arch runs.
fn compat_arch(native: Arch) -> Option<Arch> {
    match native {
        Arch::X86_64 => Some(Arch::X86),
        Arch::Aarch64 => Some(Arch::Arm),
        _ => None,
    }
}

fn program<'a>(
    ebpf: &'a mut Ebpf,
    name: &'static str,
) -> Result<&'a mut aya::programs::Program, Error> {
    ebpf.program_mut(name).ok_or(Error::Program {
        program: name,
        source: aya::programs::ProgramError::UnexpectedProgramType,
    })
}
