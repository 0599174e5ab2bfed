//! `rpod export`: a container's root filesystem as a tar archive.

use std::io::{self, IsTerminal as _, Write as _};

use anyhow::{bail, Context as _};

use crate::cli::fs::ExportArgs;
use rpod::container::copy;
use rpod::container::Container;
use rpod::exit::ExitStatus;
use rpod::runtime::Runtimes;
use rpod::storage::Store;

pub fn run(store: &Store, rt: &dyn Runtimes, a: &ExportArgs) -> anyhow::Result<ExitStatus> {
    let out_path = a.output.as_deref().filter(|p| p.as_os_str() != "-");
    if out_path.is_none() && io::stdout().is_terminal() {
        // podman's words.
        bail!("refusing to export to terminal. Use -o flag or redirect");
    }
    let mut c = Container::lookup(store, rt, &a.container)?;
    let m = c.mount_for_copy()?;
    let place = m.place()?;
    let Some(path) = out_path else {
        let mut out = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
        copy::export(&place, &mut out)?;
        out.flush().context("cannot write to stdout")?;
        return Ok(ExitStatus::Success);
    };
    // io's checks: a symlink or directory is refused, /dev/null and FIFOs are written in
    // place, a file is replaced only once the archive is whole.
    crate::commands::io::write_output_stream(path, |w| Ok(copy::export(&place, w)?))?;
    Ok(ExitStatus::Success)
}
