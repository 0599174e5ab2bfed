//! What the user can do about an error: the one hint convention of rpod.
//!
//! Every library error type that can advise the user implements [`Hint`]; an error made at a
//! call site with advice of its own (a command's usage error) is a [`Hinted`]. The binary
//! prints an error's message, its causes once each, and then the first hint any cause in the
//! chain gives (it asks each cause, through the one list of hinting types in `main.rs`), so
//! hints are written where the error is known, never parsed back out of strings. This module
//! depends on no other module of the engine, so every module can implement [`Hint`].

use std::error::Error as StdError;
use std::fmt;

/// An error that may tell the user what to do about it.
pub trait Hint {
    /// The advice, one line, lowercase, no trailing period (`use a name (TERM) or a number (15)`).
    fn hint(&self) -> Option<String>;
}

/// An error with a message and call-site advice, over an optional cause.
#[derive(Debug)]
pub struct Hinted {
    message: String,
    hint: String,
    source: Option<Box<dyn StdError + Send + Sync + 'static>>,
}

impl Hinted {
    /// `message`, caused by `source`, with `hint`.
    #[must_use]
    pub fn new(
        message: impl fmt::Display,
        hint: impl Into<String>,
        source: Option<Box<dyn StdError + Send + Sync + 'static>>,
    ) -> Hinted {
        Hinted {
            message: message.to_string(),
            hint: hint.into(),
            source,
        }
    }
}

impl fmt::Display for Hinted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl StdError for Hinted {
    fn source(&self) -> Option<&(dyn StdError + 'static)> {
        self.source
            .as_deref()
            .map(|s| s as &(dyn StdError + 'static))
    }
}

impl Hint for Hinted {
    fn hint(&self) -> Option<String> {
        Some(self.hint.clone())
    }
}

impl Hint for tracer::Error {
    fn hint(&self) -> Option<String> {
        tracer::Error::hint(self).map(str::to_string)
    }
}

impl Hint for profiles::merge::MergeError {
    fn hint(&self) -> Option<String> {
        profiles::merge::MergeError::hint(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_hinted_error_keeps_its_cause_and_its_hint() {
        let inner = Hinted::new("inner", "inner hint", None);
        let outer = Hinted::new("outer", "outer hint", Some(Box::new(inner)));
        assert_eq!(outer.to_string(), "outer");
        assert_eq!(outer.hint().as_deref(), Some("outer hint"));
        assert_eq!(
            outer.source().map(ToString::to_string).as_deref(),
            Some("inner")
        );
    }
}
