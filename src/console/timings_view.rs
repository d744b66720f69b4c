//! The durations of one request's steps, shown on its request-log entry page.

use maud::{html, Markup};

use crate::server::State;

/// The steps of request `request_id`, while the server still holds them.
pub fn timings(_state: &State, _request_id: &str) -> Markup {
    html! {}
}
