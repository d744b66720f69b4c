//! The compiled data sources (`data-sources/*.xml`: the commands whose results a transformer's XSLT reads) and
//! transformers (`transformers/*.xml`: stylesheet, content type, `xsl:param` values, output conversion).

use std::path::PathBuf;
use std::sync::Arc;

use super::http_spec::HttpSpec;
use super::template::Pattern;
use crate::config::error::Pos;
use crate::jvm::PdfRenderer;
use crate::stylesheet::Stylesheet;

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
    /// `<on-demand-incrementing-number type="…"/>`.
    OnDemandNumber(crate::store::NumberKind),
    /// `<request-log/>`: the stored entries of this application and environment.
    RequestLog,
    /// `<aws-s3-keys>`: keys of the application's bucket, newest first.
    AwsS3Keys(super::aws::S3Keys),
    /// `<aws-s3-object key>`: one object of the application's bucket, as XML.
    AwsS3Object(super::aws::S3Object),
    /// `<data-driven-cms/>`: the files of `data-driven-cms/`, parsed at load.
    DataDrivenCms(Arc<super::cms::Cms>),
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
            CommandKind::DataDrivenCms(cms) => cms.patterns.iter().collect(),
            CommandKind::Parameters
            | CommandKind::AwsS3Keys(_)
            | CommandKind::AwsS3Object(_)
            | CommandKind::ApplicationIntrospection
            | CommandKind::OnDemandNumber(_)
            | CommandKind::RequestLog => Vec::new(),
        }
    }
}

impl Command {
    /// Whether it reads the application's S3 bucket (so `aws-s3-configuration.xml` is needed).
    pub fn needs_s3(&self) -> bool {
        matches!(
            self.kind,
            CommandKind::AwsS3Keys(_) | CommandKind::AwsS3Object(_)
        )
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
    /// `<write-input-to-aws-s3>`: the `<transformation-input>` document is written to the bucket.
    pub write_input: Option<super::aws::S3Write>,
    /// `<write-output-to-aws-s3>`: the body produced is written to the bucket.
    pub write_output: Option<super::aws::S3Write>,
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
