//! Container and image commands: resolve flags into library calls, print, return exit codes.

mod images;
mod inspect;
mod lifecycle;
mod ps;
mod run;

use std::path::Path;

use anyhow::Context as _;

use crate::cli::{Cli, Command, ContainerCommand, ImageCommand, SystemCommand};
use crate::storage::{Environment, StorageConfig, Store};

/// Opens the store from the config file and `--root`/`--runroot`.
fn open_store(root: Option<&Path>, runroot: Option<&Path>) -> anyhow::Result<Store> {
    let cfg = StorageConfig::load(&Environment::current())
        .context("cannot read rpod's configuration")?
        .with_overrides(root.map(Path::to_path_buf), runroot.map(Path::to_path_buf));
    Ok(Store::open_config(&cfg)?)
}

/// Runs a container or image command.
///
/// # Errors
/// Any rpod error (exit 125).
pub fn run(cli: Cli) -> anyhow::Result<u8> {
    let store = open_store(cli.root.as_deref(), cli.runroot.as_deref())?;
    match cli.command {
        Command::Seccomp(_) => unreachable!("dispatched by commands::run"),
        Command::Run(a) => run::run(&store, a),
        Command::Create(a) => run::create(&store, a),
        Command::Start(a) => run::start(&store, &a),
        Command::Ps(a) => ps::run(&store, &a),
        Command::Logs(a) => lifecycle::logs(&store, &a),
        Command::Stop(a) => lifecycle::stop(&store, &a),
        Command::Kill(a) => lifecycle::kill(&store, &a),
        Command::Rm(a) => lifecycle::rm(&store, &a),
        Command::Exec(a) => lifecycle::exec(&store, &a),
        Command::Inspect(a) => inspect::run(&store, &a, true),
        Command::Wait(a) => lifecycle::wait(&store, &a),
        Command::Mount(a) => lifecycle::mount(&store, &a),
        Command::Umount(a) => lifecycle::umount(&store, &a),
        Command::Container(ContainerCommand::Cleanup(a)) => lifecycle::cleanup(&store, &a),
        Command::Container(ContainerCommand::Monitor(a)) => run::monitor(&store, &a),
        Command::Import(a) => images::import(&store, &a),
        Command::Load(a) => images::load(&store, &a),
        Command::Images(a) => images::images(&store, &a),
        Command::Rmi(a) => images::rmi(&store, &a),
        Command::Tag(a) => images::tag(&store, &a),
        Command::Image(ImageCommand::Inspect(a)) => inspect::run(&store, &a, false),
        Command::System(SystemCommand::Df(a)) => images::df(&store, &a),
    }
}
