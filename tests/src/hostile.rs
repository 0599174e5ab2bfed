//! Hostile seccomp inputs of issue 12, generated the same way every run, for the suites that
//! check rpod's bounds on them (`kafel-dsl/tests/bounds.rs` on the library, the engine's
//! `seccomp_bounds.rs` on the binary).

/// A fixed sequence of pseudo-random numbers (xorshift), so every run has the same inputs.
pub fn sequence() -> impl FnMut() -> u64 {
    let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
    move || {
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        x
    }
}

/// A policy of `terms` conjunctions, OR-ed, each testing one bit of each of mmap's six
/// arguments: its decision diagram, and the OCI rules cut from it, grow exponentially (the
/// 874-byte policy of issue 12's item 1 never finished lowering).
pub fn bit_tests(terms: usize) -> String {
    let mut next = sequence();
    let ors: Vec<String> = (0..terms)
        .map(|_| {
            let ands: Vec<String> = (0..6)
                .map(|i| {
                    let r = next();
                    let op = if r & 64 == 0 { "==" } else { "!=" };
                    format!("(a{i} & {:#x}) {op} 0", 1u64 << (r % 64))
                })
                .collect();
            format!("({})", ands.join(" && "))
        })
        .collect();
    format!(
        "DEFAULT KILL\nALLOW {{ mmap(a0, a1, a2, a3, a4, a5) {{ {} }} }}\n",
        ors.join(" || ")
    )
}

/// An OCI profile of `n` ERRNO rules for ioctl, each a three-bit masked pattern of argument
/// 1, then an ALLOW: the witness searches of lint, explain and decompile grow with `n`.
pub fn masked_rules(n: usize) -> String {
    let mut next = sequence();
    let mut rules: Vec<String> = (0..n)
        .map(|_| {
            let m = (0..3).fold(0u64, |m, _| m | 1 << (next() % 24));
            let v = m & next();
            format!(
                r#"{{"names":["ioctl"],"action":"SCMP_ACT_ERRNO","args":[{{"index":1,"value":{m},"valueTwo":{v},"op":"SCMP_CMP_MASKED_EQ"}}]}}"#
            )
        })
        .collect();
    rules.push(r#"{"names":["ioctl"],"action":"SCMP_ACT_ALLOW","args":[{"index":1,"value":0,"valueTwo":0,"op":"SCMP_CMP_GE"}]}"#.to_owned());
    format!(
        r#"{{"defaultAction":"SCMP_ACT_KILL","architectures":["SCMP_ARCH_X86_64"],"syscalls":[{}]}}"#,
        rules.join(",")
    )
}
