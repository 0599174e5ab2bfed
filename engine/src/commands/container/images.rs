//! `rpod import|load|images|tag|system df`.

use std::path::Path;

use crate::cli::container::{ImagesArgs, ImportArgs, LoadArgs, TagArgs};
use crate::cli::seccomp::OutputFormat;
use rpod::exit::ExitStatus;
use rpod::image::{self, ImportOptions, LoadOptions};
use rpod::storage::Store;

pub fn import(store: &Store, a: &ImportArgs) -> anyhow::Result<ExitStatus> {
    let opts = ImportOptions {
        reference: a.reference.clone(),
        changes: a.changes.clone(),
        message: a.message.clone(),
        ..ImportOptions::default()
    };
    let img = if a.tarball.as_os_str() == "-" {
        image::import(store, &mut std::io::stdin().lock(), &opts)?
    } else {
        // A FIFO or device is refused by its type before anything waits on it (issue 12);
        // `-` reads a pipe.
        let mut f = image::open_regular(&a.tarball)?;
        image::import(store, &mut f, &opts)?
    };
    println!("sha256:{}", img.id);
    Ok(ExitStatus::Success)
}

pub fn load(store: &Store, a: &LoadArgs) -> anyhow::Result<ExitStatus> {
    let loaded = image::load(store, Path::new(&a.input), &LoadOptions::default())?;
    // As podman: the names the archive gave, not every name the image has (issue 12).
    for l in loaded {
        if l.names.is_empty() {
            println!("Loaded image: sha256:{}", l.image.id);
        }
        for n in &l.names {
            println!("Loaded image: {n}");
        }
    }
    Ok(ExitStatus::Success)
}

fn human(n: u64) -> String {
    #[expect(clippy::cast_precision_loss, reason = "a size for people")]
    let f = n as f64;
    if n >= 1 << 30 {
        format!("{:.1} GB", f / 1e9)
    } else if n >= 1 << 20 {
        format!("{:.1} MB", f / 1e6)
    } else {
        format!("{:.1} kB", f / 1e3)
    }
}

pub fn images(store: &Store, a: &ImagesArgs) -> anyhow::Result<ExitStatus> {
    let list = image::list(store)?;
    if a.format == OutputFormat::Json {
        println!("{}", serde_json::to_string_pretty(&list)?);
        return Ok(ExitStatus::Success);
    }
    println!(
        "{:<40}  {:<12}  {:<14}  SIZE",
        "REPOSITORY", "TAG", "IMAGE ID"
    );
    for i in &list {
        let short = &i.id[..12.min(i.id.len())];
        if i.names.is_empty() {
            println!(
                "{:<40}  {:<12}  {:<14}  {}",
                "<none>",
                "<none>",
                short,
                human(i.size)
            );
        }
        for n in &i.names {
            let (repo, tag) = n.rsplit_once(':').unwrap_or((n, "latest"));
            println!("{repo:<40}  {tag:<12}  {short:<14}  {}", human(i.size));
        }
    }
    Ok(ExitStatus::Success)
}

pub fn tag(store: &Store, a: &TagArgs) -> anyhow::Result<ExitStatus> {
    for n in &a.names {
        image::tag(store, &a.image, n)?;
    }
    Ok(ExitStatus::Success)
}

pub fn df(store: &Store, a: &ImagesArgs) -> anyhow::Result<ExitStatus> {
    let du = image::disk_usage(store)?;
    let containers = store.containers()?;
    if a.format == OutputFormat::Json {
        println!(
            "{}",
            serde_json::to_string_pretty(&serde_json::json!({
                "Images": du,
                "Containers": containers.len(),
            }))?
        );
        return Ok(ExitStatus::Success);
    }
    println!(
        "{:<12}  {:<6}  {:<6}  {:<10}  RECLAIMABLE",
        "TYPE", "TOTAL", "ACTIVE", "SIZE"
    );
    println!(
        "{:<12}  {:<6}  {:<6}  {:<10}  {}",
        "Images",
        du.total,
        du.active,
        human(du.size),
        human(du.reclaimable)
    );
    let running = containers
        .iter()
        .filter(|c| c.state == rpod::storage::ContainerState::Running)
        .count();
    println!(
        "{:<12}  {:<6}  {:<6}",
        "Containers",
        containers.len(),
        running
    );
    Ok(ExitStatus::Success)
}
