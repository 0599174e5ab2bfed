//! `rpod attach CONTAINER`: the output of a running (detached) container from now on, until
//! it exits; then rpod exits with the container's code.
//!
//! What podman does and rpod cannot yet: podman's conmon keeps an attach socket that relays
//! the container's stdin (for `-i`) and live output. rpod's monitor writes the output to the
//! log only and gives the container /dev/null as stdin when detached, so attach follows the
//! log (output only, stdout and stderr as logged) and does not forward signals; `--no-stdin`
//! is therefore always in effect, and `--sig-proxy` is accepted but nothing is proxied
//! (Ctrl-C ends the attach and leaves the container running).

use std::io::Write as _;
use std::time::Duration;

use crate::cli::more::AttachArgs;
use rpod::container::{Container, LogReader};
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
    let content = |reader: &LogReader| -> anyhow::Result<(Vec<u8>, Vec<u8>)> {
        let (mut o, mut e) = (Vec::new(), Vec::new());
        reader.copy_to(&mut o, &mut e)?;
        Ok((o, e))
    };
    // What was logged before the attach is not shown (podman shows only new output).
    let (mut seen_out, mut seen_err) = {
        let (o, e) = content(&reader)?;
        (o.len(), e.len())
    };
    let mut stdout = std::io::stdout();
    let mut stderr = std::io::stderr();
    loop {
        let alive = c.refresh()? && (c.is_running() || c.record().state == ContainerState::Created);
        // Read after the state: output written before the exit is printed before leaving.
        let (o, e) = match content(&reader) {
            Ok(x) => x,
            // Removed with its log (--rm) after it exited.
            Err(_) if !alive => break,
            Err(e) => return Err(e),
        };
        if o.len() > seen_out {
            stdout.write_all(&o[seen_out..])?;
            stdout.flush()?;
            seen_out = o.len();
        }
        if e.len() > seen_err {
            stderr.write_all(&e[seen_err..])?;
            stderr.flush()?;
            seen_err = e.len();
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
