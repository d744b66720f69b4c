//! One application's endpoints, rendered from the compiled model: parameters (with their defaults and which are
//! hashed), authentication, tasks, and the success/error rules (conditions, responses, forwards as links, redirects
//! with their allowlists). Secrets (passwords, tokens, signing keys) are never shown.

use maud::{html, Markup};

use crate::config::model::action::Action;
use crate::config::model::application::{Application, Endpoint};
use crate::config::model::auth::Method;
use crate::config::model::condition::{Condition, Operator};
use crate::config::model::task::{Task, TaskKind};

/// The HTML id of an endpoint's section (forwards link to it).
pub fn anchor(name: &str) -> String {
    format!("endpoint-{}", id_part(name))
}

/// `name` as part of an HTML id and URL fragment: letters, digits and `-` kept, anything else as `_` and its
/// code point in hex (so that distinct names stay distinct).
pub fn id_part(name: &str) -> String {
    let mut out = String::with_capacity(name.len());
    for c in name.chars() {
        if c.is_ascii_alphanumeric() || c == '-' {
            out.push(c);
        } else {
            out.push_str(&format!("_{:x}_", u32::from(c)));
        }
    }
    out
}

/// A condition as the author wrote it: `${x} equals "y"`.
pub fn condition(c: &Condition) -> String {
    let op = match c.operator {
        Operator::Equals => "equals",
        Operator::NotEquals => "does not equal",
        Operator::IsEmpty(true) => "is empty",
        Operator::IsEmpty(false) => "is not empty",
        Operator::HasMultiple(true) => "has multiple values",
        Operator::HasMultiple(false) => "has one value at most",
        Operator::Gt => ">",
        Operator::Ge => "≥",
        Operator::Lt => "<",
        Operator::Le => "≤",
    };
    match &c.right {
        Some(r) => format!("{} {op} \"{}\"", c.left.source(), r.source()),
        None => format!("{} {op}", c.left.source()),
    }
}

fn action(app: &Application, a: &Action) -> Markup {
    html! {
        @match a {
            Action::Empty => span { "an empty response" },
            Action::Static(s) => span { "the static file " code { (s.file.name) } },
            Action::Transformation(t) => {
                span { "the transformation " code { (app.transformers.get(t.transformer).map_or("?", |t| t.name.as_str())) } }
            }
            Action::Url(u) => span { "the response of " code { (u.spec.method.as_str()) " " (u.spec.url.source()) } },
            Action::Ooxml(o) => span { "the Office document " code { (o.template.source) } },
            Action::Redirect(r) => {
                span { "a redirect to " code { (r.url.source()) } }
                @if !r.whitelist.is_empty() {
                    div class="allow" {
                        "allowed destinations:"
                        ul { @for w in &r.whitelist { li { code { (w) } } } }
                    }
                }
            }
            Action::Forward(f) => {
                span { "forward to " a href={ "#" (anchor(&f.target)) } { code { (f.target) } } }
                @if let Some(params) = &f.input_parameters {
                    ul { @for (n, v) in params { li { code { (n) } " = " code { (v.source()) } } } }
                }
            }
        }
    }
}

fn method(m: &Method) -> Markup {
    html! {
        @match m {
            Method::Hash => "the request hash",
            Method::Basic { username, .. } => { "HTTP Basic, user " code { (username) } }
            Method::Bearer { .. } => "a bearer token",
            Method::StandardWebhooks { tolerance_seconds, .. } => {
                "a Standard Webhooks signature (timestamps within " (tolerance_seconds) " s)"
            }
            Method::GitHub { .. } => "a GitHub signature (X-Hub-Signature-256)",
        }
    }
}

fn task(app: &Application, t: &Task) -> Markup {
    html! {
        li {
            strong { (t.label) }
            @if let Some(id) = &t.id { " (id " code { (id) } ")" }
            @if let Some(c) = &t.condition { " when " code { (condition(c)) } }
            ": "
            @match &t.kind {
                TaskKind::Http(h) => {
                    "HTTP request " code { (h.spec.method.as_str()) " " (h.spec.url.source()) }
                    @if !h.outputs.is_empty() {
                        " → " @for (i, o) in h.outputs.iter().enumerate() { @if i > 0 { ", " } code { (o.name) } }
                    }
                }
                TaskKind::SaveUploads(s) => { "save the uploaded files to " code { (s.directory.source()) } }
                TaskKind::Email(e) => {
                    "email to " @for (i, to) in e.to.iter().enumerate() { @if i > 0 { ", " } code { (to.source()) } }
                    ", subject " code { (e.subject.source()) }
                    @for b in &e.bodies {
                        ", body " code { (app.transformers.get(*b).map_or("?", |t| t.name.as_str())) }
                    }
                }
                TaskKind::Capture(c) => { "capture " code { (c.key) } " = " code { (c.value.source()) } }
                TaskKind::ShortLink(s) => {
                    "short link to " code { (s.destination) } " as " code { (s.output) }
                    " (expires after " (s.expires_minutes) " min)"
                }
            }
        }
    }
}

/// One endpoint's section; `hash_link` opens the hash calculator for it, `try_link` its try-it form.
pub fn endpoint(app: &Application, e: &Endpoint, hash_link: &str, try_link: &str) -> Markup {
    html! {
        section class="card" id=(anchor(&e.name)) {
            div class="card-head" {
                h2 { code { (e.name) } }
                div class="actions" {
                    a class="button small" href=(try_link) { "Try it" }
                    @if e.authentication.as_ref().is_none_or(|a| a.allows_hash()) {
                        a class="button small" href=(hash_link) { "Compute its hash" }
                    }
                }
            }
            p class="muted" { (e.origin.file.display()) ":" (e.origin.pos.line) ":" (e.origin.pos.column) }
            h3 { "Parameters" }
            @if e.parameters.is_empty() {
                p class="muted" { "none" }
            } @else {
                table {
                    thead { tr { th { "name" } th { "default" } th { "hashed" } } }
                    tbody {
                        @for (i, p) in e.parameters.iter().enumerate() {
                            tr {
                                td { code { (p.name) } }
                                td {
                                    @match &p.default {
                                        Some(d) => code class="value" { (d) },
                                        None => span class="required" { "required" },
                                    }
                                }
                                td {
                                    @if let Some(pos) = e.include_in_hash.iter().position(|&h| h == i) {
                                        "yes (" (pos + 1) ")"
                                    } @else { "no" }
                                }
                            }
                        }
                    }
                }
            }
            h3 { "Authentication" }
            @match &e.authentication {
                None => p { "the request hash (" code { "security.xml" } ")" },
                Some(a) => ul { @for m in &a.methods { li { (method(m)) } } },
            }
            @if let Some(pt) = &e.parameter_transformation {
                h3 { "Parameter transformation" }
                p { "an XSLT with " (pt.commands.len()) " data-source command(s)" }
            }
            @if !e.tasks.is_empty() {
                h3 { "Tasks" }
                ol { @for t in &e.tasks { (task(app, t)) } }
            }
            h3 { "Responses" }
            ol class="rules" {
                @for s in &e.successes {
                    li {
                        @match &s.condition {
                            Some(c) => { "when " code { (condition(c)) } }
                            None => "otherwise",
                        }
                        @if let Some(st) = s.status { ", status " (st.as_u16()) }
                        ": " (action(app, &s.action))
                    }
                }
                @if let Some(err) = &e.error {
                    li class="error-rule" {
                        "on error"
                        @if let Some(c) = &err.condition { " when " code { (condition(c)) } }
                        @if let Some(st) = err.status { ", status " (st.as_u16()) }
                        ": " (action(app, &err.action))
                    }
                }
            }
        }
    }
}
