//! Where the AWS credentials come from, in the order the AWS tools look: the environment
//! (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`), the shared credentials file
//! (`AWS_SHARED_CREDENTIALS_FILE` or `~/.aws/credentials`, profile `AWS_PROFILE` or `default`), the container
//! credentials endpoint (ECS/Fargate: `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI` or `…_FULL_URI` with
//! `AWS_CONTAINER_AUTHORIZATION_TOKEN`) and the EC2 instance metadata service (IMDSv2). Not supported: SSO, web
//! identity tokens, `credential_process` and role assumption from a profile.
//!
//! Credentials fetched over HTTP are cached until five minutes before they expire. They are never logged, and
//! [`Credentials`]' `Debug` shows only the key id.

use std::sync::Mutex;
use std::time::{Duration, Instant};

use super::error::AwsError;

#[derive(Clone)]
pub struct Credentials {
    pub access_key_id: String,
    pub secret_access_key: String,
    pub session_token: Option<String>,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Credentials({}, …)", self.access_key_id)
    }
}

/// An environment variable, treating an empty value as unset.
pub fn env(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

fn from_env() -> Option<Credentials> {
    Some(Credentials {
        access_key_id: env("AWS_ACCESS_KEY_ID")?,
        secret_access_key: env("AWS_SECRET_ACCESS_KEY")?,
        session_token: env("AWS_SESSION_TOKEN"),
    })
}

/// The profile's keys in an INI-style credentials file.
fn from_file_text(text: &str, profile: &str) -> Option<Credentials> {
    let mut in_profile = false;
    let (mut id, mut secret, mut token) = (None, None, None);
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('#') || line.starts_with(';') || line.is_empty() {
            continue;
        }
        if let Some(section) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            let section = section.trim();
            in_profile = section == profile || section == format!("profile {profile}");
            continue;
        }
        if !in_profile {
            continue;
        }
        if let Some((k, v)) = line.split_once('=') {
            let v = v.trim().to_string();
            match k.trim() {
                "aws_access_key_id" => id = Some(v),
                "aws_secret_access_key" => secret = Some(v),
                "aws_session_token" => token = Some(v),
                _ => {}
            }
        }
    }
    Some(Credentials {
        access_key_id: id?,
        secret_access_key: secret?,
        session_token: token,
    })
}

fn from_file() -> Option<Credentials> {
    let path = env("AWS_SHARED_CREDENTIALS_FILE")
        .map(std::path::PathBuf::from)
        .or_else(|| env("HOME").map(|h| std::path::Path::new(&h).join(".aws/credentials")))?;
    let text = std::fs::read_to_string(path).ok()?;
    let profile = env("AWS_PROFILE").unwrap_or_else(|| "default".to_string());
    from_file_text(&text, &profile)
}

/// Credentials from an HTTP endpoint, with when to fetch them again.
struct Fetched {
    creds: Credentials,
    refresh_at: Instant,
}

static FETCHED: Mutex<Option<Fetched>> = Mutex::new(None);

/// The JSON both the container endpoint and IMDS answer with.
fn parse_json_credentials(body: &[u8]) -> Result<(Credentials, Duration), AwsError> {
    let v: serde_json::Value = serde_json::from_slice(body)
        .map_err(|_| AwsError::Credentials("the credentials endpoint answered no JSON".into()))?;
    let field = |n: &str| v.get(n).and_then(|x| x.as_str()).map(str::to_string);
    let creds = Credentials {
        access_key_id: field("AccessKeyId")
            .ok_or_else(|| AwsError::Credentials("no AccessKeyId in the answer".into()))?,
        secret_access_key: field("SecretAccessKey")
            .ok_or_else(|| AwsError::Credentials("no SecretAccessKey in the answer".into()))?,
        session_token: field("Token"),
    };
    let valid = field("Expiration")
        .and_then(|e| e.parse::<jiff::Timestamp>().ok())
        .map(|e| {
            let secs = e.as_second() - jiff::Timestamp::now().as_second() - 300;
            Duration::from_secs(secs.clamp(60, 6 * 3600) as u64)
        })
        .unwrap_or(Duration::from_secs(600));
    Ok((creds, valid))
}

async fn from_container(
    client: &reqwest::Client,
) -> Option<Result<(Credentials, Duration), AwsError>> {
    let url = match (
        env("AWS_CONTAINER_CREDENTIALS_RELATIVE_URI"),
        env("AWS_CONTAINER_CREDENTIALS_FULL_URI"),
    ) {
        (Some(rel), _) => format!("http://169.254.170.2{rel}"),
        (None, Some(full)) => full,
        (None, None) => return None,
    };
    let mut req = client.get(&url).timeout(Duration::from_secs(5));
    if let Some(t) = env("AWS_CONTAINER_AUTHORIZATION_TOKEN") {
        req = req.header("authorization", t);
    }
    let result = async {
        let resp = req.send().await.map_err(|_| {
            AwsError::Credentials("the container credentials endpoint did not answer".into())
        })?;
        if !resp.status().is_success() {
            return Err(AwsError::Credentials(format!(
                "the container credentials endpoint answered {}",
                resp.status().as_u16()
            )));
        }
        let body = resp.bytes().await.map_err(|_| {
            AwsError::Credentials("the container credentials could not be read".into())
        })?;
        parse_json_credentials(&body)
    };
    Some(result.await)
}

/// IMDSv2: a session token, the instance role's name, then its credentials. `None` when there is no metadata
/// service (not on EC2).
async fn from_imds(client: &reqwest::Client) -> Option<(Credentials, Duration)> {
    if env("AWS_EC2_METADATA_DISABLED").is_some_and(|v| v.eq_ignore_ascii_case("true")) {
        return None;
    }
    let base = env("AWS_EC2_METADATA_SERVICE_ENDPOINT")
        .unwrap_or_else(|| "http://169.254.169.254".to_string());
    let base = base.trim_end_matches('/');
    let t = Duration::from_secs(1);
    let token = client
        .put(format!("{base}/latest/api/token"))
        .header("x-aws-ec2-metadata-token-ttl-seconds", "21600")
        .timeout(t)
        .send()
        .await
        .ok()
        .filter(|r| r.status().is_success())?
        .text()
        .await
        .ok()?;
    let get = |path: String| {
        client
            .get(format!("{base}{path}"))
            .header("x-aws-ec2-metadata-token", token.clone())
            .timeout(t)
            .send()
    };
    let role = get("/latest/meta-data/iam/security-credentials/".into())
        .await
        .ok()
        .filter(|r| r.status().is_success())?
        .text()
        .await
        .ok()?;
    let role = role.lines().next()?.trim().to_string();
    let body = get(format!("/latest/meta-data/iam/security-credentials/{role}"))
        .await
        .ok()
        .filter(|r| r.status().is_success())?
        .bytes()
        .await
        .ok()?;
    parse_json_credentials(&body).ok()
}

/// The credentials to sign with, from the first source in the chain that has them.
pub async fn resolve(client: &reqwest::Client) -> Result<Credentials, AwsError> {
    if let Some(c) = from_env() {
        return Ok(c);
    }
    if let Some(c) = from_file() {
        return Ok(c);
    }
    if let Some(f) = FETCHED.lock().unwrap_or_else(|e| e.into_inner()).as_ref() {
        if Instant::now() < f.refresh_at {
            return Ok(f.creds.clone());
        }
    }
    let fetched = match from_container(client).await {
        Some(r) => Some(r?),
        None => from_imds(client).await,
    };
    let Some((creds, valid)) = fetched else {
        return Err(AwsError::Credentials(
            "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, a profile in ~/.aws/credentials, or run with a container or instance role".into(),
        ));
    };
    *FETCHED.lock().unwrap_or_else(|e| e.into_inner()) = Some(Fetched {
        creds: creds.clone(),
        refresh_at: Instant::now() + valid,
    });
    Ok(creds)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_the_profile_from_a_credentials_file() {
        let text = "[default]\naws_access_key_id = A1\naws_secret_access_key = S1\n\n[other]\naws_access_key_id=A2\naws_secret_access_key=S2\naws_session_token=T2\n";
        let d = from_file_text(text, "default").unwrap();
        assert_eq!((d.access_key_id.as_str(), d.session_token), ("A1", None));
        let o = from_file_text(text, "other").unwrap();
        assert_eq!(o.secret_access_key, "S2");
        assert_eq!(o.session_token.as_deref(), Some("T2"));
        assert!(from_file_text(text, "missing").is_none());
        assert!(!format!("{o:?}").contains("S2"));
    }

    #[test]
    fn reads_endpoint_json() {
        let (c, valid) = parse_json_credentials(
            br#"{"AccessKeyId":"A","SecretAccessKey":"S","Token":"T","Expiration":"2999-01-01T00:00:00Z"}"#,
        )
        .unwrap();
        assert_eq!(c.session_token.as_deref(), Some("T"));
        assert_eq!(valid, Duration::from_secs(6 * 3600));
    }
}
