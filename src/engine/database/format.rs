//! Numbers, dates and times as text, the way each database writes them: floating point in the shortest form that
//! reads back (with the database's exponent style), and proleptic Gregorian dates of any year (beyond the
//! -9999..=9999 that `jiff` covers, as PostgreSQL dates and timestamps may be).

use std::fmt::Write as _;

/// Where the exponent form starts, and how it is written.
#[derive(Clone, Copy)]
pub(super) struct FloatStyle {
    /// Fixed notation for decimal exponents in `min_exp..max_exp`.
    min_exp: i32,
    max_exp: i32,
    /// `e+05` (PostgreSQL, SQLite) rather than `e5` (MySQL).
    signed_two_digit_exp: bool,
    /// Integral values keep `.0` (SQLite).
    keep_point_zero: bool,
}

pub(super) const PG_FLOAT8: FloatStyle = FloatStyle {
    min_exp: -4,
    max_exp: 15,
    signed_two_digit_exp: true,
    keep_point_zero: false,
};
pub(super) const PG_FLOAT4: FloatStyle = FloatStyle {
    max_exp: 6,
    ..PG_FLOAT8
};
pub(super) const MYSQL_FLOAT: FloatStyle = FloatStyle {
    min_exp: -15,
    max_exp: 15,
    signed_two_digit_exp: false,
    keep_point_zero: false,
};
pub(super) const SQLITE_FLOAT: FloatStyle = FloatStyle {
    keep_point_zero: true,
    ..PG_FLOAT8
};

/// `sci` is Rust's shortest round-trip `{:e}` form of a finite number (`-1.25e-3`).
fn format_float_sci(sci: &str, style: FloatStyle) -> String {
    let (neg, sci) = match sci.strip_prefix('-') {
        Some(s) => (true, s),
        None => (false, sci),
    };
    let (mantissa, exp) = sci.split_once('e').unwrap_or((sci, "0"));
    let exp: i32 = exp.parse().unwrap_or(0);
    let digits: String = mantissa.chars().filter(char::is_ascii_digit).collect();
    let mut out = String::new();
    if neg {
        out.push('-');
    }
    if digits.bytes().all(|b| b == b'0') {
        out.push('0');
        if style.keep_point_zero {
            out.push_str(".0");
        }
        return out;
    }
    if exp >= style.min_exp && exp < style.max_exp {
        if exp >= 0 {
            let int_len = exp as usize + 1;
            if digits.len() <= int_len {
                out.push_str(&digits);
                out.extend(std::iter::repeat_n('0', int_len - digits.len()));
                if style.keep_point_zero {
                    out.push_str(".0");
                }
            } else {
                out.push_str(&digits[..int_len]);
                out.push('.');
                out.push_str(&digits[int_len..]);
            }
        } else {
            out.push_str("0.");
            out.extend(std::iter::repeat_n('0', (-exp - 1) as usize));
            out.push_str(&digits);
        }
    } else {
        out.push_str(&digits[..1]);
        if digits.len() > 1 {
            out.push('.');
            out.push_str(&digits[1..]);
        } else if style.keep_point_zero {
            out.push_str(".0");
        }
        out.push('e');
        if style.signed_two_digit_exp {
            let _ = write!(out, "{}{:02}", if exp < 0 { '-' } else { '+' }, exp.abs());
        } else {
            let _ = write!(out, "{exp}");
        }
    }
    out
}

pub(super) fn format_f64(v: f64, style: FloatStyle) -> String {
    if v.is_nan() {
        "NaN".to_string()
    } else if v.is_infinite() {
        if v > 0.0 { "Infinity" } else { "-Infinity" }.to_string()
    } else {
        format_float_sci(&format!("{v:e}"), style)
    }
}

pub(super) fn format_f32(v: f32, style: FloatStyle) -> String {
    if v.is_finite() {
        format_float_sci(&format!("{v:e}"), style)
    } else {
        format_f64(f64::from(v), style)
    }
}

/// (year, month, day) of a day count since 1970-01-01 (proleptic Gregorian; Howard Hinnant's `civil_from_days`).
/// Also the log's timestamps (`crate::logging::line`).
pub(crate) fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

pub(super) fn push_date(out: &mut String, y: i64, m: u32, d: u32) {
    if (0..=9999).contains(&y) {
        let _ = write!(out, "{y:04}-{m:02}-{d:02}");
    } else {
        let _ = write!(out, "{y:+05}-{m:02}-{d:02}");
    }
}

pub(super) fn push_time(out: &mut String, h: u64, m: u32, s: u32, micros: u32) {
    let _ = write!(out, "{h:02}:{m:02}:{s:02}");
    push_fraction(out, micros);
}

pub(super) fn push_fraction(out: &mut String, micros: u32) {
    if micros > 0 {
        let f = format!("{micros:06}");
        out.push('.');
        out.push_str(f.trim_end_matches('0'));
    }
}

/// `YYYY-MM-DDTHH:MM:SS[.ffffff]` of microseconds since 1970-01-01T00:00:00.
pub(super) fn timestamp_from_unix_micros(micros: i64) -> String {
    let days = micros.div_euclid(86_400_000_000);
    let in_day = micros.rem_euclid(86_400_000_000) as u64;
    let (y, m, d) = civil_from_days(days);
    let mut out = String::with_capacity(26);
    push_date(&mut out, y, m, d);
    out.push('T');
    push_clock(&mut out, in_day);
    out
}

/// `HH:MM:SS[.ffffff]` of a count of microseconds.
pub(super) fn push_clock(out: &mut String, micros: u64) {
    let secs = micros / 1_000_000;
    push_time(
        out,
        secs / 3600,
        (secs / 60 % 60) as u32,
        (secs % 60) as u32,
        (micros % 1_000_000) as u32,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn floats() {
        let pg = |v: f64| format_f64(v, PG_FLOAT8);
        assert_eq!(pg(1.5), "1.5");
        assert_eq!(pg(100.0), "100");
        assert_eq!(pg(1e15), "1e+15");
        assert_eq!(pg(123456789012345.0), "123456789012345");
        assert_eq!(pg(0.0001), "0.0001");
        assert_eq!(pg(0.00001), "1e-05");
        assert_eq!(pg(1.5e300), "1.5e+300");
        assert_eq!(pg(-0.0), "-0");
        assert_eq!(pg(f64::NEG_INFINITY), "-Infinity");
        assert_eq!(format_f32(1e6, PG_FLOAT4), "1e+06");
        assert_eq!(format_f32(100000.0, PG_FLOAT4), "100000");
        assert_eq!(format_f32(1.1, PG_FLOAT4), "1.1");
        let my = |v: f64| format_f64(v, MYSQL_FLOAT);
        assert_eq!(my(1e15), "1e15");
        assert_eq!(my(1e14), "100000000000000");
        assert_eq!(my(1.2345678901234568e17), "1.2345678901234568e17");
        assert_eq!(my(1.25e-10), "0.000000000125");
        let lite = |v: f64| format_f64(v, SQLITE_FLOAT);
        assert_eq!(lite(100.0), "100.0");
        assert_eq!(lite(12.5), "12.5");
        assert_eq!(lite(1e20), "1.0e+20");
    }

    #[test]
    fn timestamps() {
        assert_eq!(timestamp_from_unix_micros(0), "1970-01-01T00:00:00");
        assert_eq!(
            timestamp_from_unix_micros(951_782_400_000_000 + 1_500_000),
            "2000-02-29T00:00:01.5"
        );
        assert_eq!(
            timestamp_from_unix_micros(-1_000_000),
            "1969-12-31T23:59:59"
        );
        assert_eq!(civil_from_days(-719_528), (0, 1, 1));
    }
}
