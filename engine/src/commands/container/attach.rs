//! `rpod attach CONTAINER`: the output of a running (detached) container from now on, until
//! it exits; then rpod exits with the container's code.
//!
//! What podman does and rpod cannot yet: podman's conmon keeps an attach socket that relays
//! the container's stdin (for `-i`) and live output. rpod's monitor writes the output to the
//! log only and gives the container /dev/null as stdin when detached, so attach follows the
//! log (output only, stdout and stderr as logged); `--no-stdin` is therefore always in effect.
//! `--sig-proxy` (the default, as podman's) sends the signals rpod receives to the container's
//! process through the runtime, Ctrl-C included; `--sig-proxy=false` leaves them to rpod (Ctrl-C
//! ends the attach and leaves the container running).

use std::time::Duration;

use crate::cli::more::AttachArgs;
use rpod::container::{Container, LogCursor, LogReader};
use rpod::exit::ExitStatus;
use rpod::runtime::Runtimes;
use rpod::storage::{ContainerState, Store};

pub fn run(store: &Store, rt: &dyn Runtimes, a: &AttachArgs) -> anyhow::Result<ExitStatus> {
    let mut c = Container::lookup(store, rt, &a.container)?;
    if !c.is_running() {
        // podman's message alone (no hint line): scripts match the whole output.
        anyhow::bail!("you can only attach to running containers");
    }
    let reader = LogReader::new(&c.meta()?.log_path);
    // What was logged before the attach is not shown (podman shows only new output). The
    // cursor goes on after the log is truncated by max-size (issue 13: attach stalled).
    let mut cursor = LogCursor::default();
    reader.copy_new(&mut cursor, &mut std::io::sink(), &mut std::io::sink())?;
    if a.sig_proxy {
        // podman's attach proxies every signal but SIGCHLD, SIGKILL and SIGSTOP (and those
        // that cannot be caught); SIGINT and SIGQUIT too, unlike a foreground run: the
        // detached container's runtime is not in the terminal's process group.
        use signal_hook::consts::{SIGALRM, SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2};
        let runtime = rt.get(&c.record().runtime)?;
        let id = c.id().to_owned();
        let which = [SIGHUP, SIGINT, SIGQUIT, SIGTERM, SIGUSR1, SIGUSR2, SIGALRM];
        return super::run::proxy_signals(&which, runtime.as_ref(), &id, || {
            follow(&mut c, &reader, &mut cursor)
        })?;
    }
    follow(&mut c, &reader, &mut cursor)
}

/// Copies what the container logs after `cursor` until it exits; its status.
fn follow(
    c: &mut Container<'_>,
    reader: &LogReader,
    cursor: &mut LogCursor,
) -> anyhow::Result<ExitStatus> {
    let mut stdout = std::io::stdout();
    let mut stderr = std::io::stderr();
    loop {
        let alive = c.refresh()? && (c.is_running() || c.record().state == ContainerState::Created);
        // Read after the state: output written before the exit is printed before leaving.
        match reader.copy_new(cursor, &mut stdout, &mut stderr) {
            Ok(_) => {}
            // Removed with its log (--rm) after it exited.
            Err(_) if !alive => break,
            Err(e) => return Err(e.into()),
        }
        if !alive {
            break;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    // Removed meanwhile (--rm): its code is gone with it, as podman reports 0 then too.
    Ok(match c.record().exit_code {
        Some(code) if c.record().state == ContainerState::Exited => ExitStatus::Container(code),
        _ => ExitStatus::Success,
    })
}
