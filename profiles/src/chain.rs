//! An error and its causes on one line (`cannot compile: seccomp_rule_add: Invalid argument`),
//! for the places that carry an error as text: a lint finding, an explain report, a failure
//! sent back from the thread that runs libseccomp, a container log entry.

/// `e`'s message and those of its causes, outermost first, joined with `": "`.
#[must_use]
pub fn one_line(e: &dyn std::error::Error) -> String {
    let mut text = e.to_string();
    let mut cause = e.source();
    while let Some(c) = cause {
        text.push_str(": ");
        text.push_str(&c.to_string());
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
}
