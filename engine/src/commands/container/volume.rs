//! `rpod volume create|ls|inspect|rm|prune|exists`, with podman's output and exit codes
//! (`rm`: 1 no such volume, 2 in use; `exists`: 0 or 1).

use std::collections::BTreeMap;
use std::io::{BufRead as _, Write as _};

use crate::cli::more::{
    VolumeCommand, VolumeCreateArgs, VolumeInspectArgs, VolumeLsArgs, VolumeRmArgs,
};
use crate::commands::format::{render_one, render_rows, Format};
use crate::commands::usage;
use rpod::container::{self, Container};
use rpod::exit::ExitStatus;
use rpod::runtime::Runtimes;
use rpod::storage::Store;
use rpod::volume::{self, NewVolume, Volume, VolumeError};

pub fn run(store: &Store, rt: &dyn Runtimes, cmd: VolumeCommand) -> anyhow::Result<ExitStatus> {
    match cmd {
        VolumeCommand::Create(a) => create(store, &a),
        VolumeCommand::Ls(a) => ls(store, &a),
        VolumeCommand::Inspect(a) => inspect(store, &a),
        VolumeCommand::Rm(a) => rm(store, rt, &a),
        VolumeCommand::Prune(a) => prune(store, a.force, &a.filters),
        VolumeCommand::Exists(a) => Ok(if volume::exists(store, &a.name).map_err(lib)? {
            ExitStatus::Success
        } else {
            ExitStatus::Container(1)
        }),
    }
}

/// A volume error as the container layer's, whose exit status is podman's for volumes.
fn lib(e: VolumeError) -> anyhow::Error {
    container::Error::from(e).into()
}

fn pairs(flag: &str, list: &[String]) -> anyhow::Result<BTreeMap<String, String>> {
    list.iter()
        .map(|kv| match kv.split_once('=') {
            Some((k, v)) => Ok((k.to_string(), v.to_string())),
            // podman takes a label without a value as an empty one.
            None if flag == "label" => Ok((kv.clone(), String::new())),
            None => Err(usage(
                format!("invalid --{flag} {kv}"),
                format!("write --{flag} KEY=VALUE"),
            )),
        })
        .collect()
}

fn create(store: &Store, a: &VolumeCreateArgs) -> anyhow::Result<ExitStatus> {
    if a.driver != "local" {
        return Err(usage(
            format!("volume driver {} is not supported", a.driver),
            "rpod has the local driver only",
        ));
    }
    let req = NewVolume {
        name: a.name.clone(),
        labels: pairs("label", &a.labels)?,
        options: pairs("opt", &a.opts)?,
        anonymous: false,
    };
    match volume::create(store, &req) {
        Ok(v) => println!("{}", v.name),
        Err(VolumeError::Exists { name }) if a.ignore => println!("{name}"),
        // podman exits 125 for a name in use (not `rm`'s 1).
        Err(e) => return Err(e.into()),
    }
    Ok(ExitStatus::Success)
}

/// `volume ls --filter` keys.
const FILTERS: &[&str] = &["name", "label", "driver", "dangling"];

/// Whether `v` passes every filter: podman ANDs different keys and ORs one key given twice.
fn matches(
    store: &Store,
    v: &Volume,
    filters: &BTreeMap<String, Vec<String>>,
) -> anyhow::Result<bool> {
    for (k, vals) in filters {
        let ok = match k.as_str() {
            "name" => vals.iter().any(|n| v.name.contains(n.as_str())),
            "driver" => vals.contains(&v.driver),
            "label" => vals.iter().any(|l| match l.split_once('=') {
                Some((lk, lv)) => v.labels.get(lk).is_some_and(|x| x == lv),
                None => v.labels.contains_key(l.as_str()),
            }),
            "dangling" => {
                let unused = volume::users(store, &v.name).map_err(lib)?.is_empty();
                vals.iter()
                    .any(|d| matches!(d.as_str(), "true" | "1") == unused)
            }
            _ => true,
        };
        if !ok {
            return Ok(false);
        }
    }
    Ok(true)
}

fn ls(store: &Store, a: &VolumeLsArgs) -> anyhow::Result<ExitStatus> {
    let filters = super::report::parse_filters(&a.filters, FILTERS)?;
    let mut list = Vec::new();
    for v in volume::list(store).map_err(lib)? {
        if matches(store, &v, &filters)? {
            list.push(v);
        }
    }
    let mut out = std::io::stdout().lock();
    if a.quiet {
        for v in &list {
            writeln!(out, "{}", v.name)?;
        }
    } else {
        let format =
            Format::parse(a.format.as_deref())?.or_default("table {{.Driver}}\t{{.Name}}")?;
        // podman's header for Name in `volume ls` is VOLUME NAME.
        let headers = |f: &str| match f {
            "Name" => "VOLUME NAME".to_string(),
            _ => String::new(),
        };
        write!(
            out,
            "{}",
            render_rows(&format, &list, &headers, a.noheading)?
        )?;
    }
    Ok(ExitStatus::Success)
}

fn inspect(store: &Store, a: &VolumeInspectArgs) -> anyhow::Result<ExitStatus> {
    let format = Format::parse(a.format.as_deref())?;
    let (found, missing): (Vec<_>, Vec<_>) = if a.all {
        (volume::list(store).map_err(lib)?, Vec::new())
    } else {
        if a.names.is_empty() {
            return Err(usage(
                "provide one or more volume names or use --all",
                "rpod volume inspect NAME...",
            ));
        }
        let mut found = Vec::new();
        let mut missing = Vec::new();
        for n in &a.names {
            match volume::get(store, n) {
                Ok(v) => found.push(v),
                Err(VolumeError::NotFound { .. }) => missing.push(n.clone()),
                Err(e) => return Err(lib(e)),
            }
        }
        (found, missing)
    };
    let mut out = std::io::stdout().lock();
    match format {
        Format::Template { .. } => {
            for v in &found {
                write!(out, "{}", render_one(&format, v)?)?;
            }
        }
        _ => write!(
            out,
            "{}",
            render_rows(&Format::Json, &found, &|_| String::new(), true)?
        )?,
    }
    if let Some(n) = missing.first() {
        // podman prints what it found, then fails with 125.
        anyhow::bail!("inspecting object: no such volume {n}");
    }
    Ok(ExitStatus::Success)
}

fn rm(store: &Store, rt: &dyn Runtimes, a: &VolumeRmArgs) -> anyhow::Result<ExitStatus> {
    let names: Vec<String> = if a.all {
        volume::list(store)
            .map_err(lib)?
            .into_iter()
            .map(|v| v.name)
            .collect()
    } else if a.names.is_empty() {
        return Err(usage(
            "choose either one or more volumes or all",
            "rpod volume rm NAME... or rpod volume rm --all",
        ));
    } else {
        a.names.clone()
    };
    for name in &names {
        if a.force {
            volume::get(store, name).map_err(lib)?;
            // podman's -f removes the containers that use it first.
            for id in volume::users(store, name).map_err(lib)? {
                Container::lookup(store, rt, &id)?.remove(true)?;
            }
        }
        match volume::remove(store, name) {
            Ok(()) => println!("{name}"),
            // --all skips volumes in use, as podman does.
            Err(VolumeError::InUse { .. }) if a.all && !a.force => {}
            Err(e) => return Err(lib(e)),
        }
    }
    Ok(ExitStatus::Success)
}

fn prune(store: &Store, force: bool, filters: &[String]) -> anyhow::Result<ExitStatus> {
    let filters = super::report::parse_filters(filters, &["label"])?;
    let mut unused = Vec::new();
    for v in volume::list(store).map_err(lib)? {
        if volume::users(store, &v.name).is_ok_and(|u| u.is_empty())
            && matches(store, &v, &filters)?
        {
            unused.push(v.name);
        }
    }
    if !force {
        print!(
            "WARNING! This will remove all volumes not used by at least one container. The following volumes will be removed:\n{}{}Are you sure you want to continue? [y/N] ",
            unused.join("\n"),
            if unused.is_empty() { "" } else { "\n" }
        );
        std::io::stdout().flush()?;
        let mut answer = String::new();
        std::io::stdin().lock().read_line(&mut answer)?;
        if !matches!(answer.trim(), "y" | "Y" | "yes" | "Yes") {
            return Ok(ExitStatus::Success);
        }
    }
    for name in unused {
        match volume::remove(store, &name) {
            Ok(()) => println!("{name}"),
            // Taken into use, or removed, since the list was made.
            Err(VolumeError::InUse { .. } | VolumeError::NotFound { .. }) => {}
            Err(e) => return Err(lib(e)),
        }
    }
    Ok(ExitStatus::Success)
}
