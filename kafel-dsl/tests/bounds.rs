//! Bounded work on hostile policies (issue 12): every bound is a count (diagnostics kept,
//! excerpt width, operators in a filter, decision-diagram steps, OCI rules), so these tests
//! assert what is refused and how it is said, never how long it took. The diagnostics are
//! golden files, reviewed like the others in `diagnostics.rs`.

use kafel_dsl::source::FileId;
use kafel_dsl::{compile_str, diag, parse, Options};
use profiles::Arch;
use rpod_tests::hostile::bit_tests;

fn x86_64() -> Options {
    Options {
        arches: vec![Arch::X86_64],
        ..Options::default()
    }
}

/// The rendered errors of a policy that must not compile.
fn errors(text: &str) -> String {
    match compile_str("policy.kafel", text, &x86_64()) {
        Ok(_) => panic!("the policy compiled, but it has an error"),
        Err(e) => format!("{e}\n\n{}", e.render()),
    }
}

#[test]
fn the_longest_filter_allowed_goes_through_every_pass() {
    // MAX_OPERATORS operators inside MAX_NESTING - 1 parentheses: the deepest tree the parser
    // builds. Name resolution, both back ends, the formatter and dropping the tree recurse over
    // it, on a test thread's 2 MiB stack, in a debug build.
    let n = parse::MAX_NESTING - 1;
    let chain = vec!["fd == 1"; parse::MAX_OPERATORS + 1].join(" || ");
    let text = format!(
        "DEFAULT KILL\nALLOW {{ write {{ {}{chain}{} }} }}\n",
        "(".repeat(n),
        ")".repeat(n)
    );
    let (file, diags) = parse::parse(FileId(0), &text);
    assert!(diags.is_empty(), "{diags:#?}");
    let formatted = kafel_dsl::fmt::format(&file);
    assert!(formatted.contains("fd == 1 || fd == 1"));
    let policy = compile_str("policy.kafel", &text, &x86_64()).expect("the policy compiles");
    policy.to_bpf().expect("the policy compiles to BPF");
    policy.to_profile().expect("the policy lowers to OCI JSON");
}

#[test]
fn a_filter_with_too_many_operators_says_how_to_split_it() {
    let text = format!(
        "DEFAULT KILL\nALLOW {{ write {{ {} }} }}\n",
        vec!["fd == 1"; parse::MAX_OPERATORS + 2].join(" || ")
    );
    insta::assert_snapshot!(errors(&text));
}

#[test]
fn errors_past_the_cap_are_counted_in_one_last_error() {
    // One error per filter on its own line: the report shows the first 50 and counts the rest.
    let text = format!(
        "DEFAULT KILL\nALLOW {{\n{}}}\n",
        "  read(1),\n".repeat(30_000)
    );
    let (_, diags) = parse::parse(FileId(0), &text);
    assert_eq!(diags.len(), diag::MAX_DIAGNOSTICS + 1);
    let rendered = errors(&text);
    assert_eq!(
        rendered.matches("\nerror: ").count(),
        diag::MAX_DIAGNOSTICS + 1
    );
    assert!(rendered.starts_with("30000 errors\n"), "{rendered:.200}");
    // The last shown and the summary.
    let tail: Vec<&str> = rendered.split("\n\n").collect();
    insta::assert_snapshot!(tail[tail.len() - 2..].join("\n\n"));
}

#[test]
fn name_errors_past_the_cap_are_counted_too() {
    let names: Vec<String> = (0..200).map(|i| format!("nosuch{i}")).collect();
    let text = format!("DEFAULT KILL\nALLOW {{ {} }}\n", names.join(", "));
    let rendered = errors(&text);
    assert!(rendered.starts_with("200 errors\n"), "{rendered:.200}");
    assert_eq!(
        rendered.matches("\nerror: ").count(),
        diag::MAX_DIAGNOSTICS + 1
    );
    assert!(rendered.contains("too many errors: 150 more not shown after the first 50"));
}

#[test]
fn an_error_on_a_long_line_shows_a_window_of_it() {
    // A 270 KB line: the excerpt is a window around the caret, whatever the line's length.
    let text = format!(
        "DEFAULT KILL ALLOW {{ {}opn, {}write }}\n",
        "read, ".repeat(20_000),
        "read, ".repeat(20_000)
    );
    insta::assert_snapshot!(errors(&text));
}

/// The rendered errors of lowering a policy (which compiles) to OCI JSON.
fn lowering_errors(text: &str) -> String {
    let policy = compile_str("policy.kafel", text, &x86_64())
        .unwrap_or_else(|e| panic!("the policy does not compile:\n{}", e.render()));
    policy
        .to_bpf()
        .expect("BPF, the way out the errors suggest, says the policy");
    match policy.to_profile() {
        Ok(_) => panic!("the policy lowered to OCI JSON, but should not"),
        Err(e) => format!("{e}\n\n{}", e.render()),
    }
}

#[test]
fn a_region_cut_into_too_many_products_is_refused_before_they_are_all_made() {
    // Ten OR-ed terms over six arguments cut into thousands of disjoint products: lowering
    // ran for minutes making them all before counting the rules (issue 12).
    let text = bit_tests(10);
    let rendered = lowering_errors(&text);
    assert!(
        rendered.contains("error: mmap needs more than 512 OCI rules"),
        "{rendered}"
    );
}

#[test]
fn a_diagram_past_its_budget_names_the_syscall_and_the_way_out() {
    // Twenty terms: the diagram itself outgrows the budget.
    let text = bit_tests(20);
    let policy = compile_str("policy.kafel", &text, &x86_64()).expect("the policy compiles");
    let e = policy.to_profile().expect_err("past the budget");
    insta::assert_snapshot!(e.render());
}

#[test]
fn a_small_budget_is_reported_not_trusted() {
    // Any policy with argument conditions, on a budget too small for it.
    let text = "DEFAULT KILL\nALLOW { write { fd == 1 || fd == 2 } }\n";
    let policy = compile_str("policy.kafel", text, &x86_64()).expect("the policy compiles");
    let e = kafel_dsl::lower::to_profile_within(&policy.program, 50).expect_err("50 steps");
    assert_eq!(
        e[0].message,
        "the argument conditions of write are too complex to lower to OCI JSON"
    );
    kafel_dsl::lower::to_profile_within(&policy.program, kafel_dsl::bdd::DEFAULT_BUDGET)
        .expect("the default budget is enough");
}
