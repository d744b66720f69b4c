//! An endpoint about to run for one request (from its URL or from a short link): the one place the server builds
//! the engine's [`engine::Call`], and the result turned into HTTP.

use std::sync::atomic::AtomicBool;
use std::sync::OnceLock;

use http::Response;

use super::body::ResponseBody;
use super::respond::to_http;
use super::state::State;
use crate::config::Application;
use crate::engine::{self, journal::Journal, Environment, Failure};
use crate::request::RequestInput;

/// An endpoint about to run for one request.
pub struct Prepared<'a> {
    pub app: &'a Application,
    /// The endpoint's index in `app.endpoints`.
    pub index: usize,
    pub environment: Environment,
    /// A failure found while reading the input, answered by the endpoint's `<error>`.
    pub input_failure: Option<Failure>,
    /// A short link runs its endpoint without the hash or `<authentication>` check.
    pub skip_authentication: bool,
}

/// What the engine notes about a run for the access log.
struct Notes<'c> {
    hash_absent_accepted: &'c AtomicBool,
    failure_reason: &'c OnceLock<String>,
}

/// What a run gives the access log besides the response.
pub struct Ran {
    pub response: Response<ResponseBody>,
    /// Body bytes sent from memory.
    pub bytes: u64,
    /// The request had no `hash` and was accepted because its application accepts a missing hash.
    pub hash_absent_accepted: bool,
    /// Why the request failed, when it ended in the endpoint's error flow.
    pub failure: Option<String>,
}

impl<'a> Prepared<'a> {
    /// Runs the endpoint (its request-log entry committed) and turns the result into HTTP.
    pub async fn run(
        self,
        state: &State,
        input: &RequestInput,
        started_ms: i64,
        request_id: &str,
        parts: &http::request::Parts,
    ) -> Ran {
        let journal = Journal::new(
            &state.store,
            &self.app.name,
            self.environment,
            started_ms,
            &state.settings,
        );
        // Step timings, when the server keeps them (`--console`): nothing is measured otherwise.
        let trace = state.traces.start(
            request_id,
            &self.app.name,
            self.environment.as_str(),
            &self.app.endpoints[self.index].name,
        );
        let journal = journal.with_trace(trace.clone());
        let hash_absent_accepted = AtomicBool::new(false);
        let failure_reason = OnceLock::new();
        let notes = Notes {
            hash_absent_accepted: &hash_absent_accepted,
            failure_reason: &failure_reason,
        };
        let call = self.into_call(state, input, request_id, journal, notes);
        // Boxed: the engine's state is kilobytes, and inline it would be copied with each enclosing future.
        let result = Box::pin(engine::execute(call)).await;
        let (response, bytes) = to_http(result, parts, request_id).await;
        if let Some(t) = trace {
            t.finish();
        }
        Ran {
            response,
            bytes,
            hash_absent_accepted: hash_absent_accepted.into_inner(),
            failure: failure_reason.into_inner(),
        }
    }

    /// The engine's call for this request.
    fn into_call<'c>(
        self,
        state: &'c State,
        input: &'c RequestInput,
        request_id: &'c str,
        journal: Journal,
        notes: Notes<'c>,
    ) -> engine::Call<'c>
    where
        'a: 'c,
    {
        engine::Call {
            app: self.app,
            endpoint: &self.app.endpoints[self.index],
            environment: self.environment,
            input,
            input_failure: self.input_failure,
            request_id,
            settings: &state.settings,
            outbox: Default::default(),
            journal,
            skip_authentication: self.skip_authentication,
            hash_absent_accepted: notes.hash_absent_accepted,
            failure_reason: notes.failure_reason,
        }
    }
}
