//! Running a transformer: its data source → `<transformation-input>` (optionally written to S3) → its XSLT (or
//! the identity) → the output conversion → body and content type (optionally written to S3).

use bytes::Bytes;
use futures_util::future::BoxFuture;

use super::context::{Ctx, RunTransformer};
use super::failure::Failure;
use super::timings::StepKind;
use super::{aws, data_source, excel, stylesheet};
use crate::config::model::data_source::Transformer;

/// The body and `Content-Type` a transformer produced.
pub struct Transformed {
    pub body: Bytes,
    pub content_type: String,
}

fn with_charset(ct: &str) -> String {
    if ct.to_ascii_lowercase().contains("charset=") {
        ct.to_string()
    } else {
        format!("{ct}; charset=UTF-8")
    }
}

/// Runs transformer `index` (of `app.transformers`); a traced request records it as a step named after the
/// transformer (its data source is a step of its own inside it).
pub async fn run(index: usize, ctx: &Ctx<'_>) -> Result<Transformed, Failure> {
    let name = || ctx.app.transformers[index].name.clone();
    ctx.journal
        .timed(StepKind::Transformation, name, transform(index, ctx))
        .await
}

async fn transform(index: usize, ctx: &Ctx<'_>) -> Result<Transformed, Failure> {
    let t = &ctx.app.transformers[index];
    let input = data_source::run_data_source(t.data_source, ctx).await?;
    if let Some(w) = &t.write_input {
        let pretty = Bytes::from(aws::pretty_xml(&input));
        aws::dump(ctx, w, t, "input", "application/xml", pretty).await?;
    }
    let out = convert(t, input).await?;
    if let Some(w) = &t.write_output {
        aws::dump(ctx, w, t, "output", &out.content_type, out.body.clone()).await?;
    }
    Ok(out)
}

/// The transformer's stylesheet (or the identity) and output conversion applied to its input document.
async fn convert(t: &Transformer, input: String) -> Result<Transformed, Failure> {
    let (bytes, media_type) = match &t.xslt {
        Some(x) => {
            let media = x.output().media_type.clone();
            (
                stylesheet::run(x.clone(), input, t.params.clone()).await?,
                media,
            )
        }
        None => {
            let mut s = String::with_capacity(input.len() + 40);
            s.push_str("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
            s.push_str(&input);
            s.push('\n');
            (s.into_bytes(), None)
        }
    };
    if t.to_json {
        let json = crate::convert::xml_to_json(&bytes).map_err(|e| {
            Failure::hidden(format!(
                "transformer '{}': output cannot be converted to JSON: {e}",
                t.name
            ))
        })?;
        let ct = t.content_type.as_deref().unwrap_or("application/json");
        return Ok(Transformed {
            body: Bytes::from(json),
            content_type: with_charset(ct),
        });
    }
    if let Some(sep) = t.to_excel.filter(|_| !t.to_pdf) {
        let xlsx = tokio::task::spawn_blocking(move || excel::html_to_xlsx(&bytes, sep))
            .await
            .map_err(|e| Failure::hidden(e.to_string()))??;
        return Ok(Transformed {
            body: Bytes::from(xlsx),
            content_type: t
                .content_type
                .clone()
                .unwrap_or_else(|| excel::XLSX.to_string()),
        });
    }
    if t.to_pdf {
        let renderer = t
            .pdf
            .as_ref()
            .ok_or_else(|| Failure::hidden(format!("transformer '{}': no PDF renderer", t.name)))?;
        let pdf = renderer
            .render(&bytes)
            .await
            .map_err(|e| Failure::hidden(format!("PDF (FOP): {e}")))?;
        return Ok(Transformed {
            body: Bytes::from(pdf),
            content_type: t
                .content_type
                .clone()
                .unwrap_or_else(|| "application/pdf".to_string()),
        });
    }
    let ct = t
        .content_type
        .as_deref()
        .or(media_type.as_deref())
        .unwrap_or("text/plain");
    Ok(Transformed {
        body: Bytes::from(bytes),
        content_type: with_charset(ct),
    })
}

impl RunTransformer for Ctx<'_> {
    fn run_transformer(&self, index: usize) -> BoxFuture<'_, Result<Bytes, Failure>> {
        Box::pin(async move { run(index, self).await.map(|t| t.body) })
    }
}
