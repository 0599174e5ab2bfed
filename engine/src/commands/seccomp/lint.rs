//! `rpod seccomp lint PROFILE [--fail-on SEVERITY]`.
//!
//! [`profiles::lint`] judges the profile; this command adds what only the engine knows: the
//! calls runc and crun make between installing the filter and exec'ing the workload
//! ([`rpod::runtime::handoff`], measured on this machine's runtimes). The handoff list stays
//! with the runtimes it describes (`profiles` knows nothing of containers, STYLE.md); the
//! check is the same [`handoff::denied`] that `rpod run` refuses a container with, so lint and
//! run cannot disagree.

use oci_spec::runtime::{LinuxBuilder, LinuxSeccomp, Spec};
use profiles::lint::{self, Finding, LintId, Location, Severity};
use profiles::model::{Filter, Profile, Rule};
use profiles::resolve::Context;

use super::{context, load_profile, within_budget};
use crate::cli::seccomp::{FailOn, LintArgs, OutputFormat};
use rpod::exit::ExitStatus;
use rpod::runtime::{handoff, Denied};

/// The runtimes whose handoffs a profile must allow, as `rpod run --runtime` names them.
const RUNTIMES: [&str; 2] = ["runc", "crun"];

pub fn run(args: &LintArgs) -> anyhow::Result<ExitStatus> {
    let profile = load_profile(&args.profile, &args.context)?;
    let (cx, _) = context(&args.context)?;
    let report = within_budget("lint", &args.profile, || {
        let extra = handoff_findings(&profile, &cx);
        lint::lint(&profile, &cx).with(extra)
    })?;
    match args.format {
        OutputFormat::Text => print!("{}", report.to_text()),
        OutputFormat::Json => print!("{}", report.to_json_pretty()),
    }
    let threshold = match args.fail_on {
        FailOn::Info => Some(Severity::Info),
        FailOn::Low => Some(Severity::Low),
        FailOn::Medium => Some(Severity::Medium),
        FailOn::High => Some(Severity::High),
        FailOn::Critical => Some(Severity::Critical),
        FailOn::Never => None,
    };
    let failed = threshold.is_some_and(|t| lint::fails(&report.findings, t));
    Ok(if failed {
        ExitStatus::Found
    } else {
        ExitStatus::Success
    })
}

/// The profile as the runtime is given it for `cx`: `includes`/`excludes` resolved, so the
/// handoff is judged for the container linted, not for the default capabilities.
fn runtime_section(profile: &Profile, cx: &Context) -> Option<LinuxSeccomp> {
    let resolved = profile.resolve(cx);
    let mut flat = Profile::new(profile.default_action);
    flat.default_errno_ret = profile.default_errno_ret;
    flat.architectures.clone_from(&resolved.arches);
    flat.syscalls = resolved
        .rules
        .iter()
        .filter_map(|r| {
            let origin = profile.syscalls.get(r.origin)?;
            Some(Rule {
                names: r.names.clone(),
                action: origin.action,
                errno_ret: origin.errno_ret,
                args: r.args.clone(),
                comment: String::new(),
                includes: Filter::default(),
                excludes: Filter::default(),
            })
        })
        .collect();
    serde_json::from_str(&flat.to_json_pretty()).ok()
}

/// One finding per runtime whose handoff the profile denies (issue 14: a host recording,
/// `rpod seccomp record` without `--for-container`, has no handoff and the container does not
/// start). Judged on this machine's arch only, where the runtimes were measured.
fn handoff_findings(profile: &Profile, cx: &Context) -> Vec<Finding> {
    if cx.host_arch != Context::default().host_arch {
        return Vec::new();
    }
    let Some(seccomp) = runtime_section(profile, cx) else {
        return Vec::new();
    };
    let Ok(linux) = LinuxBuilder::default().seccomp(seccomp).build() else {
        return Vec::new();
    };
    let mut spec = Spec::default();
    spec.set_linux(Some(linux));
    RUNTIMES
        .iter()
        .filter_map(|runtime| {
            let denied = handoff::denied(runtime, &spec);
            (!denied.is_empty()).then(|| finding(runtime, &denied))
        })
        .collect()
}

fn finding(runtime: &str, denied: &[Denied]) -> Finding {
    let listed: Vec<String> = denied
        .iter()
        .map(|d| {
            let action = profiles::analysis::action_label(d.action);
            if d.partly {
                format!("{} ({action} for some arguments)", d.syscall)
            } else {
                format!("{} ({action})", d.syscall)
            }
        })
        .collect();
    let quoted: Vec<String> = denied
        .iter()
        .map(|d| format!("\"{}\"", d.syscall))
        .collect();
    Finding {
        id: LintId::MissingRuntimeHandoff,
        severity: Severity::High,
        location: Location::top(""),
        message: format!(
            "{runtime} makes these calls between installing the filter and exec'ing the workload, and the profile denies them: {}; the container does not start under {runtime} (`rpod run` refuses it); a recording of a host command (`rpod seccomp record`) has no runtime handoff",
            listed.join(", ")
        ),
        fix: format!(
            "record again with `rpod seccomp record --for-container` (or the io.containers.trace-syscall annotation), which allows both runtimes' handoffs, or add {{\"names\": [{}], \"action\": \"SCMP_ACT_ALLOW\"}}",
            quoted.join(", ")
        ),
    }
}
