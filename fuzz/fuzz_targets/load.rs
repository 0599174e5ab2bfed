//! Image archives as `rpod load -i FILE` reads them (`rpod::image::load`): docker-archive and
//! oci-archive, plain or gzip-compressed, into a fresh store.
//!
//! Properties besides "no panic, no hang, bounded memory": nothing outside the store and the
//! archive's directory is created or changed ([`rpod_fuzz::Sandbox::check`]); a load, accepted
//! or refused, leaves no work file in the store's `tmp/` (a refused one is followed by a gc).
//!
//! The input is the archive. Header checksums of the archive, and of layer tars inside it, are
//! repaired first ([`rpod_fuzz::fix_tar_checksums`]). Digests are not: a mutated layer or config
//! is refused at its digest check, so the seeds' valid archives carry the coverage past it.
#![no_main]

use libfuzzer_sys::fuzz_target;
use rpod::image::{load, LoadOptions};
use rpod::storage::Store;
use rpod_fuzz::{archive_input, Sandbox};

fuzz_target!(|data: &[u8]| {
    let data = archive_input(data);
    let sandbox = Sandbox::new();
    let inside = sandbox.inside();
    let archive = inside.join("archive.tar");
    std::fs::write(&archive, &data).expect("write the archive");
    let root = inside.join("root");
    let store = Store::open(&root, &inside.join("runroot")).expect("open a fresh store");
    let result = load(&store, &archive, &LoadOptions::default());
    sandbox.check();
    match result {
        Ok(images) => assert!(!images.is_empty(), "a load that succeeds adds an image"),
        Err(e) => {
            let _ = e.to_string();
        }
    }
    let tmp: Vec<_> = std::fs::read_dir(root.join("tmp"))
        .expect("list the store's tmp/")
        .map(|e| e.expect("read tmp/").file_name())
        .collect();
    assert!(tmp.is_empty(), "the load left work files in tmp/: {tmp:?}");
});
