//! Layer tars as `rpod import` and `rpod load` unpack them (`rpod::image::unpack`, the one place
//! hostile archives are stopped), into an empty directory with a canary tree beside it.
//!
//! Properties besides "no panic, no hang, bounded memory": nothing outside the layer directory
//! is created or changed ([`rpod_fuzz::Sandbox::check`]), whether the layer is accepted or
//! refused; an accepted layer reports the sha256 and length of exactly the stream it read.
//!
//! The input is the tar stream (or a gzip of one). The header checksums of an uncompressed input
//! are repaired first ([`rpod_fuzz::fix_tar_checksums`]), so mutated headers reach the
//! unpacker's rules; the limits are the CLI's (`Limits::default()`).
#![no_main]

use libfuzzer_sys::fuzz_target;
use rpod::image::unpack::{unpack, Limits};
use rpod_fuzz::{archive_input, is_gzip, Sandbox};

fuzz_target!(|data: &[u8]| {
    let data = archive_input(data);
    let sandbox = Sandbox::new();
    let result = unpack(&data[..], &sandbox.inside(), &Limits::default());
    sandbox.check();
    if let Ok(u) = result {
        if !is_gzip(&data) {
            assert!(
                u.size <= data.len() as u64,
                "{} bytes read from {}",
                u.size,
                data.len()
            );
        }
    }
});
