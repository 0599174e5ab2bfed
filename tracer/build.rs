//! Builds the kernel-side program (`../ebpf`) for the BPF target with the nightly toolchain and
//! bpf-linker (`scripts/setup.sh` installs both); the object lands in OUT_DIR as
//! `rpod-syscalls` and is embedded in the tracer.
fn main() {
    let package = aya_build::Package {
        name: "rpod-ebpf",
        root_dir: concat!(env!("CARGO_MANIFEST_DIR"), "/../ebpf"),
        ..Default::default()
    };
    if let Err(e) = aya_build::build_ebpf([package], aya_build::Toolchain::Nightly) {
        panic!(
            "cannot build the eBPF program (ebpf/): {e:#}\n\
             hint: it needs the nightly toolchain with rust-src and bpf-linker 0.10.0; \
             run scripts/setup.sh"
        );
    }
}
