//! Step timings kept in memory for the console: a real server with tracing on runs an endpoint with a parameter
//! transformation, an HTTP task to a slow local receiver and a response transformation; its trace (read through
//! `State::traces`) holds those steps with plausible durations, names from the configuration only, and a failed
//! task's short outcome. With tracing off (the default) nothing is kept.

mod common;

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use common::upstream;
use endpoints::config::{self, LoadOptions};
use endpoints::engine::timings::{StepKind, Trace, Traces};
use endpoints::engine::{Environment, Settings};
use endpoints::request::Limits;
use endpoints::server::{Running, State};
use http::StatusCode;

/// How long the receiver of the HTTP task waits before it answers.
const TASK_DELAY: Duration = Duration::from_millis(150);

const ENDPOINTS: &str = r#"<?xml version="1.0" encoding="UTF-8"?>
<endpoint-folder>
    <parameter name="upstream"/>
    <parameter name="a"/>
    <endpoint name="traced">
        <parameter-transformation xslt="copy.xsl"/>
        <task class="endpoints.task.HttpRequestTask" id="notify"><url>${upstream}/notify?a=${a}</url></task>
        <success><response-transformation name="page"/></success>
    </endpoint>
    <endpoint name="forwarding">
        <success><forward-to-endpoint endpoint-name="traced">
            <input-parameter name="a">${a}-fwd</input-parameter>
            <input-parameter name="upstream">${upstream}</input-parameter>
        </forward-to-endpoint></success>
    </endpoint>
    <endpoint name="ignoring">
        <task class="endpoints.task.HttpRequestTask" ignore-if-error="true"><url>${upstream}/broken</url></task>
        <success status="202"/>
    </endpoint>
    <endpoint name="failing">
        <task class="endpoints.task.HttpRequestTask" id="broken"><url>${upstream}/broken?secret=s3cr3t</url></task>
        <success/>
    </endpoint>
</endpoint-folder>
"#;

/// The parameter transformation passes the request's parameters on.
const COPY_XSL: &str = r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:template match="/"><parameter-transformation-output>
        <xsl:for-each select="/parameter-transformation-input/input-from-request/parameter">
            <parameter name="{@name}" value="{@value}"/>
        </xsl:for-each>
    </parameter-transformation-output></xsl:template>
</xsl:stylesheet>"#;

const PAGE_XSL: &str = r#"<xsl:stylesheet version="1.0" xmlns:xsl="http://www.w3.org/1999/XSL/Transform">
    <xsl:output method="text"/>
    <xsl:template match="/">a=<xsl:value-of select="//parameter[@name='a']/@value"/></xsl:template>
</xsl:stylesheet>"#;

fn write(dir: &Path, file: &str, text: &str) {
    let path = dir.join(file);
    std::fs::create_dir_all(path.parent().unwrap()).unwrap();
    std::fs::write(path, text).unwrap();
}

fn application() -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    write(
        d,
        "security.xml",
        "<security><secret-key>k</secret-key></security>",
    );
    write(d, "endpoints.xml", ENDPOINTS);
    write(d, "parameter-xslt/copy.xsl", COPY_XSL);
    write(
        d,
        "data-sources/page.xml",
        "<data-source><parameters/></data-source>",
    );
    write(d, "data-source-xslt/page.xsl", PAGE_XSL);
    write(
        d,
        "transformers/page.xml",
        r#"<transformer data-source="page"><xslt-file name="page.xsl"/></transformer>"#,
    );
    dir
}

/// The real server on an ephemeral port serving the application in `dir`, with `traces`.
async fn start(dir: &Path, traces: Traces) -> Running {
    let settings = Settings {
        check_hash: false,
        ..Settings::default()
    };
    let load = LoadOptions {
        name: Some("app".to_string()),
        hash_check: false,
        ..LoadOptions::default()
    };
    let app = config::load(dir, &load).unwrap_or_else(|e| panic!("{:?}", e.0));
    let mut state = State::empty(Limits::default(), settings);
    state.add(app, dir, Environment::Live, load);
    state.traces = traces;
    Running::start("127.0.0.1:0".parse().unwrap(), Arc::new(state))
        .await
        .unwrap()
}

/// A receiver that answers `/notify` after [`TASK_DELAY`] and `/broken` with 503.
async fn receiver() -> std::net::SocketAddr {
    upstream::serve(|parts, _body| async move {
        if parts.uri.path() == "/notify" {
            tokio::time::sleep(TASK_DELAY).await;
            upstream::respond(200, "text/plain", "ok")
        } else {
            upstream::respond(503, "text/plain", "down")
        }
    })
    .await
}

/// The trace of `request_id` once it is finished and holds a task step (polled, bounded).
async fn finished_trace(state: &State, request_id: &str) -> Trace {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if let Some(t) = state.traces.get(request_id) {
            if t.total.is_some() && t.steps.iter().any(|s| s.kind == StepKind::Task) {
                return t;
            }
        }
        assert!(
            Instant::now() < deadline,
            "no finished trace with a task step for {request_id}: {:?}",
            state.traces.get(request_id)
        );
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

fn url_encode(s: &str) -> String {
    form_urlencoded::byte_serialize(s.as_bytes()).collect()
}

#[tokio::test]
async fn a_traced_request_keeps_its_steps_and_their_durations() {
    let up = receiver().await;
    let dir = application();
    let server = start(dir.path(), Traces::new(10)).await;
    let upstream_url = url_encode(&format!("http://{up}"));
    let started = Instant::now();
    let resp = common::send_h1(
        server.addr,
        http::Method::GET,
        &format!("/traced?a=x&upstream={upstream_url}"),
        &[],
        bytes::Bytes::new(),
    )
    .await;
    let client_saw = started.elapsed();
    assert_eq!(resp.status, StatusCode::OK, "{}", resp.text());
    assert_eq!(resp.text(), "a=x");
    let id = resp.header("x-request-id").unwrap().to_string();

    let trace = finished_trace(&server.state, &id).await;
    assert_eq!(trace.request_id, id);
    assert_eq!(
        (
            trace.application.as_str(),
            trace.environment.as_str(),
            trace.endpoint.as_str()
        ),
        ("app", "live", "traced")
    );
    assert_eq!(trace.dropped_steps, 0);
    let total = trace.total.unwrap();
    assert!(total >= TASK_DELAY && total <= client_saw, "{trace:#?}");
    let step = |kind: StepKind| {
        trace
            .steps
            .iter()
            .find(|s| s.kind == kind)
            .unwrap_or_else(|| panic!("no {} step in {trace:#?}", kind.label()))
    };
    let pt = step(StepKind::ParameterTransformation);
    let task = step(StepKind::Task);
    let transformation = step(StepKind::Transformation);
    let data_source = step(StepKind::DataSource);
    assert_eq!(pt.name, "traced");
    assert_eq!(task.name, "<task id='notify'/> (HTTP request)");
    assert_eq!(transformation.name, "page");
    assert_eq!(data_source.name, "page");
    for s in &trace.steps {
        assert_eq!(s.outcome, Ok(()), "{s:?}");
        assert!(
            s.started_after + s.duration <= total,
            "{s:?} beyond {total:?}"
        );
        assert!(!s.name.contains("127.0.0.1"), "{s:?}");
    }
    // The task waited for the receiver; the parameter transformation came before it; the data source ran within
    // its transformation.
    assert!(task.duration >= TASK_DELAY, "{task:?}");
    assert!(
        pt.started_after + pt.duration <= task.started_after,
        "{trace:#?}"
    );
    assert!(
        transformation.started_after <= data_source.started_after
            && data_source.started_after + data_source.duration
                <= transformation.started_after + transformation.duration,
        "{trace:#?}"
    );
    // Ordered by start: the parameter transformation is first.
    assert_eq!(trace.steps[0].kind, StepKind::ParameterTransformation);
}

#[tokio::test]
async fn a_failed_task_has_a_short_outcome_without_its_url() {
    let up = receiver().await;
    let dir = application();
    let server = start(dir.path(), Traces::new(10)).await;
    let upstream_url = url_encode(&format!("http://{up}"));
    let resp = server_get(&server, &format!("/failing?a=x&upstream={upstream_url}")).await;
    assert_eq!(resp.status, StatusCode::INTERNAL_SERVER_ERROR);
    let id = resp.header("x-request-id").unwrap().to_string();
    let trace = finished_trace(&server.state, &id).await;
    let task = trace
        .steps
        .iter()
        .find(|s| s.kind == StepKind::Task)
        .unwrap();
    assert_eq!(task.name, "<task id='broken'/> (HTTP request)");
    assert_eq!(
        task.outcome,
        Err("failed: HTTP 503 from the remote server".to_string())
    );
    let text = format!("{trace:?}");
    assert!(
        !text.contains("s3cr3t") && !text.contains(&up.to_string()),
        "{text}"
    );
}

#[tokio::test]
async fn a_forward_contains_the_target_endpoint_steps() {
    let up = receiver().await;
    let dir = application();
    let server = start(dir.path(), Traces::new(10)).await;
    let upstream_url = url_encode(&format!("http://{up}"));
    let resp = server_get(&server, &format!("/forwarding?a=x&upstream={upstream_url}")).await;
    assert_eq!(resp.status, StatusCode::OK, "{}", resp.text());
    assert_eq!(resp.text(), "a=x-fwd");
    let id = resp.header("x-request-id").unwrap();
    let trace = finished_trace(&server.state, id).await;
    assert_eq!(trace.endpoint, "forwarding");
    let kinds: Vec<StepKind> = trace.steps.iter().map(|s| s.kind).collect();
    assert_eq!(kinds[0], StepKind::Forward, "{trace:#?}");
    let forward = &trace.steps[0];
    assert_eq!(forward.name, "traced");
    assert!(forward.duration >= TASK_DELAY, "{forward:?}");
    for s in &trace.steps[1..] {
        assert!(
            s.started_after >= forward.started_after
                && s.started_after + s.duration <= forward.started_after + forward.duration,
            "{s:?} outside the forward {forward:?}"
        );
    }
    for kind in [
        StepKind::ParameterTransformation,
        StepKind::Task,
        StepKind::Transformation,
    ] {
        assert!(kinds.contains(&kind), "no {} in {trace:#?}", kind.label());
    }
}

#[tokio::test]
async fn an_ignored_task_failure_is_shown_as_ignored() {
    let up = receiver().await;
    let dir = application();
    let server = start(dir.path(), Traces::new(10)).await;
    let upstream_url = url_encode(&format!("http://{up}"));
    let resp = server_get(&server, &format!("/ignoring?a=x&upstream={upstream_url}")).await;
    assert_eq!(resp.status, StatusCode::ACCEPTED, "{}", resp.text());
    let id = resp.header("x-request-id").unwrap();
    let trace = finished_trace(&server.state, id).await;
    assert_eq!(trace.steps.len(), 1, "{trace:#?}");
    assert_eq!(
        trace.steps[0].outcome,
        Err("failed: HTTP 503 from the remote server (ignored)".to_string())
    );
}

#[tokio::test]
async fn nothing_is_kept_when_tracing_is_off() {
    let up = receiver().await;
    let dir = application();
    let server = start(dir.path(), Traces::default()).await;
    let upstream_url = url_encode(&format!("http://{up}"));
    let resp = server_get(&server, &format!("/traced?a=x&upstream={upstream_url}")).await;
    assert_eq!(resp.status, StatusCode::OK, "{}", resp.text());
    let id = resp.header("x-request-id").unwrap();
    assert!(!server.state.traces.enabled());
    assert!(server.state.traces.get(id).is_none());
    assert!(server.state.traces.is_empty());
}

#[tokio::test]
async fn only_the_most_recent_requests_are_kept() {
    let up = receiver().await;
    let dir = application();
    let server = start(dir.path(), Traces::new(2)).await;
    let upstream_url = url_encode(&format!("http://{up}"));
    let mut ids = Vec::new();
    for _ in 0..3 {
        let resp = server_get(&server, &format!("/failing?a=x&upstream={upstream_url}")).await;
        ids.push(resp.header("x-request-id").unwrap().to_string());
    }
    assert_eq!(server.state.traces.len(), 2);
    assert!(server.state.traces.get(&ids[0]).is_none());
    finished_trace(&server.state, &ids[1]).await;
    finished_trace(&server.state, &ids[2]).await;
}

async fn server_get(server: &Running, path_and_query: &str) -> common::Resp {
    common::send_h1(
        server.addr,
        http::Method::GET,
        path_and_query,
        &[],
        bytes::Bytes::new(),
    )
    .await
}
