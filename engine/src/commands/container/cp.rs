//! `rpod cp`: files between the host and containers, or two containers, or a tar stream.

use std::io::{self, Write as _};

use anyhow::bail;

use super::lifecycle::is_missing;
use crate::cli::fs::CpArgs;
use rpod::container::copy::{self, Place, Source, WriteOptions};
use rpod::container::Container;
use rpod::exit::ExitStatus;
use rpod::runtime::Runtimes;
use rpod::storage::Store;

/// `CONTAINER:PATH` or a host path, as podman's `parseUserInput`: what starts with `.` or `/`
/// is a host path even with a `:` in it.
fn parse(arg: &str) -> (Option<&str>, &str) {
    if arg.starts_with(['.', '/']) {
        return (None, arg);
    }
    match arg.split_once(':') {
        Some((c, p)) => (Some(c), p),
        None => (None, arg),
    }
}

/// The container `name`; podman's cp words for one that is not there.
fn lookup<'a>(store: &'a Store, rt: &'a dyn Runtimes, name: &str) -> anyhow::Result<Container<'a>> {
    match Container::lookup(store, rt, name) {
        Err(e) if is_missing(&e) => bail!("container {name:?} does not exist"),
        other => Ok(other?),
    }
}

pub fn run(store: &Store, rt: &dyn Runtimes, a: &CpArgs) -> anyhow::Result<ExitStatus> {
    let (src_ctr, src_path) = parse(&a.src);
    let (dest_ctr, dest_path) = parse(&a.dest);
    if a.src == "-" {
        let Some(dest_ctr) = dest_ctr else {
            bail!(
                "invalid arguments {}, {} you must use just one container",
                a.src,
                a.dest
            );
        };
        let mut c = lookup(store, rt, dest_ctr)?;
        let m = c.mount_for_copy()?;
        let place = m.cp_place()?;
        let target = copy::target_dir(&place, dest_path)?;
        let owner = if a.archive {
            Some(copy::container_user(m.container())?)
        } else {
            None
        };
        let opts = WriteOptions {
            owner,
            overwrite: a.overwrite,
            skip_devices: false,
        };
        copy::extract(&place, io::stdin().lock(), target, opts)?;
        return Ok(ExitStatus::Success);
    }
    if a.dest == "-" {
        let Some(src_ctr) = src_ctr else {
            bail!(
                "invalid arguments {}, {} you must use just one container",
                a.src,
                a.dest
            );
        };
        let mut c = lookup(store, rt, src_ctr)?;
        let m = c.mount_for_copy()?;
        let place = m.cp_place()?;
        let src = Source::open(&place, src_path)?;
        // podman 4.3 writes the archive to a terminal too (only `export` refuses one).
        let mut out = io::stdout().lock();
        copy::write_tar(&place, &src, src.own_name(), &mut out)?;
        out.flush()?;
        return Ok(ExitStatus::Success);
    }
    if src_ctr.is_none() && dest_ctr.is_none() {
        bail!(
            "invalid arguments {}, {} you must use just one container",
            a.src,
            a.dest
        );
    }
    let mut src_c = src_ctr.map(|n| lookup(store, rt, n)).transpose()?;
    let mut dest_c = dest_ctr.map(|n| lookup(store, rt, n)).transpose()?;
    let src_m = src_c.as_mut().map(Container::mount_for_copy).transpose()?;
    let dest_m = dest_c.as_mut().map(Container::mount_for_copy).transpose()?;
    let from = match &src_m {
        Some(m) => m.cp_place()?,
        None => Place::host(),
    };
    let to = match &dest_m {
        Some(m) => m.cp_place()?,
        None => Place::host(),
    };
    let src = Source::open(&from, src_path)?;
    let target = copy::target(&to, dest_path, &src)?;
    // Onto the host the files are always the caller's, --archive or not (podman 4.3 does the
    // same: a container's owners mean nothing on the host).
    let owner = match (&dest_m, a.archive) {
        (None, _) => Some((
            nix::unistd::geteuid().as_raw(),
            nix::unistd::getegid().as_raw(),
        )),
        (Some(m), true) => Some(copy::container_user(m.container())?),
        (Some(_), false) => None,
    };
    let opts = WriteOptions {
        owner,
        overwrite: a.overwrite,
        skip_devices: dest_m.is_none(),
    };
    copy::copy(&from, &src, &to, target, opts)?;
    Ok(ExitStatus::Success)
}

#[cfg(test)]
mod tests {
    use super::parse;

    #[test]
    fn container_paths_are_parsed_as_podman_does() {
        assert_eq!(parse("c:/etc"), (Some("c"), "/etc"));
        assert_eq!(parse("c:etc"), (Some("c"), "etc"));
        assert_eq!(parse("./c:x"), (None, "./c:x"));
        assert_eq!(parse("/tmp/a:b"), (None, "/tmp/a:b"));
        assert_eq!(parse("file"), (None, "file"));
    }
}
