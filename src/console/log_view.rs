//! The live request log: the newest entries with filters (application, environment, endpoint, status class), new
//! ones streamed in as Server-Sent Events, and one entry with its captures, debug documents and timings.
//!
//! Entries are read with [`Store::entries`](crate::store::Store::entries), as `endpoints log` reads them; they
//! were redacted when written (secrets of `security.xml`, passwords in URLs). The stream asks the store once a second
//! for the entries of the last [`LOOKBACK_MS`] (an entry is written with its request's start time, possibly after
//! entries of requests that started later) and sends each entry once; the page's script puts rows in time order
//! and ignores one it already shows.

use std::collections::HashMap;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;

use bytes::Bytes;
use http::{HeaderValue, Response, StatusCode};
use http_body::{Body, Frame as BodyFrame};
use http_body_util::BodyExt;
use maud::{html, Markup};
use tokio::sync::{mpsc, watch};

use super::answer::{self, Answer, Form};
use super::pages::{page, Frame};
use super::pretty;
use crate::server::State;
use crate::store::{utc_datetime, LogEntry, LogQuery};

/// Rows on the log page.
const PAGE_ROWS: usize = 50;
/// How far back each poll of the stream looks.
const LOOKBACK_MS: i64 = 120_000;
/// Most entries one poll reads.
const POLL_LIMIT: usize = 200;
const POLL_EVERY: Duration = Duration::from_secs(1);
/// A comment line keeps an idle stream (and its proxies) open.
const KEEP_ALIVE: Duration = Duration::from_secs(15);

/// The filters of the log page and stream, from the query string.
#[derive(Clone, Default)]
pub struct Filters {
    pub application: String,
    pub environment: String,
    pub endpoint: String,
    /// `2xx` … `5xx`, or empty for all.
    pub status: String,
}

impl Filters {
    pub fn from_form(f: &Form) -> Filters {
        let status = f.text("status");
        Filters {
            application: f.text("application"),
            environment: f.text("environment"),
            endpoint: f.text("endpoint"),
            status: if matches!(status.as_str(), "1xx" | "2xx" | "3xx" | "4xx" | "5xx") {
                status
            } else {
                String::new()
            },
        }
    }

    fn query(&self, limit: usize, since_ms: Option<i64>) -> LogQuery {
        let some = |s: &String| (!s.is_empty()).then(|| s.clone());
        let status = self.status.as_bytes().first().map(|d| {
            let base = u16::from(d - b'0') * 100;
            (base, base + 99)
        });
        LogQuery {
            application: some(&self.application),
            environment: some(&self.environment),
            endpoint: some(&self.endpoint),
            status,
            since_ms,
            request_id: None,
            limit,
            details: false,
        }
    }

    fn to_query_string(&self) -> String {
        form_urlencoded::Serializer::new(String::new())
            .append_pair("application", &self.application)
            .append_pair("environment", &self.environment)
            .append_pair("endpoint", &self.endpoint)
            .append_pair("status", &self.status)
            .finish()
    }
}

fn status_class(status: u16) -> &'static str {
    match status {
        200..=299 => "s2",
        300..=399 => "s3",
        400..=499 => "s4",
        _ => "s5",
    }
}

/// `GET /log`: the filter form and the newest entries; the script adds new ones as they come.
pub async fn log_page(state: &State, frame: &Frame<'_>, filters: &Filters) -> Markup {
    let entries = state.store.entries(filters.query(PAGE_ROWS, None)).await;
    if let Err(e) = &entries {
        tracing::error!(error = %e, "console: cannot read the request log");
    }
    let names = state.application_names();
    let content = html! {
        h1 { "Request log" }
        form method="get" action="/log" class="filters" {
            label { "Application "
                select name="application" {
                    option value="" { "all" }
                    @for n in &names { option value=(n) selected[filters.application == *n] { (n) } }
                }
            }
            label { "Environment "
                select name="environment" {
                    @for (v, l) in [("", "all"), ("live", "live"), ("preview", "preview")] {
                        option value=(v) selected[filters.environment == v] { (l) }
                    }
                }
            }
            label { "Endpoint " input name="endpoint" value=(filters.endpoint) size="14"; }
            label { "Status "
                select name="status" {
                    @for (v, l) in [("", "all"), ("2xx", "2xx"), ("3xx", "3xx"), ("4xx", "4xx"), ("5xx", "5xx")] {
                        option value=(v) selected[filters.status == v] { (l) }
                    }
                }
            }
            button type="submit" { "Filter" }
        }
        @match &entries {
            Err(_) => {
                section class="card errors" { p { "The request log cannot be read now (the server's log says why)." } }
            }
            Ok(list) => (live_table(list, filters)),
        }
    };
    page("Request log", Some(frame), content)
}

/// The entries' table, kept up to date by the page's script from the stream with the same `filters`.
pub fn live_table(list: &[LogEntry], filters: &Filters) -> Markup {
    html! {
        p class="muted" id="live-state" { "New entries appear here as they are written." }
        table class="log" {
            thead { tr { th { "time (UTC)" } th { "status" } th { "application" } th { "endpoint" } th { "request id" } } }
            tbody id="log-rows" data-rows=(PAGE_ROWS) data-stream={ "/log/stream?" (filters.to_query_string()) } {
                @for e in list { (row(e)) }
            }
        }
        @if list.is_empty() { p class="muted" id="log-empty" { "No entries yet." } }
        script src="/console.js" {}
    }
}

fn row(e: &LogEntry) -> Markup {
    html! {
        tr data-id=(e.request_id) data-ms=(e.datetime_ms) {
            td { (utc_datetime(e.datetime_ms)) }
            td { span class={ "code " (status_class(e.status_code)) } { (e.status_code) } }
            td { (e.application) " " span class="muted" { (e.environment) } }
            td { code { (e.endpoint) } }
            td { a href={ "/log/entry?id=" (e.request_id) } { code { (e.request_id) } } }
        }
    }
}

/// One entry as the stream sends it (the script builds the row).
fn event(e: &LogEntry) -> String {
    let data = serde_json::json!({
        "id": e.request_id,
        "ms": e.datetime_ms,
        "time": utc_datetime(e.datetime_ms),
        "status": e.status_code,
        "class": status_class(e.status_code),
        "application": e.application,
        "environment": e.environment,
        "endpoint": e.endpoint,
    });
    format!("event: entry\ndata: {data}\n\n")
}

/// A response body fed by a channel: the stream's task sends, the body ends when the task drops its sender.
struct ChannelBody(mpsc::Receiver<Bytes>);

impl Body for ChannelBody {
    type Data = Bytes;
    type Error = std::io::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<BodyFrame<Bytes>, std::io::Error>>> {
        self.get_mut()
            .0
            .poll_recv(cx)
            .map(|b| b.map(|b| Ok(BodyFrame::data(b))))
    }
}

/// `GET /log/stream`: Server-Sent Events, one `entry` event per new entry, until the client goes away or the
/// console stops (`closing`).
pub fn stream(state: Arc<State>, filters: Filters, mut closing: watch::Receiver<bool>) -> Answer {
    let (tx, rx) = mpsc::channel::<Bytes>(16);
    tokio::spawn(async move {
        // Request ids sent, with their start times (forgotten once older than the look-back).
        let mut sent: HashMap<String, i64> = HashMap::new();
        let mut quiet = Duration::ZERO;
        let mut tick = tokio::time::interval(POLL_EVERY);
        tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        if tx
            .send(Bytes::from_static(b"retry: 2000\n\n"))
            .await
            .is_err()
        {
            return;
        }
        loop {
            tokio::select! {
                _ = tick.tick() => {}
                _ = closing.changed() => break,
                () = tx.closed() => break,
            }
            let now = state.settings.clock.now_ms();
            let since = now - LOOKBACK_MS;
            sent.retain(|_, ms| *ms >= since);
            let list = match state
                .store
                .entries(filters.query(POLL_LIMIT, Some(since)))
                .await
            {
                Ok(l) => l,
                Err(e) => {
                    tracing::warn!(error = %e, "console: the log stream cannot read the request log");
                    continue;
                }
            };
            let mut out = String::new();
            for e in list.iter().rev() {
                if sent.insert(e.request_id.clone(), e.datetime_ms).is_none() {
                    out.push_str(&event(e));
                }
            }
            quiet += POLL_EVERY;
            if out.is_empty() && quiet >= KEEP_ALIVE {
                out.push_str(": keep-alive\n\n");
            }
            if !out.is_empty() {
                quiet = Duration::ZERO;
                if tx.send(Bytes::from(out)).await.is_err() {
                    break;
                }
            }
        }
    });
    let mut r = Response::new(ChannelBody(rx).boxed());
    *r.status_mut() = StatusCode::OK;
    let h = r.headers_mut();
    h.insert(
        http::header::CONTENT_TYPE,
        HeaderValue::from_static("text/event-stream"),
    );
    h.insert("x-accel-buffering", HeaderValue::from_static("no"));
    r
}

/// `GET /log/entry?id=…`: one entry with its captures, debug documents and, while the server still holds them,
/// the durations of its steps.
pub async fn entry_page(state: &State, frame: &Frame<'_>, id: &str) -> Answer {
    let query = LogQuery {
        request_id: Some(id.to_string()),
        limit: 1,
        details: true,
        ..LogQuery::default()
    };
    let entry = match state.store.entries(query).await {
        Ok(mut l) => l.pop(),
        Err(e) => {
            tracing::error!(error = %e, "console: cannot read a request-log entry");
            return answer::refused(
                StatusCode::SERVICE_UNAVAILABLE,
                "The request log cannot be read now (the server's log says why).",
            );
        }
    };
    let Some(e) = entry else {
        return answer::refused(
            StatusCode::NOT_FOUND,
            "No request-log entry has that request id (it may not be written yet: reload in a second).",
        );
    };
    let timings = super::timings_view::timings(state, id);
    let content = tokio::task::spawn_blocking(move || entry_content(&e, timings))
        .await
        .unwrap_or_else(|_| html! { p { "The entry could not be shown." } });
    answer::html(
        StatusCode::OK,
        page("Request-log entry", Some(frame), content),
        None,
    )
}

fn document(title: &str, text: &str) -> Markup {
    let shown = pretty::xml(text).unwrap_or_else(|| text.to_string());
    html! { h3 { (title) } pre class="body" { (shown) } }
}

fn entry_content(e: &LogEntry, timings: Markup) -> Markup {
    let facts: [(&str, Option<String>); 10] = [
        ("exception message", e.exception_message.clone()),
        ("failed HTTP request", e.http_request_failed_url.clone()),
        (
            "its status",
            e.http_request_failed_status_code.map(|c| c.to_string()),
        ),
        (
            "parameter XSLT error",
            e.xslt_parameter_error_message.clone(),
        ),
        ("perpetual number", e.numbers[0].map(|n| n.to_string())),
        ("year number", e.numbers[1].map(|n| n.to_string())),
        ("month number", e.numbers[2].map(|n| n.to_string())),
        ("request content type", e.request_content_type.clone()),
        (
            "user agent",
            Some(e.user_agent.clone()).filter(|u| !u.is_empty()),
        ),
        ("environment", Some(e.environment.clone())),
    ];
    html! {
        h1 { "Request " code { (e.request_id) } }
        section class="card" {
            div class="card-head" {
                h2 { span class={ "code " (status_class(e.status_code)) } id="entry-status" { (e.status_code) } " "
                    (e.application) " · " code { (e.endpoint) } }
                span class="muted" { (utc_datetime(e.datetime_ms)) " UTC" }
            }
            dl class="facts" {
                @for (name, v) in &facts {
                    @if let Some(v) = v { dt { (name) } dd { (v) } }
                }
            }
            (timings)
            h3 { "Captures" }
            @if e.captures.is_empty() {
                p class="muted" { "none" }
            } @else {
                table { tbody { @for (k, v) in &e.captures { tr { td { code { (k) } } td { code class="value" { (v) } } } } } }
            }
            @if let Some(d) = &e.parameter_transformation_input { (document("Parameter-transformation input", d)) }
            @if let Some(d) = &e.parameter_transformation_output { (document("Parameter-transformation output", d)) }
            @if let Some(b) = &e.request_body {
                h3 { "Request body (" (b.len()) " bytes)" }
                @match std::str::from_utf8(b) {
                    Ok(t) => pre class="body" { (pretty::json(t).or_else(|| pretty::xml(t)).unwrap_or_else(|| t.to_string())) },
                    Err(_) => p class="muted" { "binary; " code { "endpoints log --show " (e.request_id) } " prints it as base64" },
                }
            }
            @if e.parameter_transformation_input.is_none() && e.request_body.is_none() {
                p class="muted" { "Debug documents are recorded for requests sent with " code { "debug=true" }
                    " (when the server runs with " code { "--debug-allowed" } ") and for failed requests sent with "
                    code { "verbose=true" } "." }
            }
        }
    }
}
