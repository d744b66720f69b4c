//! How long each step of recent requests took (parameter transformation, data sources, transformations, tasks,
//! forwards, e-mail sending), kept in memory for the console: the request log in the store holds no such data.
//!
//! [`Traces`] is the server's bounded record: the most recent [`DEFAULT_CAPACITY`] requests, each with at most
//! [`DEFAULT_MAX_STEPS`] steps. It is off unless `endpoints serve --console` turns it on; when it is off a request
//! costs nothing here: [`Traces::start`] returns `None`, and the engine then takes no time stamps, allocates
//! nothing and takes no lock per step.
//!
//! When it is on, [`Traces::start`] registers a [`Recorder`] for the request before anything runs, so that a
//! request still running is visible (its [`Trace::total`] is `None`) and a step that finishes late still lands
//! in its trace. The engine carries the recorder in the request's journal
//! ([`crate::engine::journal::Journal::timed`]).
//!
//! Step names are configuration names (endpoint, data source, transformer, task label) and outcomes are short
//! kinds of failure ([`crate::engine::Failure::step_outcome`]): neither carries parameter values, secrets, URLs
//! or file paths.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// How many requests [`Traces::new`] keeps.
pub const DEFAULT_CAPACITY: usize = 1000;

/// How many steps one trace keeps; later ones are counted in [`Trace::dropped_steps`].
pub const DEFAULT_MAX_STEPS: usize = 200;

/// What a step did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum StepKind {
    /// An endpoint's `<parameter-transformation>` (its data-source commands and its XSLT).
    ParameterTransformation,
    /// A data source building a `<transformation-input>` document.
    DataSource,
    /// A transformer: its data source, its XSLT and the output conversion (JSON, Excel, PDF).
    Transformation,
    /// One `<task>` (HTTP request, e-mail built, request-log capture, short link, uploads saved).
    Task,
    /// A `<forward-to-endpoint>`: the target endpoint's whole run.
    Forward,
    /// A response that is neither a transformation nor a fixed answer: `<response-from-url>` (until the upstream
    /// answered; the body streams afterwards) or an Office template.
    Response,
    /// Sending the e-mails the tasks built, after the request succeeded.
    Email,
}

impl StepKind {
    /// A short name for display.
    pub fn label(self) -> &'static str {
        match self {
            StepKind::ParameterTransformation => "parameter transformation",
            StepKind::DataSource => "data source",
            StepKind::Transformation => "transformation",
            StepKind::Task => "task",
            StepKind::Forward => "forward",
            StepKind::Response => "response",
            StepKind::Email => "e-mail sending",
        }
    }
}

/// One timed step of a request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Step {
    pub kind: StepKind,
    /// The configuration's name for it (see [`StepKind`]): an endpoint, data source or transformer name, or a task
    /// label such as `<task id='notify'/> (HTTP)`.
    pub name: String,
    /// When it started, counted from the start of the endpoint's run.
    pub started_after: Duration,
    pub duration: Duration,
    /// `Err` holds a short kind of failure such as `failed: HTTP 503 from the remote server`.
    pub outcome: Result<(), String>,
}

/// The steps of one request.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Trace {
    pub request_id: String,
    pub application: String,
    pub environment: String,
    pub endpoint: String,
    /// From the start of the endpoint's run (its body already read) until its response was ready to send; `None`
    /// while it runs. A streamed body (`<response-from-url>`) is sent afterwards and not counted.
    pub total: Option<Duration>,
    /// Ordered by start; a step that contains others (a transformation and its data source, a forward and the
    /// target's steps) comes before them.
    pub steps: Vec<Step>,
    /// Steps left out because the trace already held its maximum.
    pub dropped_steps: usize,
}

/// The recent requests' traces, or nothing when tracing is off (the default).
#[derive(Default)]
pub struct Traces {
    ring: Option<Ring>,
}

struct Ring {
    capacity: usize,
    max_steps: usize,
    recent: Mutex<VecDeque<Arc<Recorder>>>,
}

impl Traces {
    /// Tracing off: [`Traces::start`] returns `None` and [`Traces::get`] finds nothing.
    pub fn disabled() -> Traces {
        Traces { ring: None }
    }

    /// Tracing on, keeping the last `capacity` requests with [`DEFAULT_MAX_STEPS`] steps each.
    pub fn new(capacity: usize) -> Traces {
        Traces::with_limits(capacity, DEFAULT_MAX_STEPS)
    }

    /// Tracing on, keeping the last `capacity` requests with at most `max_steps` steps each.
    pub fn with_limits(capacity: usize, max_steps: usize) -> Traces {
        Traces {
            ring: Some(Ring {
                capacity: capacity.max(1),
                max_steps,
                recent: Mutex::new(VecDeque::new()),
            }),
        }
    }

    pub fn enabled(&self) -> bool {
        self.ring.is_some()
    }

    /// Registers a request that starts now (the oldest one is forgotten when the record is full); `None` when
    /// tracing is off.
    pub fn start(
        &self,
        request_id: &str,
        application: &str,
        environment: &str,
        endpoint: &str,
    ) -> Option<Arc<Recorder>> {
        let ring = self.ring.as_ref()?;
        let recorder = Arc::new(Recorder {
            start: Instant::now(),
            max_steps: ring.max_steps,
            head: Trace {
                request_id: request_id.to_string(),
                application: application.to_string(),
                environment: environment.to_string(),
                endpoint: endpoint.to_string(),
                total: None,
                steps: Vec::new(),
                dropped_steps: 0,
            },
            live: Mutex::new(Live::default()),
        });
        let mut recent = lock(&ring.recent);
        if recent.len() >= ring.capacity {
            recent.pop_front();
        }
        recent.push_back(recorder.clone());
        Some(recorder)
    }

    /// A copy of the trace of `request_id`, if it is still kept.
    pub fn get(&self, request_id: &str) -> Option<Trace> {
        let ring = self.ring.as_ref()?;
        let recorder = lock(&ring.recent)
            .iter()
            .rev()
            .find(|r| r.head.request_id == request_id)
            .cloned()?;
        Some(recorder.snapshot())
    }

    /// How many requests are kept.
    pub fn len(&self) -> usize {
        self.ring.as_ref().map_or(0, |r| lock(&r.recent).len())
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The trace of one request while it runs: the engine adds steps, [`Traces::get`] reads it.
pub struct Recorder {
    start: Instant,
    max_steps: usize,
    /// What does not change: the request's names (its steps are in `live`).
    head: Trace,
    live: Mutex<Live>,
}

/// What changes while the request runs.
#[derive(Default)]
struct Live {
    steps: Vec<Step>,
    dropped: usize,
    total: Option<Duration>,
}

impl Recorder {
    /// Adds a step that started at `started` and ends now.
    pub fn record(
        &self,
        kind: StepKind,
        name: String,
        started: Instant,
        outcome: Result<(), String>,
    ) {
        let now = Instant::now();
        let step = Step {
            kind,
            name,
            started_after: started.saturating_duration_since(self.start),
            duration: now.saturating_duration_since(started),
            outcome,
        };
        let mut live = lock(&self.live);
        if live.steps.len() < self.max_steps {
            live.steps.push(step);
        } else {
            live.dropped += 1;
        }
    }

    /// The response is ready: sets [`Trace::total`].
    pub fn finish(&self) {
        lock(&self.live).total = Some(self.start.elapsed());
    }

    /// A copy of the trace, its steps ordered by start.
    pub fn snapshot(&self) -> Trace {
        let mut t = self.head.clone();
        {
            let live = lock(&self.live);
            t.steps = live.steps.clone();
            t.dropped_steps = live.dropped;
            t.total = live.total;
        }
        // Steps are added as they end; of two that start together, the longer one (the outer) comes first.
        t.steps
            .sort_by_key(|s| (s.started_after, std::cmp::Reverse(s.duration)));
        t
    }
}

fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|p| p.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ok_step(r: &Recorder, name: &str) {
        r.record(StepKind::Task, name.to_string(), Instant::now(), Ok(()));
    }

    #[test]
    fn disabled_records_nothing() {
        let t = Traces::disabled();
        assert!(!t.enabled());
        assert!(t.start("r1", "app", "live", "e").is_none());
        assert!(t.get("r1").is_none());
        assert_eq!(t.len(), 0);
        assert!(!Traces::default().enabled());
    }

    #[test]
    fn keeps_only_the_most_recent_requests() {
        let t = Traces::new(3);
        for i in 0..5 {
            let r = t.start(&format!("r{i}"), "app", "live", "e").unwrap();
            ok_step(&r, &format!("step of r{i}"));
        }
        assert_eq!(t.len(), 3);
        assert!(t.get("r0").is_none());
        assert!(t.get("r1").is_none());
        for i in 2..5 {
            let trace = t.get(&format!("r{i}")).unwrap();
            assert_eq!(trace.request_id, format!("r{i}"));
            assert_eq!(trace.steps.len(), 1);
            assert_eq!(trace.steps[0].name, format!("step of r{i}"));
        }
    }

    #[test]
    fn get_by_id_copies_the_running_and_the_finished_trace() {
        let t = Traces::new(10);
        let r = t.start("abc", "shop", "preview", "order").unwrap();
        let _other = t.start("def", "shop", "live", "list").unwrap();
        let running = t.get("abc").unwrap();
        assert_eq!(
            (
                running.application.as_str(),
                running.environment.as_str(),
                running.endpoint.as_str()
            ),
            ("shop", "preview", "order")
        );
        assert_eq!(running.total, None);
        assert!(running.steps.is_empty());
        let started = Instant::now();
        std::thread::sleep(Duration::from_millis(20));
        r.record(
            StepKind::Transformation,
            "page".into(),
            started,
            Err("failed: 500 Internal Server Error".into()),
        );
        r.finish();
        let done = t.get("abc").unwrap();
        let total = done.total.expect("finished");
        let step = &done.steps[0];
        assert_eq!(step.kind, StepKind::Transformation);
        assert!(step.duration >= Duration::from_millis(20), "{step:?}");
        assert!(step.started_after + step.duration <= total, "{done:?}");
        assert_eq!(
            step.outcome,
            Err("failed: 500 Internal Server Error".to_string())
        );
        assert!(t.get("nope").is_none());
    }

    #[test]
    fn a_trace_keeps_at_most_max_steps() {
        let t = Traces::with_limits(2, 3);
        let r = t.start("r", "a", "live", "e").unwrap();
        for i in 0..5 {
            ok_step(&r, &i.to_string());
        }
        let trace = t.get("r").unwrap();
        assert_eq!(
            trace
                .steps
                .iter()
                .map(|s| s.name.as_str())
                .collect::<Vec<_>>(),
            ["0", "1", "2"]
        );
        assert_eq!(trace.dropped_steps, 2);
    }

    #[test]
    fn steps_are_ordered_by_start() {
        let t = Traces::new(1);
        let r = t.start("r", "a", "live", "e").unwrap();
        let outer = Instant::now();
        std::thread::sleep(Duration::from_millis(2));
        let inner = Instant::now();
        r.record(StepKind::DataSource, "inner".into(), inner, Ok(()));
        r.record(StepKind::Transformation, "outer".into(), outer, Ok(()));
        let names: Vec<_> = t
            .get("r")
            .unwrap()
            .steps
            .into_iter()
            .map(|s| s.name)
            .collect();
        assert_eq!(names, ["outer", "inner"]);
    }

    #[test]
    fn labels() {
        assert_eq!(
            StepKind::ParameterTransformation.label(),
            "parameter transformation"
        );
        assert_eq!(StepKind::Task.label(), "task");
    }
}
