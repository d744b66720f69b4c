//! The lines are compared with what `tracing-subscriber`'s own formatters write for the same events (timestamps
//! aside), so a log reader or a test that worked with those works with these.

use std::io;
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::*;

#[derive(Clone, Default)]
struct Buf(Arc<Mutex<Vec<u8>>>);

impl io::Write for Buf {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl<'a> tracing_subscriber::fmt::MakeWriter<'a> for Buf {
    type Writer = Buf;
    fn make_writer(&'a self) -> Buf {
        self.clone()
    }
}

impl Buf {
    fn lines(&self) -> Vec<String> {
        String::from_utf8(self.0.lock().unwrap().clone())
            .unwrap()
            .lines()
            .map(str::to_string)
            .collect()
    }
}

#[derive(Debug)]
struct Outer(Inner);
#[derive(Debug)]
struct Inner;
impl fmt::Display for Outer {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("outer failed")
    }
}
impl fmt::Display for Inner {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("inner \x1b[31mred")
    }
}
impl std::error::Error for Outer {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.0)
    }
}
impl std::error::Error for Inner {}

/// Events of every kind the engine logs, and some it might.
fn events() {
    let path = "/empty";
    let absent: Option<&str> = None;
    tracing::info!(
        target: "endpoints::access",
        method = %http::Method::GET,
        path = %path,
        application = Some("shop"),
        environment = "live",
        endpoint = absent,
        status = 200u16,
        bytes = 1234usize,
        duration_ms = 0.164,
        client = %std::net::IpAddr::from([127, 0, 0, 1]),
        request_id = %"01a25257-ef8f-7326-afd4-5a0d6989c6f4",
        failure = Some("<endpoint name='x'>: Parameter \"b\" missing\n\ttab \\ back"),
        hash = Some(tracing::field::display("absent-accepted")),
    );
    tracing::warn!("hash checking is disabled: every endpoint accepts unauthenticated requests");
    tracing::error!(
        application = "shop",
        count = -3i64,
        ok = false,
        ratio = 1.0,
        big = 1e21,
        tiny = 1.5e-7,
        "reload failed: {} — \x1b[2J\u{85}ünïcödé",
        "endpoints.xml:3:7"
    );
    tracing::info!(r#type = "raw", debug = ?vec!["a\"b", "c"], "message \"quoted\" stays as it is");
    tracing::warn!(
        error = &Outer(Inner) as &(dyn std::error::Error + 'static),
        "with sources"
    );
    tracing::info!(
        control = "nul \u{0} bell \u{7} del \u{7f}",
        "controls in a string"
    );
    tracing::debug!(n = u64::MAX, "debug level");
}

fn reference(json: bool) -> Vec<String> {
    let buf = Buf::default();
    let b = tracing_subscriber::fmt()
        .with_max_level(Level::TRACE)
        .with_writer(buf.clone());
    if json {
        let s = b
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .with_span_list(false)
            .finish();
        tracing::subscriber::with_default(s, events);
    } else {
        let s = b.with_target(false).with_ansi(false).finish();
        tracing::subscriber::with_default(s, events);
    }
    buf.lines()
}

fn ours(style: Style) -> Vec<String> {
    let buf = Buf::default();
    let s = tracing_subscriber::fmt()
        .with_max_level(Level::TRACE)
        .with_writer(buf.clone())
        .event_format(Line(style))
        .finish();
    tracing::subscriber::with_default(s, events);
    buf.lines()
}

#[test]
fn text_lines_are_those_of_tracing_subscriber() {
    let (want, got) = (reference(false), ours(Style::Text));
    assert_eq!(want.len(), 7, "{want:#?}");
    assert_eq!(got.len(), want.len(), "{got:#?}");
    for (w, g) in want.iter().zip(&got) {
        assert_eq!(g[..STAMP_LEN].len(), STAMP_LEN);
        assert_eq!(&g[STAMP_LEN..], &w[STAMP_LEN..]);
    }
    assert!(got[2].contains("\\x1b[2J\\u{85}ünïcödé"), "{}", got[2]);
}

#[test]
fn json_lines_are_those_of_tracing_subscriber() {
    let (want, got) = (reference(true), ours(Style::Json));
    assert_eq!(want.len(), 7, "{want:#?}");
    assert_eq!(got.len(), want.len(), "{got:#?}");
    for (w, g) in want.iter().zip(&got) {
        let strip = |line: &str| {
            let mut v: serde_json::Map<String, serde_json::Value> =
                serde_json::from_str(line).unwrap_or_else(|e| panic!("{e}: {line}"));
            let stamp = v.shift_remove("timestamp").unwrap();
            assert_eq!(stamp.as_str().unwrap().len(), STAMP_LEN, "{line}");
            serde_json::to_string(&v).unwrap()
        };
        assert_eq!(strip(g), strip(w));
    }
    let first: serde_json::Value = serde_json::from_str(&got[0]).unwrap();
    assert_eq!(first["bytes"], 1234);
    assert_eq!(first["duration_ms"].to_string(), "0.164");
}

#[test]
fn timestamps_are_rfc_3339_utc_with_microseconds() {
    let mut buf = [0u8; STAMP_LEN];
    let at = |secs: u64, micros: u64| UNIX_EPOCH + Duration::from_micros(secs * 1_000_000 + micros);
    assert_eq!(timestamp(at(0, 0), &mut buf), "1970-01-01T00:00:00.000000Z");
    assert_eq!(
        timestamp(at(951_782_400, 7), &mut buf),
        "2000-02-29T00:00:00.000007Z"
    );
    // Against jiff for days across four centuries, leap years and month ends included.
    for days in (0..150_000u64).step_by(97) {
        let secs = days * 86_400 + days % 86_400;
        let t = at(secs, days * 7919 % 1_000_000);
        let want = jiff::Timestamp::try_from(t)
            .unwrap()
            .strftime("%Y-%m-%dT%H:%M:%S.%6fZ")
            .to_string();
        assert_eq!(timestamp(t, &mut buf), want);
    }
    let now = SystemTime::now();
    let want = jiff::Timestamp::try_from(now)
        .unwrap()
        .strftime("%Y-%m-%dT%H:%M:%S.%6fZ")
        .to_string();
    assert_eq!(timestamp(now, &mut buf), want);
}
