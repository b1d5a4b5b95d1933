#!/usr/bin/env bash
# Runs a command with moto (DynamoDB, SQS, Scheduler) serving on a free loopback port, and stops
# moto afterwards whatever the command's outcome. Exports the AWS_* variables the SDK reads.
#   usage: tests/scripts/with-moto.sh VENV_DIR command [args...]
set -euo pipefail
venv=$1
shift
[[ -x $venv/bin/moto_server ]] || { echo "moto is not installed in $venv (run: make venv)" >&2; exit 2; }

port=$("$venv/bin/python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')
log=$(mktemp -t moto.XXXXXX.log)
# moto_server.py says why DynamoDB calls are served one at a time.
"$venv/bin/python" "$(dirname "$0")/moto_server.py" 127.0.0.1 "$port" >"$log" 2>&1 &
moto_pid=$!
stop_moto() {
    kill "$moto_pid" 2>/dev/null || true
    wait "$moto_pid" 2>/dev/null || true
    rm -f "$log"
}
trap stop_moto EXIT

for _ in $(seq 1 100); do
    if "$venv/bin/python" -c "import urllib.request,sys; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/', timeout=1)" 2>/dev/null; then
        break
    fi
    if ! kill -0 "$moto_pid" 2>/dev/null; then
        echo "moto failed to start:" >&2
        cat "$log" >&2
        exit 1
    fi
    sleep 0.1
done

export AWS_ENDPOINT_URL="http://127.0.0.1:$port"
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN
echo "moto serving on $AWS_ENDPOINT_URL" >&2
"$@"
