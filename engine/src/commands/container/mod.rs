//! Container and image commands: resolve flags into library calls, print, return exit codes.

mod attach;
mod commit;
mod cp;
mod create_flags;
mod diff;
mod events;
mod exec;
mod exists;
mod export;
mod history;
mod images;
mod init;
mod inspect;
mod lifecycle;
mod logs;
mod pause;
mod port;
mod ps;
mod rename;
mod report;
mod restart;
mod rm;
mod rmi;
mod run;
mod start;
mod stats;
mod stop;
mod system;
mod top;
mod volume;
mod wait;

/// `rpod version` needs no store.
pub use system::version;

use std::path::Path;

use anyhow::Context as _;

use crate::cli::container::InspectType;
use crate::cli::{Cli, Command, ContainerCommand, ImageCommand, SystemCommand};
use rpod::exit::ExitStatus;
use rpod::runtime::Installed;
use rpod::storage::{Environment, StorageConfig, Store};

/// Opens the store from the config file and `--root`/`--runroot`.
pub(crate) fn open_store(root: Option<&Path>, runroot: Option<&Path>) -> anyhow::Result<Store> {
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
    // podman's first debug lines: which store this command uses.
    crate::commands::report::debug(format_args!("Using graph root {}", store.root().display()));
    crate::commands::report::debug(format_args!("Using run root {}", store.runroot().display()));
    let rt = &Installed::new(store.runroot());
    // `rpod container rm` is `rpod rm`, and so on (cli::family).
    let command = match cli.command {
        Command::Container(c) => c.into_top(),
        Command::Image(i) => i.into_top(),
        other => other,
    };
    match command {
        Command::Seccomp(_) => unreachable!("dispatched by commands::run"),
        Command::Run(a) => run::run(&store, rt, a),
        Command::Create(a) => run::create(&store, rt, a),
        Command::Start(a) => start::start(&store, rt, &a),
        Command::Ps(a) => ps::run(&store, rt, &a),
        Command::Logs(a) => logs::logs(&store, rt, &a),
        Command::Stop(a) => stop::stop(&store, rt, &a),
        Command::Kill(a) => lifecycle::kill(&store, rt, &a),
        Command::Rm(a) => rm::rm(&store, rt, &a),
        Command::Exec(a) => exec::exec(&store, rt, &a),
        Command::Inspect(a) => inspect::run(&store, rt, &a, InspectType::All),
        Command::Wait(a) => wait::wait(&store, rt, &a),
        Command::Mount(a) => lifecycle::mount(&store, rt, &a),
        Command::Umount(a) => lifecycle::umount(&store, rt, &a),
        Command::Container(ContainerCommand::Cleanup(a)) => lifecycle::cleanup(&store, rt, &a),
        Command::Container(ContainerCommand::Monitor(a)) => run::monitor(&store, rt, &a),
        Command::Container(ContainerCommand::ExecMonitor(a)) => exec::monitor(&store, rt, &a),
        Command::Import(a) => images::import(&store, &a),
        Command::Load(a) => images::load(&store, &a),
        Command::Images(a) => images::images(&store, &a),
        Command::Rmi(a) => rmi::rmi(&store, rt, &a),
        Command::Tag(a) => images::tag(&store, &a),
        Command::History(a) => history::run(&store, &a),
        Command::Container(ContainerCommand::Exists(a)) => exists::container(&store, &a),
        Command::Image(ImageCommand::Exists(a)) => exists::image(&store, &a),
        Command::Container(_) | Command::Image(_) => {
            unreachable!("cli::family turned every other verb into its top-level twin")
        }
        Command::System(SystemCommand::Df(a)) => images::df(&store, rt, &a),
        Command::System(SystemCommand::Info(a)) | Command::Info(a) => system::info(&store, rt, &a),
        Command::Version(_) => unreachable!("dispatched by commands::run"),
        Command::Cp(a) => cp::run(&store, rt, &a),
        Command::Export(a) => export::run(&store, rt, &a),
        Command::Diff(a) => diff::run(&store, rt, &a),
        Command::Commit(a) => commit::run(&store, rt, &a),
        Command::Volume(a) => volume::run(&store, rt, a),
        Command::Pause(a) => pause::pause(&store, rt, &a),
        Command::Unpause(a) => pause::unpause(&store, rt, &a),
        Command::Restart(a) => restart::run(&store, rt, &a),
        Command::Init(a) => init::run(&store, rt, &a),
        Command::Rename(a) => rename::run(&store, rt, &a),
        Command::Top(a) => top::run(&store, rt, &a),
        Command::Port(a) => port::run(&store, rt, &a),
        Command::Stats(a) => stats::run(&store, rt, &a),
        Command::Events(a) => events::run(&store, &a),
        Command::Attach(a) => attach::run(&store, rt, &a),
    }
}
