//! `rpod seccomp ...`: the profile toolbox.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

/// Text for people or JSON for programs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum OutputFormat {
    #[default]
    Text,
    Json,
}

/// What `compile` writes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum CompileFormat {
    /// The normalized OCI profile (sorted, pretty, deterministic).
    #[default]
    Json,
    /// The raw `struct sock_filter` array, as `seccomp(2)` takes it.
    Bpf,
}

/// Whose filter a command shows.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum RuntimeChoice {
    /// runc 1.1: libseccomp's filter behind runc's ENOSYS stub (syscall numbers above the
    /// profile's highest get ENOSYS unless the default action is ALLOW, LOG or TRACE).
    Runc,
    /// crun 1.8: libseccomp's filter as exported, nothing added.
    Crun,
    /// No runtime: libseccomp's filter alone (for `simulate`, `disasm` and `compile --format
    /// bpf` of a policy: rpod's own BPF of the policy). No runtime loads exactly this.
    None,
}

/// `--runtime`: the runtime whose filter is shown.
#[derive(Debug, Clone, Copy, Args, Default)]
pub struct RuntimeArgs {
    /// Show the filter this runtime installs for a policy or profile: `runc` (the default, as
    /// `rpod run`; but `compile --format bpf` of a policy writes rpod's own program unless
    /// given a runtime), `crun`, or `none` (no runtime's additions). Not for a raw .bpf file.
    #[arg(long, value_enum, value_name = "RUNTIME")]
    pub runtime: Option<RuntimeChoice>,
}

/// The container a profile is evaluated for: `includes`/`excludes` in podman's and moby's
/// profiles depend on it.
#[derive(Debug, Clone, Args, Default)]
pub struct ContextArgs {
    /// Architecture of the filter (repeatable). The first one is the host's; without it the
    /// host is this machine and the arches come from the profile (`architectures`, `archMap`).
    /// Names: x86_64, x86, x32, aarch64, arm, riscv64, s390x, ppc64le, ... or SCMP_ARCH_*.
    #[arg(long = "arch", value_name = "ARCH")]
    pub arches: Vec<String>,
    /// Add a capability to podman's default set (repeatable; `SYS_ADMIN` or `CAP_SYS_ADMIN`;
    /// `ALL` for every capability, as with `--privileged`).
    #[arg(long = "cap-add", value_name = "CAP")]
    pub cap_add: Vec<String>,
    /// Drop a capability from the set (repeatable; `ALL` drops every capability).
    #[arg(long = "cap-drop", value_name = "CAP")]
    pub cap_drop: Vec<String>,
    /// Kernel version for `minKernel` rules, e.g. `6.1` (default: a current kernel).
    #[arg(long, value_name = "MAJOR.MINOR")]
    pub kernel: Option<String>,
}

/// Review, compile and test seccomp profiles.
///
/// PROFILE is OCI seccomp JSON (the `linux.seccomp` object, as podman's
/// `--security-opt seccomp=FILE` takes it), or `-` for stdin.
#[derive(Debug, Subcommand)]
pub enum Seccomp {
    /// Check a profile or a policy and print every problem.
    ///
    /// A profile (OCI JSON) is read strictly: every problem with its JSON path. A policy is
    /// valid when it parses, resolves and lowers to OCI JSON for this machine's arch (the form
    /// `rpod run --security-opt seccomp=POLICY` hands the runtime; `rpod run` also refuses a
    /// profile that denies the runtime's own calls); its diagnostics are printed as `compile`
    /// prints them. Exit 0 when valid (warnings are printed but pass), 1 when invalid.
    ///
    /// Example: rpod seccomp validate /usr/share/containers/seccomp.json
    Validate(ValidateArgs),
    /// Compile a Kafel-like policy or an OCI profile to OCI JSON or to a raw BPF program.
    ///
    /// A policy (`.kafel`/`.policy`, or any text that is not JSON) becomes an OCI profile with
    /// exactly its meaning (first-match rules made disjoint); a JSON profile becomes normalized
    /// JSON. With `--format bpf`, a policy becomes a program compiled by rpod with Kafel's full
    /// semantics (also what OCI JSON cannot say), and a profile the BPF program the runtime
    /// (`--runtime`, default runc) installs for it: runc's ENOSYS stub in front of libseccomp's
    /// filter, or crun's libseccomp filter; `--runtime none` writes libseccomp's filter alone.
    /// `--runtime runc|crun` with a policy writes what that runtime installs for the policy
    /// lowered to OCI JSON (as `rpod run` hands it over). Where libseccomp or the runtime would
    /// change the meaning, a warning says so.
    ///
    /// Example: rpod seccomp compile policy.kafel -o profile.json
    Compile(CompileArgs),
    /// Turn an OCI profile back into a readable Kafel-like policy.
    ///
    /// `rpod seccomp compile` of the result gives a profile with the same meaning.
    ///
    /// Example: rpod seccomp decompile /usr/share/containers/seccomp.json -o podman.kafel
    Decompile(DecompileArgs),
    /// Record the syscalls of a command run on the host into a profile.
    ///
    /// The command runs with rpod's eBPF recorder attached (root needed), from its execve to
    /// the exit of its last descendant, threads and children included. The profile denies
    /// (EPERM) what was not recorded. Exit status: the command's (128+N when killed by
    /// signal N), 127 when it cannot be found, 125 when the recording fails. Ctrl-C stops the
    /// command and the profile is still written.
    ///
    /// For containers use `rpod run --annotation io.containers.trace-syscall=of:OUT`; a
    /// profile of a host command meant for a container needs --for-container.
    ///
    /// `--runs N` runs it N times and merges the recordings, to find the paths one run misses.
    ///
    /// Example: rpod seccomp record -o ls.json --args socket,mmap -- ls -l /
    Record(RecordArgs),
    /// Format Kafel-like policies canonically, in place.
    ///
    /// With --check nothing is written: exit 1 when a file is not formatted. `-` formats stdin
    /// to stdout. A file rewritten keeps its mode.
    ///
    /// Example: rpod seccomp fmt --check --format json policies/*.kafel
    Fmt(FmtArgs),
    /// Print the action a policy, profile or BPF program takes for one syscall.
    ///
    /// Prints ALLOW, ERRNO(1), KILL_PROCESS, KILL_THREAD, TRAP(n), TRACE(n), LOG or NOTIFY.
    /// SYSCALL is a name or a number; arguments are decimal or 0x-hex (missing ones are 0).
    /// A policy or profile is simulated as the runtime (`--runtime`, default runc) installs it,
    /// which stderr names; a .bpf file as it is.
    ///
    /// Example: rpod seccomp simulate profile.json socket 16 3 9
    Simulate(SimulateArgs),
    /// Disassemble the BPF program of a policy, a profile or a raw .bpf file.
    ///
    /// A policy or profile is shown as the runtime (`--runtime`, default runc) installs it; the
    /// first line says which.
    ///
    /// Example: rpod seccomp disasm profile.json --arch x86_64
    Disasm(DisasmArgs),
    /// Explain what a policy or profile allows and denies, grouped by action and category.
    ///
    /// The meaning changes at the end are those of the runtime's filter (`--runtime`, default
    /// runc), e.g. runc's ENOSYS for syscalls above the highest one named.
    ///
    /// Example: rpod seccomp explain /usr/share/containers/seccomp.json --cap-add SYS_ADMIN
    Explain(ExplainArgs),
    /// Show the semantic difference of two profiles, with a witness syscall for each.
    ///
    /// Exit 0 when they are equivalent, 1 when they differ.
    ///
    /// Example: rpod seccomp diff old.json new.json --format json
    Diff(DiffArgs),
    /// Show the syscalls a container's seccomp filter denied: how often, from which process.
    ///
    /// Collected while the container runs (docs/denials.md); kept with the container.
    Denials(DenialsArgs),
    /// Merge profiles: the union of what each allows; on conflict the stricter action wins.
    ///
    /// Example: rpod seccomp merge recorded.json extra.json -o merged.json
    Merge(MergeArgs),
    /// Lint a profile for dangerous allows, bypasses and meaning changes.
    ///
    /// Exit 1 when a finding at or above --fail-on exists.
    ///
    /// Example: rpod seccomp lint profile.json --fail-on high --format json
    Lint(LintArgs),
}

#[derive(Debug, Args)]
pub struct ValidateArgs {
    /// The profile (OCI JSON) or policy (Kafel-like) to check; `-` reads stdin.
    pub profile: PathBuf,
    /// Output: `text` for people, `json` for programs.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct CompileArgs {
    /// The policy (Kafel-like) or profile (OCI JSON) to compile; `-` reads stdin.
    pub profile: PathBuf,
    /// Write here instead of stdout (atomically: a temporary file renamed into place).
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// `json`: an OCI profile; `bpf`: the raw sock_filter array.
    #[arg(long, value_enum, default_value_t)]
    pub format: CompileFormat,
    /// Search this directory for a policy's `#include` files (repeatable), after the
    /// including file's own directory.
    #[arg(short = 'I', long = "include-dir", value_name = "DIR")]
    pub include_dirs: Vec<PathBuf>,
    #[command(flatten)]
    pub runtime: RuntimeArgs,
    #[command(flatten)]
    pub context: ContextArgs,
}

#[derive(Debug, Args)]
pub struct DecompileArgs {
    /// The OCI profile; `-` reads stdin.
    pub profile: PathBuf,
    /// Write here instead of stdout (atomically).
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    #[command(flatten)]
    pub context: ContextArgs,
}

#[derive(Debug, Args)]
pub struct RecordArgs {
    /// Write the profile here (atomically; a symlink or non-regular file is refused), and
    /// how often each syscall was seen next to it (`OUT.counts.json`). Without it the profile
    /// is printed on stdout when the command exits.
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Start from this profile (as the annotation's `if:`): its rules are kept, what it
    /// blocks stays blocked, the recorded syscalls are added. Give the previous output to
    /// merge recordings.
    #[arg(short, long, value_name = "IN")]
    pub input: Option<PathBuf>,
    /// Record argument values of these syscalls and allow only those: `NAME` (rpod's default
    /// argument: socket family, clone flags, ioctl request, prctl option, PROT_EXEC of
    /// mmap/mprotect, personality), `NAME:INDEX` or `NAME:INDEX:MASK`, comma-separated.
    #[arg(long, value_name = "LIST")]
    pub args: Option<String>,
    /// Never allow more than this profile allows (as the annotation's `base:`): its argument
    /// restrictions are kept for every recorded syscall, and what the command needed beyond
    /// it is reported. Default: rpod's default profile (podman's).
    #[arg(long, value_name = "FILE")]
    pub base: Option<PathBuf>,
    /// Make the profile start a container: also allow the calls runc and crun make between
    /// installing the filter and exec'ing the workload (their handoff), as container
    /// recordings do. Without it the profile holds only what the command did.
    #[arg(long)]
    pub for_container: bool,
    /// Run the command N times, one after the other, and merge the recordings (as `-i` of
    /// the previous output would): the counts file says which syscalls were not seen in every
    /// run (`not_in_every_recording`), and so does a line on stderr.
    #[arg(long, value_name = "N", default_value_t = 1, value_parser = runs)]
    pub runs: u32,
    /// The command and its arguments.
    #[arg(required = true, last = true, value_name = "COMMAND")]
    pub command: Vec<std::ffi::OsString>,
}

#[derive(Debug, Args)]
pub struct FmtArgs {
    /// Policy files to format in place; `-` formats stdin to stdout.
    #[arg(required = true)]
    pub files: Vec<PathBuf>,
    /// Write nothing; exit 1 when a file is not formatted.
    #[arg(long)]
    pub check: bool,
    /// Output: `text` for people; `json` for programs: a report of each file, whether it
    /// changed (with --check: would change) and where it first differs, on stdout.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}

#[derive(Debug, Args)]
pub struct SimulateArgs {
    /// A policy (Kafel-like), a profile (JSON) or a raw BPF program (`.bpf`, as `compile
    /// --format bpf` writes); `-` reads stdin.
    pub input: PathBuf,
    /// The syscall: a name (`openat`) or a number (`257`, `0x101`).
    pub syscall: String,
    /// Up to six arguments, decimal or 0x-hex; negative decimals are two's complement.
    #[arg(value_name = "ARG", num_args = 0..=6, allow_negative_numbers = true)]
    pub args: Vec<String>,
    /// Output: `text` for people, `json` for programs.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
    #[command(flatten)]
    pub runtime: RuntimeArgs,
    #[command(flatten)]
    pub context: ContextArgs,
}

#[derive(Debug, Args)]
pub struct DisasmArgs {
    /// A policy (Kafel-like), a profile (JSON) or a raw BPF program (`.bpf`); `-` reads stdin.
    pub input: PathBuf,
    #[command(flatten)]
    pub runtime: RuntimeArgs,
    #[command(flatten)]
    pub context: ContextArgs,
}

#[derive(Debug, Args)]
pub struct ExplainArgs {
    /// The policy (Kafel-like) or profile (JSON) to explain; `-` reads stdin.
    pub profile: PathBuf,
    /// Output: `text` for people, `json` for programs.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
    #[command(flatten)]
    pub runtime: RuntimeArgs,
    #[command(flatten)]
    pub context: ContextArgs,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The old profile.
    pub a: PathBuf,
    /// The new profile.
    pub b: PathBuf,
    /// Output: `text` for people, `json` for programs.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
    #[command(flatten)]
    pub context: ContextArgs,
}

/// How merge settles a conflict between an allow and an explicit deny.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum, Default)]
pub enum Prefer {
    /// The stricter action wins.
    #[default]
    Stricter,
    /// The more permissive action wins.
    Permissive,
}

/// The merged profile's default action (`merge --default-action`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum DefaultAction {
    /// SCMP_ACT_ALLOW: needed when an input allows by default (a deny-list).
    Allow,
    /// SCMP_ACT_ERRNO with EPERM.
    Errno,
    /// SCMP_ACT_KILL_PROCESS.
    KillProcess,
    /// SCMP_ACT_KILL_THREAD.
    KillThread,
    /// SCMP_ACT_TRAP.
    Trap,
    /// SCMP_ACT_LOG.
    Log,
}

#[derive(Debug, Args)]
pub struct MergeArgs {
    /// Two or more profiles.
    #[arg(required = true, num_args = 2..)]
    pub profiles: Vec<PathBuf>,
    /// Write here instead of stdout (atomically).
    #[arg(short, long, value_name = "OUT")]
    pub output: Option<PathBuf>,
    /// Which action wins a conflict.
    #[arg(long, value_enum, default_value_t)]
    pub prefer: Prefer,
    /// The merged profile's default action (default: the stricter of the inputs'). `allow`
    /// merges an input that allows by default exactly.
    #[arg(long, value_enum, value_name = "ACTION")]
    pub default_action: Option<DefaultAction>,
    /// Format of the conflict report on stderr.
    /// Output: `text` for people, `json` for programs.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
    #[command(flatten)]
    pub context: ContextArgs,
}

/// Severity threshold for `lint --fail-on`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum FailOn {
    Info,
    Low,
    Medium,
    High,
    Critical,
    /// Never fail on findings.
    Never,
}

#[derive(Debug, Args)]
pub struct LintArgs {
    /// The profile to lint.
    pub profile: PathBuf,
    /// Output: `text` for people, `json` for programs.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
    /// Exit 1 when a finding has at least this severity.
    #[arg(long, value_enum, default_value = "high")]
    pub fail_on: FailOn,
    #[command(flatten)]
    pub context: ContextArgs,
}

/// `--runs N`: 1 to 1000 (the message names the flag: rpod prints a parser's message alone).
fn runs(s: &str) -> Result<u32, String> {
    match s.parse::<u32>() {
        Ok(n) if (1..=1000).contains(&n) => Ok(n),
        _ => Err(format!(
            "--runs takes a number of runs from 1 to 1000, not {s:?}"
        )),
    }
}

#[derive(Debug, Args)]
pub struct DenialsArgs {
    /// The container (name or ID).
    pub container: String,
    /// Text for people or JSON for programs.
    #[arg(long, value_enum, default_value_t)]
    pub format: OutputFormat,
}
