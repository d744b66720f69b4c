//! Rendering an action into a [`Response`]: an empty answer, an Office template, an upstream response streamed
//! through, a transformer's output, a static file or a redirect; and the error flow ([`error_response`]), which
//! renders the endpoint's `<error>` or answers with a short plain-text reason.

use ::http::{HeaderValue, StatusCode};
use bytes::Bytes;

use super::call::Call;
use super::context::Ctx;
use super::failure::Failure;
use super::journal::Journal;
use super::response::{download_filename, Response, ResponseBody};
use super::timings::StepKind;
use super::{http, ooxml, transform};
use crate::config::{Action, ERROR_SCOPE};

/// Renders a `<success>` or `<error>` action with `values` (the endpoint's parameter values); `status` is the
/// action's own, `default_status` the one it has without.
pub async fn render(
    action: &Action,
    status: Option<StatusCode>,
    values: &[String],
    default_status: StatusCode,
    ctx: &Ctx<'_>,
) -> Result<Response, Failure> {
    match action {
        Action::Empty => Ok(Response::empty(status.unwrap_or(default_status))),
        Action::Ooxml(o) => {
            let name =
                download_filename(&Some(o.download_filename.clone()), values)?.unwrap_or_default();
            let expand = ooxml::expand_blocking(o.template.clone(), ctx.params_and_secrets());
            let step = || "Office template".to_string();
            let bytes = ctx.journal.timed(StepKind::Response, step, expand).await?;
            Ok(Response {
                status: status.unwrap_or(default_status),
                content_type: Some(HeaderValue::from_static(
                    crate::config::model::ooxml::content_type(&name),
                )),
                download_filename: Some(name),
                location: None,
                body: ResponseBody::Bytes(Bytes::from(bytes)),
                success: true,
                www_authenticate: None,
            })
        }
        Action::Url(u) => {
            let download_filename = download_filename(&u.download_filename, values)?;
            let fetch = async {
                super::aws::resolve_spec_secrets(ctx, &u.spec).await?;
                match http::fetch_streaming(&u.spec, ctx, &u.options).await {
                    Ok(up) => {
                        let content_type = up
                            .response
                            .headers()
                            .get(reqwest::header::CONTENT_TYPE)
                            .and_then(|v| HeaderValue::from_bytes(v.as_bytes()).ok());
                        Ok(Response {
                            status: status.unwrap_or(default_status),
                            content_type,
                            download_filename,
                            location: None,
                            body: ResponseBody::Upstream(up.response),
                            success: true,
                            www_authenticate: None,
                        })
                    }
                    Err(Ok(failure)) if u.ignore_if_error => {
                        tracing::warn!(url = %failure.url, error = %failure.message, "ignored failure of <response-from-url>");
                        Ok(Response::empty(status.unwrap_or(default_status)))
                    }
                    Err(Ok(failure)) => Err(Failure::hidden(failure.message)
                        .with_http_failure(failure.url, failure.status)),
                    Err(Err(f)) => Err(f),
                }
            };
            let step = || "response-from-url".to_string();
            ctx.journal.timed(StepKind::Response, step, fetch).await
        }
        Action::Transformation(t) => {
            let download_filename = download_filename(&t.download_filename, values)?;
            let out = transform::run(t.transformer, ctx).await?;
            Ok(Response {
                status: status.unwrap_or(default_status),
                content_type: Some(HeaderValue::from_str(&out.content_type).map_err(|_| {
                    Failure::hidden(format!("invalid content type '{}'", out.content_type))
                })?),
                download_filename,
                location: None,
                body: ResponseBody::Bytes(out.body),
                success: true,
                www_authenticate: None,
            })
        }
        Action::Static(s) => {
            let download_filename = download_filename(&s.download_filename, values)?;
            Ok(Response {
                status: status.unwrap_or(default_status),
                content_type: Some(s.file.content_type.clone()),
                download_filename,
                location: None,
                body: ResponseBody::Static(s.file.clone()),
                success: true,
                www_authenticate: None,
            })
        }
        Action::Redirect(r) => {
            let url = r.location(values).map_err(|e| {
                if e.is_client_error() {
                    Failure::bad_request(e.to_string())
                } else {
                    Failure::internal(e.to_string())
                }
            })?;
            let mut resp = Response::empty(status.unwrap_or(StatusCode::FOUND));
            resp.location = Some(url);
            Ok(resp)
        }
        Action::Forward(_) => Err(Failure::hidden(
            "<forward-to-endpoint> cannot be rendered here",
        )),
    }
}

/// The error flow: the endpoint's `<error>` rendered with `${internal-error-text}`,
/// `${parameter-transformation-error-text}` and `${request-id}`; without one, a short plain-text reason.
pub async fn error_response(call: &Call<'_>, failure: &Failure, journal: &Journal) -> Response {
    let endpoint = call.endpoint;
    let request_id = call.request_id;
    if let Some(detail) = &failure.detail {
        // A detail may quote a URL or a document that held a secret.
        let mut detail = call.app.secrets.redact(detail).into_owned();
        if let Some(s) = &call.app.aws_secrets {
            detail = s.redaction().redact(&detail).into_owned();
        }
        tracing::error!(request_id, endpoint = %endpoint.name, detail = %detail, "request failed");
    } else {
        tracing::debug!(request_id, endpoint = %endpoint.name, message = %failure.message, "request failed");
    }
    let (status, public) = failure.public(request_id);
    let failure_status = status;
    let Some(error) = &endpoint.error else {
        return Response::text(status, &public);
    };
    let mut values = vec![
        failure.message.clone(),
        failure
            .parameter_transformation_error
            .clone()
            .unwrap_or_default(),
        request_id.to_string(),
    ];
    let ctx = Ctx {
        app: call.app,
        params: ERROR_SCOPE
            .iter()
            .map(|n| n.to_string())
            .zip(values.iter().cloned())
            .collect(),
        intermediate: 0,
        unknown_empty: false,
        uploads: &call.input.uploads,
        journal,
        separator: endpoint.separator.clone(),
    };
    // The secrets this <error> uses follow the three values; the others stay empty.
    if !endpoint.secrets.is_empty() {
        if let Err(f) =
            super::aws::secret_slots(&ctx, &endpoint.secrets, &error.secrets_used, &mut values)
                .await
        {
            tracing::warn!(request_id, endpoint = %endpoint.name, error = %f.message, detail = f.detail.as_deref().unwrap_or(""), "rendering <error> failed: answering with the failure's own status and a plain-text reason");
            return Response::text(failure_status, &public);
        }
    }
    if let Some(c) = &error.condition {
        if !c.evaluate(&values, &endpoint.separator) {
            // This <error> does not apply: the plain reason, with the failure's own status.
            return Response::text(status, &public);
        }
    }
    let status = error.status.unwrap_or(status);
    if matches!(error.action, Action::Empty) {
        return Response::text(status, &public);
    }
    let redirect_status = match error.status {
        Some(s) if s.is_redirection() => s,
        _ => StatusCode::FOUND,
    };
    let rendered = match &error.action {
        Action::Redirect(_) => {
            render(&error.action, Some(redirect_status), &values, status, &ctx).await
        }
        other => render(other, Some(status), &values, status, &ctx).await,
    };
    match rendered {
        Ok(mut r) => {
            r.success = false;
            r
        }
        Err(f) => {
            // The client still learns what went wrong with its request (400, 401, …), not that the error page
            // broke; why it broke goes to the log.
            tracing::warn!(
                request_id,
                endpoint = %endpoint.name,
                status = failure_status.as_u16(),
                error = %f.message,
                detail = f.detail.as_deref().unwrap_or(""),
                "rendering <error> failed: answering with the failure's own status and a plain-text reason"
            );
            Response::text(failure_status, &public)
        }
    }
}
