# shellcheck shell=bash
# The Redis Cluster of `deploy/stack.sh up --cluster`: six redis-server processes on loopback,
# three primaries and three replicas, each in .stack/redis-cluster/<port>/ (nodes.conf, AOF,
# redis.log, redis.pid, bus-port). Sourced, never run. Expects ROOT, STACK_DIR, START_TIMEOUT,
# REDIS_PATTERN, the helpers of common.sh and, for redis_cluster_up, cluster_settings (cluster.sh).

REDIS_CLUSTER_DIR=$STACK_DIR/redis-cluster
REDIS_CLUSTER_PRIMARIES=3
REDIS_CLUSTER_SIZE=$((REDIS_CLUSTER_PRIMARIES * 2))

redis_cli_at() {
  local port=$1
  shift
  redis-cli -h 127.0.0.1 -p "$port" "$@" 2>/dev/null | tr -d '\r'
}

# The nodes this stack dir holds (one directory per port), ascending.
redis_cluster_node_ports() {
  [[ -d $REDIS_CLUSTER_DIR ]] || return 0
  local dir name
  for dir in "$REDIS_CLUSTER_DIR"/*/; do
    name=${dir%/}
    name=${name##*/}
    if [[ $name =~ ^[0-9]+$ ]]; then printf '%s\n' "$name"; fi
  done | sort -n
}

redis_node_pid() { read_pid "$REDIS_CLUSTER_DIR/$1/redis.pid"; }
redis_node_running() { pid_alive "$(redis_node_pid "$1")" "$REDIS_PATTERN"; }
redis_cluster_any_running() {
  local port
  for port in $(redis_cluster_node_ports); do redis_node_running "$port" && return 0; done
  return 1
}

# redis_cluster_health PORT...: 0 when every node answers with cluster_state:ok, knows all the
# others, and there are three primaries and three replicas whose links are up; otherwise prints
# why not on stdout.
redis_cluster_health() {
  local port info replication known primaries=0 replicas=0
  for port in "$@"; do
    info=$(redis_cli_at "$port" cluster info) || true
    if [[ -z $info ]]; then
      printf '127.0.0.1:%s does not answer\n' "$port"
      return 1
    fi
    if [[ $info != *cluster_state:ok* ]]; then
      printf '127.0.0.1:%s says %s\n' "$port" "$(grep -m1 '^cluster_state:' <<<"$info" || printf 'no cluster_state')"
      return 1
    fi
    known=$(sed -n 's/^cluster_known_nodes://p' <<<"$info")
    if [[ $known != "$#" ]]; then
      printf '127.0.0.1:%s knows %s of %s nodes\n' "$port" "${known:-?}" "$#"
      return 1
    fi
    replication=$(redis_cli_at "$port" info replication) || true
    case $replication in
    *role:master*) primaries=$((primaries + 1)) ;;
    *role:slave*)
      # A replica that has not finished its first sync cannot take over from its primary yet.
      if [[ $replication != *master_link_status:up* ]]; then
        printf 'replica 127.0.0.1:%s is not in sync with its primary yet\n' "$port"
        return 1
      fi
      replicas=$((replicas + 1))
      ;;
    *)
      printf '127.0.0.1:%s does not say its role\n' "$port"
      return 1
      ;;
    esac
  done
  if ((primaries != REDIS_CLUSTER_PRIMARIES || replicas != REDIS_CLUSTER_SIZE - REDIS_CLUSTER_PRIMARIES)); then
    printf '%s primaries and %s replicas (want %s and %s)\n' "$primaries" "$replicas" \
      "$REDIS_CLUSTER_PRIMARIES" "$((REDIS_CLUSTER_SIZE - REDIS_CLUSTER_PRIMARIES))"
    return 1
  fi
}

# redis_node_role PORT: "primary|slots 0-5460" or "replica|of 127.0.0.1:17001", from the node's
# own line of CLUSTER NODES.
redis_node_role() {
  redis_cli_at "$1" cluster nodes | awk '
    { addr[$1] = $2; sub(/@.*/, "", addr[$1]) }
    $3 ~ /myself/ { flags = $3; master = $4; slots = ""; for (i = 9; i <= NF; i++) slots = slots (slots ? "," : "") $i }
    END {
      if (flags ~ /master/) printf "primary|slots %s\n", (slots ? slots : "none")
      else if (flags ~ /slave/) printf "replica|of %s\n", (master in addr ? addr[master] : master)
      else printf "unknown|%s\n", flags
    }'
}

redis_cluster_start_node() {
  local port=$1 bus=$2 dir=$REDIS_CLUSTER_DIR/$1
  mkdir -p "$dir"
  printf '%s\n' "$bus" >"$dir/bus-port"
  rm -f "$dir/redis.pid"
  # As the single Redis (appendfsync always: offsets are committed to Kafka only after the Redis
  # step is on disk; PITFALLS.md item 1), plus the cluster settings. cluster-port is set rather
  # than left at port + 10000, which is past 65535 for a port the kernel handed out.
  if ! redis-server --bind 127.0.0.1 --port "$port" --protected-mode yes \
    --dir "$dir" --appendonly yes --appendfsync always --save '' \
    --cluster-enabled yes --cluster-config-file "$dir/nodes.conf" --cluster-port "$bus" \
    --cluster-node-timeout "$REDIS_CLUSTER_NODE_TIMEOUT" \
    --daemonize yes --pidfile "$dir/redis.pid" --logfile "$dir/redis.log" >&2 9>&-; then
    show_log_tail "$dir/redis.log"
    die "redis-server (cluster node 127.0.0.1:$port) failed to start; see $dir/redis.log"
  fi
}

# Checks a cluster named by REDIS_CLUSTER_NODES (host:port,...): each node says cluster_state:ok.
# redis-cli reads a password from REDISCLI_AUTH.
redis_cluster_check_external() {
  local node host port deadline=$((SECONDS + START_TIMEOUT)) nodes
  IFS=',' read -r -a nodes <<<"$REDIS_CLUSTER_NODES"
  for node in "${nodes[@]}"; do
    [[ $node =~ ^([^:]+):([0-9]+)$ ]] || die "REDIS_CLUSTER_NODES must be host:port,host:port,..., got '$REDIS_CLUSTER_NODES'"
  done
  for node in "${nodes[@]}"; do
    host=${node%:*} port=${node##*:}
    until redis-cli -h "$host" -p "$port" cluster info 2>/dev/null | grep -q '^cluster_state:ok'; do
      ((SECONDS < deadline)) || die "the Redis Cluster node $node of REDIS_CLUSTER_NODES does not answer cluster_state:ok"
      sleep 0.5
    done
  done
}

# Starts the nodes that do not run (all of them the first time), creates the cluster when the
# nodes are new, and waits until it is healthy. Sets NODES (host:port,...).
redis_cluster_up() {
  if [[ -n ${REDIS_CLUSTER_NODES:-} ]]; then
    say "REDIS_CLUSTER_NODES is set: using the Redis Cluster at $REDIS_CLUSTER_NODES (not starting one)"
    redis_cluster_check_external
    NODES=$REDIS_CLUSTER_NODES
    return 0
  fi
  require_redis_server

  local ports=() buses=() port i
  mapfile -t ports < <(redis_cluster_node_ports)
  if ((${#ports[@]} == 0)); then
    local wanted=() chosen=()
    for ((i = 0; i < REDIS_CLUSTER_SIZE; i++)); do wanted+=("$((REDIS_CLUSTER_BASE_PORT + i))"); done
    for ((i = 0; i < REDIS_CLUSTER_SIZE; i++)); do
      port=$((REDIS_CLUSTER_BASE_PORT + 10000 + i))
      ((port <= 65535)) || port=0
      wanted+=("$port")
    done
    mapfile -t chosen < <(free_ports "${wanted[@]}")
    ((${#chosen[@]} == REDIS_CLUSTER_SIZE * 2)) || die "could not find $((REDIS_CLUSTER_SIZE * 2)) free ports for the Redis Cluster"
    ports=("${chosen[@]:0:REDIS_CLUSTER_SIZE}")
    buses=("${chosen[@]:REDIS_CLUSTER_SIZE}")
  elif ((${#ports[@]} != REDIS_CLUSTER_SIZE)); then
    die "$REDIS_CLUSTER_DIR holds ${#ports[@]} nodes, not $REDIS_CLUSTER_SIZE: run 'bash deploy/stack.sh down --purge' and up --cluster again"
  else
    for port in "${ports[@]}"; do
      buses+=("$(cat "$REDIS_CLUSTER_DIR/$port/bus-port" 2>/dev/null || true)")
    done
  fi

  local addresses=() listed
  for port in "${ports[@]}"; do addresses+=("127.0.0.1:$port"); done
  listed=$(
    IFS=,
    printf '%s' "${addresses[*]}"
  )

  local started=0
  for i in "${!ports[@]}"; do
    port=${ports[i]}
    if redis_node_running "$port"; then continue; fi
    # The nodes know each other by address (nodes.conf): a restarted node must get its old ports.
    [[ ${buses[i]} =~ ^[0-9]+$ ]] || die "$REDIS_CLUSTER_DIR/$port/bus-port is missing: run 'bash deploy/stack.sh down --purge' and up --cluster again"
    if [[ $(free_ports "$port" "${buses[i]}" | tr '\n' ' ') != "$port ${buses[i]} " ]]; then
      die "port $port or its cluster bus port ${buses[i]} is taken by another process; free it, or run 'bash deploy/stack.sh down --purge' for a new cluster"
    fi
    redis_cluster_start_node "$port" "${buses[i]}"
    started=$((started + 1))
  done
  if ((started > 0)); then
    say "started $started of $REDIS_CLUSTER_SIZE Redis Cluster nodes ($(redis-server --version | sed -E -n 's/.*v=([^ ]+).*/\1/p'), appendfsync always) on $listed, logs ${REDIS_CLUSTER_DIR#"$ROOT"/}/<port>/redis.log"
  fi

  local deadline=$((SECONDS + START_TIMEOUT))
  for port in "${ports[@]}"; do
    until [[ $(redis_cli_at "$port" ping) == PONG ]]; do
      if ((SECONDS >= deadline)); then
        show_log_tail "$REDIS_CLUSTER_DIR/$port/redis.log"
        die "Redis Cluster node 127.0.0.1:$port did not answer within ${START_TIMEOUT}s; see $REDIS_CLUSTER_DIR/$port/redis.log"
      fi
      sleep 0.1
    done
  done

  # New nodes know only themselves and serve no slot; a cluster restarted from its nodes.conf files
  # finds itself again and must not be created twice.
  local fresh=1
  for port in "${ports[@]}"; do
    if [[ $(redis_cli_at "$port" cluster info | sed -n 's/^cluster_known_nodes://p') != 1 ]]; then fresh=0; fi
  done
  if ((fresh)); then
    say "creating the Redis Cluster: redis-cli --cluster create (3 primaries, 3 replicas)"
    if ! redis-cli --cluster create "${addresses[@]}" --cluster-replicas 1 --cluster-yes \
      >"$REDIS_CLUSTER_DIR/create.log" 2>&1 9>&-; then
      show_log_tail "$REDIS_CLUSTER_DIR/create.log"
      die "redis-cli --cluster create failed; see $REDIS_CLUSTER_DIR/create.log"
    fi
  fi

  local why=''
  until why=$(redis_cluster_health "${ports[@]}"); do
    if ((SECONDS >= deadline)); then
      die "the Redis Cluster is not healthy after ${START_TIMEOUT}s: $why (logs under $REDIS_CLUSTER_DIR; 'bash deploy/stack.sh down --purge' starts afresh)"
    fi
    sleep 0.3
  done
  NODES=$listed
  if ((started > 0)); then
    say "Redis Cluster is up: cluster_state:ok on all $REDIS_CLUSTER_SIZE nodes"
  else
    say "Redis Cluster already running ($NODES)"
  fi
}

# Stops every node of the cluster (SIGTERM: each flushes its AOF and exits). Together, so that no
# replica outlives its primary long enough to be promoted in its place.
redis_cluster_down() {
  local port pids=() ports=()
  mapfile -t ports < <(redis_cluster_node_ports)
  for port in "${ports[@]}"; do pids+=("$(redis_node_pid "$port")"); done
  stop_pids "$REDIS_PATTERN" "the Redis Cluster" 30 "${pids[@]}"
  for port in "${ports[@]}"; do rm -f "$REDIS_CLUSTER_DIR/$port/redis.pid"; done
}

# One status line per node; returns 3 when one does not answer or the cluster is unhealthy.
redis_cluster_status() {
  local ok=0 port pid ports=() why role
  mapfile -t ports < <(redis_cluster_node_ports)
  if ((${#ports[@]} == 0)); then
    printf 'redis  stopped  (no cluster in %s)\n' "$REDIS_CLUSTER_DIR"
    return 3
  fi
  for port in "${ports[@]}"; do
    pid=$(redis_node_pid "$port")
    if ! redis_node_running "$port"; then
      printf 'redis  stopped   127.0.0.1:%s\n' "$port"
      ok=3
    elif [[ $(redis_cli_at "$port" ping) == PONG ]]; then
      role=$(redis_node_role "$port")
      printf 'redis  %s  127.0.0.1:%s  pid %s  %s  logs %s\n' "${role%%|*}" "$port" "$pid" "${role#*|}" \
        "$REDIS_CLUSTER_DIR/$port/redis.log"
    else
      printf 'redis  unhealthy 127.0.0.1:%s  pid %s  logs %s\n' "$port" "$pid" "$REDIS_CLUSTER_DIR/$port/redis.log"
      ok=3
    fi
  done
  if why=$(redis_cluster_health "${ports[@]}"); then
    printf 'redis  cluster   cluster_state:ok on %s nodes, %s primaries with replicas in sync\n' \
      "${#ports[@]}" "$REDIS_CLUSTER_PRIMARIES"
  else
    printf 'redis  cluster   NOT healthy: %s\n' "$why"
    ok=3
  fi
  return "$ok"
}
