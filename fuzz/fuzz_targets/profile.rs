//! OCI JSON profiles as every `rpod seccomp` command and `--security-opt seccomp=` load them:
//! strict load (every problem reported), then resolve for the container (arches, caps,
//! minKernel) on this machine's arch and on aarch64.
//!
//! Properties besides "no panic, no hang, bounded memory": a profile that loads, written back
//! normalized (what `rpod seccomp compile` writes for JSON), loads again to the same profile.
#![no_main]

use libfuzzer_sys::fuzz_target;
use profiles::resolve::Context;
use profiles::Arch;

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else {
        return;
    };
    let loaded = match profiles::load::from_str(text) {
        Ok(l) => l,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    for w in &loaded.warnings {
        let _ = w.to_string();
    }
    for host_arch in [Arch::native(), Arch::Aarch64] {
        let cx = Context {
            host_arch,
            ..Context::default()
        };
        let _ = loaded.profile.resolve(&cx);
    }
    let normalized = loaded.profile.normalized();
    let json = normalized.to_json_pretty();
    let again = match profiles::load::from_str(&json) {
        Ok(l) => l,
        Err(e) => panic!("the normalized profile does not load: {e}\n{json}"),
    };
    assert_eq!(
        again.profile.normalized(),
        normalized,
        "the normalized profile does not round-trip through JSON"
    );
});
