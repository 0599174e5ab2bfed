//! `--format`, as podman's commands take it (containers/common `pkg/report`, podman 4.3):
//!
//! - absent or empty: the command's default output ([`Format::Default`]);
//! - `json` (also `{{json}}`, `{{json .}}`, `{{ json . }}`: podman 4.3's `report.IsJSON`):
//!   the rows as one JSON array, indented by four spaces;
//! - `table TEMPLATE`: a header row and one row per item, columns aligned by Go's tabwriter;
//!   in the template `\t` and `\n` (the two characters) are a tab and a newline, and every
//!   space becomes a tab, i.e. a column break (podman's `tableReplacer`);
//! - any other text: a Go template run once per row, `\t` and `\n` interpreted, no alignment,
//!   no header. A template that ranges over the rows itself (`{{range .}}...{{end}}`) runs
//!   once over the whole list (podman's `EnforceRange`).
//!
//! Each row's template output ends with a newline: podman appends one to a template that does
//! not end with one.
//!
//! The header row is the template run over a map from each field name to its header, so
//! `{{.ID}}` prints `CONTAINER ID` and `{{.Names | upper}}` works as on the rows: the header
//! is the command's (`headers`), else the field name split at its camel-case words and
//! upper-cased (`CreatedAt` → `CREATED AT`), podman's `report.Headers` rule.
//!
//! rpod differs on purpose in one place: `--format table` alone prints the command's default
//! table (what newer podman does); podman 4.3.1 prints the word `table` once per row.

use serde::Serialize;
use serde_json::Value;

use gotemplate::{tabwriter, Template};

use crate::commands::usage;

/// What `--format` asked for.
#[derive(Debug, Clone)]
pub enum Format {
    /// No `--format` (or `--format table`): the command's default output.
    Default,
    /// `--format json`: a JSON array (or object, for [`render_one`]), indented.
    Json,
    /// A Go template; `table` when it had the `table ` prefix (header row and alignment).
    Template { template: Template, table: bool },
}

impl Format {
    /// Reads a `--format` value.
    ///
    /// # Errors
    /// A usage error naming the template and the position of the problem when the template
    /// does not parse.
    pub fn parse(flag: Option<&str>) -> anyhow::Result<Format> {
        let Some(flag) = flag else {
            return Ok(Format::Default);
        };
        if flag.trim().is_empty() || flag == "table" {
            return Ok(Format::Default);
        }
        if is_json(flag) {
            return Ok(Format::Json);
        }
        let (text, table) = normalize(flag);
        let template = Template::parse(&text).map_err(|e| {
            usage(
                format!("invalid --format template {flag:?}: {e}"),
                "write a Go template such as '{{.ID}}\\t{{.Names}}', 'table {{.ID}}', or 'json' (positions count from the start of the template after any `table ` prefix)",
            )
        })?;
        Ok(Format::Template { template, table })
    }

    /// `Default` replaced by the command's own default (a `table ...` template); other formats
    /// as they are.
    ///
    /// # Errors
    /// When `default` does not parse (a bug in the command).
    pub fn or_default(self, default: &str) -> anyhow::Result<Format> {
        match self {
            Format::Default => Format::parse(Some(default)),
            other => Ok(other),
        }
    }
}

/// podman 4.3's `report.IsJSON`: `^\s*(json|{{\s*json\s*\.?\s*}})\s*$`.
fn is_json(flag: &str) -> bool {
    let s = flag.trim();
    if s == "json" {
        return true;
    }
    let Some(inner) = s.strip_prefix("{{").and_then(|s| s.strip_suffix("}}")) else {
        return false;
    };
    let Some(rest) = inner.trim_start().strip_prefix("json") else {
        return false;
    };
    let rest = rest.trim();
    rest.is_empty() || rest == "."
}

/// podman's `NormalizeFormat`: the `table ` prefix off (and its spaces made tabs), `\t` and
/// `\n` escapes interpreted, a final newline added.
fn normalize(flag: &str) -> (String, bool) {
    let (mut text, table) = match flag.strip_prefix("table ") {
        Some(rest) => (
            rest.replace("\\t", "\t")
                .replace("\\n", "\n")
                .replace(' ', "\t"),
            true,
        ),
        None => (flag.replace("\\t", "\t").replace("\\n", "\n"), false),
    };
    if !text.ends_with('\n') {
        text.push('\n');
    }
    (text, table)
}

/// podman's `EnforceRange` test: does the template range over dot itself
/// (`{{range .}}` ... `{{end}}`)?
fn ranges_over_dot(src: &str) -> bool {
    let Some(start) = find_action(src, 0, |inner| {
        inner.strip_prefix("range").is_some_and(|r| r.trim() == ".")
    }) else {
        return false;
    };
    find_action(src, start, |inner| {
        inner
            .strip_prefix("end")
            .is_some_and(|r| matches!(r.trim(), "" | "-"))
    })
    .is_some()
}

/// The offset after the first action at or after `from` whose trimmed inside satisfies `want`.
fn find_action(src: &str, from: usize, want: impl Fn(&str) -> bool) -> Option<usize> {
    let mut i = from;
    while let Some(open) = src[i..].find("{{") {
        let start = i + open + 2;
        let close = src[start..].find("}}")?;
        if want(src[start..start + close].trim()) {
            return Some(start + close + 2);
        }
        i = start;
    }
    None
}

/// podman's header for a field without an override: camel-case words upper-cased
/// (`CreatedAt` → `CREATED AT`, `ImageID` → `IMAGE ID`), containers/common `report/camelcase`.
#[must_use]
pub fn default_header(field: &str) -> String {
    camel_words(field).join(" ").to_uppercase()
}

#[derive(PartialEq, Clone, Copy)]
enum Class {
    Lower,
    Upper,
    Digit,
    Other,
}

/// Splits at changes of character class (lower, upper, digit, other); an upper-case run
/// followed by lower case gives its last letter to the next word (`HTTPServer` → `HTTP`,
/// `Server`).
fn camel_words(s: &str) -> Vec<String> {
    let class = |c: char| {
        if c.is_lowercase() {
            Class::Lower
        } else if c.is_uppercase() {
            Class::Upper
        } else if c.is_numeric() {
            Class::Digit
        } else {
            Class::Other
        }
    };
    let mut runs: Vec<(Class, Vec<char>)> = Vec::new();
    for c in s.chars() {
        let k = class(c);
        match runs.last_mut() {
            Some((last, chars)) if *last == k => chars.push(c),
            _ => runs.push((k, vec![c])),
        }
    }
    for i in 0..runs.len().saturating_sub(1) {
        if runs[i].0 == Class::Upper && runs[i + 1].0 == Class::Lower {
            if let Some(c) = runs[i].1.pop() {
                runs[i + 1].1.insert(0, c);
            }
        }
    }
    runs.into_iter()
        .filter(|(_, chars)| !chars.is_empty())
        .map(|(_, chars)| chars.into_iter().collect())
        .collect()
}

fn to_values<T: Serialize>(rows: &[T]) -> anyhow::Result<Vec<Value>> {
    rows.iter()
        .map(|r| serde_json::to_value(r).map_err(anyhow::Error::from))
        .collect()
}

/// JSON as podman prints it: indented by four spaces.
fn pretty<T: Serialize + ?Sized>(value: &T) -> anyhow::Result<String> {
    let mut buf = Vec::new();
    let fmt = serde_json::ser::PrettyFormatter::with_indent(b"    ");
    let mut ser = serde_json::Serializer::with_formatter(&mut buf, fmt);
    value.serialize(&mut ser)?;
    let mut s = String::from_utf8(buf)?;
    s.push('\n');
    Ok(s)
}

fn run(template: &Template, data: &Value) -> anyhow::Result<String> {
    template
        .render(data)
        .map_err(|e| anyhow::anyhow!("template: {e}"))
}

/// The field names a header row may show: the rows' fields, and the fields the template
/// reads (so an empty list still gets its header).
fn header_map(
    template: &Template,
    rows: &[Value],
    headers: &dyn Fn(&str) -> String,
) -> serde_json::Map<String, Value> {
    let mut names: Vec<String> = Vec::new();
    for row in rows {
        if let Value::Object(m) = row {
            for k in m.keys() {
                if !names.contains(k) {
                    names.push(k.clone());
                }
            }
        }
    }
    for f in template_fields(template.source()) {
        if !names.contains(&f) {
            names.push(f);
        }
    }
    names
        .into_iter()
        .map(|name| {
            let over = headers(&name);
            let header = if over.is_empty() {
                default_header(&name)
            } else {
                over.to_uppercase()
            };
            (name, Value::String(header))
        })
        .collect()
}

/// The first field of every `.Field` chain on dot in the template's actions (not `$x.Field`).
fn template_fields(src: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut i = 0;
    while let Some(open) = src[i..].find("{{") {
        let start = i + open + 2;
        let Some(close) = src[start..].find("}}") else {
            break;
        };
        let inner = &src[start..start + close];
        let b = inner.as_bytes();
        for (k, &c) in b.iter().enumerate() {
            let prev = k.checked_sub(1).map(|j| b[j]);
            let after_ident = prev
                .is_some_and(|p| p.is_ascii_alphanumeric() || p == b'_' || p == b')' || p == b'$');
            if c == b'.' && !after_ident {
                let name: String = inner[k + 1..]
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if name.chars().next().is_some_and(char::is_alphabetic) && !out.contains(&name) {
                    out.push(name);
                }
            }
        }
        i = start + close + 2;
    }
    out
}

/// A generic default table: every field of the rows, in their order.
fn default_template(rows: &[Value]) -> anyhow::Result<Template> {
    let mut cols = Vec::new();
    if let Some(Value::Object(m)) = rows.first() {
        for k in m.keys() {
            cols.push(format!("{{{{.{k}}}}}"));
        }
    }
    let text = format!("{}\n", cols.join("\t"));
    Template::parse(&text).map_err(|e| anyhow::anyhow!("default table template: {e}"))
}

/// Renders a list (`ps`, `images`, `volume ls`...) in `format`: see the module docs.
/// `headers` gives a field's header (`ID` → `CONTAINER ID`), or an empty string for the
/// default rule; `noheading` drops a table's header row.
///
/// # Errors
/// A template that fails on a row (a missing field, a wrong argument), or a row that does not
/// serialize.
pub fn render_rows<T: Serialize>(
    format: &Format,
    rows: &[T],
    headers: &dyn Fn(&str) -> String,
    noheading: bool,
) -> anyhow::Result<String> {
    let values = to_values(rows)?;
    let default;
    let (template, table) = match format {
        Format::Json => return pretty(&values),
        Format::Template { template, table } => (template, *table),
        Format::Default => {
            default = default_template(&values)?;
            (&default, true)
        }
    };
    if !table && ranges_over_dot(template.source()) {
        return run(template, &Value::Array(values));
    }
    let mut text = String::new();
    if table && !noheading {
        let map = header_map(template, &values, headers);
        text.push_str(&run(template, &Value::Object(map))?);
    }
    for row in &values {
        text.push_str(&run(template, row)?);
    }
    Ok(if table {
        tabwriter::align(&text, tabwriter::PODMAN)
    } else {
        text
    })
}

/// Renders one object (`inspect`): JSON (also for [`Format::Default`]) indented by four
/// spaces, or one run of the template.
///
/// # Errors
/// A template that fails on the object, or an object that does not serialize.
pub fn render_one<T: Serialize>(format: &Format, item: &T) -> anyhow::Result<String> {
    match format {
        Format::Default | Format::Json => pretty(item),
        Format::Template { template, .. } => run(template, &serde_json::to_value(item)?),
    }
}

/// [`render_one`], where the values at the JSON pointers `structs` are Go structs in podman's
/// data (`*` for every member): JSON cannot tell an empty struct (`{}`) from an empty map
/// (`map[]`), the command that knows podman's types can ([`gotemplate::Template::render_typed`]).
pub fn render_one_typed<T: Serialize>(
    format: &Format,
    item: &T,
    structs: &[&str],
) -> anyhow::Result<String> {
    match format {
        Format::Default | Format::Json => pretty(item),
        Format::Template { template, .. } => template
            .render_typed(&serde_json::to_value(item)?, structs)
            .map_err(|e| anyhow::anyhow!("template: {e}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Serialize)]
    #[serde(rename_all = "PascalCase")]
    struct Row {
        #[serde(rename = "ID")]
        id: String,
        names: String,
        created_at: String,
    }

    fn rows() -> Vec<Row> {
        vec![
            Row {
                id: "0123456789ab".into(),
                names: "web".into(),
                created_at: "1 hour ago".into(),
            },
            Row {
                id: "ba9876543210".into(),
                names: "a-much-longer-name".into(),
                created_at: "2 hours ago".into(),
            },
        ]
    }

    fn ps_headers(field: &str) -> String {
        match field {
            "ID" => "container id".into(),
            _ => String::new(),
        }
    }

    fn render(flag: &str, noheading: bool) -> String {
        let f = Format::parse(Some(flag)).expect("format parses");
        render_rows(&f, &rows(), &ps_headers, noheading).expect("renders")
    }

    #[test]
    fn table_header_comes_from_the_header_map_then_from_camel_case_words() {
        assert_eq!(
            render("table {{.ID}}\\t{{.Names}}\\t{{.CreatedAt}}", false),
            "CONTAINER ID  NAMES               CREATED AT\n\
             0123456789ab  web                 1 hour ago\n\
             ba9876543210  a-much-longer-name  2 hours ago\n"
        );
    }

    #[test]
    fn table_spaces_are_column_breaks() {
        assert_eq!(
            render("table {{.Names}} {{.ID}}", true),
            "web                 0123456789ab\na-much-longer-name  ba9876543210\n"
        );
    }

    #[test]
    fn noheading_drops_the_header_row() {
        assert_eq!(
            render("table {{.Names}}", true),
            "web\na-much-longer-name\n"
        );
    }

    #[test]
    fn header_row_runs_the_template_functions() {
        assert_eq!(
            render("table {{.Names | lower}}", false),
            "names\nweb\na-much-longer-name\n"
        );
    }

    #[test]
    fn plain_template_has_no_header_no_alignment_and_a_newline_per_row() {
        assert_eq!(
            render("{{.ID}}\\t{{.Names}}", false),
            "0123456789ab\tweb\nba9876543210\ta-much-longer-name\n"
        );
    }

    #[test]
    fn a_template_ending_in_newline_gets_no_second_one() {
        assert_eq!(render("{{.Names}}\\n", false), "web\na-much-longer-name\n");
    }

    #[test]
    fn a_template_that_ranges_over_dot_runs_once_over_the_list() {
        assert_eq!(
            render("{{range .}}{{.Names}},{{end}}", false),
            "web,a-much-longer-name,\n"
        );
    }

    #[test]
    fn json_is_an_indented_array_and_json_dot_means_json() {
        for flag in ["json", " json ", "{{json .}}", "{{ json . }}", "{{json}}"] {
            let out = render(flag, false);
            assert!(
                out.starts_with("[\n    {\n        \"ID\": \"0123456789ab\""),
                "{flag}: {out}"
            );
        }
        let none: Vec<Row> = Vec::new();
        let out = render_rows(&Format::Json, &none, &ps_headers, false).expect("renders");
        assert_eq!(out, "[]\n");
    }

    #[test]
    fn json_function_in_a_template_is_compact_per_row() {
        assert_eq!(
            render("{{json .Names}}", false),
            "\"web\"\n\"a-much-longer-name\"\n"
        );
    }

    #[test]
    fn an_empty_list_still_gets_its_table_header() {
        let f = Format::parse(Some("table {{.ID}}\\t{{.Names}}")).expect("parses");
        let none: Vec<Row> = Vec::new();
        let out = render_rows(&f, &none, &ps_headers, false).expect("renders");
        assert_eq!(out, "CONTAINER ID  NAMES\n");
    }

    #[test]
    fn no_format_and_table_alone_are_the_default() {
        assert!(matches!(Format::parse(None), Ok(Format::Default)));
        assert!(matches!(Format::parse(Some("table")), Ok(Format::Default)));
        let out = render_rows(&Format::Default, &rows(), &ps_headers, false).expect("renders");
        assert_eq!(
            out.lines().next(),
            Some("CONTAINER ID  NAMES               CREATED AT")
        );
    }

    #[test]
    fn or_default_replaces_only_the_default() {
        let f = Format::Default
            .or_default("table {{.Names}}")
            .expect("parses");
        let out = render_rows(&f, &rows(), &ps_headers, false).expect("renders");
        assert_eq!(out, "NAMES\nweb\na-much-longer-name\n");
        let f = Format::Json.or_default("table {{.Names}}").expect("parses");
        assert!(matches!(f, Format::Json));
    }

    #[test]
    fn a_bad_template_is_a_usage_error_naming_template_and_position() {
        let e = Format::parse(Some("{{.ID}} {{if}}")).expect_err("refused");
        let msg = e.to_string();
        assert!(
            msg.contains("{{.ID}} {{if}}") && msg.contains("1:13: missing value for if"),
            "{msg}"
        );
    }

    #[test]
    fn a_missing_field_names_the_field_and_those_there_are() {
        let e = render_rows(
            &Format::parse(Some("{{.Nme}}")).expect("parses"),
            &rows(),
            &ps_headers,
            false,
        )
        .expect_err("fails");
        let msg = e.to_string();
        assert!(
            msg.contains("Nme") && msg.contains("ID, Names, CreatedAt"),
            "{msg}"
        );
    }

    #[test]
    fn render_one_runs_the_template_once_or_prints_indented_json() {
        let row = &rows()[0];
        let f = Format::parse(Some("{{.Names}} {{.ID}}")).expect("parses");
        assert_eq!(render_one(&f, row).expect("renders"), "web 0123456789ab\n");
        let json = render_one(&Format::Json, row).expect("renders");
        assert!(json.starts_with("{\n    \"ID\""), "{json}");
    }

    #[test]
    fn default_header_splits_camel_case_words() {
        assert_eq!(default_header("CreatedAt"), "CREATED AT");
        assert_eq!(default_header("ImageID"), "IMAGE ID");
        assert_eq!(default_header("ID"), "ID");
        assert_eq!(default_header("HTTPServer"), "HTTP SERVER");
        assert_eq!(default_header("RunningFor"), "RUNNING FOR");
    }

    /// Differential test of the whole `--format` machinery against podman 4.3's own
    /// (containers/common `pkg/report`): two images imported into a private podman store, then
    /// each format below through `podman images --format` and through [`render_rows`] over the
    /// same fields read back from podman. Needs root and podman.
    #[test]
    fn podman_images_and_render_rows_agree_on_tables_and_templates() {
        use std::process::Command;
        if !rpod_tests::require("root", nix::unistd::geteuid().is_root())
            || !rpod_tests::require(
                "podman",
                Command::new("podman")
                    .arg("--version")
                    .output()
                    .is_ok_and(|o| o.status.success()),
            )
        {
            return;
        }
        let dir = tempfile::tempdir().expect("temp dir");
        let root = dir.path().join("root");
        let run = dir.path().join("run");
        let podman = |args: &[&str]| {
            let out = Command::new("podman")
                .arg("--root")
                .arg(&root)
                .arg("--runroot")
                .arg(&run)
                .args(["--storage-driver", "vfs"])
                .args(args)
                .output()
                .expect("podman runs");
            assert!(
                out.status.success(),
                "podman {args:?}: {}",
                String::from_utf8_lossy(&out.stderr)
            );
            String::from_utf8(out.stdout).expect("utf-8")
        };
        let rootfs = dir.path().join("rootfs");
        std::fs::create_dir(&rootfs).expect("rootfs");
        std::fs::write(rootfs.join("hello"), "hi\n").expect("file");
        let tar = dir.path().join("img.tar");
        let st = Command::new("tar")
            .arg("-C")
            .arg(&rootfs)
            .arg("-cf")
            .arg(&tar)
            .arg(".")
            .status()
            .expect("tar runs");
        assert!(st.success());
        let tar = tar.to_str().expect("utf-8 path");
        podman(&["import", "-q", tar, "localhost/tiny:1"]);
        podman(&["import", "-q", tar, "localhost/a-much-longer-name:latest"]);

        let fields = ["Repository", "Tag", "ID", "Digest", "Size"];
        let probe: Vec<String> = fields
            .iter()
            .map(|f| format!("{{{{json .{f}}}}}"))
            .collect();
        let rows: Vec<serde_json::Map<String, Value>> =
            podman(&["images", "--format", &probe.join("\\t")])
                .lines()
                .map(|line| {
                    fields
                        .iter()
                        .zip(line.split('\t'))
                        .map(|(f, v)| {
                            (
                                (*f).to_string(),
                                serde_json::from_str(v).expect("json field"),
                            )
                        })
                        .collect()
                })
                .collect();
        assert_eq!(rows.len(), 2, "two images");
        // podman images' header overrides (cmd/podman/images/list.go).
        let headers = |f: &str| {
            if f == "ID" {
                "IMAGE ID".to_string()
            } else {
                String::new()
            }
        };
        let formats = [
            "table {{.Repository}}\\t{{.Tag}}\\t{{.ID}}",
            "table {{.Repository}} {{.Tag}}",
            "table {{.ID}}\\t{{.Size}}\\t{{.Digest}}",
            "table {{.Repository | upper}}\\t{{.Tag}}",
            "table {{printf \"%-30s\" .Repository}}|{{.Tag}}",
            "table {{.Tag}}\\t{{truncate .Repository 5}}\\n{{.ID}}",
            "table {{.Tag}}",
            "table {{.Repository}}\\t{{if eq .Tag \"1\"}}one{{else}}other{{end}}",
            "{{.Repository}}\\t{{.Tag}}",
            "{{.Repository}}:{{.Tag}}\\n",
            "{{range .}}{{.Repository}},{{end}}",
            "{{.ID}} {{.Size}}",
            "{{json .Repository}}",
        ];
        let mut failures = Vec::new();
        for format in formats {
            for noheading in [false, true] {
                let mut args = vec!["images", "--format", format];
                if noheading {
                    args.push("--noheading");
                }
                let want = podman(&args);
                let f = Format::parse(Some(format)).expect("format parses");
                let got = render_rows(&f, &rows, &headers, noheading).expect("renders");
                if got != want {
                    failures.push(format!(
                        "{format:?} noheading={noheading}\n  podman: {want:?}\n  rpod:   {got:?}"
                    ));
                }
            }
        }
        podman(&["rmi", "-a", "-f"]);
        assert!(
            failures.is_empty(),
            "{} differ:\n{}",
            failures.len(),
            failures.join("\n")
        );
    }
}
