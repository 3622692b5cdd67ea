#!/usr/bin/env bash
# The local Kafka + Redis + schema registry stack, without Docker.
#
#   bash deploy/stack.sh up [schema-registry]
#                                 start Kafka (KRaft, one node), Redis and the schema registry,
#                                 create the topics (schema-registry: only the registry)
#   bash deploy/stack.sh up --cluster   (or STACK_CLUSTER=on) the same with a Redis Cluster (3
#                                 primaries + 3 replicas) and three Kafka brokers, replication 3
#   bash deploy/stack.sh status [schema-registry]
#                                 what runs where, every cluster node too (exit 0 when all answer, 3 otherwise)
#   bash deploy/stack.sh env      print .stack/env (KAFKA_BROKERS=..., REDIS_URL=..., SCHEMA_REGISTRY_URL=...)
#   bash deploy/stack.sh logs [kafka|redis|schema-registry] [-f]
#   bash deploy/stack.sh down [kafka|redis|schema-registry] [--purge]
#                                 stop all or one (--purge also deletes their data)
#
# State lives in .stack/ (git-ignored): data, logs, pid files and .stack/env. Kafka runs from
# Maven Central jars cached in .cache/kafka/<version>/libs, the registry (Apicurio, in memory) from
# a build cached in .cache/schema-registry/<version>. If KAFKA_BROKERS, REDIS_URL or
# SCHEMA_REGISTRY_URL is set, that service is not started, only checked; STACK_SCHEMA_REGISTRY=off
# starts no registry. Details: deploy/README.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=deploy/lib/common.sh
source "$ROOT/deploy/lib/common.sh"

# The Kafka version is the <kafka.version> of deploy/kafka/pom.xml (KAFKA_VERSION overrides it).
KAFKA_VERSION=${KAFKA_VERSION:-$(sed -n -E 's|.*<kafka.version>([^<]+)</kafka.version>.*|\1|p' "$ROOT/deploy/kafka/pom.xml")}
[[ -n $KAFKA_VERSION ]] || die "cannot read <kafka.version> from deploy/kafka/pom.xml"
STACK_DIR=${VALUESTREAM_STACK_DIR:-$ROOT/.stack}
KAFKA_DIR=$STACK_DIR/kafka
REDIS_DIR=$STACK_DIR/redis
ENV_FILE=$STACK_DIR/env
KAFKA_LIBS=$ROOT/.cache/kafka/$KAFKA_VERSION/libs
KAFKA_HEAP=${KAFKA_HEAP:-1G}
KAFKA_PREFERRED_PORT=${KAFKA_PORT:-19092}
REDIS_PREFERRED_PORT=${REDIS_PORT:-16379}
START_TIMEOUT=${STACK_START_TIMEOUT:-90}
# Kafka's own default (3 s): group members started together join one rebalance instead of the
# first taking every partition, fetching ahead, and handing half over. Tests set 0 (they join
# and leave groups all the time).
GROUP_INITIAL_REBALANCE_DELAY_MS=${KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS:-3000}
[[ $GROUP_INITIAL_REBALANCE_DELAY_MS =~ ^[0-9]+$ ]] ||
  die "KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS must be a whole number of milliseconds, not '$GROUP_INITIAL_REBALANCE_DELAY_MS'"

KAFKA_PATTERN='kafka.Kafka'
# shellcheck source=deploy/lib/schema-registry.sh
source "$ROOT/deploy/lib/schema-registry.sh"
REDIS_PATTERN='redis-server'
# shellcheck source=deploy/lib/redis-cluster.sh
source "$ROOT/deploy/lib/redis-cluster.sh"
# shellcheck source=deploy/lib/kafka-cluster.sh
source "$ROOT/deploy/lib/kafka-cluster.sh"
# shellcheck source=deploy/lib/cluster.sh
source "$ROOT/deploy/lib/cluster.sh"

# Serialise concurrent up/down calls (e.g. two test runs starting at once). Every process started
# while holding the lock must close fd 9 (9>&-), or it would hold the lock for its whole life.
lock_stack() {
  mkdir -p "$STACK_DIR"
  if have flock; then
    exec 9>"$STACK_DIR/.lock"
    flock -w 600 9 || die "another deploy/stack.sh holds $STACK_DIR/.lock"
  fi
}

# --- Kafka --------------------------------------------------------------------------------

kafka_pid() { read_pid "$KAFKA_DIR/kafka.pid"; }
kafka_port() { if [[ -s $KAFKA_DIR/port ]]; then cat "$KAFKA_DIR/port"; fi; }
kafka_running() { pid_alive "$(kafka_pid)" "$KAFKA_PATTERN"; }

# Fetches the broker's class path from Maven Central once per version.
kafka_libs() {
  [[ -f $KAFKA_LIBS/.complete ]] && return 0
  require_mvn
  say "fetching Kafka $KAFKA_VERSION jars from Maven Central into ${KAFKA_LIBS#"$ROOT"/} (first run only)"
  local tmp=$KAFKA_LIBS.tmp.$$
  rm -rf "$tmp"
  # Quiet (-q) but errors still show; Maven 3.8 prints colour resets even in batch mode: strip them.
  if ! mvn -q -B -Dstyle.color=never -f "$ROOT/deploy/kafka/pom.xml" dependency:copy-dependencies \
    -Dkafka.version="$KAFKA_VERSION" -DoutputDirectory="$tmp" 2>&1 |
    sed -E 's/\x1b\[[0-9;]*m//g; /^[[:space:]]*$/d' >&2; then
    rm -rf "$tmp"
    die "mvn could not resolve org.apache.kafka:kafka_2.13:$KAFKA_VERSION (see the errors above)"
  fi
  [[ -f $tmp/kafka_2.13-$KAFKA_VERSION.jar ]] || die "mvn finished but kafka_2.13-$KAFKA_VERSION.jar is missing from $tmp"
  rm -rf "$KAFKA_LIBS"
  mv "$tmp" "$KAFKA_LIBS"
  touch "$KAFKA_LIBS/.complete"
}

# The JVM options of the broker and of the storage tool.
kafka_jvm_opts() {
  JVM_OPTS=("-Xms256m" "-Xmx$KAFKA_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
    "-Dkafka.logs.dir=$KAFKA_DIR/logs" "-Dlog4j2.configurationFile=$ROOT/deploy/kafka/log4j2.yaml"
    -cp "$KAFKA_LIBS/*")
}

kafka_up() {
  if [[ -n ${KAFKA_BROKERS:-} ]]; then
    say "KAFKA_BROKERS is set: using Kafka at $KAFKA_BROKERS (not starting one)"
    kafka_wait "$KAFKA_BROKERS" "$START_TIMEOUT" >/dev/null || die "Kafka at KAFKA_BROKERS=$KAFKA_BROKERS does not answer"
    BROKERS=$KAFKA_BROKERS
    return 0
  fi

  if kafka_running; then
    local port
    port=$(kafka_port)
    BROKERS=127.0.0.1:$port
    if kafka_wait "$BROKERS" 30 "$(kafka_pid)" >/dev/null; then
      say "Kafka already running (pid $(kafka_pid), $BROKERS)"
      return 0
    fi
    show_log_tail "$KAFKA_DIR/logs/server.log"
    die "Kafka (pid $(kafka_pid)) runs but does not answer on $BROKERS; see $KAFKA_DIR/logs/server.log, or run 'bash deploy/stack.sh down' and up again"
  fi

  require_java17
  kafka_libs
  kafka_jvm_opts
  mkdir -p "$KAFKA_DIR/logs" "$KAFKA_DIR/data"

  # A data dir formatted by another Kafka version may not load: start afresh.
  if [[ -f $KAFKA_DIR/data/meta.properties && "$(cat "$KAFKA_DIR/version" 2>/dev/null)" != "$KAFKA_VERSION" ]]; then
    warn "Kafka data in $KAFKA_DIR/data was written by another Kafka version: deleting it"
    rm -rf "$KAFKA_DIR/data"
    mkdir -p "$KAFKA_DIR/data"
  fi

  local ports broker_port controller_port
  ports=$(free_ports "$KAFKA_PREFERRED_PORT" "$((KAFKA_PREFERRED_PORT + 1))")
  broker_port=$(sed -n 1p <<<"$ports")
  controller_port=$(sed -n 2p <<<"$ports")
  sed -e "s|@BROKER_PORT@|$broker_port|g" -e "s|@CONTROLLER_PORT@|$controller_port|g" \
    -e "s|@DATA_DIR@|$KAFKA_DIR/data|g" -e "s|@GROUP_INITIAL_REBALANCE_DELAY_MS@|$GROUP_INITIAL_REBALANCE_DELAY_MS|g" \
    "$ROOT/deploy/kafka/server.properties" >"$KAFKA_DIR/server.properties"

  if [[ ! -f $KAFKA_DIR/data/meta.properties ]]; then
    local cluster_id
    cluster_id=$(random_cluster_id)
    say "formatting Kafka storage (cluster id $cluster_id)"
    if ! java "${JVM_OPTS[@]}" kafka.tools.StorageTool format --cluster-id "$cluster_id" \
      --config "$KAFKA_DIR/server.properties" --ignore-formatted >"$KAFKA_DIR/logs/format.log" 2>&1; then
      show_log_tail "$KAFKA_DIR/logs/format.log"
      die "formatting Kafka storage failed; see $KAFKA_DIR/logs/format.log"
    fi
  fi
  printf '%s\n' "$KAFKA_VERSION" >"$KAFKA_DIR/version"
  printf '%s\n' "$broker_port" >"$KAFKA_DIR/port"

  say "starting Kafka $KAFKA_VERSION on 127.0.0.1:$broker_port (controller :$controller_port, logs ${KAFKA_DIR#"$ROOT"/}/logs)"
  start_detached "$KAFKA_DIR/kafka.pid" "$KAFKA_DIR/logs/stdout.log" Kafka \
    java "${JVM_OPTS[@]}" kafka.Kafka "$KAFKA_DIR/server.properties"

  BROKERS=127.0.0.1:$broker_port
  local why
  if ! why=$(kafka_wait "$BROKERS" "$START_TIMEOUT" "$(kafka_pid)" 2>&1 >/dev/null); then
    show_log_tail "$KAFKA_DIR/logs/stdout.log" 15
    show_log_tail "$KAFKA_DIR/logs/server.log"
    die "Kafka did not come up ($why); see $KAFKA_DIR/logs/server.log"
  fi
  say "Kafka is up (pid $(kafka_pid))"
}

kafka_down() {
  local pid
  pid=$(kafka_pid)
  if [[ -n $pid ]]; then stop_pid "$pid" "$KAFKA_PATTERN" "Kafka" 60; fi
  rm -f "$KAFKA_DIR/kafka.pid"
}

# --- Redis --------------------------------------------------------------------------------

redis_pid() { read_pid "$REDIS_DIR/redis.pid"; }
redis_port() { if [[ -s $REDIS_DIR/port ]]; then cat "$REDIS_DIR/port"; fi; }
redis_running() { pid_alive "$(redis_pid)" "$REDIS_PATTERN"; }

redis_ping() { [[ $(redis-cli -h 127.0.0.1 -p "$1" ping 2>/dev/null) == PONG ]]; }

redis_up() {
  if [[ -n ${REDIS_URL:-} ]]; then
    say "REDIS_URL is set: using that Redis (not starting one)"
    redis_wait "$REDIS_URL" "$START_TIMEOUT" || die "Redis at REDIS_URL does not answer"
    URL=$REDIS_URL
    return 0
  fi

  require_redis_server
  if redis_running; then
    local port
    port=$(redis_port)
    URL=redis://127.0.0.1:$port
    if redis_ping "$port"; then
      say "Redis already running (pid $(redis_pid), $URL)"
      return 0
    fi
    die "Redis (pid $(redis_pid)) runs but does not answer on port $port; see $REDIS_DIR/redis.log"
  fi

  mkdir -p "$REDIS_DIR"
  local port
  port=$(free_ports "$REDIS_PREFERRED_PORT")
  printf '%s\n' "$port" >"$REDIS_DIR/port"
  rm -f "$REDIS_DIR/redis.pid"
  say "starting Redis $(redis-server --version | sed -E -n 's/.*v=([^ ]+).*/\1/p') on 127.0.0.1:$port (appendfsync always, logs ${REDIS_DIR#"$ROOT"/}/redis.log)"
  # appendfsync always: the runtime commits Kafka offsets only after the Redis step is on disk
  # (Debian's Redis 7.0 has no WAITAOF; PITFALLS.md item 1).
  if ! redis-server --bind 127.0.0.1 --port "$port" --protected-mode yes \
    --dir "$REDIS_DIR" --appendonly yes --appendfsync always --save '' \
    --daemonize yes --pidfile "$REDIS_DIR/redis.pid" --logfile "$REDIS_DIR/redis.log" >&2 9>&-; then
    show_log_tail "$REDIS_DIR/redis.log"
    die "redis-server failed to start; see $REDIS_DIR/redis.log"
  fi
  URL=redis://127.0.0.1:$port
  local deadline=$((SECONDS + START_TIMEOUT))
  until redis_ping "$port"; do
    if ((SECONDS >= deadline)); then
      show_log_tail "$REDIS_DIR/redis.log"
      die "Redis did not answer on port $port within ${START_TIMEOUT}s; see $REDIS_DIR/redis.log"
    fi
    sleep 0.1
  done
  say "Redis is up (pid $(redis_pid))"
}

redis_down() {
  local pid
  pid=$(redis_pid)
  if [[ -n $pid ]]; then stop_pid "$pid" "$REDIS_PATTERN" "Redis" 30; fi
  rm -f "$REDIS_DIR/redis.pid"
}

# --- commands -----------------------------------------------------------------------------

# write_env VAR=VALUE...: sets these lines of .stack/env, keeping the others; an empty value
# removes the variable.
write_env() {
  local assignment name keep=()
  if [[ -f $ENV_FILE ]]; then
    local line
    while IFS= read -r line; do
      [[ $line == '#'* || -z $line ]] && continue
      for assignment in "$@"; do [[ $line == "${assignment%%=*}="* ]] && continue 2; done
      keep+=("$line")
    done <"$ENV_FILE"
  fi
  {
    printf '# Written by deploy/stack.sh up; read by test/support/global-setup.ts and deploy/demo.sh.\n'
    if ((${#keep[@]})); then printf '%s\n' "${keep[@]}"; fi
    for assignment in "$@"; do
      name=${assignment%%=*}
      if [[ -n ${assignment#*=} ]]; then printf '%s=%s\n' "$name" "${assignment#*=}"; fi
    done
  } >"$ENV_FILE.tmp"
  mv "$ENV_FILE.tmp" "$ENV_FILE"
}

cmd_up() {
  local only='' cluster=''
  case ${1:-} in
  '') ;;
  schema-registry) only=schema-registry ;;
  --cluster) cluster=1 ;;
  *) die "usage: stack.sh up [schema-registry|--cluster]" ;;
  esac
  # A bad STACK_CLUSTER stops here, before anything starts.
  if [[ -z $only ]] && cluster_requested; then cluster=1; fi
  lock_stack
  require_node
  # A bad STACK_SCHEMA_REGISTRY stops here, before anything starts.
  registry_enabled || true
  if [[ -n $cluster ]]; then
    cluster_up
    return 0
  fi
  if [[ -z $only ]] && cluster_running; then
    die "a cluster runs in $STACK_DIR: use 'bash deploy/stack.sh up --cluster', or 'bash deploy/stack.sh down' first"
  fi
  local started=$SECONDS
  BROKERS='' URL='' REGISTRY_URL=''
  if [[ $only == schema-registry ]]; then
    # Forced on: asking for the registry by name overrides STACK_SCHEMA_REGISTRY=off.
    STACK_SCHEMA_REGISTRY=on registry_up
    write_env "SCHEMA_REGISTRY_URL=$REGISTRY_URL"
    say "schema registry is up in $((SECONDS - started))s: SCHEMA_REGISTRY_URL=$REGISTRY_URL (${ENV_FILE#"$ROOT"/})"
    return 0
  fi
  redis_up
  kafka_up
  registry_up
  say "creating topics"
  (cd "$ROOT" && KAFKA_BROKERS=$BROKERS node_modules/.bin/tsx shared/kafka/create-topics-cli.ts) >&2 ||
    die "creating topics on $BROKERS failed (see above)"
  rm -f "$ENV_FILE"
  write_env "KAFKA_BROKERS=$BROKERS" "REDIS_URL=$URL" "SCHEMA_REGISTRY_URL=$REGISTRY_URL"
  say "stack is up in $((SECONDS - started))s: KAFKA_BROKERS=$BROKERS REDIS_URL=$URL${REGISTRY_URL:+ SCHEMA_REGISTRY_URL=$REGISTRY_URL} (${ENV_FILE#"$ROOT"/})"
}

cmd_down() {
  lock_stack
  local purge='' kafka=1 redis=1 registry=1 arg
  for arg in "$@"; do
    case $arg in
    --purge) purge=1 ;;
    kafka) redis=0 registry=0 ;;
    redis) kafka=0 registry=0 ;;
    schema-registry) kafka=0 redis=0 ;;
    *) die "usage: stack.sh down [kafka|redis|schema-registry] [--purge]" ;;
    esac
  done
  # Whichever runs: the single-node services, the cluster's, or both.
  if ((registry)); then registry_down; fi
  if ((kafka)); then
    kafka_down
    kafka_cluster_down
  fi
  if ((redis)); then
    redis_down
    redis_cluster_down
  fi
  if ((kafka && redis)); then rm -f "$CLUSTER_MARKER"; fi
  if ((kafka || redis)); then
    rm -f "$ENV_FILE"
  elif [[ -f $ENV_FILE ]]; then
    write_env "SCHEMA_REGISTRY_URL="
  fi
  if [[ -n $purge ]]; then
    if ((registry)); then
      # In memory: nothing survives a stop anyway; this drops its log and port.
      rm -rf "$REGISTRY_DIR"
    fi
    if ((kafka)); then
      say "deleting Kafka data ($KAFKA_DIR)"
      rm -rf "$KAFKA_DIR"
    fi
    if ((redis)); then
      say "deleting Redis data ($REDIS_DIR)"
      rm -rf "$REDIS_DIR"
    fi
    if ((kafka)) && [[ -d $KAFKA_CLUSTER_DIR ]]; then
      say "deleting Kafka cluster data ($KAFKA_CLUSTER_DIR)"
      rm -rf "$KAFKA_CLUSTER_DIR"
    fi
    if ((redis)) && [[ -d $REDIS_CLUSTER_DIR ]]; then
      say "deleting Redis Cluster data ($REDIS_CLUSTER_DIR)"
      rm -rf "$REDIS_CLUSTER_DIR"
    fi
  fi
  say "stopped"
}

cmd_status() {
  local ok=0 pid port
  case ${1:-} in
  '') ;;
  schema-registry)
    registry_status
    return
    ;;
  --cluster)
    cluster_status
    return
    ;;
  *) die "usage: stack.sh status [schema-registry|--cluster]" ;;
  esac
  if cluster_mode; then
    cluster_status
    return
  fi
  if [[ -n ${KAFKA_BROKERS:-} ]]; then
    if kafka_wait "$KAFKA_BROKERS" 5 >/dev/null 2>&1; then
      printf 'kafka  external  %s  answering\n' "$KAFKA_BROKERS"
    else
      printf 'kafka  external  %s  NOT answering\n' "$KAFKA_BROKERS"
      ok=3
    fi
  elif kafka_running; then
    pid=$(kafka_pid) port=$(kafka_port)
    if kafka_wait "127.0.0.1:$port" 5 "$pid" >/dev/null 2>&1; then
      printf 'kafka  running   127.0.0.1:%s  pid %s  Kafka %s  logs %s\n' "$port" "$pid" \
        "$(cat "$KAFKA_DIR/version" 2>/dev/null)" "$KAFKA_DIR/logs/server.log"
    else
      printf 'kafka  starting or unhealthy  127.0.0.1:%s  pid %s  logs %s\n' "$port" "$pid" "$KAFKA_DIR/logs/server.log"
      ok=3
    fi
  else
    printf 'kafka  stopped\n'
    ok=3
  fi

  if [[ -n ${REDIS_URL:-} ]]; then
    if redis_wait "$REDIS_URL" 5 >/dev/null 2>&1; then
      printf 'redis  external  (REDIS_URL)  answering\n'
    else
      printf 'redis  external  (REDIS_URL)  NOT answering\n'
      ok=3
    fi
  elif redis_running; then
    pid=$(redis_pid) port=$(redis_port)
    if redis_ping "$port"; then
      printf 'redis  running   127.0.0.1:%s  pid %s  logs %s\n' "$port" "$pid" "$REDIS_DIR/redis.log"
    else
      printf 'redis  unhealthy 127.0.0.1:%s  pid %s  logs %s\n' "$port" "$pid" "$REDIS_DIR/redis.log"
      ok=3
    fi
  else
    printf 'redis  stopped\n'
    ok=3
  fi

  registry_status || ok=3

  status_env_line "$ok" 'bash deploy/stack.sh up'
  return "$ok"
}

# The env line of `status`: the file, marked stale when something did not answer (ok is not 0).
status_env_line() {
  local ok=$1 up=$2
  [[ -f $ENV_FILE ]] || return 0
  if ((ok == 0)); then
    printf 'env    %s\n' "$ENV_FILE"
  else
    printf 'env    %s (stale: run %s)\n' "$ENV_FILE" "$up"
  fi
}

cmd_env() {
  [[ -f $ENV_FILE ]] || die "no $ENV_FILE: run 'bash deploy/stack.sh up' first"
  grep -v '^#' "$ENV_FILE"
}

cmd_logs() {
  local which=all follow=()
  for arg in "$@"; do
    case $arg in
    kafka | redis | schema-registry) which=$arg ;;
    -f | --follow) follow=(-F) ;;
    *) die "usage: stack.sh logs [kafka|redis|schema-registry] [-f]" ;;
    esac
  done
  local files=()
  [[ $which == all || $which == kafka ]] && files+=("$KAFKA_DIR/logs/server.log" "$KAFKA_DIR/logs/controller.log")
  [[ $which == all || $which == redis ]] && files+=("$REDIS_DIR/redis.log")
  [[ $which == all || $which == schema-registry ]] && files+=("$REGISTRY_DIR/registry.log")
  if [[ $which != schema-registry ]]; then mapfile -t -O "${#files[@]}" files < <(cluster_log_files "$which"); fi
  local existing=()
  for f in "${files[@]}"; do [[ -f $f ]] && existing+=("$f"); done
  ((${#existing[@]})) || die "no log files yet under $STACK_DIR"
  tail -n 50 "${follow[@]}" "${existing[@]}"
}

usage() {
  sed -n '2,20p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

case ${1:-} in
up)
  shift
  cmd_up "$@"
  ;;
down)
  shift
  cmd_down "$@"
  ;;
status)
  shift
  cmd_status "$@"
  ;;
env) cmd_env ;;
logs)
  shift
  cmd_logs "$@"
  ;;
*) usage ;;
esac
