"""Run one liveness/readiness/startup probe attempt, with the kubelet's result messages.

The kubelet owns timing (initialDelaySeconds, periodSeconds, thresholds) and resolves
named ports; this module runs a single attempt and words the outcome as the kubelet does
in its Unhealthy events, minus the "Liveness probe failed: " prefix the caller adds.
"""

from __future__ import annotations

import os
import subprocess

DEFAULT_TIMEOUT = 1  # timeoutSeconds default
USER_AGENT = "kube-probe/1.37"
BODY_LIMIT = 10 * 1024  # the kubelet reads at most 10 KiB of a probe response


def run_probe(probe: dict, pod_ip: str, exec_env: dict | None = None,
              exec_cwd: str | None = None) -> tuple:
    """(ok, message) for one attempt of ``probe`` (a container probe spec)."""
    timeout = float(probe.get("timeoutSeconds") or DEFAULT_TIMEOUT)
    for kind, runner in PROBE_KINDS.items():
        if probe.get(kind) is not None:
            return runner(probe[kind], pod_ip, timeout, exec_env or {}, exec_cwd)
    return False, "probe has no handler (httpGet, tcpSocket, exec or grpc)"


def _port(spec: dict):
    port = spec.get("port")
    if isinstance(port, int) or (isinstance(port, str) and port.isdigit()):
        return int(port), None
    return None, "port %r is not a number: the caller must resolve named ports" % (port,)


def _dial_error(err: OSError, host: str, port: int, timed_out: bool) -> str:
    if timed_out:
        return "dial tcp %s:%d: i/o timeout" % (host, port)
    reason = os.strerror(err.errno).lower() if err.errno else str(err)
    return "dial tcp %s:%d: connect: %s" % (host, port, reason)


def _http_target(spec: dict, pod_ip: str, timeout: float | None):
    """(connection, host, port, path, headers, url) for an httpGet handler, or (None, problem)
    when its port is unusable; shared by probes and lifecycle hooks."""
    import http.client

    port, problem = _port(spec)
    if problem:
        return None, problem
    host = spec.get("host") or pod_ip
    scheme = str(spec.get("scheme") or "HTTP").upper()
    path = spec.get("path") or "/"
    if not path.startswith("/"):
        path = "/" + path
    url = "%s://%s:%d%s" % (scheme.lower(), host, port, path)
    headers = {"User-Agent": USER_AGENT, "Accept": "*/*"}
    for h in spec.get("httpHeaders") or ():
        headers[h.get("name", "")] = h.get("value", "")
    if scheme == "HTTPS":
        import ssl

        context = ssl._create_unverified_context()  # the kubelet skips verification too
        conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=context)
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout)
    return conn, (host, port, path, headers, url)


def http_get(spec: dict, pod_ip: str, timeout: float, _env=None, _cwd=None) -> tuple:
    import http.client
    import socket

    conn, target = _http_target(spec, pod_ip, timeout)
    if conn is None:
        return False, target
    host, port, path, headers, url = target
    connected = False
    try:
        conn.connect()
        connected = True
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read(BODY_LIMIT)
        code = response.status
    except socket.timeout:
        if connected:
            return False, ('Get "%s": context deadline exceeded (Client.Timeout exceeded while '
                           "awaiting headers)" % url)
        return False, 'Get "%s": %s' % (url, _dial_error(OSError(), host, port, True))
    except OSError as err:
        return False, 'Get "%s": %s' % (url, _dial_error(err, host, port, False))
    except http.client.HTTPException as err:
        return False, 'Get "%s": %s' % (url, err or "malformed HTTP response")
    finally:
        conn.close()
    if 200 <= code < 400:
        return True, ""
    return False, "HTTP probe failed with statuscode: %d" % code


def tcp_socket(spec: dict, pod_ip: str, timeout: float, _env=None, _cwd=None) -> tuple:
    import socket

    port, problem = _port(spec)
    if problem:
        return False, problem
    host = spec.get("host") or pod_ip
    try:
        socket.create_connection((host, port), timeout=timeout).close()
    except socket.timeout as err:
        return False, _dial_error(err, host, port, True)
    except OSError as err:
        return False, _dial_error(err, host, port, False)
    return True, ""


def exec_command(spec: dict, _pod_ip: str, timeout: float, env: dict, cwd) -> tuple:
    """Exit 0 is success; otherwise the kubelet reports the command's output as the message."""
    import signal

    command = [str(a) for a in spec.get("command") or ()]
    if not command:
        return False, "exec probe has no command"
    try:
        proc = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, env=env or None, cwd=cwd or None,
                                start_new_session=True)
    except OSError as err:
        return False, ('OCI runtime exec failed: exec failed: unable to start container process: '
                       'exec: "%s": %s' % (command[0], _exec_reason(err)))
    try:
        output, _ = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except OSError:
            pass
        proc.communicate()
        return False, 'command "%s" timed out' % " ".join(command)
    text = output[:BODY_LIMIT].decode(errors="replace")
    return proc.returncode == 0, text


def _exec_reason(err: OSError) -> str:
    import errno

    if err.errno == errno.ENOENT:
        return "executable file not found in $PATH"
    return os.strerror(err.errno or 0).lower()


def grpc(_spec: dict, _pod_ip: str, _timeout: float, _env=None, _cwd=None) -> tuple:
    return False, "gRPC probes are not supported by pkube; use httpGet, tcpSocket or exec"


PROBE_KINDS = {"httpGet": http_get, "tcpSocket": tcp_socket, "exec": exec_command, "grpc": grpc}


def hook_http_get(spec: dict, pod_ip: str) -> tuple:
    """One lifecycle-hook GET (postStart/preStop httpGet): like the kubelet's handler runner,
    any HTTP response is success (the status code is not judged); only a failed request
    (refused, reset, malformed) fails the hook. No timeout of its own: the kubelet's hook
    has none either (a preStop is cut by the grace period, a postStart holds its container)."""
    import http.client

    conn, target = _http_target(spec, pod_ip, None)
    if conn is None:
        return False, target
    host, port, path, headers, url = target
    try:
        conn.request("GET", path, headers=headers)
        conn.getresponse().read(BODY_LIMIT)
    except OSError as err:
        return False, 'Get "%s": %s' % (url, _dial_error(err, host, port, False))
    except http.client.HTTPException as err:
        return False, 'Get "%s": %s' % (url, err or "malformed HTTP response")
    finally:
        conn.close()
    return True, ""


def main(argv: list) -> int:
    """`python -m pkubelet.runtime.probes hook-http SPEC_JSON POD_IP`: a hook run's process
    (the kubelet launches hooks as runs of their own so that it never waits for them)."""
    import json
    import sys

    if len(argv) != 3 or argv[0] != "hook-http":
        sys.stderr.write("usage: probes hook-http SPEC_JSON POD_IP\n")
        return 2
    ok, message = hook_http_get(json.loads(argv[1]), argv[2])
    if not ok:
        sys.stdout.write(message + "\n")
    return 0 if ok else 1


if __name__ == "__main__":
    import sys

    sys.exit(main(sys.argv[1:]))
