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
        let text = file.line(line);
        // Carets cover the span on its first line, at least one.
        let (end_line, end_col) = file.line_col(self.span.end);
        let width = if end_line == line && end_col > col {
            end_col - col
        } else {
            1
        };
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
        let lead = " ".repeat(col - 1);
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

/// Renders every diagnostic, separated by blank lines, in source order.
#[must_use]
pub fn render_all(diags: &[Diagnostic], sources: &Sources) -> String {
    diags
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
}
