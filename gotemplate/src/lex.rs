//! The lexer: template text to tokens, as Go's `text/template/parse/lex.go` cuts it.
//!
//! Outside actions everything is text. `{{` opens an action and `}}` closes it; `{{- ` and
//! ` -}}` (the space is required, so `{{-3}}` is the number -3) also trim the white space
//! (space, tab, CR, LF) of the text next to them. `{{/* ... */}}` is a comment, and must be the
//! whole action. Inside an action the lexer yields words (keywords and function names),
//! `.Field` and `$var` (with their `.Field` chains cut into separate tokens), literals,
//! punctuation, and spaces (which separate a command's arguments, as in Go).

use crate::error::{ParseError, ParseErrorKind};

/// A position in the template source: line and column, both from 1 (columns count bytes, as
/// Go's do).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Pos {
    /// Line, from 1.
    pub line: usize,
    /// Column in bytes, from 1.
    pub col: usize,
}

#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Tok {
    Text(String),
    Open,
    Close,
    Space,
    /// `.Name`, one step of a field chain (the chain `.A.B` is two tokens).
    Field(String),
    /// `$name`, or `$` alone (the name is then empty).
    Var(String),
    Dot,
    Ident(String),
    Str(String),
    /// A character constant: its code point.
    Char(char),
    /// A number literal, as written.
    Number(String),
    Bool(bool),
    Nil,
    LParen,
    RParen,
    Pipe,
    Declare,
    Assign,
    Comma,
    Eof,
}

pub(crate) struct Token {
    pub tok: Tok,
    /// Byte offset of the token's first character.
    pub off: usize,
}

pub(crate) fn pos_at(src: &str, offset: usize) -> Pos {
    let before = &src[..offset];
    let line = before.matches('\n').count() + 1;
    let line_start = before.rfind('\n').map_or(0, |i| i + 1);
    Pos {
        line,
        col: offset - line_start + 1,
    }
}

fn is_space(c: char) -> bool {
    matches!(c, ' ' | '\t' | '\r' | '\n')
}

fn is_alnum(c: char) -> bool {
    c == '_' || c.is_alphanumeric()
}

pub(crate) fn lex(src: &str) -> Result<Vec<Token>, ParseError> {
    let mut out = Vec::new();
    let mut i = 0;
    let err = |offset: usize, kind: ParseErrorKind| ParseError {
        pos: pos_at(src, offset),
        kind,
    };
    // Set by ` -}}`: the next text loses its leading white space.
    let mut trim_next = false;
    while i < src.len() {
        let rest = &src[i..];
        let text_end = rest.find("{{").map_or(src.len(), |j| i + j);
        let mut text = &src[i..text_end];
        if trim_next {
            text = text.trim_start_matches(is_space);
            trim_next = false;
        }
        let open = text_end;
        let trim_left = src[open..].starts_with("{{- ")
            || src[open..].starts_with("{{-\t")
            || src[open..].starts_with("{{-\r")
            || src[open..].starts_with("{{-\n");
        if trim_left {
            text = text.trim_end_matches(is_space);
        }
        if !text.is_empty() {
            out.push(Token {
                tok: Tok::Text(text.to_string()),
                off: i,
            });
        }
        if open >= src.len() {
            break;
        }
        i = open + 2;
        if trim_left {
            i += 2;
        }
        // A comment is the whole action: `{{/*` ... `*/}}` (or the trimming forms).
        let after_ws = i + src[i..].len() - src[i..].trim_start_matches(is_space).len();
        let at = if trim_left { after_ws } else { i };
        if src[at..].starts_with("/*") {
            let Some(end) = src[at + 2..].find("*/") else {
                return Err(err(open, ParseErrorKind::UnclosedComment));
            };
            let mut j = at + 2 + end + 2;
            let trim_right = src[j..].starts_with(" -}}")
                || src[j..].starts_with("\t-}}")
                || src[j..].starts_with("\n-}}")
                || src[j..].starts_with("\r-}}");
            if trim_right {
                j += 4;
                trim_next = true;
            } else if src[j..].starts_with("}}") {
                j += 2;
            } else {
                return Err(err(open, ParseErrorKind::CommentNotAlone));
            }
            i = j;
            continue;
        }
        out.push(Token {
            tok: Tok::Open,
            off: open,
        });
        i = lex_action(src, i, &mut out, &mut trim_next)?;
    }
    out.push(Token {
        tok: Tok::Eof,
        off: src.len(),
    });
    Ok(out)
}

/// Lexes one action's inside from `i` up to and including its `}}`; returns the offset after it.
fn lex_action(
    src: &str,
    mut i: usize,
    out: &mut Vec<Token>,
    trim_next: &mut bool,
) -> Result<usize, ParseError> {
    let err = |offset: usize, kind: ParseErrorKind| ParseError {
        pos: pos_at(src, offset),
        kind,
    };
    let mut depth = 0usize;
    loop {
        let rest = &src[i..];
        let push = |out: &mut Vec<Token>, tok: Tok, at: usize| {
            out.push(Token { tok, off: at });
        };
        if rest.is_empty() {
            return Err(err(i, ParseErrorKind::UnclosedAction));
        }
        // ` -}}` closes and trims; it needs the white space before the `-`.
        let ws_len = rest.len() - rest.trim_start_matches(is_space).len();
        if ws_len > 0 && rest[ws_len..].starts_with("-}}") {
            push(out, Tok::Close, i + ws_len);
            *trim_next = true;
            return Ok(i + ws_len + 3);
        }
        if rest.starts_with("}}") {
            if depth > 0 {
                return Err(err(i, ParseErrorKind::UnclosedParen));
            }
            push(out, Tok::Close, i);
            return Ok(i + 2);
        }
        let c = rest.chars().next().unwrap_or(' ');
        if is_space(c) {
            // Go 1.16 and later allow line breaks inside an action.
            push(out, Tok::Space, i);
            i += ws_len;
            continue;
        }
        let start = i;
        match c {
            '(' => {
                depth += 1;
                push(out, Tok::LParen, i);
                i += 1;
            }
            ')' => {
                if depth == 0 {
                    return Err(err(i, ParseErrorKind::UnexpectedRightParen));
                }
                depth -= 1;
                push(out, Tok::RParen, i);
                i += 1;
            }
            '|' => {
                push(out, Tok::Pipe, i);
                i += 1;
            }
            ',' => {
                push(out, Tok::Comma, i);
                i += 1;
            }
            '=' => {
                push(out, Tok::Assign, i);
                i += 1;
            }
            ':' => {
                if !rest.starts_with(":=") {
                    return Err(err(i, ParseErrorKind::ExpectedDeclare));
                }
                push(out, Tok::Declare, i);
                i += 2;
            }
            '"' => {
                let (s, len) = lex_quoted(src, i)?;
                push(out, Tok::Str(s), start);
                i += len;
            }
            '`' => {
                let Some(end) = rest[1..].find('`') else {
                    return Err(err(i, ParseErrorKind::UnterminatedRawString));
                };
                push(out, Tok::Str(rest[1..=end].to_string()), start);
                i += end + 2;
            }
            '\'' => {
                let (ch, len) = lex_char(src, i)?;
                push(out, Tok::Char(ch), start);
                i += len;
            }
            '$' => {
                let name_len = rest[1..]
                    .find(|c: char| !is_alnum(c))
                    .unwrap_or(rest.len() - 1);
                push(out, Tok::Var(rest[1..=name_len].to_string()), start);
                i += 1 + name_len;
                i = lex_fields(src, i, out)?;
            }
            '.' => {
                let next = rest[1..].chars().next();
                if next.is_some_and(|c| c.is_ascii_digit()) {
                    let len = number_len(rest);
                    push(out, Tok::Number(rest[..len].to_string()), start);
                    i += len;
                } else if next.is_some_and(is_alnum) {
                    i = lex_fields(src, i, out)?;
                } else {
                    push(out, Tok::Dot, i);
                    i += 1;
                }
            }
            '+' | '-' | '0'..='9' => {
                let len = number_len(rest);
                if len == 0 || (len == 1 && !c.is_ascii_digit()) {
                    return Err(err(i, ParseErrorKind::BadCharacter(c)));
                }
                let text = &rest[..len];
                if rest[len..].starts_with(|c: char| is_alnum(c)) {
                    return Err(err(
                        i,
                        ParseErrorKind::BadNumber(format!(
                            "{text}{}",
                            rest[len..].chars().next().unwrap_or(' ')
                        )),
                    ));
                }
                push(out, Tok::Number(text.to_string()), start);
                i += len;
            }
            c if is_alnum(c) => {
                let len = rest.find(|c: char| !is_alnum(c)).unwrap_or(rest.len());
                let word = &rest[..len];
                let tok = match word {
                    "true" => Tok::Bool(true),
                    "false" => Tok::Bool(false),
                    "nil" => Tok::Nil,
                    _ => Tok::Ident(word.to_string()),
                };
                push(out, tok, start);
                i += len;
                // `(x).Field` is handled by the parser; a word followed by `.` is an error there.
            }
            other => return Err(err(i, ParseErrorKind::BadCharacter(other))),
        }
    }
}

/// Lexes a chain of `.Name` steps starting at `i` (which may hold no `.`); returns the offset
/// after it.
fn lex_fields(src: &str, mut i: usize, out: &mut Vec<Token>) -> Result<usize, ParseError> {
    while src[i..].starts_with('.') {
        let rest = &src[i + 1..];
        let len = rest.find(|c: char| !is_alnum(c)).unwrap_or(rest.len());
        if len == 0 {
            return Err(ParseError {
                pos: pos_at(src, i),
                kind: ParseErrorKind::BadCharacter('.'),
            });
        }
        out.push(Token {
            tok: Tok::Field(rest[..len].to_string()),
            off: i,
        });
        i += 1 + len;
    }
    Ok(i)
}

/// How long the number at the start of `s` is: sign, base prefix, digits, `_`, `.`, exponent.
fn number_len(s: &str) -> usize {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
        i += 1;
    }
    let mut hex = false;
    if i + 1 < b.len()
        && b[i] == b'0'
        && matches!(b[i + 1], b'x' | b'X' | b'o' | b'O' | b'b' | b'B')
    {
        hex = matches!(b[i + 1], b'x' | b'X');
        i += 2;
    }
    while i < b.len() {
        let c = b[i];
        let exp = if hex {
            matches!(c, b'p' | b'P')
        } else {
            matches!(c, b'e' | b'E')
        };
        if exp {
            i += 1;
            if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
                i += 1;
            }
            continue;
        }
        if c.is_ascii_digit() || c == b'_' || c == b'.' || (hex && c.is_ascii_hexdigit()) {
            i += 1;
        } else {
            break;
        }
    }
    i
}

fn lex_escape(src: &str, i: usize, quote: char) -> Result<(char, usize), ParseError> {
    // `i` is at the backslash.
    let err = |kind| ParseError {
        pos: pos_at(src, i),
        kind,
    };
    let rest = &src[i + 1..];
    let c = rest
        .chars()
        .next()
        .ok_or_else(|| err(ParseErrorKind::BadEscape))?;
    let simple = match c {
        'a' => Some('\u{7}'),
        'b' => Some('\u{8}'),
        'f' => Some('\u{c}'),
        'n' => Some('\n'),
        'r' => Some('\r'),
        't' => Some('\t'),
        'v' => Some('\u{b}'),
        '\\' => Some('\\'),
        c if c == quote => Some(c),
        _ => None,
    };
    if let Some(s) = simple {
        return Ok((s, 2));
    }
    let hex = |n: usize| -> Result<(char, usize), ParseError> {
        let digits = rest
            .get(1..=n)
            .ok_or_else(|| err(ParseErrorKind::BadEscape))?;
        let v = u32::from_str_radix(digits, 16).map_err(|_| err(ParseErrorKind::BadEscape))?;
        let ch = char::from_u32(v).ok_or_else(|| err(ParseErrorKind::BadEscape))?;
        Ok((ch, 2 + n))
    };
    match c {
        'x' => hex(2),
        'u' => hex(4),
        'U' => hex(8),
        '0'..='7' => {
            let digits = rest
                .get(..3)
                .ok_or_else(|| err(ParseErrorKind::BadEscape))?;
            let v = u32::from_str_radix(digits, 8).map_err(|_| err(ParseErrorKind::BadEscape))?;
            let ch = char::from_u32(v).ok_or_else(|| err(ParseErrorKind::BadEscape))?;
            Ok((ch, 4))
        }
        _ => Err(err(ParseErrorKind::BadEscape)),
    }
}

fn lex_quoted(src: &str, start: usize) -> Result<(String, usize), ParseError> {
    let mut s = String::new();
    let mut i = start + 1;
    loop {
        let Some(c) = src[i..].chars().next() else {
            return Err(ParseError {
                pos: pos_at(src, start),
                kind: ParseErrorKind::UnterminatedString,
            });
        };
        match c {
            '"' => return Ok((s, i + 1 - start)),
            '\n' => {
                return Err(ParseError {
                    pos: pos_at(src, start),
                    kind: ParseErrorKind::UnterminatedString,
                })
            }
            '\\' => {
                let (ch, len) = lex_escape(src, i, '"')?;
                s.push(ch);
                i += len;
            }
            c => {
                s.push(c);
                i += c.len_utf8();
            }
        }
    }
}

fn lex_char(src: &str, start: usize) -> Result<(char, usize), ParseError> {
    let bad = || ParseError {
        pos: pos_at(src, start),
        kind: ParseErrorKind::BadCharConstant,
    };
    let rest = &src[start + 1..];
    let c = rest.chars().next().ok_or_else(bad)?;
    let (ch, len) = match c {
        '\\' => lex_escape(src, start + 1, '\'')?,
        '\n' | '\'' => return Err(bad()),
        c => (c, c.len_utf8()),
    };
    if !src[start + 1 + len..].starts_with('\'') {
        return Err(bad());
    }
    Ok((ch, len + 2))
}
