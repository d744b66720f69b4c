//! Loads `data-sources/*.xml` (each a list of commands) and `transformers/*.xml` (a data source, a stylesheet and
//! what becomes of its output).

use std::path::{Path, PathBuf};
use std::sync::Arc;

use roxmltree::Node;

use super::command::{is_command, parse_command, parse_post_process, report_unrecognized};
use super::compiler::Compiler;
use super::files::{xml_files, Dirs};
use super::suggest::{did_you_mean_element, elements_comma};
use super::xml;
use crate::config::error::Diagnostics;
use crate::config::model::data_source::{DataSource, DecimalSeparator, Transformer};

/// What a `<data-source>` holds besides its commands: the steps applied to their combined result.
const DATA_SOURCE_STEP: &str = "post-process";

/// The children of a transformer.
const TRANSFORMER_CHILDREN: [&str; 10] = [
    "xslt-file",
    "xslt-directory",
    "content-type",
    "convert-output-xml-to-json",
    "placeholder-value",
    "convert-output-xsl-fo-to-pdf",
    "convert-output-xml-fo-to-pdf",
    "convert-output-xml-to-excel",
    "write-input-to-aws-s3",
    "write-output-to-aws-s3",
];

/// Parses every `data-sources/*.xml`.
pub fn load_data_sources(
    dirs: &Dirs,
    compiler: &mut Compiler,
    diags: &mut Diagnostics,
) -> Vec<DataSource> {
    let mut out = Vec::new();
    for (name, path) in xml_files(&dirs.config_dir.join("data-sources")) {
        let file = Arc::new(path);
        let parsed = xml::with_root(&file, "data-source", diags, |root, diags| {
            let mut commands = Vec::new();
            let mut post_process = Vec::new();
            for c in xml::elements(root) {
                if xml::name(c) == DATA_SOURCE_STEP {
                    if let Some(p) = parse_post_process(&file, c, dirs, compiler, diags) {
                        post_process.push(p);
                    }
                } else if !is_command(c) {
                    report_unrecognized(&file, c, &[DATA_SOURCE_STEP], diags);
                } else if let Some(cmd) = parse_command(&file, c, dirs, compiler, diags) {
                    commands.push(cmd);
                }
            }
            (commands, post_process)
        });
        if let Some((commands, post_process)) = parsed {
            out.push(DataSource {
                name,
                file,
                commands,
                post_process,
            });
        }
    }
    out
}

/// Parses every `transformers/*.xml`.
pub fn load_transformers(
    dirs: &Dirs,
    data_sources: &[DataSource],
    compiler: &mut Compiler,
    diags: &mut Diagnostics,
) -> Vec<Transformer> {
    let mut out = Vec::new();
    for (name, path) in xml_files(&dirs.config_dir.join("transformers")) {
        let file = Arc::new(path);
        let parsed = xml::with_document(&file, diags, |root, diags| {
            parse_transformer(&file, root, name, dirs, data_sources, compiler, diags)
        });
        // A broken transformer is kept so that endpoints naming it get no second, misleading error; the load
        // fails anyway because of the errors reported.
        out.extend(parsed.flatten());
    }
    out
}

/// One transformer file's root element; `None` when its data source is missing or unknown.
fn parse_transformer(
    file: &Arc<PathBuf>,
    root: Node,
    name: String,
    dirs: &Dirs,
    data_sources: &[DataSource],
    compiler: &mut Compiler,
    diags: &mut Diagnostics,
) -> Option<Transformer> {
    xml::check_attributes(file, root, &["data-source"], diags);
    let ds_name = xml::required_attribute(file, root, "data-source", diags)?;
    let Some(data_source) = data_sources.iter().position(|d| d.name == ds_name) else {
        diags.error(
            file,
            xml::attr_pos(root, "data-source"),
            format!("Transformer references data source '{ds_name}' but it cannot be found"),
        );
        return None;
    };
    let mut t = Transformer {
        name,
        file: file.clone(),
        data_source,
        xslt: None,
        content_type: None,
        params: Vec::new(),
        to_json: false,
        to_pdf: false,
        pdf: None,
        to_excel: None,
        write_input: None,
        write_output: None,
    };
    for c in xml::elements(root) {
        let n = xml::name(c);
        if !TRANSFORMER_CHILDREN.contains(&n) {
            diags.warning(
                file,
                xml::pos(c),
                format!(
                    "unknown element <{n}> in a transformer is ignored; expected one of {}{}",
                    elements_comma(&TRANSFORMER_CHILDREN),
                    did_you_mean_element(n, &TRANSFORMER_CHILDREN)
                ),
            );
            continue;
        }
        match n {
            "xslt-file" | "xslt-directory" => {
                if let Some(s) = transformer_xslt(file, c, dirs, compiler, diags) {
                    t.xslt = Some(s);
                }
            }
            "content-type" => t.content_type = c.attribute("type").map(str::to_string),
            "convert-output-xml-to-json" => t.to_json = true,
            "placeholder-value" => {
                if c.has_attribute("language") {
                    continue;
                }
                match (c.attribute("placeholder-name"), c.attribute("value")) {
                    (Some(n), Some(v)) => t.params.push((n.to_string(), v.to_string())),
                    _ => diags.error(
                        file,
                        xml::pos(c),
                        "<placeholder-value> needs the attributes 'placeholder-name' and 'value'",
                    ),
                }
            }
            "convert-output-xsl-fo-to-pdf" | "convert-output-xml-fo-to-pdf" => {
                t.pdf = compiler.pdf_renderer(file, xml::pos(c), diags);
                t.to_pdf = true;
            }
            "convert-output-xml-to-excel" => t.to_excel = decimal_separator(file, c, diags),
            "write-input-to-aws-s3" | "write-output-to-aws-s3" => {
                let slot = if n == "write-input-to-aws-s3" {
                    &mut t.write_input
                } else {
                    &mut t.write_output
                };
                if slot.is_some() {
                    diags.error(file, xml::pos(c), format!("<{n}> may appear only once"));
                }
                *slot = super::aws::parse_s3_write(file, c, diags);
            }
            _ => unreachable!("every name in TRANSFORMER_CHILDREN has an arm"),
        }
    }
    Some(t)
}

/// `<xslt-file name="…"/>` or `<xslt-directory name="…"/>` (its `report.xslt`), in `data-source-xslt/`.
fn transformer_xslt(
    file: &Path,
    c: Node,
    dirs: &Dirs,
    compiler: &mut Compiler,
    diags: &mut Diagnostics,
) -> Option<Arc<crate::stylesheet::Stylesheet>> {
    let n = xml::required_attribute(file, c, "name", diags)?;
    let rel = if xml::name(c) == "xslt-directory" {
        format!("{n}/report.xslt")
    } else {
        n.to_string()
    };
    let path = dirs.config_dir.join("data-source-xslt").join(&rel);
    if !path.is_file() {
        diags.error(
            file,
            xml::attr_pos(c, "name"),
            format!("XSLT File 'data-source-xslt/{rel}' not found"),
        );
        return None;
    }
    compiler.compile(&path, file, xml::attr_pos(c, "name"), diags)
}

/// `<convert-output-xml-to-excel input-decimal-separator="dot|comma|magic" magic-numbers="…"/>`.
fn decimal_separator(file: &Path, c: Node, diags: &mut Diagnostics) -> Option<DecimalSeparator> {
    if c.attribute("magic-numbers").and_then(xml::parse_bool) == Some(true) {
        return Some(DecimalSeparator::Magic);
    }
    match c.attribute("input-decimal-separator") {
        None | Some("dot") => Some(DecimalSeparator::Dot),
        Some("comma") => Some(DecimalSeparator::Comma),
        Some("magic") => Some(DecimalSeparator::Magic),
        Some(other) => {
            diags.error(
                file,
                xml::attr_pos(c, "input-decimal-separator"),
                format!("input-decimal-separator='{other}' invalid: expected dot, comma or magic"),
            );
            None
        }
    }
}
