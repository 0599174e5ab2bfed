//! `rpod exec`: another process in a running container, with podman's `-i -t -e --env-file
//! -u -w -d`. Its status is rpod's; the container's own exit code is not touched (issue 13).

use anyhow::Context as _;

use super::lifecycle::{is_missing, no_such_container};
use crate::cli::container::{ExecArgs, ExecMonitorArgs};
use crate::commands::report;
use crate::commands::usage;
use rpod::container::{Container, ExecRequest, TtyIo};
use rpod::exit::ExitStatus;
use rpod::runtime::Runtimes;
use rpod::storage::Store;

/// `KEY=VALUE` as given; `KEY` alone takes rpod's own value, and is dropped when rpod has
/// none (podman's rule for `-e` and env files).
fn env_entry(e: &str) -> Option<String> {
    if e.contains('=') {
        Some(e.to_string())
    } else {
        std::env::var(e).ok().map(|v| format!("{e}={v}"))
    }
}

/// The entries of an `--env-file`: one a line, blank lines and `#` comments skipped.
fn env_file(path: &std::path::Path) -> anyhow::Result<Vec<String>> {
    let text = crate::commands::io::read_flag_file(path, "--env-file")?;
    Ok(text
        .lines()
        .map(str::trim_start)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .filter_map(env_entry)
        .collect())
}

/// podman's refusal and status for an exec in a container that is not running (libpod's
/// ErrCtrStateInvalid, which exec reports with 255).
fn not_running() -> ExitStatus {
    eprintln!(
        "Error: can only create exec sessions on running containers: container state improper"
    );
    ExitStatus::Container(255)
}

pub fn exec(store: &Store, rt: &dyn Runtimes, a: &ExecArgs) -> anyhow::Result<ExitStatus> {
    if a.preserve_fds > 0 {
        // Refused rather than run without the descriptors asked for.
        return Err(usage(
            "rpod exec --preserve-fds is not supported yet",
            "pass what the process needs through a file or a volume",
        ));
    }
    if a.tty && a.detach {
        return Err(usage(
            "a detached exec session has no terminal to attach",
            "drop -t, or -d",
        ));
    }
    let mut c = match Container::lookup(store, rt, &a.container) {
        Ok(c) => c,
        Err(e) if is_missing(&e) => return Err(no_such_container(&a.container)),
        Err(e) => return Err(e.into()),
    };
    // Files first, then -e: the later setting wins, as podman.
    let mut env = Vec::new();
    for f in &a.env_files {
        env.extend(env_file(f)?);
    }
    env.extend(a.env.iter().filter_map(|e| env_entry(e)));
    let req = ExecRequest {
        command: a.command.clone(),
        env,
        workdir: a.workdir.clone(),
        user: a.user.clone(),
        detach: a.detach,
    };
    let out = report::container_stdout().context("cannot open stdout")?;
    report::info(format_args!("exec {:?} in container {}", a.command, c.id()));
    if a.tty {
        let io = TtyIo {
            stdin: a.interactive,
            out: Box::new(out),
        };
        return match c.exec_tty(&req, io) {
            Err(rpod::container::Error::NotRunning { .. }) => Ok(not_running()),
            r => Ok(r?),
        };
    }
    if a.detach {
        // podman prints the detached session's id.
        let exe = std::env::current_exe().context("cannot find rpod's own executable")?;
        let id = c.id().to_string();
        let monitor = |session: &str| exec_monitor_command(&exe, store, &id, session);
        return match c.exec_detached(&req, monitor) {
            Ok(id) => {
                println!("{id}");
                Ok(ExitStatus::Success)
            }
            Err(rpod::container::Error::NotRunning { .. }) => Ok(not_running()),
            Err(e) => Err(e.into()),
        };
    }
    let stdin = if a.interactive {
        std::process::Stdio::inherit()
    } else {
        std::process::Stdio::null()
    };
    match c.exec_session(&req, stdin, out.into(), Box::new(std::io::stderr())) {
        Ok(s) => Ok(s),
        Err(rpod::container::Error::NotRunning { .. }) => Ok(not_running()),
        Err(e) => Err(e.into()),
    }
}

/// `rpod container exec-monitor CTR SESSION`, with this store.
fn exec_monitor_command(
    exe: &std::path::Path,
    store: &Store,
    container: &str,
    session: &str,
) -> std::process::Command {
    let mut cmd = std::process::Command::new(exe);
    cmd.arg("--root")
        .arg(store.root())
        .arg("--runroot")
        .arg(store.runroot())
        .args(["container", "exec-monitor", container, session]);
    cmd
}

/// The hidden monitor of a detached exec session: its own session, then the process to its end.
pub fn monitor(
    store: &Store,
    rt: &dyn Runtimes,
    a: &ExecMonitorArgs,
) -> anyhow::Result<ExitStatus> {
    let _ = nix::unistd::setsid();
    let mut c = Container::lookup(store, rt, &a.container)?;
    c.exec_monitor(&a.session)?;
    Ok(ExitStatus::Success)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn env_files_skip_comments_and_blank_lines_and_copy_bare_keys() {
        let d = tempfile::tempdir().expect("tempdir");
        let f = d.path().join("env");
        std::fs::write(
            &f,
            "# c\n\nA=1\n  B=two words\nPATH\nRPOD_SURELY_UNSET_13\n",
        )
        .expect("write");
        let got = env_file(&f).expect("read");
        assert_eq!(got[..2], ["A=1".to_string(), "B=two words".to_string()]);
        assert!(got[2].starts_with("PATH="), "{got:?}");
        assert_eq!(got.len(), 3);
    }
}
