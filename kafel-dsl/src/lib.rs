//! The Kafel-like policy language: a `nom` parser to a spanned AST, lowered to
//! `profiles::model::Profile`.
//!
//! Not implemented yet (issue 3). The crate exists so the workspace has its final shape; it
//! exports nothing, and `rpod` offers no command that uses it.
#![forbid(unsafe_code)]
