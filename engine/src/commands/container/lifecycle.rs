//! `rpod logs|stop|kill|rm|exec|wait|mount|umount|container cleanup`.

use std::time::{Duration, Instant};

use anyhow::{bail, Context as _};

use crate::cli::container::{
    CleanupArgs, ExecArgs, KillArgs, LogsArgs, MountArgs, RmArgs, StopArgs, WaitArgs,
};
use crate::commands::hinted;
use crate::container::{self, monitor};
use crate::exit;
use crate::runtime::{self, ProcessIo};
use crate::storage::{ContainerRecord, ContainerState, Store};

fn running(c: &ContainerRecord) -> bool {
    matches!(c.state, ContainerState::Running | ContainerState::Paused)
}

fn find(store: &Store, name: &str) -> anyhow::Result<ContainerRecord> {
    let c = store.lookup_container(name)?;
    container::reconcile(store, c)
}

pub fn logs(store: &Store, a: &LogsArgs) -> anyhow::Result<u8> {
    let c = find(store, &a.container)?;
    let m = container::meta(&c)?;
    let (mut out, mut err) = (std::io::stdout(), std::io::stderr());
    if !a.follow {
        container::read_log(&m.log_path, &mut out, &mut err)?;
        return Ok(exit::OK);
    }
    // Follow: print what is new until the container is gone or exited.
    let mut seen: u64 = 0;
    loop {
        let mut buf_out = Vec::new();
        let mut buf_err = Vec::new();
        container::read_log(&m.log_path, &mut buf_out, &mut buf_err)?;
        let all = [buf_out, buf_err].concat();
        let len = u64::try_from(all.len()).unwrap_or(0);
        if len > seen {
            use std::io::Write as _;
            out.write_all(&all[usize::try_from(seen).unwrap_or(0)..])?;
            out.flush()?;
            seen = len;
        }
        let now = store.container(&c.id)?;
        match now {
            Some(n) if running(&container::reconcile(store, n.clone())?) => {}
            Some(n) if n.state == ContainerState::Created => {}
            _ => return Ok(exit::OK),
        }
        std::thread::sleep(Duration::from_millis(100));
    }
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

fn wait_exit(store: &Store, id: &str, timeout: Duration) -> anyhow::Result<bool> {
    let deadline = Instant::now() + timeout;
    while Instant::now() < deadline {
        match store.container(id)? {
            Some(c) if running(&container::reconcile(store, c.clone())?) => {}
            _ => return Ok(true),
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    Ok(false)
}

fn stop_one(store: &Store, c: &ContainerRecord, time: Duration) -> anyhow::Result<()> {
    if !running(c) {
        return Ok(());
    }
    let rt = runtime::from_name(&c.runtime, store.runroot())?;
    let term = nix::sys::signal::Signal::SIGTERM;
    if let Err(e) = rt.kill(&c.id, term, true) {
        if !e.is_missing_container() {
            return Err(e.into());
        }
    }
    if !wait_exit(store, &c.id, time)? {
        let _ = rt.kill(&c.id, nix::sys::signal::Signal::SIGKILL, true);
        if !wait_exit(store, &c.id, Duration::from_secs(10))? {
            bail!("container {} did not stop", c.name);
        }
    }
    Ok(())
}

pub fn stop(store: &Store, a: &StopArgs) -> anyhow::Result<u8> {
    for name in &a.containers {
        let c = find(store, name)?;
        stop_one(store, &c, Duration::from_secs(a.time))?;
        println!("{name}");
    }
    Ok(exit::OK)
}

pub fn kill(store: &Store, a: &KillArgs) -> anyhow::Result<u8> {
    let sig = signal_of(&a.signal)?;
    for name in &a.containers {
        let c = find(store, name)?;
        if !running(&c) {
            bail!(hinted(
                anyhow::anyhow!("state {}", c.state.as_str()),
                format!("container {} is not running", c.name),
                "nothing to signal",
            ));
        }
        runtime::from_name(&c.runtime, store.runroot())?.kill(&c.id, sig, true)?;
        println!("{name}");
    }
    Ok(exit::OK)
}

pub fn rm(store: &Store, a: &RmArgs) -> anyhow::Result<u8> {
    for name in &a.containers {
        let c = find(store, name)?;
        if running(&c) {
            if !a.force {
                bail!(hinted(
                    anyhow::anyhow!("container {} is running", c.name),
                    format!("cannot remove {}", c.name),
                    "stop it first, or use rm -f",
                ));
            }
            stop_one(store, &c, Duration::from_secs(0))?;
        }
        // The monitor may have removed it (--rm) while we stopped it.
        if let Some(c) = store.container(&c.id)? {
            store.set_container_state(&c.id, ContainerState::Removing)?;
            container::remove_files(store, &c, true)?;
            store.delete_container(&c.id)?;
        }
        println!("{name}");
    }
    Ok(exit::OK)
}

pub fn exec(store: &Store, a: &ExecArgs) -> anyhow::Result<u8> {
    let c = find(store, &a.container)?;
    if !running(&c) {
        bail!(hinted(
            anyhow::anyhow!("state {}", c.state.as_str()),
            format!("container {} is not running", c.name),
            "start it first",
        ));
    }
    let rt = runtime::from_name(&c.runtime, store.runroot())?;
    // The process inherits the container's settings from its config.json.
    let config = std::fs::read_to_string(c.bundle.join("config.json"))
        .with_context(|| format!("cannot read the bundle of {}", c.name))?;
    let spec: oci_spec::runtime::Spec = serde_json::from_str(&config)?;
    let mut process = spec
        .process()
        .clone()
        .context("the container's config.json has no process")?;
    process.set_args(Some(a.command.clone()));
    process.set_terminal(Some(false));
    let mut env = process.env().clone().unwrap_or_default();
    env.extend(a.env.iter().cloned());
    process.set_env(Some(env));
    if let Some(w) = &a.workdir {
        process.set_cwd(w.into());
    }
    if let Some(u) = &a.user {
        let (uid, gid) = u.split_once(':').unwrap_or((u, u));
        let mut user = process.user().clone();
        user.set_uid(
            uid.parse()
                .with_context(|| format!("exec --user takes uid[:gid], not {u}"))?,
        );
        user.set_gid(
            gid.parse()
                .with_context(|| format!("exec --user takes uid[:gid], not {u}"))?,
        );
        process.set_user(user);
    }
    let io = ProcessIo {
        stdin: if a.interactive {
            std::process::Stdio::inherit()
        } else {
            std::process::Stdio::null()
        },
        stdout: std::process::Stdio::inherit(),
        stderr: std::process::Stdio::inherit(),
    };
    let code = match rt.exec(
        &c.id,
        &process,
        runtime::ExecOptions {
            detach: false,
            pid_file: None,
            console_socket: None,
            io,
        },
    ) {
        Ok(code) => code,
        Err(e) => match e.command_exit_code() {
            Some(code) => {
                eprintln!("error: {e}");
                return Ok(code);
            }
            None => return Err(e.into()),
        },
    };
    Ok(u8::try_from(code.rem_euclid(256)).unwrap_or(exit::RPOD_ERROR))
}

pub fn wait(store: &Store, a: &WaitArgs) -> anyhow::Result<u8> {
    for name in &a.containers {
        let c = find(store, name)?;
        loop {
            match store.container(&c.id)? {
                Some(n) => {
                    let n = container::reconcile(store, n)?;
                    if matches!(n.state, ContainerState::Exited | ContainerState::Stopped) {
                        println!("{}", n.exit_code.unwrap_or(-1));
                        break;
                    }
                }
                None => {
                    bail!("container {name} was removed before it could be waited for")
                }
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
    Ok(exit::OK)
}

pub fn mount(store: &Store, a: &MountArgs) -> anyhow::Result<u8> {
    let c = find(store, &a.container)?;
    let p = container::paths(store, &c.id);
    println!("{}", p.merged.display());
    Ok(exit::OK)
}

pub fn umount(store: &Store, a: &MountArgs) -> anyhow::Result<u8> {
    let c = find(store, &a.container)?;
    if running(&c) {
        bail!("container {} is running; stop it before unmounting", c.name);
    }
    container::unmount_rootfs(&container::paths(store, &c.id))?;
    println!("{}", c.name);
    Ok(exit::OK)
}

pub fn cleanup(store: &Store, a: &CleanupArgs) -> anyhow::Result<u8> {
    let c = find(store, &a.container)?;
    monitor::cleanup(store, &c.id)?;
    Ok(exit::OK)
}
