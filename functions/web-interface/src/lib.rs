//! The web interface on AWS: `GET /` and `GET /ui/{file}` from [`web_ui::router`], with the
//! security headers every page carries; the pages may connect to Cognito's hosted domain (to
//! exchange the sign-in code for tokens) and to the workspace's WebSocket API. A function of its
//! own: the pages are static, need no table and no token, and grow with the interface, which the
//! API functions should not.

use axum::Router;

/// The origins the pages connect to besides their own, from the function's environment:
/// `COGNITO_DOMAIN_URL` (`https://…`) and `LIVE_URL` (`wss://host/stage`, its origin). A variable
/// that is absent or not of that form adds nothing.
pub fn connect_to_from_vars(vars: &dyn Fn(&str) -> Option<String>) -> Vec<String> {
    let cognito = vars("COGNITO_DOMAIN_URL")
        .map(|url| url.trim().trim_end_matches('/').to_owned())
        .filter(|url| url.starts_with("https://"));
    let live = vars("LIVE_URL").and_then(|url| {
        let host = url.trim().strip_prefix("wss://")?.split('/').next()?.to_owned();
        (!host.is_empty()).then(|| format!("wss://{host}"))
    });
    cognito.into_iter().chain(live).collect()
}

/// The pages, secured, allowed to connect to `connect_to` as well as their own origin.
pub fn router(connect_to: &[String]) -> Router {
    http_api::secured_connecting_to(web_ui::router(), connect_to)
}

#[cfg(test)]
mod tests {
    use super::*;
    use axum::body::Body;
    use axum::http::{Request, StatusCode, header};
    use tower::ServiceExt;

    #[tokio::test]
    async fn the_page_is_served_secured_and_may_connect_to_cognito_and_the_websocket_api() {
        let vars = |name: &str| {
            Some(
                match name {
                    "COGNITO_DOMAIN_URL" => "https://cc.auth.eu-central-1.amazoncognito.com/",
                    "LIVE_URL" => "wss://abc123.execute-api.eu-central-1.amazonaws.com/live",
                    _ => return None,
                }
                .to_owned(),
            )
        };
        let connect_to = connect_to_from_vars(&vars);
        assert_eq!(
            connect_to,
            [
                "https://cc.auth.eu-central-1.amazoncognito.com",
                "wss://abc123.execute-api.eu-central-1.amazonaws.com"
            ]
        );
        let app = router(&connect_to);
        for path in ["/", "/ui/workspace.js", "/ui/live.js"] {
            let response = app
                .clone()
                .oneshot(Request::get(path).body(Body::empty()).expect("request"))
                .await
                .expect("answer");
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            let policy = response
                .headers()
                .get(header::CONTENT_SECURITY_POLICY)
                .and_then(|v| v.to_str().ok())
                .unwrap_or_default()
                .to_owned();
            assert!(
                policy.contains(
                    "connect-src 'self' https://cc.auth.eu-central-1.amazoncognito.com wss://abc123.execute-api.eu-central-1.amazonaws.com"
                ),
                "{path}: {policy}"
            );
        }
        let missing = app
            .oneshot(Request::get("/ui/nothing.js").body(Body::empty()).expect("request"))
            .await
            .expect("answer");
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);
    }
}
