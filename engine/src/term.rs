//! Text from outside rpod (a file name, an image name, a container's message) shown on a
//! terminal, by the binary's error report and by messages that name an input. A name may hold
//! any byte but `/` and NUL: printed raw, a newline in it forges a line of rpod's output and
//! an escape sequence drives the terminal. Control characters are shown escaped, as Rust
//! writes them (`\n`, `\u{1b}`); everything else is unchanged.

use std::borrow::Cow;

/// `text` with its control characters (C0, DEL, C1) escaped.
pub fn shown(text: &str) -> Cow<'_, str> {
    if !text.chars().any(char::is_control) {
        return Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len() + 8);
    for c in text.chars() {
        if c.is_control() {
            out.extend(c.escape_default());
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn control_characters_are_escaped_and_the_rest_kept() {
        assert_eq!(shown("plain/ñame.json"), "plain/ñame.json");
        assert_eq!(shown("a\nerror: forged"), "a\\nerror: forged");
        assert_eq!(
            shown("\u{1b}[2Jx\t\u{7f}\u{85}"),
            "\\u{1b}[2Jx\\t\\u{7f}\\u{85}"
        );
    }
}
