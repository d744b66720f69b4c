//! Running data sources: each command produces XML elements (commands of one data source run concurrently, their
//! outputs keep command order), post-processing steps reshape them, and the result is the input document of a
//! transformer (`<transformation-input>`) or part of a parameter transformation's input.

use std::path::Path;

use md5::{Digest, Md5};

pub use super::context::{file_upload_xml, Ctx};
use super::failure::Failure;
use super::http::{self, Fetched};
use super::stylesheet;
use super::timings::StepKind;
use super::{aws, database, journal};
use crate::config::model::data_source::{Command, CommandKind, PostProcess};
use crate::config::template::Pattern;
use crate::convert::escape::escape_xml;

use crate::convert::xml_root::root_element_source;

/// Applies `<post-process>` steps to a list of elements.
async fn post_process(
    steps: &[PostProcess],
    mut elements: Vec<String>,
) -> Result<Vec<String>, Failure> {
    for step in steps {
        let mut input = String::from("<data-source-post-processing-input>");
        for e in &elements {
            input.push_str(e);
        }
        input.push_str("</data-source-post-processing-input>");
        let out = stylesheet::run(step.xslt.clone(), input, Vec::new()).await?;
        let text = String::from_utf8(out)
            .map_err(|_| Failure::hidden("post-processing output is not UTF-8"))?;
        let body = text.strip_prefix('\u{feff}').unwrap_or(&text);
        let doc = roxmltree::Document::parse(body).map_err(|e| {
            Failure::hidden(format!(
                "post-processing '{}' output is not XML: {e}",
                step.name
            ))
        })?;
        let root = doc.root_element();
        if root.tag_name().name() != "data-source-post-processing-output" {
            return Err(Failure::hidden(format!(
                "Data Source post-processing returned a document whose root node was <{}> but should be <data-source-post-processing-output>",
                root.tag_name().name()
            )));
        }
        elements = root
            .children()
            .filter(|c| c.is_element())
            .map(|c| body[c.range()].to_string())
            .collect();
    }
    Ok(elements)
}

/// Runs the commands concurrently and returns their post-processed elements in command order.
pub async fn run_commands(commands: &[Command], ctx: &Ctx<'_>) -> Result<Vec<String>, Failure> {
    let futures = commands.iter().map(|c| async move {
        let out = run_command(c, ctx).await?;
        post_process(&c.post_process, out).await
    });
    let results = futures_util::future::join_all(futures).await;
    let mut all = Vec::new();
    for r in results {
        all.extend(r?);
    }
    Ok(all)
}

/// The `<transformation-input>` document of data source `index` (a step of a traced request).
pub async fn run_data_source(index: usize, ctx: &Ctx<'_>) -> Result<String, Failure> {
    let ds = &ctx.app.data_sources[index];
    let build = async {
        let elements = run_commands(&ds.commands, ctx).await?;
        let elements = post_process(&ds.post_process, elements).await?;
        let mut doc = String::from("<transformation-input>");
        for e in elements {
            doc.push_str(&e);
        }
        doc.push_str("</transformation-input>");
        Ok(doc)
    };
    ctx.journal
        .timed(StepKind::DataSource, || ds.name.clone(), build)
        .await
}

async fn run_command(c: &Command, ctx: &Ctx<'_>) -> Result<Vec<String>, Failure> {
    if ctx.app.aws_secrets.is_some() {
        let patterns = c.patterns();
        let names: Vec<&str> = patterns.iter().flat_map(|p| p.names()).collect();
        aws::resolve_secrets(ctx, &names).await?;
    }
    match &c.kind {
        CommandKind::LiteralXml(list) => list.iter().map(|p| ctx.expand(p)).collect(),
        CommandKind::Parameters => Ok(vec![ctx.parameters_xml()]),
        CommandKind::Md5 { message, id } => {
            let m = ctx.expand(message)?;
            let digest = Md5::digest(m.as_bytes());
            let hex: String = digest.iter().map(|b| format!("{b:02x}")).collect();
            let mut s = String::from("<hash");
            if let Some(id) = id {
                s.push_str(" id=\"");
                escape_xml(&ctx.expand(id)?, &mut s);
                s.push('"');
            }
            s.push('>');
            s.push_str(&hex);
            s.push_str("</hash>");
            Ok(vec![s])
        }
        CommandKind::XmlFromApplication {
            file,
            ignore_if_not_found,
            preloaded,
        } => {
            let pattern = match preloaded {
                Some(p) => p.clone(),
                None => {
                    let name = ctx.expand(file)?;
                    let dir = ctx.app.layout.config_dir.join("xml-from-application");
                    let found = tokio::task::spawn_blocking(move || {
                        crate::config::loader::files::read_application_xml(&dir, &name)
                            .map(|p| (p, name))
                    })
                    .await
                    .map_err(|e| Failure::hidden(e.to_string()))?;
                    match found {
                        Ok((Some(p), _)) => p,
                        Ok((None, _)) if *ignore_if_not_found => return Ok(Vec::new()),
                        Ok((None, name)) => {
                            return Err(Failure::internal(format!(
                                "File '{name}' not found within 'xml-from-application' directory"
                            )))
                        }
                        // The name came from the request (a fixed one is checked at load).
                        Err(e) if e == crate::config::loader::files::LEAFNAME_BLOCKED => {
                            return Err(Failure::bad_request(e))
                        }
                        Err(e) => return Err(Failure::internal(e)),
                    }
                }
            };
            let names: Vec<&str> = pattern.names().collect();
            aws::resolve_secrets(ctx, &names).await?;
            Ok(vec![ctx.expand(&pattern)?])
        }
        CommandKind::XmlFromDatabase(q) => {
            let lookup = |n: &str| ctx.lookup(n).map(str::to_string);
            Ok(vec![database::run(q, &lookup, ctx.unknown_empty).await?])
        }
        CommandKind::OnDemandNumber(kind) => {
            let n = ctx.journal.number(*kind).await?;
            Ok(vec![format!(
                "<on-demand-incrementing-number type=\"{}\">{n}</on-demand-incrementing-number>",
                kind.as_str()
            )])
        }
        CommandKind::RequestLog => Ok(vec![request_log_xml(ctx).await?]),
        CommandKind::AwsS3Keys(k) => Ok(vec![aws::s3_keys(ctx, k).await?]),
        CommandKind::AwsS3Object(o) => Ok(vec![aws::s3_object(ctx, o).await?]),
        CommandKind::DataDrivenCms(cms) => {
            let mut values = Vec::with_capacity(cms.scope.names().len());
            for n in cms.scope.names() {
                match ctx.lookup(n) {
                    Some(v) => values.push(v.to_string()),
                    None if ctx.unknown_empty => values.push(String::new()),
                    None => {
                        return Err(Failure::internal(
                            crate::config::template::MissingValue(n.clone()).to_string(),
                        ))
                    }
                }
            }
            Ok(vec![cms.render(&values, &ctx.separator)])
        }
        CommandKind::ApplicationIntrospection => {
            let root = ctx.app.layout.config_dir.clone();
            let out = tokio::task::spawn_blocking(move || introspect(&root))
                .await
                .map_err(|e| Failure::hidden(e.to_string()))??;
            Ok(vec![out])
        }
        CommandKind::XmlFromUrl {
            spec,
            tag,
            expand,
            ignore_if_error,
            options,
        } => {
            let fetched = match http::fetch(spec, ctx, options).await {
                Ok(f) => f,
                Err(Ok(failure)) if *ignore_if_error => {
                    tracing::warn!(url = %failure.url, error = %failure.message, "ignored failure of <xml-from-url>");
                    return Ok(Vec::new());
                }
                Err(Ok(failure)) => {
                    return Err(Failure::hidden(failure.message)
                        .with_http_failure(failure.url, failure.status))
                }
                Err(Err(f)) => return Err(f),
            };
            let element = match response_to_xml(&fetched) {
                Ok(e) => e,
                Err(message) if *ignore_if_error => {
                    tracing::warn!(url = %fetched.url, error = %message, "ignored failure of <xml-from-url>");
                    return Ok(Vec::new());
                }
                Err(message) => return Err(Failure::hidden(message)),
            };
            let element = if *expand {
                let pattern = Pattern::xml(&element);
                let names: Vec<&str> = pattern.names().collect();
                aws::resolve_secrets(ctx, &names).await?;
                ctx.expand(&pattern)?
            } else {
                element
            };
            Ok(vec![match tag {
                Some(t) => format!("<{t}>{element}</{t}>"),
                None => element,
            }])
        }
    }
}

/// Most entries `<request-log/>` returns (the newest ones, oldest first).
const REQUEST_LOG_LIMIT: usize = 10_000;

/// `<request-log>`: the stored entries of this application and environment, oldest first.
async fn request_log_xml(ctx: &Ctx<'_>) -> Result<String, Failure> {
    let j = ctx.journal;
    let mut entries = j
        .store()
        .entries(crate::store::LogQuery {
            application: Some(j.application.clone()),
            environment: Some(j.environment.as_str().to_string()),
            limit: REQUEST_LOG_LIMIT,
            details: true,
            ..Default::default()
        })
        .await
        .map_err(|e| journal::store_failure("reading the request log", &e))?;
    entries.reverse();
    let mut s = String::from("<request-log>");
    let text = |name: &str, v: &str, s: &mut String| {
        s.push('<');
        s.push_str(name);
        s.push('>');
        escape_xml(v, s);
        s.push_str("</");
        s.push_str(name);
        s.push('>');
    };
    for e in &entries {
        s.push_str("<request-log-entry>");
        text("request-id", &e.request_id, &mut s);
        text("endpoint", &e.endpoint, &mut s);
        text(
            "datetime-utc",
            &crate::store::utc_datetime(e.datetime_ms),
            &mut s,
        );
        text("status-code", &e.status_code.to_string(), &mut s);
        if let Some(m) = &e.exception_message {
            text("exception-message", m, &mut s);
        }
        text("user-agent", &e.user_agent, &mut s);
        text("environment", &e.environment, &mut s);
        if let Some(u) = &e.http_request_failed_url {
            text("http-request-failed-url", u, &mut s);
        }
        if let Some(c) = e.http_request_failed_status_code {
            text("http-request-failed-status-code", &c.to_string(), &mut s);
        }
        if let Some(m) = &e.xslt_parameter_error_message {
            text("xslt-parameter-error-message", m, &mut s);
        }
        let names = [
            "on-demand-perpetual-incrementing-number",
            "on-demand-perpetual-year-number",
            "on-demand-perpetual-month-number",
        ];
        // Reference order: perpetual, month, year.
        for k in [0, 2, 1] {
            if let Some(n) = e.numbers[k] {
                text(names[k], &n.to_string(), &mut s);
            }
        }
        for doc in [
            &e.parameter_transformation_input,
            &e.parameter_transformation_output,
        ]
        .into_iter()
        .flatten()
        {
            if let Some(root) = root_element_source(doc) {
                s.push_str(root);
            }
        }
        for (k, v) in &e.captures {
            s.push_str("<expression-capture key=\"");
            escape_xml(k, &mut s);
            s.push_str("\">");
            escape_xml(v, &mut s);
            s.push_str("</expression-capture>");
        }
        s.push_str("</request-log-entry>");
    }
    s.push_str("</request-log>");
    Ok(s)
}

/// An upstream response as one XML element (`<xml-from-url>`).
fn response_to_xml(f: &Fetched) -> Result<String, String> {
    if f.body.is_empty() {
        return Ok("<empty-response/>".to_string());
    }
    let ct = f.content_type.as_deref().unwrap_or("").to_ascii_lowercase();
    if ct.contains("json") {
        crate::convert::json_to_xml(&f.body, "response").map_err(|e| {
            format!(
                "URL '{}' returned JSON that cannot be converted: {e}",
                f.url
            )
        })
    } else if ct.contains("xml") {
        let text = std::str::from_utf8(&f.body)
            .map_err(|_| format!("URL '{}' returned XML that is not UTF-8", f.url))?;
        root_element_source(text)
            .map(str::to_string)
            .ok_or_else(|| format!("URL '{}' returned XML that cannot be parsed", f.url))
    } else if ct.contains("html") {
        let doc = crate::xslt::Document::parse_html(&f.body)
            .map_err(|e| format!("URL '{}' returned HTML that cannot be parsed: {e}", f.url))?;
        String::from_utf8(doc.root_to_xml())
            .map_err(|_| format!("URL '{}' returned HTML that is not UTF-8", f.url))
    } else {
        Err(format!(
            "URL '{}' returned an unexpected content type '{}': Expecting XML, JSON, or empty content",
            f.url,
            f.content_type.as_deref().unwrap_or("")
        ))
    }
}

const INTROSPECTION_MAX_ENTRIES: usize = 10_000;

fn introspect(root: &Path) -> Result<String, Failure> {
    let mut out = String::from("<application-introspection>");
    let mut count = 0;
    introspect_dir(root, root, &mut out, &mut count)?;
    out.push_str("</application-introspection>");
    Ok(out)
}

fn introspect_dir(
    root: &Path,
    dir: &Path,
    out: &mut String,
    count: &mut usize,
) -> Result<(), Failure> {
    let mut entries: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| Failure::hidden(format!("cannot list {}: {e}", dir.display())))?
        .flatten()
        .collect();
    entries.sort_by_key(|e| e.file_name());
    for e in entries {
        *count += 1;
        if *count > INTROSPECTION_MAX_ENTRIES {
            return Err(Failure::hidden(
                "application directory has too many files for <application-introspection>",
            ));
        }
        let name = e.file_name().to_string_lossy().into_owned();
        let path = e.path();
        let ft = e
            .file_type()
            .map_err(|err| Failure::hidden(err.to_string()))?;
        if ft.is_dir() {
            out.push_str("<directory name=\"");
            escape_xml(&name, out);
            out.push_str("\">");
            introspect_dir(root, &path, out, count)?;
            out.push_str("</directory>");
        } else if name.to_ascii_lowercase().ends_with(".xml") {
            out.push_str("<xml-file name=\"");
            escape_xml(&name, out);
            out.push_str("\">");
            let inside_xfa = path
                .strip_prefix(root)
                .map(|r| r.starts_with("xml-from-application"))
                .unwrap_or(false);
            // The files that exist only to hold credentials are listed, never shown.
            let credentials = path.strip_prefix(root).is_ok_and(|r| {
                crate::stylesheet::CREDENTIAL_FILES[..4]
                    .iter()
                    .any(|f| r == std::path::Path::new(f))
            });
            if !inside_xfa && !credentials {
                let text = std::fs::read_to_string(&path).map_err(|err| {
                    Failure::hidden(format!("cannot read {}: {err}", path.display()))
                })?;
                let rootel = root_element_source(&text).ok_or_else(|| {
                    Failure::hidden(format!("{} is not well-formed XML", path.display()))
                })?;
                out.push_str(rootel);
            }
            out.push_str("</xml-file>");
        } else {
            out.push_str("<file name=\"");
            escape_xml(&name, out);
            out.push_str("\"/>");
        }
    }
    Ok(())
}
