//! `#include`: from a main file to one flat list of items.
//!
//! Each `#include "x"` is replaced, in place, by the items of `x`, recursively. A relative name
//! is looked up first next to the including file (an rpod extension; for stdin, in the current
//! directory), then in each `-I` directory in order; an absolute one is taken as is. Kafel's
//! limits apply: 16 nested levels, and no loops. Including one file twice, not in a loop, is
//! fine (it is read and parsed once).
//!
//! Problems are diagnostics at the quoted name, and files are named as the include wrote them,
//! joined to the includer's name, so messages read `policies/base.policy:3:5`.

use std::collections::HashMap;
use std::fmt::Write as _;
use std::fs;
use std::io::Read as _;
use std::path::{Path, PathBuf};

use crate::ast::{IncludePath, Item};
use crate::diag::Diagnostic;
use crate::parse::parse;
use crate::source::{FileId, SourceFile, Sources};

/// Kafel's `MAX_INCLUDE_DEPTH`.
pub const DEFAULT_MAX_DEPTH: usize = 16;

/// The largest policy file read, as for the CLI's other inputs.
pub const DEFAULT_MAX_FILE_SIZE: u64 = 16 * 1024 * 1024;

/// Inclusions per load at most. Including a file twice is allowed, so without a bound 16 levels
/// of files that each include the next one twice would expand 2^16 times.
pub const MAX_INCLUSIONS: usize = 4096;

/// Where includes are looked for, and how far they may go.
#[derive(Debug, Clone)]
pub struct IncludeOptions {
    /// `-I` directories, searched in order after the including file's own directory.
    pub search_path: Vec<PathBuf>,
    /// How many includes may nest (the main file is level 0).
    pub max_depth: usize,
    /// Larger included files are refused.
    pub max_file_size: u64,
}

impl Default for IncludeOptions {
    fn default() -> Self {
        IncludeOptions {
            search_path: Vec::new(),
            max_depth: DEFAULT_MAX_DEPTH,
            max_file_size: DEFAULT_MAX_FILE_SIZE,
        }
    }
}

/// A main file with its includes read and spliced in.
#[derive(Debug, Clone)]
pub struct Loaded {
    /// The main file first, then every included file, in the order first read.
    pub sources: Sources,
    /// Items of the main file with every `#include` replaced, in order, by the included file's
    /// items (recursively).
    pub items: Vec<Item>,
    /// Syntax errors of every file and include errors, in the order found.
    pub diagnostics: Vec<Diagnostic>,
}

/// Parses `main` and everything it includes. Never fails: what went wrong is in
/// [`Loaded::diagnostics`], and the items are whatever could be read.
#[must_use]
pub fn load(main: SourceFile, opts: &IncludeOptions) -> Loaded {
    let canonical = main.path.as_deref().and_then(|p| fs::canonicalize(p).ok());
    let mut loader = Loader {
        opts,
        sources: Sources::new(),
        diagnostics: Vec::new(),
        parsed: HashMap::new(),
        inclusions: 0,
    };
    let id = loader.sources.add(main);
    let (file, diags) = parse(id, &loader.sources.get(id).text);
    loader.diagnostics.extend(diags);
    let mut stack = vec![Frame { id, canonical }];
    let items = loader.expand(file.items, &mut stack);
    Loaded {
        sources: loader.sources,
        items,
        diagnostics: loader.diagnostics,
    }
}

/// A file being expanded.
struct Frame {
    id: FileId,
    /// `None` for stdin and text in memory.
    canonical: Option<PathBuf>,
}

struct Loader<'a> {
    opts: &'a IncludeOptions,
    sources: Sources,
    diagnostics: Vec<Diagnostic>,
    /// Files already read, by canonical path: their id and items (includes not expanded).
    parsed: HashMap<PathBuf, (FileId, Vec<Item>)>,
    inclusions: usize,
}

impl Loader<'_> {
    fn expand(&mut self, items: Vec<Item>, stack: &mut Vec<Frame>) -> Vec<Item> {
        let mut out = Vec::with_capacity(items.len());
        for item in items {
            match item {
                Item::Include { paths, .. } => {
                    for p in &paths {
                        self.include(p, stack, &mut out);
                    }
                }
                other => out.push(other),
            }
        }
        out
    }

    fn include(&mut self, inc: &IncludePath, stack: &mut Vec<Frame>, out: &mut Vec<Item>) {
        let Some(found) = self.resolve(inc, stack) else {
            return;
        };
        let (id, items) = match self.parsed.get(&found.canonical) {
            Some((id, items)) => (*id, items.clone()),
            None => {
                let Some(text) = self.read(inc, &found) else {
                    return;
                };
                let id = self
                    .sources
                    .add(SourceFile::new(found.name, Some(found.path), text));
                let (file, diags) = parse(id, &self.sources.get(id).text);
                self.diagnostics.extend(diags);
                self.parsed
                    .insert(found.canonical.clone(), (id, file.items.clone()));
                (id, file.items)
            }
        };
        stack.push(Frame {
            id,
            canonical: Some(found.canonical),
        });
        let expanded = self.expand(items, stack);
        stack.pop();
        out.extend(expanded);
    }

    /// Finds the file `inc` names and checks it may be included here.
    fn resolve(&mut self, inc: &IncludePath, stack: &[Frame]) -> Option<Found> {
        let includer = stack.last()?;
        if stack.len() > self.opts.max_depth {
            self.error(
                inc,
                format!("maximum include depth ({}) exceeded", self.opts.max_depth),
                format!("'{}' is included {} files deep", inc.path, stack.len()),
            );
            return None;
        }
        self.inclusions += 1;
        if self.inclusions > MAX_INCLUSIONS {
            if self.inclusions > MAX_INCLUSIONS + 1 {
                // Said once already.
                return None;
            }
            self.error(
                inc,
                format!("more than {MAX_INCLUSIONS} inclusions"),
                "is a file included over and over?".to_owned(),
            );
            return None;
        }
        let written = Path::new(&inc.path);
        let includer_file = self.sources.get(includer.id);
        let mut candidates: Vec<(PathBuf, String)> = Vec::new();
        if written.is_absolute() {
            candidates.push((written.to_path_buf(), inc.path.clone()));
        } else {
            // Next to the includer; stdin's directory is the current one.
            let dir = includer_file
                .path
                .as_deref()
                .and_then(Path::parent)
                .unwrap_or(Path::new(""));
            let name_dir = if includer_file.path.is_some() {
                Path::new(&includer_file.name)
                    .parent()
                    .unwrap_or(Path::new(""))
            } else {
                Path::new("")
            };
            candidates.push((
                dir.join(written),
                name_dir.join(written).display().to_string(),
            ));
            for d in &self.opts.search_path {
                let p = d.join(written);
                let name = p.display().to_string();
                candidates.push((p, name));
            }
        }
        let Some((path, name, meta)) = candidates
            .iter()
            .find_map(|(p, n)| fs::metadata(p).ok().map(|m| (p.clone(), n.clone(), m)))
        else {
            let looked: Vec<String> = candidates.iter().map(|(_, n)| n.clone()).collect();
            self.diagnostics.push(
                Diagnostic::error(inc.span, format!("cannot find include file '{}'", inc.path))
                    .with_label("no such file")
                    .with_note(format!("note: looked for {}", looked.join(", "))),
            );
            return None;
        };
        if !meta.is_file() {
            let what = if meta.is_dir() {
                "a directory"
            } else {
                "a device, socket or FIFO"
            };
            self.error(
                inc,
                format!("cannot include '{name}': not a regular file"),
                format!("this is {what}"),
            );
            return None;
        }
        if meta.len() > self.opts.max_file_size {
            self.error(
                inc,
                format!("cannot include '{name}': file too large"),
                format!(
                    "{} bytes, the limit is {}",
                    meta.len(),
                    self.opts.max_file_size
                ),
            );
            return None;
        }
        let canonical = match fs::canonicalize(&path) {
            Ok(c) => c,
            Err(e) => {
                self.error(inc, format!("cannot read '{name}'"), e.to_string());
                return None;
            }
        };
        if let Some(first) = stack
            .iter()
            .position(|f| f.canonical.as_ref() == Some(&canonical))
        {
            let mut chain = String::new();
            for f in &stack[first..] {
                let _ = write!(chain, "{} -> ", self.sources.get(f.id).name);
            }
            chain.push_str(&name);
            self.error(inc, format!("include loop: {chain}"), String::new());
            return None;
        }
        Some(Found {
            path,
            name,
            canonical,
        })
    }

    fn read(&mut self, inc: &IncludePath, found: &Found) -> Option<String> {
        let limit = self.opts.max_file_size;
        let result = fs::File::open(&found.path).and_then(|f| {
            let mut bytes = Vec::new();
            // The size was checked, but the file may have grown since.
            f.take(limit.saturating_add(1)).read_to_end(&mut bytes)?;
            Ok(bytes)
        });
        let bytes = match result {
            Ok(b) => b,
            Err(e) => {
                self.error(inc, format!("cannot read '{}'", found.name), e.to_string());
                return None;
            }
        };
        if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > limit {
            self.error(
                inc,
                format!("cannot include '{}': file too large", found.name),
                format!("the limit is {limit} bytes"),
            );
            return None;
        }
        match String::from_utf8(bytes) {
            Ok(text) => Some(text),
            Err(e) => {
                self.error(
                    inc,
                    format!("cannot read '{}': not UTF-8 text", found.name),
                    format!("invalid byte at offset {}", e.utf8_error().valid_up_to()),
                );
                None
            }
        }
    }

    fn error(&mut self, inc: &IncludePath, message: String, label: String) {
        self.diagnostics
            .push(Diagnostic::error(inc.span, message).with_label(label));
    }
}

/// A file an include resolved to.
struct Found {
    /// Where to read it.
    path: PathBuf,
    /// How diagnostics name it.
    name: String,
    canonical: PathBuf,
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ast::Statement;
    use crate::diag::render_all;

    fn write(dir: &Path, name: &str, text: &str) -> PathBuf {
        let p = dir.join(name);
        if let Some(parent) = p.parent() {
            fs::create_dir_all(parent).expect("create the test directory");
        }
        fs::write(&p, text).expect("write a test policy");
        p
    }

    /// Loads `main` from `dir`, naming it relative to `dir` as a user in that directory would.
    fn load_in(dir: &Path, main: &str, opts: &IncludeOptions) -> Loaded {
        let path = dir.join(main);
        let text = fs::read_to_string(&path).expect("read the main policy");
        load(SourceFile::new(main, Some(path), text), opts)
    }

    /// Diagnostics rendered, with the temporary directory replaced so they can be compared.
    fn rendered(loaded: &Loaded, dir: &Path) -> String {
        render_all(&loaded.diagnostics, &loaded.sources).replace(&dir.display().to_string(), "$TMP")
    }

    /// The syscall names of the loaded blocks, in order.
    fn syscalls(loaded: &Loaded) -> Vec<String> {
        let mut out = Vec::new();
        for item in &loaded.items {
            if let Item::Statement(Statement::Block(b)) = item {
                for f in &b.filters {
                    if let crate::ast::SyscallRef::Name(n) = &f.syscall {
                        out.push(n.name.clone());
                    }
                }
            }
        }
        out
    }

    #[test]
    fn includes_splice_items_in_place() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let d = dir.path();
        write(
            d,
            "policies/main.policy",
            "ALLOW { a }\n#include \"base.policy\" \"sub/x.policy\"\nALLOW { d }\n",
        );
        write(d, "policies/base.policy", "ALLOW { b }\n");
        write(d, "policies/sub/x.policy", "#include \"y.policy\"\n");
        write(d, "policies/sub/y.policy", "ALLOW { c }\n");
        let loaded = load_in(d, "policies/main.policy", &IncludeOptions::default());
        assert!(loaded.diagnostics.is_empty(), "{:#?}", loaded.diagnostics);
        assert_eq!(syscalls(&loaded), ["a", "b", "c", "d"]);
        let names: Vec<&str> = loaded
            .sources
            .files()
            .iter()
            .map(|f| f.name.as_str())
            .collect();
        assert_eq!(
            names,
            [
                "policies/main.policy",
                "policies/base.policy",
                "policies/sub/x.policy",
                "policies/sub/y.policy"
            ]
        );
    }

    #[test]
    fn search_path_comes_after_the_includer_directory() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let d = dir.path();
        write(
            d,
            "main.policy",
            "#include \"common.policy\"\n#include \"only-lib.policy\"\n",
        );
        write(d, "common.policy", "ALLOW { local }\n");
        write(d, "lib1/common.policy", "ALLOW { lib }\n");
        write(d, "lib2/only-lib.policy", "ALLOW { lib2 }\n");
        write(d, "lib1/only-lib.policy", "ALLOW { lib1 }\n");
        let opts = IncludeOptions {
            search_path: vec![d.join("lib1"), d.join("lib2")],
            ..IncludeOptions::default()
        };
        let loaded = load_in(d, "main.policy", &opts);
        assert!(loaded.diagnostics.is_empty(), "{:#?}", loaded.diagnostics);
        assert_eq!(syscalls(&loaded), ["local", "lib1"]);
    }

    #[test]
    fn absolute_paths_and_stdin_includers() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let abs = write(dir.path(), "abs.policy", "ALLOW { abs }\n");
        let main = format!("#include \"{}\"\n", abs.display());
        let loaded = load(
            SourceFile::new("<stdin>", None, main),
            &IncludeOptions::default(),
        );
        assert!(loaded.diagnostics.is_empty(), "{:#?}", loaded.diagnostics);
        assert_eq!(syscalls(&loaded), ["abs"]);
    }

    #[test]
    fn the_same_file_twice_is_fine_and_read_once() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let d = dir.path();
        write(d, "main.policy", "#include \"a.policy\" \"a.policy\"\n");
        write(d, "a.policy", "#include \"b.policy\"\n");
        write(d, "b.policy", "ALLOW { b }\n");
        let loaded = load_in(d, "main.policy", &IncludeOptions::default());
        assert!(loaded.diagnostics.is_empty(), "{:#?}", loaded.diagnostics);
        assert_eq!(syscalls(&loaded), ["b", "b"]);
        assert_eq!(loaded.sources.files().len(), 3);
    }

    #[test]
    fn syntax_errors_point_into_the_included_file() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let d = dir.path();
        write(
            d,
            "policies/main.policy",
            "#include \"base.policy\"\nDEFAULT KILL\n",
        );
        write(d, "policies/base.policy", "ALLOW {\n  read\n  write\n}\n");
        let loaded = load_in(d, "policies/main.policy", &IncludeOptions::default());
        let short: Vec<String> = loaded
            .diagnostics
            .iter()
            .map(|diag| diag.short(&loaded.sources))
            .collect();
        assert_eq!(
            short,
            ["policies/base.policy:3:3: expected '}' or ',' after filter, found 'write'"]
        );
    }

    #[test]
    fn golden_include_errors() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let d = dir.path();
        write(
            d,
            "main.policy",
            "#include \"missing.policy\"\n#include \"a.policy\"\n#include \"subdir\"\n#include \"big.policy\"\n",
        );
        write(d, "a.policy", "#include \"b.policy\"\n");
        write(d, "b.policy", "ALLOW { b }\n#include \"a.policy\"\n");
        fs::create_dir(d.join("subdir")).expect("create a directory");
        write(d, "big.policy", &"ALLOW { read }\n".repeat(10));
        let opts = IncludeOptions {
            search_path: vec![d.join("lib")],
            max_file_size: 100,
            ..IncludeOptions::default()
        };
        let loaded = load_in(d, "main.policy", &opts);
        insta::assert_snapshot!(rendered(&loaded, d));
        // What could be read is there.
        assert_eq!(syscalls(&loaded), ["b"]);
    }

    #[test]
    fn depth_is_limited() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let d = dir.path();
        write(d, "f0.policy", "#include \"f1.policy\"\n");
        for k in 1..20 {
            write(
                d,
                &format!("f{k}.policy"),
                &format!("ALLOW {{ s{k} }}\n#include \"f{}.policy\"\n", k + 1),
            );
        }
        write(d, "f20.policy", "ALLOW { s20 }\n");
        let opts = IncludeOptions {
            max_depth: 3,
            ..IncludeOptions::default()
        };
        let loaded = load_in(d, "f0.policy", &opts);
        let short: Vec<String> = loaded
            .diagnostics
            .iter()
            .map(|diag| diag.short(&loaded.sources))
            .collect();
        assert_eq!(
            short,
            ["f3.policy:2:10: maximum include depth (3) exceeded"]
        );
        assert_eq!(syscalls(&loaded), ["s1", "s2", "s3"]);

        // Kafel's 16 levels pass (f4 to f20), a 17th does not.
        let loaded = load_in(d, "f4.policy", &IncludeOptions::default());
        assert!(loaded.diagnostics.is_empty(), "{:#?}", loaded.diagnostics);
        let loaded = load_in(d, "f3.policy", &IncludeOptions::default());
        assert_eq!(loaded.diagnostics.len(), 1, "{:#?}", loaded.diagnostics);
    }

    #[test]
    fn self_include_is_a_loop() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let d = dir.path();
        write(d, "self.policy", "#include \"./self.policy\"\n");
        let loaded = load_in(d, "self.policy", &IncludeOptions::default());
        let messages: Vec<&str> = loaded
            .diagnostics
            .iter()
            .map(|x| x.message.as_str())
            .collect();
        assert_eq!(messages, ["include loop: self.policy -> ./self.policy"]);
    }

    #[test]
    fn doubling_includes_are_bounded() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let d = dir.path();
        for k in 0..16 {
            let next = format!("\"d{}.policy\"", k + 1);
            write(
                d,
                &format!("d{k}.policy"),
                &format!("#include {next} {next}\n"),
            );
        }
        write(d, "d16.policy", "ALLOW { x }\n");
        let loaded = load_in(d, "d0.policy", &IncludeOptions::default());
        assert!(loaded
            .diagnostics
            .iter()
            .any(|x| x.message == format!("more than {MAX_INCLUSIONS} inclusions")));
    }

    #[test]
    fn unreadable_text_is_reported() {
        let dir = tempfile::tempdir().expect("a temporary directory");
        let d = dir.path();
        write(d, "main.policy", "#include \"bin.policy\"\n");
        fs::write(d.join("bin.policy"), b"ALLOW { \xff }").expect("write a binary file");
        let loaded = load_in(d, "main.policy", &IncludeOptions::default());
        let messages: Vec<&str> = loaded
            .diagnostics
            .iter()
            .map(|x| x.message.as_str())
            .collect();
        assert_eq!(messages, ["cannot read 'bin.policy': not UTF-8 text"]);
    }
}
