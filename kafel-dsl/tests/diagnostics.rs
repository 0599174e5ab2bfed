//! Golden files of the diagnostics a user sees (`Error::render`, `Policy::render`): one small
//! policy per mistake, name resolution and values (sema), includes, and what OCI JSON cannot
//! say (lowering). Each snapshot's description is the policy and its target arches, so a
//! reviewer reads the mistake next to the message; check the caret sits under the token at
//! fault and the label says what to do.

use std::path::Path;

use kafel_dsl::source::SourceFile;
use kafel_dsl::{compile, compile_str, Options};
use profiles::Arch;

fn options(arches: &[Arch]) -> Options {
    Options {
        arches: arches.to_vec(),
        ..Options::default()
    }
}

fn arch_list(arches: &[Arch]) -> String {
    let names: Vec<&str> = arches.iter().map(|a| a.short_name()).collect();
    names.join(", ")
}

/// The rendered errors of a policy that must not compile.
fn errors(text: &str, arches: &[Arch]) -> String {
    match compile_str("policy.kafel", text, &options(arches)) {
        Ok(_) => panic!("the policy compiled, but it has an error:\n{text}"),
        Err(e) => format!("{e}\n\n{}", e.render()),
    }
}

/// The rendered warnings of a policy that must compile.
fn warnings(text: &str, arches: &[Arch]) -> String {
    let policy = compile_str("policy.kafel", text, &options(arches))
        .unwrap_or_else(|e| panic!("the policy does not compile:\n{}", e.render()));
    assert!(
        !policy.warnings.is_empty(),
        "expected a warning for:\n{text}"
    );
    policy.render(&policy.warnings)
}

/// The rendered errors of lowering a policy (which compiles) to OCI JSON.
fn lowering_errors(text: &str, arches: &[Arch]) -> String {
    let policy = compile_str("policy.kafel", text, &options(arches))
        .unwrap_or_else(|e| panic!("the policy does not compile:\n{}", e.render()));
    match policy.to_profile() {
        Ok(l) => panic!(
            "the policy lowered to OCI JSON, but should not:\n{text}\n{}",
            l.profile.to_json_pretty()
        ),
        Err(e) => format!("{e}\n\n{}", e.render()),
    }
}

/// Snapshots `rendered` with the policy and its arches as the description.
macro_rules! golden {
    ($text:expr, $arches:expr, $rendered:expr) => {
        insta::with_settings!({
            description => format!("arches: {}\n{}", arch_list($arches), $text),
            omit_expression => true,
        }, {
            insta::assert_snapshot!($rendered);
        })
    };
}

const X86_64: &[Arch] = &[Arch::X86_64];

// ---------------------------------------------------------------------------------------------
// Syscalls and arguments

#[test]
fn unknown_syscall_suggests_the_nearest_name() {
    let text = "DEFAULT KILL\nALLOW { read, opn }\n";
    golden!(text, X86_64, errors(text, X86_64));
}

#[test]
fn syscall_missing_on_the_target_arch_says_which_arch() {
    let text = "DEFAULT KILL\nALLOW { read, open }\n";
    golden!(text, &[Arch::Aarch64], errors(text, &[Arch::Aarch64]));
}

#[test]
fn unknown_argument_suggests_one_and_lists_the_arguments() {
    let text = "DEFAULT KILL\nALLOW { write { fdd == 1 } }\n";
    golden!(text, X86_64, errors(text, X86_64));
}

#[test]
fn argument_names_unknown_on_an_arch_ask_for_a_declaration() {
    // x86 passes pread64's 64-bit offset in two registers: the x86_64 signature does not apply.
    let text = "DEFAULT KILL\nALLOW { pread64 { pos == 0 } }\n";
    golden!(text, &[Arch::X86], errors(text, &[Arch::X86]));
}

#[test]
fn too_many_declared_arguments() {
    let text = "DEFAULT KILL\nALLOW { write(a, b, c, d, e, f, g) { a == 1 } }\n";
    golden!(text, X86_64, errors(text, X86_64));
}

#[test]
fn argument_declared_twice() {
    let text = "DEFAULT KILL\nALLOW { write(a, a) { a == 1 } }\n";
    golden!(text, X86_64, errors(text, X86_64));
}

#[test]
fn constant_hiding_an_argument_is_a_warning() {
    let text = "#define fd 7\nDEFAULT KILL\nALLOW { write { fd == 1 } }\n";
    golden!(text, X86_64, warnings(text, X86_64));
}

#[test]
fn filter_for_no_target_arch_is_a_warning() {
    let text = "DEFAULT KILL\nALLOW { read ON aarch64 }\n";
    golden!(text, X86_64, warnings(text, X86_64));
}

#[test]
fn syscall_number_above_32_bits_is_out_of_range() {
    let text = "DEFAULT KILL\nALLOW { SYSCALL[0x100000000] }\n";
    golden!(text, X86_64, errors(text, X86_64));
}

#[test]
fn unknown_arch_in_on_suggests_one() {
    let text = "DEFAULT KILL\nALLOW { read ON x86_46 }\n";
    golden!(text, X86_64, errors(text, X86_64));
}

// ---------------------------------------------------------------------------------------------
// Constants, policies, actions

#[test]
fn undefined_constant_in_errno() {
    let text = "#define EPERM 1\nDEFAULT KILL\nERRNO(EPREM) { ptrace }\nERRNO(ENOSYS) { mount }\n";
    golden!(text, X86_64, errors(text, X86_64));
}

#[test]
fn undefined_policy_in_use_suggests_one() {
    let text = "POLICY network { ALLOW { socket } }\nUSE netwrk\nDEFAULT KILL\n";
    golden!(text, X86_64, errors(text, X86_64));
}

#[test]
fn use_loop_shows_the_chain() {
    let text = "POLICY a { USE b }\nPOLICY b { ALLOW { read }, USE a }\nUSE a\nDEFAULT KILL\n";
    golden!(text, X86_64, errors(text, X86_64));
}

#[test]
fn policy_defined_twice() {
    let text =
        "POLICY io { ALLOW { read } }\nPOLICY io { ALLOW { write } }\nUSE io\nDEFAULT KILL\n";
    golden!(text, X86_64, errors(text, X86_64));
}

#[test]
fn default_given_twice() {
    let text = "DEFAULT KILL\nALLOW { read }\nDEFAULT ERRNO(1)\n";
    golden!(text, X86_64, errors(text, X86_64));
}

#[test]
fn constant_redefined_with_another_value() {
    let text =
        "#define FD 1\n#define FD 1\n#define FD 2\nDEFAULT KILL\nALLOW { write { fd == FD } }\n";
    golden!(text, X86_64, errors(text, X86_64));
}

#[test]
fn errno_above_the_kernel_maximum() {
    let text = "DEFAULT KILL\nERRNO(5000) { ptrace }\n";
    golden!(text, X86_64, errors(text, X86_64));
}

#[test]
fn trap_data_above_16_bits() {
    let text = "DEFAULT KILL\nTRAP(70000) { ptrace }\n";
    golden!(text, X86_64, errors(text, X86_64));
}

#[test]
fn several_errors_are_reported_together_in_source_order() {
    // Written so that sema meets them out of order: DEFAULT is resolved first, the main
    // policy's filters next, the defines and policies last.
    let text = "\
#define A 1
ALLOW { opn, write { fdd == 1 } }
POLICY p { ERRNO(5000) { ptrace } }
#define A 2
ERRNO(NOPE) { mount }
DEFAULT TRAP(70000)
";
    golden!(text, X86_64, errors(text, X86_64));
}

// ---------------------------------------------------------------------------------------------
// Includes

fn write(dir: &Path, name: &str, text: &str) {
    let p = dir.join(name);
    if let Some(parent) = p.parent() {
        std::fs::create_dir_all(parent).expect("create the test directory");
    }
    std::fs::write(&p, text).expect("write a test policy");
}

/// Compiles `main.kafel` in `dir` (named by its base name, as the CLI names a relative path).
fn compile_in(dir: &Path, search_path: &[&Path]) -> Result<kafel_dsl::Policy, kafel_dsl::Error> {
    let path = dir.join("main.kafel");
    let text = std::fs::read_to_string(&path).expect("read main.kafel");
    let opts = Options {
        arches: X86_64.to_vec(),
        search_path: search_path.iter().map(|p| p.to_path_buf()).collect(),
    };
    compile(SourceFile::new("main.kafel", Some(path), text), &opts)
}

fn include_errors(dir: &Path, search_path: &[&Path]) -> String {
    let e = match compile_in(dir, search_path) {
        Ok(_) => panic!("main.kafel compiled, but it has an error"),
        Err(e) => e,
    };
    // The temporary directory's name changes per run.
    format!("{e}\n\n{}", e.render()).replace(&dir.display().to_string(), "$TMP")
}

#[test]
fn errors_in_an_included_file_name_that_file() {
    // lib/io.policy includes common.policy next to itself: named lib/common.policy.
    let files = [
        (
            "main.kafel",
            "#include \"lib/io.policy\"\nUSE io\nALLOW { opn }\nDEFAULT KILL\n",
        ),
        (
            "lib/io.policy",
            "// shared\n#include \"common.policy\"\nPOLICY io {\n  ALLOW { read, wirte },\n  USE common\n}\n",
        ),
        (
            "lib/common.policy",
            "POLICY common {\n  ERRNO(EPERM) { ptrace }\n}\n",
        ),
    ];
    let dir = tempfile::tempdir().expect("tempdir");
    let mut text = String::new();
    for (name, body) in files {
        write(dir.path(), name, body);
        text.push_str(&format!("{name}:\n{body}"));
    }
    golden!(text, X86_64, include_errors(dir.path(), &[]));
}

#[test]
fn include_not_found_lists_where_it_looked() {
    let dir = tempfile::tempdir().expect("tempdir");
    let extra = dir.path().join("extra");
    std::fs::create_dir_all(&extra).expect("create extra");
    write(
        dir.path(),
        "main.kafel",
        "#include \"net.policy\"\nDEFAULT KILL\n",
    );
    let text = "main.kafel, with -I $TMP/extra:\n#include \"net.policy\"\nDEFAULT KILL\n";
    golden!(text, X86_64, include_errors(dir.path(), &[&extra]));
}

#[test]
fn include_loop_shows_the_chain() {
    let dir = tempfile::tempdir().expect("tempdir");
    write(dir.path(), "a.policy", "#include \"b.policy\"\n");
    write(
        dir.path(),
        "b.policy",
        "ALLOW { read }\n#include \"a.policy\"\n",
    );
    write(
        dir.path(),
        "main.kafel",
        "#include \"a.policy\"\nDEFAULT KILL\n",
    );
    let text = "main.kafel:\n#include \"a.policy\"\nDEFAULT KILL\n\
                a.policy:\n#include \"b.policy\"\n\
                b.policy:\nALLOW { read }\n#include \"a.policy\"\n";
    golden!(text, X86_64, include_errors(dir.path(), &[]));
}

// ---------------------------------------------------------------------------------------------
// Lowering to OCI JSON

#[test]
fn oci_json_cannot_compare_two_arguments() {
    let text = "DEFAULT KILL\nALLOW { read, write { fd == count } }\n";
    golden!(text, X86_64, lowering_errors(text, X86_64));
}

#[test]
fn oci_json_cannot_carry_trap_data() {
    let text = "DEFAULT ALLOW\nTRAP(5) { ptrace }\n";
    golden!(text, X86_64, lowering_errors(text, X86_64));
}

#[test]
fn oci_json_cannot_carry_errno_4095() {
    // The kernel accepts 4095, libseccomp 2.5.4 refuses it: only BPF can say it.
    let text = "DEFAULT ALLOW\nERRNO(4095) { ptrace }\n";
    golden!(text, X86_64, lowering_errors(text, X86_64));
}

#[test]
fn oci_json_cannot_say_an_arch_guard_that_splits_a_syscall() {
    let arches = &[Arch::X86_64, Arch::Aarch64];
    let text = "DEFAULT ALLOW\nKILL_PROCESS { ptrace ON x86_64 }\n";
    golden!(text, arches, lowering_errors(text, arches));
}

#[test]
fn oci_json_cannot_carry_errno_4095_as_the_default() {
    let text = "ALLOW { read }\nDEFAULT ERRNO(4095)\n";
    golden!(text, X86_64, lowering_errors(text, X86_64));
}

#[test]
fn oci_action_error_points_at_the_rule_with_that_action() {
    // Found writing these goldens: the span is `s.rules[0].span`, here the KILL filter on
    // line 2, whose action OCI JSON can say.
    let text = "DEFAULT ALLOW\nKILL { ptrace { pid == 1 } }\nTRAP(5) { ptrace }\n";
    let rendered = lowering_errors(text, X86_64);
    assert!(
        rendered.contains(" --> policy.kafel:3:"),
        "the caret should be under the TRAP(5) rule on line 3:\n{rendered}"
    );
}
