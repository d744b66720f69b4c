//! `data-sources/*.xml` and `transformers/*.xml`: what a transformer's XSLT gets as input, and the transformers
//! themselves (stylesheet, content type, `xsl:param` values, output conversion).

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use roxmltree::Node;

use super::error::{Diagnostics, Pos};
use super::http_spec::{self, HttpSpec, SpecContext};
use super::template::Pattern;
use super::xml;
use crate::jvm::PdfRenderer;
use crate::stylesheet::{Sandbox, Stylesheet, XsltEngine};

/// A `<post-process xslt="…"/>` step.
#[derive(Debug, Clone)]
pub struct PostProcess {
    pub name: String,
    pub xslt: Arc<Stylesheet>,
}

#[derive(Debug, Clone)]
pub enum CommandKind {
    /// The child elements' source text, XML-expanded.
    LiteralXml(Vec<Pattern>),
    Parameters,
    XmlFromApplication {
        file: Pattern,
        ignore_if_not_found: bool,
        /// The file's root element, read at load when the name has no placeholder.
        preloaded: Option<Pattern>,
    },
    ApplicationIntrospection,
    XmlFromUrl {
        spec: Box<HttpSpec>,
        tag: Option<String>,
        expand: bool,
        ignore_if_error: bool,
        options: super::task::HttpOptions,
    },
    Md5 {
        message: Pattern,
        id: Option<Pattern>,
    },
    XmlFromDatabase(Box<super::database::DatabaseQuery>),
    /// `<on-demand-incrementing-number type="…"/>` (§10.2).
    OnDemandNumber(crate::store::NumberKind),
    /// `<request-log/>`: the stored entries of this application and environment.
    RequestLog,
}

#[derive(Debug, Clone)]
pub struct Command {
    pub kind: CommandKind,
    pub post_process: Vec<PostProcess>,
    pub tag: String,
    pub pos: Pos,
}

impl Command {
    /// Every pattern whose placeholders come from the context.
    pub fn patterns(&self) -> Vec<&Pattern> {
        match &self.kind {
            CommandKind::LiteralXml(list) => list.iter().collect(),
            CommandKind::XmlFromApplication {
                file, preloaded, ..
            } => {
                let mut v = vec![file];
                v.extend(preloaded.iter());
                v
            }
            CommandKind::XmlFromUrl { spec, .. } => spec.patterns(),
            CommandKind::Md5 { message, id } => {
                let mut v = vec![message];
                v.extend(id.iter());
                v
            }
            CommandKind::XmlFromDatabase(q) => q.patterns(),
            CommandKind::Parameters
            | CommandKind::ApplicationIntrospection
            | CommandKind::OnDemandNumber(_)
            | CommandKind::RequestLog => Vec::new(),
        }
    }
}

#[derive(Debug)]
pub struct DataSource {
    pub name: String,
    pub file: Arc<PathBuf>,
    pub commands: Vec<Command>,
    pub post_process: Vec<PostProcess>,
}

#[derive(Debug)]
pub struct Transformer {
    pub name: String,
    pub file: Arc<PathBuf>,
    pub data_source: usize,
    pub xslt: Option<Arc<Stylesheet>>,
    pub content_type: Option<String>,
    /// `<placeholder-value>`s, passed as `xsl:param` strings.
    pub params: Vec<(String, String)>,
    pub to_json: bool,
    /// `<convert-output-xsl-fo-to-pdf/>`: the XSLT output is XSL-FO, rendered to PDF by Apache FOP.
    pub to_pdf: bool,
    /// The application's FOP factory in the JVM worker (set when `to_pdf` and it could be created).
    pub pdf: Option<Arc<PdfRenderer>>,
    /// `<convert-output-xml-to-excel input-decimal-separator>`: HTML tables become an XLSX sheet.
    pub to_excel: Option<DecimalSeparator>,
}

/// How numbers in HTML table cells are written, for `<convert-output-xml-to-excel>`.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum DecimalSeparator {
    /// `1,234.56` (default).
    Dot,
    /// `1.234,56`.
    Comma,
    /// Either, or `1'234.56`; numbers have zero or two decimals.
    Magic,
}

/// Compiles stylesheets once per path (on the engine the application chooses) and reports failures at the
/// referencing element; creates the application's PDF renderer on first need.
pub struct Compiler {
    pub sandbox: Sandbox,
    engine: XsltEngine,
    cache: HashMap<PathBuf, Option<Arc<Stylesheet>>>,
    static_dir: PathBuf,
    pdf: Option<Option<Arc<PdfRenderer>>>,
}

impl Compiler {
    pub fn new(layout: &super::Layout, engine: XsltEngine) -> Compiler {
        Compiler {
            sandbox: Sandbox {
                root: layout.root.clone(),
                config_dir: layout.config_dir.clone(),
                static_dir: layout.static_dir.clone(),
            },
            engine,
            cache: HashMap::new(),
            static_dir: layout.static_dir.clone(),
            pdf: None,
        }
    }

    pub fn compile(
        &mut self,
        path: &Path,
        from: &Path,
        pos: Pos,
        diags: &mut Diagnostics,
    ) -> Option<Arc<Stylesheet>> {
        if let Some(c) = self.cache.get(path) {
            return c.clone();
        }
        let result = match Stylesheet::compile(path, &self.sandbox, self.engine) {
            Ok(s) => {
                // Saxon finds unknown functions itself (XPST0017); libxslt only when the call runs.
                if s.engine_name() == "libxslt" {
                    super::extension_functions::check(path, diags);
                }
                Some(Arc::new(s))
            }
            Err(e) => {
                for p in &e.problems {
                    let at = Pos {
                        line: p.line,
                        column: p.column,
                    };
                    diags.error(p.file.as_deref().unwrap_or(path), at, p.message.clone());
                }
                diags.error(
                    from,
                    pos,
                    format!("XSLT '{}' does not compile", path.display()),
                );
                None
            }
        };
        self.cache.insert(path.to_path_buf(), result.clone());
        result
    }

    /// The application's FOP factory in the JVM worker (created once; a failure is reported at `from`/`pos`
    /// the first time). `fonts/apache-fop-config.xml` is used when present: relative font URLs resolve against
    /// `fonts/`, relative image URLs against `static/`.
    pub fn pdf_renderer(
        &mut self,
        from: &Path,
        pos: Pos,
        diags: &mut Diagnostics,
    ) -> Option<Arc<PdfRenderer>> {
        if let Some(r) = &self.pdf {
            return r.clone();
        }
        let canonical = |p: &Path| p.canonicalize().unwrap_or_else(|_| p.to_path_buf());
        let fonts = canonical(&self.sandbox.config_dir.join("fonts"));
        let config = fonts.join("apache-fop-config.xml");
        let config = config.is_file().then_some(config);
        let images = canonical(&self.static_dir);
        let roots = vec![fonts.clone(), images.clone()];
        let r =
            match PdfRenderer::create(crate::jvm::global(), config.clone(), fonts, images, roots) {
                Ok(r) => Some(Arc::new(r)),
                Err(e) => {
                    let at = config.as_deref().unwrap_or(from);
                    let at_pos = if config.is_some() {
                        Pos { line: 1, column: 1 }
                    } else {
                        pos
                    };
                    diags.error(
                        at,
                        at_pos,
                        format!("PDF output (Apache FOP in the JVM worker): {e}"),
                    );
                    if config.is_some() {
                        diags.error(
                            from,
                            pos,
                            "the FOP configuration fonts/apache-fop-config.xml cannot be used",
                        );
                    }
                    None
                }
            };
        self.pdf = Some(r.clone());
        r
    }
}

/// Paths the data sources need.
pub struct Dirs<'a> {
    pub config_dir: &'a Path,
}

impl Dirs<'_> {
    fn post_processing(&self) -> PathBuf {
        self.config_dir.join("data-source-post-processing-xslt")
    }
    fn xml_from_application(&self) -> PathBuf {
        self.config_dir.join("xml-from-application")
    }
    fn http_xslt(&self) -> PathBuf {
        self.config_dir.join("http-xslt")
    }
}

/// `NAME.xml` files directly in `dir` (case-insensitive extension), sorted; name = file name without `.xml`.
pub fn xml_files(dir: &Path) -> Vec<(String, PathBuf)> {
    let mut out = Vec::new();
    if let Ok(rd) = std::fs::read_dir(dir) {
        for e in rd.flatten() {
            let f = e.file_name().to_string_lossy().into_owned();
            if f.to_ascii_lowercase().ends_with(".xml") && e.path().is_file() {
                out.push((f.replace(".xml", ""), e.path()));
            }
        }
    }
    out.sort();
    out
}

fn parse_post_process(
    file: &Path,
    node: Node,
    dirs: &Dirs,
    compiler: &mut Compiler,
    diags: &mut Diagnostics,
) -> Option<PostProcess> {
    xml::check_attributes(file, node, &["xslt"], diags);
    let Some(x) = node.attribute("xslt") else {
        diags.error(
            file,
            xml::pos(node),
            "<post-process> is missing the attribute 'xslt'",
        );
        return None;
    };
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

const NOT_YET: [&str; 4] = ["aws-s3-keys", "aws-s3-object", "data-driven-cms", "command"];

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
    let mut post_process = Vec::new();
    let mut ok = true;
    let only_post_process = |diags: &mut Diagnostics| {
        let mut ok = true;
        for c in xml::elements(node).filter(|c| xml::name(*c) != "post-process") {
            diags.error(
                file,
                xml::pos(c),
                format!(
                    "Unexpected element <{}> in <{tag}>; only <post-process> is allowed",
                    xml::name(c)
                ),
            );
            ok = false;
        }
        ok
    };
    for c in xml::elements(node).filter(|c| xml::name(*c) == "post-process") {
        match parse_post_process(file, c, dirs, compiler, diags) {
            Some(p) => post_process.push(p),
            None => ok = false,
        }
    }
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
        "parameters" => {
            xml::check_attributes(file, node, &[], diags);
            ok &= only_post_process(diags);
            CommandKind::Parameters
        }
        "application-introspection" => {
            xml::check_attributes(file, node, &[], diags);
            ok &= only_post_process(diags);
            CommandKind::ApplicationIntrospection
        }
        "on-demand-incrementing-number" => {
            xml::check_attributes(file, node, &["type"], diags);
            ok &= only_post_process(diags);
            let t = node.attribute("type").unwrap_or("");
            match crate::store::NumberKind::parse(t) {
                Some(k) => CommandKind::OnDemandNumber(k),
                None => {
                    diags.error(
                        file,
                        xml::attr_pos(node, "type"),
                        format!(
                            "type='{t}' invalid: should be one of 'perpetual', 'year', 'month'"
                        ),
                    );
                    return None;
                }
            }
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
            ok &= only_post_process(diags);
            let Some(m) = node.attribute("message-string") else {
                diags.error(file, pos, "<md5> is missing the attribute 'message-string'");
                return None;
            };
            CommandKind::Md5 {
                message: Pattern::plain(m),
                id: node.attribute("id").map(Pattern::plain),
            }
        }
        "xml-from-application" => {
            xml::check_attributes(file, node, &["file", "ignore-if-not-found"], diags);
            ok &= only_post_process(diags);
            let Some(f) = node.attribute("file") else {
                diags.error(
                    file,
                    pos,
                    "<xml-from-application> is missing the attribute 'file'",
                );
                return None;
            };
            let ignore_if_not_found = node
                .attribute("ignore-if-not-found")
                .and_then(xml::parse_bool)
                .unwrap_or(false);
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
                        ok = false;
                    }
                    Err(e) => {
                        diags.error(
                            file,
                            xml::attr_pos(node, "file"),
                            format!("<xml-from-application file='{f}'>: {e}"),
                        );
                        ok = false;
                    }
                }
            }
            CommandKind::XmlFromApplication {
                file: pattern,
                ignore_if_not_found,
                preloaded,
            }
        }
        "xml-from-url" => {
            let mut allowed = vec!["tag", "expand-parameters-in-response", "ignore-if-error"];
            allowed.extend(super::task::HTTP_OPTION_ATTRIBUTES);
            xml::check_attributes(file, node, &allowed, diags);
            let options = super::task::parse_http_options(file, node, diags)?;
            let mut compile = |p: &Path, from: &Path, pos: Pos, d: &mut Diagnostics| {
                compiler.compile(p, from, pos, d)
            };
            let http_xslt = dirs.http_xslt();
            let mut sctx = SpecContext {
                http_xslt_dir: &http_xslt,
                compile: &mut compile,
            };
            let spec = http_spec::parse(file, node, &["post-process"], &mut sctx, diags)?;
            CommandKind::XmlFromUrl {
                spec: Box::new(spec),
                tag: node.attribute("tag").map(str::to_string),
                expand: node
                    .attribute("expand-parameters-in-response")
                    .and_then(xml::parse_bool)
                    .unwrap_or(true),
                ignore_if_error: node
                    .attribute("ignore-if-error")
                    .and_then(xml::parse_bool)
                    .unwrap_or(false),
                options,
            }
        }
        "xml-from-database" => CommandKind::XmlFromDatabase(Box::new(
            super::database::parse_database_query(file, node, dirs.config_dir, diags)?,
        )),
        t if NOT_YET.contains(&t) => {
            diags.error(file, pos, format!("<{t}> is not supported yet"));
            return None;
        }
        other => {
            diags.error(file, pos, format!("Command tag <{other}> unrecognized"));
            return None;
        }
    };
    ok.then_some(Command {
        kind,
        post_process,
        tag,
        pos,
    })
}

/// Reads `name` inside `dir` (no escaping it); `Ok(None)` if absent. Returns the root element as an XML pattern.
pub fn read_application_xml(dir: &Path, name: &str) -> Result<Option<Pattern>, String> {
    let Some(path) = resolve_inside(dir, name)? else {
        return Ok(None);
    };
    let text = std::fs::read_to_string(&path).map_err(|e| format!("cannot read: {e}"))?;
    let mut d = Diagnostics::default();
    let doc = xml::parse(&path, &text, &mut d).ok_or_else(|| {
        d.errors()
            .next()
            .map(|e| e.message.clone())
            .unwrap_or_else(|| "malformed XML".into())
    })?;
    let root = doc.root_element();
    Ok(Some(Pattern::xml(
        &text.strip_prefix('\u{feff}').unwrap_or(&text)[root.range()],
    )))
}

/// The error of a name that leaves the directory (the reference's words).
pub const LEAFNAME_BLOCKED: &str = "Leafname is blocked";

/// Canonical `dir/name` if it stays inside `dir`; `Ok(None)` if it does not exist; `Err` if it escapes.
pub fn resolve_inside(dir: &Path, name: &str) -> Result<Option<PathBuf>, String> {
    let rel = name.trim_start_matches('/');
    if Path::new(rel).components().any(|c| {
        !matches!(
            c,
            std::path::Component::Normal(_) | std::path::Component::CurDir
        )
    }) {
        return Err(LEAFNAME_BLOCKED.to_string());
    }
    let Ok(base) = dir.canonicalize() else {
        return Ok(None);
    };
    match base.join(rel).canonicalize() {
        Ok(p) if p.starts_with(&base) && p.is_file() => Ok(Some(p)),
        Ok(p) if !p.starts_with(&base) => Err(LEAFNAME_BLOCKED.to_string()),
        Ok(_) => Ok(None),
        Err(_) => Ok(None),
    }
}

/// Parses every `data-sources/*.xml`.
pub fn load_data_sources(
    dirs: &Dirs,
    compiler: &mut Compiler,
    diags: &mut Diagnostics,
) -> Vec<DataSource> {
    let mut out = Vec::new();
    for (name, path) in xml_files(&dirs.config_dir.join("data-sources")) {
        let file = Arc::new(path);
        let Some(text) = xml::read_text(&file, diags) else {
            continue;
        };
        let Some(doc) = xml::parse(&file, &text, diags) else {
            continue;
        };
        let root = doc.root_element();
        if xml::name(root) != "data-source" {
            diags.error(
                &file,
                xml::pos(root),
                format!(
                    "Root element must be <data-source>, found <{}>",
                    xml::name(root)
                ),
            );
            continue;
        }
        let mut commands = Vec::new();
        let mut post_process = Vec::new();
        for c in xml::elements(root) {
            if xml::name(c) == "post-process" {
                if let Some(p) = parse_post_process(&file, c, dirs, compiler, diags) {
                    post_process.push(p);
                }
            } else if let Some(cmd) = parse_command(&file, c, dirs, compiler, diags) {
                commands.push(cmd);
            }
        }
        out.push(DataSource {
            name,
            file,
            commands,
            post_process,
        });
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
        let Some(text) = xml::read_text(&file, diags) else {
            continue;
        };
        let Some(doc) = xml::parse(&file, &text, diags) else {
            continue;
        };
        let root = doc.root_element();
        xml::check_attributes(&file, root, &["data-source"], diags);
        let Some(ds_name) = root.attribute("data-source") else {
            diags.error(
                &file,
                xml::pos(root),
                format!(
                    "<{}> is missing the attribute 'data-source'",
                    xml::name(root)
                ),
            );
            continue;
        };
        let Some(data_source) = data_sources.iter().position(|d| d.name == ds_name) else {
            diags.error(
                &file,
                xml::attr_pos(root, "data-source"),
                format!("Transformer references data source '{ds_name}' but it cannot be found"),
            );
            continue;
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
        };
        let mut ok = true;
        for c in xml::elements(root) {
            match xml::name(c) {
                "xslt-file" | "xslt-directory" => {
                    let Some(n) = c.attribute("name") else {
                        diags.error(
                            &file,
                            xml::pos(c),
                            format!("<{}> is missing the attribute 'name'", xml::name(c)),
                        );
                        ok = false;
                        continue;
                    };
                    let rel = if xml::name(c) == "xslt-directory" {
                        format!("{n}/report.xslt")
                    } else {
                        n.to_string()
                    };
                    let path = dirs.config_dir.join("data-source-xslt").join(&rel);
                    if !path.is_file() {
                        diags.error(
                            &file,
                            xml::attr_pos(c, "name"),
                            format!("XSLT File 'data-source-xslt/{rel}' not found"),
                        );
                        ok = false;
                        continue;
                    }
                    match compiler.compile(&path, &file, xml::attr_pos(c, "name"), diags) {
                        Some(s) => t.xslt = Some(s),
                        None => ok = false,
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
                        _ => {
                            diags.error(&file, xml::pos(c), "<placeholder-value> needs the attributes 'placeholder-name' and 'value'");
                            ok = false;
                        }
                    }
                }
                "convert-output-xsl-fo-to-pdf" | "convert-output-xml-fo-to-pdf" => {
                    t.pdf = compiler.pdf_renderer(&file, xml::pos(c), diags);
                    ok &= t.pdf.is_some();
                    t.to_pdf = true;
                }
                "convert-output-xml-to-excel" => {
                    let sep = if c.attribute("magic-numbers").and_then(xml::parse_bool)
                        == Some(true)
                    {
                        Some(DecimalSeparator::Magic)
                    } else {
                        match c.attribute("input-decimal-separator") {
                            None | Some("dot") => Some(DecimalSeparator::Dot),
                            Some("comma") => Some(DecimalSeparator::Comma),
                            Some("magic") => Some(DecimalSeparator::Magic),
                            Some(other) => {
                                diags.error(&file, xml::attr_pos(c, "input-decimal-separator"), format!("input-decimal-separator='{other}' invalid: expected dot, comma or magic"));
                                ok = false;
                                None
                            }
                        }
                    };
                    t.to_excel = sep;
                }
                n @ ("write-input-to-aws-s3" | "write-output-to-aws-s3") => {
                    diags.error(&file, xml::pos(c), format!("<{n}> is not supported yet"));
                    ok = false;
                }
                other => diags.warning(
                    &file,
                    xml::pos(c),
                    format!("unknown element <{other}> in a transformer is ignored"),
                ),
            }
        }
        // A broken transformer is kept so that endpoints naming it get no second, misleading error; the load
        // fails anyway because of the errors reported above.
        let _ = ok;
        out.push(t);
    }
    out
}
