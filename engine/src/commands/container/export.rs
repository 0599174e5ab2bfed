//! `rpod export`: a container's root filesystem as a tar archive.

use std::io::{self, IsTerminal as _, Write as _};
use std::os::unix::fs::PermissionsExt as _;

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
    // A temporary file renamed over the target at the end: an export that fails leaves the
    // target as it was (never a truncated archive under its name), and a symlink there is
    // replaced, not written through.
    let dir = match path.parent() {
        Some(d) if !d.as_os_str().is_empty() => d,
        _ => std::path::Path::new("."),
    };
    let tmp = tempfile::Builder::new()
        .prefix(".rpod-export-")
        .tempfile_in(dir)
        .with_context(|| format!("cannot create a file in {}", dir.display()))?;
    let mut w = io::BufWriter::with_capacity(1 << 16, tmp.as_file());
    copy::export(&place, &mut w)?;
    w.flush()
        .with_context(|| format!("cannot write {}", path.display()))?;
    drop(w);
    // As Go's os.Create: 0666 less the umask.
    let umask = nix::sys::stat::umask(nix::sys::stat::Mode::from_bits_truncate(0o022));
    nix::sys::stat::umask(umask);
    tmp.as_file()
        .set_permissions(std::fs::Permissions::from_mode(0o666 & !umask.bits()))
        .with_context(|| format!("cannot write {}", path.display()))?;
    tmp.persist(path)
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(ExitStatus::Success)
}
