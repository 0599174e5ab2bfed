//! The `run`/`create` flags that need reading files or the host before the library sees them:
//! `--env-file`, `--label(-file)`, `--entrypoint` (JSON form), `--cidfile`, `--tz`, `--init`,
//! `--systemd`, resources, and the container's life settings. podman 4.3.1's rules.

use std::collections::BTreeMap;
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::cli::container::CreateArgs;
use crate::commands::{hinted, usage};
use rpod::bundle::{ContainerConfig, Device, DeviceRule, Tmpfs, Volume};
use rpod::container::settings::{LogDriver, RestartPolicy, Settings};

/// `KEY=VALUE` lines of an env or label file: blank lines and `#` comments skipped, leading
/// white space trimmed; a bare `KEY` in an env file takes rpod's own value if it has one
/// (podman's `parseEnvFile`), in a label file an empty value.
pub fn read_key_value_file(path: &Path, flag: &str) -> anyhow::Result<Vec<String>> {
    let text = crate::commands::io::read_flag_file(path, flag)?;
    let mut out = Vec::new();
    for line in text.lines() {
        let line = line.trim_start();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if line.contains('=') {
            out.push(line.to_string());
        } else if flag == "--env-file" {
            if let Ok(v) = std::env::var(line) {
                out.push(format!("{line}={v}"));
            }
        } else {
            out.push(format!("{line}="));
        }
    }
    Ok(out)
}

/// `--entrypoint`: a JSON array of strings (`["/bin/echo","x"]`) is the whole entrypoint; any
/// other value is one program path, `""` clears the image's (podman).
pub fn entrypoint(value: &str) -> anyhow::Result<Vec<String>> {
    if value.is_empty() {
        return Ok(Vec::new());
    }
    if value.trim_start().starts_with('[') {
        if let Ok(v) = serde_json::from_str::<Vec<String>>(value) {
            return Ok(v);
        }
    }
    Ok(vec![value.to_string()])
}

/// `--cidfile`: refused when the file exists (podman: another container may own it), created
/// before the container so a bad path fails first.
pub struct CidFile(Option<(PathBuf, std::fs::File)>);

impl CidFile {
    pub fn open(path: Option<&Path>) -> anyhow::Result<CidFile> {
        let Some(path) = path else {
            return Ok(CidFile(None));
        };
        match std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .open(path)
        {
            Ok(f) => Ok(CidFile(Some((path.to_path_buf(), f)))),
            // podman's words, which say what to do; no hint line after them (scripts match
            // podman's stderr whole).
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Err(anyhow::anyhow!(
                "container id file exists. Ensure another container is not using it or delete {}",
                path.display()
            )),
            Err(e) => Err(hinted(
                e,
                format!("opening cidfile {}", path.display()),
                "name a file in a writable directory",
            )),
        }
    }

    pub fn write(self, id: &str) -> anyhow::Result<()> {
        if let Some((path, mut f)) = self.0 {
            f.write_all(id.as_bytes()).map_err(|e| {
                hinted(
                    e,
                    format!("cannot write the container id to {}", path.display()),
                    "check the disk",
                )
            })?;
        }
        Ok(())
    }
}

/// `--tz`: `local` binds the host's /etc/localtime, a zone name the host's zoneinfo file, at
/// the container's /etc/localtime (read-only).
pub fn timezone(tz: &str) -> anyhow::Result<Volume> {
    let source = if tz == "local" {
        PathBuf::from("/etc/localtime")
    } else {
        if tz.split('/').any(|p| p == ".." || p.is_empty()) || tz.starts_with('/') {
            return Err(usage(
                format!("invalid --tz {tz}"),
                "use local or a zone name such as Europe/Berlin",
            ));
        }
        Path::new("/usr/share/zoneinfo").join(tz)
    };
    let source = std::fs::canonicalize(&source).map_err(|e| {
        hinted(
            e,
            format!("finding timezone {tz}"),
            "use local or a zone name of /usr/share/zoneinfo (Debian's tzdata)",
        )
    })?;
    let mut v = Volume::bind(source, "/etc/localtime");
    v.read_only = true;
    Ok(v)
}

/// podman's containers.conf `init_path` default, then Debian's catatonit package.
const INIT_CANDIDATES: &[&str] = &["/usr/libexec/podman/catatonit", "/usr/bin/catatonit"];

pub fn find_init() -> anyhow::Result<PathBuf> {
    INIT_CANDIDATES
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .ok_or_else(|| {
            usage(
                "container-init binary not found on the host",
                "install catatonit (apt-get install catatonit), or give --init-path",
            )
        })
}

/// A size already checked by `parse_size`, with decimal units (k = 1000), as podman's
/// `units.FromHumanSize` reads `--log-opt max-size`.
fn decimal_size(value: &str) -> u64 {
    let v = value.trim().to_ascii_lowercase();
    let split = v
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let num: f64 = num.parse().unwrap_or(0.0);
    let mult = match unit.trim_end_matches('b') {
        "k" => 1e3,
        "m" => 1e6,
        "g" => 1e9,
        "t" => 1e12,
        _ => 1.0,
    };
    #[allow(clippy::cast_possible_truncation, clippy::cast_sign_loss)]
    let bytes = (num * mult) as u64;
    bytes
}

/// `--systemd`: `always`, or `true` (the default) when the command is systemd or init
/// (podman's rule: `/sbin/init`, `/usr/sbin/init`, `/usr/local/sbin/init`, or ending in
/// `systemd`).
pub fn systemd_mode(value: Option<&str>, command: &[String]) -> bool {
    match value {
        Some("always") => true,
        Some("false") => false,
        _ => command.first().is_some_and(|c| {
            ["/sbin/init", "/usr/sbin/init", "/usr/local/sbin/init"].contains(&c.as_str())
                || Path::new(c).file_name().is_some_and(|n| n == "systemd")
        }),
    }
}

/// systemd mode's mounts (podman's `setupSystemd`): tmpfs on /run, /run/lock, /tmp and
/// /var/log/journal. podman also makes SIGRTMIN+3 the stop signal; rpod's signals are the
/// standard ones only, so `--stop-signal` must name it when systemd should get it.
pub fn systemd_mounts(c: &mut ContainerConfig) {
    for dst in ["/run", "/run/lock", "/tmp", "/var/log/journal"] {
        if c.tmpfs.iter().any(|t| t.destination == Path::new(dst)) {
            continue;
        }
        c.tmpfs.push(Tmpfs {
            destination: dst.into(),
            options: ["rw", "rprivate", "nosuid", "nodev", "tmpcopyup"]
                .iter()
                .map(|s| (*s).to_string())
                .collect(),
        });
    }
}

/// `--memory`, `--cpus`, `--pids-limit`, `--device`, `--device-cgroup-rule`,
/// `--kernel-memory` (a warning, as podman 4.3).
pub fn resources(a: &CreateArgs, c: &mut ContainerConfig) -> anyhow::Result<()> {
    // Checked here, not by clap, for podman's words.
    if let Some(v) = a.systemd.as_deref() {
        if !["true", "false", "always"].contains(&v) {
            return Err(anyhow::anyhow!(
                "invalid config provided: --systemd values must be one of \"true, false, always\": invalid configuration"
            ));
        }
    }
    if let Some(m) = &a.memory {
        c.resources.set_memory(m)?;
    }
    if let Some(n) = a.cpus {
        c.resources.set_cpus(n)?;
    }
    c.resources.pids_limit = a.pids_limit;
    for d in &a.device {
        c.devices.push(d.parse::<Device>()?);
    }
    for r in &a.device_cgroup_rule {
        c.device_rules.push(r.parse::<DeviceRule>()?);
    }
    if a.kernel_memory.is_some() {
        eprintln!("warning: The --kernel-memory flag is no longer supported. This flag is a noop.");
    }
    Ok(())
}

/// A signal name or number as the canonical name (`SIGTERM`), for `--stop-signal`.
fn signal_name(s: &str) -> anyhow::Result<String> {
    use std::str::FromStr as _;
    let bad = || {
        usage(
            format!("invalid signal: {s}"),
            "use a name (TERM, SIGTERM) or a number (15)",
        )
    };
    let sig = match s.parse::<i32>() {
        Ok(n) => nix::sys::signal::Signal::try_from(n).map_err(|_| bad())?,
        Err(_) => {
            let up = s.to_ascii_uppercase();
            let name = if up.starts_with("SIG") {
                up
            } else {
                format!("SIG{up}")
            };
            nix::sys::signal::Signal::from_str(&name).map_err(|_| bad())?
        }
    };
    Ok(sig.as_str().to_string())
}

/// `LISTEN_FDS` of rpod's environment (systemd socket activation), when it is a count.
pub fn listen_fds() -> Option<u32> {
    std::env::var("LISTEN_FDS")
        .ok()?
        .parse()
        .ok()
        .filter(|n| *n > 0)
}

/// The socket-activation variables for the container: `LISTEN_PID=1` (its process is pid 1
/// there), `LISTEN_FDS`, and `LISTEN_FDNAMES` when set (podman's `SpecGenToOCI`).
pub fn listen_env() -> Vec<String> {
    let Some(n) = listen_fds() else {
        return Vec::new();
    };
    let mut env = vec!["LISTEN_PID=1".to_string(), format!("LISTEN_FDS={n}")];
    if let Ok(names) = std::env::var("LISTEN_FDNAMES") {
        env.push(format!("LISTEN_FDNAMES={names}"));
    }
    env
}

/// The container's life settings, and the `--log-opt path=` log file.
pub fn settings(a: &CreateArgs) -> anyhow::Result<(Settings, Option<PathBuf>)> {
    let mut s = Settings::default();
    if let Some(r) = &a.restart {
        s.restart = r.parse::<RestartPolicy>()?;
    }
    s.stop_timeout = a.stop_timeout;
    s.stop_signal = a.stop_signal.as_deref().map(signal_name).transpose()?;
    s.timeout = a.timeout;
    let mut labels = Vec::new();
    for f in &a.label_file {
        labels.extend(read_key_value_file(f, "--label-file")?);
    }
    labels.extend(a.label.iter().cloned());
    s.labels = labels
        .iter()
        .map(|l| match l.split_once('=') {
            Some((k, v)) => (k.to_string(), v.to_string()),
            None => (l.clone(), String::new()),
        })
        .collect::<BTreeMap<_, _>>();
    if let Some(d) = &a.log_driver {
        s.log_driver = d.parse::<LogDriver>()?;
    }
    let mut path = None;
    for o in &a.log_opt {
        let bad = || {
            usage(
                format!("invalid --log-opt {o}"),
                "use path=FILE, max-size=SIZE or tag=TAG",
            )
        };
        let (k, v) = o.split_once('=').ok_or_else(bad)?;
        match k {
            "path" => {
                let p = PathBuf::from(v);
                if !p.is_absolute() {
                    return Err(usage(
                        format!("invalid --log-opt {o}"),
                        "the log path must be absolute",
                    ));
                }
                path = Some(p);
            }
            "max-size" => {
                // Checked as any size, counted as podman's units.FromHumanSize does:
                // decimal, so 10k is 10000 bytes.
                rpod::bundle::resources::parse_size("--log-opt max-size", v)?;
                s.log_max_size = Some(decimal_size(v));
            }
            "tag" => s.log_tag = Some(v.to_string()),
            _ => return Err(bad()),
        }
    }
    s.systemd.clone_from(&a.systemd);
    s.preserve_fds = a.preserve_fds.unwrap_or(0);
    // Socket activation (podman): the fds systemd gave rpod (LISTEN_FDS) go on to the
    // container, which is told they are its own (LISTEN_PID=1).
    if let Some(n) = listen_fds() {
        s.preserve_fds = s.preserve_fds.max(n);
    }
    Ok((s, path))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entrypoint_takes_a_json_array_or_one_path() {
        assert_eq!(
            entrypoint(r#"["/bin/echo","x"]"#).unwrap(),
            ["/bin/echo", "x"]
        );
        assert_eq!(entrypoint("/bin/sh").unwrap(), ["/bin/sh"]);
        assert!(entrypoint("").unwrap().is_empty());
        // Not a JSON array of strings: one path, as podman.
        assert_eq!(entrypoint("[oops").unwrap(), ["[oops"]);
    }

    #[test]
    fn systemd_mode_follows_the_command_unless_forced() {
        let cmd = |c: &str| vec![c.to_string()];
        assert!(systemd_mode(None, &cmd("/sbin/init")));
        assert!(systemd_mode(Some("true"), &cmd("/lib/systemd/systemd")));
        assert!(!systemd_mode(None, &cmd("sh")));
        assert!(systemd_mode(Some("always"), &cmd("sh")));
        assert!(!systemd_mode(Some("false"), &cmd("/sbin/init")));
    }

    #[test]
    fn signals_are_named_canonically() {
        assert_eq!(signal_name("KILL").unwrap(), "SIGKILL");
        assert_eq!(signal_name("sigusr1").unwrap(), "SIGUSR1");
        assert_eq!(signal_name("15").unwrap(), "SIGTERM");
        assert!(signal_name("NOPE").is_err());
    }
}
