//! `cargo xtask layers`: the layering rules the compiler cannot check.
//!
//! 1. No import cycles between modules of a library crate: for each of `profiles`, `kafel-dsl`,
//!    `tracer` and the engine's library, the graph whose nodes are the crate's top-level
//!    modules (and, inside each module folder, its sibling files) and whose edges are the
//!    paths a module names (`crate::x`, `super::x`) has no cycle. A child using its parent
//!    (`super::` from `container/monitor.rs` into `container/mod.rs`) is not an edge: the
//!    parent owns the child. The same holds between top-level modules, a folder counting as one
//!    module: `denials/notify.rs` naming `container` while `container` names `denials` is a
//!    cycle.
//! 2. Library code never prints: no `print!`, `println!`, `eprint!`, `eprintln!` or `dbg!`
//!    outside tests. The binary (`engine/src/main.rs`, `cli/`, `commands/`) prints.
//!
//! The check reads source text, skipping comments and each file's `#[cfg(test)]` module
//! (tests may reach anywhere). That the engine's library cannot import the command line is
//! enforced by the compiler: `cli` and `commands` belong to the binary crate.

use std::collections::{BTreeMap, BTreeSet};
use std::fs;
use std::path::{Path, PathBuf};

use anyhow::{bail, Context as _};

/// The library crates checked: (name, source folder, files that belong to the binary).
const CRATES: &[(&str, &str, &[&str])] = &[
    ("profiles", "profiles/src", &[]),
    ("kafel-dsl", "kafel-dsl/src", &[]),
    ("tracer", "tracer/src", &[]),
    (
        "rpod (library)",
        "engine/src",
        &["main.rs", "cli", "commands"],
    ),
];

const PRINTS: &[&str] = &["println!", "print!", "eprintln!", "eprint!", "dbg!"];

/// Checks every crate; an error lists every cycle and print found.
pub fn check(root: &Path) -> anyhow::Result<()> {
    let mut problems = Vec::new();
    for (name, dir, binary) in CRATES {
        let src = root.join(dir);
        let files = sources(&src, binary)?;
        let mut edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        let reexports = reexports(&files);
        for (rel, text) in &files {
            let code = code_of(text);
            let node = node_of(rel);
            for target in references(rel, &code, &reexports) {
                if target != node && !is_parent(&target, &node) {
                    edges.entry(node.clone()).or_default().insert(target);
                }
            }
            for (n, line) in code.lines().enumerate() {
                if let Some(p) = PRINTS.iter().find(|p| contains_macro(line, p)) {
                    problems.push(format!(
                        "{dir}/{}:{}: library code prints ({p}); return the text or take a writer",
                        rel.display(),
                        n + 1
                    ));
                }
            }
        }
        // Only edges between modules that exist (a name like `crate::Arch` is an item).
        let nodes: BTreeSet<String> = files.iter().map(|(rel, _)| node_of(rel)).collect();
        for targets in edges.values_mut() {
            targets.retain(|t| nodes.contains(t));
        }
        for cycle in cycles(&edges) {
            problems.push(format!("{name}: import cycle {}", cycle.join(" -> ")));
        }
        // A module folder is one module to the rest of the crate: `denials/notify` naming
        // `container` is `denials` naming it, so the same check runs on the top-level graph.
        let top = |n: &str| n.split('/').next().unwrap_or(n).to_string();
        let mut top_edges: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for (from, targets) in &edges {
            for t in targets {
                if top(from) != top(t) && top(t) != "crate" {
                    top_edges.entry(top(from)).or_default().insert(top(t));
                }
            }
        }
        for cycle in cycles(&top_edges) {
            problems.push(format!(
                "{name}: import cycle between top-level modules {}",
                cycle.join(" -> ")
            ));
        }
        eprintln!(
            "layers: {name}: {} modules, {} edges",
            nodes.len(),
            edges.values().map(BTreeSet::len).sum::<usize>()
        );
    }
    if problems.is_empty() {
        return Ok(());
    }
    for p in &problems {
        eprintln!("{p}");
    }
    bail!("{} layering problems", problems.len())
}

/// The `.rs` files under `src`, relative to it, without the binary's.
fn sources(src: &Path, binary: &[&str]) -> anyhow::Result<Vec<(PathBuf, String)>> {
    let mut out = Vec::new();
    let mut stack = vec![src.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).with_context(|| format!("cannot read {}", dir.display()))? {
            let path = entry?.path();
            let rel = path.strip_prefix(src)?.to_path_buf();
            let first = rel
                .components()
                .next()
                .map(|c| c.as_os_str().to_string_lossy().into_owned());
            if first.is_some_and(|f| binary.contains(&f.as_str())) {
                continue;
            }
            if path.is_dir() {
                stack.push(path);
            } else if path.extension().is_some_and(|e| e == "rs") {
                let text = fs::read_to_string(&path)
                    .with_context(|| format!("cannot read {}", path.display()))?;
                out.push((rel, text));
            }
        }
    }
    out.sort();
    Ok(out)
}

/// The file's code: comments removed, and everything from its `#[cfg(test)]` module on.
fn code_of(text: &str) -> String {
    let mut out = String::new();
    let mut lines = text.lines().peekable();
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        if t.starts_with("#[cfg(test)]")
            && lines
                .peek()
                .is_some_and(|n| n.trim_start().starts_with("mod "))
        {
            break;
        }
        let code = match t.find("//") {
            Some(i) if !t[..i].contains('"') => &t[..i],
            _ => t,
        };
        out.push_str(code);
        out.push('\n');
    }
    out
}

/// The graph node of a file: `lint` for `lint.rs`, `container` for `container/mod.rs`,
/// `container/monitor` for `container/monitor.rs`; the crate root is `crate`.
fn node_of(rel: &Path) -> String {
    let parts: Vec<String> = rel
        .with_extension("")
        .components()
        .map(|c| c.as_os_str().to_string_lossy().into_owned())
        .collect();
    match parts.as_slice() {
        [one] if one == "lib" || one == "main" => "crate".into(),
        [one] => one.clone(),
        [dir, last] if last == "mod" => dir.clone(),
        [dir @ .., last] if last == "mod" => dir.join("/"),
        all => all.join("/"),
    }
}

/// Whether `target` is `node`'s parent (`container` for `container/monitor`).
fn is_parent(target: &str, node: &str) -> bool {
    node.strip_prefix(target)
        .is_some_and(|r| r.starts_with('/'))
        || target == "crate"
}

/// The nodes a file names: `crate::x` is top-level module `x`; `super::y` from a file in a
/// module folder is its sibling `dir/y` (or the parent's sibling from a folder's `mod.rs`).
fn references(rel: &Path, code: &str, reexports: &Reexports) -> BTreeSet<String> {
    let node = node_of(rel);
    // The module `super` names: the parent of this file's module.
    let parent: Vec<&str> = {
        let mut p: Vec<&str> = node.split('/').collect();
        p.pop();
        p
    };
    let mut out = BTreeSet::new();
    for (prefix, base) in [("crate::", Vec::new()), ("super::", parent)] {
        let mut rest = code;
        while let Some(i) = rest.find(prefix) {
            let before = rest[..i].chars().last();
            rest = &rest[i + prefix.len()..];
            if before.is_some_and(|c| c.is_alphanumeric() || c == '_') {
                continue;
            }
            // `use crate::{a, b::{c, d}}` names several.
            let names: Vec<String> = match rest.strip_prefix('{') {
                Some(group) => top_level_items(group),
                None => vec![ident(rest)],
            };
            let module = if base.is_empty() {
                "crate".to_string()
            } else {
                base.join("/")
            };
            for name in names {
                if name.is_empty() || name == "self" || name == "super" {
                    continue;
                }
                // An item the module re-exports from a child (`pub use log::LogWriter`) is
                // that child's.
                match reexports.get(&(module.clone(), name.clone())) {
                    Some(child) => out.insert(child.clone()),
                    None => {
                        let mut path = base.clone();
                        path.push(&name);
                        out.insert(path.join("/"))
                    }
                };
            }
        }
    }
    out
}

/// (module, item) -> the child module a `pub use child::...` in that module takes it from.
type Reexports = BTreeMap<(String, String), String>;

/// The items each module file re-exports from its children.
fn reexports(files: &[(PathBuf, String)]) -> Reexports {
    let mut out = Reexports::new();
    for (rel, text) in files {
        let module = node_of(rel);
        let child_of = |name: &str| {
            if module == "crate" {
                name.to_string()
            } else {
                format!("{module}/{name}")
            }
        };
        let code = code_of(text);
        let mut rest = code.as_str();
        while let Some(i) = rest.find("pub use ") {
            rest = &rest[i + "pub use ".len()..];
            let child = ident(rest);
            let Some(after) = rest[child.len()..].strip_prefix("::") else {
                continue;
            };
            let items = match after.strip_prefix('{') {
                Some(group) => top_level_items(group),
                None => {
                    // `pub use child::a::Item;` or `pub use child::Item;`: the last segment.
                    let path: String = after.chars().take_while(|c| *c != ';').collect();
                    vec![ident(path.rsplit("::").next().unwrap_or_default())]
                }
            };
            for item in items.into_iter().filter(|i| !i.is_empty() && i != "self") {
                out.insert((module.clone(), item), child_of(&child));
            }
        }
    }
    out
}

/// The first identifier of each top-level entry of a `{...}` group (the text after `{`):
/// `a, b::{c, d}, e` gives a, b, e.
fn top_level_items(group: &str) -> Vec<String> {
    let mut items = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in group.char_indices() {
        match c {
            '{' => depth += 1,
            '}' if depth == 0 => {
                items.push(ident(group[start..i].trim()));
                break;
            }
            '}' => depth -= 1,
            ',' if depth == 0 => {
                items.push(ident(group[start..i].trim()));
                start = i + 1;
            }
            _ => {}
        }
    }
    items.retain(|s| !s.is_empty());
    items
}

fn ident(s: &str) -> String {
    s.chars()
        .take_while(|c| c.is_alphanumeric() || *c == '_')
        .collect()
}

fn contains_macro(line: &str, name: &str) -> bool {
    line.match_indices(name).any(|(i, _)| {
        !line[..i]
            .chars()
            .last()
            .is_some_and(|c| c.is_alphanumeric() || c == '_')
    })
}

/// Every elementary cycle found by a depth-first search from each node (one per back edge).
fn cycles(edges: &BTreeMap<String, BTreeSet<String>>) -> Vec<Vec<String>> {
    fn visit(
        n: &str,
        edges: &BTreeMap<String, BTreeSet<String>>,
        stack: &mut Vec<String>,
        done: &mut BTreeSet<String>,
        found: &mut BTreeSet<Vec<String>>,
    ) {
        if let Some(pos) = stack.iter().position(|s| s == n) {
            let mut cycle: Vec<String> = stack[pos..].to_vec();
            // The same cycle found from another node is reported once.
            let min = cycle
                .iter()
                .enumerate()
                .min_by_key(|(_, s)| (*s).clone())
                .map_or(0, |(i, _)| i);
            cycle.rotate_left(min);
            cycle.push(cycle[0].clone());
            found.insert(cycle);
            return;
        }
        if done.contains(n) {
            return;
        }
        stack.push(n.to_string());
        for t in edges.get(n).into_iter().flatten() {
            visit(t, edges, stack, done, found);
        }
        stack.pop();
        done.insert(n.to_string());
    }
    let mut found = BTreeSet::new();
    let mut done = BTreeSet::new();
    for n in edges.keys() {
        visit(n, edges, &mut Vec::new(), &mut done, &mut found);
    }
    found.into_iter().collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_a_cycle_between_two_modules() {
        let mut e: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        e.entry("lint".into()).or_default().insert("explain".into());
        e.entry("explain".into()).or_default().insert("lint".into());
        e.entry("diff".into()).or_default().insert("lint".into());
        assert_eq!(cycles(&e), vec![vec!["explain", "lint", "explain"]]);
    }

    #[test]
    fn reads_crate_and_super_paths() {
        let files = vec![(
            PathBuf::from("container/mod.rs"),
            "mod log;\npub use log::{LogReader, LogWriter};\n".to_string(),
        )];
        let refs = references(
            Path::new("container/monitor.rs"),
            "use super::{log::Stream, Container, LogWriter};\nuse crate::{runtime::{self, X}, y};\n",
            &reexports(&files),
        );
        let want: BTreeSet<String> = ["container/log", "container/Container", "runtime", "y"]
            .into_iter()
            .map(String::from)
            .collect();
        assert_eq!(refs, want);
        assert_eq!(top_level_items("a, b::{c, d}, e}"), vec!["a", "b", "e"]);
        assert_eq!(node_of(Path::new("container/mod.rs")), "container");
        assert!(is_parent("container", "container/monitor"));
    }

    #[test]
    fn test_modules_and_comments_are_not_code() {
        let code =
            code_of("use crate::a; // crate::b\n#[cfg(test)]\nmod tests {\nuse crate::c;\n}\n");
        assert!(
            code.contains("crate::a") && !code.contains("crate::b") && !code.contains("crate::c")
        );
        assert!(contains_macro("    eprintln!(\"x\")", "eprintln!"));
        assert!(!contains_macro("    writeln!(w)", "println!"));
    }
}
