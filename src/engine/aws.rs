//! What a request does with AWS: the S3 commands of data sources (`<aws-s3-keys>`, `<aws-s3-object>`), the S3
//! dumps of transformers (`<write-input-to-aws-s3>`, `<write-output-to-aws-s3>`; the request waits for them) and
//! the `secrets.xml` parameters, fetched from Secrets Manager when a request first uses them.
//!
//! Failures: an S3 or Secrets Manager error is a 500. Its detail (AWS's error code, never a credential or a
//! secret's value) goes to the log; the client sees the reference's text for a secret (`Cannot compute parameter
//! 'p': …`) and the generic internal-error text otherwise.

use std::sync::Arc;

use bytes::Bytes;

use super::context::Ctx;
use super::failure::Failure;
use super::http::client;
use crate::aws::{s3::Bucket, secrets_manager, AwsError};
use crate::config::model::aws::{S3Keys, S3Object, S3Write};
use crate::config::model::data_source::Transformer;
use crate::config::model::task::HttpOptions;
use crate::convert::escape::escape_xml;

/// How many tag reads of `<aws-s3-keys>` run at once.
const TAG_READS_AT_ONCE: usize = 16;

fn bucket<'a>(ctx: &'a Ctx<'_>) -> Result<&'a Bucket, Failure> {
    ctx.app
        .s3
        .as_ref()
        .map(|c| &c.bucket)
        .ok_or_else(|| Failure::hidden("no aws-s3-configuration.xml"))
}

fn s3_failure(what: &str, e: AwsError) -> Failure {
    Failure::hidden(format!("{what}: {e}"))
}

/// `<aws-s3-keys>`: keys under `folder/` whose tags match, newest first (objects of the same second in key
/// order), at most `limit`, with `folder/` removed from the keys.
pub async fn s3_keys(ctx: &Ctx<'_>, k: &S3Keys) -> Result<String, Failure> {
    let b = bucket(ctx)?;
    let prefix = k.folder.as_ref().map(|f| format!("{f}/"));
    let listed = b
        .list(client(), prefix.as_deref(), &k.options)
        .await
        .map_err(|e| s3_failure("<aws-s3-keys>: listing the bucket", e))?;
    let mut kept = Vec::with_capacity(listed.len());
    if k.match_tags.is_empty() {
        kept = listed;
    } else {
        for chunk in listed.chunks(TAG_READS_AT_ONCE) {
            let tags = futures_util::future::join_all(
                chunk.iter().map(|o| b.tags(client(), &o.key, &k.options)),
            )
            .await;
            for (o, tags) in chunk.iter().zip(tags) {
                let tags = tags.map_err(|e| {
                    s3_failure(
                        &format!("<aws-s3-keys>: reading the tags of '{}'", o.key),
                        e,
                    )
                })?;
                let matches = k.match_tags.iter().all(|(name, want)| {
                    let have = tags
                        .iter()
                        .find(|(n, _)| n == name)
                        .map(|(_, v)| v.as_str());
                    have.unwrap_or("") == want
                });
                if matches {
                    kept.push(o.clone());
                }
            }
        }
    }
    // Stable: objects of the same time keep the listing's (key) order.
    kept.sort_by_key(|o| std::cmp::Reverse(o.last_modified_ms));
    kept.truncate(k.limit);
    let mut s = String::from("<aws-s3-keys>");
    for o in kept {
        let key = match &prefix {
            Some(p) => o.key.replace(p.as_str(), ""),
            None => o.key,
        };
        s.push_str("<object key=\"");
        escape_xml(&key, &mut s);
        s.push_str("\"/>");
    }
    s.push_str("</aws-s3-keys>");
    Ok(s)
}

/// `<aws-s3-object key>`: the object parsed as XML, inside `<aws-s3-object key="…">`.
pub async fn s3_object(ctx: &Ctx<'_>, o: &S3Object) -> Result<String, Failure> {
    let b = bucket(ctx)?;
    let bytes = b
        .get(client(), &o.key, &o.options)
        .await
        .map_err(|e| s3_failure(&format!("<aws-s3-object key='{}'>", o.key), e))?;
    let not_xml = || Failure::internal(format!("S3 object '{}' is not well-formed XML", o.key));
    let text = std::str::from_utf8(&bytes).map_err(|_| not_xml())?;
    let root = crate::convert::xml_root::root_element_source(text).ok_or_else(not_xml)?;
    let mut s = String::from("<aws-s3-object key=\"");
    escape_xml(&o.key, &mut s);
    s.push_str("\">");
    s.push_str(root);
    s.push_str("</aws-s3-object>");
    Ok(s)
}

/// Writes a transformer's input (`io` = `input`) or output to the bucket as
/// `FOLDER<request-id>-<data source>-transformer-<io>[.xml]`, tagged `environment` plus the configured tags.
pub async fn dump(
    ctx: &Ctx<'_>,
    w: &S3Write,
    t: &Transformer,
    io: &str,
    content_type: &str,
    body: Bytes,
) -> Result<(), Failure> {
    let b = bucket(ctx)?;
    let request_id = ctx.lookup("request-id").unwrap_or("");
    let ds = &ctx.app.data_sources[t.data_source].name;
    let ext = if content_type.contains("xml") {
        ".xml"
    } else {
        ""
    };
    let key = format!("{}{request_id}-{ds}-transformer-{io}{ext}", w.folder);
    let mut tags = vec![(
        "environment".to_string(),
        ctx.journal.environment.as_str().to_string(),
    )];
    tags.extend(w.tags.iter().cloned());
    b.put(client(), &key, content_type, &tags, body, &w.options)
        .await
        .map_err(|e| {
            s3_failure(
                &format!(
                    "transformer '{}': writing its {io} to S3 as '{key}'",
                    t.name
                ),
                e,
            )
        })
}

/// Fetches the `secrets.xml` parameters among `names` that this request has not fetched yet (from the cache of
/// recently fetched values, else from Secrets Manager), so that [`Ctx::lookup`] finds them. A name that is no
/// secret parameter is left alone.
pub async fn resolve_secrets(ctx: &Ctx<'_>, names: &[&str]) -> Result<(), Failure> {
    let Some(secrets) = &ctx.app.aws_secrets else {
        return Ok(());
    };
    for &name in names {
        let Some(i) = secrets.index(name) else {
            continue;
        };
        if ctx.journal.secret(i).is_some() {
            continue;
        }
        let value = match secrets.cached(i) {
            Some(v) => v,
            None => {
                // One fetch at a time per secret; whoever waited finds the value in the cache.
                let _fetching = secrets.fetching[i].lock().await;
                if let Some(v) = secrets.cached(i) {
                    ctx.journal.set_secret(i, secrets.parameters.len(), v);
                    continue;
                }
                let p = &secrets.parameters[i];
                let fetched = secrets_manager::get_secret_string(
                    client(),
                    &secrets.region,
                    &p.aws_secret,
                    &HttpOptions::default(),
                )
                .await;
                match fetched {
                    Ok(v) => {
                        let v: Arc<str> = Arc::from(v);
                        secrets.remember(i, v.clone());
                        v
                    }
                    Err(e) => {
                        let mut f = Failure::internal(format!(
                            "Cannot compute parameter '{}': Cannot fetch AWS secret '{}'",
                            p.parameter, p.aws_secret
                        ));
                        f.detail = Some(e.to_string());
                        return Err(f);
                    }
                }
            }
        };
        ctx.journal.set_secret(i, secrets.parameters.len(), value);
    }
    Ok(())
}

/// Appends the secret slots of an endpoint's scope (or of its `<error>`'s) to `values`: for each of `secrets`
/// (the `secrets.xml` parameter names), its value when its index is in `used` (fetched now unless this request
/// already has it), else `""` (no template reads that slot).
pub async fn secret_slots(
    ctx: &Ctx<'_>,
    secrets: &[String],
    used: &[usize],
    values: &mut Vec<String>,
) -> Result<(), Failure> {
    let names: Vec<&str> = used.iter().map(|&i| secrets[i].as_str()).collect();
    resolve_secrets(ctx, &names).await?;
    let start = values.len();
    values.resize(start + secrets.len(), String::new());
    for &i in used {
        let name = &secrets[i];
        let value = ctx
            .app
            .aws_secrets
            .as_ref()
            .and_then(|s| s.index(name))
            .and_then(|k| ctx.journal.secret(k))
            .ok_or_else(|| Failure::hidden(format!("secret parameter '{name}' was not fetched")))?;
        values[start + i] = value.to_string();
    }
    Ok(())
}

/// [`resolve_secrets`] for the placeholders of an outgoing HTTP request.
pub async fn resolve_spec_secrets(
    ctx: &Ctx<'_>,
    spec: &crate::config::model::http_spec::HttpSpec,
) -> Result<(), Failure> {
    if ctx.app.aws_secrets.is_none() {
        return Ok(());
    }
    let patterns = spec.patterns();
    let names: Vec<&str> = patterns.iter().flat_map(|p| p.names()).collect();
    resolve_secrets(ctx, &names).await
}

/// `xml` indented by two spaces per level, without an XML declaration: elements holding only elements get one
/// child per line; an element with text in it is written as it is. `xml` itself when it is not well-formed.
pub fn pretty_xml(xml: &str) -> String {
    let Ok(doc) = roxmltree::Document::parse(xml) else {
        return xml.to_string();
    };
    let mut out = String::with_capacity(xml.len() + xml.len() / 4);
    pretty_node(xml, doc.root_element(), 0, &mut out);
    out
}

fn pretty_node(src: &str, n: roxmltree::Node, depth: usize, out: &mut String) {
    for _ in 0..depth {
        out.push_str("  ");
    }
    let children: Vec<roxmltree::Node> = n
        .children()
        .filter(|c| !(c.is_text() && c.text().is_some_and(|t| t.trim().is_empty())))
        .collect();
    let nested = !children.is_empty() && children.iter().all(|c| !c.is_text());
    if !n.is_element() || !nested {
        out.push_str(src[n.range()].trim());
        out.push('\n');
        return;
    }
    let first = n
        .first_child()
        .map(|c| c.range().start)
        .unwrap_or(n.range().end);
    let last = n
        .last_child()
        .map(|c| c.range().end)
        .unwrap_or(n.range().end);
    out.push_str(&src[n.range().start..first]);
    out.push('\n');
    for c in children {
        pretty_node(src, c, depth + 1, out);
    }
    for _ in 0..depth {
        out.push_str("  ");
    }
    out.push_str(&src[last..n.range().end]);
    out.push('\n');
}

#[cfg(test)]
mod tests {
    use super::pretty_xml;

    #[test]
    fn indents_by_two_spaces() {
        assert_eq!(
            pretty_xml("<a x=\"1\"><b>t</b> <c><d/></c><e>m<f/></e></a>"),
            "<a x=\"1\">\n  <b>t</b>\n  <c>\n    <d/>\n  </c>\n  <e>m<f/></e>\n</a>\n"
        );
    }
}
