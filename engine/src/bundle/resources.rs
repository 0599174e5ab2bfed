//! Resource limits and devices a user asks for: `--memory`, `--cpus`, `--pids-limit`,
//! `--device`, `--device-cgroup-rule`, turned into `linux.resources` and `linux.devices` for
//! the runtime to apply (runc writes them to the cgroup v1 files: `memory.limit_in_bytes`,
//! `cpu.cfs_quota_us`, `pids.max`, `devices.allow`).
//!
//! Podman's rules (pkg/specgen, pkg/util): sizes are `NUMBER[UNIT]` with units b, k, m, g, t
//! (powers of 1024, an optional trailing `b`); `--cpus N` is a CFS quota of N x 100000 us per
//! 100000 us period; a memory limit without `--memory-swap` lets swap equal the memory (the
//! memory+swap limit is twice the memory); `--pids-limit -1` (or 0) means no limit.

use std::os::unix::fs::{FileTypeExt as _, MetadataExt as _};
use std::path::{Path, PathBuf};
use std::str::FromStr;

use oci_spec::runtime::{LinuxDevice, LinuxDeviceBuilder, LinuxDeviceCgroup, LinuxDeviceType};

use super::error::BundleError;

/// CFS period podman uses for `--cpus` (containers/common `cpuPeriod`).
pub const CPU_PERIOD: u64 = 100_000;

/// Bytes of a podman size: `NUMBER[UNIT]`, units `b k m g t` (1024-based), optionally followed
/// by `b` (`512m`, `1gb`, `100`).
///
/// # Errors
/// [`BundleError::InvalidSize`] for anything else, or a size that does not fit in i64.
pub fn parse_size(flag: &'static str, value: &str) -> Result<i64, BundleError> {
    let bad = |reason: &str| BundleError::InvalidSize {
        flag,
        value: value.into(),
        reason: reason.into(),
    };
    let v = value.trim().to_ascii_lowercase();
    let split = v
        .find(|c: char| !c.is_ascii_digit() && c != '.')
        .unwrap_or(v.len());
    let (num, unit) = v.split_at(split);
    let num: f64 = num
        .parse()
        .map_err(|_| bad("expected NUMBER[UNIT], e.g. 512m"))?;
    let unit = unit
        .strip_suffix('b')
        .filter(|u| !u.is_empty())
        .unwrap_or(unit);
    let mult: f64 = match unit {
        "" | "b" => 1.0,
        "k" => 1024.0,
        "m" => 1024.0 * 1024.0,
        "g" => 1024.0 * 1024.0 * 1024.0,
        "t" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return Err(bad("the unit must be one of b, k, m, g, t")),
    };
    let bytes = (num * mult).trunc();
    let max = i64::MAX as f64;
    if !(0.0..max).contains(&bytes) {
        return Err(bad("out of range"));
    }
    #[expect(
        clippy::cast_possible_truncation,
        reason = "checked to be within 0..i64::MAX above"
    )]
    Ok(bytes as i64)
}

/// What `--memory`, `--cpus` and `--pids-limit` ask for (`None`: not set).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Resources {
    /// Bytes (`memory.limit_in_bytes`).
    pub memory: Option<i64>,
    /// Memory plus swap (`memory.memsw.limit_in_bytes`): twice the memory, as podman.
    pub memory_swap: Option<i64>,
    /// `--cpus`: the CFS quota per [`CPU_PERIOD`].
    pub cpu_quota: Option<i64>,
    /// `--pids-limit`: a number, or `Some(-1)` for unlimited; `None` keeps podman's 2048.
    pub pids_limit: Option<i64>,
}

impl Resources {
    /// `--memory SIZE`: the limit, and swap the same again.
    ///
    /// # Errors
    /// An invalid size, or one under podman's 6 MiB minimum.
    pub fn set_memory(&mut self, value: &str) -> Result<(), BundleError> {
        let bytes = parse_size("--memory", value)?;
        // podman: "minimum memory limit allowed is 6MB" (pkg/specgen/generate).
        if bytes < 6 * 1024 * 1024 {
            return Err(BundleError::InvalidSize {
                flag: "--memory",
                value: value.into(),
                reason: "minimum memory limit allowed is 6MB".into(),
            });
        }
        self.memory = Some(bytes);
        self.memory_swap = Some(bytes.saturating_mul(2));
        Ok(())
    }

    /// `--cpus N`.
    ///
    /// # Errors
    /// A negative or non-finite number.
    pub fn set_cpus(&mut self, cpus: f64) -> Result<(), BundleError> {
        if !cpus.is_finite() || cpus < 0.0 {
            return Err(BundleError::InvalidCpus { cpus });
        }
        #[expect(
            clippy::cast_possible_truncation,
            reason = "a CPU count times 100000 is far from i64's bounds"
        )]
        let quota = (cpus * CPU_PERIOD as f64).round() as i64;
        // podman: --cpus 0 means no limit.
        self.cpu_quota = (quota > 0).then_some(quota);
        Ok(())
    }
}

/// `--device HOST[:CONTAINER][:PERMISSIONS]`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Device {
    pub host: PathBuf,
    pub container: PathBuf,
    /// Some of `rwm`.
    pub access: String,
}

fn is_access(s: &str) -> bool {
    !s.is_empty() && s.len() <= 3 && s.chars().all(|c| matches!(c, 'r' | 'w' | 'm'))
}

impl FromStr for Device {
    type Err = BundleError;

    fn from_str(spec: &str) -> Result<Device, BundleError> {
        let bad = |reason: &str| BundleError::InvalidDevice {
            spec: spec.into(),
            reason: reason.into(),
        };
        let parts: Vec<&str> = spec.split(':').collect();
        // podman ParseDevice: the second field is a path when it starts with '/', else access.
        let (host, ctr, access) = match parts.as_slice() {
            [h] => (*h, *h, "rwm"),
            [h, x] if is_access(x) => (*h, *h, *x),
            [h, c] => (*h, *c, "rwm"),
            [h, c, a] => (*h, *c, *a),
            _ => return Err(bad("expected HOST[:CONTAINER][:PERMISSIONS]")),
        };
        if !host.starts_with('/') || !ctr.starts_with('/') {
            return Err(bad("device paths must be absolute"));
        }
        if !is_access(access) {
            return Err(bad("permissions are some of r, w and m"));
        }
        Ok(Device {
            host: host.into(),
            container: ctr.into(),
            access: access.into(),
        })
    }
}

impl Device {
    /// The device node for `linux.devices` and the cgroup rule that allows it, read from the
    /// host's node now.
    pub(crate) fn to_oci(&self) -> Result<(LinuxDevice, LinuxDeviceCgroup), BundleError> {
        let meta = std::fs::metadata(&self.host).map_err(|source| BundleError::DeviceSource {
            path: self.host.clone(),
            source,
        })?;
        let ft = meta.file_type();
        let typ = if ft.is_char_device() {
            LinuxDeviceType::C
        } else if ft.is_block_device() {
            LinuxDeviceType::B
        } else {
            return Err(BundleError::DeviceSource {
                path: self.host.clone(),
                source: std::io::Error::new(
                    std::io::ErrorKind::InvalidInput,
                    "not a character or block device",
                ),
            });
        };
        let rdev = meta.rdev();
        let number = |v: u64| {
            i64::try_from(v).map_err(|_| BundleError::Unrepresentable {
                what: format!("device number {v} of {}", self.host.display()),
            })
        };
        let (major, minor) = (
            number(nix::sys::stat::major(rdev))?,
            number(nix::sys::stat::minor(rdev))?,
        );
        let dev = LinuxDeviceBuilder::default()
            .path(&self.container)
            .typ(typ)
            .major(major)
            .minor(minor)
            .file_mode(meta.mode() & 0o7777)
            .uid(meta.uid())
            .gid(meta.gid())
            .build()
            .map_err(|source| BundleError::Build {
                what: "device",
                source,
            })?;
        let mut rule = LinuxDeviceCgroup::default();
        rule.set_allow(true);
        rule.set_typ(Some(typ));
        rule.set_major(Some(major));
        rule.set_minor(Some(minor));
        rule.set_access(Some(self.access.clone()));
        Ok((dev, rule))
    }
}

/// `--device-cgroup-rule 'TYPE MAJOR:MINOR ACCESS'`: TYPE `a`, `b` or `c`; MAJOR and MINOR
/// numbers or `*`; ACCESS some of `rwm`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRule(pub LinuxDeviceCgroup);

impl FromStr for DeviceRule {
    type Err = BundleError;

    fn from_str(spec: &str) -> Result<DeviceRule, BundleError> {
        let bad = || BundleError::InvalidDeviceRule { spec: spec.into() };
        let f: Vec<&str> = spec.split_whitespace().collect();
        let [typ, numbers, access] = f.as_slice() else {
            return Err(bad());
        };
        let typ = match *typ {
            "a" => LinuxDeviceType::A,
            "b" => LinuxDeviceType::B,
            "c" => LinuxDeviceType::C,
            _ => return Err(bad()),
        };
        let (major, minor) = numbers.split_once(':').ok_or_else(bad)?;
        let num = |n: &str| -> Result<Option<i64>, BundleError> {
            if n == "*" {
                Ok(None)
            } else {
                n.parse().map(Some).map_err(|_| bad())
            }
        };
        if !is_access(access) {
            return Err(bad());
        }
        let mut rule = LinuxDeviceCgroup::default();
        rule.set_allow(true);
        rule.set_typ(Some(typ));
        rule.set_major(num(major)?);
        rule.set_minor(num(minor)?);
        rule.set_access(Some((*access).to_string()));
        Ok(DeviceRule(rule))
    }
}

/// Whether `path` is a readable host file (the `--init` binary).
pub(crate) fn check_init(path: &Path) -> Result<(), BundleError> {
    match std::fs::metadata(path) {
        Ok(m) if m.is_file() => Ok(()),
        Ok(_) => Err(BundleError::InitBinary {
            path: path.into(),
            source: std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a regular file"),
        }),
        Err(source) => Err(BundleError::InitBinary {
            path: path.into(),
            source,
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_follow_podmans_units() {
        assert_eq!(parse_size("--memory", "100").unwrap(), 100);
        assert_eq!(parse_size("--memory", "64m").unwrap(), 64 << 20);
        assert_eq!(parse_size("--memory", "1GB").unwrap(), 1 << 30);
        assert_eq!(parse_size("--memory", "1.5k").unwrap(), 1536);
        assert!(parse_size("--memory", "12q").is_err());
        assert!(parse_size("--memory", "m").is_err());
    }

    #[test]
    fn memory_sets_swap_to_twice_and_refuses_under_6mb() {
        let mut r = Resources::default();
        r.set_memory("64m").unwrap();
        assert_eq!((r.memory, r.memory_swap), (Some(64 << 20), Some(128 << 20)));
        assert!(r.set_memory("1m").is_err());
    }

    #[test]
    fn cpus_are_a_quota_per_100ms() {
        let mut r = Resources::default();
        r.set_cpus(1.5).unwrap();
        assert_eq!(r.cpu_quota, Some(150_000));
        r.set_cpus(0.0).unwrap();
        assert_eq!(r.cpu_quota, None);
        assert!(r.set_cpus(-1.0).is_err());
    }

    #[test]
    fn device_specs_take_podmans_forms() {
        let d: Device = "/dev/null".parse().unwrap();
        assert_eq!(
            (d.container.to_str(), d.access.as_str()),
            (Some("/dev/null"), "rwm")
        );
        let d: Device = "/dev/null:r".parse().unwrap();
        assert_eq!(
            (d.container.to_str(), d.access.as_str()),
            (Some("/dev/null"), "r")
        );
        let d: Device = "/dev/null:/dev/mynull:rw".parse().unwrap();
        assert_eq!(
            (d.container.to_str(), d.access.as_str()),
            (Some("/dev/mynull"), "rw")
        );
        assert!("dev/null".parse::<Device>().is_err());
        assert!("/dev/null:/x:rwx".parse::<Device>().is_err());
    }

    #[test]
    fn device_cgroup_rules_parse_type_numbers_and_access() {
        let r: DeviceRule = "c 1:3 mr".parse().unwrap();
        assert_eq!(r.0.major(), Some(1));
        assert_eq!(r.0.access().as_deref(), Some("mr"));
        let r: DeviceRule = "a *:* rwm".parse().unwrap();
        assert_eq!((r.0.major(), r.0.minor()), (None, None));
        assert!("c 1:3".parse::<DeviceRule>().is_err());
        assert!("x 1:3 r".parse::<DeviceRule>().is_err());
    }
}
