//! Parses the AWS parts of an application: `aws-s3-configuration.xml` (whose bucket is checked now, as the
//! reference does), `secrets.xml`, the commands `<aws-s3-keys>` / `<aws-s3-object>` and the transformer elements
//! `<write-input-to-aws-s3>` / `<write-output-to-aws-s3>`. Timeouts and retries of S3 calls take the attributes
//! of HTTP tasks (`timeout-ms`, `retries`, `retry-backoff-ms`).

use std::path::Path;
use std::time::Duration;

use roxmltree::Node;

use super::http_options::parse_http_options;
use super::suggest::{did_you_mean_element, elements_or};
use super::xml;
use crate::aws::s3::Bucket;
use crate::aws::AwsError;
use crate::config::error::Diagnostics;
use crate::config::error::Pos;
use crate::config::model::aws::{AwsSecrets, S3Config, S3Keys, S3Object, S3Write, SecretParameter};
use crate::config::model::data_source::{CommandKind, DataSource, Transformer};
use crate::config::model::task::HttpOptions;

pub const S3_CONFIG_FILE: &str = "aws-s3-configuration.xml";
pub const SECRETS_FILE: &str = "secrets.xml";

/// The attributes that set an S3 call's timeout and retries.
const S3_OPTION_ATTRIBUTES: [&str; 3] = ["timeout-ms", "retries", "retry-backoff-ms"];

fn attributes(extra: &[&'static str]) -> Vec<&'static str> {
    let mut v = extra.to_vec();
    v.extend(S3_OPTION_ATTRIBUTES);
    v
}

/// Reports every child element not in `allowed`; true when there is none.
fn only_children(file: &Path, node: Node, allowed: &[&str], diags: &mut Diagnostics) -> bool {
    let mut ok = true;
    for c in xml::elements(node).filter(|c| !allowed.contains(&xml::name(*c))) {
        let n = xml::name(c);
        diags.error(
            file,
            xml::pos(c),
            format!(
                "Unexpected element <{n}> in <{}>; only {} {} allowed{}",
                xml::name(node),
                elements_or(allowed),
                if allowed.len() == 1 { "is" } else { "are" },
                did_you_mean_element(n, allowed)
            ),
        );
        ok = false;
    }
    ok
}

/// `<x name="k">v</x>` children as (k, v), in document order.
fn name_value_children(
    file: &Path,
    node: Node,
    tag: &str,
    diags: &mut Diagnostics,
) -> Option<Vec<(String, String)>> {
    let mut out = Vec::new();
    for c in xml::elements(node).filter(|c| xml::name(*c) == tag) {
        xml::check_attributes(file, c, &["name"], diags);
        let n = xml::required_attribute(file, c, "name", diags)?;
        out.push((n.to_string(), xml::text_content(c)));
    }
    Some(out)
}

/// The single optional `<folder>` text.
fn folder(file: &Path, node: Node, diags: &mut Diagnostics) -> Option<Option<String>> {
    let mut folders = xml::elements(node).filter(|c| xml::name(*c) == "folder");
    let first = folders.next();
    if let Some(second) = folders.next() {
        diags.error(
            file,
            xml::pos(second),
            format!("<{}> has more than one <folder>", xml::name(node)),
        );
        return None;
    }
    Some(first.map(xml::text_content))
}

/// `<aws-s3-keys limit="N">` with `<folder>`? and `<match-tag name>`* (nothing else, not even `<post-process>`).
pub fn parse_s3_keys(file: &Path, node: Node, diags: &mut Diagnostics) -> Option<CommandKind> {
    xml::check_attributes(file, node, &attributes(&["limit"]), diags);
    let ok = only_children(file, node, &["folder", "match-tag"], diags);
    let options = parse_http_options(file, node, diags)?;
    let limit = xml::required_attribute(file, node, "limit", diags)?;
    let Ok(limit) = limit.trim().parse::<i64>() else {
        diags.error(
            file,
            xml::attr_pos(node, "limit"),
            format!("<aws-s3-keys limit='{limit}'>: the limit must be a whole number"),
        );
        return None;
    };
    let folder = folder(file, node, diags)?;
    let match_tags = name_value_children(file, node, "match-tag", diags)?;
    ok.then_some(CommandKind::AwsS3Keys(S3Keys {
        folder,
        match_tags,
        limit: limit.max(0) as usize,
        options,
    }))
}

/// `<aws-s3-object key="K"/>` (its `<post-process>` children are the caller's).
pub fn parse_s3_object(file: &Path, node: Node, diags: &mut Diagnostics) -> Option<CommandKind> {
    xml::check_attributes(file, node, &attributes(&["key"]), diags);
    let ok = only_children(file, node, &["post-process"], diags);
    let options = parse_http_options(file, node, diags)?;
    let key = xml::required_attribute(file, node, "key", diags)?;
    ok.then(|| {
        CommandKind::AwsS3Object(S3Object {
            key: key.to_string(),
            options,
        })
    })
}

/// `<write-input-to-aws-s3>` / `<write-output-to-aws-s3>` with `<folder>`? and `<tag name>`*.
pub fn parse_s3_write(file: &Path, node: Node, diags: &mut Diagnostics) -> Option<S3Write> {
    xml::check_attributes(file, node, &S3_OPTION_ATTRIBUTES, diags);
    let ok = only_children(file, node, &["folder", "tag"], diags);
    let options = parse_http_options(file, node, diags)?;
    let folder = folder(file, node, diags)?
        .map(|f| if f.ends_with('/') { f } else { format!("{f}/") })
        .unwrap_or_default();
    let tags = name_value_children(file, node, "tag", diags)?;
    ok.then_some(S3Write {
        folder,
        tags,
        options,
    })
}

/// Runs `check` on a thread of its own with a runtime of its own: loading is synchronous, and may itself run on
/// a runtime's thread.
fn check_reachable(bucket: &Bucket) -> Result<(), AwsError> {
    let options = HttpOptions {
        timeout: Duration::from_secs(15),
        ..HttpOptions::default()
    };
    std::thread::scope(|s| {
        s.spawn(|| {
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .map_err(|e| AwsError::Invalid(format!("cannot start the check: {e}")))?;
            rt.block_on(async {
                let client = reqwest::Client::builder()
                    .connect_timeout(Duration::from_secs(5))
                    .redirect(reqwest::redirect::Policy::none())
                    .build()
                    .map_err(|e| AwsError::Invalid(format!("cannot start the check: {e}")))?;
                bucket.check(&client, &options).await
            })
        })
        .join()
        .unwrap_or_else(|_| Err(AwsError::Invalid("the bucket check failed".into())))
    })
}

/// `aws-s3-configuration.xml`: `<aws-s3-configuration><bucket>NAME</bucket></aws-s3-configuration>`; the bucket
/// must be reachable with the configured credentials (a GetBucketLocation call).
pub fn load_s3_config(path: &Path, diags: &mut Diagnostics) -> Option<S3Config> {
    xml::with_root(path, "aws-s3-configuration", diags, |root, diags| {
        xml::check_attributes(path, root, &[], diags);
        let ok = only_children(path, root, &["bucket"], diags);
        let buckets: Vec<Node> = xml::elements(root)
            .filter(|c| xml::name(*c) == "bucket")
            .collect();
        let [b] = buckets.as_slice() else {
            diags.error(
                path,
                xml::pos(root),
                "<aws-s3-configuration> needs exactly one <bucket>",
            );
            return None;
        };
        let name = xml::text_content(*b).trim().to_string();
        if name.is_empty() {
            diags.error(path, xml::pos(*b), "<bucket> is empty");
            return None;
        }
        if !ok {
            return None;
        }
        let bucket = Bucket::new(&name);
        if let Err(e) = check_reachable(&bucket) {
            diags.error(path, xml::pos(*b), format!("Bucket '{name}': {e}"));
            return None;
        }
        Some(S3Config { bucket })
    })
    .flatten()
}

/// `secrets.xml`: `<aws-secrets region="…">` with `<secret parameter-name="p" aws-secret="name"/>`s. Nothing is
/// fetched now: a secret is fetched when a request first uses its parameter.
pub fn load_secrets(path: &Path, diags: &mut Diagnostics) -> Option<AwsSecrets> {
    xml::with_root(path, "aws-secrets", diags, |root, diags| {
        xml::check_attributes(path, root, &["region"], diags);
        only_children(path, root, &["secret"], diags);
        let region = xml::required_attribute(path, root, "region", diags);
        let mut parameters = Vec::new();
        for c in xml::elements(root).filter(|c| xml::name(*c) == "secret") {
            xml::check_attributes(path, c, &["parameter-name", "aws-secret"], diags);
            let p = xml::required_attribute(path, c, "parameter-name", diags);
            let s = xml::required_attribute(path, c, "aws-secret", diags);
            if let (Some(p), Some(s)) = (p, s) {
                parameters.push(SecretParameter {
                    parameter: p.to_string(),
                    aws_secret: s.to_string(),
                });
            }
        }
        // Broken entries are reported (the load fails); the others are kept so that their placeholders raise no
        // second error.
        let region = region?.trim().to_string();
        Some(AwsSecrets::new(path.to_path_buf(), region, parameters))
    })
    .flatten()
}

/// `aws-s3-configuration.xml` and `secrets.xml` of `config_dir`, when present. Without the S3 file, no data
/// source may read S3 and no transformer write to it.
pub fn load_application_aws(
    config_dir: &Path,
    data_sources: &[DataSource],
    transformers: &[Transformer],
    diags: &mut Diagnostics,
) -> (Option<S3Config>, Option<std::sync::Arc<AwsSecrets>>) {
    let s3_path = config_dir.join(S3_CONFIG_FILE);
    let s3 = if s3_path.exists() {
        load_s3_config(&s3_path, diags)
    } else {
        for ds in data_sources {
            if let Some(c) = ds.commands.iter().find(|c| c.needs_s3()) {
                diags.error(
                    &ds.file,
                    c.pos,
                    format!(
                        "Data source '{}' requires '{S3_CONFIG_FILE}' but no such configuration was found",
                        ds.name
                    ),
                );
            }
        }
        for t in transformers {
            if t.write_input.is_some() || t.write_output.is_some() {
                diags.error(
                    &t.file,
                    Pos::default(),
                    format!(
                        "Transformer '{}' needs AWS S3 configuration, yet none was supplied",
                        t.name
                    ),
                );
            }
        }
        None
    };
    let secrets_path = config_dir.join(SECRETS_FILE);
    let secrets = if secrets_path.exists() {
        load_secrets(&secrets_path, diags).map(std::sync::Arc::new)
    } else {
        None
    };
    (s3, secrets)
}

/// Without `aws-s3-configuration.xml`, no parameter transformation may read S3.
pub fn check_parameter_transformations(
    endpoints: &[crate::config::model::application::Endpoint],
    diags: &mut Diagnostics,
) {
    for e in endpoints {
        let Some(pt) = &e.parameter_transformation else {
            continue;
        };
        if let Some(c) = pt.commands.iter().find(|c| c.needs_s3()) {
            diags.error(
                &e.origin.file,
                c.pos,
                format!(
                    "A data source for parameter transformation for endpoint '{}' requires '{S3_CONFIG_FILE}' but no such configuration was found",
                    e.name
                ),
            );
        }
    }
}
