//! Conditions: an operator (first byte), then lines: left template, right template, separator, values. Evaluation
//! never panics; `equals` and `notequals` disagree, `isempty=true/false` disagree, the numeric comparisons are
//! consistent with each other, and decimals order as a total order.
#![no_main]

use libfuzzer_sys::fuzz_target;

use endpoints::config::condition::{java_split, Condition, Decimal, Operator};
use endpoints::config::template::{Scope, Template};

const NAMES: [&str; 3] = ["v", "w", "request-id"];

fn cond(left: &Template, op: Operator, right: Option<&Template>) -> Condition {
    Condition {
        left: left.clone(),
        operator: op,
        right: right.cloned(),
    }
}

fuzz_target!(|data: &[u8]| {
    if data.is_empty() {
        return;
    }
    let text = String::from_utf8_lossy(&data[1..]);
    let mut lines = text.split('\n');
    let scope = Scope::new(NAMES);
    let Ok(left) = Template::compile(lines.next().unwrap_or("${v}"), &scope) else {
        return;
    };
    let Ok(right) = Template::compile(lines.next().unwrap_or("${w}"), &scope) else {
        return;
    };
    let separator = lines.next().unwrap_or(",").to_string();
    let mut values: Vec<String> = lines.map(str::to_string).collect();
    values.resize(NAMES.len(), String::new());

    let eval = |op, r: Option<&Template>| cond(&left, op, r).evaluate(&values, &separator);
    let selected = match data[0] % 8 {
        0 => Operator::Equals,
        1 => Operator::NotEquals,
        2 => Operator::IsEmpty(data[0] & 8 != 0),
        3 => Operator::HasMultiple(data[0] & 8 != 0),
        4 => Operator::Gt,
        5 => Operator::Ge,
        6 => Operator::Lt,
        _ => Operator::Le,
    };
    let with_right = !matches!(selected, Operator::IsEmpty(_) | Operator::HasMultiple(_));
    let _ = eval(selected, with_right.then_some(&right));

    assert_ne!(
        eval(Operator::Equals, Some(&right)),
        eval(Operator::NotEquals, Some(&right))
    );
    assert_ne!(
        eval(Operator::IsEmpty(true), None),
        eval(Operator::IsEmpty(false), None)
    );
    assert_ne!(
        eval(Operator::HasMultiple(true), None),
        eval(Operator::HasMultiple(false), None)
    );
    let (gt, ge, lt, le) = (
        eval(Operator::Gt, Some(&right)),
        eval(Operator::Ge, Some(&right)),
        eval(Operator::Lt, Some(&right)),
        eval(Operator::Le, Some(&right)),
    );
    // Strict implies non-strict (on every value pair); both strict at once is impossible with one value per side.
    if gt {
        assert!(ge);
    }
    if lt {
        assert!(le);
    }

    // java_split: pieces never contain the separator; joining them is a prefix of the input.
    let l = left.expand(&values);
    let pieces = java_split(&l, &separator);
    if !separator.is_empty() {
        for p in &pieces {
            assert!(!p.contains(separator.as_str()));
        }
        assert!(l.starts_with(&pieces.join(&separator)));
    }
    // Decimals: a total order.
    let all: Vec<Decimal> = values.iter().filter_map(|v| Decimal::parse(v)).collect();
    for a in &all {
        assert_eq!(a.cmp(a), std::cmp::Ordering::Equal);
        for b in &all {
            assert_eq!(a.cmp(b), b.cmp(a).reverse());
            for c in &all {
                if a <= b && b <= c {
                    assert!(a <= c);
                }
            }
        }
    }
});
