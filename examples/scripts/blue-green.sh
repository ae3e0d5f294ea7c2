#!/usr/bin/env bash
# Blue/green release: two Deployments (version=blue, version=green) and one Service that
# selects version=blue; switch the Service's selector to green with `patch` and check
# that the traffic moved. Exits non-zero when any step fails.
#
#   NODE_PORT=30182 CLEANUP=1 examples/scripts/blue-green.sh
set -euo pipefail

PKUBECTL=${PKUBECTL:-pkubectl}
APP=${APP:-bg}
NODE_PORT=${NODE_PORT:-30182}
TIMEOUT=${TIMEOUT:-120s}
CLEANUP=${CLEANUP:-0}
k() { "$PKUBECTL" "$@"; }

cleanup() {
    if [[ $CLEANUP == 1 ]]; then
        k delete deployment "$APP-blue" "$APP-green" --ignore-not-found >/dev/null
        k delete service "$APP" --ignore-not-found >/dev/null
    fi
}
trap cleanup EXIT

deployment() {  # deployment VERSION: a server that answers with its version
    cat <<YAML
apiVersion: apps/v1
kind: Deployment
metadata:
  name: $APP-$1
spec:
  replicas: 2
  selector:
    matchLabels: {app: $APP, version: $1}
  template:
    metadata:
      labels: {app: $APP, version: $1}
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
                  body = os.environ["VERSION"].encode()
                  self.send_response(200)
                  self.send_header("Content-Length", str(len(body)))
                  self.end_headers()
                  self.wfile.write(body)
              def log_message(self, *args):
                  pass
          http.server.ThreadingHTTPServer((os.environ["POD_IP"], 8080), H).serve_forever()
        env:
        - {name: VERSION, value: $1}
        - name: POD_IP
          valueFrom: {fieldRef: {fieldPath: status.podIP}}
        ports:
        - {name: http, containerPort: 8080}
        readinessProbe:
          httpGet: {path: /, port: http}
          periodSeconds: 1
---
YAML
}

# Every answer of N requests must be $1 within 30 s.
expect_all() {
    local want=$1 got deadline=$((SECONDS + 30)) i ok
    while :; do
        ok=1
        for i in 1 2 3 4 5 6; do
            got=$(curl -fsS --max-time 5 "http://127.0.0.1:$NODE_PORT/" 2>/dev/null || echo "no answer")
            [[ $got == "$want" ]] || { ok=0; break; }
        done
        (( ok )) && { echo "traffic goes to $want"; return 0; }
        if (( SECONDS >= deadline )); then
            echo "blue-green failed: wanted $want, got $got" >&2
            return 1
        fi
        sleep 0.5
    done
}

echo "== deploy blue and green, the Service on blue"
{ deployment blue; deployment green; cat <<YAML; } | k apply -f -
apiVersion: v1
kind: Service
metadata:
  name: $APP
spec:
  type: NodePort
  selector: {app: $APP, version: blue}
  ports:
  - {port: 80, targetPort: http, nodePort: $NODE_PORT}
YAML
k rollout status "deployment/$APP-blue" --timeout="$TIMEOUT"
k rollout status "deployment/$APP-green" --timeout="$TIMEOUT"
expect_all blue

echo "== switch the Service to green"
k patch service "$APP" -p '{"spec":{"selector":{"app":"'"$APP"'","version":"green"}}}'
[[ $(k get service "$APP" -o jsonpath='{.spec.selector.version}') == green ]]
expect_all green

echo "== green is live; blue can be scaled down"
k scale deployment "$APP-blue" --replicas=0
