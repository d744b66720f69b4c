//! The AWS parts of an application: `aws-s3-configuration.xml` (the bucket), the S3 commands of data sources
//! (`<aws-s3-keys>`, `<aws-s3-object>`), the S3 dumps of transformers (`<write-input-to-aws-s3>`,
//! `<write-output-to-aws-s3>`) and `secrets.xml` (parameters whose values live in AWS Secrets Manager, with the
//! cache of fetched values).

use std::collections::HashMap;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use super::secrets::Secrets;
use super::task::HttpOptions;
use crate::aws::s3::Bucket;

/// How long a fetched secret is reused before it is fetched again (a rotated secret is seen after this long).
pub const SECRET_CACHE_TTL: Duration = Duration::from_secs(300);

/// `aws-s3-configuration.xml`: the one bucket every S3 feature of the application uses, checked at load.
#[derive(Debug, Clone)]
pub struct S3Config {
    pub bucket: Bucket,
}

/// `<aws-s3-keys limit="N">` with `<folder>` and `<match-tag name="k">v</match-tag>`s.
#[derive(Debug, Clone)]
pub struct S3Keys {
    pub folder: Option<String>,
    pub match_tags: Vec<(String, String)>,
    pub limit: usize,
    pub options: HttpOptions,
}

/// `<aws-s3-object key="K"/>`.
#[derive(Debug, Clone)]
pub struct S3Object {
    pub key: String,
    pub options: HttpOptions,
}

/// `<write-input-to-aws-s3>` / `<write-output-to-aws-s3>` in a transformer.
#[derive(Debug, Clone)]
pub struct S3Write {
    /// The object key starts with this: the configured folder with a trailing `/`, or empty.
    pub folder: String,
    /// Configured tags, after `environment`.
    pub tags: Vec<(String, String)>,
    pub options: HttpOptions,
}

/// One `<secret parameter-name="p" aws-secret="name"/>`.
#[derive(Debug, Clone)]
pub struct SecretParameter {
    pub parameter: String,
    pub aws_secret: String,
}

/// `secrets.xml`: parameters whose values are fetched from Secrets Manager when a request first uses them.
pub struct AwsSecrets {
    pub file: PathBuf,
    pub region: String,
    pub parameters: Vec<SecretParameter>,
    /// Fetched values by index into `parameters`, with when they were fetched.
    cache: Mutex<HashMap<usize, (Instant, Arc<str>)>>,
    /// Held while entry `i` is fetched, so that requests arriving together fetch it once.
    pub fetching: Box<[tokio::sync::Mutex<()>]>,
    /// Every value fetched so far, and them as a redaction set (rebuilt when a new value comes).
    redaction: Mutex<(Vec<Arc<str>>, Arc<Secrets>)>,
}

impl std::fmt::Debug for AwsSecrets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let names: Vec<&str> = self
            .parameters
            .iter()
            .map(|p| p.parameter.as_str())
            .collect();
        write!(f, "AwsSecrets({}, {names:?})", self.region)
    }
}

impl AwsSecrets {
    pub fn new(file: PathBuf, region: String, parameters: Vec<SecretParameter>) -> AwsSecrets {
        AwsSecrets {
            file,
            region,
            fetching: parameters
                .iter()
                .map(|_| tokio::sync::Mutex::new(()))
                .collect(),
            parameters,
            cache: Mutex::new(HashMap::new()),
            redaction: Mutex::new((Vec::new(), Arc::new(Secrets::default()))),
        }
    }

    /// The entry for parameter `name` (the last one when it is listed twice).
    pub fn index(&self, name: &str) -> Option<usize> {
        self.parameters.iter().rposition(|p| p.parameter == name)
    }

    /// The value of entry `i` if it was fetched less than [`SECRET_CACHE_TTL`] ago.
    pub fn cached(&self, i: usize) -> Option<Arc<str>> {
        let cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache
            .get(&i)
            .filter(|(at, _)| at.elapsed() < SECRET_CACHE_TTL)
            .map(|(_, v)| v.clone())
    }

    /// Remembers a fetched value.
    pub fn remember(&self, i: usize, value: Arc<str>) {
        let mut cache = self.cache.lock().unwrap_or_else(|e| e.into_inner());
        cache.insert(i, (Instant::now(), value.clone()));
        drop(cache);
        // Every value ever fetched stays redacted (an old value may still be in a request being logged).
        let mut red = self.redaction.lock().unwrap_or_else(|e| e.into_inner());
        if !red.0.contains(&value) {
            red.0.push(value);
            red.1 = Arc::new(Secrets::new(red.0.iter().map(|v| &**v)));
        }
    }

    /// Every value fetched so far, as a redaction set.
    pub fn redaction(&self) -> Arc<Secrets> {
        self.redaction
            .lock()
            .unwrap_or_else(|e| e.into_inner())
            .1
            .clone()
    }
}
