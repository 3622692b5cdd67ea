# shellcheck shell=bash
# Cluster mode of deploy/stack.sh (`up --cluster`, or STACK_CLUSTER=on): a Redis Cluster of three
# primaries and three replicas (redis-cluster.sh) and a three-broker KRaft Kafka (kafka-cluster.sh)
# instead of one Redis and one broker; the schema registry is the same. Sourced, never run.
# Expects what redis-cluster.sh and kafka-cluster.sh expect, and write_env (stack.sh).

# Written by `up --cluster`, removed by a full `down`: tells status which stack this dir holds.
CLUSTER_MARKER=$STACK_DIR/cluster

# STACK_CLUSTER: on or off (default off), checked before anything starts.
cluster_requested() {
  case ${STACK_CLUSTER:-off} in
  on | 1 | true | yes) return 0 ;;
  off | 0 | false | no) return 1 ;;
  *) die "STACK_CLUSTER must be on or off, got '${STACK_CLUSTER}'" ;;
  esac
}

# The stack dir holds a cluster (running or not), or the caller asked for one.
cluster_mode() { [[ -f $CLUSTER_MARKER ]] || cluster_requested; }
cluster_running() { redis_cluster_any_running || kafka_cluster_any_running; }

# port_base VAR DEFAULT SPAN: the first preferred port from VAR, with room for SPAN ports.
port_base() {
  local name=$1 default=$2 span=$3 value
  value=${!name:-$default}
  if [[ ! $value =~ ^[0-9]+$ ]] || ((value < 1024 || value + span - 1 > 65535)); then
    die "$name must be a port from 1024 to $((65535 - span + 1)) (the first of $span), got '$value'"
  fi
  printf '%s\n' "$value"
}

# Reads and checks the cluster's settings once, before anything starts.
cluster_settings() {
  # shellcheck disable=SC2034 # read by redis-cluster.sh and kafka-cluster.sh
  REDIS_CLUSTER_BASE_PORT=$(port_base REDIS_CLUSTER_PORT 17000 "$REDIS_CLUSTER_SIZE")
  # shellcheck disable=SC2034
  KAFKA_CLUSTER_BASE_PORT=$(port_base KAFKA_CLUSTER_PORT 19192 "$((${#KAFKA_CLUSTER_NODES[@]} * 2))")
  KAFKA_CLUSTER_HEAP=${KAFKA_CLUSTER_HEAP:-512m}
  [[ $KAFKA_CLUSTER_HEAP =~ ^[1-9][0-9]*[kKmMgG]$ ]] || die "KAFKA_CLUSTER_HEAP must be a JVM size such as 512m or 1g, got '$KAFKA_CLUSTER_HEAP'"
  # How long a primary may be unreachable before its replica is promoted (Redis's default: 15 s).
  REDIS_CLUSTER_NODE_TIMEOUT=${REDIS_CLUSTER_NODE_TIMEOUT:-5000}
  if [[ ! $REDIS_CLUSTER_NODE_TIMEOUT =~ ^[0-9]+$ ]] || ((REDIS_CLUSTER_NODE_TIMEOUT < 500)); then
    die "REDIS_CLUSTER_NODE_TIMEOUT must be milliseconds, at least 500, got '$REDIS_CLUSTER_NODE_TIMEOUT'"
  fi
}

cluster_up() {
  cluster_settings
  if kafka_running || redis_running; then
    die "the single-node stack runs in $STACK_DIR: run 'bash deploy/stack.sh down' first (or give the cluster its own VALUESTREAM_STACK_DIR)"
  fi
  if [[ -n ${REDIS_URL:-} ]]; then
    warn "REDIS_URL is set but a cluster has no single Redis URL: it is ignored (REDIS_CLUSTER_NODES names an existing cluster)"
  fi
  local started=$SECONDS
  touch "$CLUSTER_MARKER"
  BROKERS='' NODES='' REGISTRY_URL=''
  redis_cluster_up
  kafka_cluster_up
  registry_up
  say "creating topics (replication factor ${TOPIC_REPLICATION_FACTOR:-3})"
  (cd "$ROOT" && KAFKA_BROKERS=$BROKERS TOPIC_REPLICATION_FACTOR=${TOPIC_REPLICATION_FACTOR:-3} \
    node_modules/.bin/tsx shared/kafka/create-topics-cli.ts) >&2 ||
    die "creating topics on $BROKERS failed (see above)"
  rm -f "$ENV_FILE"
  write_env "KAFKA_BROKERS=$BROKERS" "REDIS_CLUSTER_NODES=$NODES" "SCHEMA_REGISTRY_URL=$REGISTRY_URL"
  say "cluster is up in $((SECONDS - started))s: KAFKA_BROKERS=$BROKERS REDIS_CLUSTER_NODES=$NODES${REGISTRY_URL:+ SCHEMA_REGISTRY_URL=$REGISTRY_URL} (${ENV_FILE#"$ROOT"/})"
}

cluster_status() {
  local ok=0
  if [[ -n ${KAFKA_BROKERS:-} ]]; then
    if kafka_wait "$KAFKA_BROKERS" 5 >/dev/null 2>&1; then
      printf 'kafka  external  %s  answering\n' "$KAFKA_BROKERS"
    else
      printf 'kafka  external  %s  NOT answering\n' "$KAFKA_BROKERS"
      ok=3
    fi
  else
    kafka_cluster_status || ok=3
  fi
  if [[ -n ${REDIS_CLUSTER_NODES:-} ]]; then
    if (START_TIMEOUT=5 redis_cluster_check_external) 2>/dev/null; then
      printf 'redis  external  %s  cluster_state:ok\n' "$REDIS_CLUSTER_NODES"
    else
      printf 'redis  external  %s  NOT answering cluster_state:ok\n' "$REDIS_CLUSTER_NODES"
      ok=3
    fi
  else
    redis_cluster_status || ok=3
  fi
  registry_status || ok=3
  status_env_line "$ok" 'bash deploy/stack.sh up --cluster'
  return "$ok"
}

# The cluster's log files that exist (for `logs`): kafka, redis or all.
cluster_log_files() {
  local which=$1 n port
  if [[ $which == all || $which == kafka ]]; then
    for n in "${KAFKA_CLUSTER_NODES[@]}"; do
      printf '%s\n' "$KAFKA_CLUSTER_DIR/$n/logs/server.log" "$KAFKA_CLUSTER_DIR/$n/logs/controller.log"
    done
  fi
  if [[ $which == all || $which == redis ]]; then
    for port in $(redis_cluster_node_ports); do printf '%s\n' "$REDIS_CLUSTER_DIR/$port/redis.log"; done
  fi
}
