//! `rpod run -t`: the container's process gets a terminal. The runtime creates the pty and
//! sends its master over a unix socket (`--console-socket`, SCM_RIGHTS), as it does for conmon;
//! rpod copies between its own terminal (raw mode) and the master, and keeps the output in the
//! log.
//!
//! With a terminal the runtime cannot wait for the process itself (`create` then `start`), so
//! the monitor becomes a child subreaper: the container's init, orphaned when `runc create`
//! exits, is re-parented to it and reaped with `waitpid`.

use std::fs;
use std::io::{IoSliceMut, Read as _, Write};
use std::mem::MaybeUninit;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixListener;
use std::path::Path;

use nix::sys::wait::{waitpid, WaitStatus};
use nix::unistd::Pid;
use rustix::net::{RecvAncillaryBuffer, RecvAncillaryMessage, RecvFlags};

use super::{Error, LogWriter, Stream};
use crate::runtime::{CreateOptions, OciRuntime, ProcessIo};

/// Receives the pty master the runtime sends on `listener`.
fn receive_master(listener: &UnixListener) -> Result<OwnedFd, Error> {
    let (stream, _) = listener.accept().map_err(Error::terminal(
        "the runtime did not connect to the console socket",
    ))?;
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let mut byte = [0u8; 256];
    let mut iov = [IoSliceMut::new(&mut byte)];
    rustix::net::recvmsg(&stream, &mut iov, &mut control, RecvFlags::empty())
        .map_err(|e| Error::terminal("cannot receive the terminal from the runtime")(e.into()))?;
    for msg in control.drain() {
        if let RecvAncillaryMessage::ScmRights(mut fds) = msg {
            if let Some(fd) = fds.next() {
                return Ok(fd);
            }
        }
    }
    Err(Error::Terminal {
        what: "the runtime sent no terminal on the console socket",
        source: None,
    })
}

/// Puts rpod's terminal in raw mode while alive; restores it on drop.
struct RawMode {
    saved: Option<rustix::termios::Termios>,
}

impl RawMode {
    fn enable() -> RawMode {
        let stdin = std::io::stdin();
        let saved = rustix::termios::tcgetattr(&stdin).ok();
        if let Some(t) = &saved {
            let mut raw = t.clone();
            raw.make_raw();
            let _ = rustix::termios::tcsetattr(&stdin, rustix::termios::OptionalActions::Now, &raw);
        }
        RawMode { saved }
    }
}

impl Drop for RawMode {
    fn drop(&mut self) {
        if let Some(t) = &self.saved {
            let _ = rustix::termios::tcsetattr(
                std::io::stdin(),
                rustix::termios::OptionalActions::Now,
                t,
            );
        }
    }
}

/// Runs the container with a terminal; returns its exit code (128+N for signal N). The
/// terminal's output goes to `stdout` (the foreground's; nowhere when detached) and the log.
///
/// # Errors
/// Runtime failures, a missing terminal, storage errors.
pub fn run(
    rt: &dyn OciRuntime,
    id: &str,
    bundle: &Path,
    log: &LogWriter,
    stdout: Option<Box<dyn Write + Send>>,
    on_start: &dyn Fn(i32),
) -> Result<i32, Error> {
    nix::sys::prctl::set_child_subreaper(true)
        .map_err(|e| Error::terminal("cannot become a child subreaper")(e.into()))?;
    // A unix socket path must fit in 108 bytes, which a bundle path under a long --runroot
    // does not: a private directory in /tmp holds it.
    let dir = tempfile::Builder::new()
        .prefix("rpod-tty-")
        .tempdir_in("/tmp")
        .map_err(Error::terminal(
            "cannot create a directory for the console socket",
        ))?;
    let socket = dir.path().join("console.sock");
    let listener = UnixListener::bind(&socket).map_err(Error::io("listen on", &socket))?;
    let pid_file = bundle.join("container.pid");
    let master = std::thread::scope(|s| -> Result<OwnedFd, Error> {
        let recv = s.spawn(|| receive_master(&listener));
        rt.create(
            id,
            bundle,
            CreateOptions {
                pid_file: Some(pid_file.clone()),
                console_socket: Some(socket.clone()),
                io: ProcessIo::null(),
            },
        )?;
        recv.join().map_err(|_| Error::Terminal {
            what: "the console socket thread failed",
            source: None,
        })?
    })?;
    let _ = fs::remove_file(&socket);
    let pid: i32 = fs::read_to_string(&pid_file)
        .map_err(Error::terminal("the runtime wrote no pid file"))?
        .trim()
        .parse()
        .map_err(|e| {
            Error::terminal("the runtime's pid file holds no pid")(std::io::Error::other(e))
        })?;
    if let Ok(ws) = rustix::termios::tcgetwinsize(std::io::stdin()) {
        let _ = rustix::termios::tcsetwinsize(&master, ws);
    }
    let raw = RawMode::enable();
    let mut to_pty = fs::File::from(
        master
            .try_clone()
            .map_err(Error::terminal("cannot duplicate the terminal"))?,
    );
    let mut from_pty = fs::File::from(master);
    // Keyboard to the container; this thread is left blocked in read when the container ends.
    std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        let mut stdin = std::io::stdin();
        while let Ok(n) = stdin.read(&mut buf) {
            if n == 0 || to_pty.write_all(&buf[..n]).is_err() {
                break;
            }
        }
    });
    rt.start(id)?;
    on_start(pid);
    let copier = std::thread::spawn(move || -> Vec<u8> {
        // Output to the terminal as it comes; kept for the log.
        let mut all = Vec::new();
        let mut buf = [0u8; 4096];
        let mut out = stdout.unwrap_or_else(|| Box::new(std::io::sink()));
        while let Ok(n) = from_pty.read(&mut buf) {
            if n == 0 {
                break;
            }
            let _ = out.write_all(&buf[..n]);
            let _ = out.flush();
            all.extend_from_slice(&buf[..n]);
        }
        all
    });
    let code = loop {
        match waitpid(Pid::from_raw(pid), None) {
            Ok(WaitStatus::Exited(_, c)) => break c,
            Ok(WaitStatus::Signaled(_, sig, _)) => break 128 + sig as i32,
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(e) => {
                return Err(Error::terminal("cannot wait for the container's process")(
                    e.into(),
                ))
            }
        }
    };
    let output = copier.join().unwrap_or_default();
    drop(raw);
    log.copy(&output[..], Stream::Stdout, None);
    let _ = rt.delete(id, true);
    Ok(code)
}
