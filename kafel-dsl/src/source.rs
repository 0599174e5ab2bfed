//! Source files, byte spans, and `file:line:col` positions.
//!
//! Every AST node carries a [`Span`]: the file it came from (a [`FileId`] into [`Sources`]) and
//! a byte range. Lines and columns are 1-based; columns count characters, as rustc's do.

use std::path::PathBuf;

/// Index of a file in [`Sources`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct FileId(pub u32);

/// A byte range `start..end` in one file.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Span {
    pub file: FileId,
    pub start: usize,
    pub end: usize,
}

impl Span {
    #[must_use]
    pub fn new(file: FileId, start: usize, end: usize) -> Span {
        Span { file, start, end }
    }

    /// The smallest span covering both (same file assumed; `self`'s file wins).
    #[must_use]
    pub fn to(self, other: Span) -> Span {
        Span {
            file: self.file,
            start: self.start.min(other.start),
            end: self.end.max(other.end),
        }
    }
}

/// One loaded file.
#[derive(Debug, Clone)]
pub struct SourceFile {
    /// How diagnostics name the file (as given on the command line or in `#include`).
    pub name: String,
    /// Where it was read from, `None` for stdin and in-memory text.
    pub path: Option<PathBuf>,
    pub text: String,
    /// Byte offset of the start of each line.
    line_starts: Vec<usize>,
}

impl SourceFile {
    #[must_use]
    pub fn new(name: impl Into<String>, path: Option<PathBuf>, text: impl Into<String>) -> Self {
        let text = text.into();
        let mut line_starts = vec![0];
        line_starts.extend(
            text.bytes()
                .enumerate()
                .filter(|(_, b)| *b == b'\n')
                .map(|(i, _)| i + 1),
        );
        SourceFile {
            name: name.into(),
            path,
            text,
            line_starts,
        }
    }

    /// 1-based line and column (in characters) of byte `offset`.
    #[must_use]
    pub fn line_col(&self, offset: usize) -> (usize, usize) {
        let offset = offset.min(self.text.len());
        let line = match self.line_starts.binary_search(&offset) {
            Ok(i) => i,
            Err(i) => i - 1,
        };
        let start = self.line_starts[line];
        let col = self
            .text
            .get(start..offset)
            .map_or(offset - start, |s| s.chars().count());
        (line + 1, col + 1)
    }

    /// The text of 1-based line `line`, without its newline.
    #[must_use]
    pub fn line(&self, line: usize) -> &str {
        let Some(&start) = self.line_starts.get(line.saturating_sub(1)) else {
            return "";
        };
        let end = self
            .line_starts
            .get(line)
            .map_or(self.text.len(), |e| e.saturating_sub(1));
        self.text
            .get(start..end.max(start))
            .unwrap_or("")
            .trim_end_matches('\r')
    }
}

/// Every file read for one compilation: the main file and what it includes.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    files: Vec<SourceFile>,
}

impl Sources {
    #[must_use]
    pub fn new() -> Sources {
        Sources::default()
    }

    /// Adds a file and returns its id.
    pub fn add(&mut self, file: SourceFile) -> FileId {
        let id = FileId(u32::try_from(self.files.len()).expect("fewer than 4 billion files"));
        self.files.push(file);
        id
    }

    /// The file `id`.
    ///
    /// # Panics
    /// If `id` was not returned by [`Sources::add`] on this value.
    #[must_use]
    pub fn get(&self, id: FileId) -> &SourceFile {
        &self.files[id.0 as usize]
    }

    /// All files, in the order they were added.
    #[must_use]
    pub fn files(&self) -> &[SourceFile] {
        &self.files
    }

    /// `name:line:col` of the start of `span`.
    #[must_use]
    pub fn position(&self, span: Span) -> String {
        let f = self.get(span.file);
        let (line, col) = f.line_col(span.start);
        format!("{}:{line}:{col}", f.name)
    }

    /// The source text under `span`.
    #[must_use]
    pub fn snippet(&self, span: Span) -> &str {
        self.get(span.file)
            .text
            .get(span.start..span.end)
            .unwrap_or("")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_col_counts_from_one_in_characters() {
        let f = SourceFile::new("p", None, "ab\nñx y\n");
        assert_eq!(f.line_col(0), (1, 1));
        assert_eq!(f.line_col(3), (2, 1));
        // 'x' follows a two-byte character.
        assert_eq!(f.line_col(5), (2, 2));
        assert_eq!(f.line(2), "ñx y");
        assert_eq!(f.line(9), "");
    }
}
