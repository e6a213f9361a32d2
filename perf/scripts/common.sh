# Shared by the benchmark scripts: jar locations and a switch started by this shell, by PID.
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
VCCP_JAR=${VCCP_JAR:-$ROOT/vccp-cli/target/vccp.jar}
PERF_JAR=${PERF_JAR:-$ROOT/perf/target/vccp-perf.jar}

# start_switch DIR NPORTS [switch args...]: sets SW (pid); ports pN listen on DIR/pN.sock.
start_switch() {
  local dir=$1 n=$2 i
  shift 2
  local args=()
  for i in $(seq 0 $((n - 1))); do args+=(--port "p$i,listen=unix:$dir/p$i.sock"); done
  VCCP_RUNTIME_DIR=$dir java ${SWITCH_JVM_OPTS:-} -jar "$VCCP_JAR" switch "${args[@]}" \
    --control "$dir/ctl.sock" "$@" > "$dir/switch.log" 2>&1 &
  SW=$!
  await_sockets switch "$dir/switch.log" "$dir/p$((n - 1)).sock" "$dir/ctl.sock"
}

# start_hub DIR NPORTS: QEMU's own hub (binary: $QEMU, default qemu-system-x86_64) with the
# same sockets as start_switch; sets SW (pid).
start_hub() {
  local dir=$1 n=$2 i
  local args=(-machine none -nodefaults -display none)
  for i in $(seq 0 $((n - 1))); do
    args+=(-netdev "stream,id=p$i,server=on,addr.type=unix,addr.path=$dir/p$i.sock")
    args+=(-netdev "hubport,id=h$i,hubid=0,netdev=p$i")
  done
  "${QEMU:-qemu-system-x86_64}" "${args[@]}" > "$dir/hub.log" 2>&1 &
  SW=$!
  await_sockets QEMU "$dir/hub.log" "$dir/p$((n - 1)).sock"
}

# await_sockets NAME LOG PATH...: waits up to 30 s for every PATH to be a socket while $SW runs.
await_sockets() {
  local name=$1 log=$2 i p ready
  shift 2
  for i in $(seq 1 300); do
    ready=1
    for p in "$@"; do [ -S "$p" ] || ready=0; done
    [ $ready = 1 ] && return 0
    kill -0 "$SW" 2> /dev/null || { echo "$name exited; see $log" >&2; return 1; }
    sleep 0.1
  done
  echo "$name did not bind its sockets within 30 s; see $log" >&2
  return 1
}

# socket_args DIR NPORTS: --socket options for loadgen --peer external.
socket_args() {
  local i
  for i in $(seq 0 $(($2 - 1))); do printf -- '--socket\n%s\n' "$1/p$i.sock"; done
}

stop_switch() {
  kill "$SW" 2> /dev/null
  wait "$SW" 2> /dev/null || true
  return 0
}
