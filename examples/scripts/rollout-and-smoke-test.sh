#!/usr/bin/env bash
# Deploy, wait for the rollout, and smoke-test the app through its Service, the way a CI
# job does it with kubectl: every step's exit code decides; any failure exits non-zero.
#
#   examples/scripts/rollout-and-smoke-test.sh            # uses the current context
#   NODE_PORT=30181 NAME=smoke CLEANUP=1 examples/scripts/rollout-and-smoke-test.sh
#
# PKUBECTL picks the binary (default: pkubectl; `kubectl` works the same on a real cluster).
set -euo pipefail

PKUBECTL=${PKUBECTL:-pkubectl}
NAME=${NAME:-smoke}
NODE_PORT=${NODE_PORT:-30181}
TIMEOUT=${TIMEOUT:-120s}
CLEANUP=${CLEANUP:-0}
k() { "$PKUBECTL" "$@"; }

cleanup() {
    if [[ $CLEANUP == 1 ]]; then
        k delete deployment "$NAME" --ignore-not-found >/dev/null
        k delete service "$NAME" --ignore-not-found >/dev/null
    fi
}
trap cleanup EXIT

echo "== apply"
k apply -f - <<YAML
apiVersion: apps/v1
kind: Deployment
metadata:
  name: $NAME
  labels: {app: $NAME}
spec:
  replicas: 2
  selector:
    matchLabels: {app: $NAME}
  template:
    metadata:
      labels: {app: $NAME}
    spec:
      containers:
      - name: web
        image: python:3.12-slim
        command: ["python3", "-c"]
        args:
        - |
          import http.server, os
          class H(http.server.BaseHTTPRequestHandler):
              def do_GET(self):
                  body = ("ok " + os.environ["POD_NAME"] + "\n").encode()
                  self.send_response(200)
                  self.send_header("Content-Length", str(len(body)))
                  self.end_headers()
                  self.wfile.write(body)
              def log_message(self, *args):
                  pass
          http.server.ThreadingHTTPServer((os.environ["POD_IP"], 8080), H).serve_forever()
        env:
        - name: POD_NAME
          valueFrom: {fieldRef: {fieldPath: metadata.name}}
        - name: POD_IP
          valueFrom: {fieldRef: {fieldPath: status.podIP}}
        ports:
        - {name: http, containerPort: 8080}
        readinessProbe:
          httpGet: {path: /, port: http}
          periodSeconds: 1
---
apiVersion: v1
kind: Service
metadata:
  name: $NAME
spec:
  type: NodePort
  selector: {app: $NAME}
  ports:
  - {port: 80, targetPort: http, nodePort: $NODE_PORT}
YAML

echo "== rollout status"
k rollout status "deployment/$NAME" --timeout="$TIMEOUT"

port=$(k get service "$NAME" -o jsonpath='{.spec.ports[0].nodePort}')
ready=$(k get deployment "$NAME" -o jsonpath='{.status.readyReplicas}')
echo "== $ready ready replicas; smoke test http://127.0.0.1:$port/"
[[ $ready == 2 ]] || { echo "smoke test failed: $ready ready replicas, want 2" >&2; exit 1; }

# The Service may need a moment to pick up the endpoints: retry for up to 30 s.
deadline=$((SECONDS + 30))
until body=$(curl -fsS --max-time 5 "http://127.0.0.1:$port/" 2>/dev/null) && [[ $body == "ok $NAME-"* ]]; do
    if (( SECONDS >= deadline )); then
        echo "smoke test failed: no good answer from http://127.0.0.1:$port/ (last: ${body:-none})" >&2
        exit 1
    fi
    sleep 0.5
done
echo "smoke test passed: $body"
