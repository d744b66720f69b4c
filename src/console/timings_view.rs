//! The durations of one request's steps (parameter transformation, data sources, transformations, tasks, forwards,
//! responses from URLs, e-mail sending), shown on its request-log entry page. The server keeps them in memory for
//! its most recent requests, and only while the console runs ([`crate::engine::timings`]).

use std::time::Duration;

use maud::{html, Markup};

use crate::server::State;

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1000.0)
}

/// The steps of request `request_id`, while the server still holds them.
pub fn timings(state: &State, request_id: &str) -> Markup {
    let Some(trace) = state.traces.get(request_id) else {
        return html! {
            h3 { "Timings" }
            p class="muted" id="timings" {
                "Not held: the server keeps the step timings of its most recent requests in memory while the console runs."
            }
        };
    };
    // The scale of the bars: the whole run, or the longest step while it runs.
    let scale = trace
        .total
        .or_else(|| {
            trace
                .steps
                .iter()
                .map(|s| s.started_after + s.duration)
                .max()
        })
        .unwrap_or_default()
        .as_micros()
        .max(1);
    html! {
        h3 { "Timings" }
        p id="timings" {
            @match trace.total {
                Some(t) => { "The endpoint's run took " strong { (ms(t)) } " (from its body read to its response ready)." }
                None => "The endpoint is still running.",
            }
        }
        @if trace.steps.is_empty() {
            p class="muted" { "No transformation, data source, task or forward ran." }
        } @else {
            table class="timeline" {
                thead { tr { th { "step" } th { "name" } th { "starts at" } th { "took" } th {} th { "outcome" } } }
                tbody {
                    @for s in &trace.steps {
                        tr {
                            td { (s.kind.label()) }
                            td { code { (s.name) } }
                            td { "+" (ms(s.started_after)) }
                            td { (ms(s.duration)) }
                            td { progress max=(scale) value=(s.duration.as_micros().min(scale)) { (ms(s.duration)) } }
                            td {
                                @match &s.outcome {
                                    Ok(()) => span class="ok" { "ok" },
                                    Err(e) => span class="bad" { (e) },
                                }
                            }
                        }
                    }
                }
            }
            @if trace.dropped_steps > 0 {
                p class="muted" { (trace.dropped_steps) " more steps were not kept." }
            }
        }
    }
}
