//! Where the store lives: defaults, the config file, and what overrides what.
//!
//! Precedence, highest first: the command line (`--root`, `--runroot`, applied by the caller
//! with [`StorageConfig::with_overrides`]), the config file, the defaults.
//!
//! | who      | root                                   | runroot                             |
//! |----------|----------------------------------------|-------------------------------------|
//! | uid 0    | `/var/lib/rpod`                        | `/run/rpod`                         |
//! | others   | `$XDG_DATA_HOME/rpod` (`~/.local/share/rpod`) | `$XDG_RUNTIME_DIR/rpod` (`/tmp/rpod-<uid>`) |
//!
//! The config file is the first of these that exists (they are not merged):
//! `$XDG_CONFIG_HOME/rpod/rpod.toml` (for users other than root `~/.config/rpod/rpod.toml` when
//! `XDG_CONFIG_HOME` is unset), then `/etc/rpod/rpod.toml`. Keys:
//!
//! ```toml
//! # rpod.toml
//! root = "/srv/rpod"          # images, layers, the state database
//! runroot = "/run/rpod"       # per-boot state (tmpfs)
//! ```
//!
//! Both must be absolute. Other keys are left to the other parts of rpod that read the same file.

use std::path::{Path, PathBuf};

use serde::Deserialize;

use super::StorageError;

/// The system-wide config file.
pub const SYSTEM_CONFIG_FILE: &str = "/etc/rpod/rpod.toml";

/// Where the store is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StorageConfig {
    /// Images, layers and the state database (`rpod.db`).
    pub root: PathBuf,
    /// State that must not survive a reboot.
    pub runroot: PathBuf,
}

/// The environment the defaults depend on, so they can be computed (and tested) without the
/// process's own environment.
#[derive(Debug, Clone, Default)]
pub struct Environment {
    pub uid: u32,
    pub home: Option<PathBuf>,
    pub xdg_config_home: Option<PathBuf>,
    pub xdg_data_home: Option<PathBuf>,
    pub xdg_runtime_dir: Option<PathBuf>,
}

impl Environment {
    /// This process's environment.
    #[must_use]
    pub fn current() -> Environment {
        let var = |name: &str| {
            std::env::var_os(name)
                .filter(|v| !v.is_empty())
                .map(PathBuf::from)
                .filter(|p| p.is_absolute())
        };
        Environment {
            uid: rustix::process::geteuid().as_raw(),
            home: var("HOME"),
            xdg_config_home: var("XDG_CONFIG_HOME"),
            xdg_data_home: var("XDG_DATA_HOME"),
            xdg_runtime_dir: var("XDG_RUNTIME_DIR"),
        }
    }

    /// The config files to look for, in order.
    #[must_use]
    pub fn config_candidates(&self) -> Vec<PathBuf> {
        let user = self.xdg_config_home.clone().or_else(|| {
            (self.uid != 0)
                .then(|| self.home.as_ref().map(|h| h.join(".config")))
                .flatten()
        });
        user.map(|d| d.join("rpod/rpod.toml"))
            .into_iter()
            .chain([PathBuf::from(SYSTEM_CONFIG_FILE)])
            .collect()
    }
}

#[derive(Debug, Default, Deserialize)]
struct FileConfig {
    root: Option<PathBuf>,
    runroot: Option<PathBuf>,
}

impl StorageConfig {
    /// The built-in defaults for `env`.
    #[must_use]
    pub fn defaults(env: &Environment) -> StorageConfig {
        if env.uid == 0 {
            return StorageConfig {
                root: PathBuf::from("/var/lib/rpod"),
                runroot: PathBuf::from("/run/rpod"),
            };
        }
        let data = env
            .xdg_data_home
            .clone()
            .or_else(|| env.home.as_ref().map(|h| h.join(".local/share")))
            .unwrap_or_else(|| PathBuf::from(format!("/tmp/rpod-{}/data", env.uid)));
        let runroot = env.xdg_runtime_dir.as_ref().map_or_else(
            || PathBuf::from(format!("/tmp/rpod-{}", env.uid)),
            |d| d.join("rpod"),
        );
        StorageConfig {
            root: data.join("rpod"),
            runroot,
        }
    }

    /// The defaults overridden by the first config file found for `env`.
    ///
    /// # Errors
    ///
    /// An unreadable or invalid config file.
    pub fn load(env: &Environment) -> Result<StorageConfig, StorageError> {
        let defaults = StorageConfig::defaults(env);
        for path in env.config_candidates() {
            match std::fs::read_to_string(&path) {
                Ok(text) => return defaults.with_file(&path, &text),
                Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
                Err(source) => return Err(StorageError::ConfigRead { path, source }),
            }
        }
        Ok(defaults)
    }

    /// `self` overridden by the config file `path` whose content is `text`.
    ///
    /// # Errors
    ///
    /// Invalid TOML, a key of the wrong type, or a relative path.
    pub fn with_file(self, path: &Path, text: &str) -> Result<StorageConfig, StorageError> {
        let file: FileConfig =
            toml::from_str(text).map_err(|source| StorageError::ConfigParse {
                path: path.to_owned(),
                source,
            })?;
        let check = |key: &'static str, value: Option<PathBuf>, default: PathBuf| match value {
            Some(v) if v.is_absolute() => Ok(v),
            Some(v) => Err(StorageError::ConfigRelativePath {
                path: path.to_owned(),
                key,
                value: v,
            }),
            None => Ok(default),
        };
        Ok(StorageConfig {
            root: check("root", file.root, self.root)?,
            runroot: check("runroot", file.runroot, self.runroot)?,
        })
    }

    /// `self` with the command line's `--root`/`--runroot`, where given.
    #[must_use]
    pub fn with_overrides(self, root: Option<PathBuf>, runroot: Option<PathBuf>) -> StorageConfig {
        StorageConfig {
            root: root.unwrap_or(self.root),
            runroot: runroot.unwrap_or(self.runroot),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user() -> Environment {
        Environment {
            uid: 1000,
            home: Some("/home/u".into()),
            ..Environment::default()
        }
    }

    #[test]
    fn root_defaults_are_podmans_places_for_rpod() {
        let c = StorageConfig::defaults(&Environment::default());
        assert_eq!(c.root, Path::new("/var/lib/rpod"));
        assert_eq!(c.runroot, Path::new("/run/rpod"));
        assert_eq!(
            Environment::default().config_candidates(),
            [PathBuf::from("/etc/rpod/rpod.toml")]
        );
    }

    #[test]
    fn user_defaults_follow_xdg() {
        let c = StorageConfig::defaults(&user());
        assert_eq!(c.root, Path::new("/home/u/.local/share/rpod"));
        assert_eq!(c.runroot, Path::new("/tmp/rpod-1000"));
        assert_eq!(
            user().config_candidates(),
            [
                PathBuf::from("/home/u/.config/rpod/rpod.toml"),
                PathBuf::from("/etc/rpod/rpod.toml")
            ]
        );
        let env = Environment {
            xdg_config_home: Some("/x/cfg".into()),
            xdg_data_home: Some("/x/data".into()),
            xdg_runtime_dir: Some("/run/user/1000".into()),
            ..user()
        };
        let c = StorageConfig::defaults(&env);
        assert_eq!(c.root, Path::new("/x/data/rpod"));
        assert_eq!(c.runroot, Path::new("/run/user/1000/rpod"));
        assert_eq!(
            env.config_candidates()[0],
            Path::new("/x/cfg/rpod/rpod.toml")
        );
    }

    #[test]
    fn config_file_overrides_defaults_and_flags_override_the_file() {
        let c = StorageConfig::defaults(&Environment::default())
            .with_file(
                Path::new("/etc/rpod/rpod.toml"),
                "root = \"/srv/rpod\"\nother = 1\n",
            )
            .expect("valid file");
        assert_eq!(c.root, Path::new("/srv/rpod"));
        assert_eq!(c.runroot, Path::new("/run/rpod"));
        let c = c.with_overrides(None, Some("/tmp/rr".into()));
        assert_eq!(c.runroot, Path::new("/tmp/rr"));
        assert_eq!(c.root, Path::new("/srv/rpod"));
    }

    #[test]
    fn config_file_errors_name_the_file_and_key() {
        let base = StorageConfig::defaults(&Environment::default());
        let err = base
            .clone()
            .with_file(Path::new("/c.toml"), "runroot = \"rel\"")
            .expect_err("relative path");
        assert_eq!(
            err.to_string(),
            "'runroot' in /c.toml must be an absolute path, not 'rel'"
        );
        let err = base
            .with_file(Path::new("/c.toml"), "root = 3")
            .expect_err("wrong type");
        assert_eq!(err.to_string(), "invalid config file /c.toml");
    }
}
