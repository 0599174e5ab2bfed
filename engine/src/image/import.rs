//! `rpod import TARBALL [NAME[:TAG]]`: a root filesystem tar (optionally gzip-compressed)
//! becomes a one-layer image.
//!
//! `--change` takes podman's Dockerfile-like instructions, `KEY VALUE` or `KEY=VALUE`:
//!
//! | instruction  | effect (as podman's `ImageConfigFromChanges`)                                 |
//! |--------------|-------------------------------------------------------------------------------|
//! | `CMD`        | a JSON array as is; otherwise `["/bin/sh", "-c", VALUE]`                       |
//! | `ENTRYPOINT` | a JSON array as is; otherwise `["/bin/sh", "-c", VALUE]`; empty clears it      |
//! | `ENV`        | `K=V` (or `K V`); quotes around K or V are stripped; replaces an earlier K     |
//! | `WORKDIR`    | absolute, or relative to the previous `WORKDIR`                                |
//! | `USER`       | `user[:group]`                                                                |
//! | `LABEL`      | `K=V`                                                                          |
//! | `EXPOSE`     | `PORT[/tcp|udp|sctp]`, space-separated                                         |
//! | `VOLUME`     | a JSON array or space-separated paths                                          |
//! | `STOPSIGNAL` | a signal name or number                                                        |
//!
//! `ONBUILD` has no place in an OCI config and is refused, as is anything else.

use std::io::Read;
use std::path::Path;
use std::time::SystemTime;

use oci_spec::image::{
    Config, DescriptorBuilder, HistoryBuilder, ImageConfigurationBuilder, ImageManifestBuilder,
    MediaType, RootFsBuilder,
};

use super::{
    add_layer, canonical_json, host_platform, layer_media_type, lookup, normalize_name,
    DefaultDomain, Image, ImageError, Limits,
};
use crate::storage::{Digest, NewImage, NewLayer, Staging, Store};
use crate::time;

/// Options of [`import`].
#[derive(Debug, Clone, Default)]
pub struct ImportOptions {
    /// `NAME[:TAG]`; short names get `localhost/`. `None` leaves the image unnamed.
    pub reference: Option<String>,
    /// `--change` instructions, in order.
    pub changes: Vec<String>,
    /// `--message`: the comment of the image's history entry.
    pub message: Option<String>,
    /// The image's creation time; `None` is now. podman takes a tarball file's modification
    /// time, so importing the same file twice gives the same image.
    pub created: Option<SystemTime>,
    pub limits: Limits,
}

/// Imports a root filesystem tar as a one-layer image.
///
/// # Errors
///
/// An invalid name or change (before anything is read), a refused archive, or a storage error.
pub fn import(
    store: &Store,
    tarball: &mut dyn Read,
    opts: &ImportOptions,
) -> Result<Image, ImageError> {
    let names = match &opts.reference {
        Some(r) => vec![normalize_name(r, DefaultDomain::Localhost)?],
        None => Vec::new(),
    };
    let mut config = Config::default();
    apply_changes(&mut config, &opts.changes)?;

    let staging = store.staging()?;
    let result = import_with(&staging, tarball, opts, config, names);
    drop(staging);
    match result {
        Ok(id) => lookup(store, &id),
        Err(e) => {
            // What a refused tarball stored (its blob) is garbage now. Best effort: gc skips
            // the work if another command holds the store, and its own errors must not hide
            // the reason the import failed.
            let _ = store.gc();
            Err(e)
        }
    }
}

fn import_with(
    staging: &Staging<'_>,
    tarball: &mut dyn Read,
    opts: &ImportOptions,
    config: Config,
    names: Vec<String>,
) -> Result<String, ImageError> {
    let blob = staging.put_blob(tarball, None)?;
    let media_type = layer_media_type(&blob.path)?;
    let (diff_id, _size) = add_layer(staging, &blob, None, &opts.limits)?;

    let created = time::format_rfc3339(opts.created.unwrap_or_else(SystemTime::now));
    let (os, arch) = host_platform();
    let oci_err = |what: &'static str| {
        move |e: oci_spec::OciSpecError| ImageError::InvalidChange {
            change: what.to_owned(),
            reason: e.to_string(),
        }
    };
    let mut history = HistoryBuilder::default()
        .created(created.clone())
        .created_by("rpod import");
    if let Some(m) = &opts.message {
        history = history.comment(m.clone());
    }
    let image_config = ImageConfigurationBuilder::default()
        .created(created.clone())
        .architecture(arch)
        .os(os)
        .config(config)
        .rootfs(
            RootFsBuilder::default()
                .typ("layers")
                .diff_ids(vec![diff_id.to_string()])
                .build()
                .map_err(oci_err("rootfs"))?,
        )
        .history(vec![history.build().map_err(oci_err("history"))?])
        .build()
        .map_err(oci_err("config"))?;
    let config_json = canonical_json("config", &image_config)?;
    let config_digest = Digest::of_bytes(config_json.as_bytes());

    let manifest = ImageManifestBuilder::default()
        .schema_version(2u32)
        .media_type(MediaType::ImageManifest)
        .config(descriptor(
            MediaType::ImageConfig,
            &config_digest,
            config_json.len() as u64,
        )?)
        .layers(vec![descriptor(
            MediaType::from(media_type),
            &blob.digest,
            blob.size,
        )?])
        .build()
        .map_err(oci_err("manifest"))?;
    let manifest_json = canonical_json("manifest", &manifest)?;

    Ok(staging.commit_image(&NewImage {
        config: config_json,
        manifest: manifest_json,
        created: Some(created),
        layers: vec![NewLayer {
            diff_id,
            blob: blob.digest.clone(),
            media_type: media_type.to_owned(),
            blob_size: blob.size,
        }],
        names,
    })?)
}

/// An OCI descriptor for a blob of ours.
pub(crate) fn descriptor(
    media_type: MediaType,
    digest: &Digest,
    size: u64,
) -> Result<oci_spec::image::Descriptor, ImageError> {
    let oci_digest: oci_spec::image::Digest = digest
        .to_string()
        .parse()
        .expect("a sha256 digest is a valid OCI digest");
    DescriptorBuilder::default()
        .media_type(media_type)
        .digest(oci_digest)
        .size(size)
        .build()
        .map_err(|e| ImageError::InvalidChange {
            change: "descriptor".to_owned(),
            reason: e.to_string(),
        })
}

fn bad(change: &str, reason: impl Into<String>) -> ImageError {
    ImageError::InvalidChange {
        change: change.to_owned(),
        reason: reason.into(),
    }
}

fn unquote(s: &str) -> &str {
    s.strip_prefix('"')
        .and_then(|t| t.strip_suffix('"'))
        .unwrap_or(s)
}

fn json_array(value: &str) -> Option<Vec<String>> {
    serde_json::from_str(value).ok()
}

const SIGNALS: [&str; 31] = [
    "HUP", "INT", "QUIT", "ILL", "TRAP", "ABRT", "BUS", "FPE", "KILL", "USR1", "SEGV", "USR2",
    "PIPE", "ALRM", "TERM", "STKFLT", "CHLD", "CONT", "STOP", "TSTP", "TTIN", "TTOU", "URG",
    "XCPU", "XFSZ", "VTALRM", "PROF", "WINCH", "IO", "PWR", "SYS",
];

fn valid_signal(v: &str) -> bool {
    if let Ok(n) = v.parse::<u32>() {
        return (1..=64).contains(&n);
    }
    let name = v.strip_prefix("SIG").unwrap_or(v);
    SIGNALS.contains(&name)
        || name
            .strip_prefix("RTMIN+")
            .or_else(|| name.strip_prefix("RTMAX-"))
            .and_then(|n| n.parse::<u32>().ok())
            .is_some_and(|n| n <= 30)
        || name == "RTMIN"
        || name == "RTMAX"
}

/// Applies podman-style `--change` instructions to `config`, in order.
///
/// # Errors
///
/// [`ImageError::InvalidChange`] naming the instruction and what is wrong.
pub fn apply_changes(config: &mut Config, changes: &[String]) -> Result<(), ImageError> {
    for change in changes {
        // podman splits at the first space, else at the first '='; whichever comes first is the
        // separator here, so `CMD=/bin/sh -c x` works too.
        let space = change.find(char::is_whitespace);
        let eq = change.find('=');
        let at = match (space, eq) {
            (Some(s), Some(e)) => s.min(e),
            (Some(i), None) | (None, Some(i)) => i,
            (None, None) => return Err(bad(change, "must be formatted as KEY VALUE or KEY=VALUE")),
        };
        let key = change[..at].trim().to_ascii_uppercase();
        let value = change[at + 1..].trim();
        match key.as_str() {
            "USER" => {
                if value.is_empty() {
                    return Err(bad(change, "USER needs a value"));
                }
                config.set_user(Some(value.to_owned()));
            }
            "CMD" => {
                let cmd = json_array(value).unwrap_or_else(|| {
                    let mut v = vec!["/bin/sh".to_owned(), "-c".to_owned()];
                    if !value.is_empty() {
                        v.push(value.to_owned());
                    }
                    v
                });
                config.set_cmd(Some(cmd));
            }
            "ENTRYPOINT" => {
                let ep = json_array(value).unwrap_or_else(|| {
                    if value.is_empty() {
                        Vec::new()
                    } else {
                        vec!["/bin/sh".to_owned(), "-c".to_owned(), value.to_owned()]
                    }
                });
                config.set_entrypoint(Some(ep));
            }
            "ENV" => {
                let (k, v) = match value.split_once('=') {
                    Some((k, v)) => (k, v),
                    None => value
                        .split_once(char::is_whitespace)
                        .map_or((value, ""), |(k, v)| (k, v.trim_start())),
                };
                let (k, v) = (unquote(k.trim()), unquote(v));
                if k.is_empty() || k.contains(char::is_whitespace) {
                    return Err(bad(change, "ENV needs a KEY=VALUE"));
                }
                let mut env = config.env().clone().unwrap_or_default();
                env.retain(|e| e.split_once('=').map_or(e.as_str(), |(ek, _)| ek) != k);
                env.push(format!("{k}={v}"));
                config.set_env(Some(env));
            }
            "WORKDIR" => {
                if value.is_empty() {
                    return Err(bad(change, "WORKDIR needs a path"));
                }
                let base = config.working_dir().clone().unwrap_or_else(|| "/".to_owned());
                let joined = Path::new(&base).join(value);
                config.set_working_dir(Some(clean_abs(&joined)));
            }
            "LABEL" => {
                let Some((k, v)) = value.split_once('=') else {
                    return Err(bad(change, "LABEL needs KEY=VALUE"));
                };
                let k = unquote(k.trim());
                if k.is_empty() {
                    return Err(bad(change, "LABEL needs KEY=VALUE"));
                }
                let mut labels = config.labels().clone().unwrap_or_default();
                labels.insert(k.to_owned(), unquote(v.trim()).to_owned());
                config.set_labels(Some(labels));
            }
            "EXPOSE" => {
                let mut ports = config.exposed_ports().clone().unwrap_or_default();
                for p in value.split_whitespace() {
                    let (num, proto) = p.split_once('/').unwrap_or((p, "tcp"));
                    let proto = proto.to_ascii_lowercase();
                    let ok = num.parse::<u16>().is_ok_and(|n| n > 0)
                        && matches!(proto.as_str(), "tcp" | "udp" | "sctp");
                    if !ok {
                        return Err(bad(change, format!("'{p}' is not PORT[/tcp|udp|sctp]")));
                    }
                    let port = format!("{num}/{proto}");
                    if !ports.contains(&port) {
                        ports.push(port);
                    }
                }
                if ports.is_empty() {
                    return Err(bad(change, "EXPOSE needs a port"));
                }
                ports.sort();
                config.set_exposed_ports(Some(ports));
            }
            "VOLUME" => {
                let vols = json_array(value)
                    .unwrap_or_else(|| value.split(' ').map(str::to_owned).collect());
                if vols.is_empty() || vols.iter().any(String::is_empty) {
                    return Err(bad(change, "VOLUME paths must not be empty"));
                }
                let mut all = config.volumes().clone().unwrap_or_default();
                for v in vols {
                    if !all.contains(&v) {
                        all.push(v);
                    }
                }
                all.sort();
                config.set_volumes(Some(all));
            }
            "STOPSIGNAL" => {
                if !valid_signal(value) {
                    return Err(bad(change, format!("'{value}' is not a signal")));
                }
                config.set_stop_signal(Some(value.to_owned()));
            }
            "ONBUILD" => return Err(bad(change, "ONBUILD has no place in an OCI image config")),
            _ => {
                return Err(bad(
                    change,
                    format!(
                        "unknown instruction '{key}' (CMD, ENTRYPOINT, ENV, EXPOSE, LABEL, STOPSIGNAL, USER, VOLUME, WORKDIR)"
                    ),
                ))
            }
        }
    }
    Ok(())
}

/// Lexically cleans an absolute path (`/a/b/../c` is `/a/c`).
fn clean_abs(p: &Path) -> String {
    let mut out: Vec<&str> = Vec::new();
    for c in p.to_str().unwrap_or("/").split('/') {
        match c {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            c => out.push(c),
        }
    }
    format!("/{}", out.join("/"))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn changed(changes: &[&str]) -> Config {
        let mut c = Config::default();
        apply_changes(
            &mut c,
            &changes.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>(),
        )
        .expect("valid changes");
        c
    }

    fn v(s: &[&str]) -> Option<Vec<String>> {
        Some(s.iter().map(|x| (*x).to_owned()).collect())
    }

    #[test]
    fn cmd_and_entrypoint_follow_podman() {
        assert_eq!(
            changed(&["CMD=/bin/sh"]).cmd(),
            &v(&["/bin/sh", "-c", "/bin/sh"])
        );
        assert_eq!(
            changed(&[r#"CMD ["/bin/echo","hi"]"#]).cmd(),
            &v(&["/bin/echo", "hi"])
        );
        assert_eq!(
            changed(&["CMD=echo a b"]).cmd(),
            &v(&["/bin/sh", "-c", "echo a b"])
        );
        assert_eq!(changed(&["ENTRYPOINT="]).entrypoint(), &v(&[]));
        assert_eq!(
            changed(&[r#"entrypoint=["/bin/busybox"]"#]).entrypoint(),
            &v(&["/bin/busybox"])
        );
    }

    #[test]
    fn env_workdir_user_label_expose_volume_stopsignal() {
        let c = changed(&[
            "ENV=A=1",
            "ENV B two words",
            r#"ENV "C"="quoted""#,
            "ENV A=2",
            "WORKDIR /srv",
            "WORKDIR app/../web",
            "USER=1000:1000",
            "LABEL org.x=y",
            "EXPOSE 80 53/udp",
            r#"VOLUME ["/data","/logs"]"#,
            "STOPSIGNAL=SIGINT",
        ]);
        assert_eq!(c.env(), &v(&["B=two words", "C=quoted", "A=2"]));
        assert_eq!(c.working_dir().as_deref(), Some("/srv/web"));
        assert_eq!(c.user().as_deref(), Some("1000:1000"));
        assert_eq!(
            c.labels()
                .as_ref()
                .and_then(|l| l.get("org.x"))
                .map(String::as_str),
            Some("y")
        );
        assert_eq!(c.exposed_ports(), &v(&["53/udp", "80/tcp"]));
        assert_eq!(c.volumes(), &v(&["/data", "/logs"]));
        assert_eq!(c.stop_signal().as_deref(), Some("SIGINT"));
    }

    #[test]
    fn bad_changes_say_what_is_wrong() {
        for (change, reason) in [
            ("CMD", "must be formatted"),
            ("FROM busybox", "unknown instruction 'FROM'"),
            ("ONBUILD RUN x", "ONBUILD"),
            ("EXPOSE 99999", "is not PORT"),
            ("STOPSIGNAL=SIGNOPE", "is not a signal"),
            ("ENV =x", "ENV needs"),
            ("WORKDIR=", "WORKDIR needs"),
            ("LABEL novalue", "LABEL needs"),
        ] {
            let mut c = Config::default();
            let err = apply_changes(&mut c, &[change.to_owned()]).expect_err(change);
            assert!(err.to_string().contains(reason), "{change}: {err}");
            assert!(err
                .to_string()
                .starts_with(&format!("invalid --change '{change}'")));
        }
    }
}
