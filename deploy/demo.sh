#!/usr/bin/env bash
# Runs the whole pipeline with demo traffic on the stack started by deploy/stack.sh:
# the value-segmentation, share-of-wallet, retention and next-best-offer workers, the point-of-sale simulator (120 days of
# history, then live traffic; households and businesses with profiles, some of whom buy only
# part of their needs here) and a console that prints decisions as they are produced. Ctrl-C stops the
# workers; `./valuestream down` stops Kafka and Redis.
#
# Framing: with SCHEMA_REGISTRY_URL (the stack writes it to .stack/env unless
# STACK_SCHEMA_REGISTRY=off) the simulator registers its schemas and frames every value
# (Confluent wire format) and the workers read and write framed values; without it, or with
# DEMO_FRAMING=plain, everything is plain Avro. DEMO_FRAMING=registry insists on framing.
set -euo pipefail
cd "$(dirname "$0")/.."
# The workers allocate many short-lived objects per record and per customer re-decided: with a
# larger young generation (V8's semi-space 32 MB, from 16) the benchmark's runs took 16-23 % less
# time (README, Benchmark). A setting of your own in NODE_OPTIONS comes later and wins.
export NODE_OPTIONS="--max-semi-space-size=32 ${NODE_OPTIONS:-}"
ROOT=$(pwd)
# The stack's endpoints, unless the caller points the demo at a Kafka and Redis of its own.
# A Redis Cluster (stack up --cluster) comes as REDIS_CLUSTER_NODES instead of REDIS_URL.
if [[ (-z ${KAFKA_BROKERS:-} || (-z ${REDIS_URL:-} && -z ${REDIS_CLUSTER_NODES:-})) && -f .stack/env ]]; then
  set -a
  source .stack/env
  set +a
fi
: "${KAFKA_BROKERS:?KAFKA_BROKERS not set and .stack/env missing: run ./valuestream stack up}"
if [[ -z ${REDIS_URL:-} && -z ${REDIS_CLUSTER_NODES:-} ]]; then
  echo "neither REDIS_URL nor REDIS_CLUSTER_NODES is set and .stack/env lacks them: run ./valuestream stack up" >&2
  exit 2
fi
case ${DEMO_FRAMING:-} in
'') if [[ -n ${SCHEMA_REGISTRY_URL:-} ]]; then DEMO_FRAMING=registry; else DEMO_FRAMING=plain; fi ;;
plain) ;;
registry)
  : "${SCHEMA_REGISTRY_URL:?DEMO_FRAMING=registry needs SCHEMA_REGISTRY_URL: run ./valuestream stack up (without STACK_SCHEMA_REGISTRY=off)}"
  ;;
*)
  echo "DEMO_FRAMING must be plain or registry, not '$DEMO_FRAMING'" >&2
  exit 2
  ;;
esac
# INPUT_FRAMING=registry rather than detect: every producer of the demo frames (the simulator
# and the workers themselves), and strict framing makes one that silently wrote plain Avro show
# up as NOT_REGISTRY_FRAMED dead letters; detect would read it anyway and hide the fault.
if [[ $DEMO_FRAMING == registry ]]; then
  export SCHEMA_REGISTRY_URL INPUT_FRAMING=registry OUTPUT_FRAMING=registry
  FRAMING_NOTE="schema-registry framing (Confluent wire format), registry $SCHEMA_REGISTRY_URL"
else
  export INPUT_FRAMING=plain OUTPUT_FRAMING=plain
  FRAMING_NOTE="plain Avro (no schema registry framing${SCHEMA_REGISTRY_URL:+; DEMO_FRAMING=plain})"
fi
unset INPUT_FRAMING_BY_TOPIC
LOGS="$ROOT/.stack/logs"
mkdir -p "$LOGS"
export KAFKA_BROKERS
if [[ -n ${REDIS_CLUSTER_NODES:-} ]]; then export REDIS_CLUSTER_NODES; else export REDIS_URL; fi
# Every run gets its own topics, consumer groups and Redis keys: the simulator replays its
# history from "now - history days", which a previous run's workers have already passed.
RUN_ID=${DEMO_RUN_ID:-$(date -u +%Y%m%d-%H%M%S)}
export TOPIC_PREFIX=${TOPIC_PREFIX-demo-$RUN_ID.}
export KEY_PREFIX=${KEY_PREFIX-demo-$RUN_ID}
export CONSUMER_GROUP_PREFIX=${CONSUMER_GROUP_PREFIX-demo-$RUN_ID}
echo "demo run $RUN_ID: topics ${TOPIC_PREFIX}*, consumer groups ${CONSUMER_GROUP_PREFIX}.*, Redis keys ${KEY_PREFIX}*"
echo "values: $FRAMING_NOTE"
if ! node --import tsx shared/kafka/create-topics-cli.ts >"$LOGS/topics.log" 2>&1; then
  cat "$LOGS/topics.log" >&2
  exit 1
fi
METRICS_PORT=${METRICS_PORT:-9464}
SOW_METRICS_PORT=${SOW_METRICS_PORT:-9465}
RETENTION_METRICS_PORT=${RETENTION_METRICS_PORT:-9466}
NBO_METRICS_PORT=${NBO_METRICS_PORT:-9467}

pids=()
cleanup() {
  echo
  echo "stopping demo processes (the stack keeps running; ./valuestream down stops it)"
  for pid in "${pids[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# Apicurio 2.4's in-memory storage locks up when several clients register schemas at the same
# moment (seen in CI: H2 lock timeouts, then no answer for over a minute, until the workers gave
# up): with a registry, each worker starts once the one before it has registered its schemas.
wait_registered() {
  local name=$1 pid=$2
  [[ $DEMO_FRAMING == registry ]] || return 0
  for _ in $(seq 1 360); do
    if grep -q 'output schemas registered' "$LOGS/$name.log" 2>/dev/null; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "$name stopped before registering its schemas: see $LOGS/$name.log" >&2
      return 1
    fi
    sleep 0.5
  done
  echo "$name did not register its schemas within 180 s: see $LOGS/$name.log" >&2
  return 1
}

echo "starting value-segmentation worker (metrics on http://127.0.0.1:${METRICS_PORT}/metrics)"
METRICS_PORT=$METRICS_PORT IDLE_ADVANCE_MS=${IDLE_ADVANCE_MS:-15000} \
  VALUE_REFRESH_PERIOD=${VALUE_REFRESH_PERIOD:-1h} VALUE_PUBLISH_DELAY=${VALUE_PUBLISH_DELAY:-1h} \
  node --import tsx services/value-segmentation/main.ts >"$LOGS/value-segmentation.log" 2>&1 &
pids+=($!)
wait_registered value-segmentation $!

echo "starting share-of-wallet worker (metrics on http://127.0.0.1:${SOW_METRICS_PORT}/metrics)"
METRICS_PORT=$SOW_METRICS_PORT IDLE_ADVANCE_MS=${IDLE_ADVANCE_MS:-15000} \
  node --import tsx services/share-of-wallet/main.ts >"$LOGS/share-of-wallet.log" 2>&1 &
pids+=($!)
wait_registered share-of-wallet $!

echo "starting retention worker (metrics on http://127.0.0.1:${RETENTION_METRICS_PORT}/metrics)"
METRICS_PORT=$RETENTION_METRICS_PORT IDLE_ADVANCE_MS=${IDLE_ADVANCE_MS:-15000} \
  node --import tsx services/retention/main.ts >"$LOGS/retention.log" 2>&1 &
pids+=($!)
wait_registered retention $!

echo "starting next-best-offer worker (metrics on http://127.0.0.1:${NBO_METRICS_PORT}/metrics)"
METRICS_PORT=$NBO_METRICS_PORT IDLE_ADVANCE_MS=${IDLE_ADVANCE_MS:-15000} \
  NBO_LADDERS_FILE=${NBO_LADDERS_FILE-deploy/next-best-offer-ladders.json} \
  node --import tsx services/next-best-offer/main.ts >"$LOGS/next-best-offer.log" 2>&1 &
pids+=($!)
wait_registered next-best-offer $!

# Two 28-day windows of history before the first share-of-wallet judgement: 120 days of it.
echo "starting point-of-sale simulator (${DEMO_HISTORY_DAYS:-120} days of history, then ${DEMO_RATE:-50} purchases/s live)"
node --import tsx services/pos-simulator/main.ts --customers "${DEMO_CUSTOMERS:-5000}" --rate "${DEMO_RATE:-50}" \
  --history-days "${DEMO_HISTORY_DAYS:-120}" --consumption-customers "${DEMO_CONSUMPTION_CUSTOMERS:-1500}" \
  --consumption-days "${DEMO_HISTORY_DAYS:-120}" --pos-profiles --cross-sell --framing "$DEMO_FRAMING" >"$LOGS/pos-simulator.log" 2>&1 &
pids+=($!)

cat <<INFO

  decisions     : topics segment-changes, under-consumption, retention-offers and next-best-offers (printed below)
  values        : $FRAMING_NOTE
  dead letters  : topic purchases.dlq (malformed demo records land here with a reason)
  metrics       : http://127.0.0.1:${METRICS_PORT}/metrics   (vs_records_consumed_total, vs_value_tier_customers, vs_value_skew_share)
                  http://127.0.0.1:${SOW_METRICS_PORT}/metrics   (vs_share_of_wallet, vs_share_of_wallet_evaluations_total, vs_decisions_total)
                  http://127.0.0.1:${RETENTION_METRICS_PORT}/metrics   (vs_retention_model_parameter, vs_retention_treatments_total, vs_retention_uplift_customers)
                  http://127.0.0.1:${NBO_METRICS_PORT}/metrics   (vs_next_best_offer_model, vs_next_best_offer_decisions_total, vs_next_best_offer_conversions_total)
  health        : http://127.0.0.1:${METRICS_PORT}/healthz  http://127.0.0.1:${METRICS_PORT}/readyz
  logs          : $LOGS/
  stop          : Ctrl-C, then ./valuestream down

INFO
node --import tsx deploy/tools/watch-decisions.ts &
pids+=($!)
# DEMO_SECONDS=n: run for n seconds, then stop everything (the EXIT trap) and exit 0 — for a
# smoke check of the demo (test/e2e/demo.test.ts).
if [[ -n ${DEMO_SECONDS:-} ]]; then
  # In the background: bash runs a trap (Ctrl-C, SIGTERM) only once its foreground command ends.
  sleep "$DEMO_SECONDS" &
  pids+=($!)
  wait "${pids[-1]}"
  exit 0
fi
wait "${pids[-1]}"
