//! PostgreSQL values in binary format as text (see the module documentation of `engine::database` for the forms):
//! numbers, `numeric`, dates and times from PostgreSQL's 2000-01-01 epoch, intervals as ISO 8601 durations,
//! network addresses, bit strings, `uuid`, enums and domains.

use std::fmt::Write as _;

use tokio_postgres::types::{Kind, Type};

use super::format::{
    civil_from_days, format_f32, format_f64, push_clock, push_date, push_fraction,
    timestamp_from_unix_micros, PG_FLOAT4, PG_FLOAT8,
};
use super::output::base64;

/// Microseconds from 1970-01-01 to PostgreSQL's epoch 2000-01-01.
const PG_EPOCH_DAYS: i64 = 10_957;
const PG_EPOCH_MICROS: i64 = PG_EPOCH_DAYS * 86_400_000_000;

fn fixed<const N: usize>(raw: &[u8]) -> Result<[u8; N], String> {
    raw.get(..N)
        .and_then(|b| b.try_into().ok())
        .ok_or_else(|| "value too short".to_string())
}

fn i16_at(raw: &[u8], at: usize) -> Result<i16, String> {
    Ok(i16::from_be_bytes(fixed(raw.get(at..).unwrap_or(&[]))?))
}

fn text(raw: &[u8]) -> String {
    String::from_utf8_lossy(raw).into_owned()
}

/// A binary-format value as text (see the module documentation).
pub(super) fn value(ty: &Type, raw: &[u8]) -> Result<String, String> {
    match ty.kind() {
        Kind::Domain(inner) => return value(inner, raw),
        Kind::Enum(_) => return Ok(text(raw)),
        _ => {}
    }
    Ok(match ty.oid() {
        16 => (raw.first().is_some_and(|b| *b != 0)).to_string(), // bool
        21 => i16::from_be_bytes(fixed(raw)?).to_string(),        // int2
        23 => i32::from_be_bytes(fixed(raw)?).to_string(),        // int4
        20 => i64::from_be_bytes(fixed(raw)?).to_string(),        // int8
        26 => u32::from_be_bytes(fixed(raw)?).to_string(),        // oid
        700 => format_f32(f32::from_be_bytes(fixed(raw)?), PG_FLOAT4),
        701 => format_f64(f64::from_be_bytes(fixed(raw)?), PG_FLOAT8),
        1700 => numeric(raw)?,
        // text, varchar, bpchar, name, unknown, json, xml, "char"
        25 | 1043 | 1042 | 19 | 705 | 114 | 142 | 18 => text(raw),
        // jsonb, jsonpath: a version byte, then text
        3802 | 4072 => text(raw.get(1..).unwrap_or(&[])),
        17 => base64(raw), // bytea
        2950 => uuid::Uuid::from_bytes(fixed::<16>(raw)?).to_string(),
        1082 => date(i32::from_be_bytes(fixed(raw)?)),
        1083 => {
            let micros = i64::from_be_bytes(fixed(raw)?);
            time_of_day(micros)
        }
        1266 => {
            let micros = i64::from_be_bytes(fixed(raw)?);
            let west = i32::from_be_bytes(fixed(raw.get(8..).unwrap_or(&[]))?);
            let mut s = time_of_day(micros);
            push_offset(&mut s, -west);
            s
        }
        1114 | 1184 => {
            let micros = i64::from_be_bytes(fixed(raw)?);
            match micros {
                i64::MAX => "infinity".to_string(),
                i64::MIN => "-infinity".to_string(),
                m => {
                    let mut s = timestamp_from_unix_micros(m.saturating_add(PG_EPOCH_MICROS));
                    if ty.oid() == 1184 {
                        s.push('Z');
                    }
                    s
                }
            }
        }
        1186 => {
            let micros = i64::from_be_bytes(fixed(raw)?);
            let days = i32::from_be_bytes(fixed(raw.get(8..).unwrap_or(&[]))?);
            let months = i32::from_be_bytes(fixed(raw.get(12..).unwrap_or(&[]))?);
            interval(micros, days, months)
        }
        869 | 650 => inet(raw, ty.oid() == 650)?, // inet, cidr
        829 => raw
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect::<Vec<_>>()
            .join(":"), // macaddr
        1560 | 1562 => {
            // bit, varbit: bit count, then the bits
            let n = i32::from_be_bytes(fixed(raw)?).max(0) as usize;
            let bytes = raw.get(4..).unwrap_or(&[]);
            (0..n)
                .map(|i| {
                    let set = bytes.get(i / 8).is_some_and(|b| b & (0x80 >> (i % 8)) != 0);
                    if set {
                        '1'
                    } else {
                        '0'
                    }
                })
                .collect()
        }
        _ if ty.name() == "citext" => text(raw),
        _ => {
            return Err(
                "values of this type cannot be shown; cast the column to text in the SQL (`expression::text`)"
                    .to_string(),
            )
        }
    })
}

fn date(days: i32) -> String {
    match days {
        i32::MAX => "infinity".to_string(),
        i32::MIN => "-infinity".to_string(),
        d => {
            let (y, m, d) = civil_from_days(i64::from(d) + PG_EPOCH_DAYS);
            let mut s = String::with_capacity(10);
            push_date(&mut s, y, m, d);
            s
        }
    }
}

fn time_of_day(micros: i64) -> String {
    let mut s = String::with_capacity(15);
    push_clock(&mut s, micros.max(0) as u64);
    s
}

/// `+HH:MM` (`:SS` when needed) for an offset east of UTC in seconds.
fn push_offset(s: &mut String, east: i32) {
    let sign = if east < 0 { '-' } else { '+' };
    let a = east.unsigned_abs();
    let _ = write!(s, "{sign}{:02}:{:02}", a / 3600, a / 60 % 60);
    if !a.is_multiple_of(60) {
        let _ = write!(s, ":{:02}", a % 60);
    }
}

/// ISO 8601 duration, as PostgreSQL's `IntervalStyle = iso_8601` writes it.
pub(super) fn interval(micros: i64, days: i32, months: i32) -> String {
    if micros == 0 && days == 0 && months == 0 {
        return "PT0S".to_string();
    }
    let mut s = String::from("P");
    let (years, months) = (months / 12, months % 12);
    if years != 0 {
        let _ = write!(s, "{years}Y");
    }
    if months != 0 {
        let _ = write!(s, "{months}M");
    }
    if days != 0 {
        let _ = write!(s, "{days}D");
    }
    if micros != 0 {
        s.push('T');
        let hours = micros / 3_600_000_000;
        let minutes = micros % 3_600_000_000 / 60_000_000;
        let secs = micros % 60_000_000 / 1_000_000;
        let frac = micros % 1_000_000;
        if hours != 0 {
            let _ = write!(s, "{hours}H");
        }
        if minutes != 0 {
            let _ = write!(s, "{minutes}M");
        }
        if secs != 0 || frac != 0 {
            if secs < 0 || frac < 0 {
                s.push('-');
            }
            let _ = write!(s, "{}", secs.unsigned_abs());
            push_fraction(&mut s, frac.unsigned_abs() as u32);
            s.push('S');
        }
    }
    s
}

/// PostgreSQL's `numeric_out` of the binary form (base-10000 digits).
pub(super) fn numeric(raw: &[u8]) -> Result<String, String> {
    let ndigits = i16_at(raw, 0)?.max(0) as usize;
    let weight = i16_at(raw, 2)?;
    let sign = i16_at(raw, 4)? as u16;
    let dscale = i16_at(raw, 6)?.max(0) as usize;
    let mut digits = Vec::with_capacity(ndigits);
    for i in 0..ndigits {
        digits.push(i16_at(raw, 8 + 2 * i)?);
    }
    let mut s = String::new();
    match sign {
        0xC000 => return Ok("NaN".to_string()),
        0xD000 => return Ok("Infinity".to_string()),
        0xF000 => return Ok("-Infinity".to_string()),
        0x4000 => s.push('-'),
        _ => {}
    }
    let digit = |i: i64| -> i16 {
        usize::try_from(i)
            .ok()
            .and_then(|i| digits.get(i).copied())
            .unwrap_or(0)
    };
    if weight < 0 {
        s.push('0');
    } else {
        for i in 0..=i64::from(weight) {
            if i == 0 {
                let _ = write!(s, "{}", digit(i));
            } else {
                let _ = write!(s, "{:04}", digit(i));
            }
        }
    }
    if dscale > 0 {
        let mut frac = String::with_capacity(dscale + 4);
        let mut i = i64::from(weight) + 1;
        while frac.len() < dscale {
            let _ = write!(frac, "{:04}", digit(i));
            i += 1;
        }
        frac.truncate(dscale);
        s.push('.');
        s.push_str(&frac);
    }
    Ok(s)
}

fn inet(raw: &[u8], cidr: bool) -> Result<String, String> {
    let [family, bits, _is_cidr, len] = fixed::<4>(raw)?;
    let addr = raw.get(4..4 + len as usize).ok_or("value too short")?;
    let (text, max) = match family {
        2 => (std::net::Ipv4Addr::from(fixed::<4>(addr)?).to_string(), 32),
        _ => (
            std::net::Ipv6Addr::from(fixed::<16>(addr)?).to_string(),
            128,
        ),
    };
    Ok(if cidr || bits != max {
        format!("{text}/{bits}")
    } else {
        text
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn uuids() {
        let raw = [
            0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 0x01, 0x23, 0x45, 0x67, 0x89, 0xab,
            0xcd, 0xef,
        ];
        assert_eq!(
            value(&Type::UUID, &raw).unwrap(),
            "12345678-9abc-def0-0123-456789abcdef"
        );
    }

    #[test]
    fn postgres_intervals_and_numerics() {
        assert_eq!(interval(0, 0, 0), "PT0S");
        assert_eq!(
            interval(4 * 3_600_000_000 + 5 * 60_000_000 + 6_500_000, -2, 63),
            "P5Y3M-2DT4H5M6.5S"
        );
        assert_eq!(interval(-3_630_000_000, 0, 0), "PT-1H-30S");
        assert_eq!(interval(-1_500_000, 0, 0), "PT-1.5S");
        assert_eq!(interval(-1, 0, 0), "PT-0.000001S");
        assert_eq!(interval(0, 1, 14), "P1Y2M1D");
        // 1.250 → ndigits 2, weight 0, positive, dscale 3, digits [1, 2500]
        let raw = |nd: i16, w: i16, sign: u16, ds: i16, digits: &[i16]| {
            let mut v = Vec::new();
            v.extend(nd.to_be_bytes());
            v.extend(w.to_be_bytes());
            v.extend(sign.to_be_bytes());
            v.extend(ds.to_be_bytes());
            for d in digits {
                v.extend(d.to_be_bytes());
            }
            v
        };
        assert_eq!(numeric(&raw(2, 0, 0, 3, &[1, 2500])).unwrap(), "1.250");
        assert_eq!(numeric(&raw(1, -1, 0x4000, 1, &[5000])).unwrap(), "-0.5");
        assert_eq!(numeric(&raw(1, -2, 0, 8, &[1])).unwrap(), "0.00000001");
        assert_eq!(numeric(&raw(1, 1, 0, 0, &[12])).unwrap(), "120000");
        assert_eq!(numeric(&raw(0, 0, 0, 2, &[])).unwrap(), "0.00");
        assert_eq!(numeric(&raw(0, 0, 0xC000, 0, &[])).unwrap(), "NaN");
    }
}
