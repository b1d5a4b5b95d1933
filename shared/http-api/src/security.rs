//! The security headers every response carries (pages and API alike): a Content-Security-Policy
//! that lets a page load only our own scripts and styles, connect only to us, show images from us
//! and over HTTPS (Avito's image links), and never be framed; `X-Frame-Options` for browsers that
//! predate `frame-ancestors`; no referrer leaving our pages (links carry chat and conversation
//! ids); and no MIME sniffing.

use axum::Router;
use axum::response::Response;
use http::HeaderValue;
use http::header::{CONTENT_SECURITY_POLICY, REFERRER_POLICY, X_CONTENT_TYPE_OPTIONS, X_FRAME_OPTIONS};

/// The Content-Security-Policy of every response.
pub const CONTENT_SECURITY_POLICY_VALUE: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self' 'unsafe-inline'; img-src 'self' data: https:; media-src 'self' https:; \
     connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'";

/// Sets the security headers on a response.
pub fn with_security_headers(mut response: Response) -> Response {
    let headers = response.headers_mut();
    headers.insert(
        CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CONTENT_SECURITY_POLICY_VALUE),
    );
    headers.insert(X_FRAME_OPTIONS, HeaderValue::from_static("DENY"));
    headers.insert(REFERRER_POLICY, HeaderValue::from_static("no-referrer"));
    headers.insert(X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff"));
    response
}

/// `router` with the security headers on every response it gives.
pub fn secured<S: Clone + Send + Sync + 'static>(router: Router<S>) -> Router<S> {
    router.layer(axum::middleware::map_response(|response: Response| async move {
        with_security_headers(response)
    }))
}

/// [`secured`], with pages also allowed to connect to `origins` (each `https://host`, no path):
/// on AWS the web interface exchanges its sign-in code for tokens at Cognito's token endpoint.
/// An origin that is not plain `https://host[:port]` is left out rather than loosen the policy.
pub fn secured_connecting_to<S: Clone + Send + Sync + 'static>(router: Router<S>, origins: &[String]) -> Router<S> {
    let allowed: Vec<&str> = origins
        .iter()
        .map(String::as_str)
        .filter(|o| is_https_origin(o))
        .collect();
    if allowed.is_empty() {
        return secured(router);
    }
    let policy = CONTENT_SECURITY_POLICY_VALUE.replace(
        "connect-src 'self'",
        &format!("connect-src 'self' {}", allowed.join(" ")),
    );
    let Ok(policy) = HeaderValue::from_str(&policy) else {
        return secured(router);
    };
    router.layer(axum::middleware::map_response(move |response: Response| {
        let policy = policy.clone();
        async move {
            let mut response = with_security_headers(response);
            response.headers_mut().insert(CONTENT_SECURITY_POLICY, policy);
            response
        }
    }))
}

/// `https://` (or `wss://`, a WebSocket) and a host (letters, digits, `.`, `-`, an optional
/// `:port`), nothing else.
fn is_https_origin(origin: &str) -> bool {
    let host = origin
        .strip_prefix("https://")
        .or_else(|| origin.strip_prefix("wss://"));
    host.is_some_and(|host| {
        !host.is_empty()
            && host
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b':'))
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use tower::ServiceExt;

    #[tokio::test]
    async fn every_response_carries_the_headers_even_a_404() {
        let app = secured(Router::new().route("/", axum::routing::get(|| async { "ok" })));
        for path in ["/", "/nowhere"] {
            let response = app
                .clone()
                .oneshot(
                    http::Request::get(path)
                        .body(axum::body::Body::empty())
                        .expect("request"),
                )
                .await
                .expect("response");
            let h = response.headers();
            let csp = h
                .get(CONTENT_SECURITY_POLICY)
                .and_then(|v| v.to_str().ok())
                .unwrap_or("");
            assert!(
                csp.contains("frame-ancestors 'none'") && csp.contains("script-src 'self'"),
                "{path}: {csp}"
            );
            assert_eq!(h.get(X_FRAME_OPTIONS).map(HeaderValue::as_bytes), Some(&b"DENY"[..]));
            assert_eq!(
                h.get(REFERRER_POLICY).map(HeaderValue::as_bytes),
                Some(&b"no-referrer"[..])
            );
            assert_eq!(
                h.get(X_CONTENT_TYPE_OPTIONS).map(HeaderValue::as_bytes),
                Some(&b"nosniff"[..])
            );
        }
    }

    #[tokio::test]
    async fn pages_may_also_connect_to_the_named_https_origins_only() {
        let origins = [
            "https://cc.auth.eu-central-1.amazoncognito.com".to_owned(),
            "wss://abc123.execute-api.eu-central-1.amazonaws.com".to_owned(),
            "http://plain.example".to_owned(),
            "ws://plain.example".to_owned(),
            "https://evil.example; script-src *".to_owned(),
        ];
        let app = secured_connecting_to(
            Router::new().route("/", axum::routing::get(|| async { "ok" })),
            &origins,
        );
        let response = app
            .oneshot(
                http::Request::get("/")
                    .body(axum::body::Body::empty())
                    .expect("request"),
            )
            .await
            .expect("response");
        let csp = response
            .headers()
            .get(CONTENT_SECURITY_POLICY)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
            .to_owned();
        assert!(
            csp.contains(
                "connect-src 'self' https://cc.auth.eu-central-1.amazoncognito.com \
                 wss://abc123.execute-api.eu-central-1.amazonaws.com;"
            ),
            "{csp}"
        );
        assert!(!csp.contains("plain.example") && !csp.contains("evil"), "{csp}");
        assert!(
            csp.contains("script-src 'self';") && csp.contains("frame-ancestors 'none'"),
            "{csp}"
        );
        assert_eq!(
            response.headers().get(X_FRAME_OPTIONS).map(HeaderValue::as_bytes),
            Some(&b"DENY"[..])
        );
    }
}
