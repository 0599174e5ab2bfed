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
use crate::runtime::{CreateOptions, ExecOptions, OciRuntime, ProcessIo};

/// Receives the pty master the runtime sends on `listener`.
fn receive_master(listener: &UnixListener) -> Result<OwnedFd, Error> {
    let (stream, _) = listener.accept().map_err(Error::terminal(
        "the runtime did not connect to the console socket",
    ))?;
    receive_on(&stream)
}

/// Receives the pty master the runtime sends on a connected console socket.
fn receive_on(stream: &std::os::unix::net::UnixStream) -> Result<OwnedFd, Error> {
    let mut space = [MaybeUninit::uninit(); rustix::cmsg_space!(ScmRights(1))];
    let mut control = RecvAncillaryBuffer::new(&mut space);
    let mut byte = [0u8; 256];
    let mut iov = [IoSliceMut::new(&mut byte)];
    rustix::net::recvmsg(stream, &mut iov, &mut control, RecvFlags::empty())
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

/// `rpod exec -t`: runs `process` in container `id` with a terminal and returns its status
/// (128+N for signal N). runc takes a console socket only when it detaches (`exec --detach
/// --tty --console-socket`), and without one it wants a terminal of its own (none in a script
/// or CI): so, as conmon does, the process is started detached, rpod becomes the child
/// subreaper that reaps it, and copies its terminal to `out` and rpod's stdin (when `stdin`)
/// to it.
///
/// # Errors
/// The runtime's failure (126/127 when the command cannot run), a missing terminal.
pub fn exec(
    rt: &dyn OciRuntime,
    id: &str,
    process: &oci_spec::runtime::Process,
    stdin: bool,
    mut out: Box<dyn Write + Send>,
) -> Result<i32, Error> {
    nix::sys::prctl::set_child_subreaper(true)
        .map_err(|e| Error::terminal("cannot become a child subreaper")(e.into()))?;
    let dir = tempfile::Builder::new()
        .prefix("rpod-tty-")
        .tempdir_in("/tmp")
        .map_err(Error::terminal(
            "cannot create a directory for the console socket",
        ))?;
    let socket = dir.path().join("console.sock");
    let pid_file = dir.path().join("exec.pid");
    let listener = UnixListener::bind(&socket).map_err(Error::io("listen on", &socket))?;
    // Polled, so a runtime that fails before it connects is not waited for forever.
    listener
        .set_nonblocking(true)
        .map_err(Error::io("listen on", &socket))?;
    let master = std::thread::scope(|s| -> Result<OwnedFd, Error> {
        let runner = s.spawn(|| {
            rt.exec(
                id,
                process,
                ExecOptions {
                    detach: true,
                    pid_file: Some(pid_file.clone()),
                    console_socket: Some(socket.clone()),
                    io: ProcessIo::null(),
                },
            )
        });
        let stream = loop {
            match listener.accept() {
                Ok((stream, _)) => break Some(stream),
                Err(e) if e.kind() == std::io::ErrorKind::WouldBlock => {
                    if runner.is_finished() {
                        break None;
                    }
                    std::thread::sleep(std::time::Duration::from_millis(5));
                }
                Err(e) => return Err(Error::io("accept on", &socket)(e)),
            }
        };
        let master = match &stream {
            Some(stream) => {
                stream
                    .set_nonblocking(false)
                    .map_err(Error::io("read from", &socket))?;
                Some(receive_on(stream)?)
            }
            None => None,
        };
        match (runner.join(), master) {
            (Ok(Ok(_)), Some(m)) => Ok(m),
            (Ok(Err(e)), _) => Err(super::command_failed(e)),
            _ => Err(Error::Terminal {
                what: "the runtime sent no terminal on the console socket",
                source: None,
            }),
        }
    })?;
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
    let raw = stdin.then(RawMode::enable);
    if stdin {
        let mut to_pty = fs::File::from(
            master
                .try_clone()
                .map_err(Error::terminal("cannot duplicate the terminal"))?,
        );
        // Left blocked in read when the process ends, as in `run`.
        std::thread::spawn(move || {
            let mut buf = [0u8; 4096];
            let mut stdin = std::io::stdin();
            while let Ok(n) = stdin.read(&mut buf) {
                if n == 0 || to_pty.write_all(&buf[..n]).is_err() {
                    break;
                }
            }
        });
    }
    let mut from_pty = fs::File::from(master);
    let copier = std::thread::spawn(move || {
        let mut buf = [0u8; 4096];
        // EIO once the last holder of the terminal's other side is gone.
        while let Ok(n) = from_pty.read(&mut buf) {
            if n == 0 {
                break;
            }
            let _ = out.write_all(&buf[..n]);
            let _ = out.flush();
        }
    });
    let code = loop {
        match waitpid(Pid::from_raw(pid), None) {
            Ok(WaitStatus::Exited(_, c)) => break c,
            Ok(WaitStatus::Signaled(_, sig, _)) => break 128 + sig as i32,
            Ok(_) | Err(nix::errno::Errno::EINTR) => {}
            Err(e) => {
                return Err(Error::terminal("cannot wait for the exec'd process")(
                    e.into(),
                ))
            }
        }
    };
    let _ = copier.join();
    drop(raw);
    Ok(code)
}
