"""The container runtime: pkube's containerd + conmon, with no knowledge of the API store.

The kubelet calls it with plain dicts and paths. One module per concept, imported lazily
by whoever needs it (nothing is imported here, so `import pkubelet.runtime` costs nothing):

- images   image name -> local ENTRYPOINT/CMD (built-in table + user images.yaml)
- command  Kubernetes command/args rules and $(VAR) expansion
- process  start/status/stop/adopt container runs through the shim (shim.c, shim.py)
- logs     read and follow CRI-format log files
- probes   one httpGet/tcpSocket/exec probe attempt, with the kubelet's messages
- exec     kubectl exec: a command in a container's env and working directory
"""
