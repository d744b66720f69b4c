//! The S3 calls of OpenEndpoints applications on one bucket: where it is (the load-time check), list keys with
//! their last-modified time, read an object's tags, read an object, write an object with tags.
//!
//! Addressing: on AWS virtual-hosted (`https://BUCKET.s3.REGION.amazonaws.com/KEY`; path-style for bucket names
//! with dots, which TLS certificates do not cover); with a configured endpoint path-style (`ENDPOINT/BUCKET/KEY`),
//! which every S3-compatible server understands.

use bytes::Bytes;

use super::call::{self, check_status, Answer, Call};
use super::error::AwsError;
use super::sigv4::uri_encode;
use crate::config::model::task::HttpOptions;

const SERVICE: &str = "S3";

/// One bucket, addressed as the environment says.
#[derive(Debug, Clone)]
pub struct Bucket {
    pub name: String,
    region: String,
    origin: String,
    /// Path prefix before the key: `/BUCKET` (path-style) or empty (virtual-hosted).
    prefix: String,
}

/// A listed object.
#[derive(Debug, Clone)]
pub struct Listed {
    pub key: String,
    /// Milliseconds since the epoch.
    pub last_modified_ms: i64,
}

impl Bucket {
    /// `name` with the region and endpoint of the environment.
    pub fn new(name: &str) -> Bucket {
        let region = call::default_region();
        let (origin, path_style) = match call::endpoint_override("s3") {
            Some(e) => (e, true),
            None if name.contains('.') => (format!("https://s3.{region}.amazonaws.com"), true),
            None => (format!("https://{name}.s3.{region}.amazonaws.com"), false),
        };
        Bucket {
            name: name.to_string(),
            region,
            prefix: if path_style {
                format!("/{}", uri_encode(name, false))
            } else {
                String::new()
            },
            origin,
        }
    }

    fn call(
        &self,
        method: reqwest::Method,
        key: Option<&str>,
        query: Vec<(String, String)>,
        headers: Vec<(String, String)>,
        body: Bytes,
    ) -> Call<'_> {
        let path = match key {
            Some(k) => format!("{}/{}", self.prefix, uri_encode(k, true)),
            None if self.prefix.is_empty() => "/".to_string(),
            None => self.prefix.clone(),
        };
        Call {
            service: "s3",
            service_name: SERVICE,
            region: &self.region,
            method,
            origin: &self.origin,
            path,
            query,
            headers,
            body,
        }
    }

    async fn send(
        &self,
        client: &reqwest::Client,
        c: Call<'_>,
        options: &HttpOptions,
    ) -> Result<Answer, AwsError> {
        let a = call::send(client, &c, options).await?;
        check_status(SERVICE, &a)?;
        Ok(a)
    }

    /// GetBucketLocation: whether the bucket exists and these credentials may use it.
    pub async fn check(
        &self,
        client: &reqwest::Client,
        options: &HttpOptions,
    ) -> Result<(), AwsError> {
        let c = self.call(
            reqwest::Method::GET,
            None,
            vec![("location".into(), String::new())],
            Vec::new(),
            Bytes::new(),
        );
        self.send(client, c, options).await.map(|_| ())
    }

    /// Every object whose key starts with `prefix` (all pages of ListObjectsV2), in the listing's key order.
    pub async fn list(
        &self,
        client: &reqwest::Client,
        prefix: Option<&str>,
        options: &HttpOptions,
    ) -> Result<Vec<Listed>, AwsError> {
        let mut out = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut query = vec![("list-type".to_string(), "2".to_string())];
            if let Some(p) = prefix {
                query.push(("prefix".into(), p.to_string()));
            }
            if let Some(t) = &token {
                query.push(("continuation-token".into(), t.clone()));
            }
            let c = self.call(reqwest::Method::GET, None, query, Vec::new(), Bytes::new());
            let a = self.send(client, c, options).await?;
            token = parse_listing(&a.body, &mut out)?;
            if token.is_none() {
                return Ok(out);
            }
        }
    }

    /// GetObjectTagging: the object's tags.
    pub async fn tags(
        &self,
        client: &reqwest::Client,
        key: &str,
        options: &HttpOptions,
    ) -> Result<Vec<(String, String)>, AwsError> {
        let c = self.call(
            reqwest::Method::GET,
            Some(key),
            vec![("tagging".into(), String::new())],
            Vec::new(),
            Bytes::new(),
        );
        let a = self.send(client, c, options).await?;
        let text = std::str::from_utf8(&a.body)
            .map_err(|_| AwsError::Invalid("S3 answered tags that are not UTF-8".into()))?;
        let doc = roxmltree::Document::parse(text)
            .map_err(|e| AwsError::Invalid(format!("S3 answered tags that are not XML: {e}")))?;
        Ok(doc
            .descendants()
            .filter(|n| n.tag_name().name() == "Tag")
            .map(|t| (child_text(t, "Key"), child_text(t, "Value")))
            .collect())
    }

    /// GetObject: the object's bytes.
    pub async fn get(
        &self,
        client: &reqwest::Client,
        key: &str,
        options: &HttpOptions,
    ) -> Result<Bytes, AwsError> {
        let c = self.call(
            reqwest::Method::GET,
            Some(key),
            Vec::new(),
            Vec::new(),
            Bytes::new(),
        );
        Ok(self.send(client, c, options).await?.body)
    }

    /// PutObject with a content type and tags.
    pub async fn put(
        &self,
        client: &reqwest::Client,
        key: &str,
        content_type: &str,
        tags: &[(String, String)],
        body: Bytes,
        options: &HttpOptions,
    ) -> Result<(), AwsError> {
        let tagging = form_urlencoded::Serializer::new(String::new())
            .extend_pairs(tags.iter().map(|(k, v)| (k.as_str(), v.as_str())))
            .finish()
            .replace('+', "%20");
        let mut headers = vec![("content-type".to_string(), content_type.to_string())];
        if !tags.is_empty() {
            headers.push(("x-amz-tagging".into(), tagging));
        }
        let c = self.call(reqwest::Method::PUT, Some(key), Vec::new(), headers, body);
        self.send(client, c, options).await.map(|_| ())
    }
}

fn child_text(n: roxmltree::Node, name: &str) -> String {
    n.children()
        .find(|c| c.tag_name().name() == name)
        .and_then(|c| c.text())
        .unwrap_or("")
        .to_string()
}

/// Adds a ListObjectsV2 page's objects to `out`; the continuation token when there are more pages.
fn parse_listing(body: &[u8], out: &mut Vec<Listed>) -> Result<Option<String>, AwsError> {
    let text = std::str::from_utf8(body)
        .map_err(|_| AwsError::Invalid("S3 answered a listing that is not UTF-8".into()))?;
    let doc = roxmltree::Document::parse(text)
        .map_err(|e| AwsError::Invalid(format!("S3 answered a listing that is not XML: {e}")))?;
    let root = doc.root_element();
    for c in root
        .children()
        .filter(|c| c.tag_name().name() == "Contents")
    {
        let modified = child_text(c, "LastModified");
        let ms = modified
            .parse::<jiff::Timestamp>()
            .map_err(|_| AwsError::Invalid(format!("S3 listed a LastModified of '{modified}'")))?
            .as_millisecond();
        out.push(Listed {
            key: child_text(c, "Key"),
            last_modified_ms: ms,
        });
    }
    let truncated = child_text(root, "IsTruncated") == "true";
    let token = child_text(root, "NextContinuationToken");
    Ok((truncated && !token.is_empty()).then_some(token))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_a_listing_page() {
        let page = br#"<?xml version="1.0" encoding="UTF-8"?>
<ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>b</Name><IsTruncated>true</IsTruncated>
<Contents><Key>F/a b</Key><LastModified>2026-12-07T16:06:18.000Z</LastModified></Contents>
<Contents><Key>F/c</Key><LastModified>2026-12-07T16:06:19.000Z</LastModified></Contents>
<NextContinuationToken>tok</NextContinuationToken></ListBucketResult>"#;
        let mut out = Vec::new();
        assert_eq!(
            parse_listing(page, &mut out).unwrap().as_deref(),
            Some("tok")
        );
        assert_eq!(out[0].key, "F/a b");
        assert_eq!(out[1].last_modified_ms - out[0].last_modified_ms, 1000);
    }

    #[test]
    fn addresses_path_style_with_an_endpoint() {
        let b = Bucket {
            name: "bk".into(),
            region: "us-east-1".into(),
            origin: "http://127.0.0.1:9".into(),
            prefix: "/bk".into(),
        };
        let c = b.call(
            reqwest::Method::GET,
            Some("a b/c"),
            Vec::new(),
            Vec::new(),
            Bytes::new(),
        );
        assert_eq!(c.path, "/bk/a%20b/c");
    }
}
