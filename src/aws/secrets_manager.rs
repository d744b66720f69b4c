//! Secrets Manager's GetSecretValue: the text of a secret (`SecretString`). The value is returned to the caller
//! only; it is in no error and no log line.

use bytes::Bytes;

use super::call::{self, check_status, Call};
use super::error::AwsError;
use crate::config::model::task::HttpOptions;

const SERVICE: &str = "Secrets Manager";

/// The text of secret `id` (a name or ARN) in `region`.
pub async fn get_secret_string(
    client: &reqwest::Client,
    region: &str,
    id: &str,
    options: &HttpOptions,
) -> Result<String, AwsError> {
    let origin = call::endpoint_override("secretsmanager")
        .unwrap_or_else(|| format!("https://secretsmanager.{region}.amazonaws.com"));
    let body = serde_json::json!({ "SecretId": id }).to_string();
    let c = Call {
        service: "secretsmanager",
        service_name: SERVICE,
        region,
        method: reqwest::Method::POST,
        origin: &origin,
        path: "/".into(),
        query: Vec::new(),
        headers: vec![
            ("content-type".into(), "application/x-amz-json-1.1".into()),
            (
                "x-amz-target".into(),
                "secretsmanager.GetSecretValue".into(),
            ),
        ],
        body: Bytes::from(body),
    };
    let a = call::send(client, &c, options).await?;
    check_status(SERVICE, &a)?;
    let v: serde_json::Value = serde_json::from_slice(&a.body)
        .map_err(|_| AwsError::Invalid("Secrets Manager answered no JSON".into()))?;
    v.get("SecretString")
        .and_then(|s| s.as_str())
        .map(str::to_string)
        .ok_or_else(|| AwsError::Invalid("the secret has no text value (SecretString)".into()))
}
