#!/usr/bin/env bash
# Helpers for the pkubectl command suite, in the style of Kubernetes' test/cmd
# (hack/lib/test.sh), written afresh. Source it from a suite script, then call
# kube::test::run_suite NAME FUNCTIONS...; each test function drives `kubectl`
# (pkubectl here) and asserts with jsonpath. The first failed assertion stops the
# suite with exit 1 and says where.
set -o errexit -o nounset -o pipefail

PKUBECTL=${PKUBECTL:-pkubectl}
kubectl() { "$PKUBECTL" "$@"; }

# -- logging -----------------------------------------------------------------------
kube::log::status() { echo "+++ $*"; }
kube::log::error() { echo "!!! $*" >&2; }

kube::test::fail() {
    kube::log::error "FAIL: $*"
    local i
    for (( i = 1; i < ${#FUNCNAME[@]} - 1; i++ )); do
        kube::log::error "    at ${FUNCNAME[$i]} (${BASH_SOURCE[$i]}:${BASH_LINENO[$((i - 1))]})"
    done
    exit 1
}

# -- assertions -----------------------------------------------------------------------

# kube::test::get_object_assert TYPE NAME JSONPATH EXPECTED [kubectl args...]
# NAME may be empty (a list: JSONPATH applies to the List). EXPECTED is matched exactly.
kube::test::get_object_assert() {
    local type=$1 name=$2 jsonpath=$3 expected=$4
    shift 4
    local args=("$type")
    [[ -n $name ]] && args+=("$name")
    local got
    got=$(kubectl get "${args[@]}" "$@" -o jsonpath="$jsonpath" 2>&1) || true
    if [[ $got != "$expected" ]]; then
        kube::test::fail "get ${args[*]} $* -o jsonpath='$jsonpath': expected '$expected', got '$got'"
    fi
    echo "ok: get ${args[*]} $jsonpath == '$expected'"
}

# kube::test::wait_object_assert TYPE NAME JSONPATH EXPECTED [TIMEOUT_SECONDS]
# The same, polling until it holds (controllers work in the background).
kube::test::wait_object_assert() {
    local type=$1 name=$2 jsonpath=$3 expected=$4 timeout=${5:-60}
    local deadline=$((SECONDS + timeout)) got args=("$type")
    [[ -n $name ]] && args+=("$name")
    while :; do
        got=$(kubectl get "${args[@]}" -o jsonpath="$jsonpath" 2>&1) || true
        if [[ $got == "$expected" ]]; then
            echo "ok: get ${args[*]} $jsonpath == '$expected'"
            return 0
        fi
        if (( SECONDS >= deadline )); then
            kube::test::fail "after ${timeout}s: get ${args[*]} -o jsonpath='$jsonpath': expected '$expected', got '$got'"
        fi
        sleep 0.2
    done
}

# kube::test::if_has_string OUTPUT STRING
kube::test::if_has_string() {
    if [[ $1 != *"$2"* ]]; then
        kube::test::fail "expected to find '$2' in: $1"
    fi
    echo "ok: has '$2'"
}

# kube::test::if_has_not_string OUTPUT STRING
kube::test::if_has_not_string() {
    if [[ $1 == *"$2"* ]]; then
        kube::test::fail "did not expect '$2' in: $1"
    fi
    echo "ok: has not '$2'"
}

# kube::test::expect_failure OUTPUT_VAR COMMAND...: the command must exit non-zero with
# nothing on stdout; its stderr is stored in the caller's OUTPUT_VAR.
kube::test::expect_failure() {
    # names prefixed so that they cannot shadow the caller's variable
    local __kt_var=$1
    shift
    local __kt_out __kt_err __kt_rc=0 __kt_file
    __kt_file=$(mktemp)
    __kt_out=$("$@" 2>"$__kt_file") || __kt_rc=$?
    __kt_err=$(<"$__kt_file")
    rm -f "$__kt_file"
    if (( __kt_rc == 0 )); then
        kube::test::fail "expected '$*' to fail; it succeeded with: $__kt_out"
    fi
    if [[ -n $__kt_out ]]; then
        kube::test::fail "'$*' failed but wrote to stdout: $__kt_out"
    fi
    printf -v "$__kt_var" '%s' "$__kt_err"
    echo "ok: '$*' failed (rc $__kt_rc)"
}

# kube::test::run_suite NAME FUNCTION...
kube::test::run_suite() {
    local suite=$1 t
    shift
    : "${PKUBE_HOME:?set PKUBE_HOME to a fresh state dir}"
    for t in "$@"; do
        kube::log::status "$suite: $t"
        "$t"
    done
    kube::log::status "$suite: all ${#} tests passed"
}
