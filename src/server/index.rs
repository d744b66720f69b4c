//! `GET /`: a short plain-text page saying how endpoints are called and which applications are served (their
//! names only: no endpoint names, no configuration).

use http::header::{CONTENT_TYPE, X_CONTENT_TYPE_OPTIONS};
use http::{HeaderValue, Response};

use super::body::{self, ResponseBody};
use super::state::State;

/// The page's text for the served application names.
pub fn text(applications: &[&str]) -> String {
    let mut out = String::from(
        "This server answers declarative HTTP endpoints.\n\n\
         Call an endpoint at /{application}/{endpoint} with GET or POST: parameters in the query string or a\n\
         form body, with the hash (or other authentication) the endpoint requires.\n",
    );
    match applications {
        [] => out.push_str("\nNo application is served.\n"),
        [only] => {
            out.push_str("With one application served, /{endpoint} works as well.\n\n");
            out.push_str(&format!(
                "Application served: {only} (/{only}/{{endpoint}} or /{{endpoint}})\n"
            ));
        }
        several => {
            out.push_str(&format!("\nApplications served: {}\n", several.join(", ")));
        }
    }
    out
}

/// `GET /` (and `HEAD /`).
pub fn page(state: &State) -> Response<ResponseBody> {
    let mut r = Response::new(body::full(text(&state.application_names())));
    let h = r.headers_mut();
    h.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("text/plain; charset=utf-8"),
    );
    h.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    r
}

#[cfg(test)]
mod tests {
    use super::text;

    #[test]
    fn pages() {
        let one = text(&["shop"]);
        assert!(one.contains("/{application}/{endpoint}"), "{one}");
        assert!(
            one.contains("Application served: shop (/shop/{endpoint} or /{endpoint})"),
            "{one}"
        );
        let two = text(&["blog", "shop"]);
        assert!(two.contains("Applications served: blog, shop"), "{two}");
        assert!(!two.contains("/{endpoint} works"), "{two}");
        assert!(text(&[]).contains("No application is served."));
    }
}
