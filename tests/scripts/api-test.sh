#!/usr/bin/env bash
# Schemathesis against the local server: every check (tests/schemathesis.toml says the few
# exceptions and why), as an administrator and as an operator, with a chatbot's token for the
# chatbot API. The server runs on a free loopback port with a fresh data directory and its own
# tokens, and is stopped afterwards whatever the outcome. Any failure fails the script.
#   usage: tests/scripts/api-test.sh VENV_DIR SERVER_BINARY
# ST_SEED fixes the seed (printed either way, to reproduce a failure); ST_MAX_EXAMPLES (default
# 40) and ST_MAX_TIME (seconds per role, default 60) bound each run.
set -euo pipefail
venv=$1
server=$2
root=$(cd "$(dirname "$0")/../.." && pwd)
[[ -x $venv/bin/st ]] || { echo "schemathesis is not installed in $venv (run: make $venv/bin/st)" >&2; exit 2; }
[[ -x $server ]] || { echo "no server binary at $server" >&2; exit 2; }

seed=${ST_SEED:-$(( (RANDOM << 15) | RANDOM ))}
max_examples=${ST_MAX_EXAMPLES:-40}
max_time=${ST_MAX_TIME:-60}
# Tokens of this run only (the local server wants 12 characters or more).
admin_token="st-admin-$RANDOM$RANDOM$RANDOM"
operator_token="st-operator-$RANDOM$RANDOM$RANDOM"

data=$(mktemp -d -t api-test.XXXXXX)
log="$data/server.log"
LOCAL_ADDR=127.0.0.1:0 LOCAL_DATA_DIR="$data" \
    LOCAL_API_TOKENS="$admin_token:acme:anna:admin,$operator_token:acme:boris:operator" \
    "$server" >"$log" 2>&1 &
server_pid=$!
stop_server() {
    kill "$server_pid" 2>/dev/null || true
    wait "$server_pid" 2>/dev/null || true
    rm -rf "$data"
}
trap stop_server EXIT

base=
for _ in $(seq 1 100); do
    base=$(sed -n 's/.*listening on \(http:[^ ]*\).*/\1/p' "$log" | head -n 1)
    [[ -n $base ]] && break
    if ! kill -0 "$server_pid" 2>/dev/null; then
        echo "the server failed to start:" >&2
        cat "$log" >&2
        exit 1
    fi
    sleep 0.1
done
[[ -n $base ]] || { echo "the server did not say where it listens:" >&2; cat "$log" >&2; exit 1; }

# A chatbot and its API token, for the chatbot API's operations.
json_field() { "$venv/bin/python" -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
bot_id=$(curl -sf -H "Authorization: Bearer $admin_token" "$base/v1/chatbots" \
    -d '{"name":"Бот","url":"https://bot.example.com/events","signing_secret":"api-test-signing-secret"}' | json_field id)
bot_token=$(curl -sf -X POST -H "Authorization: Bearer $admin_token" "$base/v1/chatbots/$bot_id/api-token" | json_field api_token)

echo "schemathesis against $base, seed $seed (ST_SEED=$seed reproduces it)"
status=0
for role in admin operator; do
    token=${role}_token
    echo "--- as $role"
    ST_TOKEN=${!token} ST_BOT_TOKEN=$bot_token "$venv/bin/st" --config-file "$root/tests/schemathesis.toml" run \
        "$base/openapi.json" --seed "$seed" --max-examples "$max_examples" --max-time "$max_time" \
        --workers 1 --no-color || status=1
done
exit $status
