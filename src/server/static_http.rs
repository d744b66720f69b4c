//! Serving a static file for a `<response-from-static>`: validators (ETag, Last-Modified), conditional GET (304)
//! and single byte ranges (206 / 416). Small files come from memory; larger ones are streamed from disk.

use std::io::SeekFrom;
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

use http::header::{
    ACCEPT_RANGES, CONTENT_LENGTH, CONTENT_RANGE, ETAG, IF_MODIFIED_SINCE, IF_NONE_MATCH, IF_RANGE,
    LAST_MODIFIED, RANGE,
};
use http::{HeaderMap, HeaderValue, Method, StatusCode};
use tokio::io::AsyncSeekExt;

use super::body::{self, FileBody, ResponseBody};
use crate::config::static_file::{etag_for, last_modified_for, StaticFile};

/// The status, extra headers and body for a static file.
pub struct Served {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: ResponseBody,
    pub len: u64,
}

fn whole_seconds(t: SystemTime) -> u64 {
    t.duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// `If-None-Match` (weak comparison) or, without it, `If-Modified-Since`.
fn not_modified(req: &HeaderMap, etag: &HeaderValue, modified: SystemTime) -> bool {
    if let Some(inm) = req.get(IF_NONE_MATCH).and_then(|v| v.to_str().ok()) {
        let ours = etag.to_str().unwrap_or("");
        let ours = ours.trim_start_matches("W/");
        return inm
            .split(',')
            .map(str::trim)
            .any(|t| t == "*" || t.trim_start_matches("W/") == ours);
    }
    if let Some(ims) = req
        .get(IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| httpdate::parse_http_date(v).ok())
    {
        return whole_seconds(modified) <= whole_seconds(ims);
    }
    false
}

enum RangeSpec {
    Full,
    Partial(u64, u64), // inclusive
    Unsatisfiable,
}

fn parse_range(req: &HeaderMap, len: u64, etag: &HeaderValue, modified: SystemTime) -> RangeSpec {
    let Some(range) = req.get(RANGE).and_then(|v| v.to_str().ok()) else {
        return RangeSpec::Full;
    };
    if let Some(if_range) = req.get(IF_RANGE).and_then(|v| v.to_str().ok()) {
        let matches = if if_range.starts_with('"') {
            if_range == etag.to_str().unwrap_or("")
        } else {
            httpdate::parse_http_date(if_range)
                .is_ok_and(|d| whole_seconds(d) == whole_seconds(modified))
        };
        if !matches {
            return RangeSpec::Full;
        }
    }
    let Some(spec) = range.trim().strip_prefix("bytes=") else {
        return RangeSpec::Full;
    };
    if spec.contains(',') {
        return RangeSpec::Full; // several ranges: the whole file is an allowed answer
    }
    let Some((a, b)) = spec.trim().split_once('-') else {
        return RangeSpec::Full;
    };
    let (a, b) = (a.trim(), b.trim());
    if a.is_empty() {
        let Ok(n) = b.parse::<u64>() else {
            return RangeSpec::Full;
        };
        if n == 0 || len == 0 {
            return RangeSpec::Unsatisfiable;
        }
        let n = n.min(len);
        return RangeSpec::Partial(len - n, len - 1);
    }
    let Ok(start) = a.parse::<u64>() else {
        return RangeSpec::Full;
    };
    let end = if b.is_empty() {
        len.saturating_sub(1)
    } else {
        match b.parse::<u64>() {
            Ok(e) if e >= start => e.min(len.saturating_sub(1)),
            _ => return RangeSpec::Full,
        }
    };
    if start >= len {
        return RangeSpec::Unsatisfiable;
    }
    RangeSpec::Partial(start, end)
}

/// Serves `file`. `conditional` enables 304 and ranges (a 200 success response to GET or HEAD).
pub async fn serve(
    file: &Arc<StaticFile>,
    method: &Method,
    req: &HeaderMap,
    conditional: bool,
) -> std::io::Result<Served> {
    // Small files: from memory, with the validators computed at load.
    let (mut handle, len, modified, etag, last_modified) = match &file.contents {
        Some(_) => (
            None,
            file.len,
            file.modified,
            file.etag.clone(),
            file.last_modified.clone(),
        ),
        None => {
            let f = {
                let file = file.clone();
                tokio::task::spawn_blocking(move || file.open())
                    .await
                    .map_err(std::io::Error::other)??
            };
            let f = tokio::fs::File::from_std(f);
            let meta = f.metadata().await?;
            let modified = meta.modified().unwrap_or(UNIX_EPOCH);
            let (etag, lm) = if meta.len() == file.len && modified == file.modified {
                (file.etag.clone(), file.last_modified.clone())
            } else {
                (etag_for(meta.len(), modified), last_modified_for(modified))
            };
            (Some(f), meta.len(), modified, etag, lm)
        }
    };
    let mut headers = HeaderMap::new();
    headers.insert(ETAG, etag.clone());
    headers.insert(LAST_MODIFIED, last_modified);
    headers.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    let head = method == Method::HEAD;

    if conditional && not_modified(req, &etag, modified) {
        return Ok(Served {
            status: StatusCode::NOT_MODIFIED,
            headers,
            body: body::empty(),
            len: 0,
        });
    }
    let (status, start, count) = match if conditional {
        parse_range(req, len, &etag, modified)
    } else {
        RangeSpec::Full
    } {
        RangeSpec::Full => (StatusCode::OK, 0, len),
        RangeSpec::Partial(a, b) => {
            headers.insert(
                CONTENT_RANGE,
                HeaderValue::from_str(&format!("bytes {a}-{b}/{len}")).expect("digits"),
            );
            (StatusCode::PARTIAL_CONTENT, a, b - a + 1)
        }
        RangeSpec::Unsatisfiable => {
            headers.insert(
                CONTENT_RANGE,
                HeaderValue::from_str(&format!("bytes */{len}")).expect("digits"),
            );
            return Ok(Served {
                status: StatusCode::RANGE_NOT_SATISFIABLE,
                headers,
                body: body::empty(),
                len: 0,
            });
        }
    };
    headers.insert(CONTENT_LENGTH, HeaderValue::from(count));
    if head {
        return Ok(Served {
            status,
            headers,
            body: body::empty(),
            len: 0,
        });
    }
    let body = match (&file.contents, handle.take()) {
        (Some(bytes), _) => body::full(bytes.slice(start as usize..(start + count) as usize)),
        (None, Some(mut f)) => {
            if start > 0 {
                f.seek(SeekFrom::Start(start)).await?;
            }
            http_body_util::BodyExt::boxed(FileBody::new(f, count))
        }
        (None, None) => unreachable!("opened above"),
    };
    Ok(Served {
        status,
        headers,
        body,
        len: count,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    fn hm(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut h = HeaderMap::new();
        for (k, v) in pairs {
            h.insert(*k, HeaderValue::from_str(v).unwrap());
        }
        h
    }

    #[test]
    fn ranges() {
        let etag = HeaderValue::from_static("\"a-b\"");
        let t = UNIX_EPOCH + Duration::from_secs(1_000_000);
        let r = |v: &str| parse_range(&hm(&[("range", v)]), 100, &etag, t);
        assert!(matches!(r("bytes=0-9"), RangeSpec::Partial(0, 9)));
        assert!(matches!(r("bytes=90-"), RangeSpec::Partial(90, 99)));
        assert!(matches!(r("bytes=-10"), RangeSpec::Partial(90, 99)));
        assert!(matches!(r("bytes=-1000"), RangeSpec::Partial(0, 99)));
        assert!(matches!(r("bytes=50-1000"), RangeSpec::Partial(50, 99)));
        assert!(matches!(r("bytes=100-"), RangeSpec::Unsatisfiable));
        assert!(matches!(r("bytes=-0"), RangeSpec::Unsatisfiable));
        assert!(matches!(r("bytes=0-1,5-6"), RangeSpec::Full));
        assert!(matches!(r("items=0-1"), RangeSpec::Full));
        assert!(matches!(r("bytes=5-1"), RangeSpec::Full));
        let with_if_range = hm(&[("range", "bytes=0-9"), ("if-range", "\"other\"")]);
        assert!(matches!(
            parse_range(&with_if_range, 100, &etag, t),
            RangeSpec::Full
        ));
        let with_if_range = hm(&[("range", "bytes=0-9"), ("if-range", "\"a-b\"")]);
        assert!(matches!(
            parse_range(&with_if_range, 100, &etag, t),
            RangeSpec::Partial(0, 9)
        ));
    }

    #[test]
    fn conditionals() {
        let etag = HeaderValue::from_static("\"a-b\"");
        let t = UNIX_EPOCH + Duration::from_secs(1_000_000);
        assert!(not_modified(
            &hm(&[("if-none-match", "\"x\", \"a-b\"")]),
            &etag,
            t
        ));
        assert!(not_modified(
            &hm(&[("if-none-match", "W/\"a-b\"")]),
            &etag,
            t
        ));
        assert!(!not_modified(&hm(&[("if-none-match", "\"x\"")]), &etag, t));
        let date = httpdate::fmt_http_date(t);
        assert!(not_modified(&hm(&[("if-modified-since", &date)]), &etag, t));
        let earlier = httpdate::fmt_http_date(t - Duration::from_secs(10));
        assert!(!not_modified(
            &hm(&[("if-modified-since", &earlier)]),
            &etag,
            t
        ));
        // If-None-Match wins over If-Modified-Since.
        assert!(!not_modified(
            &hm(&[("if-none-match", "\"x\""), ("if-modified-since", &date)]),
            &etag,
            t
        ));
    }
}
