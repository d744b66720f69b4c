//! Parses the commands of a data source (and of a `<parameter-transformation>`): `<literal-xml>`,
//! `<parameters/>`, `<xml-from-application>`, `<xml-from-url>`, `<xml-from-database>`, `<md5>`, the S3 commands
//! (in `aws`), `<data-driven-cms/>` (in `cms`), … each with its `<post-process>` steps.

use std::path::Path;

use roxmltree::Node;

use super::compiler::Compiler;
use super::files::read_application_xml;
use super::files::Dirs;
use super::http_options::{parse_http_options, HTTP_OPTION_ATTRIBUTES};
use super::http_spec::{self, SpecContext};
use super::suggest::{did_you_mean_element, elements_comma, elements_or};
use super::xml;
use crate::config::error::Diagnostics;
use crate::config::model::data_source::{Command, CommandKind, PostProcess};
use crate::config::model::template::Pattern;

/// `<post-process xslt="…"/>`.
pub fn parse_post_process(
    file: &Path,
    node: Node,
    dirs: &Dirs,
    compiler: &mut Compiler,
    diags: &mut Diagnostics,
) -> Option<PostProcess> {
    xml::check_attributes(file, node, &["xslt"], diags);
    let x = xml::required_attribute(file, node, "xslt", diags)?;
    let path = dirs.post_processing().join(x);
    if !path.is_file() {
        diags.error(
            file,
            xml::attr_pos(node, "xslt"),
            format!("XSLT file '{x}' not found in 'data-source-post-processing-xslt'"),
        );
        return None;
    }
    let xslt = compiler.compile(&path, file, xml::attr_pos(node, "xslt"), diags)?;
    Some(PostProcess {
        name: x.to_string(),
        xslt,
    })
}

/// `<command class="…">` runs a Java plug-in in the reference: recognised, refused.
const NOT_YET: [&str; 1] = ["command"];

/// The commands of a data source (and of a `<parameter-transformation>`).
pub const COMMANDS: [&str; 12] = [
    "literal-xml",
    "parameters",
    "application-introspection",
    "on-demand-incrementing-number",
    "request-log",
    "md5",
    "xml-from-application",
    "xml-from-url",
    "xml-from-database",
    "aws-s3-keys",
    "aws-s3-object",
    "data-driven-cms",
];

/// The only child of a command besides its own content.
const COMMAND_CHILDREN: [&str; 1] = ["post-process"];

/// Whether `node` is a command this engine runs or knows it does not support yet.
pub fn is_command(node: Node) -> bool {
    let tag = xml::name(node);
    COMMANDS.contains(&tag) || NOT_YET.contains(&tag)
}

/// Reports `node` as no command: `Command tag <x> unrecognized; expected one of …` listing [`COMMANDS`] and
/// `also` (what else its parent allows), with a suggestion when the name is a near miss.
pub fn report_unrecognized(file: &Path, node: Node, also: &[&str], diags: &mut Diagnostics) {
    let tag = xml::name(node);
    let allowed: Vec<&str> = COMMANDS.iter().chain(also).copied().collect();
    diags.error(
        file,
        xml::pos(node),
        format!(
            "Command tag <{tag}> unrecognized; expected one of {}{}",
            elements_comma(&allowed),
            did_you_mean_element(tag, &allowed)
        ),
    );
}

/// Parses one data-source command element; `None` if it is broken (reported).
pub fn parse_command(
    file: &Path,
    node: Node,
    dirs: &Dirs,
    compiler: &mut Compiler,
    diags: &mut Diagnostics,
) -> Option<Command> {
    let tag = xml::name(node).to_string();
    let pos = xml::pos(node);
    if NOT_YET.contains(&tag.as_str()) {
        diags.error(file, pos, format!("<{tag}> is not supported yet"));
        return None;
    }
    if !COMMANDS.contains(&tag.as_str()) {
        report_unrecognized(file, node, &[], diags);
        return None;
    }
    let mut post_process = Vec::new();
    let mut ok = true;
    for c in xml::elements(node).filter(|c| xml::name(*c) == "post-process") {
        match parse_post_process(file, c, dirs, compiler, diags) {
            Some(p) => post_process.push(p),
            None => ok = false,
        }
    }
    let simple = |kind: CommandKind, ok: &mut bool, diags: &mut Diagnostics| {
        xml::check_attributes(file, node, &[], diags);
        *ok &= only_post_process(file, node, diags);
        kind
    };
    let kind = match tag.as_str() {
        "literal-xml" => {
            xml::check_attributes(file, node, &[], diags);
            let src = node.document().input_text();
            CommandKind::LiteralXml(
                xml::elements(node)
                    .filter(|c| xml::name(*c) != "post-process")
                    .map(|c| Pattern::xml(&src[c.range()]))
                    .collect(),
            )
        }
        "parameters" => simple(CommandKind::Parameters, &mut ok, diags),
        "application-introspection" => {
            simple(CommandKind::ApplicationIntrospection, &mut ok, diags)
        }
        "on-demand-incrementing-number" => {
            xml::check_attributes(file, node, &["type"], diags);
            ok &= only_post_process(file, node, diags);
            let t = node.attribute("type").unwrap_or("");
            let Some(k) = crate::store::NumberKind::parse(t) else {
                diags.error(
                    file,
                    xml::attr_pos(node, "type"),
                    format!("type='{t}' invalid: should be one of 'perpetual', 'year', 'month'"),
                );
                return None;
            };
            CommandKind::OnDemandNumber(k)
        }
        "request-log" => {
            xml::check_attributes(file, node, &[], diags);
            if let Some(c) = xml::elements(node).next() {
                diags.error(
                    file,
                    xml::pos(c),
                    format!(
                        "Unexpected element <{}> in <request-log>; it takes no children (not even <post-process>)",
                        xml::name(c)
                    ),
                );
                return None;
            }
            CommandKind::RequestLog
        }
        "md5" => {
            xml::check_attributes(file, node, &["message-string", "id"], diags);
            ok &= only_post_process(file, node, diags);
            let m = xml::required_attribute(file, node, "message-string", diags)?;
            CommandKind::Md5 {
                message: Pattern::plain(m),
                id: node.attribute("id").map(Pattern::plain),
            }
        }
        "xml-from-application" => parse_xml_from_application(file, node, dirs, &mut ok, diags)?,
        "xml-from-url" => parse_xml_from_url(file, node, dirs, compiler, diags)?,
        "aws-s3-keys" => super::aws::parse_s3_keys(file, node, diags)?,
        "aws-s3-object" => super::aws::parse_s3_object(file, node, diags)?,
        "data-driven-cms" => {
            xml::check_attributes(file, node, &[], diags);
            ok &= only_post_process(file, node, diags);
            CommandKind::DataDrivenCms(std::sync::Arc::new(super::cms::load_cms(
                dirs.config_dir,
                file,
                pos,
                diags,
            )?))
        }
        "xml-from-database" => CommandKind::XmlFromDatabase(Box::new(
            super::database::parse_database_query(file, node, dirs.config_dir, diags)?,
        )),
        _ => unreachable!("every name in COMMANDS has an arm"),
    };
    ok.then_some(Command {
        kind,
        post_process,
        tag,
        pos,
    })
}

/// Reports every child other than `<post-process>`; true when there is none.
fn only_post_process(file: &Path, node: Node, diags: &mut Diagnostics) -> bool {
    let tag = xml::name(node);
    let mut ok = true;
    for c in xml::elements(node).filter(|c| !COMMAND_CHILDREN.contains(&xml::name(*c))) {
        let name = xml::name(c);
        diags.error(
            file,
            xml::pos(c),
            format!(
                "Unexpected element <{name}> in <{tag}>; only {} is allowed{}",
                elements_or(&COMMAND_CHILDREN),
                did_you_mean_element(name, &COMMAND_CHILDREN)
            ),
        );
        ok = false;
    }
    ok
}

/// `<xml-from-application file="…" ignore-if-not-found="…"/>`: a literal file name is read now.
fn parse_xml_from_application(
    file: &Path,
    node: Node,
    dirs: &Dirs,
    ok: &mut bool,
    diags: &mut Diagnostics,
) -> Option<CommandKind> {
    xml::check_attributes(file, node, &["file", "ignore-if-not-found"], diags);
    *ok &= only_post_process(file, node, diags);
    let f = xml::required_attribute(file, node, "file", diags)?;
    let ignore_if_not_found = xml::bool_attribute(node, "ignore-if-not-found", false);
    let pattern = Pattern::plain(f);
    let mut preloaded = None;
    if !f.contains('$') {
        match read_application_xml(&dirs.xml_from_application(), f) {
            Ok(Some(p)) => preloaded = Some(p),
            Ok(None) if ignore_if_not_found => {}
            Ok(None) => {
                diags.error(
                    file,
                    xml::attr_pos(node, "file"),
                    format!("File '{f}' not found within 'xml-from-application' directory"),
                );
                *ok = false;
            }
            Err(e) => {
                diags.error(
                    file,
                    xml::attr_pos(node, "file"),
                    format!("<xml-from-application file='{f}'>: {e}"),
                );
                *ok = false;
            }
        }
    }
    Some(CommandKind::XmlFromApplication {
        file: pattern,
        ignore_if_not_found,
        preloaded,
    })
}

/// `<xml-from-url tag expand-parameters-in-response ignore-if-error …>` with its HTTP specification.
fn parse_xml_from_url(
    file: &Path,
    node: Node,
    dirs: &Dirs,
    compiler: &mut Compiler,
    diags: &mut Diagnostics,
) -> Option<CommandKind> {
    let mut allowed = vec!["tag", "expand-parameters-in-response", "ignore-if-error"];
    allowed.extend(HTTP_OPTION_ATTRIBUTES);
    xml::check_attributes(file, node, &allowed, diags);
    let options = parse_http_options(file, node, diags)?;
    let http_xslt = dirs.http_xslt();
    let mut sctx = SpecContext {
        http_xslt_dir: &http_xslt,
        compiler,
    };
    let spec = http_spec::parse(file, node, &["post-process"], &mut sctx, diags)?;
    Some(CommandKind::XmlFromUrl {
        spec: Box::new(spec),
        tag: node.attribute("tag").map(str::to_string),
        expand: xml::bool_attribute(node, "expand-parameters-in-response", true),
        ignore_if_error: xml::bool_attribute(node, "ignore-if-error", false),
        options,
    })
}
