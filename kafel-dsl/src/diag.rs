//! Diagnostics: what went wrong, where, and how to fix it, rendered the way rustc does.
//!
//! ```text
//! error: unknown syscall 'opn'
//!  --> policy.kafel:3:11
//!   |
//! 3 |   ALLOW { opn }
//!   |           ^^^ did you mean 'open'?
//! ```

use std::fmt::Write as _;

use crate::source::{Sources, Span};

/// At most this many diagnostics are kept and shown for one run, as clang's `-ferror-limit`:
/// past it, one more says how many were left out. Rendering is linear in what is shown, so
/// hostile input with an error per token cannot make the report quadratic (issue 12).
pub const MAX_DIAGNOSTICS: usize = 50;

/// At most this many characters of a source line are shown: a window around the span, with
/// `...` where the line was cut, as rustc does for long lines (issue 12).
pub const MAX_EXCERPT: usize = 120;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Severity {
    Error,
    Warning,
}

/// One problem found in a policy.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Diagnostic {
    pub severity: Severity,
    /// Lowercase, no trailing period: `unknown syscall 'opn'`.
    pub message: String,
    pub span: Span,
    /// Printed after the carets: `did you mean 'open'?`, `expected ',' or '}'`.
    pub label: String,
    /// Extra lines printed as `= help: ...` / `= note: ...`.
    pub notes: Vec<String>,
    /// How many errors this one stands for that were left out (see [`capped`]); 0 for a
    /// diagnostic of its own.
    pub left_out: usize,
}

impl Diagnostic {
    #[must_use]
    pub fn error(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Error,
            message: message.into(),
            span,
            label: String::new(),
            notes: Vec::new(),
            left_out: 0,
        }
    }

    #[must_use]
    pub fn warning(span: Span, message: impl Into<String>) -> Diagnostic {
        Diagnostic {
            severity: Severity::Warning,
            ..Diagnostic::error(span, message)
        }
    }

    #[must_use]
    pub fn with_label(mut self, label: impl Into<String>) -> Diagnostic {
        self.label = label.into();
        self
    }

    /// Adds a `= note: ...` or `= help: ...` line (write the prefix in `note`).
    #[must_use]
    pub fn with_note(mut self, note: impl Into<String>) -> Diagnostic {
        self.notes.push(note.into());
        self
    }

    #[must_use]
    fn left_out(mut self, n: usize) -> Diagnostic {
        self.left_out = n;
        self
    }

    /// `file:line:col: message`, one line, for logs and `caused by:` chains.
    #[must_use]
    pub fn short(&self, sources: &Sources) -> String {
        format!("{}: {}", sources.position(self.span), self.message)
    }

    /// The rustc-style block: header, position, the source line and carets under the span.
    #[must_use]
    pub fn render(&self, sources: &Sources) -> String {
        let file = sources.get(self.span.file);
        let (line, col) = file.line_col(self.span.start);
        // Carets cover the span on its first line, at least one.
        let (end_line, end_col) = file.line_col(self.span.end);
        let width = if end_line == line && end_col > col {
            end_col - col
        } else {
            1
        };
        let (text, col_shown, width) = excerpt(file.line(line), col, width);
        let gutter = line.to_string().len();
        let pad = " ".repeat(gutter);
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        let mut out = String::new();
        let _ = writeln!(out, "{sev}: {}", self.message);
        let _ = writeln!(out, "{pad}--> {}:{line}:{col}", file.name);
        let _ = writeln!(out, "{pad} |");
        let _ = writeln!(out, "{line} | {}", text.replace('\t', " "));
        let carets = "^".repeat(width);
        let lead = " ".repeat(col_shown - 1);
        if self.label.is_empty() {
            let _ = writeln!(out, "{pad} | {lead}{carets}");
        } else {
            let _ = writeln!(out, "{pad} | {lead}{carets} {}", self.label);
        }
        for n in &self.notes {
            let _ = writeln!(out, "{pad} = {n}");
        }
        out
    }
}

/// What of `line` to show for a span at 1-based character column `col`, `width` characters
/// wide: the line itself when it fits in [`MAX_EXCERPT`], else a window of it starting near the
/// span, cut with `...`. Returns the text, the span's column in it and the caret width.
fn excerpt(line: &str, col: usize, width: usize) -> (String, usize, usize) {
    const ELLIPSIS: &str = "...";
    // Only a prefix of the line is counted: a 2 MB line costs what the window does.
    if line.chars().nth(MAX_EXCERPT).is_none() {
        return (line.to_owned(), col, width);
    }
    // Some context before the span, the span as far as it fits, then the cut.
    let before = MAX_EXCERPT / 4;
    let start = col.saturating_sub(1).saturating_sub(before);
    let body: String = line.chars().skip(start).take(MAX_EXCERPT).collect();
    let cut_end = line.chars().nth(start + MAX_EXCERPT).is_some();
    let mut text = String::new();
    if start > 0 {
        text.push_str(ELLIPSIS);
    }
    let lead = if start > 0 { ELLIPSIS.len() } else { 0 };
    text.push_str(&body);
    if cut_end {
        text.push_str(ELLIPSIS);
    }
    let col_shown = col - start + lead;
    let width = width.min(MAX_EXCERPT - (col - 1 - start)).max(1);
    (text, col_shown, width)
}

/// At most [`MAX_DIAGNOSTICS`] of `diags` (sorted by position first), and when some were left
/// out, one more error at the first of them that says how many. `total` is how many there were,
/// counting any the caller already dropped (at least `diags.len()`).
#[must_use]
pub fn capped(mut diags: Vec<Diagnostic>, total: usize) -> Vec<Diagnostic> {
    // A summary from an earlier cap stands for the diagnostics it left out.
    let mut total = total.max(diags.len());
    let mut earlier = None;
    for d in diags.iter().filter(|d| d.left_out > 0) {
        total += d.left_out - 1;
        earlier = earlier.or(Some((d.span, d.severity)));
    }
    diags.retain(|d| d.left_out == 0);
    if total <= MAX_DIAGNOSTICS {
        return diags;
    }
    diags.sort_by_key(|d| (d.span.file, d.span.start, d.span.end));
    let dropped = diags.split_off(MAX_DIAGNOSTICS.min(diags.len()));
    // Left-out diagnostics this list never held (a caller's count) were errors.
    let all_warnings = dropped.len() == total - MAX_DIAGNOSTICS
        && earlier.is_none_or(|(_, s)| s == Severity::Warning)
        && dropped.iter().all(|d| d.severity == Severity::Warning);
    let at = dropped
        .first()
        .map(|d| d.span)
        .or(earlier.map(|(s, _)| s))
        .or_else(|| diags.last().map(|d| d.span))
        .unwrap_or_default();
    let left_out = total - MAX_DIAGNOSTICS;
    let summary = if all_warnings {
        Diagnostic::warning(
            at,
            format!(
                "too many warnings: {left_out} more not shown after the first {MAX_DIAGNOSTICS}"
            ),
        )
    } else {
        Diagnostic::error(
            at,
            format!("too many errors: {left_out} more not shown after the first {MAX_DIAGNOSTICS}"),
        )
        .with_note("help: fix the errors above and run again")
    };
    diags.push(
        summary
            .with_label("the next one is here")
            .left_out(left_out),
    );
    diags
}

/// Renders every diagnostic, separated by blank lines, in source order; past
/// [`MAX_DIAGNOSTICS`] only how many more there are (see [`capped`]).
#[must_use]
pub fn render_all(diags: &[Diagnostic], sources: &Sources) -> String {
    let shown = if diags.len() > MAX_DIAGNOSTICS + 1
        || diags.iter().filter(|d| d.left_out > 0).count() > 1
    {
        capped(diags.to_vec(), diags.len())
    } else {
        diags.to_vec()
    };
    shown
        .iter()
        .map(|d| d.render(sources))
        .collect::<Vec<_>>()
        .join("\n")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::source::{FileId, SourceFile};

    #[test]
    fn renders_a_caret_under_the_span() {
        let mut s = Sources::new();
        let id = s.add(SourceFile::new(
            "policy.kafel",
            None,
            "DEFAULT KILL\nALLOW { opn }\n",
        ));
        assert_eq!(id, FileId(0));
        let d = Diagnostic::error(Span::new(id, 21, 24), "unknown syscall 'opn'")
            .with_label("did you mean 'open'?");
        assert_eq!(
            d.render(&s),
            "error: unknown syscall 'opn'\n --> policy.kafel:2:9\n  |\n2 | ALLOW { opn }\n  |         ^^^ did you mean 'open'?\n"
        );
        assert_eq!(d.short(&s), "policy.kafel:2:9: unknown syscall 'opn'");
    }

    /// Issue 12: the excerpt of a long line is a window around the span, so a report costs
    /// what it shows, not the length of the line.
    #[test]
    fn a_long_line_is_shown_as_a_window_around_the_span() {
        let mut s = Sources::new();
        let text = format!("DEFAULT KILL ALLOW {{ {}opn }}", "read, ".repeat(1000));
        let at = text.find("opn").expect("opn");
        let id = s.add(SourceFile::new("policy.kafel", None, text.clone()));
        let d = Diagnostic::error(Span::new(id, at, at + 3), "unknown syscall 'opn'");
        let rendered = d.render(&s);
        let excerpt = rendered.lines().nth(3).expect("the source line");
        assert!(excerpt.starts_with("1 | ...") && excerpt.ends_with("opn }"));
        assert!(excerpt.len() < MAX_EXCERPT + 10, "{excerpt}");
        // The caret still sits under the span.
        let carets = rendered.lines().nth(4).expect("the caret line");
        assert_eq!(carets.find('^'), excerpt.find("opn"));
        // A span at the start of a long line: cut at the end only.
        let d = Diagnostic::error(Span::new(id, 0, 7), "x");
        let excerpt = d.render(&s).lines().nth(3).expect("line").to_owned();
        assert!(excerpt.starts_with("1 | DEFAULT") && excerpt.ends_with("..."));
    }

    #[test]
    fn capped_keeps_the_first_diagnostics_and_counts_the_rest() {
        let mut s = Sources::new();
        let id = s.add(SourceFile::new("p", None, "x".repeat(100)));
        let diags: Vec<Diagnostic> = (0..80)
            .rev()
            .map(|i| Diagnostic::error(Span::new(id, i, i + 1), format!("e{i}")))
            .collect();
        let capped = capped(diags, 90);
        assert_eq!(capped.len(), MAX_DIAGNOSTICS + 1);
        assert_eq!(capped[0].message, "e0");
        assert_eq!(capped[MAX_DIAGNOSTICS].left_out, 40);
        assert_eq!(capped[MAX_DIAGNOSTICS].span.start, 50);
        // Capping again counts what the first cap left out.
        let again = super::capped(capped.clone(), capped.len());
        assert_eq!(again, capped);
        assert_eq!(
            render_all(&capped, &s).matches("error:").count(),
            MAX_DIAGNOSTICS + 1
        );
    }
}
