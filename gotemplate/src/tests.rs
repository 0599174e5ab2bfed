//! The template language, one test per Go rule (and per podman function). The differential
//! test (`tests/podman_differential.rs`) checks the same against Go itself.

use serde_json::{json, Value};

use crate::{ExecErrorKind, ParseErrorKind, Template};

fn data() -> Value {
    json!({
        "Name": "web",
        "ID": "0123456789abcdef",
        "Zero": 0,
        "Ratio": 0.5,
        "Whole": 3.0,
        "Empty": "",
        "Ports": [80, 443],
        "NoPorts": [],
        "Labels": {"tier": "front", "app": "shop"},
        "NoLabels": {},
        "State": {"Status": "running", "ExitCode": 0, "Pid": 42},
        "Health": null,
        "Running": true,
    })
}

fn render(src: &str) -> String {
    Template::parse(src)
        .unwrap_or_else(|e| panic!("{src:?} parses: {e}"))
        .render(&data())
        .unwrap_or_else(|e| panic!("{src:?} runs: {e}"))
}

fn exec_err(src: &str) -> crate::ExecError {
    Template::parse(src)
        .unwrap_or_else(|e| panic!("{src:?} parses: {e}"))
        .render(&data())
        .expect_err("fails")
}

fn parse_err(src: &str) -> crate::ParseError {
    Template::parse(src).expect_err("does not parse")
}

#[test]
fn text_outside_actions_is_copied() {
    assert_eq!(render("plain {text}"), "plain {text}");
}

#[test]
fn fields_chain_through_nested_objects() {
    assert_eq!(render("{{.State.Status}}/{{.State.Pid}}"), "running/42");
}

#[test]
fn a_missing_struct_field_is_an_error_naming_it_and_the_fields_there_are() {
    let e = exec_err("{{.State.Staus}}");
    let ExecErrorKind::NoField {
        field, available, ..
    } = &e.kind
    else {
        panic!("{e}")
    };
    assert_eq!(field, "Staus");
    assert_eq!(available, &["Status", "ExitCode", "Pid"]);
    assert_eq!((e.pos.line, e.pos.col), (1, 3));
    assert!(e.to_string().contains("Staus") && e.to_string().contains("Status, ExitCode, Pid"));
}

#[test]
fn a_missing_map_key_prints_no_value() {
    assert_eq!(
        render("{{.Labels.nope}}|{{.NoLabels.x}}"),
        "<no value>|<no value>"
    );
}

#[test]
fn a_field_of_a_nil_pointer_is_an_error() {
    assert!(matches!(
        exec_err("{{.Health.Status}}").kind,
        ExecErrorKind::NilPointer { .. }
    ));
}

#[test]
fn values_print_as_go_fmt_v() {
    assert_eq!(render("{{.Ports}}"), "[80 443]");
    assert_eq!(render("{{.Labels}}"), "map[app:shop tier:front]");
    assert_eq!(render("{{.State}}"), "{running 0 42}");
    assert_eq!(render("{{.Health}}"), "<nil>");
    assert_eq!(
        render("{{.Whole}} {{.Ratio}} {{1e6}} {{123456.0}}"),
        "3 0.5 1e+06 123456"
    );
    assert_eq!(render("{{.Running}} {{false}}"), "true false");
}

#[test]
fn truthiness_follows_go_false_zero_nil_and_empty_are_false() {
    let t = "{{if .X}}T{{else}}F{{end}}";
    for (x, want) in [
        ("false", "F"),
        ("0", "F"),
        ("0.0", "F"),
        ("\"\"", "F"),
        (".NoPorts", "F"),
        (".NoLabels", "F"),
        (".Labels.missing", "F"),
        ("1", "T"),
        ("\"x\"", "T"),
        (".Ports", "T"),
        (".State", "T"),
    ] {
        let src = t.replace(".X", x);
        assert_eq!(render(&src), want, "{src}");
    }
}

#[test]
fn range_over_a_list_sets_dot_and_optional_index() {
    assert_eq!(render("{{range .Ports}}<{{.}}>{{end}}"), "<80><443>");
    assert_eq!(
        render("{{range $i, $p := .Ports}}{{$i}}={{$p}} {{end}}"),
        "0=80 1=443 "
    );
    assert_eq!(render("{{range $p := .Ports}}{{$p}}{{end}}"), "80443");
}

#[test]
fn range_over_a_map_goes_in_key_order() {
    assert_eq!(
        render("{{range $k, $v := .Labels}}{{$k}}={{$v}};{{end}}"),
        "app=shop;tier=front;"
    );
}

#[test]
fn range_else_runs_when_there_is_nothing_to_range_over() {
    assert_eq!(render("{{range .NoPorts}}x{{else}}none{{end}}"), "none");
}

#[test]
fn range_over_a_number_or_a_struct_is_an_error() {
    assert!(matches!(
        exec_err("{{range 3}}{{end}}").kind,
        ExecErrorKind::CannotRange(_)
    ));
    assert!(matches!(
        exec_err("{{range .State}}{{end}}").kind,
        ExecErrorKind::CannotRange(_)
    ));
}

#[test]
fn break_and_continue_leave_or_skip_an_iteration() {
    let list = r#"{{range split "a,b,c" ","}}"#;
    assert_eq!(
        render(&format!(
            "{list}{{{{if eq . \"b\"}}}}{{{{break}}}}{{{{end}}}}{{{{.}}}}{{{{end}}}}"
        )),
        "a"
    );
    assert_eq!(
        render(&format!(
            "{list}{{{{if eq . \"b\"}}}}{{{{continue}}}}{{{{end}}}}{{{{.}}}}{{{{end}}}}"
        )),
        "ac"
    );
}

#[test]
fn break_outside_range_does_not_parse() {
    assert_eq!(
        parse_err("{{break}}").kind,
        ParseErrorKind::OutsideRange("break")
    );
}

#[test]
fn if_else_if_chains() {
    let t = r#"{{if eq .Name "db"}}db{{else if eq .Name "web"}}web{{else}}other{{end}}"#;
    assert_eq!(render(t), "web");
}

#[test]
fn with_sets_dot_and_else_runs_on_empty() {
    assert_eq!(render("{{with .State}}{{.Status}}{{end}}"), "running");
    assert_eq!(render("{{with .Empty}}x{{else}}empty{{end}}"), "empty");
}

#[test]
fn variables_declare_assign_and_end_with_their_block() {
    assert_eq!(render("{{$x := 1}}{{$x = 2}}{{$x}}"), "2");
    assert_eq!(render("{{$}}"), render("{{.}}"));
    assert_eq!(render("{{range .Ports}}{{$.Name}}{{end}}"), "webweb");
    assert_eq!(
        parse_err("{{if 1}}{{$y := 1}}{{end}}{{$y}}").kind,
        ParseErrorKind::UndefinedVariable("y".into())
    );
}

#[test]
fn trim_markers_remove_adjacent_white_space() {
    assert_eq!(render("a  \n {{- .Name -}} \n  b"), "awebb");
    // `{{-3}}` is the number -3, not a trim marker.
    assert_eq!(render("a {{-3}}"), "a -3");
}

#[test]
fn comments_print_nothing_and_may_trim() {
    assert_eq!(render("a{{/* note */}}b"), "ab");
    assert_eq!(render("a {{- /* note */ -}} b"), "ab");
    assert_eq!(
        parse_err("{{/* a */ .Name}}").kind,
        ParseErrorKind::CommentNotAlone
    );
}

#[test]
fn literals_strings_raw_strings_chars_and_numbers() {
    assert_eq!(render(r#"{{"a\tb"}}"#), "a\tb");
    assert_eq!(render(r"{{`a\tb`}}"), r"a\tb");
    assert_eq!(
        render("{{'a'}} {{0x1F}} {{0o17}} {{0b101}} {{1_000}} {{-7}}"),
        "97 31 15 5 1000 -7"
    );
    assert!(matches!(
        parse_err("{{99999999999999999999}}").kind,
        ParseErrorKind::IntegerOverflow(_)
    ));
}

#[test]
fn pipelines_pass_the_value_as_the_last_argument() {
    assert_eq!(render(r#"{{"x" | printf "%s-%s" "y"}}"#), "y-x");
    assert_eq!(render("{{.Name | upper | printf \"[%s]\"}}"), "[WEB]");
    assert_eq!(render("{{(split \"a.b\" \".\") | len}}"), "2");
    assert_eq!(render("{{(.State).Status}}"), "running");
}

#[test]
fn and_or_short_circuit_and_return_the_deciding_operand() {
    assert_eq!(
        render("{{and 1 0 2}}|{{and 1 2}}|{{or 0 \"\" \"x\"}}|{{or 0 \"\"}}"),
        "0|2|x|"
    );
    // The second operand is never evaluated: its missing field would be an error.
    assert_eq!(render("{{or .Name .Missing}}"), "web");
    assert_eq!(render("{{and .Empty .Missing}}"), "");
}

#[test]
fn comparisons_follow_go_type_rules() {
    assert_eq!(
        render("{{eq 1 1}} {{eq .Name \"db\" \"web\"}} {{ne 1 2}} {{lt 1 2}} {{ge \"b\" \"a\"}}"),
        "true true true true true"
    );
    assert_eq!(render("{{eq .Health nil}}"), "true");
    let e = exec_err("{{eq 1 1.0}}");
    assert!(
        e.to_string().contains("incompatible types for comparison"),
        "{e}"
    );
    assert!(exec_err("{{lt true false}}")
        .to_string()
        .contains("invalid type for comparison"));
}

#[test]
fn index_slice_and_len() {
    assert_eq!(
        render("{{index .Ports 1}} {{index .Labels \"app\"}} {{index \"abc\" 1}}"),
        "443 shop 98"
    );
    // A missing key of a map of strings is the zero string, as for podman's labels.
    assert_eq!(render("{{index .Labels \"nope\"}}|"), "|");
    assert_eq!(render("{{slice .ID 0 4}} {{slice .Ports 1}}"), "0123 [443]");
    assert_eq!(
        render("{{len .ID}} {{len .Ports}} {{len .Labels}}"),
        "16 2 2"
    );
    assert!(exec_err("{{index .Ports 5}}")
        .to_string()
        .contains("index out of range: 5"));
    assert!(exec_err("{{len 3}}")
        .to_string()
        .contains("len of type int"));
}

#[test]
fn print_family_and_printf_verbs() {
    assert_eq!(render(r#"{{print 1 2 "a" "b" 3}}"#), "1 2ab3");
    assert_eq!(render(r#"{{println "a" 1}}"#), "a 1\n");
    assert_eq!(
        render(r#"{{printf "%s|%d|%v|%q|%x|%5s|%-10s|%t" "a" 3 .Ports "q" 255 "r" "l" true}}"#),
        "a|3|[80 443]|\"q\"|ff|    r|l         |true"
    );
    assert_eq!(
        render(r#"{{printf "%.2f %e %g %05d %+d" 3.14159 1234.5 0.000012 42 5}}"#),
        "3.14 1.234500e+03 1.2e-05 00042 +5"
    );
    assert_eq!(
        render(r#"{{printf "%d %s" "x"}}"#),
        "%!d(string=x) %!s(MISSING)"
    );
    assert_eq!(
        render(r#"{{printf "%s" 1 2}}"#),
        "%!s(int=1)%!(EXTRA int=2)"
    );
}

#[test]
fn escapers_html_js_urlquery() {
    assert_eq!(
        render(r#"{{html "<a href='x'>&\"</a>"}}"#),
        "&lt;a href=&#39;x&#39;&gt;&amp;&#34;&lt;/a&gt;"
    );
    assert_eq!(render(r#"{{js "a'b<c>"}}"#), r"a\'b\u003Cc\u003E");
    assert_eq!(render(r#"{{urlquery "a b&c"}}"#), "a+b%26c");
}

#[test]
fn not_negates_truth() {
    assert_eq!(render("{{not 0}} {{not .Name}}"), "true false");
}

#[test]
fn call_is_an_error_because_data_hold_no_functions() {
    assert!(exec_err("{{call .Name}}")
        .to_string()
        .contains("non-function"));
}

#[test]
fn define_and_template_and_block() {
    assert_eq!(
        render(r#"{{define "T"}}[{{.}}]{{end}}{{template "T" .Name}}"#),
        "[web]"
    );
    assert_eq!(render(r#"{{block "B" .State}}{{.Pid}}{{end}}"#), "42");
}

#[test]
fn undefined_functions_and_stray_ends_do_not_parse() {
    assert_eq!(
        parse_err("{{nofunc 1}}").kind,
        ParseErrorKind::UndefinedFunction("nofunc".into())
    );
    assert!(matches!(
        parse_err("{{end}}").kind,
        ParseErrorKind::UnexpectedKeyword(_)
    ));
    assert!(matches!(
        parse_err("{{if 1}}x").kind,
        ParseErrorKind::Unexpected { .. }
    ));
    assert_eq!(parse_err("{{.Name").kind, ParseErrorKind::UnclosedAction);
}

#[test]
fn parse_errors_name_line_and_column() {
    let e = parse_err("line one\n  {{nofunc}}");
    assert_eq!((e.pos.line, e.pos.col), (2, 5));
    assert!(
        e.to_string()
            .starts_with("2:5: function \"nofunc\" not defined"),
        "{e}"
    );
}

#[test]
fn podman_json_is_compact_go_json_keeping_struct_order_and_sorting_maps() {
    assert_eq!(
        render("{{json .State}}"),
        r#"{"Status":"running","ExitCode":0,"Pid":42}"#
    );
    assert_eq!(
        render("{{json .Labels}}"),
        r#"{"app":"shop","tier":"front"}"#
    );
    assert_eq!(
        render("{{json .Whole}} {{json \"a<b\"}} {{json .Health}}"),
        r#"3 "a<b" null"#
    );
}

#[test]
fn podman_string_functions() {
    assert_eq!(
        render("{{lower \"AbC\"}} {{upper .Name}} {{title \"hello wide world\"}}"),
        "abc WEB Hello Wide World"
    );
    assert_eq!(
        render("{{truncate .ID 12}} {{truncate \"ab\" 5}}"),
        "0123456789ab ab"
    );
    assert_eq!(render("{{pad .Name 2 1}}|{{pad \"\" 2 1}}|"), "  web ||");
    assert_eq!(render("{{join (split \"a,b,c\" \",\") \"-\"}}"), "a-b-c");
}

#[test]
fn hostile_nesting_is_refused_with_an_error() {
    let deep = format!("{{{{{}1{}}}}}", "(".repeat(10_000), ")".repeat(10_000));
    assert!(matches!(parse_err(&deep).kind, ParseErrorKind::TooDeep(_)));
    let blocks = format!("{}{}", "{{if 1}}".repeat(10_000), "{{end}}".repeat(10_000));
    assert!(matches!(
        parse_err(&blocks).kind,
        ParseErrorKind::TooDeep(_)
    ));
}

#[test]
fn hostile_output_size_is_refused_with_an_error() {
    let e = exec_err(
        r#"{{define "x"}}{{pad "y" 999999 0}}{{template "x"}}{{template "x"}}{{end}}{{template "x"}}"#,
    );
    assert!(
        matches!(
            e.kind,
            ExecErrorKind::OutputTooLarge(_) | ExecErrorKind::TooDeep(_)
        ),
        "{e}"
    );
    let e = exec_err(r#"{{pad "y" 99999999999 0}}"#);
    assert!(matches!(e.kind, ExecErrorKind::OutputTooLarge(_)), "{e}");
}

#[test]
fn recursion_through_template_is_bounded() {
    let e = exec_err(r#"{{define "x"}}{{template "x"}}{{end}}{{template "x"}}"#);
    assert!(matches!(e.kind, ExecErrorKind::TooDeep(_)), "{e}");
}

proptest::proptest! {
    #![proptest_config(proptest::prelude::ProptestConfig::with_cases(3000))]

    /// Any text built from the language's pieces parses or is refused, and runs or fails, but
    /// never panics (slicing at a non-character boundary, an index out of range...).
    #[test]
    fn no_template_text_makes_the_engine_panic(pieces in proptest::collection::vec(
        proptest::sample::select(vec![
            "{{", "}}", "{{- ", " -}}", "/*", "*/", "(", ")", "|", " ", "\n", ".", "$", "$x",
            ":=", "=", ",", "\"", "`", "'", "\\", "é", "1", "-", "0x", "e", "_", "if", "else",
            "end", "range", "with", "break", "define", "template", "block", "\"T\"", ".Name",
            ".Ports", ".Labels", ".State.Pid", "index", "slice", "printf", "\"%5.2x\"", "len",
            "and", "or", "eq", "lt", "json", "split", "pad", "nil", "true", "'a'", "a",
        ]),
        0..40,
    )) {
        let src: String = pieces.concat();
        if let Ok(t) = Template::parse(&src) {
            let _ = t.render(&data());
        }
    }
}

fn render_typed(src: &str, data: &Value, structs: &[&str]) -> String {
    Template::parse(src)
        .unwrap_or_else(|e| panic!("{src:?} parses: {e}"))
        .render_typed(data, structs)
        .unwrap_or_else(|e| panic!("{src:?} runs: {e}"))
}

#[test]
fn a_declared_empty_struct_prints_braces_and_an_empty_map_map_brackets() {
    // podman: ExposedPorts is map[string]struct{}, Labels map[string]string.
    let d = json!({"Config": {"ExposedPorts": {"8080/tcp": {}, "53/udp": {}}, "Labels": {}}});
    let structs = ["/Config/ExposedPorts/*"];
    assert_eq!(
        render_typed("{{.Config.ExposedPorts}} {{.Config.Labels}}", &d, &structs),
        "map[53/udp:{} 8080/tcp:{}] map[]"
    );
    assert_eq!(
        render_typed(r#"{{index .Config.ExposedPorts "8080/tcp"}}"#, &d, &structs),
        "{}"
    );
    assert_eq!(
        render_typed(
            r#"{{printf "%v|%+v" (index .Config.ExposedPorts "53/udp") .Config.Labels}}"#,
            &d,
            &structs
        ),
        "{}|map[]"
    );
    // Go: a struct is always true, an empty map false.
    assert_eq!(
        render_typed(
            r#"{{range $k, $v := .Config.ExposedPorts}}{{if $v}}{{$k}} {{end}}{{end}}{{if .Config.Labels}}L{{end}}"#,
            &d,
            &structs
        ),
        "53/udp 8080/tcp "
    );
    // Not declared: the map reading, as before.
    assert_eq!(
        render_typed("{{.Config.ExposedPorts}}", &d, &[]),
        "map[53/udp:map[] 8080/tcp:map[]]"
    );
}

#[test]
fn struct_pointers_escape_slashes_and_name_nothing_harmlessly() {
    let d = json!({"P": {"a/b": {}, "c": {}}, "L": [{}, {}]});
    assert_eq!(
        render_typed("{{.P}}", &d, &["/P/a~1b"]),
        "map[a/b:{} c:map[]]"
    );
    assert_eq!(render_typed("{{.L}}", &d, &["/L/1"]), "[map[] {}]");
    assert_eq!(
        render_typed("{{.P}}", &d, &["/nosuch/*", "/P/c/x", "bad"]),
        "map[a/b:map[] c:map[]]"
    );
}

#[test]
fn declarations_last_one_render() {
    let d = json!({"P": {"a": {}}});
    let t = Template::parse("{{.P}}").expect("parses");
    assert_eq!(t.render_typed(&d, &["/P/*"]).expect("runs"), "map[a:{}]");
    assert_eq!(t.render(&d).expect("runs"), "map[a:map[]]");
}
