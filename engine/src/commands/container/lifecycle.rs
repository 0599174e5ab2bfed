//! `rpod logs|stop|kill|rm|exec|wait|mount|umount|container cleanup`: each finds the container
//! and calls its lifecycle method ([`Container`]), then prints what podman prints.

use std::time::Duration;

use crate::cli::container::{
    CleanupArgs, ExecArgs, KillArgs, LogsArgs, MountArgs, RmArgs, StopArgs, WaitArgs,
};
use crate::commands::hinted;
use rpod::container::{Container, ExecRequest};
use rpod::exit::ExitStatus;
use rpod::runtime::{ProcessIo, Runtimes};
use rpod::storage::Store;

pub fn logs(store: &Store, rt: &dyn Runtimes, a: &LogsArgs) -> anyhow::Result<ExitStatus> {
    let mut c = Container::lookup(store, rt, &a.container)?;
    c.logs(a.follow, &mut std::io::stdout(), &mut std::io::stderr())?;
    Ok(ExitStatus::Success)
}

fn signal_of(s: &str) -> anyhow::Result<nix::sys::signal::Signal> {
    use std::str::FromStr as _;
    if let Ok(n) = s.parse::<i32>() {
        return nix::sys::signal::Signal::try_from(n).map_err(|e| {
            hinted(
                e,
                format!("invalid signal {s}"),
                "use a name (TERM) or a number (15)",
            )
        });
    }
    let name = if s.starts_with("SIG") {
        s.to_string()
    } else {
        format!("SIG{s}")
    };
    nix::sys::signal::Signal::from_str(&name.to_ascii_uppercase()).map_err(|e| {
        hinted(
            e,
            format!("invalid signal {s}"),
            "use a name (TERM) or a number (15)",
        )
    })
}

pub fn stop(store: &Store, rt: &dyn Runtimes, a: &StopArgs) -> anyhow::Result<ExitStatus> {
    for name in &a.containers {
        Container::lookup(store, rt, name)?.stop(Duration::from_secs(a.time))?;
        println!("{name}");
    }
    Ok(ExitStatus::Success)
}

pub fn kill(store: &Store, rt: &dyn Runtimes, a: &KillArgs) -> anyhow::Result<ExitStatus> {
    let sig = signal_of(&a.signal)?;
    for name in &a.containers {
        Container::lookup(store, rt, name)?.kill(sig)?;
        println!("{name}");
    }
    Ok(ExitStatus::Success)
}

pub fn rm(store: &Store, rt: &dyn Runtimes, a: &RmArgs) -> anyhow::Result<ExitStatus> {
    for name in &a.containers {
        let c = Container::lookup(store, rt, name)?;
        let volumes = a.volumes.then(|| c.meta().map(|m| m.volumes)).transpose()?;
        c.remove(a.force)?;
        if let Some(v) = volumes {
            rpod::volume::remove_anonymous(store, &v).map_err(rpod::container::Error::from)?;
        }
        println!("{name}");
    }
    Ok(ExitStatus::Success)
}

pub fn exec(store: &Store, rt: &dyn Runtimes, a: &ExecArgs) -> anyhow::Result<ExitStatus> {
    let mut c = Container::lookup(store, rt, &a.container)?;
    let req = ExecRequest {
        command: a.command.clone(),
        env: a.env.clone(),
        workdir: a.workdir.clone(),
        user: a.user.clone(),
    };
    let io = ProcessIo {
        stdin: if a.interactive {
            std::process::Stdio::inherit()
        } else {
            std::process::Stdio::null()
        },
        stdout: std::process::Stdio::inherit(),
        stderr: std::process::Stdio::inherit(),
    };
    Ok(c.exec(&req, io)?)
}

pub fn wait(store: &Store, rt: &dyn Runtimes, a: &WaitArgs) -> anyhow::Result<ExitStatus> {
    for name in &a.containers {
        println!("{}", Container::lookup(store, rt, name)?.wait()?);
    }
    Ok(ExitStatus::Success)
}

pub fn mount(store: &Store, rt: &dyn Runtimes, a: &MountArgs) -> anyhow::Result<ExitStatus> {
    let c = Container::lookup(store, rt, &a.container)?;
    println!("{}", c.mount()?.display());
    Ok(ExitStatus::Success)
}

pub fn umount(store: &Store, rt: &dyn Runtimes, a: &MountArgs) -> anyhow::Result<ExitStatus> {
    let mut c = Container::lookup(store, rt, &a.container)?;
    c.unmount()?;
    println!("{}", c.name());
    Ok(ExitStatus::Success)
}

pub fn cleanup(store: &Store, rt: &dyn Runtimes, a: &CleanupArgs) -> anyhow::Result<ExitStatus> {
    Container::lookup(store, rt, &a.container)?.cleanup()?;
    Ok(ExitStatus::Success)
}
