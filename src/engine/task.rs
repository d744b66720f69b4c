//! Running an endpoint's tasks and choosing its `<success>`: tasks start as soon as their dependencies are done
//! (independent ones concurrently), `<success>` candidates are tried in order, each after its own dependencies; the
//! first failure aborts everything not yet finished (tasks not started are never started).

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use futures_util::stream::{FuturesUnordered, StreamExt};
use tokio::sync::Notify;

use super::context::Ctx;
use super::failure::{self, Failure};
use super::http::{self, Fetched};
use super::timings::StepKind;
use super::{email, files};
use crate::config::model::task::{HttpTask, OutputValue, Selector, Task, TaskKind};
use crate::config::Endpoint;

/// Which tasks are done, and the intermediate values they produced.
#[derive(Default)]
pub struct Progress {
    state: Mutex<(Vec<bool>, HashMap<String, String>)>,
    changed: Notify,
}

impl Progress {
    pub fn new(tasks: usize) -> Progress {
        Progress {
            state: Mutex::new((vec![false; tasks], HashMap::new())),
            changed: Notify::new(),
        }
    }

    fn complete(&self, index: usize, outputs: Vec<(String, String)>) {
        let mut s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        s.0[index] = true;
        s.1.extend(outputs);
        drop(s);
        self.changed.notify_waiters();
    }

    fn all_done(&self, deps: &[usize]) -> bool {
        let s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        deps.iter().all(|&d| s.0[d])
    }

    /// Waits until every task in `deps` is done.
    pub async fn wait_for(&self, deps: &[usize]) {
        loop {
            let notified = self.changed.notified();
            tokio::pin!(notified);
            notified.as_mut().enable();
            if self.all_done(deps) {
                return;
            }
            notified.await;
        }
    }

    /// The values of the named intermediate values (all produced by finished tasks).
    pub fn values(&self, names: &[String]) -> Vec<String> {
        let s = self.state.lock().unwrap_or_else(|p| p.into_inner());
        names
            .iter()
            .map(|n| s.1.get(n).cloned().unwrap_or_default())
            .collect()
    }
}

/// Runs every task of `endpoint`; returns when all are done, or with the first failure.
pub async fn run_all(
    endpoint: &Endpoint,
    values: &[String],
    ctx: &Ctx<'_>,
    progress: &Progress,
    outbox: &Outbox,
) -> Result<(), Failure> {
    let n = endpoint.tasks.len();
    let mut started = vec![false; n];
    let mut running = FuturesUnordered::new();
    let mut finished = 0;
    while finished < n {
        for (i, task) in endpoint.tasks.iter().enumerate() {
            if !started[i] && progress.all_done(&task.depends_on) {
                started[i] = true;
                running.push(async move {
                    (
                        i,
                        run_one(endpoint, task, values, ctx, progress, outbox).await,
                    )
                });
            }
        }
        match running.next().await {
            Some((i, Ok(outputs))) => {
                progress.complete(i, outputs);
                finished += 1;
            }
            Some((_, Err(f))) => return Err(f),
            None => return Err(Failure::hidden("task dependencies cannot be satisfied")),
        }
    }
    Ok(())
}

async fn run_one(
    endpoint: &Endpoint,
    task: &Task,
    values: &[String],
    ctx: &Ctx<'_>,
    progress: &Progress,
    outbox: &Outbox,
) -> Result<Vec<(String, String)>, Failure> {
    let mut task_values = values.to_vec();
    task_values.extend(progress.values(&task.inputs));
    if let Some(c) = &task.condition {
        if !c.evaluate(&task_values, &endpoint.separator) {
            return Ok(Vec::new());
        }
    }
    // The task's context: the endpoint's values plus its input intermediate values, by name.
    let mut params = ctx.params.clone();
    params.extend(
        task.inputs
            .iter()
            .cloned()
            .zip(task_values[values.len()..].iter().cloned()),
    );
    let task_ctx = Ctx {
        app: ctx.app,
        params,
        intermediate: ctx.intermediate + task.inputs.len(),
        unknown_empty: false,
        uploads: ctx.uploads,
        journal: ctx.journal,
        separator: ctx.separator.clone(),
    };
    // A task whose condition does not hold is no step; one that runs is (when the request is traced).
    let ignored = OnceLock::new();
    let work = run_kind(
        endpoint,
        task,
        &task_values,
        ctx,
        task_ctx,
        outbox,
        &ignored,
    );
    let name = || format!("{} ({})", task.label, kind_name(&task.kind));
    let noted = || {
        ignored
            .get()
            .map(|status| format!("{} (ignored)", failure::remote_outcome(*status)))
    };
    ctx.journal
        .timed_noting(StepKind::Task, name, work, noted)
        .await
}

/// What a task does once its condition holds (`task_ctx`: its values by name); the status of an HTTP failure that
/// `ignore-if-error` lets pass is left in `ignored` (`Some(None)`: no answer came).
async fn run_kind(
    endpoint: &Endpoint,
    task: &Task,
    task_values: &[String],
    ctx: &Ctx<'_>,
    task_ctx: Ctx<'_>,
    outbox: &Outbox,
    ignored: &OnceLock<Option<u16>>,
) -> Result<Vec<(String, String)>, Failure> {
    match &task.kind {
        TaskKind::Http(h) => run_http(task, h, &task_ctx, ignored).await,
        TaskKind::Capture(c) => {
            let value = c.value.expand(task_values);
            let value = ctx.app.secrets.redact(&value).into_owned();
            let value = match &ctx.app.aws_secrets {
                Some(s) => s.redaction().redact(&value).into_owned(),
                None => value,
            };
            ctx.journal.capture(&c.key, value);
            Ok(Vec::new())
        }
        TaskKind::ShortLink(s) => {
            // Written with the request's log entry; rolled back if the request fails.
            let j = ctx.journal;
            let code = crate::store::short_link_code();
            j.add_short_link(crate::store::ShortLink {
                code: code.clone(),
                application: j.application.clone(),
                environment: j.environment.as_str().to_string(),
                endpoint: s.destination.clone(),
                created_ms: j.started_ms,
                expires_ms: j.started_ms.saturating_add(s.expires_minutes * 60_000),
                parameters: ctx.params.clone(),
            });
            Ok(vec![(
                s.output.clone(),
                format!("{}shortlink/{code}", j.base_url),
            )])
        }
        TaskKind::SaveUploads(save) => {
            let dir = save.directory.expand(task_values);
            let params = task_ctx.parameters_xml();
            let uploads: Vec<(String, crate::request::UploadData)> = ctx
                .uploads
                .iter()
                .map(|u| (u.filename.clone(), u.data.clone()))
                .collect();
            let save = save.clone();
            tokio::task::spawn_blocking(move || {
                files::save_uploads(&save, &dir, &uploads, &params)
            })
            .await
            .map_err(|e| Failure::hidden(e.to_string()))??;
            Ok(Vec::new())
        }
        TaskKind::Email(email) => {
            let messages = email::build_messages(
                email,
                ctx.app,
                task_values,
                &endpoint.separator,
                &task_ctx,
                ctx.uploads,
            )
            .await?;
            // Sent only when the whole request has succeeded (see engine::execute).
            outbox.push(Outgoing {
                messages,
                values: task_ctx.params_and_secrets(),
            });
            Ok(Vec::new())
        }
    }
}

/// What a task does, for its step's name.
fn kind_name(kind: &TaskKind) -> &'static str {
    match kind {
        TaskKind::Http(_) => "HTTP request",
        TaskKind::Capture(_) => "request-log capture",
        TaskKind::ShortLink(_) => "short link",
        TaskKind::SaveUploads(_) => "uploads saved",
        TaskKind::Email(_) => "e-mail built",
    }
}

/// E-mails built by tasks, waiting for the request to succeed.
pub struct Outgoing {
    pub messages: Vec<lettre::Message>,
    /// The task's values by name, for the sending configuration's placeholders.
    pub values: Vec<(String, String)>,
}

/// Every e-mail of one request (forwarded endpoints included).
#[derive(Default)]
pub struct Outbox(Mutex<Vec<Outgoing>>);

impl Outbox {
    pub fn push(&self, o: Outgoing) {
        self.0.lock().unwrap_or_else(|p| p.into_inner()).push(o);
    }

    pub fn take(&self) -> Vec<Outgoing> {
        std::mem::take(&mut *self.0.lock().unwrap_or_else(|p| p.into_inner()))
    }
}

/// Runs an HTTP task; a failure that `ignore-if-error` lets pass leaves its status in `ignored`.
async fn run_http(
    task: &Task,
    h: &HttpTask,
    ctx: &Ctx<'_>,
    ignored: &OnceLock<Option<u16>>,
) -> Result<Vec<(String, String)>, Failure> {
    super::aws::resolve_spec_secrets(ctx, &h.spec).await?;
    let fetched = match http::fetch(&h.spec, ctx, &h.options).await {
        Ok(f) => f,
        Err(Ok(failure)) if h.ignore_if_error => {
            let _ = ignored.set(failure.status);
            tracing::warn!(task = %task.label, url = %failure.url, error = %failure.message, "ignored failure of an HTTP task");
            return Ok(Vec::new());
        }
        Err(Ok(failure)) => {
            return Err(
                Failure::hidden(failure.message).with_http_failure(failure.url, failure.status)
            )
        }
        Err(Err(f)) => return Err(f),
    };
    if h.outputs.is_empty() {
        return Ok(Vec::new());
    }
    outputs(&h.outputs, &fetched).await
}

/// The output intermediate values of a response (parsed once).
async fn outputs(list: &[OutputValue], f: &Fetched) -> Result<Vec<(String, String)>, Failure> {
    let url = &f.url;
    let ct = f.content_type.as_deref().unwrap_or("").to_ascii_lowercase();
    let mut out = Vec::with_capacity(list.len());
    if ct.contains("xml") {
        for o in list {
            let Selector::XPath(_, xslt) = &o.selector else {
                return Err(Failure::hidden(format!(
                    "URL '{url}' returned XML, yet output variables request JSONPath"
                )));
            };
            let xslt = xslt.clone();
            let body = f.body.clone();
            let v = tokio::task::spawn_blocking(move || xslt.transform(&body, &[]))
                .await
                .map_err(|e| Failure::hidden(e.to_string()))?
                .map_err(|e| {
                    Failure::hidden(format!("Cannot parse XML response from '{url}': {e}"))
                })?;
            out.push((o, String::from_utf8_lossy(&v).into_owned()));
        }
    } else if ct.contains("json") {
        let json: serde_json::Value = serde_json::from_slice(&f.body).map_err(|e| {
            Failure::hidden(format!("Cannot parse JSON response from '{url}': {e}"))
        })?;
        for o in list {
            let Selector::JsonPath(_, path) = &o.selector else {
                return Err(Failure::hidden(format!(
                    "URL '{url}' returned JSON, yet output variables request XPath"
                )));
            };
            let nodes = path.query(&json).all();
            let v = match nodes.as_slice() {
                [] => return Err(Failure::hidden(format!("JSONPath not found in response from '{url}'"))),
                [one] => match one {
                    serde_json::Value::String(s) => s.clone(),
                    serde_json::Value::Number(n) => n.to_string(),
                    serde_json::Value::Bool(b) => b.to_string(),
                    serde_json::Value::Null => "null".to_string(),
                    serde_json::Value::Object(_) => {
                        return Err(Failure::hidden(
                            "JSONPath returned a JSON object node (= key-value map), whereas a string or number is required",
                        ))
                    }
                    serde_json::Value::Array(_) => {
                        return Err(Failure::hidden("JSONPath returned an array, whereas a string or number is required"))
                    }
                },
                _ => return Err(Failure::hidden("JSONPath returned an array, whereas a string or number is required")),
            };
            out.push((o, v));
        }
    } else {
        return Err(Failure::hidden(format!(
            "URL '{url}' returned an unexpected content type '{}': Expecting XML or JSON",
            f.content_type.as_deref().unwrap_or("")
        )));
    }
    let mut values = Vec::with_capacity(out.len());
    for (o, v) in out {
        if let Some((source, re)) = &o.regex {
            if !re.is_match(&v) {
                let kind = match o.selector {
                    Selector::XPath(..) => "XPath",
                    Selector::JsonPath(..) => "JSONPath",
                };
                return Err(Failure::hidden(format!(
                    "URL '{url}': {kind} returned '{v}' which does not match regex '{source}'"
                )));
            }
        }
        values.push((o.name.clone(), v));
    }
    Ok(values)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use bytes::Bytes;

    use super::*;

    fn json(name: &str, path: &str, regex: Option<&str>) -> OutputValue {
        OutputValue {
            name: name.to_string(),
            selector: Selector::JsonPath(
                path.to_string(),
                Arc::new(serde_json_path::JsonPath::parse(path).unwrap()),
            ),
            regex: regex.map(|r| {
                (
                    r.to_string(),
                    regex::Regex::new(&format!("^(?:{r})$")).unwrap(),
                )
            }),
        }
    }

    fn xpath(name: &str, path: &str) -> OutputValue {
        let dir = std::env::temp_dir();
        let sandbox = crate::stylesheet::Sandbox {
            root: dir.clone(),
            config_dir: dir.clone(),
            static_dir: dir,
        };
        OutputValue {
            name: name.to_string(),
            selector: Selector::XPath(
                path.to_string(),
                Arc::new(
                    crate::config::loader::http_task::xpath_stylesheet(path, &sandbox).unwrap(),
                ),
            ),
            regex: None,
        }
    }

    fn fetched(ct: &str, body: &str) -> Fetched {
        Fetched {
            url: "http://host/path".to_string(),
            status: 200,
            content_type: Some(ct.to_string()),
            body: Bytes::from(body.to_string()),
        }
    }

    async fn one(o: OutputValue, f: Fetched) -> Result<String, String> {
        outputs(&[o], &f)
            .await
            .map(|v| v[0].1.clone())
            .map_err(|e| e.detail.unwrap_or(e.message))
    }

    #[tokio::test]
    async fn json_outputs_as_the_reference_reads_them() {
        let j = |b: &str| fetched("application/json", b);
        /// JSONPath, regex, response body, and the value or the failure's text.
        type Case<'a> = (&'a str, Option<&'a str>, &'a str, Result<&'a str, &'a str>);
        let cases: [Case; 10] = [
            ("$.key", None, r#"{"key":"value"}"#, Ok("value")),
            ("$", None, "123", Ok("123")),
            ("$", None, "123.2", Ok("123.2")),
            ("$", None, "123123123123123", Ok("123123123123123")),
            ("$.b", None, r#"{"b":true}"#, Ok("true")),
            (
                "$",
                None,
                "[123]",
                Err("JSONPath returned an array, whereas a string or number is required"),
            ),
            (
                "$",
                None,
                r#"{"key":123}"#,
                Err("JSONPath returned a JSON object node (= key-value map), whereas a string or number is required"),
            ),
            (
                "$.notfound",
                None,
                "{}",
                Err("JSONPath not found in response from 'http://host/path'"),
            ),
            (
                "$",
                Some(r"[\w.]+"),
                r#""!""#,
                Err(r"URL 'http://host/path': JSONPath returned '!' which does not match regex '[\w.]+'"),
            ),
            ("$.id", Some(r"\d+"), r#"{"id":42}"#, Ok("42")),
        ];
        for (path, regex, body, expected) in cases {
            let got = one(json("v", path, regex), j(body)).await;
            assert_eq!(
                got.as_deref().map_err(String::as_str),
                expected,
                "{path} on {body}"
            );
        }
        assert!(one(json("v", "$", None), j("not json"))
            .await
            .unwrap_err()
            .starts_with("Cannot parse JSON response from 'http://host/path'"));
        assert_eq!(
            one(xpath("v", "/a"), j("{}")).await.unwrap_err(),
            "URL 'http://host/path' returned JSON, yet output variables request XPath"
        );
    }

    #[tokio::test]
    async fn xml_outputs_and_content_types() {
        let x = |b: &str| fetched("application/xml", b);
        assert_eq!(
            one(xpath("v", "/element/text()"), x("<element>value</element>"))
                .await
                .unwrap(),
            "value"
        );
        assert_eq!(
            one(xpath("v", "/nothing"), x("<element>value</element>"))
                .await
                .unwrap(),
            ""
        );
        assert!(one(xpath("v", "/a"), x("<a>"))
            .await
            .unwrap_err()
            .starts_with("Cannot parse XML response from 'http://host/path'"));
        assert_eq!(
            one(json("v", "$", None), x("<a/>")).await.unwrap_err(),
            "URL 'http://host/path' returned XML, yet output variables request JSONPath"
        );
        assert_eq!(
            one(json("v", "$", None), fetched("text/plain", "x")).await.unwrap_err(),
            "URL 'http://host/path' returned an unexpected content type 'text/plain': Expecting XML or JSON"
        );
    }
}
