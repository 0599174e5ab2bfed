//! Go's printing, as `text/template` uses it: `fmt`'s `%v` (what an action prints), `Sprint`,
//! `Sprintln`, `Sprintf`, `encoding/json`'s `Marshal` (podman's `json` function), and the
//! escapers `html`, `js` and `urlquery`.

use std::fmt::Write as _;

use serde_json::Value;

use crate::value::{as_num, is_struct, type_name, Num, Val};

/// Decimal digits of a float: `0.digits × 10^dp`, no trailing zeros (Go's `decimal`).
struct Digits {
    neg: bool,
    digits: Vec<u8>,
    dp: i32,
}

/// Parses Rust's `{:e}` output (`-1.2345e-7`) into digits.
fn digits_from_sci(s: &str) -> Digits {
    let (neg, s) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s),
    };
    let (mant, exp) = s.split_once('e').unwrap_or((s, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let mut digits: Vec<u8> = mant.bytes().filter(u8::is_ascii_digit).collect();
    while digits.len() > 1 && digits.last() == Some(&b'0') {
        digits.pop();
    }
    if digits == [b'0'] {
        return Digits {
            neg,
            digits: Vec::new(),
            dp: 0,
        };
    }
    Digits {
        neg,
        digits,
        dp: exp + 1,
    }
}

fn shortest(f: f64) -> Digits {
    digits_from_sci(&format!("{f:e}"))
}

fn rounded(f: f64, sig: usize) -> Digits {
    digits_from_sci(&format!("{:.*e}", sig.saturating_sub(1), f))
}

fn digit_at(d: &Digits, i: i32) -> u8 {
    usize::try_from(i)
        .ok()
        .and_then(|i| d.digits.get(i).copied())
        .unwrap_or(b'0')
}

/// Go's `fmtE`: `d.ddde±XX` with `prec` digits after the point.
fn fmt_e(d: &Digits, prec: usize, upper: bool) -> String {
    let mut s = String::new();
    if d.neg {
        s.push('-');
    }
    s.push(char::from(digit_at(d, 0)));
    if prec > 0 {
        s.push('.');
        for i in 1..=prec {
            s.push(char::from(digit_at(
                d,
                i32::try_from(i).unwrap_or(i32::MAX),
            )));
        }
    }
    let exp = if d.digits.is_empty() { 0 } else { d.dp - 1 };
    s.push(if upper { 'E' } else { 'e' });
    s.push(if exp < 0 { '-' } else { '+' });
    let _ = write!(s, "{:02}", exp.unsigned_abs());
    s
}

/// Go's `fmtF`: integer part, then `prec` digits after the point.
fn fmt_f(d: &Digits, prec: usize) -> String {
    let mut s = String::new();
    if d.neg {
        s.push('-');
    }
    if d.dp > 0 {
        for i in 0..d.dp {
            s.push(char::from(digit_at(d, i)));
        }
    } else {
        s.push('0');
    }
    if prec > 0 {
        s.push('.');
        for i in 0..i32::try_from(prec).unwrap_or(i32::MAX) {
            s.push(char::from(digit_at(d, d.dp + i)));
        }
    }
    s
}

fn special_float(f: f64) -> Option<String> {
    if f.is_nan() {
        Some("NaN".into())
    } else if f.is_infinite() {
        Some(if f < 0.0 { "-Inf" } else { "+Inf" }.into())
    } else {
        None
    }
}

/// Go's `strconv.FormatFloat(f, 'g', prec, 64)` (prec `None` = shortest), which `%v` uses.
pub(crate) fn format_g(f: f64, prec: Option<usize>, upper: bool) -> String {
    if let Some(s) = special_float(f) {
        return s;
    }
    let (d, eprec, p) = match prec {
        None => {
            let d = shortest(f);
            let nd = d.digits.len();
            (d, 6i32, nd)
        }
        Some(p) => {
            let p = p.max(1);
            let d = rounded(f, p);
            let nd = i32::try_from(d.digits.len()).unwrap_or(i32::MAX);
            let mut eprec = i32::try_from(p).unwrap_or(i32::MAX);
            if eprec > nd && nd >= d.dp {
                eprec = nd;
            }
            (d, eprec, p)
        }
    };
    let nd = d.digits.len();
    let exp = if d.digits.is_empty() { 0 } else { d.dp - 1 };
    if exp < -4 || exp >= eprec {
        let p = p.min(nd.max(1));
        return fmt_e(&d, p.saturating_sub(1), upper);
    }
    let dp = usize::try_from(d.dp.max(0)).unwrap_or(0);
    let p = if p > dp { nd } else { p };
    fmt_f(&d, p.saturating_sub(dp))
}

pub(crate) fn format_e(f: f64, prec: usize, upper: bool) -> String {
    if let Some(s) = special_float(f) {
        return s;
    }
    fmt_e(&rounded(f, prec + 1), prec, upper)
}

pub(crate) fn format_f(f: f64, prec: usize) -> String {
    if let Some(s) = special_float(f) {
        return s;
    }
    let s = format!("{f:.prec$}");
    // Rust prints -0.0 as "-0"; Go too, so nothing to fix.
    s
}

/// Go's `%x` of a float: `-0x1.cp+01`, shortest hexadecimal mantissa.
fn hex_float(x: f64, upper: bool) -> String {
    if let Some(s) = special_float(x) {
        return s;
    }
    let bits = x.to_bits();
    let neg = bits >> 63 == 1;
    let exp_bits = i32::try_from((bits >> 52) & 0x7ff).unwrap_or(0);
    let mut mant = bits & ((1u64 << 52) - 1);
    let exp = if exp_bits == 0 {
        if mant == 0 {
            0
        } else {
            // Subnormal: normalize so the leading 1 sits at bit 52.
            let mut e = -1022;
            while mant & (1u64 << 52) == 0 {
                mant <<= 1;
                e -= 1;
            }
            mant &= (1u64 << 52) - 1;
            e
        }
    } else {
        exp_bits - 1023
    };
    let lead = u8::from(exp_bits != 0 || mant != 0);
    let mut frac = format!("{mant:013x}");
    while frac.ends_with('0') {
        frac.pop();
    }
    let mut s = format!(
        "{}0x{lead}{}{frac}p{}{:02}",
        if neg { "-" } else { "" },
        if frac.is_empty() { "" } else { "." },
        if exp < 0 { '-' } else { '+' },
        exp.unsigned_abs()
    );
    if upper {
        s = s.to_uppercase();
    }
    s
}

/// `%v` of a value: what an action prints.
pub(crate) fn print_value(v: &Val<'_>) -> String {
    match v {
        Val::NoValue => "<no value>".into(),
        Val::Json(j) => value_v(j),
    }
}

fn value_v(v: &Value) -> String {
    let mut s = String::new();
    write_v(&mut s, v);
    s
}

fn write_v(s: &mut String, v: &Value) {
    match v {
        Value::Null => s.push_str("<nil>"),
        Value::Bool(b) => s.push_str(if *b { "true" } else { "false" }),
        Value::Number(_) => match as_num(v) {
            Some(Num::Float(f)) => s.push_str(&format_g(f, None, false)),
            Some(Num::Int(i)) => {
                let _ = write!(s, "{i}");
            }
            Some(Num::Uint(u)) => {
                let _ = write!(s, "{u}");
            }
            None => {}
        },
        Value::String(x) => s.push_str(x),
        Value::Array(a) => {
            s.push('[');
            for (i, e) in a.iter().enumerate() {
                if i > 0 {
                    s.push(' ');
                }
                write_v(s, e);
            }
            s.push(']');
        }
        Value::Object(m) if is_struct(m) => {
            s.push('{');
            for (i, e) in m.values().enumerate() {
                if i > 0 {
                    s.push(' ');
                }
                write_v(s, e);
            }
            s.push('}');
        }
        Value::Object(m) => {
            s.push_str("map[");
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    s.push(' ');
                }
                s.push_str(k);
                s.push(':');
                write_v(s, &m[k]);
            }
            s.push(']');
        }
    }
}

fn is_string(v: &Val<'_>) -> bool {
    matches!(v.json(), Some(Value::String(_)))
}

/// Go's `fmt.Sprint`: a space between operands when neither is a string.
pub(crate) fn sprint(args: &[Val<'_>]) -> String {
    let mut s = String::new();
    for (i, a) in args.iter().enumerate() {
        if i > 0 && !is_string(a) && !is_string(&args[i - 1]) {
            s.push(' ');
        }
        s.push_str(&arg_v(a));
    }
    s
}

/// Go's `fmt.Sprintln`: spaces between all operands, and a newline.
pub(crate) fn sprintln(args: &[Val<'_>]) -> String {
    let parts: Vec<String> = args.iter().map(arg_v).collect();
    let mut s = parts.join(" ");
    s.push('\n');
    s
}

/// `%v` of a function argument: Go passes an invalid value as a nil interface.
fn arg_v(v: &Val<'_>) -> String {
    match v {
        Val::NoValue => "<nil>".into(),
        Val::Json(j) => value_v(j),
    }
}

/// Go's `fmt` bound on a width or precision.
const MAX_WIDTH: usize = 1_000_000;

#[derive(Default, Clone, Copy)]
struct Flags {
    minus: bool,
    plus: bool,
    sharp: bool,
    zero: bool,
    space: bool,
    width: Option<usize>,
    prec: Option<usize>,
}

/// Go's `fmt.Sprintf`, for the verbs and flags templates use, with Go's error markers
/// (`%!d(string=x)`, `%!d(MISSING)`, `%!(EXTRA int=2)`).
pub(crate) fn sprintf(format: &str, args: &[Val<'_>]) -> String {
    let mut out = String::new();
    let mut argi = 0;
    let mut chars = format.chars().peekable();
    while let Some(c) = chars.next() {
        if c != '%' {
            out.push(c);
            continue;
        }
        let mut f = Flags::default();
        while let Some(&c) = chars.peek() {
            match c {
                '-' => f.minus = true,
                '+' => f.plus = true,
                '#' => f.sharp = true,
                '0' => f.zero = true,
                ' ' => f.space = true,
                _ => break,
            }
            chars.next();
        }
        let num = |chars: &mut std::iter::Peekable<std::str::Chars<'_>>, argi: &mut usize| {
            if chars.peek() == Some(&'*') {
                chars.next();
                let v = args.get(*argi).and_then(crate::value::as_int);
                *argi += 1;
                return v.and_then(|v| usize::try_from(v).ok());
            }
            let mut n: Option<usize> = None;
            while let Some(d) = chars.peek().and_then(|c| c.to_digit(10)) {
                n = Some(n.unwrap_or(0).saturating_mul(10).saturating_add(d as usize));
                chars.next();
            }
            n
        };
        f.width = num(&mut chars, &mut argi);
        // Go refuses a width or precision above 10^6 (it would only exhaust memory).
        if f.width.is_some_and(|w| w > MAX_WIDTH) {
            out.push_str("%!(BADWIDTH)");
            f.width = None;
        }
        if chars.peek() == Some(&'.') {
            chars.next();
            f.prec = Some(num(&mut chars, &mut argi).unwrap_or(0));
            if f.prec.is_some_and(|p| p > MAX_WIDTH) {
                out.push_str("%!(BADPREC)");
                f.prec = None;
            }
        }
        let Some(verb) = chars.next() else {
            out.push_str("%!(NOVERB)");
            break;
        };
        if verb == '%' {
            out.push('%');
            continue;
        }
        let Some(arg) = args.get(argi) else {
            let _ = write!(out, "%!{verb}(MISSING)");
            continue;
        };
        argi += 1;
        out.push_str(&format_arg(arg, verb, f));
    }
    if argi < args.len() {
        out.push_str("%!(EXTRA ");
        let extra: Vec<String> = args[argi..]
            .iter()
            .map(|a| match a.json() {
                None | Some(Value::Null) => "<nil>".to_string(),
                Some(_) => format!("{}={}", type_name(a), print_value(a)),
            })
            .collect();
        out.push_str(&extra.join(", "));
        out.push(')');
    }
    out
}

fn pad(s: String, f: Flags, numeric: bool) -> String {
    let Some(w) = f.width else { return s };
    let len = s.chars().count();
    if len >= w {
        return s;
    }
    let fill = w - len;
    if f.minus {
        return s + &" ".repeat(fill);
    }
    if f.zero {
        // Zeros go after the sign of a number.
        if numeric && (s.starts_with('-') || s.starts_with('+') || s.starts_with(' ')) {
            let (sign, rest) = s.split_at(1);
            return format!("{sign}{}{rest}", "0".repeat(fill));
        }
        return "0".repeat(fill) + &s;
    }
    " ".repeat(fill) + &s
}

fn bad_verb(arg: &Val<'_>, verb: char) -> String {
    match arg.json() {
        None | Some(Value::Null) => format!("%!{verb}(<nil>)"),
        Some(_) => format!("%!{verb}({}={})", type_name(arg), print_value(arg)),
    }
}

fn sign(s: String, f: Flags, neg: bool) -> String {
    if neg {
        s
    } else if f.plus {
        format!("+{s}")
    } else if f.space {
        format!(" {s}")
    } else {
        s
    }
}

fn format_int(i: i128, verb: char, f: Flags) -> Option<String> {
    let neg = i < 0;
    let a = i.unsigned_abs();
    let mut digits = match verb {
        'd' | 'v' => a.to_string(),
        'b' => format!("{a:b}"),
        'o' | 'O' => format!("{a:o}"),
        'x' => format!("{a:x}"),
        'X' => format!("{a:X}"),
        'c' => return char::from_u32(u32::try_from(i).ok()?).map(|c| pad(c.to_string(), f, false)),
        'q' => {
            let c = char::from_u32(u32::try_from(i).ok()?)?;
            return Some(pad(format!("'{}'", quote_char(c, '\'')), f, false));
        }
        'U' => return Some(pad(format!("U+{a:04X}"), f, false)),
        _ => return None,
    };
    if let Some(p) = f.prec {
        if digits.len() < p {
            digits = "0".repeat(p - digits.len()) + &digits;
        }
    }
    if f.sharp {
        match verb {
            'x' => digits = format!("0x{digits}"),
            'X' => digits = format!("0X{digits}"),
            'o' => digits = format!("0{digits}"),
            'b' => digits = format!("0b{digits}"),
            _ => {}
        }
    }
    if verb == 'O' {
        digits = format!("0o{digits}");
    }
    let s = if neg { format!("-{digits}") } else { digits };
    let mut f2 = f;
    if f.prec.is_some() {
        f2.zero = false;
    }
    Some(pad(sign(s, f, neg), f2, true))
}

fn format_float(x: f64, verb: char, f: Flags) -> Option<String> {
    let s = match verb {
        'v' | 'g' => format_g(x, f.prec, false),
        'G' => format_g(x, f.prec, true),
        'e' => format_e(x, f.prec.unwrap_or(6), false),
        'E' => format_e(x, f.prec.unwrap_or(6), true),
        'f' | 'F' => format_f(x, f.prec.unwrap_or(6)),
        'x' | 'X' if f.prec.is_none() => hex_float(x, verb == 'X'),
        _ => return None,
    };
    let neg = s.starts_with('-');
    Some(pad(sign(s, f, neg), f, true))
}

fn format_str(s: &str, verb: char, f: Flags) -> Option<String> {
    let s: String = match f.prec {
        Some(p) if matches!(verb, 's' | 'v' | 'q') => s.chars().take(p).collect(),
        _ => s.to_string(),
    };
    let out = match verb {
        's' | 'v' => s,
        'q' => quote(&s),
        'x' | 'X' => {
            let hex: Vec<String> = s
                .bytes()
                .map(|b| {
                    if verb == 'x' {
                        format!("{b:02x}")
                    } else {
                        format!("{b:02X}")
                    }
                })
                .collect();
            // `% x` puts a space between the bytes.
            hex.join(if f.space { " " } else { "" })
        }
        _ => return None,
    };
    Some(pad(out, f, false))
}

fn format_arg(arg: &Val<'_>, verb: char, f: Flags) -> String {
    if verb == 'T' {
        return pad(type_name(arg), f, false);
    }
    let Some(v) = arg.json() else {
        return if verb == 'v' {
            pad("<nil>".into(), f, false)
        } else {
            bad_verb(arg, verb)
        };
    };
    if verb == 'v' && f.sharp {
        if let Some(s) = go_syntax(v) {
            return pad(s, f, false);
        }
    }
    let done = match v {
        Value::Null => (verb == 'v').then(|| pad("<nil>".into(), f, false)),
        Value::Bool(b) => matches!(verb, 't' | 'v').then(|| pad(b.to_string(), f, false)),
        Value::Number(_) => match as_num(v) {
            Some(Num::Int(i)) => format_int(i128::from(i), verb, f),
            Some(Num::Uint(u)) => format_int(i128::from(u), verb, f),
            Some(Num::Float(x)) => format_float(x, verb, f),
            None => None,
        },
        Value::String(s) => format_str(s, verb, f),
        Value::Array(a) => {
            let parts: Vec<String> = a
                .iter()
                .map(|e| format_arg(&Val::Json(std::borrow::Cow::Borrowed(e)), verb, f))
                .collect();
            Some(format!("[{}]", parts.join(" ")))
        }
        Value::Object(m) if is_struct(m) => {
            let parts: Vec<String> = m
                .iter()
                .map(|(k, e)| {
                    let v = format_arg(&Val::Json(std::borrow::Cow::Borrowed(e)), verb, f);
                    if f.plus {
                        format!("{k}:{v}")
                    } else {
                        v
                    }
                })
                .collect();
            Some(format!("{{{}}}", parts.join(" ")))
        }
        Value::Object(m) => {
            let mut keys: Vec<&String> = m.keys().collect();
            keys.sort();
            let parts: Vec<String> = keys
                .into_iter()
                .map(|k| {
                    let key = format_str(k, verb, f).unwrap_or_else(|| k.clone());
                    let v = format_arg(&Val::Json(std::borrow::Cow::Borrowed(&m[k])), verb, f);
                    format!("{key}:{v}")
                })
                .collect();
            Some(format!("map[{}]", parts.join(" ")))
        }
    };
    done.unwrap_or_else(|| bad_verb(arg, verb))
}

/// `%#v` for the values whose Go syntax the JSON determines: strings, and lists of strings.
fn go_syntax(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(quote(s)),
        Value::Array(a) if a.iter().all(Value::is_string) => {
            let items: Vec<String> = a.iter().filter_map(Value::as_str).map(quote).collect();
            Some(format!("[]string{{{}}}", items.join(", ")))
        }
        _ => None,
    }
}

fn quote_char(c: char, quote: char) -> String {
    match c {
        '\u{7}' => "\\a".into(),
        '\u{8}' => "\\b".into(),
        '\u{c}' => "\\f".into(),
        '\n' => "\\n".into(),
        '\r' => "\\r".into(),
        '\t' => "\\t".into(),
        '\u{b}' => "\\v".into(),
        '\\' => "\\\\".into(),
        c if c == quote => format!("\\{c}"),
        c if u32::from(c) < 0x20 || c == '\u{7f}' => format!("\\x{:02x}", u32::from(c)),
        c if c.is_control() => {
            if u32::from(c) > 0xffff {
                format!("\\U{:08x}", u32::from(c))
            } else {
                format!("\\u{:04x}", u32::from(c))
            }
        }
        c => c.to_string(),
    }
}

/// Go's `strconv.Quote`.
pub(crate) fn quote(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        out.push_str(&quote_char(c, '"'));
    }
    out.push('"');
    out
}

/// Go's `encoding/json` with `SetEscapeHTML(false)`, compact (podman's `json` function).
pub(crate) fn json(v: &Val<'_>) -> String {
    let mut s = String::new();
    match v.json() {
        None => s.push_str("null"),
        Some(j) => write_json(&mut s, j),
    }
    s
}

fn write_json(s: &mut String, v: &Value) {
    match v {
        Value::Null => s.push_str("null"),
        Value::Bool(b) => s.push_str(if *b { "true" } else { "false" }),
        Value::Number(_) => match as_num(v) {
            Some(Num::Float(f)) => s.push_str(&json_float(f)),
            Some(Num::Int(i)) => {
                let _ = write!(s, "{i}");
            }
            Some(Num::Uint(u)) => {
                let _ = write!(s, "{u}");
            }
            None => {}
        },
        Value::String(x) => json_string(s, x),
        Value::Array(a) => {
            s.push('[');
            for (i, e) in a.iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                write_json(s, e);
            }
            s.push(']');
        }
        Value::Object(m) => {
            // Go marshals a struct in field order and a map in key order.
            let mut keys: Vec<&String> = m.keys().collect();
            if !is_struct(m) {
                keys.sort();
            }
            s.push('{');
            for (i, k) in keys.into_iter().enumerate() {
                if i > 0 {
                    s.push(',');
                }
                json_string(s, k);
                s.push(':');
                write_json(s, &m[k]);
            }
            s.push('}');
        }
    }
}

/// Go's JSON float: shortest digits, `%f` form unless the exponent is below -6 or at least 21.
fn json_float(f: f64) -> String {
    let a = f.abs();
    if a != 0.0 && !(1e-6..1e21).contains(&a) {
        let d = shortest(f);
        let s = fmt_e(&d, d.digits.len().saturating_sub(1), false);
        // Go writes e-07 as e-7.
        if let Some(i) = s.find("e-0") {
            return format!("{}e-{}", &s[..i], &s[i + 3..]);
        }
        if let Some(i) = s.find("e+0") {
            return format!("{}e+{}", &s[..i], &s[i + 3..]);
        }
        return s;
    }
    let d = shortest(f);
    let frac = usize::try_from(i32::try_from(d.digits.len()).unwrap_or(0) - d.dp).unwrap_or(0);
    fmt_f(&d, frac)
}

fn json_string(s: &mut String, x: &str) {
    s.push('"');
    for c in x.chars() {
        match c {
            '"' => s.push_str("\\\""),
            '\\' => s.push_str("\\\\"),
            '\n' => s.push_str("\\n"),
            '\r' => s.push_str("\\r"),
            '\t' => s.push_str("\\t"),
            '\u{2028}' => s.push_str("\\u2028"),
            '\u{2029}' => s.push_str("\\u2029"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(s, "\\u{:04x}", u32::from(c));
            }
            c => s.push(c),
        }
    }
    s.push('"');
}

/// `text/template`'s `HTMLEscapeString`.
pub(crate) fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '"' => out.push_str("&#34;"),
            '\'' => out.push_str("&#39;"),
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '\0' => out.push('\u{FFFD}'),
            c => out.push(c),
        }
    }
    out
}

/// `text/template`'s `JSEscapeString`.
pub(crate) fn js_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            '\'' => out.push_str("\\'"),
            '"' => out.push_str("\\\""),
            '<' => out.push_str("\\u003C"),
            '>' => out.push_str("\\u003E"),
            '&' => out.push_str("\\u0026"),
            '=' => out.push_str("\\u003D"),
            c if u32::from(c) < 0x20 => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c if !c.is_ascii() && !is_print(c) => {
                let _ = write!(out, "\\u{:04X}", u32::from(c));
            }
            c => out.push(c),
        }
    }
    out
}

/// Go's `unicode.IsPrint` for non-ASCII characters, approximately: controls, format characters
/// and separators other than the ASCII space are not printable.
fn is_print(c: char) -> bool {
    !(c.is_control()
        || (c.is_whitespace() && c != ' ')
        || matches!(c, '\u{ad}' | '\u{200b}'..='\u{200f}' | '\u{202a}'..='\u{202e}' | '\u{2060}'..='\u{2064}' | '\u{feff}'))
}

/// `net/url`'s `QueryEscape`.
pub(crate) fn url_query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(char::from(b));
            }
            b' ' => out.push('+'),
            b => {
                let _ = write!(out, "%{b:02X}");
            }
        }
    }
    out
}

/// Go's `strings.Title`: the first letter of each word upper-cased.
pub(crate) fn title(s: &str) -> String {
    let is_sep = |c: char| {
        if c.is_ascii() {
            !(c.is_ascii_alphanumeric() || c == '_')
        } else {
            c.is_whitespace()
        }
    };
    let mut prev_sep = true;
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if prev_sep {
            out.extend(c.to_uppercase());
        } else {
            out.push(c);
        }
        prev_sep = is_sep(c);
    }
    out
}
