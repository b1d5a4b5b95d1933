// Signing in on AWS: Amazon Cognito's hosted page, the authorization code flow with PKCE (the web
// client has no secret). Tokens live in memory only: a reload goes back through the hosted page,
// which signs a person in again at once while its own session lasts. The PKCE verifier and the
// state survive the redirect in sessionStorage (they are not tokens, and are removed on return);
// the one-time code is removed from the address bar as soon as it is read.
import { session } from "./api.js";

const PENDING = "avito-cc-pkce";

function randomString(bytes) {
  const b = new Uint8Array(bytes);
  crypto.getRandomValues(b);
  return btoa(String.fromCharCode(...b)).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

async function challengeOf(verifier) {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(verifier));
  return btoa(String.fromCharCode(...new Uint8Array(digest))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** Sends the browser to the hosted sign-in page. */
export async function redirectToSignIn(config) {
  const verifier = randomString(48);
  const state = randomString(16);
  sessionStorage.setItem(PENDING, JSON.stringify({ verifier, state }));
  const url = new URL(config.authorize_url);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: config.client_id,
    redirect_uri: config.redirect_uri,
    scope: config.scope,
    state,
    code_challenge: await challengeOf(verifier),
    code_challenge_method: "S256",
  }).toString();
  location.assign(url.toString());
}

async function tokenRequest(config, params) {
  const resp = await fetch(config.token_url, {
    method: "POST",
    headers: { "content-type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams({ client_id: config.client_id, ...params }).toString(),
  });
  if (!resp.ok) throw new Error(`Cognito ответил ${resp.status}`);
  return resp.json();
}

let refreshTimer = null;

function keep(config, tokens, refreshToken) {
  session.setBearer(tokens.id_token);
  clearTimeout(refreshTimer);
  const seconds = Math.max(60, (tokens.expires_in || 3600) - 120);
  refreshTimer = setTimeout(async () => {
    try {
      const fresh = await tokenRequest(config, { grant_type: "refresh_token", refresh_token: refreshToken });
      keep(config, fresh, refreshToken);
    } catch {
      session.clear(); // The next request is refused and the page signs in again.
    }
  }, seconds * 1000);
}

/**
 * Finishes a return from the hosted page (`?code=…&state=…`): true when signed in. The code is
 * taken out of the address bar first.
 */
export async function completeSignIn(config) {
  const params = new URLSearchParams(location.search);
  const code = params.get("code");
  const state = params.get("state");
  if (!code) return false;
  history.replaceState(null, "", `${location.pathname}${location.hash}`);
  const pending = JSON.parse(sessionStorage.getItem(PENDING) || "null");
  sessionStorage.removeItem(PENDING);
  if (!pending || pending.state !== state) return false;
  const tokens = await tokenRequest(config, {
    grant_type: "authorization_code",
    code,
    redirect_uri: config.redirect_uri,
    code_verifier: pending.verifier,
  });
  keep(config, tokens, tokens.refresh_token);
  return true;
}

/** Signs out here and on the hosted page. */
export function signOutEverywhere(config) {
  clearTimeout(refreshTimer);
  session.clear();
  const url = new URL(config.logout_url);
  url.search = new URLSearchParams({ client_id: config.client_id, logout_uri: config.redirect_uri }).toString();
  location.assign(url.toString());
}
