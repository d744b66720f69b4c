//! Parses what a `<success>` or `<error>` answers with: the one response element it holds (static file,
//! transformation, URL, OOXML document, redirect or forward), each read by its own function, and `status="…"`.

use std::collections::HashMap;
use std::path::Path;

use http::StatusCode;
use roxmltree::Node;

use super::context::{check_data_source_patterns, Context};
use super::http_options::{parse_http_options, HTTP_OPTION_ATTRIBUTES};
use super::http_spec::{self, SpecContext};
use super::suggest::{did_you_mean_element, elements_comma};
use super::xml;
use crate::config::error::{Diagnostics, Pos};
use crate::config::model::action::{
    Action, Forward, OoxmlResponse, StaticResponse, TransformationResponse, UrlResponse,
};
use crate::config::model::condition::OPERATOR_ATTRIBUTES;
use crate::config::model::redirect::{self, Redirect};
use crate::config::model::template::{Scope, Template};

const UNSUPPORTED_ACTIONS: [&str; 0] = [];
const ACTION_PRIORITY: [&str; 6] = [
    "response-from-static",
    "response-from-url",
    "response-transformation",
    "ooxml-parameter-expansion",
    "redirect-to",
    "forward-to-endpoint",
];

/// What may stand beside `<redirect-to>`.
const REDIRECT_COMPANIONS: [&str; 1] = ["redirect-prefix-whitelist-entry"];

/// What a `<success>` waits for, beside its response element.
const SUCCESS_DEPENDENCIES: [&str; 2] = ["after", "input-intermediate-value"];

/// The child of `<forward-to-endpoint>`.
const FORWARD_CHILDREN: [&str; 1] = ["input-parameter"];

/// Every name a child of a `<success>` (or of the `<error>`) may have: what a misspelt one is compared with.
fn near_misses(is_error: bool) -> Vec<&'static str> {
    let mut v: Vec<&'static str> = ACTION_PRIORITY.to_vec();
    v.extend(REDIRECT_COMPANIONS);
    if !is_error {
        v.extend(SUCCESS_DEPENDENCIES);
    }
    v
}

/// Where an action stands: which endpoint, which `<success>` (or the `<error>`), and every endpoint's index.
pub struct ActionSite<'s> {
    pub endpoint: &'s str,
    /// The `<success>`'s index in the endpoint (0 for the `<error>`).
    pub index: usize,
    pub is_error: bool,
    pub by_name: &'s HashMap<String, usize>,
}

/// What the parser of one response element knows.
struct Here<'h> {
    file: &'h Path,
    site: &'h ActionSite<'h>,
    /// `<success> #N` or `<error>`.
    tag: String,
    scope: &'h Scope,
}

impl Here<'_> {
    /// `<endpoint name='E'> <success> #N`, the start of most messages.
    fn at(&self) -> String {
        format!("<endpoint name='{}'> {}", self.site.endpoint, self.tag)
    }

    /// Reports `{at}: {what}` at `pos`.
    fn error(&self, pos: Pos, what: impl std::fmt::Display, diags: &mut Diagnostics) {
        diags.error(self.file, pos, format!("{}: {what}", self.at()));
    }

    /// The attribute `attr` of `el`, or `None` reported as `{at}: <el> is missing the attribute 'attr'`.
    fn required<'a>(
        &self,
        el: Node<'a, '_>,
        attr: &str,
        diags: &mut Diagnostics,
    ) -> Option<&'a str> {
        let value = el.attribute(attr);
        if value.is_none() {
            let what = format!("<{}> is missing the attribute '{attr}'", xml::name(el));
            self.error(xml::pos(el), what, diags);
        }
        value
    }

    /// A template compiled against the scope, reported as `{at}: {what}: …`.
    fn template(
        &self,
        text: &str,
        what: &str,
        pos: Pos,
        diags: &mut Diagnostics,
    ) -> Option<Template> {
        match Template::compile(text, self.scope) {
            Ok(t) => Some(t),
            Err(e) => {
                self.error(pos, format!("{what}: {e}"), diags);
                None
            }
        }
    }

    /// `Ok`'s value, or the error reported at attribute `attr` of `el` as `{at}: {e}`.
    fn or_report<T, E: std::fmt::Display>(
        &self,
        result: Result<T, E>,
        el: Node,
        attr: &str,
        diags: &mut Diagnostics,
    ) -> Option<T> {
        result
            .map_err(|e| self.error(xml::attr_pos(el, attr), e, diags))
            .ok()
    }

    /// Reports an element of `<error>` that would start a download.
    fn refuse_download_in_error(&self, pos: Pos, diags: &mut Diagnostics) {
        diags.error(
            self.file,
            pos,
            format!("<endpoint name='{}'> <error>: HTTP standard does not allow downloads to be triggered from error status codes", self.site.endpoint),
        );
    }
}

/// `status="NNN"` on `<success>` or `<error>`: 200 to 599.
pub fn parse_status(
    file: &Path,
    node: Node,
    is_error: bool,
    diags: &mut Diagnostics,
) -> Option<StatusCode> {
    let value = node.attribute("status")?;
    let code = value
        .trim()
        .parse::<u16>()
        .ok()
        .filter(|c| (200..=599).contains(c));
    match code.and_then(|c| StatusCode::from_u16(c).ok()) {
        Some(s) => Some(s),
        None => {
            diags.error(
                file,
                xml::attr_pos(node, "status"),
                format!(
                    "status=\"{value}\" on <{}> is not an HTTP status code from 200 to 599",
                    if is_error { "error" } else { "success" }
                ),
            );
            None
        }
    }
}

/// The action of a `<success>` or `<error>` element: its children are checked (one response element, plus what
/// may stand beside it), then the response element is parsed by the function for its kind.
pub fn parse_action(
    node: Node,
    scope: &Scope,
    site: &ActionSite,
    ctx: &mut Context,
    diags: &mut Diagnostics,
) -> Option<Action> {
    let file = ctx.file.clone();
    let file = file.as_path();
    let tag = if site.is_error {
        "<error>".to_string()
    } else {
        format!("<success> #{}", site.index + 1)
    };
    let mut allowed_attrs = vec!["if", "status"];
    allowed_attrs.extend(OPERATOR_ATTRIBUTES);
    xml::check_attributes(file, node, &allowed_attrs, diags);

    let children: Vec<Node> = xml::elements(node).collect();
    let kind = ACTION_PRIORITY
        .iter()
        .copied()
        .find(|k| children.iter().any(|c| xml::name(*c) == *k));
    let allowed: &[&str] = match kind {
        None => &[],
        Some("redirect-to") => &["redirect-to", REDIRECT_COMPANIONS[0]],
        Some(k) => std::slice::from_ref(ACTION_PRIORITY.iter().find(|x| **x == k).unwrap()),
    };
    let ok = check_children(file, &children, kind, allowed, site, &tag, diags);
    let Some(kind) = kind else {
        return ok.then_some(Action::Empty);
    };
    let el = *children.iter().find(|c| xml::name(**c) == kind).unwrap();
    if UNSUPPORTED_ACTIONS.contains(&kind) {
        diags.error(
            file,
            xml::pos(el),
            format!("<endpoint name='{}'> {tag}: <{kind}> is not supported yet (transformations and documents arrive in a later release)", site.endpoint),
        );
        return None;
    }
    let here = Here {
        file,
        site,
        tag,
        scope,
    };
    let action = match kind {
        "ooxml-parameter-expansion" => parse_ooxml(&here, el, ctx, diags),
        "response-from-url" => parse_url(&here, el, ctx, diags),
        "response-transformation" => parse_transformation(&here, el, ctx, diags),
        "response-from-static" => parse_static(&here, el, ctx, diags),
        "redirect-to" => parse_redirect(&here, node, el, diags),
        "forward-to-endpoint" => parse_forward(&here, el, diags),
        _ => unreachable!("unsupported kinds returned above"),
    }?;
    ok.then_some(action)
}

/// Reports the children of a `<success>`/`<error>` that may not stand there: a second response element, or
/// anything not `allowed` beside the response element `kind`. True when there is none.
fn check_children(
    file: &Path,
    children: &[Node],
    kind: Option<&str>,
    allowed: &[&str],
    site: &ActionSite,
    tag: &str,
    diags: &mut Diagnostics,
) -> bool {
    let (endpoint, is_error) = (site.endpoint, site.is_error);
    let mut ok = true;
    let mut seen_kind = 0;
    for c in children {
        let n = xml::name(*c);
        if Some(n) == kind {
            seen_kind += 1;
            if seen_kind > 1 {
                diags.error(
                    file,
                    xml::pos(*c),
                    format!("<endpoint name='{endpoint}'> {tag}: more than one <{n}>"),
                );
                ok = false;
            }
            continue;
        }
        if allowed.contains(&n)
            || (!is_error && kind.is_some() && SUCCESS_DEPENDENCIES.contains(&n))
        {
            continue;
        }
        ok = false;
        let msg = match n {
            "input-intermediate-value" if is_error => format!(
                "<endpoint name='{endpoint}'> {tag}: <input-intermediate-value> may only be used in <success>"
            ),
            "after" if is_error => format!(
                "<endpoint name='{endpoint}'> {tag}: <after> may only be used in <success>"
            ),
            "after" | "input-intermediate-value" => format!(
                "<endpoint name='{endpoint}'> {tag}: an empty <success> cannot wait for tasks (<{n}>)"
            ),
            _ => match kind {
                None => format!(
                    "<endpoint name='{endpoint}'> {tag}: Unexpected element <{n}>; expected one of {}{}",
                    elements_comma(&ACTION_PRIORITY),
                    did_you_mean_element(n, &near_misses(is_error))
                ),
                Some(k) => format!(
                    "<endpoint name='{endpoint}'> {tag}: Unexpected element <{n}> beside <{k}>; expected only {}{}",
                    elements_comma(allowed),
                    did_you_mean_element(n, &near_misses(is_error))
                ),
            },
        };
        diags.error(file, xml::pos(*c), msg);
    }
    ok
}

/// `<ooxml-parameter-expansion source="…" download-filename="…"/>`: the template is read once per source.
fn parse_ooxml(
    here: &Here,
    el: Node,
    ctx: &mut Context,
    diags: &mut Diagnostics,
) -> Option<Action> {
    let file = here.file;
    xml::check_attributes(file, el, &["source", "download-filename"], diags);
    if here.site.is_error {
        here.refuse_download_in_error(xml::pos(el), diags);
        return None;
    }
    if !xml::no_child_elements(file, el, "may not contain elements", diags) {
        return None;
    }
    let source = here.required(el, "source", diags)?;
    let Some(download) = el.attribute("download-filename") else {
        let what = "<ooxml-parameter-expansion> needs a 'download-filename'";
        here.error(xml::pos(el), what, diags);
        return None;
    };
    let download_filename = here.template(
        download,
        "<ooxml-parameter-expansion download-filename>",
        xml::attr_pos(el, "download-filename"),
        diags,
    )?;
    let template = here.or_report(ctx.ooxml_template(source), el, "source", diags)?;
    let ok = super::ooxml::check_parts(&template, here.scope, |e| {
        here.error(xml::attr_pos(el, "source"), e, diags)
    });
    ok.then_some(Action::Ooxml(OoxmlResponse {
        template,
        download_filename,
    }))
}

/// `<response-from-url download-filename ignore-if-error …>` with its HTTP specification.
fn parse_url(here: &Here, el: Node, ctx: &mut Context, diags: &mut Diagnostics) -> Option<Action> {
    let file = here.file;
    let mut allowed = vec!["download-filename", "ignore-if-error"];
    allowed.extend(HTTP_OPTION_ATTRIBUTES);
    xml::check_attributes(file, el, &allowed, diags);
    let options = parse_http_options(file, el, diags)?;
    let mut ok = true;
    let download_filename = parse_download_filename(here, el, diags, &mut ok);
    let http_xslt = ctx.dirs.config_dir.join("http-xslt");
    let mut sctx = SpecContext {
        http_xslt_dir: &http_xslt,
        compiler: ctx.compiler,
    };
    let spec = http_spec::parse(file, el, &[], &mut sctx, diags)?;
    let scope = ctx.with_secrets(here.scope);
    for p in spec.patterns() {
        if let Err(e) = p.check(&scope) {
            here.error(xml::pos(el), format!("<response-from-url>: {e}"), diags);
            ok = false;
        }
    }
    ok.then(|| {
        Action::Url(Box::new(UrlResponse {
            spec,
            options,
            ignore_if_error: xml::bool_attribute(el, "ignore-if-error", false),
            download_filename,
        }))
    })
}

/// `<response-transformation name="…" download-filename="…"/>`.
fn parse_transformation(
    here: &Here,
    el: Node,
    ctx: &mut Context,
    diags: &mut Diagnostics,
) -> Option<Action> {
    let file = here.file;
    xml::check_attributes(file, el, &["name", "download-filename"], diags);
    let name = here.required(el, "name", diags)?;
    let Some(transformer) = ctx.transformers.iter().position(|t| t.name == name) else {
        let what = format!("Transformer name='{name}' not found");
        here.error(xml::attr_pos(el, "name"), what, diags);
        return None;
    };
    let mut ok = true;
    let download_filename = parse_download_filename(here, el, diags, &mut ok);
    ok &= check_data_source_patterns(
        file,
        xml::attr_pos(el, "name"),
        &here.at(),
        &ctx.transformers[transformer],
        ctx,
        here.scope,
        diags,
    );
    ok.then_some(Action::Transformation(TransformationResponse {
        transformer,
        download_filename,
    }))
}

/// `<response-from-static filename="…" download-filename="…"/>`: the file is resolved once per name.
fn parse_static(
    here: &Here,
    el: Node,
    ctx: &mut Context,
    diags: &mut Diagnostics,
) -> Option<Action> {
    let file = here.file;
    xml::check_attributes(file, el, &["filename", "download-filename"], diags);
    let mut ok = xml::no_child_elements(file, el, "may not contain elements", diags);
    let download_filename = parse_download_filename(here, el, diags, &mut ok);
    let filename = here.required(el, "filename", diags)?;
    let static_file = here.or_report(ctx.static_file(filename), el, "filename", diags)?;
    ok.then_some(Action::Static(StaticResponse {
        file: static_file,
        download_filename,
    }))
}

/// `<redirect-to>URL</redirect-to>` with the `<redirect-prefix-whitelist-entry>`s beside it (children of `node`).
fn parse_redirect(here: &Here, node: Node, el: Node, diags: &mut Diagnostics) -> Option<Action> {
    let file = here.file;
    xml::check_attributes(file, el, &[], diags);
    let raw = xml::text_content(el);
    let url_text = raw.trim();
    let url = here.template(url_text, "<redirect-to>", xml::text_pos(el), diags)?;
    let mut ok = true;
    let mut whitelist = Vec::new();
    for w in xml::elements(node).filter(|c| xml::name(*c) == "redirect-prefix-whitelist-entry") {
        let entry = xml::text_content(w).trim().to_string();
        match redirect::check_whitelist_entry(&entry) {
            Ok(()) => {}
            Err(e) if e.is_error() => {
                diags.error(file, xml::pos(w), e.to_string());
                ok = false;
                continue;
            }
            Err(e) => diags.warning(file, xml::pos(w), e.to_string()),
        }
        whitelist.push(entry);
    }
    if let Err(e) = redirect::check_target(&url, url_text, &whitelist) {
        let message = format!("{}: {e}", here.at());
        if e.is_error() {
            diags.error(file, xml::text_pos(el), message);
            ok = false;
        } else {
            diags.warning(file, xml::text_pos(el), message);
        }
    }
    ok.then_some(Action::Redirect(Redirect { url, whitelist }))
}

/// `<forward-to-endpoint endpoint-name="…">` with optional `<input-parameter name="…">pattern</…>`s.
fn parse_forward(here: &Here, el: Node, diags: &mut Diagnostics) -> Option<Action> {
    let (file, endpoint) = (here.file, here.site.endpoint);
    if here.site.is_error {
        diags.error(file, xml::pos(el), format!(
            "<endpoint name='{endpoint}'> <error>: <forward-to-endpoint> was used in <error>, may only be used in <success>"
        ));
        return None;
    }
    xml::check_attributes(file, el, &["endpoint-name"], diags);
    let target = here.required(el, "endpoint-name", diags)?;
    let Some(&target_index) = here.site.by_name.get(target) else {
        diags.error(file, xml::attr_pos(el, "endpoint-name"), format!(
            "<endpoint name='{endpoint}'> has <forward-to-endpoint> to '{target}', but there is no endpoint called '{target}'"
        ));
        return None;
    };
    let mut ok = true;
    let mut inputs = Vec::new();
    let mut any = false;
    for ip in xml::elements(el) {
        let n = xml::name(ip);
        if !FORWARD_CHILDREN.contains(&n) {
            let hint = did_you_mean_element(n, &FORWARD_CHILDREN);
            diags.error(file, xml::pos(ip), format!("Unexpected element <{n}> in <forward-to-endpoint>; expected <input-parameter name='…'>{hint}"));
            ok = false;
            continue;
        }
        any = true;
        xml::check_attributes(file, ip, &["name"], diags);
        let Some(name) = xml::required_attribute(file, ip, "name", diags) else {
            ok = false;
            continue;
        };
        match here.template(
            &xml::text_content(ip),
            &format!("<input-parameter name='{name}'>"),
            xml::text_pos(ip),
            diags,
        ) {
            Some(t) => inputs.push((name.to_string(), t)),
            None => ok = false,
        }
    }
    ok.then(|| {
        Action::Forward(Forward {
            target: target.to_string(),
            target_index,
            input_parameters: any.then_some(inputs),
        })
    })
}

/// `download-filename="…"`: a template in `<success>`, forbidden in `<error>`.
fn parse_download_filename(
    here: &Here,
    el: Node,
    diags: &mut Diagnostics,
    ok: &mut bool,
) -> Option<Template> {
    let d = el.attribute("download-filename")?;
    let pos = xml::attr_pos(el, "download-filename");
    if here.site.is_error {
        here.refuse_download_in_error(pos, diags);
        *ok = false;
        return None;
    }
    match Template::compile(d, here.scope) {
        Ok(t) => Some(t),
        Err(e) => {
            let what = format!("<{}> download-filename: {e}", xml::name(el));
            here.error(pos, what, diags);
            *ok = false;
            None
        }
    }
}
