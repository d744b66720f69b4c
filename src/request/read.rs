//! Reading a request: the query string first ([`query_input`]), then the body by its content type
//! ([`read_body`]): form fields, multipart fields and files, or the raw XML/JSON body.

use std::net::IpAddr;

use bytes::Bytes;
use http_body_util::{BodyExt, Limited};

use super::body_document::body_document_async;
use super::input::{BodyKind, InputError, RequestInput};
use super::limits::Limits;
use super::multipart::read_multipart;
use super::urlencoded;

/// Reads the query string and, depending on its content type, the body of `req`.
///
/// Form and multipart bodies are always read; XML and JSON bodies only when `accept_raw_body` (an endpoint with a
/// parameter transformation); other bodies are not read at all.
pub async fn read<B>(
    parts: &http::request::Parts,
    body: B,
    limits: &Limits,
    accept_raw_body: bool,
    client_ip: Option<IpAddr>,
) -> Result<RequestInput, InputError>
where
    B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let input = query_input(parts, client_ip, limits.max_fields)?;
    read_body(parts, body, limits, accept_raw_body, input).await
}

/// The second half of [`read`]: adds the body's parameters (and files, or the raw body) to `input`, which holds
/// the query string's ([`query_input`]).
pub async fn read_body<B>(
    parts: &http::request::Parts,
    body: B,
    limits: &Limits,
    accept_raw_body: bool,
    mut input: RequestInput,
) -> Result<RequestInput, InputError>
where
    B: http_body::Body<Data = Bytes> + Send + Unpin + 'static,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let content_type_header = parts
        .headers
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok());
    input.content_type =
        content_type_header.map(|ct| ct.split(';').next().unwrap_or("").to_string());

    if let Some(len) = parts
        .headers
        .get(http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<u64>().ok())
    {
        if len > limits.max_body_bytes {
            return Err(InputError::TooLarge(limits.max_body_bytes));
        }
    }

    match input.body_kind() {
        BodyKind::Form => {
            let bytes = collect(body, limits.max_body_bytes).await?;
            add_pairs(
                &mut input,
                &bytes,
                limits.max_fields,
                limits.max_field_bytes,
            )?;
        }
        BodyKind::Multipart => {
            let boundary = multer::parse_boundary(content_type_header.unwrap_or(""))
                .map_err(|e| InputError::Multipart(e.to_string()))?;
            read_multipart(body, boundary, limits, &mut input).await?;
        }
        BodyKind::Xml | BodyKind::Json if accept_raw_body => {
            let raw = collect(body, limits.max_body_bytes).await?;
            input.body_document =
                body_document_async(input.body_kind(), raw.clone(), limits.body_xml).await?;
            input.raw_body = Some(raw);
        }
        _ => {}
    }
    Ok(input)
}

/// Reads a whole body, limited to `max` bytes.
pub async fn collect<B>(body: B, max: u64) -> Result<Bytes, InputError>
where
    B: http_body::Body<Data = Bytes> + Send + 'static,
    B::Error: std::error::Error + Send + Sync + 'static,
{
    let limited = Limited::new(body, usize::try_from(max).unwrap_or(usize::MAX));
    match limited.collect().await {
        Ok(c) => Ok(c.to_bytes()),
        Err(e) => {
            if e.downcast_ref::<http_body_util::LengthLimitError>()
                .is_some()
            {
                Err(InputError::TooLarge(max))
            } else {
                Err(InputError::Body(e.to_string()))
            }
        }
    }
}

/// Adds the `application/x-www-form-urlencoded` pairs of `encoded` to `input`: no more than `max_fields`
/// parameters in all, no name or value longer than `max_field_bytes`.
fn add_pairs(
    input: &mut RequestInput,
    encoded: &[u8],
    max_fields: usize,
    max_field_bytes: usize,
) -> Result<(), InputError> {
    let room = max_fields
        .saturating_sub(input.params.len())
        .saturating_add(1);
    input
        .params
        .reserve(urlencoded::upper_bound(encoded).min(room));
    for (n, v) in urlencoded::pairs(encoded) {
        if input.params.len() >= max_fields {
            return Err(InputError::TooManyFields(max_fields));
        }
        if n.len() > max_field_bytes {
            return Err(InputError::FieldNameTooLarge(max_field_bytes));
        }
        if v.len() > max_field_bytes {
            return Err(InputError::FieldTooLarge(n.into_owned(), max_field_bytes));
        }
        input.add_param(n.into_owned(), v.into_owned());
    }
    Ok(())
}

/// The query string's parameters, with no more than `max_fields` of them.
pub fn query_input(
    parts: &http::request::Parts,
    client_ip: Option<IpAddr>,
    max_fields: usize,
) -> Result<RequestInput, InputError> {
    let mut input = RequestInput {
        headers: parts.headers.clone(),
        client_ip,
        ..RequestInput::default()
    };
    if let Some(q) = parts.uri.query() {
        add_pairs(&mut input, q.as_bytes(), max_fields, usize::MAX)?;
    }
    Ok(input)
}

/// Reads nothing but the query string (for requests whose body failed), without a field limit.
pub fn from_query(parts: &http::request::Parts, client_ip: Option<IpAddr>) -> RequestInput {
    query_input(parts, client_ip, usize::MAX).unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::Full;

    fn parts(uri: &str, ct: Option<&str>) -> http::request::Parts {
        let mut b = http::Request::builder().method("POST").uri(uri);
        if let Some(ct) = ct {
            b = b.header("content-type", ct);
        }
        b.body(()).unwrap().into_parts().0
    }

    #[tokio::test]
    async fn query_then_form_and_special_params() {
        let p = parts(
            "/a/b?t=y&debug=TRUE&Verbose=x",
            Some("application/x-www-form-urlencoded; charset=utf-8"),
        );
        let body = Full::new(Bytes::from_static(b"t=x&hash=abc&name=J%C3%B6rg+M"));
        let input = read(&p, body, &Limits::default(), false, None)
            .await
            .unwrap();
        assert_eq!(
            input.params,
            vec![
                ("t".into(), "y".into()),
                ("t".into(), "x".into()),
                ("hash".into(), "abc".into()),
                ("name".into(), "Jörg M".into())
            ]
        );
        assert!(input.debug);
        assert!(!input.verbose);
        assert_eq!(input.body_kind(), BodyKind::Form);
    }

    #[tokio::test]
    async fn limits() {
        let limits = Limits {
            max_body_bytes: 10,
            max_fields: 2,
            ..Limits::default()
        };
        let p = parts("/a/b", Some("application/x-www-form-urlencoded"));
        let err = read(
            &p,
            Full::new(Bytes::from_static(b"a=123456789012")),
            &limits,
            false,
            None,
        )
        .await
        .unwrap_err();
        assert!(matches!(err, InputError::TooLarge(10)));
        let p = parts("/a/b?a=1&b=2&c=3", None);
        let err = read(&p, Full::new(Bytes::new()), &limits, false, None)
            .await
            .unwrap_err();
        assert!(matches!(err, InputError::TooManyFields(2)));
    }

    #[test]
    fn body_kinds() {
        assert_eq!(BodyKind::of(None), BodyKind::None);
        assert_eq!(BodyKind::of(Some("text/xml")), BodyKind::Xml);
        assert_eq!(BodyKind::of(Some("application/soap+xml")), BodyKind::Xml);
        assert_eq!(BodyKind::of(Some("application/json")), BodyKind::Json);
        assert_eq!(BodyKind::of(Some("text/plain")), BodyKind::Other);
        assert_eq!(BodyKind::of(Some("Multipart/Form-Data")), BodyKind::Other);
    }
}
