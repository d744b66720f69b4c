//! One event as one line, text or JSON, in exactly the layout of `tracing-subscriber`'s `fmt` (its `Full` format
//! without target and colours, and its flattened `json()`), written straight into the line's buffer.
//!
//! `tracing-subscriber`'s own formatter spends most of its time on styling that is off (every field name goes
//! through an ANSI painter even without colours) and on `format!` machinery: ~15,000 instructions for an
//! access-log line. This one writes the timestamp, integers and names directly: ~2,500 for the same line. The
//! engine uses no spans, so none are written.
//!
//! Text: `2026-12-07T21:10:20.866228Z  INFO message name=value …` — the message as it is (terminal control
//! characters escaped), strings quoted as Rust's `{:?}` does, `%value` fields as their `Display`, numbers plain.
//! JSON: `{"timestamp":…,"level":…,fields…,"target":…}`, every field at the top level, in the order written.

use std::fmt::{self, Write};
use std::time::{SystemTime, UNIX_EPOCH};

use tracing::field::{Field, Visit};
use tracing::{Event, Level, Subscriber};
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FmtContext, FormatEvent, FormatFields};
use tracing_subscriber::registry::LookupSpan;

use crate::engine::database::format::civil_from_days;

/// Text lines or JSON objects.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Style {
    Text,
    Json,
}

/// The event formatter of `endpoints serve`.
#[derive(Clone, Copy, Debug)]
pub struct Line(pub Style);

impl<S, N> FormatEvent<S, N> for Line
where
    S: Subscriber + for<'a> LookupSpan<'a>,
    N: for<'a> FormatFields<'a> + 'static,
{
    fn format_event(
        &self,
        _ctx: &FmtContext<'_, S, N>,
        mut w: Writer<'_>,
        event: &Event<'_>,
    ) -> fmt::Result {
        write_event(&mut w, self.0, SystemTime::now(), event)
    }
}

/// Writes `event`, made at `now`, as one line (with its newline).
pub fn write_event(
    w: &mut dyn Write,
    style: Style,
    now: SystemTime,
    event: &Event<'_>,
) -> fmt::Result {
    let mut stamp = [0u8; STAMP_LEN];
    let stamp = timestamp(now, &mut stamp);
    let level = *event.metadata().level();
    match style {
        Style::Text => {
            w.write_str(stamp)?;
            w.write_str(match level {
                Level::ERROR => " ERROR ",
                Level::WARN => "  WARN ",
                Level::INFO => "  INFO ",
                Level::DEBUG => " DEBUG ",
                _ => " TRACE ",
            })?;
            let mut v = TextFields {
                w: &mut *w,
                first: true,
                result: Ok(()),
            };
            event.record(&mut v);
            v.result?;
        }
        Style::Json => {
            w.write_str("{\"timestamp\":\"")?;
            w.write_str(stamp)?;
            w.write_str("\",\"level\":\"")?;
            w.write_str(level.as_str())?;
            w.write_char('"')?;
            let mut v = JsonFields {
                w: &mut *w,
                result: Ok(()),
            };
            event.record(&mut v);
            v.result?;
            w.write_str(",\"target\":")?;
            json_string(w, event.metadata().target())?;
            w.write_char('}')?;
        }
    }
    w.write_char('\n')
}

/// `2026-12-07T21:10:20.866228Z`.
const STAMP_LEN: usize = 27;

/// `now` in UTC as RFC 3339 with microseconds, written into `buf`.
fn timestamp(now: SystemTime, buf: &mut [u8; STAMP_LEN]) -> &str {
    let since = now.duration_since(UNIX_EPOCH).unwrap_or_default();
    let secs = since.as_secs();
    let (year, month, day) = civil_from_days((secs / 86_400) as i64);
    let in_day = secs % 86_400;
    let two = |buf: &mut [u8; STAMP_LEN], at: usize, v: u64| {
        buf[at] = b'0' + (v / 10) as u8;
        buf[at + 1] = b'0' + (v % 10) as u8;
    };
    let year = year.clamp(0, 9999) as u64;
    two(buf, 0, year / 100);
    two(buf, 2, year % 100);
    buf[4] = b'-';
    two(buf, 5, u64::from(month));
    buf[7] = b'-';
    two(buf, 8, u64::from(day));
    buf[10] = b'T';
    two(buf, 11, in_day / 3600);
    buf[13] = b':';
    two(buf, 14, in_day / 60 % 60);
    buf[16] = b':';
    two(buf, 17, in_day % 60);
    buf[19] = b'.';
    let mut micros = since.subsec_micros();
    for at in (20..26).rev() {
        buf[at] = b'0' + (micros % 10) as u8;
        micros /= 10;
    }
    buf[26] = b'Z';
    // Only ASCII digits and separators were written.
    std::str::from_utf8(buf).unwrap_or_default()
}

/// A field's name as written (a raw identifier without its `r#`).
fn name(field: &Field) -> &'static str {
    let n = field.name();
    n.strip_prefix("r#").unwrap_or(n)
}

struct TextFields<'w> {
    w: &'w mut dyn Write,
    first: bool,
    result: fmt::Result,
}

impl TextFields<'_> {
    /// The separator and `name=` of a field that is not the message.
    fn start(&mut self, field: &Field) -> fmt::Result {
        self.separate()?;
        self.w.write_str(name(field))?;
        self.w.write_char('=')
    }

    fn separate(&mut self) -> fmt::Result {
        if std::mem::take(&mut self.first) {
            Ok(())
        } else {
            self.w.write_char(' ')
        }
    }

    fn put(&mut self, field: &Field, value: impl FnOnce(&mut dyn Write) -> fmt::Result) {
        if self.result.is_ok() {
            self.result = self.start(field).and_then(|()| value(&mut *self.w));
        }
    }
}

impl Visit for TextFields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        if field.name() == "message" {
            if self.result.is_ok() {
                self.result = self
                    .separate()
                    .and_then(|()| Sanitized(&mut *self.w).write_str(value));
            }
        } else {
            self.put(field, |w| write!(w, "{value:?}"));
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, |w| w.write_str(itoa::Buffer::new().format(value)));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, |w| w.write_str(itoa::Buffer::new().format(value)));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, |w| w.write_str(if value { "true" } else { "false" }));
    }

    fn record_error(&mut self, field: &Field, value: &(dyn std::error::Error + 'static)) {
        let n = name(field);
        self.put(field, |w| {
            write!(Sanitized(&mut *w), "{value}")?;
            if let Some(mut source) = value.source() {
                write!(w, " {n}.sources=[")?;
                let mut first = true;
                loop {
                    if !std::mem::take(&mut first) {
                        w.write_str(", ")?;
                    }
                    write!(Sanitized(&mut *w), "{source}")?;
                    match source.source() {
                        Some(next) => source = next,
                        None => break,
                    }
                }
                w.write_char(']')?;
            }
            Ok(())
        });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if field.name() == "message" {
            if self.result.is_ok() {
                self.result = self
                    .separate()
                    .and_then(|()| write!(Sanitized(&mut *self.w), "{value:?}"));
            }
        } else {
            self.put(field, |w| write!(w, "{value:?}"));
        }
    }
}

/// Escapes the characters a terminal would act on (ESC, BEL, BS, FF, DEL and the C1 controls), as
/// `tracing-subscriber` does in messages: a logged value cannot move the cursor or recolour a terminal.
struct Sanitized<'w>(&'w mut dyn Write);

impl Write for Sanitized<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let mut plain = 0;
        for (i, c) in s.char_indices() {
            let escaped = match c {
                '\x1b' => "\\x1b",
                '\x07' => "\\x07",
                '\x08' => "\\x08",
                '\x0c' => "\\x0c",
                '\x7f' => "\\x7f",
                '\u{80}'..='\u{9f}' => "",
                _ => continue,
            };
            self.0.write_str(&s[plain..i])?;
            if escaped.is_empty() {
                write!(self.0, "\\u{{{:x}}}", c as u32)?;
            } else {
                self.0.write_str(escaped)?;
            }
            plain = i + c.len_utf8();
        }
        self.0.write_str(&s[plain..])
    }
}

struct JsonFields<'w> {
    w: &'w mut dyn Write,
    result: fmt::Result,
}

impl JsonFields<'_> {
    fn put(&mut self, field: &Field, value: impl FnOnce(&mut dyn Write) -> fmt::Result) {
        if self.result.is_ok() {
            let w = &mut *self.w;
            self.result = w
                .write_char(',')
                .and_then(|()| json_string(w, name(field)))
                .and_then(|()| w.write_char(':'))
                .and_then(|()| value(w));
        }
    }
}

impl Visit for JsonFields<'_> {
    fn record_str(&mut self, field: &Field, value: &str) {
        self.put(field, |w| json_string(w, value));
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        self.put(field, |w| w.write_str(itoa::Buffer::new().format(value)));
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        self.put(field, |w| w.write_str(itoa::Buffer::new().format(value)));
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        self.put(field, |w| w.write_str(if value { "true" } else { "false" }));
    }

    fn record_f64(&mut self, field: &Field, value: f64) {
        // serde_json's number text (what `tracing-subscriber`'s JSON wrote); not finite → null.
        self.put(field, |w| match serde_json::Number::from_f64(value) {
            Some(n) => write!(w, "{n}"),
            None => w.write_str("null"),
        });
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        self.put(field, |w| {
            w.write_char('"')?;
            write!(JsonEscaped(&mut *w), "{value:?}")?;
            w.write_char('"')
        });
    }
}

/// `s` as a JSON string.
fn json_string(w: &mut dyn Write, s: &str) -> fmt::Result {
    w.write_char('"')?;
    JsonEscaped(&mut *w).write_str(s)?;
    w.write_char('"')
}

/// Escapes text for the inside of a JSON string as serde_json does: `"`, `\` and control characters.
struct JsonEscaped<'w>(&'w mut dyn Write);

impl Write for JsonEscaped<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let bytes = s.as_bytes();
        let mut plain = 0;
        for (i, &b) in bytes.iter().enumerate() {
            let escaped = match b {
                b'"' => "\\\"",
                b'\\' => "\\\\",
                b'\n' => "\\n",
                b'\r' => "\\r",
                b'\t' => "\\t",
                0x08 => "\\b",
                0x0c => "\\f",
                0..=0x1f => "",
                _ => continue,
            };
            // `i` is at an ASCII byte, so a character boundary.
            self.0.write_str(&s[plain..i])?;
            if escaped.is_empty() {
                write!(self.0, "\\u{b:04x}")?;
            } else {
                self.0.write_str(escaped)?;
            }
            plain = i + 1;
        }
        self.0.write_str(&s[plain..])
    }
}

#[cfg(test)]
#[path = "line_tests.rs"]
mod tests;
