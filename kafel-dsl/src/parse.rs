//! The parser: policy text to an [`ast::File`](crate::ast::File), reporting every syntax error
//! it can find in one run, not just the first.
//!
//! It works in two stages. A `nom` lexer cuts the text into tokens and keeps what the formatter
//! needs besides (comments and line breaks). A recursive-descent parser over those tokens,
//! written in nom's `IResult` style (soft `Err::Error` to let `alt` try the next branch, `cut` to
//! commit), then builds the tree. Parsing tokens rather than characters is what makes the
//! diagnostics good: an error can always name the token it found (`expected '}' or ',' after
//! filter, found 'ALLOW'`), and recovery can skip balanced brackets instead of guessing in raw
//! text.
//!
//! The grammar (Kafel's, plus rpod's `ON` arch guard and trailing commas in blocks):
//!
//! ```text
//! file       = { item } ;
//! item       = "#" "define" IDENT NUMBER
//!            | "#" "include" STRING { STRING } ( ";" | line break | end of file )
//!            | "POLICY" IDENT "{" [ statement { "," statement } [ "," ] ] "}"
//!            | statement [ "," ]
//!            | "DEFAULT" action ;
//! statement  = "USE" IDENT | action "{" [ filter { "," filter } [ "," ] ] "}" ;
//! action     = "ALLOW" | "LOG" | "KILL" | "KILL_THREAD" | "KILL_PROCESS" | "DENY" | "USER_NOTIF"
//!            | ( "ERRNO" | "TRAP" | "TRACE" ) "(" value ")" ;
//! filter     = syscall [ "(" [ IDENT { "," IDENT } ] ")" ]
//!              [ "ON" ( IDENT | "{" IDENT { "," IDENT } "}" ) ] [ "{" [ expr ] "}" ] ;
//! syscall    = IDENT | "SYSCALL" "[" value "]" ;
//! value      = NUMBER | IDENT ;
//! expr       = or { "," or } ;
//! or         = and { "||" and } ;
//! and        = unary { "&&" unary } ;
//! unary      = "!" unary | bitor cmp bitor | "(" expr ")" ;   (* comparison tried first *)
//! cmp        = "==" | "!=" | "<" | "<=" | ">" | ">=" ;
//! bitor      = bitand { "|" bitand } ;
//! bitand     = atom { "&" atom } ;
//! atom       = NUMBER | IDENT | "(" bitor ")" ;
//! ```
//!
//! Recovery is panic mode. An error inside a block skips, over balanced brackets, to the next
//! `,` or `}` of that block; an error at top level skips to the next item start (`#`, `POLICY`,
//! `DEFAULT`, `USE`, an action). A keyword that can only start an item (`POLICY`, `DEFAULT`, `#`)
//! ends any open block, so a missing `}` costs one message. After an error, further errors are
//! held back until the parser is back on its feet (it consumed a separator or started a new
//! item), so one mistake gives one message.

use std::cell::{Cell, RefCell};

use nom::branch::alt;
use nom::bytes::complete::{tag, take_till, take_until, take_while, take_while1};
use nom::character::complete::{char, one_of, satisfy};
use nom::combinator::{cut, opt, recognize};
use nom::error::{ErrorKind, ParseError};
use nom::{IResult, Parser};

use crate::ast::{
    Action, ActionBlock, ActionKind, CmpOp, Comment, Expr, File, Filter, Ident, IncludePath, Item,
    Number, Operand, Statement, SyscallRef, Value,
};
use crate::diag::{self, Diagnostic};
use crate::source::{FileId, Span};

/// How many levels an expression may nest, counting the expression itself: at most
/// `MAX_NESTING - 1` parentheses or `!` inside one another. The parser recurses once per level,
/// so the bound is what keeps hostile input from overflowing the stack.
pub const MAX_NESTING: usize = 200;

/// How many binary operators (`,` `||` `&&` `|` `&`) one filter's expression may hold. The
/// parser reads a chain in a loop, but the tree it builds is as deep as the chain is long, and
/// the passes after it (name resolution, lowering, the formatter, dropping the tree) recurse
/// over it: a 100,000-term `||` chain overflowed the stack (issue 12). A thousand is far more
/// than a hand-written filter holds, and with [`MAX_NESTING`] fits a 2 MiB thread stack in a
/// debug build.
pub const MAX_OPERATORS: usize = 1000;

const ACTIONS: &str =
    "an action (ALLOW, LOG, KILL, KILL_PROCESS, DENY, USER_NOTIF, ERRNO(n), TRAP(n), TRACE(n))";

/// Reserved words: never a syscall, argument, constant, policy or arch name. `ON` is not among
/// them (it is only a keyword after a syscall), nor are `define` and `include` (only after `#`).
const KEYWORDS: [&str; 14] = [
    "ALLOW",
    "LOG",
    "KILL",
    "KILL_THREAD",
    "KILL_PROCESS",
    "DENY",
    "USER_NOTIF",
    "ERRNO",
    "TRAP",
    "TRACE",
    "USE",
    "POLICY",
    "DEFAULT",
    "SYSCALL",
];

/// Parses one policy file. `file` tags every span; the diagnostics come in source order.
/// Never panics; on errors the returned tree holds what could be parsed.
#[must_use]
pub fn parse(file: FileId, text: &str) -> (File, Vec<Diagnostic>) {
    let lexed = lex(file, text);
    let eof = lexed.tokens.last().copied().unwrap_or(Token {
        kind: Kind::Eof,
        text: "",
        start: 0,
        nl_before: true,
    });
    let ctx = Ctx {
        file,
        text,
        toks: lexed.tokens,
        eof,
        diags: RefCell::new(Collected::default()),
        depth: Cell::new(0),
        recovering: Cell::new(false),
        unclosed: Cell::new(0),
    };
    let items = items(Tokens { pos: 0, ctx: &ctx });
    let found = ctx.diags.into_inner();
    let mut diags = lexed.diags.kept;
    diags.extend(found.kept);
    diags.sort_by_key(|d| (d.span.start, d.span.end));
    let diags = diag::capped(diags, lexed.diags.total + found.total);
    let newlines = text
        .bytes()
        .enumerate()
        .filter_map(|(i, b)| (b == b'\n').then_some(i))
        .collect();
    let file = File {
        items,
        comments: lexed.comments,
        newlines,
    };
    (file, diags)
}

/// Diagnostics as they are found, keeping the first [`diag::MAX_DIAGNOSTICS`] and one more (to
/// point at) and counting the rest: a hostile file with an error per token costs a counter, not
/// a diagnostic each (issue 12).
#[derive(Debug, Default)]
struct Collected {
    kept: Vec<Diagnostic>,
    total: usize,
}

impl Collected {
    fn push(&mut self, d: Diagnostic) {
        self.total += 1;
        if self.kept.len() <= diag::MAX_DIAGNOSTICS {
            self.kept.push(d);
        }
    }

    /// Whether a diagnostic pushed now would be kept.
    fn has_room(&self) -> bool {
        self.kept.len() <= diag::MAX_DIAGNOSTICS
    }
}

// ---------------------------------------------------------------------------------------------
// Lexer

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    /// A name or a keyword (told apart by the parser: `ON`, `define` are context keywords).
    Ident,
    /// A number literal and its value (0 when the literal was bad; the lexer reported it).
    Number(u64),
    /// `"..."`, quotes included.
    Str,
    Punct,
    /// What the lexer could not read (a stray character, an unterminated comment or string),
    /// already reported. The parser stays silent about it, so there is one message, not two.
    Poison,
    Eof,
}

#[derive(Debug, Clone, Copy)]
struct Token<'a> {
    kind: Kind,
    text: &'a str,
    start: usize,
    /// A line break comes between the previous token and this one (`#include` ends at one).
    nl_before: bool,
}

impl Token<'_> {
    fn end(&self) -> usize {
        self.start + self.text.len()
    }

    /// Whether this is the punctuation or word `s` (never a string literal).
    fn is(&self, s: &str) -> bool {
        matches!(self.kind, Kind::Punct | Kind::Ident) && self.text == s
    }

    fn is_name(&self) -> bool {
        self.kind == Kind::Ident && !KEYWORDS.contains(&self.text)
    }
}

struct Lexed<'a> {
    /// Ends with an `Eof` token.
    tokens: Vec<Token<'a>>,
    comments: Vec<Comment>,
    diags: Collected,
}

type Lex<'a> = IResult<&'a str, &'a str, ()>;

/// Kafel allows spaces, tabs and line feeds; carriage returns are accepted too, so CRLF files
/// written on Windows parse.
fn whitespace(i: &str) -> Lex<'_> {
    take_while1(|c| matches!(c, ' ' | '\t' | '\r' | '\n')).parse(i)
}

fn line_comment(i: &str) -> Lex<'_> {
    recognize((tag("//"), take_till(|c| c == '\n'))).parse(i)
}

fn block_comment(i: &str) -> Lex<'_> {
    recognize((tag("/*"), take_until("*/"), tag("*/"))).parse(i)
}

fn word(i: &str) -> Lex<'_> {
    recognize((
        satisfy(|c| c.is_ascii_alphabetic() || c == '_'),
        take_while(|c: char| c.is_ascii_alphanumeric() || c == '_'),
    ))
    .parse(i)
}

/// A number-looking run (`-`, a digit, then letters and digits); [`number_value`] checks it, so
/// `12abc` is one bad number rather than a number and a name.
fn number(i: &str) -> Lex<'_> {
    recognize((
        opt(char('-')),
        satisfy(|c| c.is_ascii_digit()),
        take_while(|c: char| c.is_ascii_alphanumeric() || c == '_'),
    ))
    .parse(i)
}

/// A quoted file name; Kafel has no escapes, and a name never spans lines.
fn string(i: &str) -> Lex<'_> {
    recognize((char('"'), take_till(|c| c == '"' || c == '\n'), char('"'))).parse(i)
}

fn punct(i: &str) -> Lex<'_> {
    alt((
        tag("=="),
        tag("!="),
        tag("<="),
        tag(">="),
        tag("||"),
        tag("&&"),
        recognize(one_of("{}()[],;!<>|&#")),
    ))
    .parse(i)
}

fn lex(file: FileId, text: &str) -> Lexed<'_> {
    let mut tokens = Vec::new();
    let mut comments = Vec::new();
    let mut diags = Collected::default();
    let mut rest = text;
    // The start of the file counts as the start of a line.
    let mut nl_before = true;
    while !rest.is_empty() {
        let start = text.len() - rest.len();
        if let Ok((r, ws)) = whitespace(rest) {
            nl_before |= ws.contains('\n');
            rest = r;
        } else if let Ok((r, c)) = line_comment(rest) {
            let c = c.trim_end_matches('\r');
            comments.push(Comment {
                text: c.to_owned(),
                span: Span::new(file, start, start + c.len()),
            });
            rest = r;
        } else if rest.starts_with("/*") {
            if let Ok((r, c)) = block_comment(rest) {
                nl_before |= c.contains('\n');
                comments.push(Comment {
                    text: c.to_owned(),
                    span: Span::new(file, start, start + c.len()),
                });
                rest = r;
            } else {
                diags.push(
                    Diagnostic::error(Span::new(file, start, start + 2), "unterminated comment")
                        .with_label("this comment is never closed with '*/'"),
                );
                push_token(&mut tokens, &mut nl_before, Kind::Poison, &rest[..2], start);
                rest = "";
            }
        } else if let Ok((r, n)) = number(rest) {
            let value = match number_value(n) {
                Ok(v) => v,
                Err(e) => {
                    let span = Span::new(file, start, start + n.len());
                    diags.push(match e {
                        NumError::OutOfRange => Diagnostic::error(span, "number out of range")
                            .with_label("does not fit in 64 bits"),
                        NumError::Invalid(why) => {
                            Diagnostic::error(span, format!("invalid number '{n}'")).with_label(why)
                        }
                    });
                    0
                }
            };
            push_token(&mut tokens, &mut nl_before, Kind::Number(value), n, start);
            rest = r;
        } else if let Ok((r, w)) = word(rest) {
            push_token(&mut tokens, &mut nl_before, Kind::Ident, w, start);
            rest = r;
        } else if rest.starts_with('"') {
            if let Ok((r, s)) = string(rest) {
                push_token(&mut tokens, &mut nl_before, Kind::Str, s, start);
                rest = r;
            } else {
                let len = rest.find('\n').unwrap_or(rest.len());
                let line = rest[..len].trim_end_matches('\r');
                diags.push(
                    Diagnostic::error(
                        Span::new(file, start, start + line.len()),
                        "unterminated string",
                    )
                    .with_label("missing the closing '\"'"),
                );
                push_token(&mut tokens, &mut nl_before, Kind::Poison, line, start);
                rest = &rest[len..];
            }
        } else if let Ok((r, p)) = punct(rest) {
            push_token(&mut tokens, &mut nl_before, Kind::Punct, p, start);
            rest = r;
        } else {
            let ch = rest.chars().next().unwrap_or('\0');
            let len = ch.len_utf8();
            let mut d = Diagnostic::error(
                Span::new(file, start, start + len),
                format!("unexpected character {ch:?}"),
            );
            d = match ch {
                '=' => d.with_label("did you mean '=='?"),
                '-' => d.with_label("only a decimal number may be negative, as in -1"),
                '\'' => d.with_label("file names are written in double quotes"),
                _ => d,
            };
            diags.push(d);
            push_token(
                &mut tokens,
                &mut nl_before,
                Kind::Poison,
                &rest[..len],
                start,
            );
            rest = &rest[len..];
        }
    }
    // Errors at the end of the file point just past the last token, where the missing `}` or
    // value belongs, rather than at a blank last line.
    let eof_at = tokens.last().map_or(0, Token::end);
    tokens.push(Token {
        kind: Kind::Eof,
        text: "",
        start: eof_at,
        nl_before: true,
    });
    Lexed {
        tokens,
        comments,
        diags,
    }
}

fn push_token<'a>(
    tokens: &mut Vec<Token<'a>>,
    nl_before: &mut bool,
    kind: Kind,
    text: &'a str,
    start: usize,
) {
    tokens.push(Token {
        kind,
        text,
        start,
        nl_before: *nl_before,
    });
    *nl_before = false;
}

#[derive(Debug, PartialEq, Eq)]
enum NumError {
    OutOfRange,
    Invalid(&'static str),
}

/// The value of a number literal, read as Kafel's lexer does with `strtoull`: `0x` hex, `0b`
/// binary, a leading `0` octal, else decimal; a negative decimal wraps (`-1` is `u64::MAX`).
fn number_value(text: &str) -> Result<u64, NumError> {
    let (neg, body) = match text.strip_prefix('-') {
        Some(b) => (true, b),
        None => (false, text),
    };
    if body.starts_with("0X") || body.starts_with("0B") {
        return Err(NumError::Invalid("the prefix is lowercase: '0x' or '0b'"));
    }
    let (digits, radix, why) = if let Some(h) = body.strip_prefix("0x") {
        (h, 16, "expected hexadecimal digits after '0x'")
    } else if let Some(b) = body.strip_prefix("0b") {
        (b, 2, "expected binary digits after '0b'")
    } else if body.len() > 1 && body.starts_with('0') {
        // Kafel reads `017` as octal 15 (C's convention); keep that, and refuse `09` instead of
        // reading it as 0 the way `strtoull` silently would.
        (
            &body[1..],
            8,
            "a number with a leading 0 is octal: digits 0 to 7",
        )
    } else {
        (body, 10, "a decimal number has only digits")
    };
    if neg && radix != 10 {
        return Err(NumError::Invalid("only a decimal number may be negative"));
    }
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return Err(NumError::Invalid(why));
    }
    // The digits are checked, so the only failure left is overflow.
    let value = u64::from_str_radix(digits, radix).map_err(|_| NumError::OutOfRange)?;
    Ok(if neg { value.wrapping_neg() } else { value })
}

// ---------------------------------------------------------------------------------------------
// Parser state and errors

#[derive(Debug)]
struct Ctx<'a> {
    file: FileId,
    text: &'a str,
    /// Ends with `eof`.
    toks: Vec<Token<'a>>,
    eof: Token<'a>,
    diags: RefCell<Collected>,
    /// Current expression nesting, see [`MAX_NESTING`].
    depth: Cell<usize>,
    /// An error was reported and the parser has not found its footing since: stay quiet.
    recovering: Cell<bool>,
    /// Blocks an error left open; their `}` may turn up later at top level, already reported.
    unclosed: Cell<usize>,
}

impl Ctx<'_> {
    fn report(&self, e: PErr) {
        self.report_with(e, None::<fn() -> String>);
    }

    /// [`Ctx::report`] with a note that is only worked out when the error is kept (a position
    /// costs a scan of the text, too much to pay for every error of a hostile file).
    fn report_with(&self, mut e: PErr, note: Option<impl FnOnce() -> String>) {
        if !e.poisoned && !self.recovering.get() {
            let mut diags = self.diags.borrow_mut();
            if diags.has_room() {
                if let Some(note) = note {
                    e.diag.notes.push(note());
                }
            }
            diags.push(*e.diag);
        }
        self.recovering.set(true);
    }

    fn resync(&self) {
        self.recovering.set(false);
    }

    fn left_open(&self) {
        self.unclosed.set(self.unclosed.get() + 1);
    }

    /// `line:col` of byte `offset`, for notes that point at a second place.
    fn position(&self, offset: usize) -> String {
        let before = self.text.get(..offset).unwrap_or(self.text);
        let line = before.matches('\n').count() + 1;
        let col = before.rsplit('\n').next().unwrap_or("").chars().count() + 1;
        format!("{line}:{col}")
    }
}

/// The parser's input: a position in the token list.
#[derive(Debug, Clone, Copy)]
struct Tokens<'a> {
    pos: usize,
    ctx: &'a Ctx<'a>,
}

impl<'a> Tokens<'a> {
    fn peek(self) -> Token<'a> {
        self.ctx.toks.get(self.pos).copied().unwrap_or(self.ctx.eof)
    }

    fn second(self) -> Token<'a> {
        self.next().peek()
    }

    /// One token further; the end of the file is never consumed.
    fn next(self) -> Tokens<'a> {
        if self.peek().kind == Kind::Eof {
            self
        } else {
            Tokens {
                pos: self.pos + 1,
                ..self
            }
        }
    }

    fn at(self, pos: usize) -> Tokens<'a> {
        Tokens { pos, ..self }
    }

    fn is(self, s: &str) -> bool {
        self.peek().is(s)
    }

    /// End of the last consumed token.
    fn last_end(self) -> usize {
        self.pos
            .checked_sub(1)
            .and_then(|k| self.ctx.toks.get(k))
            .map_or(0, Token::end)
    }

    /// From `start` to the end of the last consumed token.
    fn span_from(self, start: usize) -> Span {
        Span::new(self.ctx.file, start, self.last_end().max(start))
    }

    fn tok_span(self, t: Token<'_>) -> Span {
        Span::new(self.ctx.file, t.start, t.end())
    }

    /// An error at the next token.
    fn error(self, message: impl Into<String>) -> PErr {
        let t = self.peek();
        PErr {
            at: self.pos,
            poisoned: t.kind == Kind::Poison,
            diag: Box::new(Diagnostic::error(self.tok_span(t), message)),
        }
    }

    /// `expected {what}, found {next token}`.
    fn expected(self, what: &str) -> PErr {
        self.error(format!("expected {what}, found {}", describe(self.peek())))
    }
}

fn describe(t: Token<'_>) -> String {
    match t.kind {
        Kind::Eof => "end of file".to_owned(),
        Kind::Str => format!("string {}", t.text),
        _ => format!("'{}'", t.text),
    }
}

/// A syntax error: where (token index, for recovery) and the diagnostic. Boxed, as errors are
/// rare and results pass through every level of the recursion.
#[derive(Debug)]
struct PErr {
    at: usize,
    poisoned: bool,
    diag: Box<Diagnostic>,
}

impl PErr {
    fn label(mut self, label: impl Into<String>) -> PErr {
        self.diag.label = label.into();
        self
    }

    /// How to say a long condition without one long expression.
    fn note_help(mut self) -> PErr {
        self.diag.notes.push(
            "help: split it into several filters for the same syscall, which are OR-ed: `read { fd == 1 }, read { fd == 2 }`"
                .to_owned(),
        );
        self
    }

    /// Adds `did you mean ...?` when `t` looks like a misspelt keyword.
    fn keyword_hint(self, t: Token<'_>) -> PErr {
        match (t.kind == Kind::Ident)
            .then(|| keyword_hint(t.text))
            .flatten()
        {
            Some(hint) => self.label(hint),
            None => self,
        }
    }
}

impl<'a> ParseError<Tokens<'a>> for PErr {
    fn from_error_kind(input: Tokens<'a>, _kind: ErrorKind) -> Self {
        input.error(format!("unexpected {}", describe(input.peek())))
    }

    fn append(_input: Tokens<'a>, _kind: ErrorKind, other: Self) -> Self {
        other
    }

    /// Of two failed alternatives, the one that got further explains the mistake best.
    fn or(self, other: Self) -> Self {
        if other.at > self.at {
            other
        } else {
            self
        }
    }
}

type PResult<'a, T> = IResult<Tokens<'a>, T, PErr>;

/// An error another branch may recover from (`alt` tries the next one).
fn soft<'a, T>(e: PErr) -> PResult<'a, T> {
    Err(nom::Err::Error(e))
}

/// An error after the parser committed to a construct.
fn hard<'a, T>(e: PErr) -> PResult<'a, T> {
    Err(nom::Err::Failure(e))
}

fn into_perr(i: Tokens<'_>, e: nom::Err<PErr>) -> PErr {
    match e {
        nom::Err::Error(e) | nom::Err::Failure(e) => e,
        // Only streaming parsers ask for more input; these never do.
        nom::Err::Incomplete(_) => i.expected("more input"),
    }
}

fn keyword_hint(word: &str) -> Option<String> {
    let upper = word.to_ascii_uppercase();
    if upper != word && KEYWORDS.contains(&upper.as_str()) {
        return Some(format!("keywords are uppercase: '{upper}'"));
    }
    if upper.len() < 3 || KEYWORDS.contains(&word) {
        return None;
    }
    // One typo per three letters: `ALOW` is ALLOW, `FOO` is not LOG.
    let allowed = (upper.len() / 3).max(1);
    // The distance is at least the difference in length: skip what cannot be close (issue 12).
    KEYWORDS
        .iter()
        .filter(|k| k.len().abs_diff(upper.len()) <= allowed)
        .map(|k| (strsim::levenshtein(k, &upper), *k))
        .filter(|(d, _)| *d <= allowed)
        .min()
        .map(|(_, k)| format!("did you mean '{k}'?"))
}

fn action_kind(word: &str) -> Option<ActionKind> {
    Some(match word {
        "ALLOW" => ActionKind::Allow,
        "LOG" => ActionKind::Log,
        "KILL" | "KILL_THREAD" => ActionKind::Kill,
        "DENY" => ActionKind::Deny,
        "KILL_PROCESS" => ActionKind::KillProcess,
        "USER_NOTIF" => ActionKind::UserNotif,
        "ERRNO" => ActionKind::Errno,
        "TRAP" => ActionKind::Trap,
        "TRACE" => ActionKind::Trace,
        _ => return None,
    })
}

fn starts_statement(t: Token<'_>) -> bool {
    t.kind == Kind::Ident && (t.text == "USE" || action_kind(t.text).is_some())
}

fn starts_filter(t: Token<'_>) -> bool {
    t.is_name() || t.is("SYSCALL")
}

/// Tokens that only ever start a top-level item, so they end any block left open.
fn starts_item_only(t: Token<'_>) -> bool {
    t.kind == Kind::Eof || t.is("#") || t.is("POLICY") || t.is("DEFAULT")
}

/// Counts one more level of expression nesting for as long as it lives.
struct Nesting<'a> {
    depth: &'a Cell<usize>,
}

impl Drop for Nesting<'_> {
    fn drop(&mut self) {
        self.depth.set(self.depth.get().saturating_sub(1));
    }
}

fn nest<'a>(i: Tokens<'a>) -> Result<Nesting<'a>, nom::Err<PErr>> {
    let depth = i.ctx.depth.get() + 1;
    if depth >= MAX_NESTING {
        return Err(nom::Err::Failure(
            i.error("expression nested too deeply").label(format!(
                "more than {} levels of '(' or '!'",
                MAX_NESTING - 1
            )),
        ));
    }
    i.ctx.depth.set(depth);
    Ok(Nesting {
        depth: &i.ctx.depth,
    })
}

// ---------------------------------------------------------------------------------------------
// Recovery

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sync {
    /// Skip to the next top-level item.
    Top,
    /// Skip to the next `,` or `}` of the enclosing block.
    List,
}

/// Skips tokens after an error, over balanced brackets, to where parsing can resume (see
/// [`Sync`]); never past a token that only starts an item. `skip_first` steps over the token at
/// `i` first: the construct that failed started there, and must not be restarted.
fn sync(mut i: Tokens<'_>, mode: Sync, skip_first: bool) -> Tokens<'_> {
    if skip_first {
        i = i.next();
    }
    // Closers expected for the brackets opened while skipping.
    let mut open: Vec<&str> = Vec::new();
    loop {
        let t = i.peek();
        if starts_item_only(t) {
            return i;
        }
        if open.is_empty()
            && (starts_statement(t) || (mode == Sync::List && (t.is(",") || t.is("}"))))
        {
            return i;
        }
        if t.kind == Kind::Punct {
            match t.text {
                "(" => open.push(")"),
                "[" => open.push("]"),
                "{" => open.push("}"),
                ")" | "]" | "}" => {
                    if let Some(k) = open.iter().rposition(|c| *c == t.text) {
                        open.truncate(k);
                    } else if t.text == "}" && !open.is_empty() {
                        // A `}` with only `(` or `[` open: they were never closed, and this
                        // brace is the block's.
                        open.clear();
                        if mode == Sync::List {
                            return i;
                        }
                    }
                    // Otherwise a stray closer: skip it.
                }
                _ => {}
            }
        }
        i = i.next();
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum ListKind {
    /// The filters of an action block.
    Filters,
    /// The statements of a policy.
    Statements,
}

impl ListKind {
    fn element(self) -> &'static str {
        match self {
            ListKind::Filters => "filter",
            ListKind::Statements => "statement",
        }
    }

    fn expected(self) -> &'static str {
        match self {
            ListKind::Filters => "a syscall name",
            ListKind::Statements => "an action block or USE",
        }
    }

    fn starts(self, t: Token<'_>) -> bool {
        match self {
            ListKind::Filters => starts_filter(t),
            ListKind::Statements => starts_statement(t),
        }
    }

    /// Tokens that cannot be in this list: the block was left open. An action keyword among
    /// filters means the `}` is missing before the next block.
    fn ends(self, t: Token<'_>) -> bool {
        starts_item_only(t) || (self == ListKind::Filters && starts_statement(t))
    }
}

/// Parses `element, element, ... }` after the `{` at `open`, recovering from errors in elements
/// and separators. Returns the closing brace, or `None` when the block was left open.
fn list<'a, T>(
    open: Token<'a>,
    mut i: Tokens<'a>,
    kind: ListKind,
    element: fn(Tokens<'a>) -> PResult<'a, T>,
) -> (Tokens<'a>, Vec<T>, Option<Token<'a>>) {
    let ctx = i.ctx;
    let unclosed = || {
        format!(
            "note: the '{{' at {} is never closed",
            ctx.position(open.start)
        )
    };
    let mut out = Vec::new();
    loop {
        // An element, or the end of the block (also after a trailing comma).
        let t = i.peek();
        if t.is("}") {
            ctx.resync();
            return (i.next(), out, Some(t));
        }
        if kind.ends(t) {
            ctx.report_with(
                i.expected(&format!("{} or '}}'", kind.expected())),
                Some(unclosed),
            );
            ctx.left_open();
            return (i, out, None);
        }
        let start = i;
        match element(i) {
            Ok((rest, x)) => {
                out.push(x);
                i = rest;
            }
            Err(e) => {
                let e = into_perr(i, e);
                let skip_first = e.at > start.pos;
                ctx.report(e);
                i = sync(start, Sync::List, skip_first);
                let t = i.peek();
                if i.pos == start.pos && !(t.is(",") || t.is("}") || kind.ends(t)) {
                    i = i.next();
                }
            }
        }
        // A separator.
        loop {
            let t = i.peek();
            if t.is(",") {
                i = i.next();
                ctx.resync();
                break;
            }
            if t.is("}") {
                ctx.resync();
                return (i.next(), out, Some(t));
            }
            let e = i.expected(&format!("'}}' or ',' after {}", kind.element()));
            if kind.ends(t) {
                ctx.report_with(e, Some(unclosed));
                ctx.left_open();
                return (i, out, None);
            }
            ctx.report(e);
            if kind.starts(t) {
                // Most likely a forgotten `,`: carry on with this element.
                break;
            }
            i = sync(i, Sync::List, false);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Items

fn items(mut i: Tokens<'_>) -> Vec<Item> {
    let ctx = i.ctx;
    let mut items = Vec::new();
    loop {
        ctx.resync();
        let t = i.peek();
        if t.kind == Kind::Eof {
            return items;
        }
        if t.is("}") && ctx.unclosed.get() > 0 {
            // The `}` of a block an earlier error left open; that error said enough.
            ctx.unclosed.set(ctx.unclosed.get() - 1);
            i = i.next();
            continue;
        }
        let start = i;
        let result = if t.is("#") {
            directive(i)
        } else if t.is("POLICY") {
            policy(i)
        } else if t.is("DEFAULT") {
            default(i)
        } else if starts_statement(t) {
            statement(i).map(|(rest, s)| (rest, Item::Statement(s)))
        } else {
            hard(top_level_error(i))
        };
        match result {
            Ok((rest, item)) => {
                let statement = matches!(item, Item::Statement(_));
                items.push(item);
                i = rest;
                // Kafel separates top-level statements with `,` or nothing.
                if statement && i.is(",") {
                    i = i.next();
                    if !starts_statement(i.peek()) {
                        ctx.report(
                            i.expected("an action block or USE after ','")
                                .keyword_hint(i.peek()),
                        );
                    }
                }
            }
            Err(e) => {
                let e = into_perr(i, e);
                let at = i.at(e.at);
                ctx.report(e);
                i = sync(at, Sync::Top, at.pos <= start.pos);
            }
        }
    }
}

fn top_level_error(i: Tokens<'_>) -> PErr {
    let t = i.peek();
    let second = i.second();
    if t.kind == Kind::Ident && (second.is("{") || second.is("(")) {
        // `ALOW { read }`: a block with a misspelt action.
        return i.expected(ACTIONS).keyword_hint(t);
    }
    let e =
        i.expected("a policy item (#define, #include, POLICY, USE, DEFAULT or an action block)");
    if t.is("}") {
        return e.label("no block is open here");
    }
    e.keyword_hint(t)
}

fn directive(i: Tokens<'_>) -> PResult<'_, Item> {
    let hash = i.peek();
    let j = i.next();
    let t = j.peek();
    if t.is("define") {
        return define(hash, j.next());
    }
    if t.is("include") {
        return include(hash, j.next());
    }
    let e = j.expected("'define' or 'include' after '#'");
    let e = match t.text.to_ascii_lowercase().as_str() {
        "define" | "defin" | "defne" | "deifne" => e.label("did you mean 'define'?"),
        "include" | "inlcude" | "incude" | "includ" => e.label("did you mean 'include'?"),
        _ => e,
    };
    hard(e)
}

fn define<'a>(hash: Token<'a>, j: Tokens<'a>) -> PResult<'a, Item> {
    let (j, name) = name(j, "a constant name after #define")?;
    let t = j.peek();
    let Kind::Number(value) = t.kind else {
        return hard(j.expected(&format!("a number after #define {}", name.name)));
    };
    let value = Number {
        value,
        text: t.text.to_owned(),
        span: j.tok_span(t),
    };
    let j = j.next();
    Ok((
        j,
        Item::Define {
            span: j.span_from(hash.start),
            name,
            value,
        },
    ))
}

fn include<'a>(hash: Token<'a>, mut j: Tokens<'a>) -> PResult<'a, Item> {
    let ctx = j.ctx;
    let mut paths = Vec::new();
    // Like Kafel, the file names end at the end of the line (or a `;`).
    while j.peek().kind == Kind::Str && !j.peek().nl_before {
        let t = j.peek();
        let path = t.text.get(1..t.text.len() - 1).unwrap_or_default();
        if path.is_empty() {
            ctx.report(j.error("empty file name in #include"));
        }
        paths.push(IncludePath {
            path: path.to_owned(),
            span: j.tok_span(t),
        });
        j = j.next();
    }
    let t = j.peek();
    if paths.is_empty() {
        if t.nl_before && t.kind != Kind::Eof {
            let at = j.last_end();
            let mut e = j.error("expected a file name in quotes after #include, found end of line");
            e.diag.span = Span::new(ctx.file, at, at);
            return hard(e);
        }
        return hard(j.expected("a file name in quotes after #include"));
    }
    let end = j.last_end();
    if t.is(";") && !t.nl_before {
        j = j.next();
    } else if !t.nl_before {
        ctx.report(
            j.error("unterminated include statement")
                .label("end #include with a line break or ';' before this"),
        );
    }
    Ok((
        j,
        Item::Include {
            paths,
            span: Span::new(ctx.file, hash.start, end),
        },
    ))
}

fn policy(i: Tokens<'_>) -> PResult<'_, Item> {
    let kw = i.peek();
    let (j, name) = name(i.next(), "a policy name after POLICY")?;
    if !j.is("{") {
        return hard(j.expected(&format!("'{{' after POLICY {}", name.name)));
    }
    let (j, body, _) = list(j.peek(), j.next(), ListKind::Statements, statement);
    Ok((
        j,
        Item::Policy {
            name,
            body,
            span: j.span_from(kw.start),
        },
    ))
}

fn default(i: Tokens<'_>) -> PResult<'_, Item> {
    let kw = i.peek();
    let (j, action) = cut(action).parse(i.next())?;
    Ok((
        j,
        Item::Default {
            action,
            span: j.span_from(kw.start),
        },
    ))
}

fn statement(i: Tokens<'_>) -> PResult<'_, Statement> {
    let t = i.peek();
    if t.is("USE") {
        let (j, name) = name(i.next(), "a policy name after USE")?;
        let span = j.span_from(t.start);
        return Ok((j, Statement::Use { name, span }));
    }
    if !starts_statement(t) {
        return soft(i.expected("an action block or USE").keyword_hint(t));
    }
    let (j, block) = action_block(i)?;
    Ok((j, Statement::Block(block)))
}

fn action_block(i: Tokens<'_>) -> PResult<'_, ActionBlock> {
    let (j, action) = action(i)?;
    if !j.is("{") {
        return hard(j.expected(&format!("'{{' after {}", action.keyword)));
    }
    let (j, filters, _) = list(j.peek(), j.next(), ListKind::Filters, filter);
    Ok((
        j,
        ActionBlock {
            span: j.span_from(action.span.start),
            action,
            filters,
        },
    ))
}

fn action(i: Tokens<'_>) -> PResult<'_, Action> {
    let t = i.peek();
    let Some(kind) = (t.kind == Kind::Ident)
        .then(|| action_kind(t.text))
        .flatten()
    else {
        return soft(i.expected(ACTIONS).keyword_hint(t));
    };
    let mut j = i.next();
    let mut value = None;
    if kind.takes_value() {
        if !j.is("(") {
            return hard(
                j.expected(&format!("'(' after {}", t.text))
                    .label(format!("{0} needs a value, as in {0}(1)", t.text)),
            );
        }
        let (k, v) = self::value(
            j.next(),
            &format!("a number or a constant name in {}(...)", t.text),
        )?;
        if !k.is(")") {
            return hard(k.expected(&format!("')' after the {} value", t.text)));
        }
        j = k.next();
        value = Some(v);
    } else if j.is("(") {
        return hard(
            j.error(format!("{} takes no value", t.text))
                .label("only ERRNO, TRAP and TRACE take a value"),
        );
    }
    Ok((
        j,
        Action {
            kind,
            keyword: t.text.to_owned(),
            value,
            span: j.span_from(t.start),
        },
    ))
}

/// A name that is not a keyword; `what` completes "expected ...".
fn name<'a>(i: Tokens<'a>, what: &str) -> PResult<'a, Ident> {
    let t = i.peek();
    if !t.is_name() {
        return hard(i.expected(what));
    }
    Ok((i.next(), ident(i, t)))
}

fn ident(i: Tokens<'_>, t: Token<'_>) -> Ident {
    Ident {
        name: t.text.to_owned(),
        span: i.tok_span(t),
    }
}

fn number_of(i: Tokens<'_>, t: Token<'_>, value: u64) -> Number {
    Number {
        value,
        text: t.text.to_owned(),
        span: i.tok_span(t),
    }
}

fn value<'a>(i: Tokens<'a>, what: &str) -> PResult<'a, Value> {
    let t = i.peek();
    match t.kind {
        Kind::Number(v) => Ok((i.next(), Value::Number(number_of(i, t, v)))),
        Kind::Ident if t.is_name() => Ok((i.next(), Value::Ident(ident(i, t)))),
        _ => hard(i.expected(what)),
    }
}

// ---------------------------------------------------------------------------------------------
// Filters

fn filter(i: Tokens<'_>) -> PResult<'_, Filter> {
    let t = i.peek();
    let (mut j, syscall) = if t.is("SYSCALL") {
        let k = i.next();
        if !k.is("[") {
            return hard(k.expected("'[' after SYSCALL"));
        }
        let (k, value) = value(
            k.next(),
            "a syscall number or a constant name in SYSCALL[...]",
        )?;
        if !k.is("]") {
            return hard(k.expected("']' after the syscall number"));
        }
        let k = k.next();
        let span = k.span_from(t.start);
        (k, SyscallRef::Number { value, span })
    } else if t.is_name() {
        (i.next(), SyscallRef::Name(ident(i, t)))
    } else {
        return soft(i.expected("a syscall name"));
    };

    let mut params = None;
    if j.is("(") {
        let (k, p) = params_list(j.next())?;
        j = k;
        params = Some(p);
    }
    let mut arches = None;
    if j.is("ON") {
        let (k, a) = arch_list(j.next())?;
        j = k;
        arches = Some(a);
    }
    let mut expr = None;
    if j.is("{") {
        let k = j.next();
        if let Some(past) = operator_past_limit(k) {
            return hard(
                past.error("filter expression too long")
                    .label(format!("more than {MAX_OPERATORS} operators in one filter"))
                    .note_help(),
            );
        }
        if k.is("}") {
            j = k.next();
        } else {
            let (k, e) = cut(bool_expr).parse(k)?;
            if !k.is("}") {
                let mut e = k.expected("'}' after the filter expression");
                if starts_operand(k.peek()) {
                    e = e.label("join conditions with '&&', '||' or ','");
                }
                return hard(e);
            }
            j = k.next();
            expr = Some(*e);
        }
    }
    Ok((
        j,
        Filter {
            span: j.span_from(t.start),
            syscall,
            params,
            arches,
            expr,
        },
    ))
}

/// Where the expression starting at `i` (just after a filter's `{`) has its operator number
/// [`MAX_OPERATORS`] + 1, if it does before its closing `}`. Counted over the tokens, once, so
/// the alternatives the parser tries inside it do not count twice.
fn operator_past_limit(mut i: Tokens<'_>) -> Option<Tokens<'_>> {
    let mut depth = 0usize;
    let mut count = 0;
    loop {
        let t = i.peek();
        if starts_item_only(t) || (depth == 0 && t.is("}")) {
            return None;
        }
        if t.is("{") || t.is("(") || t.is("[") {
            depth += 1;
        } else if t.is("}") || t.is(")") || t.is("]") {
            depth = depth.saturating_sub(1);
        } else if t.is(",") || t.is("||") || t.is("&&") || t.is("|") || t.is("&") {
            count += 1;
            if count > MAX_OPERATORS {
                return Some(i);
            }
        }
        i = i.next();
    }
}

fn params_list(mut j: Tokens<'_>) -> PResult<'_, Vec<Ident>> {
    let mut names = Vec::new();
    if j.is(")") {
        return Ok((j.next(), names));
    }
    loop {
        let (k, n) = name(j, "an argument name")?;
        names.push(n);
        if k.is(",") {
            j = k.next();
        } else if k.is(")") {
            return Ok((k.next(), names));
        } else {
            return hard(k.expected("',' or ')' after the argument name"));
        }
    }
}

fn arch_list(j: Tokens<'_>) -> PResult<'_, Vec<Ident>> {
    if !j.is("{") {
        let (k, a) = name(j, "an architecture name after ON")?;
        return Ok((k, vec![a]));
    }
    let mut j = j.next();
    let mut arches = Vec::new();
    loop {
        let (k, a) = name(j, "an architecture name")?;
        arches.push(a);
        if k.is(",") {
            j = k.next();
        } else if k.is("}") {
            return Ok((k.next(), arches));
        } else {
            return hard(k.expected("',' or '}' after the architecture name"));
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Expressions. Errors are soft so that `alt` can backtrack over `(`; the filter commits.

fn bool_expr(i: Tokens<'_>) -> PResult<'_, Box<Expr>> {
    binary(i, 0)
}

// The expression parsers pass boxes around (the tree holds its children boxed anyway): small
// results keep the frames small, and a parenthesis costs a few frames, so the deepest nesting
// allowed fits a 2 MiB thread stack even in a debug build.

/// `,` (loosest), `||` and `&&`, all left-associative, by precedence climbing: operands bind
/// tighter than `min`. One function for the three levels also keeps the frames per level few.
fn binary(i: Tokens<'_>, min: u8) -> PResult<'_, Box<Expr>> {
    let (mut i, mut lhs) = unary(i)?;
    loop {
        let t = i.peek();
        let prec = if t.is(",") {
            0
        } else if t.is("||") {
            1
        } else if t.is("&&") {
            2
        } else {
            break;
        };
        if prec < min {
            break;
        }
        let (rest, rhs) = binary(i.next(), prec + 1)?;
        lhs = Box::new(if prec == 2 {
            Expr::And(lhs, rhs)
        } else {
            Expr::Or {
                lhs,
                rhs,
                comma: prec == 0,
            }
        });
        i = rest;
    }
    Ok((i, lhs))
}

fn unary(i: Tokens<'_>) -> PResult<'_, Box<Expr>> {
    let t = i.peek();
    if t.is("!") {
        let _level = nest(i)?;
        let (j, expr) = unary(i.next())?;
        let span = j.span_from(t.start);
        return Ok((j, Box::new(Expr::Not { expr, span })));
    }
    if t.is("(") {
        // `(` opens either an operand, `(a & b) == 1`, or a condition, `(a == 1 || b == 2)`.
        // Try the comparison first, as Kafel's grammar does.
        return alt((comparison, paren_expr)).parse(i);
    }
    comparison(i)
}

fn paren_expr(i: Tokens<'_>) -> PResult<'_, Box<Expr>> {
    let open = i.peek();
    let _level = nest(i)?;
    let (j, expr) = bool_expr(i.next())?;
    if !j.is(")") {
        return soft(j.expected("')'"));
    }
    let j = j.next();
    let span = j.span_from(open.start);
    Ok((j, Box::new(Expr::Paren { expr, span })))
}

fn cmp_op(t: Token<'_>) -> Option<CmpOp> {
    if t.kind != Kind::Punct {
        return None;
    }
    Some(match t.text {
        "==" => CmpOp::Eq,
        "!=" => CmpOp::Ne,
        "<" => CmpOp::Lt,
        "<=" => CmpOp::Le,
        ">" => CmpOp::Gt,
        ">=" => CmpOp::Ge,
        _ => return None,
    })
}

fn starts_operand(t: Token<'_>) -> bool {
    matches!(t.kind, Kind::Number(_)) || t.is_name() || t.is("(")
}

fn comparison(i: Tokens<'_>) -> PResult<'_, Box<Expr>> {
    let t = i.peek();
    if !starts_operand(t) {
        return soft(i.expected("a condition such as 'fd == 1'"));
    }
    let (j, lhs) = bit_or(i)?;
    let Some(op) = cmp_op(j.peek()) else {
        return soft(j.expected("a comparison operator (==, !=, <, <=, >, >=)"));
    };
    let (j, rhs) = bit_or(j.next())?;
    if cmp_op(j.peek()).is_some() {
        return hard(
            j.error("comparison operators cannot be chained")
                .label("compare one pair at a time and join them with '&&'"),
        );
    }
    let span = j.span_from(t.start);
    Ok((
        j,
        Box::new(Expr::Cmp {
            op,
            lhs: *lhs,
            rhs: *rhs,
            span,
        }),
    ))
}

fn bit_or(i: Tokens<'_>) -> PResult<'_, Box<Operand>> {
    let (mut i, mut lhs) = bit_and(i)?;
    while i.is("|") {
        let (rest, rhs) = bit_and(i.next())?;
        lhs = Box::new(Operand::BitOr(lhs, rhs));
        i = rest;
    }
    Ok((i, lhs))
}

fn bit_and(i: Tokens<'_>) -> PResult<'_, Box<Operand>> {
    let (mut i, mut lhs) = atom(i)?;
    while i.is("&") {
        let (rest, rhs) = atom(i.next())?;
        lhs = Box::new(Operand::BitAnd(lhs, rhs));
        i = rest;
    }
    Ok((i, lhs))
}

fn atom(i: Tokens<'_>) -> PResult<'_, Box<Operand>> {
    let t = i.peek();
    match t.kind {
        Kind::Number(v) => Ok((i.next(), Box::new(Operand::Number(number_of(i, t, v))))),
        Kind::Ident if t.is_name() => Ok((i.next(), Box::new(Operand::Ident(ident(i, t))))),
        _ if t.is("(") => {
            let _level = nest(i)?;
            let (j, inner) = bit_or(i.next())?;
            if !j.is(")") {
                return soft(j.expected("')'"));
            }
            let j = j.next();
            let span = j.span_from(t.start);
            Ok((j, Box::new(Operand::Paren { inner, span })))
        }
        _ => soft(i.expected("a number, a name or '('")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::diag::render_all;
    use crate::source::{SourceFile, Sources};
    use proptest::prelude::*;

    fn parse_ok(text: &str) -> File {
        let (file, diags) = parse(FileId(0), text);
        assert!(
            diags.is_empty(),
            "unexpected diagnostics for {text:?}: {diags:#?}"
        );
        file
    }

    /// The diagnostics of `text`, rendered as the CLI prints them.
    fn errors(text: &str) -> String {
        let mut sources = Sources::new();
        let id = sources.add(SourceFile::new("policy.kafel", None, text));
        let (_, diags) = parse(id, text);
        render_all(&diags, &sources)
    }

    fn messages(text: &str) -> Vec<String> {
        parse(FileId(0), text)
            .1
            .into_iter()
            .map(|d| d.message)
            .collect()
    }

    #[test]
    fn numbers_read_like_strtoull() {
        assert_eq!(number_value("0"), Ok(0));
        assert_eq!(number_value("42"), Ok(42));
        assert_eq!(number_value("0x1F"), Ok(31));
        assert_eq!(number_value("0b101"), Ok(5));
        assert_eq!(number_value("017"), Ok(15));
        assert_eq!(number_value("00"), Ok(0));
        assert_eq!(number_value("-1"), Ok(u64::MAX));
        assert_eq!(number_value("-0"), Ok(0));
        assert_eq!(number_value("18446744073709551615"), Ok(u64::MAX));
        assert_eq!(number_value("0xffffffffffffffff"), Ok(u64::MAX));
        assert_eq!(
            number_value("18446744073709551616"),
            Err(NumError::OutOfRange)
        );
        assert_eq!(
            number_value("0x10000000000000000"),
            Err(NumError::OutOfRange)
        );
        assert!(matches!(number_value("09"), Err(NumError::Invalid(_))));
        assert!(matches!(number_value("0x"), Err(NumError::Invalid(_))));
        assert!(matches!(number_value("0b2"), Err(NumError::Invalid(_))));
        assert!(matches!(number_value("12abc"), Err(NumError::Invalid(_))));
        assert!(matches!(number_value("-0x1"), Err(NumError::Invalid(_))));
        assert!(matches!(number_value("0X1"), Err(NumError::Invalid(_))));
    }

    #[test]
    fn parses_nsjail_style_policies_unchanged() {
        let f =
            parse_ok("KILL_PROCESS { ptrace, process_vm_readv, process_vm_writev } DEFAULT ALLOW");
        assert_eq!(f.items.len(), 2);
        let Item::Statement(Statement::Block(b)) = &f.items[0] else {
            panic!("expected a block, got {:?}", f.items[0]);
        };
        assert_eq!(b.action.kind, ActionKind::KillProcess);
        assert_eq!(b.filters.len(), 3);
        assert!(
            matches!(&f.items[1], Item::Default { action, .. } if action.kind == ActionKind::Allow)
        );

        let f = parse_ok(
            "#define AF_INET 2\n\
             POLICY net { ALLOW { socket(domain, type, protocol) { domain == AF_INET && (type & 0xf) == 1 } } }\n\
             POLICY base { ALLOW { read, write { fd == 1 || fd == 2 }, SYSCALL[231] }, USE net }\n\
             USE base DEFAULT KILL\n",
        );
        assert_eq!(f.items.len(), 5);
        assert!(
            matches!(&f.items[3], Item::Statement(Statement::Use { name, .. }) if name.name == "base")
        );
        assert!(
            matches!(&f.items[4], Item::Default { action, .. } if action.kind == ActionKind::Kill)
        );

        let f = parse_ok(
            "ERRNO(1337) { geteuid } ERRNO(1) { ptrace, sched_setaffinity } KILL_PROCESS { syslog } DEFAULT ALLOW",
        );
        assert_eq!(f.items.len(), 4);
    }

    #[test]
    fn spans_cover_the_source_text() {
        let text = "POLICY p { ERRNO(1) { write(fd) ON x86_64 { fd == 1 } } }";
        let f = parse_ok(text);
        let Item::Policy { name, body, span } = &f.items[0] else {
            panic!("expected a policy");
        };
        assert_eq!(&text[span.start..span.end], text);
        assert_eq!(&text[name.span.start..name.span.end], "p");
        let Statement::Block(b) = &body[0] else {
            panic!("expected a block");
        };
        assert_eq!(
            &text[b.span.start..b.span.end],
            "ERRNO(1) { write(fd) ON x86_64 { fd == 1 } }"
        );
        assert_eq!(&text[b.action.span.start..b.action.span.end], "ERRNO(1)");
        let filter = &b.filters[0];
        assert_eq!(
            &text[filter.span.start..filter.span.end],
            "write(fd) ON x86_64 { fd == 1 }"
        );
        let e = filter.expr.as_ref().expect("a filter expression");
        assert_eq!(&text[e.span().start..e.span().end], "fd == 1");
        assert_eq!(f.items[0].clone(), f.items[0]);
    }

    #[test]
    fn keeps_spelling_for_the_formatter() {
        let f = parse_ok(
            "ALLOW { write { fd == 0x1, (fd == 017) || !(fd & 1) == 0 } } DEFAULT KILL_THREAD",
        );
        let Item::Statement(Statement::Block(b)) = &f.items[0] else {
            panic!("expected a block");
        };
        let Some(Expr::Or {
            lhs,
            rhs,
            comma: true,
        }) = &b.filters[0].expr
        else {
            panic!("expected a comma Or: {:?}", b.filters[0].expr);
        };
        let Expr::Cmp {
            rhs: Operand::Number(n),
            ..
        } = &**lhs
        else {
            panic!("expected a comparison");
        };
        assert_eq!((n.value, n.text.as_str()), (1, "0x1"));
        let Expr::Or {
            lhs,
            rhs,
            comma: false,
        } = &**rhs
        else {
            panic!("expected an || Or");
        };
        assert!(matches!(&**lhs, Expr::Paren { .. }));
        let Expr::Not { expr, .. } = &**rhs else {
            panic!("expected a Not");
        };
        // `!` binds looser than a comparison: `!((fd & 1) == 0)`.
        assert!(matches!(
            &**expr,
            Expr::Cmp {
                lhs: Operand::Paren { .. },
                ..
            }
        ));
        let Item::Default { action, .. } = &f.items[1] else {
            panic!("expected DEFAULT");
        };
        assert_eq!(
            (action.kind, action.keyword.as_str()),
            (ActionKind::Kill, "KILL_THREAD")
        );
    }

    #[test]
    fn extensions_parse() {
        let f = parse_ok(
            "ALLOW { read ON x86_64, write(fd) ON { x86_64, aarch64 } { fd == 1 }, close(), }\n\
             POLICY empty {}\nPOLICY p { USE empty, }\nUSER_NOTIF {} TRAP(SIGSYS) { ptrace } LOG { kill }",
        );
        let Item::Statement(Statement::Block(b)) = &f.items[0] else {
            panic!("expected a block");
        };
        assert_eq!(b.filters.len(), 3);
        assert_eq!(b.filters[0].arches.as_ref().map(Vec::len), Some(1));
        assert_eq!(b.filters[1].arches.as_ref().map(Vec::len), Some(2));
        assert_eq!(b.filters[2].params, Some(vec![]));
        assert_eq!(f.items.len(), 6);
    }

    #[test]
    fn includes_end_at_line_break_or_semicolon() {
        let f = parse_ok(
            "#include \"a.policy\" \"b.policy\"\n# include \"c\"; ALLOW { read }\n#include \"d\"",
        );
        let Item::Include { paths, .. } = &f.items[0] else {
            panic!("expected an include");
        };
        assert_eq!(
            paths.iter().map(|p| p.path.as_str()).collect::<Vec<_>>(),
            ["a.policy", "b.policy"]
        );
        assert!(matches!(&f.items[1], Item::Include { paths, .. } if paths[0].path == "c"));
        assert!(matches!(&f.items[2], Item::Statement(_)));
        assert!(matches!(&f.items[3], Item::Include { .. }));
    }

    #[test]
    fn collects_comments_and_line_breaks() {
        let f = parse_ok("// head\r\nALLOW { read /* inline */ }\n");
        let texts: Vec<_> = f.comments.iter().map(|c| c.text.as_str()).collect();
        assert_eq!(texts, ["// head", "/* inline */"]);
        assert_eq!(f.newlines, [8, 36]);
    }

    #[test]
    fn comparison_is_tried_before_parenthesised_condition() {
        let f = parse_ok("ALLOW { a { ((x)) == 1 }, b { ((x == 1)) }, c { (x | 1) & 2 == 2 } }");
        let Item::Statement(Statement::Block(b)) = &f.items[0] else {
            panic!("expected a block");
        };
        assert!(matches!(
            &b.filters[0].expr,
            Some(Expr::Cmp {
                lhs: Operand::Paren { .. },
                ..
            })
        ));
        assert!(matches!(&b.filters[1].expr, Some(Expr::Paren { .. })));
        assert!(matches!(
            &b.filters[2].expr,
            Some(Expr::Cmp {
                lhs: Operand::BitAnd(..),
                ..
            })
        ));
    }

    #[test]
    fn nesting_is_bounded() {
        // The deepest allowed: 199 parentheses, of either kind, or `!`.
        let n = MAX_NESTING - 1;
        let operand = format!(
            "ALLOW {{ read {{ {}x{} == 1 }} }}",
            "(".repeat(n),
            ")".repeat(n)
        );
        parse_ok(&operand);
        let condition = format!(
            "ALLOW {{ read {{ {}x == 1{} }} }}",
            "(".repeat(n),
            ")".repeat(n)
        );
        parse_ok(&condition);
        parse_ok(&format!("ALLOW {{ read {{ {}x == 1 }} }}", "!".repeat(n)));

        let deep = format!(
            "ALLOW {{ read {{ {}x == 1{} }} }}",
            "(".repeat(n + 1),
            ")".repeat(n + 1)
        );
        assert_eq!(messages(&deep), ["expression nested too deeply"]);
        let nots = format!("ALLOW {{ read {{ {}x == 1 }} }}", "!".repeat(100_000));
        assert_eq!(messages(&nots), ["expression nested too deeply"]);
        let parens = format!("ALLOW {{ read {{ {} }} }}", "(".repeat(100_000));
        assert_eq!(messages(&parens), ["expression nested too deeply"]);
    }

    /// Issue 12: a chain of operators builds a tree as deep as it is long, which the passes
    /// after the parser recurse over; past [`MAX_OPERATORS`] in one filter it is refused.
    #[test]
    fn operators_in_one_filter_are_bounded() {
        let chain = |n: usize| {
            format!(
                "ALLOW {{ read {{ {} }} }}",
                vec!["fd == 1"; n + 1].join(" || ")
            )
        };
        parse_ok(&chain(MAX_OPERATORS));
        assert_eq!(
            messages(&chain(MAX_OPERATORS + 1)),
            ["filter expression too long"]
        );
        // Any operator counts, and a long chain costs one message, not one per operator.
        let bits = format!(
            "ALLOW {{ read {{ (fd {}) == 1 }} }}",
            "| 1 ".repeat(100_000)
        );
        assert_eq!(messages(&bits), ["filter expression too long"]);
        let commas = format!(
            "ALLOW {{ read {{ {} }} }}",
            vec!["fd == 1"; 100_000].join(", ")
        );
        assert_eq!(messages(&commas), ["filter expression too long"]);
    }

    /// Issue 12: a file with an error per token keeps the first [`diag::MAX_DIAGNOSTICS`] and
    /// one error that counts the rest, wherever they come from (lexer or parser).
    #[test]
    fn diagnostics_past_the_cap_are_counted_not_kept() {
        let bad_args = format!("POLICY a {{ ALLOW {{ {} }} }}", "read(1), ".repeat(30_000));
        let (_, diags) = parse(FileId(0), &bad_args);
        assert_eq!(diags.len(), diag::MAX_DIAGNOSTICS + 1);
        let last = diags.last().expect("a summary");
        assert_eq!(
            last.message,
            "too many errors: 29950 more not shown after the first 50"
        );
        assert_eq!(last.left_out, 29_950);
        // 100,000 stray ':' (JSON handed to the policy parser) are lexer errors.
        let (_, diags) = parse(FileId(0), &"{\"a\":".repeat(100_000));
        assert_eq!(diags.len(), diag::MAX_DIAGNOSTICS + 1);
        assert!(diags[diag::MAX_DIAGNOSTICS].left_out > 99_000);
    }

    #[test]
    fn one_mistake_gives_one_message() {
        // A forgotten comma, then a filter that is fine.
        assert_eq!(
            messages("ALLOW { read write, open }"),
            ["expected '}' or ',' after filter, found 'write'"]
        );
        // A missing `}` before the next block inside a policy, and its `}` later.
        assert_eq!(
            messages("POLICY p { ALLOW { read, KILL { ptrace } }\n}\nDEFAULT KILL"),
            ["expected a syscall name or '}', found 'KILL'"]
        );
        // An error inside an expression skips the rest of that filter only.
        assert_eq!(
            messages("ALLOW { write { fd == }, read }\nDEFAULT KILL"),
            ["expected a number, a name or '(', found '}'"]
        );
        assert_eq!(
            messages("ALLOW { write { (fd == 1 }, read } DEFAULT KILL"),
            ["expected ')', found '}'"]
        );
        assert_eq!(
            messages("ALLOW { read, 123, write }"),
            ["expected a syscall name, found '123'"]
        );
        // A stray character is reported once, by the lexer.
        assert_eq!(
            messages("ALLOW { write { fd = 1 } }"),
            ["unexpected character '='"]
        );
        assert_eq!(
            messages("ALLOW { read } }\nDEFAULT KILL"),
            ["expected a policy item (#define, #include, POLICY, USE, DEFAULT or an action block), found '}'"]
        );
    }

    #[test]
    fn misspelt_keywords_get_a_hint() {
        let (_, diags) = parse(FileId(0), "ALOW { read }\nDEFAULT allow");
        let got: Vec<_> = diags
            .iter()
            .map(|d| (d.message.as_str(), d.label.as_str()))
            .collect();
        assert_eq!(
            got,
            [
                ("expected an action (ALLOW, LOG, KILL, KILL_PROCESS, DENY, USER_NOTIF, ERRNO(n), TRAP(n), TRACE(n)), found 'ALOW'", "did you mean 'ALLOW'?"),
                ("expected an action (ALLOW, LOG, KILL, KILL_PROCESS, DENY, USER_NOTIF, ERRNO(n), TRAP(n), TRACE(n)), found 'allow'", "keywords are uppercase: 'ALLOW'"),
            ]
        );
    }

    #[test]
    fn golden_unterminated_comment() {
        insta::assert_snapshot!(errors("ALLOW { read }\n/* the rest\nDEFAULT KILL\n"));
    }

    #[test]
    fn golden_missing_close_brace() {
        insta::assert_snapshot!(errors(
            "POLICY base {\n  ALLOW {\n    read,\n    write\n}\nDEFAULT KILL\n"
        ));
    }

    #[test]
    fn golden_bad_action() {
        insta::assert_snapshot!(errors("ALLOW { read }\nDEFAULT ACCEPT\n"));
    }

    #[test]
    fn golden_errno_without_value() {
        insta::assert_snapshot!(errors("ERRNO { ptrace }\nDEFAULT ALLOW\n"));
    }

    #[test]
    fn golden_number_out_of_range() {
        insta::assert_snapshot!(errors(
            "ALLOW {\n  write { fd == 0x10000000000000000 }\n}\n"
        ));
    }

    #[test]
    fn golden_stray_character() {
        insta::assert_snapshot!(errors("ALLOW { read @ }\nDEFAULT KILL\n"));
    }

    #[test]
    fn golden_hash_junk() {
        insta::assert_snapshot!(errors("#pragma once\n#defne X 1\nDEFAULT KILL\n"));
    }

    #[test]
    fn golden_unterminated_include() {
        insta::assert_snapshot!(errors(
            "#include \"base.policy\" ALLOW { read }\n#include \"net.policy\n#include\nDEFAULT KILL\n"
        ));
    }

    #[test]
    fn golden_several_errors() {
        insta::assert_snapshot!(errors(
            "#define MAX 99999999999999999999\n\
             POLICY a {\n  ALLOW { read write },\n  FOO { x }\n}\n\
             ALLOW {\n  open(path, flags) { flags & 3 == }\n  close\n}\n\
             DEFAULT ERRNO(\n"
        ));
    }

    fn valid_policy() -> &'static str {
        "#define AF_INET 2\n\
         // comment\n\
         POLICY net { ALLOW { socket(domain, type, protocol) { domain == AF_INET && (type & 0xf) == 1 } } }\n\
         POLICY base { ALLOW { read, write { fd == 1 || fd == 2, !(fd > 3) }, SYSCALL[231] ON x86_64 }, USE net }\n\
         /* block */ USE base ERRNO(1) { ptrace } DEFAULT KILL\n"
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        #[test]
        fn never_panics_on_random_text(text in "\\PC{0,200}") {
            let _ = parse(FileId(0), &text);
        }

        #[test]
        fn never_panics_on_policy_like_text(
            text in "([A-Z_]{1,6}|[a-z]{1,4}|[0-9x]{1,4}|[-(){}\\[\\],;!=<>|&#\"/* \n]){0,80}"
        ) {
            let _ = parse(FileId(0), &text);
        }

        #[test]
        fn never_panics_on_mutated_policy(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), 0usize..8, "\\PC{0,4}"), 1..6)
        ) {
            let mut text = valid_policy().to_owned();
            for (at, del, ins) in edits {
                let mut start = at.index(text.len() + 1);
                while !text.is_char_boundary(start) {
                    start -= 1;
                }
                let mut end = (start + del).min(text.len());
                while !text.is_char_boundary(end) {
                    end += 1;
                }
                text.replace_range(start..end, &ins);
            }
            let (file, diags) = parse(FileId(0), &text);
            for d in &diags {
                prop_assert!(d.span.start <= d.span.end && d.span.end <= text.len());
            }
            // Errors or not, what parsed has spans inside the text.
            for item in &file.items {
                let span = match item {
                    Item::Define { span, .. }
                    | Item::Include { span, .. }
                    | Item::Policy { span, .. }
                    | Item::Default { span, .. } => *span,
                    Item::Statement(Statement::Use { span, .. }) => *span,
                    Item::Statement(Statement::Block(b)) => b.span,
                };
                prop_assert!(span.start <= span.end && span.end <= text.len());
            }
        }
    }

    #[test]
    fn valid_policy_parses() {
        parse_ok(valid_policy());
    }
}
