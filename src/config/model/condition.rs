//! Conditions: `if="${x}"` plus one operator attribute, on `<success>`, `<error>` (and later tasks).
//!
//! Both sides are expanded, then split on the endpoint's multiple-value separator with Java `String.split`
//! semantics (trailing empty pieces dropped, a string of only separators gives no pieces), then compared.

use std::cmp::Ordering;

use super::template::Template;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operator {
    Equals,
    NotEquals,
    IsEmpty(bool),
    HasMultiple(bool),
    Gt,
    Ge,
    Lt,
    Le,
}

/// Every attribute a condition may use: `if` and the operators.
pub const CONDITION_ATTRIBUTES: [&str; 9] = [
    "if",
    "equals",
    "notequals",
    "isempty",
    "hasmultiple",
    "gt",
    "ge",
    "lt",
    "le",
];

/// The operator attributes, in the order the reference gives them precedence: all but `if`.
pub const OPERATOR_ATTRIBUTES: &[&str] = CONDITION_ATTRIBUTES.split_at(1).1;

#[derive(Debug, Clone)]
pub struct Condition {
    pub left: Template,
    pub operator: Operator,
    /// The right-hand side; `None` for `isempty` and `hasmultiple`.
    pub right: Option<Template>,
}

impl Condition {
    pub fn evaluate<S: AsRef<str>>(&self, values: &[S], separator: &str) -> bool {
        let left = self.left.expand(values);
        let l = java_split(&left, separator);
        match self.operator {
            Operator::IsEmpty(want) => l.iter().all(|s| s.is_empty()) == want,
            Operator::HasMultiple(want) => (l.len() > 1) == want,
            op => {
                let right = self
                    .right
                    .as_ref()
                    .map(|r| r.expand(values))
                    .unwrap_or_default();
                let r = java_split(&right, separator);
                match op {
                    Operator::Equals => l.iter().any(|a| r.contains(a)),
                    Operator::NotEquals => !l.iter().any(|a| r.contains(a)),
                    Operator::Gt => numeric_all(&l, &r, |o| o == Ordering::Greater),
                    Operator::Ge => numeric_all(&l, &r, |o| o != Ordering::Less),
                    Operator::Lt => numeric_all(&l, &r, |o| o == Ordering::Less),
                    Operator::Le => numeric_all(&l, &r, |o| o != Ordering::Greater),
                    Operator::IsEmpty(_) | Operator::HasMultiple(_) => unreachable!(),
                }
            }
        }
    }
}

fn numeric_all(l: &[&str], r: &[&str], ok: impl Fn(Ordering) -> bool) -> bool {
    for a in l {
        let Some(da) = Decimal::parse(a) else {
            return false;
        };
        for b in r {
            let Some(db) = Decimal::parse(b) else {
                return false;
            };
            if !ok(da.cmp(&db)) {
                return false;
            }
        }
    }
    // Vacuously true when either side has no pieces.
    true
}

/// Java `String.split(Pattern.quote(sep))`: trailing empty strings removed; no separator found → the whole input.
pub fn java_split<'a>(s: &'a str, sep: &str) -> Vec<&'a str> {
    let mut parts: Vec<&str> = if sep.is_empty() {
        if s.is_empty() {
            vec![""]
        } else {
            s.char_indices()
                .map(|(i, c)| &s[i..i + c.len_utf8()])
                .collect()
        }
    } else {
        s.split(sep).collect()
    };
    if parts.len() == 1 {
        return parts; // no separator found: the input itself, even if empty
    }
    while parts.last() == Some(&"") {
        parts.pop();
    }
    parts
}

/// A decimal number as Java's `BigDecimal(String)` accepts it, for exact comparison.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Decimal {
    negative: bool,
    /// Significant digits without leading or trailing zeros; empty for zero.
    digits: Vec<u8>,
    /// Value = 0.d1d2d3… × 10^exponent.
    exponent: i64,
}

impl Decimal {
    pub fn parse(s: &str) -> Option<Decimal> {
        let b = s.as_bytes();
        let mut i = 0;
        let mut negative = false;
        if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
            negative = b[i] == b'-';
            i += 1;
        }
        let mut int_digits = Vec::new();
        while i < b.len() && b[i].is_ascii_digit() {
            int_digits.push(b[i] - b'0');
            i += 1;
        }
        let mut frac_digits = Vec::new();
        if i < b.len() && b[i] == b'.' {
            i += 1;
            while i < b.len() && b[i].is_ascii_digit() {
                frac_digits.push(b[i] - b'0');
                i += 1;
            }
        }
        if int_digits.is_empty() && frac_digits.is_empty() {
            return None;
        }
        let mut exp: i64 = 0;
        if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
            i += 1;
            let mut eneg = false;
            if i < b.len() && (b[i] == b'+' || b[i] == b'-') {
                eneg = b[i] == b'-';
                i += 1;
            }
            let start = i;
            while i < b.len() && b[i].is_ascii_digit() {
                exp = exp.checked_mul(10)?.checked_add(i64::from(b[i] - b'0'))?;
                if exp > i64::from(i32::MAX) {
                    return None;
                }
                i += 1;
            }
            if i == start {
                return None;
            }
            if eneg {
                exp = -exp;
            }
        }
        if i != b.len() {
            return None;
        }
        let int_len = int_digits.len() as i64;
        let mut digits = int_digits;
        digits.extend_from_slice(&frac_digits);
        let leading = digits.iter().take_while(|d| **d == 0).count();
        digits.drain(..leading);
        while digits.last() == Some(&0) {
            digits.pop();
        }
        let exponent = int_len - leading as i64 + exp;
        if digits.is_empty() {
            return Some(Decimal {
                negative: false,
                digits,
                exponent: 0,
            });
        }
        Some(Decimal {
            negative,
            digits,
            exponent,
        })
    }

    fn cmp_magnitude(&self, other: &Decimal) -> Ordering {
        match (self.digits.is_empty(), other.digits.is_empty()) {
            (true, true) => return Ordering::Equal,
            (true, false) => return Ordering::Less,
            (false, true) => return Ordering::Greater,
            _ => {}
        }
        self.exponent
            .cmp(&other.exponent)
            .then_with(|| self.digits.cmp(&other.digits))
    }
}

impl Ord for Decimal {
    fn cmp(&self, other: &Decimal) -> Ordering {
        let sign = |d: &Decimal| -> i8 {
            if d.digits.is_empty() {
                0
            } else if d.negative {
                -1
            } else {
                1
            }
        };
        let (sa, sb) = (sign(self), sign(other));
        if sa != sb {
            return sa.cmp(&sb);
        }
        let m = self.cmp_magnitude(other);
        if sa < 0 {
            m.reverse()
        } else {
            m
        }
    }
}

impl PartialOrd for Decimal {
    fn partial_cmp(&self, other: &Decimal) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

#[cfg(test)]
mod tests {
    use super::super::template::Scope;
    use super::*;

    fn cond(op: Operator, right: &str) -> Condition {
        let scope = Scope::new(["foo"]);
        Condition {
            left: Template::compile("${foo}", &scope).unwrap(),
            operator: op,
            right: Some(Template::compile(right, &scope).unwrap()),
        }
    }

    fn eval(op: Operator, right: &str, foo: &str) -> bool {
        cond(op, right).evaluate(&[foo], "||")
    }

    #[test]
    fn split_semantics() {
        assert_eq!(java_split("a||", "||"), vec!["a"]);
        assert_eq!(java_split("||a", "||"), vec!["", "a"]);
        assert_eq!(java_split("||", "||"), Vec::<&str>::new());
        assert_eq!(java_split("a||||b", "||"), vec!["a", "", "b"]);
        assert_eq!(java_split("", "||"), vec![""]);
        assert_eq!(java_split("abc", ""), vec!["a", "b", "c"]);
    }

    #[test]
    fn condition_test_vectors() {
        assert!(eval(Operator::Equals, "bar", "bar"));
        assert!(!eval(Operator::Equals, "bar", "DIFFERENT"));
        assert!(eval(Operator::Equals, "bar", "bar||baz"));
        assert!(!eval(Operator::NotEquals, "bar", "bar"));
        assert!(eval(Operator::NotEquals, "bar", "DIFFERENT"));
        assert!(!eval(Operator::NotEquals, "bar", "bar||baz"));
        assert!(eval(Operator::IsEmpty(true), "", ""));
        assert!(!eval(Operator::IsEmpty(true), "", "xyz"));
        assert!(eval(Operator::HasMultiple(true), "", "xyz||bar"));
        assert!(!eval(Operator::HasMultiple(true), "", "xyz"));
        assert!(eval(Operator::Gt, "12||34", "50||34.1"));
        assert!(!eval(Operator::Gt, "12||34", "15||51"));
        assert!(!eval(Operator::Gt, "12||34", "||51"));
        assert!(!eval(Operator::Gt, "12||34", "foo||51"));
        assert!(!eval(Operator::HasMultiple(true), "", "a||"));
        assert!(eval(Operator::Equals, "a", "a||"));
        assert!(eval(Operator::IsEmpty(true), "", "||"));
        assert!(!eval(Operator::Equals, "", "||"));
        assert!(eval(Operator::NotEquals, "x", "||"));
        assert!(eval(Operator::Gt, "5", "||"));
        assert!(eval(Operator::HasMultiple(true), "", "||a"));
        assert!(!eval(Operator::IsEmpty(true), "", "||a"));
        assert!(eval(Operator::Gt, "999", "1e3"));
        assert!(!eval(Operator::Gt, "0", " 1"));
    }

    #[test]
    fn decimals_compare_exactly() {
        let d = |s| Decimal::parse(s).unwrap();
        assert_eq!(d("1e3"), d("1000"));
        assert_eq!(d("1.50"), d("1.5"));
        assert_eq!(d("-0"), d("0.000"));
        assert!(d(".5") < d("1."));
        assert!(d("-2") < d("-1"));
        assert!(d("+1") > d("-1"));
        assert!(d("123456789012345678901234567890") > d("123456789012345678901234567889"));
        assert!(d("1e-3") < d("0.01"));
        for bad in [
            "",
            "+",
            ".",
            "1e",
            "1,5",
            "0x10",
            "NaN",
            "Infinity",
            " 1",
            "1 ",
            "1e99999999999",
        ] {
            assert!(Decimal::parse(bad).is_none(), "{bad}");
        }
        assert!(eval(Operator::Ge, "10", "10.0"));
        assert!(eval(Operator::Le, "10", "10.0"));
        assert!(eval(Operator::Lt, "10", "9.99"));
        assert!(!eval(Operator::Lt, "10", "10"));
    }
}
