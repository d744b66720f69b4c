//! The try-it page: the form for one endpoint (its declared parameters, more parameters, files, a JSON/XML body,
//! the environment) and, after sending, what came back.

use maud::{html, Markup};

use super::pages::{page, site_query, Frame};
use super::try_it::{Asked, Outcome, Problem, Shown};
use crate::config::model::application::Endpoint;
use crate::server::site::Site;

/// The form, filled with what was asked (or the endpoint's defaults), and the outcome of sending it.
pub fn try_page(
    site: &Site,
    endpoint: &Endpoint,
    frame: &Frame<'_>,
    asked: &Asked,
    outcome: Option<&Result<Outcome, Problem>>,
    live: Markup,
) -> Markup {
    let first_visit = outcome.is_none() && asked.declared.is_empty();
    let content = html! {
        h1 { "Try " code { (endpoint.name) } }
        p class="muted" {
            a href={ "/endpoints?" (site_query(site)) "#" (super::endpoint_view::anchor(&endpoint.name)) } { (site.name) }
            " · sent through this server's own listener, as a client would"
        }
        section class="card" {
            form method="post" action="/try" enctype="multipart/form-data" class="stack" id="try-form" {
                input type="hidden" name="csrf" value=(frame.csrf);
                input type="hidden" name="application" value=(site.name);
                input type="hidden" name="endpoint" value=(endpoint.name);
                div class="row" {
                    label { "Environment "
                        select name="environment" {
                            @for e in ["live", "preview"] { option value=(e) selected[asked.environment == e] { (e) } }
                        }
                    }
                    label { "Method "
                        select name="method" {
                            @for m in ["POST", "GET"] { option value=(m) selected[asked.method.eq_ignore_ascii_case(m)] { (m) } }
                        }
                    }
                    label class="check" {
                        input type="checkbox" name="add_hash" value="1" checked[asked.add_hash];
                        " compute and add the hash"
                    }
                }
                @if !endpoint.parameters.is_empty() {
                    h3 { "Parameters" }
                    @for (i, p) in endpoint.parameters.iter().enumerate() {
                        @let id = format!("p-{}", super::endpoint_view::id_part(&p.name));
                        @let value = if first_visit { p.default.as_deref().unwrap_or("") } else { asked.declared_value(&p.name).unwrap_or("") };
                        label for=(id) {
                            code { (p.name) }
                            @if endpoint.include_in_hash.contains(&i) { span class="muted" { " · hashed" } }
                            @if p.default.is_none() { span class="required" { " · required" } }
                        }
                        input id=(id) name={ "p." (p.name) } value=(value);
                    }
                }
                label for="extra" { "More parameters, one NAME=VALUE a line (empty fields above are not sent; NAME= sends an empty value)" }
                textarea id="extra" name="extra" rows="2" { (asked.extra) }
                h3 { "Files" }
                div class="row" {
                    label { "field " input name="file_field" value=(asked.file_field) size="12"; }
                    input type="file" name="file" multiple;
                }
                h3 { "Body" }
                div class="row" {
                    label { "Content type "
                        select name="body_type" {
                            @for (v, l) in [("", "none (parameters as a form)"), ("application/json", "application/json"),
                                ("application/xml", "application/xml"), ("text/plain", "text/plain")] {
                                option value=(v) selected[asked.body_type == v] { (l) }
                            }
                        }
                    }
                }
                textarea name="body" rows="4" placeholder="a JSON or XML body (parameters then go into the query string)" { (asked.body) }
                button type="submit" id="send" { "Send" }
            }
        }
        @match outcome {
            Some(Ok(o)) => (result(o)),
            Some(Err(Problem(p))) => section class="card errors" id="problem" { p { (p) } },
            None => {}
        }
        section class="card" {
            h2 { "Requests to " code { (endpoint.name) } }
            (live)
        }
    };
    page(&format!("Try {}", endpoint.name), Some(frame), content)
}

fn result(o: &Outcome) -> Markup {
    let class = match o.status.as_u16() {
        200..=299 => "status ok",
        300..=399 => "status redirect",
        _ => "status bad",
    };
    let result_url = format!("/try/result?id={}", o.kept_id);
    html! {
        section class="card" id="result" {
            div class="card-head" {
                h2 {
                    span class=(class) id="status" { (o.status.as_u16()) " " (o.status.canonical_reason().unwrap_or("")) }
                }
                span class="muted" { (format!("{:.1} ms", o.elapsed.as_secs_f64() * 1000.0)) " · " (o.size) " bytes" }
            }
            p { code { (o.method) " " (o.url) } }
            @if let Some(id) = &o.request_id {
                p { "request id " a href={ "/log/entry?id=" (id) } id="request-id" { code { (id) } } }
            }
            @for n in &o.notes { p class="warnings" { (n) } }
            details {
                summary { "Headers (" (o.headers.len()) ")" }
                table class="headers" {
                    tbody { @for (k, v) in &o.headers { tr { td { code { (k) } } td { code { (v) } } } } }
                }
            }
            h3 { "Body" }
            @match &o.shown {
                Shown::Empty => p class="muted" { "empty" },
                Shown::Html => {
                    iframe class="rendered" sandbox="" src=(result_url) title="the response, rendered" {}
                    p { a href={ (result_url) "&download=1" } { "download " code { (o.filename) } } }
                }
                Shown::Text(t) => pre class="body" id="body" { (t) },
                Shown::Download => p {
                    a class="button" id="download" href={ (result_url) "&download=1" } { "Download " code { (o.filename) } }
                    " (" (o.size) " bytes" @if o.truncated { ", cut" } ")"
                },
            }
            h3 { "Send it again" }
            @if let Some(l) = &o.link { p { a href=(l) { "the link" } } }
            pre class="body" id="curl" { (o.curl) }
        }
    }
}
