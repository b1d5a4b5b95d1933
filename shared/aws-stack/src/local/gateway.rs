//! API Gateway's HTTP API on this machine: the template's routes, chosen as API Gateway chooses
//! (the most specific path, a method before `ANY`), the JWT authorizer the template declares
//! (the token's RS256 signature against the issuer's JWKS, its issuer, expiry and audience), and
//! the request handed to the route's function as a payload version 2.0 event with the token's
//! claims under `requestContext.authorizer.jwt.claims`, as API Gateway passes them (every claim a
//! string). The function's answer goes back as API Gateway maps it.
//!
//! Not played: throttling, the 30 s integration timeout (the function's own timeout applies),
//! custom domains, CORS (the web interface and the API share an origin here as on AWS), mutual
//! TLS. Like API Gateway, a request body over 10 MB is refused.

use super::lambda::{Invoked, LocalFunction};
use axum::body::{Body, Bytes};
use axum::http::{HeaderMap, HeaderName, HeaderValue, Request, StatusCode};
use axum::response::{IntoResponse, Response};
use base64::Engine;
use serde_json::{Value, json};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// API Gateway's payload limit.
const MAX_BODY: usize = 10 * 1024 * 1024;

/// One route of the HTTP API.
pub struct HttpRoute {
    /// `ANY /v1/{proxy+}`.
    pub route_key: String,
    /// `None` for `ANY`.
    pub method: Option<String>,
    pub path: String,
    pub function: Arc<LocalFunction>,
    pub authorizer: Option<Arc<JwtAuthorizer>>,
}

/// A JWT authorizer: tokens signed by the issuer's keys, for one of the audiences.
pub struct JwtAuthorizer {
    pub issuer: String,
    pub audience: Vec<String>,
    /// Where the issuer's keys are read here (moto's Cognito serves the pool's JWKS).
    pub jwks_url: String,
    keys: tokio::sync::Mutex<Option<(Instant, Value)>>,
}

impl JwtAuthorizer {
    pub fn new(issuer: String, audience: Vec<String>, jwks_url: String) -> Self {
        Self {
            issuer,
            audience,
            jwks_url,
            keys: tokio::sync::Mutex::new(None),
        }
    }

    /// With the issuer's keys given (tests).
    pub fn with_keys(issuer: String, audience: Vec<String>, jwks: Value) -> Self {
        Self {
            issuer,
            audience,
            jwks_url: String::new(),
            keys: tokio::sync::Mutex::new(Some((Instant::now(), jwks))),
        }
    }

    async fn key(&self, kid: &str) -> Option<jsonwebtoken::DecodingKey> {
        let mut cached = self.keys.lock().await;
        let find = |jwks: &Value| {
            jwks["keys"]
                .as_array()?
                .iter()
                .find(|k| k["kid"].as_str() == Some(kid))
                .and_then(|k| jsonwebtoken::DecodingKey::from_rsa_components(k["n"].as_str()?, k["e"].as_str()?).ok())
        };
        if let Some((_, jwks)) = cached.as_ref()
            && let Some(key) = find(jwks)
        {
            return Some(key);
        }
        // An unknown key id: read the keys again, at most every few seconds.
        if cached
            .as_ref()
            .is_some_and(|(at, _)| at.elapsed() < Duration::from_secs(5))
        {
            return None;
        }
        let jwks: Value = reqwest::get(&self.jwks_url).await.ok()?.json().await.ok()?;
        let key = find(&jwks);
        *cached = Some((Instant::now(), jwks));
        key
    }

    /// The token's claims as API Gateway passes them, or `None` when it refuses the token.
    pub async fn claims(&self, authorization: Option<&str>) -> Option<HashMap<String, String>> {
        use jsonwebtoken::{Algorithm, Validation, decode, decode_header};
        let raw = authorization?.trim();
        let token = raw.strip_prefix("Bearer ").unwrap_or(raw).trim();
        let header = decode_header(token).ok().filter(|h| h.alg == Algorithm::RS256)?;
        let key = self.key(header.kid.as_deref()?).await?;
        let mut validation = Validation::new(Algorithm::RS256);
        validation.set_issuer(&[self.issuer.as_str()]);
        validation.set_required_spec_claims(&["exp", "iss"]);
        validation.validate_aud = false;
        validation.validate_nbf = true;
        validation.leeway = 0;
        let claims = decode::<HashMap<String, Value>>(token, &key, &validation).ok()?.claims;
        // The audience: `aud` (a string or a list), or `client_id` when there is no `aud` (an
        // access token).
        let audiences: Vec<&str> = match claims.get("aud").or_else(|| claims.get("client_id"))? {
            Value::String(a) => vec![a.as_str()],
            Value::Array(items) => items.iter().filter_map(Value::as_str).collect(),
            _ => return None,
        };
        if !audiences.iter().any(|a| self.audience.iter().any(|b| b == a)) {
            return None;
        }
        let claims: HashMap<String, String> = claims
            .into_iter()
            .map(|(k, v)| {
                let v = match v {
                    Value::String(s) => s,
                    Value::Array(items) => format!(
                        "[{}]",
                        items
                            .iter()
                            .map(|i| i.as_str().map(str::to_owned).unwrap_or_else(|| i.to_string()))
                            .collect::<Vec<_>>()
                            .join(" ")
                    ),
                    other => other.to_string(),
                };
                (k, v)
            })
            .collect();
        Some(claims)
    }
}

/// How specifically `route` matches `path` (literal segments first, a greedy variable last), or
/// `None`.
pub fn specificity(route: &str, path: &str) -> Option<(usize, usize)> {
    let r: Vec<&str> = route.trim_matches('/').split('/').filter(|s| !s.is_empty()).collect();
    let p: Vec<&str> = path.trim_matches('/').split('/').filter(|s| !s.is_empty()).collect();
    let mut literal = 0;
    for (i, seg) in r.iter().enumerate() {
        if seg.ends_with("+}") {
            return (p.len() > i).then_some((literal, i));
        }
        let other = p.get(i)?;
        if seg.starts_with('{') {
            continue;
        }
        if seg != other {
            return None;
        }
        literal += 1;
    }
    (r.len() == p.len()).then_some((literal, r.len() + 1))
}

/// The route API Gateway picks for `method path`.
pub fn pick<'a>(routes: &'a [HttpRoute], method: &str, path: &str) -> Option<&'a HttpRoute> {
    choose(routes, method, path, |r| (r.method.as_deref(), r.path.as_str()))
}

/// The route API Gateway picks for `method path` among `routes`, each read by `key` as its method
/// (`None` for `ANY`) and path: the most specific path, a method before `ANY`.
pub fn choose<'a, R>(
    routes: &'a [R],
    method: &str,
    path: &str,
    key: impl Fn(&R) -> (Option<&str>, &str),
) -> Option<&'a R> {
    routes
        .iter()
        .filter_map(|r| {
            let (m, p) = key(r);
            if m.is_some_and(|m| m != method) {
                return None;
            }
            specificity(p, path).map(|s| ((s, m.is_some()), r))
        })
        .max_by_key(|(s, _)| *s)
        .map(|(_, r)| r)
}

fn path_parameters(route: &str, path: &str) -> HashMap<String, String> {
    let r: Vec<&str> = route.trim_matches('/').split('/').collect();
    let p: Vec<&str> = path.trim_matches('/').split('/').collect();
    let mut params = HashMap::new();
    for (i, seg) in r.iter().enumerate() {
        if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix("+}")) {
            params.insert(
                name.to_owned(),
                p.get(i..).map(|rest| rest.join("/")).unwrap_or_default(),
            );
            break;
        }
        if let Some(name) = seg.strip_prefix('{').and_then(|s| s.strip_suffix('}'))
            && let Some(value) = p.get(i)
        {
            params.insert(name.to_owned(), percent_decode(value));
        }
    }
    params
}

fn percent_decode(s: &str) -> String {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%'
            && let Some(b) = s.get(i + 1..i + 3).and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(b);
            i += 3;
            continue;
        }
        out.push(bytes[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn message(status: StatusCode, text: &str) -> Response {
    (
        status,
        [("content-type", "application/json")],
        json!({"message": text}).to_string(),
    )
        .into_response()
}

/// The HTTP API: what its routes and authorizers do with one request.
pub struct HttpApi {
    pub api_id: String,
    pub account: String,
    pub routes: Vec<HttpRoute>,
}

impl HttpApi {
    /// Answers one request as API Gateway would.
    pub async fn handle(&self, request: Request<Body>) -> Response {
        let (parts, body) = request.into_parts();
        let method = parts.method.as_str().to_owned();
        let path = parts.uri.path().to_owned();
        let Some(route) = pick(&self.routes, &method, &path) else {
            return message(StatusCode::NOT_FOUND, "Not Found");
        };
        let headers = &parts.headers;
        let claims = match &route.authorizer {
            None => None,
            Some(authorizer) => {
                let header = headers.get("authorization").and_then(|v| v.to_str().ok());
                match authorizer.claims(header).await {
                    Some(c) => Some(c),
                    None => {
                        let mut r = message(StatusCode::UNAUTHORIZED, "Unauthorized");
                        r.headers_mut()
                            .insert("www-authenticate", HeaderValue::from_static("Bearer"));
                        return r;
                    }
                }
            }
        };
        let Ok(body) = axum::body::to_bytes(body, MAX_BODY).await else {
            return message(StatusCode::PAYLOAD_TOO_LARGE, "Request Entity Too Large");
        };
        let event = self.event(route, &parts, &path, claims, &body);
        match route.function.invoke(Bytes::from(event.to_string())).await {
            Invoked::Response(payload) => response_of(&payload),
            Invoked::FunctionError(e) => {
                tracing::warn!(function = %route.function.logical_id, error = %String::from_utf8_lossy(&e), "the function failed");
                message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
            }
            Invoked::Failed(e) => {
                // A crash or a timeout of the function: API Gateway answers 500 (503 is its own
                // 30-second integration timeout, which the functions' 10 s stay under).
                tracing::warn!(function = %route.function.logical_id, error = %e, "the function did not answer");
                message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error")
            }
        }
    }

    fn event(
        &self,
        route: &HttpRoute,
        parts: &axum::http::request::Parts,
        path: &str,
        claims: Option<HashMap<String, String>>,
        body: &[u8],
    ) -> Value {
        let mut headers: HashMap<String, String> = HashMap::new();
        let mut cookies = Vec::new();
        for (name, value) in &parts.headers {
            let Ok(value) = value.to_str() else { continue };
            if name == "cookie" {
                cookies.extend(value.split(';').map(|c| c.trim().to_owned()).filter(|c| !c.is_empty()));
                continue;
            }
            headers
                .entry(name.as_str().to_owned())
                .and_modify(|v| {
                    v.push(',');
                    v.push_str(value);
                })
                .or_insert_with(|| value.to_owned());
        }
        let raw_query = parts.uri.query().unwrap_or("").to_owned();
        let mut query: HashMap<String, String> = HashMap::new();
        for pair in raw_query.split('&').filter(|p| !p.is_empty()) {
            let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
            let (k, v) = (
                percent_decode(&k.replace('+', " ")),
                percent_decode(&v.replace('+', " ")),
            );
            query
                .entry(k)
                .and_modify(|existing| {
                    existing.push(',');
                    existing.push_str(&v);
                })
                .or_insert(v);
        }
        let text_like = headers.get("content-type").is_none_or(|t| {
            t.starts_with("text/") || t.contains("json") || t.contains("x-www-form-urlencoded") || t.contains("xml")
        });
        let (body, encoded) = match std::str::from_utf8(body) {
            _ if body.is_empty() => (Value::Null, false),
            Ok(text) if text_like => (Value::String(text.to_owned()), false),
            _ => (
                Value::String(base64::engine::general_purpose::STANDARD.encode(body)),
                true,
            ),
        };
        let now = chrono::Utc::now();
        let host = headers.get("host").cloned().unwrap_or_default();
        let mut context = json!({
            "accountId": self.account,
            "apiId": self.api_id,
            "domainName": host,
            "domainPrefix": host.split('.').next().unwrap_or_default(),
            "http": {
                "method": parts.method.as_str(),
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": "127.0.0.1",
                "userAgent": headers.get("user-agent").cloned().unwrap_or_default(),
            },
            "requestId": uuid::Uuid::new_v4().to_string(),
            "routeKey": route.route_key,
            "stage": "$default",
            "time": now.format("%d/%b/%Y:%H:%M:%S +0000").to_string(),
            "timeEpoch": now.timestamp_millis(),
        });
        if let Some(claims) = claims {
            context["authorizer"] = json!({"jwt": {"claims": claims, "scopes": null}});
        }
        let mut event = json!({
            "version": "2.0",
            "routeKey": route.route_key,
            "rawPath": path,
            "rawQueryString": raw_query,
            "headers": headers,
            "requestContext": context,
            "isBase64Encoded": encoded,
        });
        if !cookies.is_empty() {
            event["cookies"] = json!(cookies);
        }
        if !query.is_empty() {
            event["queryStringParameters"] = json!(query);
        }
        let params = path_parameters(&route.path, path);
        if !params.is_empty() {
            event["pathParameters"] = json!(params);
        }
        if !body.is_null() {
            event["body"] = body;
        }
        event
    }
}

/// API Gateway's mapping of a payload 2.0 response (a JSON object with `statusCode`; anything
/// else is a 200 with the payload as a JSON body).
fn response_of(payload: &[u8]) -> Response {
    let Ok(value) = serde_json::from_slice::<Value>(payload) else {
        return message(StatusCode::INTERNAL_SERVER_ERROR, "Internal Server Error");
    };
    let Some(status) = value.get("statusCode").and_then(Value::as_u64) else {
        return (
            StatusCode::OK,
            [("content-type", "application/json")],
            value.to_string(),
        )
            .into_response();
    };
    let status = u16::try_from(status)
        .ok()
        .and_then(|s| StatusCode::from_u16(s).ok())
        .unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut headers = HeaderMap::new();
    let mut add = |name: &str, value: &str| {
        if let (Ok(n), Ok(v)) = (HeaderName::try_from(name), HeaderValue::from_str(value)) {
            headers.append(n, v);
        }
    };
    if let Some(map) = value.get("headers").and_then(Value::as_object) {
        for (k, v) in map {
            if let Some(v) = v.as_str() {
                add(k, v);
            }
        }
    }
    if let Some(map) = value.get("multiValueHeaders").and_then(Value::as_object) {
        for (k, values) in map {
            for v in values.as_array().into_iter().flatten().filter_map(Value::as_str) {
                add(k, v);
            }
        }
    }
    for cookie in value.get("cookies").and_then(Value::as_array).into_iter().flatten() {
        if let Some(c) = cookie.as_str() {
            add("set-cookie", c);
        }
    }
    let body = value.get("body").and_then(Value::as_str).unwrap_or("");
    let body = if value.get("isBase64Encoded").and_then(Value::as_bool) == Some(true) {
        base64::engine::general_purpose::STANDARD
            .decode(body)
            .unwrap_or_default()
    } else {
        body.as_bytes().to_vec()
    };
    (status, headers, body).into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_most_specific_route_wins_and_greedy_variables_take_the_rest() {
        assert!(specificity("/v1/{proxy+}", "/v1/conversations").is_some());
        assert!(specificity("/v1/{proxy+}", "/v1").is_none());
        assert!(
            specificity("/v1/conversations", "/v1/conversations").unwrap()
                > specificity("/v1/{proxy+}", "/v1/conversations").unwrap()
        );
        assert!(specificity("/ui/{file}", "/ui/a/b").is_none());
        let params = path_parameters(
            "/avito/messenger/{tenant}/{channel}/{secret}",
            "/avito/messenger/acme/c%201/s",
        );
        assert_eq!(params.get("channel").map(String::as_str), Some("c 1"));
        let params = path_parameters("/v1/conversations/{proxy+}", "/v1/conversations/a/b");
        assert_eq!(params.get("proxy").map(String::as_str), Some("a/b"));
    }

    /// A 2048-bit RSA key made for these tests only (PKCS#1 DER, base64), and its modulus.
    const TEST_KEY_DER: &str = "MIIEowIBAAKCAQEA5LLbqMZja64Y8nsbRRK13hCrlf0Kb46QvoURsvUn8PTM5afmQoMJfZ+G01p2l/nrZwfqz5FZ4XiWTf5JTJ11fEtHkMMbCDKTU79Lt9Wwyubnwl8Jwt1r6bIhfSc6o1PysQJCYya8jDd8s4xwqPkTaB6B+QlFZJECFKepRwPuhmmS+4ogsKtgVnW57Y4a628voD3XEfKQ+/ISTQ1mBsboPsimPMSP3Iq5hRUaGg+wsqp9da8ZIGw3JjQEbXVRAnxyjViZCRUg2y5l+BTsoi8K4Wb+Fw/8eSKgxdmMS+F5XSZIk9BffaIyXN7bde8EDtAICWXYEKL7kHXoD3Rq9PhKiwIDAQABAoH/Xc6zNDzrELiA7h9m83mzhubJ3lqaql0iN5T6U8OH3aRPFy0V2QSLJr0sGCnirQFWaWEkUS2zBmuBUogE+5QcscJz7m0sOKzDQ5i7h21x1DsE8C3Z3LL6CQnjulWjsg6Jh21rjMmhV8uJVU5H3GcVGjrvCbefg+s3+NIkvbmJKr6SQtN8fmZ8Y0lLbWl2L4An03yY8+e5zlZhWrDh2fiGoNWevrl2tdwoDbswtKX4uJvlQGFlNt07MdHziXA2mAHt6Z/LwwTU9sfxYBKAkhzkj6JP8bFLDqPTjpcOt9w/9OpoF0u+C71Gaa4OEqdCbig88uwCQZ7F0NX8o00K9s5JAoGBAPf99WPIxZnRZpskdsog37avXGEeL5t3thE9Zr22+YFnsNFflYV+ZCMc/l9p3sFCFs0Uyu6S/VaAGbhlvp1u0h0bEG6cZx/RLPlopx9/9I6X4hY0xIhl3OrmyxTfXXebvU9TzqCogOZOl/grst64wLpGl0Pbs0gsTyLTh85y2rwTAoGBAOwVaOObFpoLNXtllCNvDGTXVf5+/VMwbUEk6MKIx1VCpcWNLx0jc6uYHtTEj6MEnuvK9Z6dLKim0H6Jwa5QOtMHxjYAJwRNFRmUuQCZloYkd2fdxV8SU1R+Lg/zv2niz19DPiv/POWCqTqs6vBRD0HSdql+xz2QFByzBsUEBZapAoGBALhhEw9reK8SZ201wTQrGOmkm9SBMvguGynaMwcegYda5rXkkTC9dgo9Rkr+VeXuEzHLIc4bb0ve1kCpNP2sJYAKXT8//dREG2IcExVydwuFlUzZUr3urj/f9GHCaKXDHw9Zyijc32lcSdTz+Htrda+JSHHlaPhiKTxFdZVjA4oNAoGBAKKILtkbyZiuBNj6Wt12M2MteO+n/8GJAn6p6XEcd5c0Nipmg7wczyKgrQEwfe7uXHbbGPRlIvzNM5caQfQ/GfB1VrmQq0vjwZYF9MP7+UxKyMYCQUKtvB7ca9vhpLNCSiA8jA4AP62GoflaWLiwJb/cJIOWW5b/nUkQ26VBmpNZAoGBAJ9x+JTNo+VfAfQ66G2Kdb8J1oKPn1I/Q6vUeBJ3EgvgxQUjB2ByeZke1MJEnRDoSIdOxxzOuY0E+2JKMc5arDreuITubVqBmjNh/X8PNXBz8ssxwQIleP/r3geIgNay2d7Rxn8+QdW4H1xjVSnASFzuUAX0Iqq5Wnorc81EUFBK";
    const TEST_KEY_N: &str = "5LLbqMZja64Y8nsbRRK13hCrlf0Kb46QvoURsvUn8PTM5afmQoMJfZ-G01p2l_nrZwfqz5FZ4XiWTf5JTJ11fEtHkMMbCDKTU79Lt9Wwyubnwl8Jwt1r6bIhfSc6o1PysQJCYya8jDd8s4xwqPkTaB6B-QlFZJECFKepRwPuhmmS-4ogsKtgVnW57Y4a628voD3XEfKQ-_ISTQ1mBsboPsimPMSP3Iq5hRUaGg-wsqp9da8ZIGw3JjQEbXVRAnxyjViZCRUg2y5l-BTsoi8K4Wb-Fw_8eSKgxdmMS-F5XSZIk9BffaIyXN7bde8EDtAICWXYEKL7kHXoD3Rq9PhKiw";
    const ISSUER: &str = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_pool";

    fn token(header: jsonwebtoken::Header, claims: Value) -> String {
        let der = base64::engine::general_purpose::STANDARD
            .decode(TEST_KEY_DER)
            .expect("der");
        jsonwebtoken::encode(&header, &claims, &jsonwebtoken::EncodingKey::from_rsa_der(&der)).expect("signed")
    }

    fn rs256() -> jsonwebtoken::Header {
        let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::RS256);
        h.kid = Some("k1".into());
        h
    }

    fn claims(change: impl FnOnce(&mut Value)) -> Value {
        let now = chrono::Utc::now().timestamp();
        let mut c = json!({"sub": "u1", "iss": ISSUER, "aud": "client", "exp": now + 600, "iat": now,
            "custom:tenant_id": "acme", "cognito:groups": ["a", "b"], "auth_time": now});
        change(&mut c);
        c
    }

    fn authorizer() -> JwtAuthorizer {
        let jwks =
            json!({"keys": [{"kid": "k1", "kty": "RSA", "alg": "RS256", "use": "sig", "n": TEST_KEY_N, "e": "AQAB"}]});
        JwtAuthorizer::with_keys(ISSUER.into(), vec!["client".into()], jwks)
    }

    #[tokio::test]
    async fn the_authorizer_passes_a_valid_token_with_its_claims_as_strings() {
        let a = authorizer();
        let ok = a
            .claims(Some(&format!("Bearer {}", token(rs256(), claims(|_| {})))))
            .await
            .expect("valid");
        assert_eq!(ok.get("custom:tenant_id").map(String::as_str), Some("acme"));
        assert_eq!(ok.get("cognito:groups").map(String::as_str), Some("[a b]"));
        assert!(ok.get("exp").is_some_and(|e| e.parse::<i64>().is_ok()));
        // Without "Bearer", and with a list of audiences one of which is ours.
        let listed = token(rs256(), claims(|c| c["aud"] = json!(["other", "client"])));
        assert!(a.claims(Some(&listed)).await.is_some());
        // An access token: no `aud`, the client in `client_id`.
        let access = token(
            rs256(),
            claims(|c| {
                c.as_object_mut().map(|m| m.remove("aud"));
                c["client_id"] = json!("client");
            }),
        );
        assert!(a.claims(Some(&access)).await.is_some());
    }

    #[tokio::test]
    async fn the_authorizer_refuses_what_api_gateway_refuses() {
        let a = authorizer();
        let now = chrono::Utc::now().timestamp();
        let refused = [
            (
                "another audience",
                token(rs256(), claims(|c| c["aud"] = json!("other"))),
            ),
            (
                "another issuer",
                token(
                    rs256(),
                    claims(|c| c["iss"] = json!("https://cognito-idp.us-east-1.amazonaws.com/other")),
                ),
            ),
            ("expired", token(rs256(), claims(|c| c["exp"] = json!(now - 1)))),
            ("not yet valid", token(rs256(), claims(|c| c["nbf"] = json!(now + 600)))),
            (
                "no expiry",
                token(
                    rs256(),
                    claims(|c| {
                        c.as_object_mut().map(|m| m.remove("exp"));
                    }),
                ),
            ),
            ("an unknown key", {
                let mut h = rs256();
                h.kid = Some("k2".into());
                token(h, claims(|_| {}))
            }),
            ("HS256 with the modulus as a secret", {
                let mut h = jsonwebtoken::Header::new(jsonwebtoken::Algorithm::HS256);
                h.kid = Some("k1".into());
                jsonwebtoken::encode(
                    &h,
                    &claims(|_| {}),
                    &jsonwebtoken::EncodingKey::from_secret(TEST_KEY_N.as_bytes()),
                )
                .expect("signed")
            }),
            ("alg none", {
                let body = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(claims(|_| {}).to_string());
                format!("eyJhbGciOiJub25lIiwia2lkIjoiazEifQ.{body}.")
            }),
            ("a changed payload", {
                let t = token(rs256(), claims(|_| {}));
                let parts: Vec<&str> = t.split('.').collect();
                let other = base64::engine::general_purpose::URL_SAFE_NO_PAD
                    .encode(claims(|c| c["custom:tenant_id"] = json!("other")).to_string());
                format!("{}.{other}.{}", parts[0], parts[2])
            }),
            ("nothing", String::new()),
        ];
        for (what, t) in refused {
            assert!(a.claims(Some(&t)).await.is_none(), "{what} passed");
        }
        assert!(a.claims(None).await.is_none());
    }

    #[test]
    fn responses_map_as_api_gateway_maps_them() {
        let r = response_of(
            br#"{"statusCode":201,"headers":{"content-type":"text/plain"},"cookies":["a=1","b=2"],"body":"hi"}"#,
        );
        assert_eq!(r.status(), StatusCode::CREATED);
        assert_eq!(r.headers().get_all("set-cookie").iter().count(), 2);
        assert_eq!(response_of(b"not json").status(), StatusCode::INTERNAL_SERVER_ERROR);
    }
}
