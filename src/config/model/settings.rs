//! `engine-settings.xml`: per-application switches of this engine, beside `endpoints.xml`.
//!
//! ```xml
//! <engine-settings>
//!     <missing-hash>accept</missing-hash>   <!-- refuse (default) | accept -->
//!     <xslt-engine>auto</xslt-engine>       <!-- auto (default) | saxon -->
//!     <hash-scheme>openendpoints</hash-scheme>  <!-- openendpoints (default) | hmac-sha256 -->
//! </engine-settings>
//! ```
//!
//! The file is optional and so is each element, which may appear at most once. Anything else is a load error with
//! its position. Documented in `docs/engine-settings.md`.

use crate::config::error::Pos;

/// What happens to a request that carries no `hash` parameter at all, on an endpoint checked by the hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum MissingHash {
    /// 401 `Hash missing` (the default).
    #[default]
    Refuse,
    /// Accepted without a hash check, as OpenEndpoints accepts it. A hash that is present must still be right.
    Accept,
}

pub use crate::stylesheet::XsltEngine;

/// How the request hash is computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum HashScheme {
    /// SHA-256 over the concatenation without separators (the reference's format).
    #[default]
    OpenEndpoints,
    /// HMAC-SHA-256 over a length-prefixed encoding of each part.
    HmacSha256,
}

impl HashScheme {
    pub fn as_str(self) -> &'static str {
        match self {
            HashScheme::OpenEndpoints => "openendpoints",
            HashScheme::HmacSha256 => "hmac-sha256",
        }
    }

    pub fn parse(s: &str) -> Option<HashScheme> {
        match s.trim() {
            "openendpoints" => Some(HashScheme::OpenEndpoints),
            "hmac-sha256" => Some(HashScheme::HmacSha256),
            _ => None,
        }
    }
}

impl std::str::FromStr for HashScheme {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        HashScheme::parse(s).ok_or_else(|| {
            format!("'{s}' is not a hash scheme: expected openendpoints or hmac-sha256")
        })
    }
}

/// Where the application's [`MissingHash`] came from.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum SettingSource {
    /// Neither the file nor the server said anything.
    #[default]
    Default,
    /// `<missing-hash>` in `engine-settings.xml`, at this position.
    File(Pos),
    /// The server's `--accept-missing-hash` / `ENDPOINTS_ACCEPT_MISSING_HASH=true`.
    ServerFlag,
}

/// The application's settings, with the server's flag already applied.
#[derive(Debug, Clone, Default)]
pub struct AppSettings {
    pub missing_hash: MissingHash,
    /// `None`: not given in the file.
    pub xslt_engine: Option<XsltEngine>,
    /// Where `missing_hash` came from.
    pub missing_hash_source: SettingSource,
    /// How request hashes are computed: the file's `<hash-scheme>`, else the server's `--hash-scheme`.
    pub hash_scheme: HashScheme,
}
