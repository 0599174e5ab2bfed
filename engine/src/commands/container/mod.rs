//! Container and image commands: resolve flags into library calls, print, return exit codes.

mod attach;
mod events;
mod images;
mod inspect;
mod lifecycle;
mod pause;
mod port;
mod ps;
mod rename;
mod restart;
mod run;
mod stats;
mod top;
mod volume;

use std::path::Path;

use anyhow::Context as _;

use crate::cli::{Cli, Command, ContainerCommand, ImageCommand, SystemCommand};
use rpod::exit::ExitStatus;
use rpod::runtime::Installed;
use rpod::storage::{Environment, StorageConfig, Store};

/// Opens the store from the config file and `--root`/`--runroot`.
fn open_store(root: Option<&Path>, runroot: Option<&Path>) -> anyhow::Result<Store> {
    // Relative flags are taken from the current directory, once: the runtime runs elsewhere
    // (a relative root would make runc look for the rootfs under the bundle directory).
    let absolute = |flag: &str, p: Option<&Path>| {
        p.map(|p| {
            std::path::absolute(p)
                .with_context(|| format!("cannot make {flag} {} absolute", p.display()))
        })
        .transpose()
    };
    let cfg = StorageConfig::load(&Environment::current())
        .context("cannot read rpod's configuration")?
        .with_overrides(absolute("--root", root)?, absolute("--runroot", runroot)?);
    Ok(Store::open_config(&cfg)?)
}

/// Runs a container or image command.
///
/// # Errors
/// Any rpod error (exit 125).
pub fn run(cli: Cli) -> anyhow::Result<ExitStatus> {
    let store = open_store(cli.root.as_deref(), cli.runroot.as_deref())?;
    let rt = &Installed::new(store.runroot());
    match cli.command {
        Command::Seccomp(_) => unreachable!("dispatched by commands::run"),
        Command::Run(a) => run::run(&store, rt, a),
        Command::Create(a) => run::create(&store, rt, a),
        Command::Start(a) => run::start(&store, rt, &a),
        Command::Ps(a) => ps::run(&store, rt, &a),
        Command::Logs(a) => lifecycle::logs(&store, rt, &a),
        Command::Stop(a) => lifecycle::stop(&store, rt, &a),
        Command::Kill(a) => lifecycle::kill(&store, rt, &a),
        Command::Rm(a) => lifecycle::rm(&store, rt, &a),
        Command::Exec(a) => lifecycle::exec(&store, rt, &a),
        Command::Inspect(a) => inspect::run(&store, rt, &a, true),
        Command::Wait(a) => lifecycle::wait(&store, rt, &a),
        Command::Mount(a) => lifecycle::mount(&store, rt, &a),
        Command::Umount(a) => lifecycle::umount(&store, rt, &a),
        Command::Container(ContainerCommand::Cleanup(a)) => lifecycle::cleanup(&store, rt, &a),
        Command::Container(ContainerCommand::Monitor(a)) => run::monitor(&store, rt, &a),
        Command::Import(a) => images::import(&store, &a),
        Command::Load(a) => images::load(&store, &a),
        Command::Images(a) => images::images(&store, &a),
        Command::Rmi(a) => images::rmi(&store, &a),
        Command::Tag(a) => images::tag(&store, &a),
        Command::Image(ImageCommand::Inspect(a)) => inspect::run(&store, rt, &a, false),
        Command::System(SystemCommand::Df(a)) => images::df(&store, &a),
        Command::Volume(a) => volume::run(&store, rt, a),
        Command::Pause(a) => pause::pause(&store, rt, &a),
        Command::Unpause(a) => pause::unpause(&store, rt, &a),
        Command::Restart(a) => restart::run(&store, rt, &a),
        Command::Rename(a) => rename::run(&store, rt, &a),
        Command::Top(a) => top::run(&store, rt, &a),
        Command::Port(a) => port::run(&store, rt, &a),
        Command::Stats(a) => stats::run(&store, rt, &a),
        Command::Events(a) => events::run(&store, &a),
        Command::Attach(a) => attach::run(&store, rt, &a),
    }
}
