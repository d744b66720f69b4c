//! `<authentication>` on an `<endpoint-folder>` or `<endpoint>` (an extension): how callers that cannot compute the
//! OpenEndpoints hash authenticate — HTTP Basic, a bearer token, or an HMAC signature over the raw body (Standard
//! Webhooks or GitHub's `X-Hub-Signature-256`). The nearest declaration wins; without one, the hash is required.
//! Secrets are taken from environment variables (`…-from-environment-variable="VAR"`, read at load) or, less
//! advisable, written inline.

#[derive(Debug, Clone)]
pub enum Method {
    /// The OpenEndpoints hash (`<hash/>`).
    Hash,
    Basic {
        username: String,
        password: String,
    },
    Bearer {
        token: String,
    },
    /// Standard Webhooks: `webhook-id`, `webhook-timestamp`, `webhook-signature: v1,<base64>`.
    StandardWebhooks {
        secret: Vec<u8>,
        tolerance_seconds: u64,
    },
    /// GitHub: `X-Hub-Signature-256: sha256=<hex>`.
    GitHub {
        secret: Vec<u8>,
    },
}

impl Method {
    /// Whether the raw request body is needed.
    pub fn needs_body(&self) -> bool {
        matches!(
            self,
            Method::StandardWebhooks { .. } | Method::GitHub { .. }
        )
    }
}

/// The accepted methods: a request is authenticated when any one of them succeeds.
#[derive(Debug, Clone)]
pub struct Authentication {
    pub methods: Vec<Method>,
}

impl Authentication {
    pub fn needs_body(&self) -> bool {
        self.methods.iter().any(Method::needs_body)
    }
    pub fn allows_hash(&self) -> bool {
        self.methods.iter().any(|m| matches!(m, Method::Hash))
    }
}
