//! The syntax tree of a policy file, as written (before `#include`, `#define` and `USE` are
//! resolved). Every node keeps its [`Span`] so later passes can point at it, and enough of the
//! original spelling (number literals, `,` versus `||`, parentheses, comments) for `fmt` to
//! print it back faithfully.

use crate::source::Span;

/// An identifier and where it was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Ident {
    pub name: String,
    pub span: Span,
}

/// A number literal: its value (negative decimals are two's complement, as `strtoull` reads
/// them in Kafel) and its spelling (`0x10`, `0b101`, `-1`, `017`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Number {
    pub value: u64,
    pub text: String,
    pub span: Span,
}

/// A comment, kept for the formatter. `text` includes the delimiters (`// ...`, `/* ... */`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Comment {
    pub text: String,
    pub span: Span,
}

/// One parsed file.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct File {
    pub items: Vec<Item>,
    /// Every comment in the file, in source order.
    pub comments: Vec<Comment>,
    /// Byte offset of every line feed in the file. The formatter needs the layout the spans
    /// alone do not give: whether a comment trails code on its line, and where blank lines were.
    pub newlines: Vec<usize>,
}

/// A top-level statement.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Item {
    /// `#define NAME NUMBER`.
    Define {
        name: Ident,
        value: Number,
        span: Span,
    },
    /// `#include "a.policy" "b.policy"` (Kafel allows several names, ended by a newline or `;`).
    Include { paths: Vec<IncludePath>, span: Span },
    /// `POLICY name { statements }`.
    Policy {
        name: Ident,
        body: Vec<Statement>,
        span: Span,
    },
    /// A statement of the implicit main policy: `ALLOW { read }`, `USE name`.
    Statement(Statement),
    /// `DEFAULT action`.
    Default { action: Action, span: Span },
}

/// A quoted include path.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct IncludePath {
    pub path: String,
    pub span: Span,
}

/// A statement inside a policy (or at top level).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Statement {
    /// `USE name`.
    Use { name: Ident, span: Span },
    /// `ACTION { filter, filter, ... }`.
    Block(ActionBlock),
}

/// `ACTION { filters }`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActionBlock {
    pub action: Action,
    pub filters: Vec<Filter>,
    pub span: Span,
}

/// The action keywords.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ActionKind {
    Allow,
    Log,
    /// `KILL` and `KILL_THREAD`: kill the calling thread.
    Kill,
    /// Kafel's synonym of `KILL`.
    Deny,
    KillProcess,
    UserNotif,
    Errno,
    Trap,
    Trace,
}

impl ActionKind {
    /// The keyword as written canonically.
    #[must_use]
    pub fn keyword(self) -> &'static str {
        match self {
            ActionKind::Allow => "ALLOW",
            ActionKind::Log => "LOG",
            ActionKind::Kill => "KILL",
            ActionKind::Deny => "DENY",
            ActionKind::KillProcess => "KILL_PROCESS",
            ActionKind::UserNotif => "USER_NOTIF",
            ActionKind::Errno => "ERRNO",
            ActionKind::Trap => "TRAP",
            ActionKind::Trace => "TRACE",
        }
    }

    /// Whether the action takes a value in parentheses: `ERRNO(n)`, `TRAP(n)`, `TRACE(n)`.
    #[must_use]
    pub fn takes_value(self) -> bool {
        matches!(
            self,
            ActionKind::Errno | ActionKind::Trap | ActionKind::Trace
        )
    }
}

/// An action as written: keyword, optional value, span of the whole thing.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Action {
    pub kind: ActionKind,
    /// The keyword as written (`KILL_THREAD` is read as [`ActionKind::Kill`]).
    pub keyword: String,
    /// `ERRNO(n)`: a number or a `#define`d constant.
    pub value: Option<Value>,
    pub span: Span,
}

/// A number or a constant name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Value {
    Number(Number),
    Ident(Ident),
}

impl Value {
    #[must_use]
    pub fn span(&self) -> Span {
        match self {
            Value::Number(n) => n.span,
            Value::Ident(i) => i.span,
        }
    }
}

/// One syscall filter inside an action block.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Filter {
    pub syscall: SyscallRef,
    /// `read(fd, buf, count)`: names given to the arguments, in order (`Some(vec![])` for `read()`).
    pub params: Option<Vec<Ident>>,
    /// `ON x86_64` or `ON { x86_64, aarch64 }` (an rpod extension).
    pub arches: Option<Vec<Ident>>,
    /// `{ expr }`; `None` for a bare syscall or empty braces.
    pub expr: Option<Expr>,
    pub span: Span,
}

/// Which syscall a filter is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyscallRef {
    /// A syscall name, or a `#define`d constant holding a number.
    Name(Ident),
    /// `SYSCALL[number]` (the number may be a constant).
    Number { value: Value, span: Span },
}

impl SyscallRef {
    #[must_use]
    pub fn span(&self) -> Span {
        match self {
            SyscallRef::Name(i) => i.span,
            SyscallRef::Number { span, .. } => *span,
        }
    }
}

/// Comparison operators; comparisons are unsigned 64-bit.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum CmpOp {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

impl CmpOp {
    #[must_use]
    pub fn symbol(self) -> &'static str {
        match self {
            CmpOp::Eq => "==",
            CmpOp::Ne => "!=",
            CmpOp::Lt => "<",
            CmpOp::Le => "<=",
            CmpOp::Gt => ">",
            CmpOp::Ge => ">=",
        }
    }

    /// `a op b` == `b op.swapped() a`.
    #[must_use]
    pub fn swapped(self) -> CmpOp {
        match self {
            CmpOp::Eq => CmpOp::Eq,
            CmpOp::Ne => CmpOp::Ne,
            CmpOp::Lt => CmpOp::Gt,
            CmpOp::Le => CmpOp::Ge,
            CmpOp::Gt => CmpOp::Lt,
            CmpOp::Ge => CmpOp::Le,
        }
    }

    #[must_use]
    pub fn eval(self, a: u64, b: u64) -> bool {
        match self {
            CmpOp::Eq => a == b,
            CmpOp::Ne => a != b,
            CmpOp::Lt => a < b,
            CmpOp::Le => a <= b,
            CmpOp::Gt => a > b,
            CmpOp::Ge => a >= b,
        }
    }
}

/// A boolean expression. Precedence, loosest first: `,`, `||`, `&&`, `!`, comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Expr {
    Cmp {
        op: CmpOp,
        lhs: Operand,
        rhs: Operand,
        span: Span,
    },
    And(Box<Expr>, Box<Expr>),
    /// `a || b`, or `a, b` when `comma` (same meaning, kept for the formatter).
    Or {
        lhs: Box<Expr>,
        rhs: Box<Expr>,
        comma: bool,
    },
    Not {
        expr: Box<Expr>,
        span: Span,
    },
    /// `( expr )`, kept for the formatter.
    Paren {
        expr: Box<Expr>,
        span: Span,
    },
}

impl Expr {
    #[must_use]
    pub fn span(&self) -> Span {
        match self {
            Expr::Cmp { span, .. } | Expr::Not { span, .. } | Expr::Paren { span, .. } => *span,
            Expr::And(a, b) => a.span().to(b.span()),
            Expr::Or { lhs, rhs, .. } => lhs.span().to(rhs.span()),
        }
    }
}

/// A value compared: `&` binds tighter than `|`, both tighter than comparisons.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Operand {
    Number(Number),
    /// An argument name or a constant.
    Ident(Ident),
    BitAnd(Box<Operand>, Box<Operand>),
    BitOr(Box<Operand>, Box<Operand>),
    Paren {
        inner: Box<Operand>,
        span: Span,
    },
}

impl Operand {
    #[must_use]
    pub fn span(&self) -> Span {
        match self {
            Operand::Number(n) => n.span,
            Operand::Ident(i) => i.span,
            Operand::BitAnd(a, b) | Operand::BitOr(a, b) => a.span().to(b.span()),
            Operand::Paren { span, .. } => *span,
        }
    }
}
