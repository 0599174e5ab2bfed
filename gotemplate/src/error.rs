//! The two errors: a template that does not parse, and one that fails while it runs.

use crate::lex::Pos;

/// A template that does not parse: where, and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}:{}: {kind}", pos.line, pos.col)]
pub struct ParseError {
    /// Where in the template source.
    pub pos: Pos,
    /// What is wrong.
    pub kind: ParseErrorKind,
}

/// Why a template does not parse.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ParseErrorKind {
    #[error("unclosed action (a '{{{{' without its '}}}}')")]
    UnclosedAction,
    #[error("unclosed comment")]
    UnclosedComment,
    #[error("comment ends before closing delimiter (a comment must be the whole action)")]
    CommentNotAlone,
    #[error("unclosed left paren")]
    UnclosedParen,
    #[error("unexpected right paren")]
    UnexpectedRightParen,
    #[error("expected :=")]
    ExpectedDeclare,
    #[error("unterminated quoted string")]
    UnterminatedString,
    #[error("unterminated raw quoted string")]
    UnterminatedRawString,
    #[error("malformed character constant")]
    BadCharConstant,
    #[error("invalid escape sequence in a quoted string")]
    BadEscape,
    #[error("bad character {0:?}")]
    BadCharacter(char),
    #[error("bad number syntax: {0:?}")]
    BadNumber(String),
    #[error("integer overflow: {0:?}")]
    IntegerOverflow(String),
    #[error("unexpected {found} in {context}")]
    Unexpected {
        found: String,
        context: &'static str,
    },
    #[error("missing value for {0}")]
    MissingValue(&'static str),
    #[error("function {0:?} not defined")]
    UndefinedFunction(String),
    #[error("undefined variable \"${0}\"")]
    UndefinedVariable(String),
    #[error("{{{{{0}}}}} outside {{{{range}}}}")]
    OutsideRange(&'static str),
    #[error("too many declarations in command")]
    TooManyDeclarations,
    #[error("unexpected {{{{{0}}}}}")]
    UnexpectedKeyword(String),
    #[error("template nesting deeper than {0} (parentheses or blocks)")]
    TooDeep(usize),
    #[error("empty command")]
    EmptyCommand,
    #[error("can't give argument to non-function {0}")]
    ArgumentToNonFunction(String),
}

/// A template that failed while it ran: where (the action and its position), and why.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[error("{}:{}: executing at <{context}>: {kind}", pos.line, pos.col)]
pub struct ExecError {
    /// Where in the template source.
    pub pos: Pos,
    /// The source text of the failing node, as Go's `at <...>` shows it.
    pub context: String,
    /// What went wrong.
    pub kind: ExecErrorKind,
}

/// Why a template failed while it ran.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum ExecErrorKind {
    /// The data stand for podman's Go structs, where a missing field is an error.
    #[error("can't evaluate field {field} in type {type_name}{}", available_fields(.available))]
    NoField {
        field: String,
        type_name: String,
        available: Vec<String>,
    },
    #[error("nil pointer evaluating {field}")]
    NilPointer { field: String },
    #[error("{0} is not a command")]
    NotACommand(String),
    #[error("{0} has arguments but cannot be invoked as function")]
    NotAFunction(String),
    #[error("wrong number of args for {func}: want {want} got {got}")]
    WrongArgCount {
        func: String,
        want: String,
        got: usize,
    },
    #[error("error calling {func}: {message}")]
    Call { func: String, message: String },
    #[error("wrong type for value; expected {expected}; got {got}")]
    WrongType { expected: &'static str, got: String },
    #[error("range can't iterate over {0}")]
    CannotRange(String),
    #[error("template {0:?} not defined")]
    UndefinedTemplate(String),
    #[error("exceeded maximum template depth ({0})")]
    TooDeep(usize),
    #[error("output exceeds the limit of {0} bytes")]
    OutputTooLarge(usize),
}

fn available_fields(fields: &[String]) -> String {
    if fields.is_empty() {
        String::new()
    } else {
        format!(" (available fields: {})", fields.join(", "))
    }
}
