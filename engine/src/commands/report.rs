//! How engine commands report, as podman does: the errors of a command that went on past some
//! ([`Failures`]), `--log-level` messages on stderr ([`debug`], [`info`], [`warn`]), and
//! `--noout` ([`noout`], [`container_stdout`]).

use std::fmt;
use std::os::fd::OwnedFd;
use std::sync::atomic::{AtomicU8, Ordering};
use std::sync::OnceLock;

use rpod::exit::ExitStatus;

/// Several errors of one command (`rpod rm a b c` goes on after `a`), and the status it ends
/// with. `main` prints each as podman does and exits with `status`. Displayed as the last.
#[derive(Debug)]
pub struct Failures {
    pub status: ExitStatus,
    pub errors: Vec<anyhow::Error>,
}

impl fmt::Display for Failures {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.errors.last() {
            Some(e) => write!(f, "{e:#}"),
            None => f.write_str("no error"),
        }
    }
}

impl std::error::Error for Failures {}

/// How bad a status is among a command's failures: podman ends `rm` and `rmi` with the
/// worst (125 an error of its own, then 2 in use or running, then 1 missing).
fn rank(s: ExitStatus) -> u8 {
    match s {
        ExitStatus::InUse => 2,
        ExitStatus::Missing => 1,
        ExitStatus::Success => 0,
        _ => 3,
    }
}

/// Collects a command's failures as it goes on past them.
#[derive(Debug, Default)]
pub struct Collect {
    failures: Vec<(ExitStatus, anyhow::Error)>,
}

impl Collect {
    pub fn fail(&mut self, status: ExitStatus, e: impl Into<anyhow::Error>) {
        self.failures.push((status, e.into()));
    }

    /// `Ok(ok)` when nothing failed, else the [`Failures`] with the worst status.
    ///
    /// # Errors
    /// The failures collected.
    pub fn finish(self, ok: ExitStatus) -> anyhow::Result<ExitStatus> {
        if self.failures.is_empty() {
            return Ok(ok);
        }
        let status = self
            .failures
            .iter()
            .map(|(s, _)| *s)
            .max_by_key(|s| rank(*s))
            .unwrap_or(ExitStatus::RpodError);
        Err(Failures {
            status,
            errors: self.failures.into_iter().map(|(_, e)| e).collect(),
        }
        .into())
    }
}

/// `--log-level`, as podman (logrus) names them, most verbose first.
pub const LEVELS: [&str; 8] = [
    "trace", "debug", "info", "warn", "warning", "error", "fatal", "panic",
];

/// 0 trace, 1 debug, 2 info, 3 warn, 4 error, 5 fatal, 6 panic.
static LEVEL: AtomicU8 = AtomicU8::new(3);

/// Sets the level from `--log-level`; `false` for a name podman does not know.
pub fn set_level(name: &str) -> bool {
    let n = match name {
        "trace" => 0,
        "debug" => 1,
        "info" => 2,
        "warn" | "warning" => 3,
        "error" => 4,
        "fatal" => 5,
        "panic" => 6,
        _ => return false,
    };
    LEVEL.store(n, Ordering::Relaxed);
    true
}

/// A message on stderr in logrus's text form, as podman prints it:
/// `time="2026-12-07T17:03:51Z" level=warning msg="..."`.
fn say(level: u8, name: &str, msg: &dyn fmt::Display) {
    if LEVEL.load(Ordering::Relaxed) > level {
        return;
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| i64::try_from(d.as_secs()).unwrap_or(0));
    let msg = msg.to_string().replace('\\', "\\\\").replace('"', "\\\"");
    eprintln!(
        "time=\"{}\" level={name} msg=\"{}\"",
        rpod::time::format_unix(now),
        rpod::term::shown(&msg)
    );
}

pub fn debug(msg: impl fmt::Display) {
    say(1, "debug", &msg);
}

pub fn info(msg: impl fmt::Display) {
    say(2, "info", &msg);
}

pub fn warn(msg: impl fmt::Display) {
    say(3, "warning", &msg);
}

/// rpod's stdout before `--noout` sent it to /dev/null: where a container's output goes.
static STDOUT: OnceLock<OwnedFd> = OnceLock::new();

/// `--noout`: rpod's own stdout goes to /dev/null; containers' output keeps the real one.
///
/// # Errors
/// /dev/null cannot be opened or stdout not redirected.
pub fn noout() -> anyhow::Result<()> {
    use anyhow::Context as _;
    let saved = nix::unistd::dup(std::io::stdout()).context("cannot duplicate stdout")?;
    let _ = STDOUT.set(saved);
    let null = std::fs::OpenOptions::new()
        .write(true)
        .open("/dev/null")
        .context("cannot open /dev/null for --noout")?;
    nix::unistd::dup2_stdout(&null).context("cannot redirect stdout to /dev/null")?;
    Ok(())
}

/// Where a container's own output goes: rpod's stdout as it was before `--noout`.
///
/// # Errors
/// The descriptor cannot be duplicated.
pub fn container_stdout() -> std::io::Result<std::fs::File> {
    let fd = match STDOUT.get() {
        Some(fd) => fd.try_clone()?,
        None => nix::unistd::dup(std::io::stdout())?,
    };
    Ok(std::fs::File::from(fd))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_status_wins_and_125_is_worst() {
        let mut c = Collect::default();
        c.fail(ExitStatus::Missing, anyhow::anyhow!("missing"));
        c.fail(ExitStatus::InUse, anyhow::anyhow!("running"));
        let e = c.finish(ExitStatus::Success).unwrap_err();
        let f = e.downcast_ref::<Failures>().expect("failures");
        assert_eq!(f.status.code(), 2);
        assert_eq!(f.errors.len(), 2);
        let mut c = Collect::default();
        c.fail(ExitStatus::RpodError, anyhow::anyhow!("x"));
        c.fail(ExitStatus::Missing, anyhow::anyhow!("y"));
        let e = c.finish(ExitStatus::Success).unwrap_err();
        assert_eq!(e.downcast_ref::<Failures>().expect("f").status.code(), 125);
        assert!(Collect::default().finish(ExitStatus::Success).is_ok());
    }

    #[test]
    fn log_levels_are_podmans() {
        for l in LEVELS {
            assert!(set_level(l), "{l}");
        }
        assert!(!set_level("bogus"));
        assert!(!set_level("DEBUG"));
        set_level("warn");
    }
}
