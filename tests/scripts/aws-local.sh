#!/usr/bin/env bash
# `make watch`: the product on its AWS wiring on this machine. Builds every function and the
# player, starts the Avito sandbox, and plays infra/template.yaml on moto (from with-moto.sh):
# the HTTP API with its JWT authorizer, Cognito's hosted sign-in page, the SQS event source,
# EventBridge Scheduler and the rate schedules (see shared/aws-stack/src/local/). A demo tenant
# and its administrator are created; the address and the password are printed.
#   usage: tests/scripts/aws-local.sh VENV_DIR [PORT]
# Rebuilt functions (cargo build -p <function>) are picked up at their next invocation.
set -euo pipefail
venv=$1
port=${2:-9000}
: "${AWS_ENDPOINT_URL:?run under tests/scripts/with-moto.sh, which gives the address of moto}"

free_port() { "$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'; }
sandbox_port=$(free_port)
functions=(admin-api operator-api avito-webhook oauth-callback router autoreply auto-close live-push live-socket web-interface sign-in-audit)
args=()
for f in "${functions[@]}"; do args+=(-p "$f" --bin "$f"); done
cargo build --quiet "${args[@]}" -p avito-sandbox --bin avito-sandbox -p aws-stack --bin avito-cc-aws-local
target=${CARGO_TARGET_DIR:-target}
SANDBOX_ADDR=127.0.0.1:$sandbox_port SANDBOX_REDIRECT_URI=http://127.0.0.1:$port/avito/oauth/callback \
    "$target/debug/avito-sandbox" >&2 &
sandbox_pid=$!
trap 'kill "$sandbox_pid" 2>/dev/null || true' EXIT

export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-test} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-test}
export AWS_REGION=${AWS_REGION:-us-east-1}
export AWS_LOCAL_PORT=$port AWS_LOCAL_BINARIES=$target/debug
export AWS_LOCAL_DEMO_ADMIN=${AWS_LOCAL_DEMO_ADMIN:-demo:admin@example.com}
export AVITO_API_BASE_URL=http://127.0.0.1:$sandbox_port AVITO_OAUTH_URL=http://127.0.0.1:$sandbox_port/oauth
export RUST_LOG=${RUST_LOG:-info}
echo "Avito sandbox on http://127.0.0.1:$sandbox_port (its control API: /_sandbox/...)" >&2
"$target/debug/avito-cc-aws-local"
