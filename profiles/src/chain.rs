//! An error and its causes on one line (`cannot compile: seccomp_rule_add: Invalid argument`),
//! for the places that carry an error as text: a lint finding, an explain report, a failure
//! sent back from the thread that runs libseccomp, a container log entry.

/// `e`'s message and those of its causes, outermost first, joined with `": "`. A cause whose
/// text the line holds already (a wrapper that shows its source's text in its own, as aya's
/// `LoadError` does) is not repeated (issue 14).
#[must_use]
pub fn one_line(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        let m = c.to_string();
        if !m.is_empty() && !text.contains(&m) {
            text.push_str(": ");
            text.push_str(&m);
        }
        cause = c.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Debug, thiserror::Error)]
    #[error("outer")]
    struct Outer(#[source] std::io::Error);

    #[test]
    fn joins_every_cause() {
        assert_eq!(
            one_line(&Outer(std::io::Error::other("inner"))),
            "outer: inner"
        );
        assert_eq!(one_line(&std::io::Error::other("alone")), "alone");
    }

    #[derive(Debug, thiserror::Error)]
    #[error("outer: {0}")]
    struct Shows(#[source] std::io::Error);

    #[test]
    fn a_cause_the_line_holds_already_is_not_repeated() {
        assert_eq!(
            one_line(&Shows(std::io::Error::other("inner"))),
            "outer: inner"
        );
    }
}
