//! The OCI bundle: what `rpod run` asks for ([`ContainerConfig`]) turned into the
//! `config.json` a runtime (runc, crun) executes, built with `oci-spec`.
//!
//! Terms: a *bundle* is a directory holding `config.json`; its `root.path` points at the
//! container's root filesystem (rpod's overlay mount, which may live elsewhere). The *spec* is
//! the parsed `config.json` ([`oci_spec::runtime::Spec`]). [`ContainerConfig::to_oci`] makes the
//! spec; [`write_bundle`] writes it atomically; the lead code may still adjust the spec in
//! between (add `/etc/hosts` binds, a cgroup path).
//!
//! Defaults are podman's for a rootful container, so a container behaves the same under both:
//!
//! - capabilities: containers.conf `default_capabilities` ([`profiles::caps::PODMAN_DEFAULT`]),
//!   adjusted by `--cap-add`/`--cap-drop`; for a non-root user only what `--cap-add` names is
//!   effective (podman `securityConfigureGenerator`);
//! - seccomp: podman's default profile ([`profiles::default_profile`]) resolved for the
//!   container's bounding set, architecture and kernel: exactly the rules runc then loads.
//!   `--privileged` turns the default off (an explicit profile still applies), as in podman;
//! - masked and read-only paths: containers/common `DefaultMaskedPaths`/`DefaultReadOnlyPaths`
//!   (pkg/config/default.go); none with `--privileged`;
//! - mounts: `/proc`, `/dev` (tmpfs), `/dev/pts`, `/dev/shm` (64 MiB tmpfs), `/dev/mqueue`,
//!   `/sys` (read-only unless privileged), `/sys/fs/cgroup` (read-only unless privileged), as
//!   runtime-tools' generator plus podman's `SpecGenToOCI`; tmpfs on `/tmp`, `/var/tmp`, `/run`
//!   with `--read-only` (podman's `--read-only-tmpfs`, on by default);
//! - devices: none listed (the runtime creates the OCI default set: null, zero, full, random,
//!   urandom, tty, ptmx) and a deny-all device cgroup rule the runtime extends with that set;
//!   `--privileged` lists every host device and allows all;
//! - environment: `PATH` and `TERM=xterm` (containers.conf `env`), `HOSTNAME`, `HOME` from the
//!   user's passwd entry; the caller's entries replace them by key;
//! - resource limits: nofile and nproc 1048576 as podman, but never above rpod's own hard limit
//!   (see [`ulimit`](Ulimit)); pids cgroup limit 2048 (`DefaultPidsLimit`); umask 0022;
//! - namespaces: new pid, network (only `lo`), ipc, uts and mount namespaces; a cgroup
//!   namespace only on cgroup v2 (podman's `cgroupns` default is `host` on v1).
//!
//! ```
//! use rpod::bundle::{write_bundle, ContainerConfig, Seccomp};
//!
//! let rootfs = tempfile::tempdir()?;
//! let mut config = ContainerConfig::new(["sh", "-c", "echo hello"]);
//! config.hostname = Some("web".into());
//! config.cap_drop = vec!["NET_BIND_SERVICE".into()];
//! config.seccomp = Seccomp::Default;
//! let spec = config.to_oci(rootfs.path())?;
//! assert!(spec.linux().as_ref().unwrap().seccomp().is_some());
//!
//! let bundle = tempfile::tempdir()?;
//! let path = write_bundle(bundle.path(), &spec)?;
//! assert!(path.ends_with("config.json"));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

mod caps;
mod devices;
mod error;
mod host;
pub mod mount;
pub mod resources;
mod seccomp;
mod ulimit;
mod user;
mod volume;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use oci_spec::runtime::{
    Capability, LinuxBuilder, LinuxCapabilities, LinuxCpu, LinuxDeviceCgroup, LinuxMemory,
    LinuxNamespace, LinuxNamespaceType, LinuxPids, LinuxResources, Mount, MountBuilder,
    PosixRlimitBuilder, ProcessBuilder, RootBuilder, Spec, UserBuilder,
};
use profiles::model::Profile;

pub use error::BundleError;
pub use host::Host;
pub use mount::{MountSpec, Tmpfs};
pub use resources::{Device, DeviceRule, Resources};
pub use ulimit::{Ulimit, UlimitKind, PODMAN_DEFAULT_LIMIT, UNLIMITED};
pub(crate) use user::resolve as resolve_user;
pub(crate) use user::resolve_in_root;
pub use user::user_name;
pub use volume::{Named, Volume};

/// The name of the configuration file in a bundle.
pub const CONFIG_FILE: &str = "config.json";

/// `ociVersion`: what runc 1.1 and crun 1.8 (Debian 12) declare, as podman 4.3 writes.
pub const OCI_VERSION: &str = "1.0.2-dev";

/// containers.conf's default `PATH`.
pub const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// containers/common `DefaultMaskedPaths` (pkg/config/default.go): hidden behind an empty
/// file or tmpfs in every non-privileged container.
pub const MASKED_PATHS: &[&str] = &[
    "/proc/acpi",
    "/proc/kcore",
    "/proc/keys",
    "/proc/latency_stats",
    "/proc/sched_debug",
    "/proc/scsi",
    "/proc/timer_list",
    "/proc/timer_stats",
    "/sys/dev/block",
    "/sys/devices/virtual/powercap",
    "/sys/firmware",
    "/sys/fs/selinux",
];

/// containers/common `DefaultReadOnlyPaths`: remounted read-only.
pub const READONLY_PATHS: &[&str] = &[
    "/proc/asound",
    "/proc/bus",
    "/proc/fs",
    "/proc/irq",
    "/proc/sys",
    "/proc/sysrq-trigger",
];

/// containers.conf `shm_size` default.
pub const SHM_SIZE: &str = "65536k";

/// containers.conf `pids_limit` default.
pub const PIDS_LIMIT: i64 = 2048;

/// containers.conf `umask` default.
pub const UMASK: u32 = 0o022;

/// Which seccomp filter the container runs under.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Seccomp {
    /// podman's default profile (off with `--privileged`, as in podman).
    #[default]
    Default,
    /// No filter (`--security-opt seccomp=unconfined`).
    Unconfined,
    /// This profile (`--security-opt seccomp=FILE`), resolved for the container; it applies
    /// with `--privileged` too.
    Profile(Profile),
}

/// Another process's namespace to join: `/proc/<pid>/ns/<kind>`, or a namespace file (a bind
/// mount of one, or a `/proc/<pid>/ns/<kind>` path given directly).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NsRef {
    Pid(u32),
    Path(PathBuf),
}

impl NsRef {
    fn path(&self, file: &str) -> PathBuf {
        match self {
            NsRef::Pid(pid) => PathBuf::from(format!("/proc/{pid}/ns/{file}")),
            NsRef::Path(p) => p.clone(),
        }
    }

    fn parse(value: &str) -> Result<NsRef, String> {
        if let Ok(pid) = value.parse::<u32>() {
            if pid == 0 {
                return Err("pid 0 is not a process".into());
            }
            return Ok(NsRef::Pid(pid));
        }
        let p = Path::new(value);
        if p.is_absolute() {
            Ok(NsRef::Path(p.to_path_buf()))
        } else {
            Err("expected container:<pid> or container:<absolute path of a namespace file>".into())
        }
    }
}

impl fmt::Display for NsRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NsRef::Pid(p) => write!(f, "{p}"),
            NsRef::Path(p) => write!(f, "{}", p.display()),
        }
    }
}

/// `--pid`, `--ipc`, `--uts`: `private` (default), `host`, or `container:<pid-or-path>`. The
/// container layer turns `container:NAME` into the named container's pid.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum NamespaceMode {
    #[default]
    Private,
    Host,
    Container(NsRef),
}

impl NamespaceMode {
    /// Parses a `--pid`/`--ipc`/`--uts` value; `kind` names the flag in errors. podman's
    /// `shareable` (ipc) is a private namespace others may join, which every namespace is here.
    ///
    /// # Errors
    ///
    /// On a value that is none of the forms above.
    pub fn parse(kind: &'static str, value: &str) -> Result<NamespaceMode, BundleError> {
        match value {
            "" | "private" => Ok(NamespaceMode::Private),
            "shareable" if kind == "ipc" => Ok(NamespaceMode::Private),
            "host" => Ok(NamespaceMode::Host),
            v => match v.strip_prefix("container:") {
                Some(r) => NsRef::parse(r)
                    .map(NamespaceMode::Container)
                    .map_err(|reason| BundleError::InvalidNamespace {
                        kind,
                        value: value.into(),
                        reason,
                    }),
                None => Err(BundleError::InvalidNamespace {
                    kind,
                    value: value.into(),
                    reason: "expected private, host or container:<pid-or-path>".into(),
                }),
            },
        }
    }
}

impl fmt::Display for NamespaceMode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            NamespaceMode::Private => f.write_str("private"),
            NamespaceMode::Host => f.write_str("host"),
            NamespaceMode::Container(r) => write!(f, "container:{r}"),
        }
    }
}

/// `--network`: `none` (default until networks exist: a new namespace with only `lo`, which
/// the runtime brings up), `host`, or `container:<pid-or-path>`.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum NetworkMode {
    #[default]
    None,
    Host,
    Container(NsRef),
}

impl FromStr for NetworkMode {
    type Err = BundleError;

    fn from_str(value: &str) -> Result<NetworkMode, BundleError> {
        match value {
            "none" => Ok(NetworkMode::None),
            "host" => Ok(NetworkMode::Host),
            v => match v.strip_prefix("container:") {
                Some(r) => NsRef::parse(r)
                    .map(NetworkMode::Container)
                    .map_err(|reason| BundleError::InvalidNetwork {
                        value: value.into(),
                        reason,
                    }),
                None => Err(BundleError::InvalidNetwork {
                    value: value.into(),
                    reason: "rpod supports none, host and container:<pid-or-path> so far".into(),
                }),
            },
        }
    }
}

/// What `rpod run` asks for, after the image's config is merged in (entrypoint + cmd in
/// `args`, image env before user env in `env`, image workdir in `cwd`, image user in `user`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContainerConfig {
    /// The command and its arguments; `args[0]` is looked up in the container's `PATH`.
    pub args: Vec<String>,
    /// `KEY=VALUE` entries; they replace the defaults (`PATH`, `TERM`, `HOSTNAME`, `HOME`) and
    /// earlier entries with the same key.
    pub env: Vec<String>,
    /// Working directory (absolute); `/` when `None`.
    pub cwd: Option<String>,
    /// `uid[:gid]`, `name[:group]`, resolved in the rootfs's `/etc/passwd` and `/etc/group`;
    /// root when `None`.
    pub user: Option<String>,
    /// The container's hostname (podman uses the short container id); needs a private UTS
    /// namespace.
    pub hostname: Option<String>,
    /// Allocate a pseudo-terminal for the process.
    pub terminal: bool,
    pub volumes: Vec<Volume>,
    pub pid: NamespaceMode,
    pub ipc: NamespaceMode,
    pub uts: NamespaceMode,
    pub network: NetworkMode,
    /// `--cap-add`: names with or without `CAP_`, or `ALL`.
    pub cap_add: Vec<String>,
    /// `--cap-drop`: names with or without `CAP_`, or `ALL`.
    pub cap_drop: Vec<String>,
    pub privileged: bool,
    /// `--read-only`: the root filesystem is mounted read-only.
    pub read_only: bool,
    /// With `read_only`: tmpfs on `/tmp`, `/var/tmp` and `/run` (podman's `--read-only-tmpfs`,
    /// default true).
    pub read_only_tmpfs: bool,
    pub no_new_privileges: bool,
    pub seccomp: Seccomp,
    pub annotations: BTreeMap<String, String>,
    pub ulimits: Vec<Ulimit>,
    /// `linux.cgroupsPath`; the runtime's default (`/<id>`) when `None`.
    pub cgroups_path: Option<PathBuf>,
    /// `--memory`, `--cpus`, `--pids-limit`.
    pub resources: Resources,
    /// `--device`: host devices made in the container and allowed in its devices cgroup.
    pub devices: Vec<Device>,
    /// `--device-cgroup-rule`.
    pub device_rules: Vec<DeviceRule>,
    /// `--mount type=tmpfs` (binds go to `volumes`).
    pub tmpfs: Vec<Tmpfs>,
    /// `--init`: this host binary is bound read-only at [`INIT_PATH`] and runs the command
    /// (`INIT_PATH -- ARGS`), as podman's catatonit.
    pub init: Option<PathBuf>,
    /// `--group-add`: gids or group names of the root filesystem's `/etc/group`.
    pub group_add: Vec<String>,
    /// `--security-opt mask=`: more paths to mask.
    pub mask: Vec<String>,
    /// `--security-opt unmask=`: masked or read-only paths to leave visible (`ALL`: every one).
    pub unmask: Vec<String>,
}

/// Where `--init` puts the init binary in the container (podman's `define.ContainerInitPath`).
pub const INIT_PATH: &str = "/run/podman-init";

impl Default for ContainerConfig {
    fn default() -> Self {
        ContainerConfig {
            args: Vec::new(),
            env: Vec::new(),
            cwd: None,
            user: None,
            hostname: None,
            terminal: false,
            volumes: Vec::new(),
            pid: NamespaceMode::Private,
            ipc: NamespaceMode::Private,
            uts: NamespaceMode::Private,
            network: NetworkMode::None,
            cap_add: Vec::new(),
            cap_drop: Vec::new(),
            privileged: false,
            read_only: false,
            read_only_tmpfs: true,
            no_new_privileges: false,
            seccomp: Seccomp::Default,
            annotations: BTreeMap::new(),
            ulimits: Vec::new(),
            cgroups_path: None,
            resources: Resources::default(),
            devices: Vec::new(),
            device_rules: Vec::new(),
            tmpfs: Vec::new(),
            init: None,
            group_add: Vec::new(),
            mask: Vec::new(),
            unmask: Vec::new(),
        }
    }
}

fn build_err(what: &'static str) -> impl FnOnce(oci_spec::OciSpecError) -> BundleError {
    move |source| BundleError::Build { what, source }
}

fn mount(dst: &str, typ: &str, src: &str, options: &[&str]) -> Result<Mount, BundleError> {
    MountBuilder::default()
        .destination(dst)
        .typ(typ)
        .source(src)
        .options(options.iter().map(|o| (*o).to_string()).collect::<Vec<_>>())
        .build()
        .map_err(build_err("mount"))
}

fn capability_set(names: &[&str]) -> Result<HashSet<Capability>, BundleError> {
    names
        .iter()
        .map(|n| {
            serde_json::from_value(serde_json::Value::String((*n).to_string())).map_err(|_| {
                BundleError::Unrepresentable {
                    what: format!("the capability {n}"),
                }
            })
        })
        .collect()
}

impl ContainerConfig {
    /// A container running `args` with every other setting at podman's default.
    #[must_use]
    pub fn new<S: Into<String>>(args: impl IntoIterator<Item = S>) -> ContainerConfig {
        ContainerConfig {
            args: args.into_iter().map(Into::into).collect(),
            ..ContainerConfig::default()
        }
    }

    /// The OCI spec for this container with its root filesystem at `rootfs` (already
    /// mounted: the user is resolved in its `/etc/passwd`), on this machine.
    ///
    /// # Errors
    ///
    /// When a setting cannot be honoured as asked (see [`BundleError`]): nothing is dropped
    /// or weakened silently.
    pub fn to_oci(&self, rootfs: &Path) -> Result<Spec, BundleError> {
        self.to_oci_on(rootfs, &Host::current()?)
    }

    /// [`to_oci`](Self::to_oci) for the machine described by `host`.
    ///
    /// # Errors
    ///
    /// As [`to_oci`](Self::to_oci).
    pub fn to_oci_on(&self, rootfs: &Path, host: &Host) -> Result<Spec, BundleError> {
        if self.args.is_empty() {
            return Err(BundleError::NoCommand);
        }
        let cwd = self.cwd.clone().unwrap_or_else(|| "/".into());
        if !cwd.starts_with('/') {
            return Err(BundleError::RelativeCwd { cwd });
        }
        if self.hostname.is_some() && self.uts != NamespaceMode::Private {
            return Err(BundleError::HostnameWithoutUtsNamespace {
                uts: self.uts.to_string(),
            });
        }
        let mut user = user::resolve(rootfs, self.user.as_deref())?;
        user.additional_gids
            .extend(user::group_ids(rootfs, &self.group_add)?);
        user.additional_gids.sort_unstable();
        user.additional_gids.dedup();
        let args = match &self.init {
            Some(init) => {
                resources::check_init(init)?;
                [INIT_PATH.to_string(), "--".to_string()]
                    .into_iter()
                    .chain(self.args.iter().cloned())
                    .collect()
            }
            None => self.args.clone(),
        };
        let caps = caps::resolve(
            &self.cap_add,
            &self.cap_drop,
            self.privileged,
            &host.bounding_caps,
        )?;
        let limits = ulimit::effective(
            &self.ulimits,
            |k| host.hard_limit(k),
            host.can_raise_rlimits,
        )?;

        let process = ProcessBuilder::default()
            .terminal(self.terminal)
            .user({
                let mut b = UserBuilder::default()
                    .uid(user.uid)
                    .gid(user.gid)
                    .umask(UMASK);
                if !user.additional_gids.is_empty() {
                    b = b.additional_gids(user.additional_gids.clone());
                }
                b.build().map_err(build_err("process user"))?
            })
            .args(args)
            .env(self.environment(&user.home)?)
            .cwd(cwd)
            .capabilities(self.capabilities(&caps, user.uid)?)
            .rlimits(
                limits
                    .iter()
                    .map(|u| {
                        PosixRlimitBuilder::default()
                            .typ(u.kind.oci())
                            .soft(u.soft)
                            .hard(u.hard)
                            .build()
                            .map_err(build_err("resource limit"))
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            )
            .no_new_privileges(self.no_new_privileges)
            .build()
            .map_err(build_err("process"))?;

        let seccomp = match (&self.seccomp, self.privileged) {
            (Seccomp::Unconfined, _) | (Seccomp::Default, true) => None,
            (Seccomp::Default, false) => Some(seccomp::to_oci(
                &profiles::default_profile::default_profile(),
                &caps.bounding,
                host,
            )?),
            (Seccomp::Profile(p), _) => Some(seccomp::to_oci(p, &caps.bounding, host)?),
        };

        let mut resources = LinuxResources::default();
        let mut rule = LinuxDeviceCgroup::default();
        rule.set_allow(self.privileged);
        rule.set_access(Some("rwm".into()));
        let mut rules = vec![rule];
        let mut devices = Vec::new();
        for d in &self.devices {
            let (dev, allow) = d.to_oci()?;
            devices.push(dev);
            rules.push(allow);
        }
        rules.extend(self.device_rules.iter().map(|r| r.0.clone()));
        resources.set_devices(Some(rules));
        // podman: `--pids-limit` 0 or -1 is no limit; unset, containers.conf's 2048.
        let pids_limit = match self.resources.pids_limit {
            Some(n) if n <= 0 => None,
            Some(n) => Some(n),
            None => Some(PIDS_LIMIT),
        };
        match pids_limit {
            Some(limit) if host.pids_controller => {
                let mut pids = LinuxPids::default();
                pids.set_limit(limit);
                resources.set_pids(Some(pids));
            }
            Some(_) if self.resources.pids_limit.is_some() => {
                return Err(BundleError::Unrepresentable {
                    what: "--pids-limit on a host without the pids cgroup controller".into(),
                })
            }
            _ => {}
        }
        if self.resources.memory.is_some() {
            let mut m = LinuxMemory::default();
            m.set_limit(self.resources.memory);
            m.set_swap(self.resources.memory_swap);
            resources.set_memory(Some(m));
        }
        if let Some(quota) = self.resources.cpu_quota {
            let mut c = LinuxCpu::default();
            c.set_quota(Some(quota));
            c.set_period(Some(resources::CPU_PERIOD));
            resources.set_cpu(Some(c));
        }

        let mut linux = LinuxBuilder::default()
            .resources(resources)
            .namespaces(self.namespaces(host)?)
            .masked_paths(self.visible(MASKED_PATHS, &self.mask))
            .readonly_paths(self.visible(READONLY_PATHS, &[]))
            .build()
            .map_err(build_err("linux section"))?;
        linux.set_seccomp(seccomp);
        linux.set_cgroups_path(self.cgroups_path.clone());
        linux.set_devices(if self.privileged {
            Some(devices::host_devices(Path::new("/dev"))?)
        } else if devices.is_empty() {
            None
        } else {
            Some(devices)
        });
        linux.set_uid_mappings(None);
        linux.set_gid_mappings(None);
        linux.set_sysctl(None);
        linux.set_rootfs_propagation(None);
        linux.set_mount_label(None);

        let mut spec = Spec::default();
        spec.set_version(OCI_VERSION.into());
        spec.set_root(Some(
            RootBuilder::default()
                .path(rootfs)
                .readonly(self.read_only)
                .build()
                .map_err(build_err("root"))?,
        ));
        spec.set_mounts(Some(self.mounts()?));
        spec.set_process(Some(process));
        spec.set_hostname(self.hostname.clone());
        spec.set_domainname(None);
        spec.set_hooks(None);
        spec.set_annotations(Some(
            self.annotations
                .iter()
                .map(|(k, v)| (k.clone(), v.clone()))
                .collect::<HashMap<_, _>>(),
        ));
        spec.set_linux(Some(linux));
        Ok(spec)
    }

    /// The default `paths` plus `extra` (`mask=`), less what `unmask=` names; none when
    /// privileged, as podman.
    fn visible(&self, paths: &[&str], extra: &[String]) -> Vec<String> {
        if self.privileged {
            return Vec::new();
        }
        let all = self.unmask.iter().any(|u| u == "ALL");
        paths
            .iter()
            .map(|p| (*p).to_string())
            .filter(|p| !all && !self.unmask.contains(p))
            .chain(extra.iter().cloned())
            .collect()
    }

    fn environment(&self, home: &str) -> Result<Vec<String>, BundleError> {
        let mut env: Vec<(String, String)> = vec![
            ("PATH".into(), DEFAULT_PATH.into()),
            ("TERM".into(), "xterm".into()),
        ];
        if let Some(h) = &self.hostname {
            env.push(("HOSTNAME".into(), h.clone()));
        }
        env.push(("HOME".into(), home.into()));
        for entry in &self.env {
            let (k, v) = entry
                .split_once('=')
                .filter(|(k, _)| !k.is_empty())
                .ok_or_else(|| BundleError::InvalidEnv {
                    entry: entry.clone(),
                })?;
            match env.iter_mut().find(|(ek, _)| ek == k) {
                Some(slot) => slot.1 = v.into(),
                None => env.push((k.into(), v.into())),
            }
        }
        Ok(env.into_iter().map(|(k, v)| format!("{k}={v}")).collect())
    }

    fn capabilities(
        &self,
        caps: &caps::CapSets,
        uid: u32,
    ) -> Result<LinuxCapabilities, BundleError> {
        let bounding = capability_set(&caps.bounding)?;
        // podman: root keeps the whole set; another user only what --cap-add names, through
        // the ambient set (capabilities(7): execve clears a non-root process's permitted set
        // except for ambient capabilities).
        let (effective, ambient) = if uid == 0 {
            (bounding.clone(), HashSet::new())
        } else {
            let user = capability_set(&caps.user)?;
            (user.clone(), user)
        };
        let mut c = LinuxCapabilities::default();
        c.set_bounding(Some(bounding));
        c.set_effective(Some(effective.clone()));
        c.set_permitted(Some(effective));
        c.set_inheritable(Some(ambient.clone()));
        c.set_ambient(Some(ambient));
        Ok(c)
    }

    fn namespaces(&self, host: &Host) -> Result<Vec<LinuxNamespace>, BundleError> {
        let ns = |typ: LinuxNamespaceType, path: Option<PathBuf>| {
            let mut n = LinuxNamespace::default();
            n.set_typ(typ);
            n.set_path(path);
            n
        };
        let mode = |typ, file, m: &NamespaceMode| match m {
            NamespaceMode::Private => Some(ns(typ, None)),
            NamespaceMode::Host => None,
            NamespaceMode::Container(r) => Some(ns(typ, Some(r.path(file)))),
        };
        let mut out = Vec::new();
        out.extend(mode(LinuxNamespaceType::Pid, "pid", &self.pid));
        out.extend(match &self.network {
            NetworkMode::None => Some(ns(LinuxNamespaceType::Network, None)),
            NetworkMode::Host => None,
            NetworkMode::Container(r) => Some(ns(LinuxNamespaceType::Network, Some(r.path("net")))),
        });
        out.extend(mode(LinuxNamespaceType::Ipc, "ipc", &self.ipc));
        out.extend(mode(LinuxNamespaceType::Uts, "uts", &self.uts));
        out.push(ns(LinuxNamespaceType::Mount, None));
        if host.cgroup2 {
            out.push(ns(LinuxNamespaceType::Cgroup, None));
        }
        Ok(out)
    }

    fn mounts(&self) -> Result<Vec<Mount>, BundleError> {
        let sys_access = if self.privileged { "rw" } else { "ro" };
        let mut mounts = vec![
            mount("/proc", "proc", "proc", &["nosuid", "noexec", "nodev"])?,
            mount(
                "/dev",
                "tmpfs",
                "tmpfs",
                &["nosuid", "strictatime", "mode=755", "size=65536k"],
            )?,
            mount(
                "/dev/pts",
                "devpts",
                "devpts",
                &[
                    "nosuid",
                    "noexec",
                    "newinstance",
                    "ptmxmode=0666",
                    "mode=0620",
                    "gid=5",
                ],
            )?,
            mount(
                "/dev/mqueue",
                "mqueue",
                "mqueue",
                &["nosuid", "noexec", "nodev"],
            )?,
            mount(
                "/sys",
                "sysfs",
                "sysfs",
                &["rprivate", "nosuid", "noexec", "nodev", sys_access],
            )?,
            mount(
                "/sys/fs/cgroup",
                "cgroup",
                "cgroup",
                &[
                    "rprivate", "nosuid", "noexec", "nodev", "relatime", sys_access,
                ],
            )?,
        ];
        // /dev/shm belongs to the IPC namespace: the host's or the joined container's when
        // the container shares it, as podman binds it.
        let shm_opts = ["bind", "rprivate", "nosuid", "noexec", "nodev"];
        mounts.push(match &self.ipc {
            NamespaceMode::Private | NamespaceMode::Container(NsRef::Path(_)) => mount(
                "/dev/shm",
                "tmpfs",
                "shm",
                &[
                    "nosuid",
                    "noexec",
                    "nodev",
                    "mode=1777",
                    &format!("size={SHM_SIZE}"),
                ],
            )?,
            NamespaceMode::Host => mount("/dev/shm", "bind", "/dev/shm", &shm_opts)?,
            NamespaceMode::Container(NsRef::Pid(pid)) => mount(
                "/dev/shm",
                "bind",
                &format!("/proc/{pid}/root/dev/shm"),
                &shm_opts,
            )?,
        });
        if self.read_only && self.read_only_tmpfs {
            for dst in ["/tmp", "/var/tmp", "/run"] {
                mounts.push(mount(
                    dst,
                    "tmpfs",
                    "tmpfs",
                    &["rw", "rprivate", "nosuid", "nodev", "tmpcopyup"],
                )?);
            }
        }
        // A volume replaces a default mount at the same place (podman SupersedeUserMounts).
        let mut volumes = Vec::new();
        for t in &self.tmpfs {
            volumes.push(t.to_mount()?);
        }
        if let Some(init) = &self.init {
            volumes.push(mount(
                INIT_PATH,
                "bind",
                &init.display().to_string(),
                &["bind", "rprivate", "ro"],
            )?);
        }
        for v in &self.volumes {
            std::fs::metadata(&v.source).map_err(|source| BundleError::VolumeSource {
                path: v.source.clone(),
                source,
            })?;
            volumes.push(v.to_mount()?);
        }
        mounts.retain(|m| !volumes.iter().any(|v| v.destination() == m.destination()));
        mounts.extend(volumes);
        Ok(mounts)
    }
}

/// The spec as deterministic, pretty JSON: capabilities in capability-number order, map keys
/// (annotations) sorted. oci-spec keeps both in hash containers, whose order changes per run.
///
/// # Errors
///
/// When the spec does not serialize (it always does for specs built here).
pub fn to_json(spec: &Spec) -> Result<String, BundleError> {
    let mut v = serde_json::to_value(spec).map_err(|source| BundleError::Serialize { source })?;
    let rank = |c: &serde_json::Value| {
        let name = c.as_str().unwrap_or_default();
        profiles::caps::CAPABILITIES
            .iter()
            .position(|(n, _)| *n == name)
            .unwrap_or(usize::MAX)
    };
    if let Some(caps) = v
        .pointer_mut("/process/capabilities")
        .and_then(serde_json::Value::as_object_mut)
    {
        for set in caps.values_mut() {
            if let Some(list) = set.as_array_mut() {
                list.sort_by_key(rank);
            }
        }
    }
    for ptr in ["/annotations", "/linux/sysctl"] {
        if let Some(map) = v
            .pointer_mut(ptr)
            .and_then(serde_json::Value::as_object_mut)
        {
            let mut entries: Vec<(String, serde_json::Value)> =
                std::mem::take(map).into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            map.extend(entries);
        }
    }
    let mut s =
        serde_json::to_string_pretty(&v).map_err(|source| BundleError::Serialize { source })?;
    s.push('\n');
    Ok(s)
}

/// Writes `spec` as `dir/config.json` atomically: a temporary file in `dir`, flushed to disk,
/// renamed over the old one, so a runtime (or an rpod killed halfway) never sees half a file.
/// Returns the path written.
///
/// # Errors
///
/// When `dir` is not writable or the disk is full.
pub fn write_bundle(dir: &Path, spec: &Spec) -> Result<PathBuf, BundleError> {
    let json = to_json(spec)?;
    let path = dir.join(CONFIG_FILE);
    let err = |source| BundleError::Write {
        path: path.clone(),
        source,
    };
    let mut tmp = tempfile::Builder::new()
        .prefix(".config.json.")
        .tempfile_in(dir)
        .map_err(err)?;
    tmp.write_all(json.as_bytes()).map_err(err)?;
    tmp.as_file().sync_all().map_err(err)?;
    tmp.persist(&path).map_err(|e| err(e.error))?;
    Ok(path)
}

#[cfg(test)]
mod tests;
