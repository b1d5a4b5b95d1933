//! The SAM template routes every documented request to the function that serves it: for each path
//! and method of the admin API and of the operator API, the most specific HTTP API route that
//! matches it (as API Gateway chooses) belongs to that API's function. A route added to a router
//! but not to `infra/template.yaml` would reach the wrong function on AWS and answer 404.

use std::collections::BTreeSet;

/// One HTTP API route of the template: the function it invokes, its path and method.
#[derive(Debug)]
struct Route {
    function: String,
    path: String,
    method: String,
}

/// The HttpApi events of every function in the template (its layout: resources at two spaces,
/// each event's `Path:` and `Method:` under its properties).
fn routes() -> Vec<Route> {
    let text =
        std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../infra/template.yaml")).expect("the template");
    let mut routes = Vec::new();
    let (mut resource, mut path) = (String::new(), None::<String>);
    for line in text.lines() {
        if let Some(name) = line.strip_prefix("  ").and_then(|l| l.strip_suffix(':'))
            && !name.starts_with(' ')
        {
            resource = name.to_owned();
        }
        let trimmed = line.trim();
        if let Some(p) = trimmed.strip_prefix("Path: ") {
            path = Some(p.to_owned());
        } else if let (Some(m), Some(p)) = (trimmed.strip_prefix("Method: "), path.take()) {
            routes.push(Route {
                function: resource.clone(),
                path: p,
                method: m.to_uppercase(),
            });
        }
    }
    routes
}

// API Gateway's choice of route, as `make watch` plays it (its own test states the choices
// outright).
use aws_stack::local::gateway::choose;

/// The function API Gateway sends `method path` to.
fn target<'a>(routes: &'a [Route], method: &str, path: &str) -> Option<&'a str> {
    choose(routes, method, path, |r| {
        ((r.method != "ANY").then_some(r.method.as_str()), r.path.as_str())
    })
    .map(|r| r.function.as_str())
}

/// Every (method, path) of a document, its path parameters filled with a sample value.
fn operations(doc: &utoipa::openapi::OpenApi) -> BTreeSet<(String, String)> {
    let mut ops = BTreeSet::new();
    for (path, item) in &doc.paths.paths {
        let concrete: String = path
            .split('/')
            .map(|s| if s.starts_with('{') { "x1" } else { s })
            .collect::<Vec<_>>()
            .join("/");
        let methods = [
            ("GET", item.get.is_some()),
            ("POST", item.post.is_some()),
            ("PUT", item.put.is_some()),
            ("PATCH", item.patch.is_some()),
            ("DELETE", item.delete.is_some()),
        ];
        for (method, present) in methods {
            if present {
                ops.insert((method.to_owned(), concrete.clone()));
            }
        }
    }
    ops
}

#[test]
fn every_documented_request_reaches_the_function_that_serves_it() {
    let routes = routes();
    assert!(routes.len() > 5, "the template's routes were read: {routes:?}");
    let operator = operations(&operator_api::openapi());
    let everything = operations(&admin_api::openapi());
    let mut wrong = Vec::new();
    for (method, path) in &everything {
        let expected = if operator.contains(&(method.clone(), path.clone())) {
            "OperatorApiFunction"
        } else {
            "AdminApiFunction"
        };
        let got = target(&routes, method, path);
        if got != Some(expected) {
            wrong.push(format!("{method} {path} → {got:?}, not {expected}"));
        }
    }
    assert!(wrong.is_empty(), "misrouted on AWS:\n{}", wrong.join("\n"));
    for (method, path, function) in [
        ("POST", "/avito/messenger/acme/ch/s3cret", "AvitoWebhookFunction"),
        ("POST", "/avito/jobs/acme/ch", "AvitoWebhookFunction"),
        ("GET", "/avito/oauth/callback", "OAuthCallbackFunction"),
        ("GET", "/", "WebInterfaceFunction"),
        ("GET", "/ui/app.js", "WebInterfaceFunction"),
        ("GET", "/ui/live.js", "WebInterfaceFunction"),
        // AWS only, not in the OpenAPI document (the local server pushes on GET /v1/events).
        ("POST", "/v1/live/ticket", "OperatorApiFunction"),
    ] {
        assert_eq!(target(&routes, method, path), Some(function), "{method} {path}");
    }
}
