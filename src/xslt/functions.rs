//! XPath extension functions available to every stylesheet (registered once, globally, by `init`).
//!
//! | namespace | function | result |
//! |---|---|---|
//! | `urn:endpoints:functions` | `uuid()` | random UUID v4, lowercase |
//! | | `base64-encode(s)` / `base64-decode(s)` | standard padded alphabet over the UTF-8 text |
//! | | `sha256-hex(s)` | lowercase hex SHA-256 of the UTF-8 text |
//! | `java:java.util.UUID` | `randomUUID()` | as `uuid()` |
//! | `java:com.offerready.xslt.xsltfunction.Base64` | `encode(s)`, `decode(s)` | as `base64-*` |
//! | `java:org.apache.commons.codec.digest.DigestUtils` | `sha256Hex(s)` | as `sha256-hex` |
//!
//! The `java:` namespaces are those OpenEndpoints stylesheets use, so that they run unchanged.

use std::ffi::{c_int, CStr, CString};

use base64::Engine as _;
use sha2::Digest as _;

use super::errors::report;
use super::ffi;

pub(crate) const NAMESPACE: &str = "urn:endpoints:functions";

type Ctxt = *mut ffi::xmlXPathParserContext;

/// What an extension function computes from its (string) arguments.
type Body = fn(&[String]) -> Result<String, String>;

fn uuid(_: &[String]) -> Result<String, String> {
    Ok(uuid::Uuid::new_v4().hyphenated().to_string())
}

fn base64_encode(args: &[String]) -> Result<String, String> {
    Ok(base64::engine::general_purpose::STANDARD.encode(args[0].as_bytes()))
}

fn base64_decode(args: &[String]) -> Result<String, String> {
    let compact: String = args[0]
        .chars()
        .filter(|c| !c.is_ascii_whitespace())
        .collect();
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(compact.as_bytes())
        .map_err(|e| format!("invalid base64 input: {e}"))?;
    String::from_utf8(bytes).map_err(|_| "decoded base64 is not UTF-8 text".to_owned())
}

fn sha256_hex(args: &[String]) -> Result<String, String> {
    let digest = sha2::Sha256::digest(args[0].as_bytes());
    Ok(digest.iter().map(|b| format!("{b:02x}")).collect())
}

/// Generates one `extern "C"` XPath function per (name, arity, body).
macro_rules! xpath_function {
    ($cname:ident, $display:literal, $arity:literal, $body:path) => {
        unsafe extern "C" fn $cname(ctxt: Ctxt, nargs: c_int) {
            // SAFETY: libxslt calls extension functions with the live XPath parser context and the number of
            // arguments on its value stack.
            unsafe { call(ctxt, nargs, $arity, $display, $body) }
        }
    };
}

xpath_function!(x_uuid, "uuid", 0, uuid);
xpath_function!(x_base64_encode, "base64-encode", 1, base64_encode);
xpath_function!(x_base64_decode, "base64-decode", 1, base64_decode);
xpath_function!(x_sha256_hex, "sha256-hex", 1, sha256_hex);

/// (namespace, local name, implementation)
const FUNCTIONS: &[(&str, &str, ffi::xmlXPathFunction)] = &[
    (NAMESPACE, "uuid", x_uuid),
    (NAMESPACE, "base64-encode", x_base64_encode),
    (NAMESPACE, "base64-decode", x_base64_decode),
    (NAMESPACE, "sha256-hex", x_sha256_hex),
    ("java:java.util.UUID", "randomUUID", x_uuid),
    (
        "java:com.offerready.xslt.xsltfunction.Base64",
        "encode",
        x_base64_encode,
    ),
    (
        "java:com.offerready.xslt.xsltfunction.Base64",
        "decode",
        x_base64_decode,
    ),
    (
        "java:org.apache.commons.codec.digest.DigestUtils",
        "sha256Hex",
        x_sha256_hex,
    ),
];

/// Registers all functions with libxslt (process-wide). Called once from `init`, after `xsltInit`.
pub(crate) fn register() {
    for &(ns, name, f) in FUNCTIONS {
        let ns = CString::new(ns).expect("static namespace");
        let name = CString::new(name).expect("static name");
        // SAFETY: libxslt copies name and URI into its global registry (guarded by its own mutex); `f` has the
        // xmlXPathFunction signature and lives for the whole program.
        let rc = unsafe {
            ffi::xsltRegisterExtModuleFunction(name.as_ptr().cast(), ns.as_ptr().cast(), Some(f))
        };
        debug_assert_eq!(rc, 0, "registering {name:?}");
    }
}

/// Pops the arguments, runs `body`, pushes the string result; on failure sets an XPath error (which makes the
/// transformation fail) and reports the reason.
///
/// # Safety
/// `ctxt` must be the XPath parser context libxslt passed to the extension function, `nargs` its argument count.
unsafe fn call(ctxt: Ctxt, nargs: c_int, arity: c_int, name: &str, body: Body) {
    if nargs != arity {
        report(format!("{name}() takes {arity} argument(s), got {nargs}"));
        // SAFETY: valid context; records the error in it.
        unsafe { ffi::xmlXPathErr(ctxt, ffi::XPATH_INVALID_ARITY) };
        return;
    }
    // Arguments are on the stack in reverse order.
    let mut args = Vec::with_capacity(arity as usize);
    for _ in 0..arity {
        // SAFETY: valid context with `nargs` values on the stack; the result is a fresh xmlChar string (or NULL
        // on error), freed below with xmlFree.
        let raw = unsafe { ffi::xmlXPathPopString(ctxt) };
        if raw.is_null() {
            return; // libxml2 has set the error
        }
        // SAFETY: `raw` is a NUL-terminated string we own.
        let s = unsafe { CStr::from_ptr(raw.cast()) }
            .to_string_lossy()
            .into_owned();
        // SAFETY: `raw` was allocated by libxml2 and is not used after this.
        unsafe { ffi::endpoints_xslt_free(raw.cast()) };
        args.push(s);
    }
    args.reverse();

    let result = std::panic::catch_unwind(|| body(&args))
        .unwrap_or_else(|_| Err("internal error (panic)".into()));
    let result = result
        .and_then(|s| CString::new(s).map_err(|_| "result contains a NUL character".to_owned()));
    match result {
        Ok(s) => {
            // SAFETY: xmlXPathNewString copies the string; valuePush takes ownership of the new object (and
            // reports NULL as an error itself).
            unsafe { ffi::valuePush(ctxt, ffi::xmlXPathNewString(s.as_ptr().cast())) };
        }
        Err(reason) => {
            report(format!("{name}(): {reason}"));
            // SAFETY: valid context; records the error so that evaluation stops.
            unsafe { ffi::xmlXPathErr(ctxt, ffi::XPATH_INVALID_OPERAND) };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bodies() {
        let s = |v: &str| vec![v.to_owned()];
        assert_eq!(
            sha256_hex(&s("abc")).unwrap(),
            "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"
        );
        assert_eq!(base64_encode(&s("Grüße")).unwrap(), "R3LDvMOfZQ==");
        assert_eq!(base64_decode(&s("R3LD\nvMOfZQ==")).unwrap(), "Grüße");
        assert!(base64_decode(&s("not base64!")).is_err());
        assert!(base64_decode(&s("/w==")).is_err(), "0xFF is not UTF-8");
        let u = uuid(&[]).unwrap();
        assert_eq!(u.len(), 36);
        assert_eq!(&u[14..15], "4");
        assert_eq!(u, u.to_lowercase());
    }
}
