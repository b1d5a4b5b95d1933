#!/usr/bin/env bash
# Every Lambda function under `cargo lambda watch`, against the AWS endpoint in AWS_ENDPOINT_URL
# (moto, from with-moto.sh) and a standalone Avito sandbox. Creates the table, the queues and the
# schedule group first, as infra/template.yaml declares them (avito-cc-aws-setup reads it), and
# hands the functions the environment they read on AWS.
#   usage: tests/scripts/lambda-watch.sh VENV_DIR [INVOKE_PORT]
# HTTP functions answer at http://127.0.0.1:PORT/lambda-url/<function>/<path>; event functions are
# invoked with `cargo lambda invoke <function> --invoke-address 127.0.0.1 --invoke-port PORT --data-file infra/events/<file>`.
set -euo pipefail
venv=$1
port=${2:-9000}
export PATH="$PWD/$venv/bin:$PATH"
command -v cargo-lambda >/dev/null || { echo "cargo-lambda is not installed in $venv (run: make venv-lambda)" >&2; exit 2; }
: "${AWS_ENDPOINT_URL:?run under tests/scripts/with-moto.sh, which gives the address of moto}"

free_port() { "$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
sandbox_port=$(free_port)
cargo build --quiet -p avito-sandbox -p aws-stack --bin avito-sandbox --bin avito-cc-aws-setup
target=${CARGO_TARGET_DIR:-target}
SANDBOX_ADDR=127.0.0.1:$sandbox_port SANDBOX_REDIRECT_URI=http://127.0.0.1:$port/lambda-url/oauth-callback/avito/oauth/callback \
    "$target/debug/avito-sandbox" >&2 &
sandbox_pid=$!
env_file=$(mktemp -t lambda-env.XXXXXX)
cleanup() {
    kill "$sandbox_pid" 2>/dev/null || true
    rm -f "$env_file"
}
trap cleanup EXIT

"$target/debug/avito-cc-aws-setup" "watch-$port" >"$env_file"
cat >>"$env_file" <<VARS
AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-test}
AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-test}
AWS_REGION=${AWS_REGION:-us-east-1}
PUBLIC_BASE_URL=http://127.0.0.1:$port/lambda-url
AVITO_API_BASE_URL=http://127.0.0.1:$sandbox_port
AVITO_OAUTH_URL=http://127.0.0.1:$sandbox_port/oauth
AVITO_CLIENT_ID=sandbox-app
AVITO_CLIENT_SECRET=sandbox-app-secret
TOKEN_ENCRYPTION_KEYS=k1:000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f
TOKEN_ENCRYPTION_KEY_ID=k1
RUST_LOG=info
LIVE_URL=ws://127.0.0.1:$port/live-is-not-served-by-watch
LIVE_API_ENDPOINT=$AWS_ENDPOINT_URL
VARS
echo "cargo lambda watch on http://127.0.0.1:$port (Avito sandbox on http://127.0.0.1:$sandbox_port)" >&2
cargo lambda watch --invoke-address 127.0.0.1 --invoke-port "$port" --env-file "$env_file" --ignore-changes
