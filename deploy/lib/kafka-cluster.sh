# shellcheck shell=bash
# The three-broker KRaft Kafka of `deploy/stack.sh up --cluster`: nodes 1, 2 and 3, each broker and
# controller (combined mode) with a static three-voter quorum, in .stack/kafka-cluster/<n>/
# (server.properties, data/, logs/, kafka.pid, port, controller-port, version). Sourced, never run.
# Expects ROOT, STACK_DIR, START_TIMEOUT, KAFKA_VERSION, KAFKA_LIBS, KAFKA_PATTERN, kafka_libs
# (stack.sh), the helpers of common.sh and, for kafka_cluster_up, cluster_settings (cluster.sh).

KAFKA_CLUSTER_DIR=$STACK_DIR/kafka-cluster
KAFKA_CLUSTER_NODES=(1 2 3)

kafka_node_pid() { read_pid "$KAFKA_CLUSTER_DIR/$1/kafka.pid"; }
kafka_node_port() { if [[ -s $KAFKA_CLUSTER_DIR/$1/port ]]; then cat "$KAFKA_CLUSTER_DIR/$1/port"; fi; }
kafka_node_running() { pid_alive "$(kafka_node_pid "$1")" "$KAFKA_PATTERN"; }
kafka_cluster_any_running() {
  local n
  for n in "${KAFKA_CLUSTER_NODES[@]}"; do kafka_node_running "$n" && return 0; done
  return 1
}

# The brokers' addresses (KAFKA_BROKERS format) from the recorded ports.
kafka_cluster_brokers() {
  local n list=()
  for n in "${KAFKA_CLUSTER_NODES[@]}"; do
    if [[ -s $KAFKA_CLUSTER_DIR/$n/port ]]; then list+=("127.0.0.1:$(kafka_node_port "$n")"); fi
  done
  (
    IFS=,
    printf '%s\n' "${list[*]}"
  )
}

# kafka_brokers_probe BROKERS WANT TIMEOUT_S [PIDS]: until every broker of BROKERS answers on its
# own port and the cluster's metadata lists at least WANT brokers, or the time is up, or one of
# PIDS (comma-separated) exits. "Answers" is an ApiVersions request sent to that broker alone: a
# kafkajs client, even seeded with one broker, goes on to the others named in the metadata, so it
# cannot tell which one is down. Prints "<host:port> ok" or "<host:port> down <reason>" per broker,
# then "cluster ok <brokers listed>" or "cluster down <reason>". Exit 0 when all is well,
# 1 otherwise, 2 when a process exited.
kafka_brokers_probe() {
  (cd "$ROOT" && node -e '
    const net = require("node:net");
    const { Kafka, logLevel } = require("kafkajs");
    const [list, want, timeoutS, pids] = process.argv.slice(1);
    const brokers = list.split(",").map((b) => b.trim()).filter(Boolean);
    const deadline = Date.now() + Number(timeoutS) * 1000;
    const dead = () => (pids || "").split(",").filter(Boolean).find((pid) => {
      try { process.kill(Number(pid), 0); return false; } catch { return true; }
    });
    // ApiVersions v0: size, api key 18, version 0, correlation id, client id; the answer starts
    // with the correlation id and an error code.
    const clientId = Buffer.from("valuestream-stack-check");
    const request = Buffer.alloc(4 + 10 + clientId.length);
    request.writeInt32BE(10 + clientId.length, 0);
    request.writeInt16BE(18, 4);
    request.writeInt16BE(0, 6);
    request.writeInt32BE(7, 8);
    request.writeInt16BE(clientId.length, 12);
    clientId.copy(request, 14);
    const apiVersions = (broker) => new Promise((resolve) => {
      const i = broker.lastIndexOf(":");
      const socket = net.connect({ host: broker.slice(0, i), port: Number(broker.slice(i + 1)) });
      let got = Buffer.alloc(0);
      const done = (result) => { socket.destroy(); resolve(result); };
      socket.setTimeout(3000, () => done({ ok: false, text: "down no answer within 3 s" }));
      socket.on("error", (e) => done({ ok: false, text: "down " + e.message }));
      socket.on("connect", () => socket.write(request));
      socket.on("data", (chunk) => {
        got = Buffer.concat([got, chunk]);
        if (got.length < 10) return;
        const error = got.readInt16BE(8);
        done(got.readInt32BE(4) === 7 && error === 0 ? { ok: true, text: "ok" } : { ok: false, text: "down error code " + error });
      });
    });
    const metadata = async () => {
      const admin = new Kafka({
        clientId: "valuestream-stack-check", brokers, logLevel: logLevel.NOTHING,
        connectionTimeout: 2000, requestTimeout: 5000, retry: { retries: 2 },
      }).admin();
      try {
        await admin.connect();
        const seen = (await admin.describeCluster()).brokers.length;
        return seen >= Number(want)
          ? { ok: true, text: "ok " + seen }
          : { ok: false, text: "down the metadata lists " + seen + " of " + want + " brokers" };
      } catch (e) {
        return { ok: false, text: "down " + (e && e.message ? e.message : String(e)) };
      } finally {
        await admin.disconnect().catch(() => {});
      }
    };
    const report = (each, cluster, code) => {
      each.forEach((r, i) => console.log(brokers[i] + " " + r.text));
      console.log("cluster " + cluster.text);
      process.exit(code);
    };
    (async () => {
      for (;;) {
        const gone = dead();
        if (gone) {
          const text = "down broker process " + gone + " exited";
          report(brokers.map(() => ({ text })), { text }, 2);
        }
        const each = await Promise.all(brokers.map(apiVersions));
        const cluster = await metadata();
        if (cluster.ok && each.every((r) => r.ok)) report(each, cluster, 0);
        if (Date.now() >= deadline) report(each, cluster, 1);
        await new Promise((r) => setTimeout(r, 500));
      }
    })();
  ' "$@")
}

kafka_cluster_jvm_opts() {
  JVM_OPTS=("-Xms128m" "-Xmx$KAFKA_CLUSTER_HEAP" -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
    "-Dkafka.logs.dir=$1/logs" "-Dlog4j2.configurationFile=$ROOT/deploy/kafka/log4j2.yaml"
    -cp "$KAFKA_LIBS/*")
}

# Picks the six ports (broker and controller of each node) into KAFKA_NODE_PORT and
# KAFKA_NODE_CONTROLLER_PORT. A cluster that has data keeps its ports: the nodes' metadata and the
# brokers' clients know them.
kafka_cluster_ports() {
  local n has_data=0 recorded=1 wanted=() chosen=()
  KAFKA_NODE_PORT=() KAFKA_NODE_CONTROLLER_PORT=()
  for n in "${KAFKA_CLUSTER_NODES[@]}"; do
    [[ -f $KAFKA_CLUSTER_DIR/$n/data/meta.properties ]] && has_data=1
    [[ -s $KAFKA_CLUSTER_DIR/$n/port && -s $KAFKA_CLUSTER_DIR/$n/controller-port ]] || recorded=0
  done
  if ((has_data && recorded)); then
    for n in "${KAFKA_CLUSTER_NODES[@]}"; do
      KAFKA_NODE_PORT[n]=$(kafka_node_port "$n")
      KAFKA_NODE_CONTROLLER_PORT[n]=$(cat "$KAFKA_CLUSTER_DIR/$n/controller-port")
      kafka_node_running "$n" && continue
      if [[ $(free_ports "${KAFKA_NODE_PORT[n]}" "${KAFKA_NODE_CONTROLLER_PORT[n]}" | tr '\n' ' ') != "${KAFKA_NODE_PORT[n]} ${KAFKA_NODE_CONTROLLER_PORT[n]} " ]]; then
        die "Kafka node $n's port ${KAFKA_NODE_PORT[n]} or controller port ${KAFKA_NODE_CONTROLLER_PORT[n]} is taken by another process; free it, or run 'bash deploy/stack.sh down --purge' for a new cluster"
      fi
    done
    return 0
  fi
  # Brokers on base, base+1, base+2; controllers on base+3, base+4, base+5.
  for n in "${KAFKA_CLUSTER_NODES[@]}"; do wanted+=("$((KAFKA_CLUSTER_BASE_PORT + n - 1))"); done
  for n in "${KAFKA_CLUSTER_NODES[@]}"; do wanted+=("$((KAFKA_CLUSTER_BASE_PORT + ${#KAFKA_CLUSTER_NODES[@]} + n - 1))"); done
  mapfile -t chosen < <(free_ports "${wanted[@]}")
  ((${#chosen[@]} == ${#wanted[@]})) || die "could not find ${#wanted[@]} free ports for the Kafka cluster"
  for n in "${KAFKA_CLUSTER_NODES[@]}"; do
    KAFKA_NODE_PORT[n]=${chosen[n - 1]}
    KAFKA_NODE_CONTROLLER_PORT[n]=${chosen[${#KAFKA_CLUSTER_NODES[@]} + n - 1]}
  done
}

# Formats the storage of every node that has none, all with the cluster's one id, in parallel.
kafka_cluster_format() {
  local n dir cluster_id pids=() failed=()
  if [[ -s $KAFKA_CLUSTER_DIR/cluster-id ]]; then
    cluster_id=$(cat "$KAFKA_CLUSTER_DIR/cluster-id")
  else
    cluster_id=$(random_cluster_id)
    printf '%s\n' "$cluster_id" >"$KAFKA_CLUSTER_DIR/cluster-id"
  fi
  for n in "${KAFKA_CLUSTER_NODES[@]}"; do
    dir=$KAFKA_CLUSTER_DIR/$n
    [[ -f $dir/data/meta.properties ]] && continue
    say "formatting Kafka node $n storage (cluster id $cluster_id)"
    kafka_cluster_jvm_opts "$dir"
    java "${JVM_OPTS[@]}" kafka.tools.StorageTool format --cluster-id "$cluster_id" \
      --config "$dir/server.properties" --ignore-formatted >"$dir/logs/format.log" 2>&1 9>&- &
    pids[n]=$!
  done
  for n in "${!pids[@]}"; do wait "${pids[n]}" || failed+=("$n"); done
  for n in "${failed[@]}"; do show_log_tail "$KAFKA_CLUSTER_DIR/$n/logs/format.log"; done
  ((${#failed[@]} == 0)) || die "formatting the storage of Kafka node(s) ${failed[*]} failed; see $KAFKA_CLUSTER_DIR/<n>/logs/format.log"
}

kafka_cluster_start_node() {
  local n=$1 dir=$KAFKA_CLUSTER_DIR/$1
  kafka_cluster_jvm_opts "$dir"
  start_detached "$dir/kafka.pid" "$dir/logs/stdout.log" "Kafka node $n" \
    java "${JVM_OPTS[@]}" kafka.Kafka "$dir/server.properties"
}

# Starts the nodes that do not run (all three the first time) and waits until every broker answers
# and sees all three. Sets BROKERS.
kafka_cluster_up() {
  if [[ -n ${KAFKA_BROKERS:-} ]]; then
    say "KAFKA_BROKERS is set: using Kafka at $KAFKA_BROKERS (not starting one)"
    kafka_wait "$KAFKA_BROKERS" "$START_TIMEOUT" >/dev/null || die "Kafka at KAFKA_BROKERS=$KAFKA_BROKERS does not answer"
    BROKERS=$KAFKA_BROKERS
    return 0
  fi

  local n all=1
  for n in "${KAFKA_CLUSTER_NODES[@]}"; do kafka_node_running "$n" || all=0; done
  if ((all)); then
    BROKERS=$(kafka_cluster_brokers)
    if kafka_brokers_probe "$BROKERS" "${#KAFKA_CLUSTER_NODES[@]}" 30 >/dev/null; then
      say "Kafka cluster already running ($BROKERS)"
      return 0
    fi
    die "the Kafka cluster runs but does not answer on $BROKERS; see $KAFKA_CLUSTER_DIR/<n>/logs/server.log, or run 'bash deploy/stack.sh down' and up --cluster again"
  fi

  require_java17
  kafka_libs
  # A data dir formatted by another Kafka version may not load; the quorum starts afresh together.
  for n in "${KAFKA_CLUSTER_NODES[@]}"; do
    if [[ -f $KAFKA_CLUSTER_DIR/$n/data/meta.properties && "$(cat "$KAFKA_CLUSTER_DIR/$n/version" 2>/dev/null)" != "$KAFKA_VERSION" ]]; then
      kafka_cluster_any_running && die "the Kafka cluster's data was written by another Kafka version and some of its nodes run: run 'bash deploy/stack.sh down --purge' first"
      warn "Kafka cluster data in $KAFKA_CLUSTER_DIR was written by another Kafka version: deleting it"
      rm -rf "$KAFKA_CLUSTER_DIR"
      break
    fi
  done

  kafka_cluster_ports
  local voters='' dir
  for n in "${KAFKA_CLUSTER_NODES[@]}"; do voters+="${voters:+,}$n@127.0.0.1:${KAFKA_NODE_CONTROLLER_PORT[n]}"; done
  for n in "${KAFKA_CLUSTER_NODES[@]}"; do
    dir=$KAFKA_CLUSTER_DIR/$n
    mkdir -p "$dir/logs" "$dir/data"
    sed -e "s|@NODE_ID@|$n|g" -e "s|@VOTERS@|$voters|g" -e "s|@BROKER_PORT@|${KAFKA_NODE_PORT[n]}|g" \
      -e "s|@CONTROLLER_PORT@|${KAFKA_NODE_CONTROLLER_PORT[n]}|g" -e "s|@DATA_DIR@|$dir/data|g" \
      -e "s|@GROUP_INITIAL_REBALANCE_DELAY_MS@|$GROUP_INITIAL_REBALANCE_DELAY_MS|g" \
      "$ROOT/deploy/kafka/cluster.properties" >"$dir/server.properties"
    printf '%s\n' "${KAFKA_NODE_PORT[n]}" >"$dir/port"
    printf '%s\n' "${KAFKA_NODE_CONTROLLER_PORT[n]}" >"$dir/controller-port"
  done
  kafka_cluster_format

  local pids=() starting=()
  for n in "${KAFKA_CLUSTER_NODES[@]}"; do
    printf '%s\n' "$KAFKA_VERSION" >"$KAFKA_CLUSTER_DIR/$n/version"
    if ! kafka_node_running "$n"; then
      kafka_cluster_start_node "$n"
      starting+=("$n")
    fi
    pids+=("$(kafka_node_pid "$n")")
  done
  BROKERS=$(kafka_cluster_brokers)
  say "starting Kafka $KAFKA_VERSION node(s) ${starting[*]} of 3 (broker + controller, -Xmx$KAFKA_CLUSTER_HEAP each): brokers $BROKERS, quorum $voters, logs ${KAFKA_CLUSTER_DIR#"$ROOT"/}/<n>/logs"

  local report code=0
  report=$(kafka_brokers_probe "$BROKERS" "${#KAFKA_CLUSTER_NODES[@]}" "$START_TIMEOUT" "$(
    IFS=,
    printf '%s' "${pids[*]}"
  )") || code=$?
  if ((code != 0)); then
    for n in "${KAFKA_CLUSTER_NODES[@]}"; do show_log_tail "$KAFKA_CLUSTER_DIR/$n/logs/server.log" 10; done
    die "the Kafka cluster did not come up: $(tr '\n' ';' <<<"$report")see $KAFKA_CLUSTER_DIR/<n>/logs/server.log"
  fi
  say "Kafka cluster is up: 3 brokers (pids ${pids[*]})"
}

# Stops the three nodes together: one at a time, the last ones would wait for a quorum that the
# first ones took away.
kafka_cluster_down() {
  local n pids=()
  for n in "${KAFKA_CLUSTER_NODES[@]}"; do pids+=("$(kafka_node_pid "$n")"); done
  stop_pids "$KAFKA_PATTERN" "the Kafka cluster" 60 "${pids[@]}"
  for n in "${KAFKA_CLUSTER_NODES[@]}"; do rm -f "$KAFKA_CLUSTER_DIR/$n/kafka.pid"; done
}

# One status line per broker and one for the cluster; returns 3 when one does not answer.
kafka_cluster_status() {
  local ok=0 n pid port brokers report line state
  if [[ ! -d $KAFKA_CLUSTER_DIR ]]; then
    printf 'kafka  stopped  (no cluster in %s)\n' "$KAFKA_CLUSTER_DIR"
    return 3
  fi
  brokers=$(kafka_cluster_brokers)
  report=$(kafka_brokers_probe "$brokers" "${#KAFKA_CLUSTER_NODES[@]}" 5) || ok=3
  for n in "${KAFKA_CLUSTER_NODES[@]}"; do
    pid=$(kafka_node_pid "$n") port=$(kafka_node_port "$n")
    if ! kafka_node_running "$n"; then
      printf 'kafka  stopped   node %s  127.0.0.1:%s\n' "$n" "$port"
      ok=3
      continue
    fi
    line=$(grep -m1 "^127.0.0.1:$port " <<<"$report" || true)
    state=${line#* }
    if [[ $state == ok ]]; then
      printf 'kafka  running   node %s  127.0.0.1:%s  pid %s  Kafka %s  logs %s\n' "$n" "$port" "$pid" \
        "$(cat "$KAFKA_CLUSTER_DIR/$n/version" 2>/dev/null)" "$KAFKA_CLUSTER_DIR/$n/logs/server.log"
    else
      printf 'kafka  starting or unhealthy  node %s  127.0.0.1:%s  pid %s  (%s)  logs %s\n' "$n" "$port" "$pid" \
        "${state#down }" "$KAFKA_CLUSTER_DIR/$n/logs/server.log"
      ok=3
    fi
  done
  state=$(sed -n 's/^cluster //p' <<<"$report")
  if [[ $state == ok* ]]; then
    # Not the controller: a KRaft broker names a random broker there (clients cannot reach the quorum).
    printf 'kafka  cluster   %s brokers in the metadata\n' "${state#ok }"
  else
    printf 'kafka  cluster   NOT healthy: %s\n' "${state#down }"
    ok=3
  fi
  return "$ok"
}
