//! Raw BPF programs as `rpod seccomp disasm|simulate FILE.bpf` take them: the bytes of a
//! `struct sock_filter` array, checked, disassembled, and run in the emulator.
//!
//! Properties besides "no panic, no hang, bounded memory": a program that loads writes back to
//! the same bytes; classic BPF only jumps forward, so no run executes more instructions than the
//! program has.
#![no_main]

use libfuzzer_sys::fuzz_target;
use profiles::bpf::{self, disasm, Program, SeccompData};
use profiles::Arch;

fuzz_target!(|data: &[u8]| {
    let program = match Program::from_bytes(data) {
        Ok(p) => p,
        Err(e) => {
            let _ = e.to_string();
            return;
        }
    };
    assert_eq!(program.to_bytes(), data, "BPF bytes do not round-trip");
    let _ = disasm::disasm(&program);
    let n = program.insns().len();
    for arch in [Arch::native(), Arch::Aarch64, Arch::X86, Arch::S390x] {
        for nr in [0, 1, 2, 59, 257, 435, 0x4000_0000, u32::MAX] {
            for args in [[0; 6], [1, u64::MAX, 0x8000_0000, 0xffff_ffff, 42, 7]] {
                let out = bpf::simulate(&program, arch, nr, args);
                assert!(
                    out.insns_executed <= n,
                    "{out} from a {n}-instruction program"
                );
            }
        }
    }
    let (out, trace) =
        bpf::emulator::run_traced(&program, &SeccompData::new(Arch::native(), 1, [0; 6]));
    assert_eq!(
        trace.len(),
        out.insns_executed,
        "the trace and the count disagree"
    );
});
