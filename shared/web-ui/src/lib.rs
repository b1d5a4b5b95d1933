//! The web interface (administrator screens and the operator workspace): plain HTML, CSS and
//! JavaScript modules in `assets/`, compiled into the binary, so serving it needs nothing at run
//! time, neither Node.js nor files beside the binary. It talks only to the documented API on the
//! same origin (`/v1/...`).
//!
//! [`router`] serves `GET /` (the page) and `GET /ui/{file}` (its scripts and styles). The local
//! server mounts it; on AWS the admin API function does, under the same paths.

use axum::Router;
use axum::extract::Path;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use http::{HeaderValue, StatusCode, header};

/// One file of the interface.
struct Asset {
    name: &'static str,
    content_type: &'static str,
    body: &'static str,
}

const INDEX: &str = include_str!("../assets/index.html");

const CSS: &str = "text/css; charset=utf-8";
const JS: &str = "text/javascript; charset=utf-8";

macro_rules! asset {
    ($name:literal, $kind:expr) => {
        Asset {
            name: $name,
            content_type: $kind,
            body: include_str!(concat!("../assets/", $name)),
        }
    };
}

/// Every file under `/ui/`.
const ASSETS: &[Asset] = &[
    asset!("style.css", CSS),
    asset!("app.js", JS),
    asset!("api.js", JS),
    asset!("view.js", JS),
    asset!("admin.js", JS),
    asset!("workspace.js", JS),
    asset!("live.js", JS),
    asset!("team.js", JS),
    asset!("cognito.js", JS),
];

/// The file names served under `/ui/`, for tests and tools.
pub fn asset_names() -> impl Iterator<Item = &'static str> {
    ASSETS.iter().map(|a| a.name)
}

fn page(content_type: &'static str, body: &'static str) -> Response {
    (
        [
            (header::CONTENT_TYPE, HeaderValue::from_static(content_type)),
            // The files change only with the binary; a reload after an upgrade must see them.
            (header::CACHE_CONTROL, HeaderValue::from_static("no-cache")),
            (header::X_CONTENT_TYPE_OPTIONS, HeaderValue::from_static("nosniff")),
        ],
        body,
    )
        .into_response()
}

async fn index() -> Response {
    page("text/html; charset=utf-8", INDEX)
}

async fn asset(Path(name): Path<String>) -> Response {
    match ASSETS.iter().find(|a| a.name == name) {
        Some(a) => page(a.content_type, a.body),
        None => (StatusCode::NOT_FOUND, "no such file").into_response(),
    }
}

/// `GET /` and `GET /ui/{file}`.
pub fn router<S: Clone + Send + Sync + 'static>() -> Router<S> {
    Router::new().route("/", get(index)).route("/ui/{file}", get(asset))
}

#[cfg(test)]
mod tests {
    use super::*;
    use http_body_util::BodyExt;
    use tower::ServiceExt;

    async fn get_path(path: &str) -> (StatusCode, String, String) {
        let resp = router::<()>()
            .oneshot(
                http::Request::get(path)
                    .body(axum::body::Body::empty())
                    .expect("request"),
            )
            .await
            .expect("answer");
        let status = resp.status();
        let kind = resp
            .headers()
            .get(header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default()
            .to_owned();
        let body = resp.into_body().collect().await.expect("body").to_bytes();
        (status, kind, String::from_utf8_lossy(&body).into_owned())
    }

    #[tokio::test]
    async fn the_page_and_every_module_it_imports_are_served() {
        let (status, kind, html) = get_path("/").await;
        assert_eq!(status, StatusCode::OK);
        assert!(kind.starts_with("text/html"));
        assert!(html.contains("lang=\"ru\""), "the interface is in Russian");
        for name in asset_names() {
            let (status, kind, body) = get_path(&format!("/ui/{name}")).await;
            assert_eq!(status, StatusCode::OK, "{name}");
            assert!(!body.is_empty(), "{name}");
            assert!(kind.starts_with("text/"), "{name}: {kind}");
        }
        // Every module a script imports is one we serve.
        for a in ASSETS {
            for line in a.body.lines().filter(|l| l.starts_with("import ")) {
                let file = line
                    .rsplit("./")
                    .next()
                    .unwrap_or_default()
                    .trim_end_matches(['"', ';', '\'']);
                assert!(asset_names().any(|n| n == file), "{} imports {file}", a.name);
            }
        }
    }

    #[tokio::test]
    async fn an_unknown_file_is_404() {
        assert_eq!(get_path("/ui/secret.txt").await.0, StatusCode::NOT_FOUND);
        assert_eq!(get_path("/ui/..%2Fsrc%2Flib.rs").await.0, StatusCode::NOT_FOUND);
    }
}
