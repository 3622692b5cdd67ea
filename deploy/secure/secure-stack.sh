#!/usr/bin/env bash
# A throwaway secured Kafka + Redis, for the secure-connections test and for trying the
# KAFKA_SSL* / KAFKA_SASL_* / REDIS_TLS_* / REDIS_USERNAME variables by hand:
#
#   bash deploy/secure/secure-stack.sh up DIR     start both; all state (certificates, secrets,
#                                                 data, logs) lives in DIR, which must be new or empty
#   bash deploy/secure/secure-stack.sh down DIR   stop both (DIR is kept: delete it afterwards)
#
# Kafka (jars of .cache/kafka/<version>/libs, as deploy/stack.sh fetches them): one KRaft node
# with a SASL_SSL listener (SCRAM-SHA-512 only, users created at format time) and, on loopback,
# a PLAINTEXT "observer" listener the tests use to check what the worker did. Redis: TLS only
# (no plain port), client certificates required, an ACL file with `default` disabled, an admin
# and one restricted user per worker (deploy/redis/acl-cli.ts). Certificates: a throwaway CA
# (openssl), a server certificate for 127.0.0.1/localhost and a client certificate.
#
# `up` writes DIR/env: KEY=VALUE lines a worker can take as they are (KAFKA_*, REDIS_URL,
# REDIS_TLS_*), plus SECURE_* lines for the tests (observer listener, user names, secret files).
# Tunables: KEY_PREFIX (of the workers' ACL key patterns, default vs), KAFKA_VERSION, KAFKA_HEAP.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
# shellcheck source=deploy/lib/common.sh
source "$ROOT/deploy/lib/common.sh"

KAFKA_VERSION=${KAFKA_VERSION:-$(sed -n -E 's|.*<kafka.version>([^<]+)</kafka.version>.*|\1|p' "$ROOT/deploy/kafka/pom.xml")}
KAFKA_LIBS=$ROOT/.cache/kafka/$KAFKA_VERSION/libs
KAFKA_HEAP=${KAFKA_HEAP:-512m}
KEY_PREFIX=${KEY_PREFIX:-vs}
START_TIMEOUT=${STACK_START_TIMEOUT:-90}
WORKERS=(value-segmentation share-of-wallet retention)

secret() { head -c 24 /dev/urandom | base64 | tr -d '/+=\n'; }

# A throwaway CA, a server certificate (127.0.0.1, localhost) and a client certificate; EC keys
# (fast to generate), PKCS#8 PEM as Kafka's PEM key store wants them.
make_certificates() {
  local tls=$1
  mkdir -p "$tls"
  (
    cd "$tls"
    openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout ca.key -out ca.pem \
      -days 2 -subj "/CN=valuestream throwaway test CA" \
      -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign"
    local name usage
    for name in server client; do
      usage=serverAuth
      [[ $name == client ]] && usage=clientAuth
      openssl req -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -keyout "$name.key" \
        -out "$name.csr" -subj "/CN=valuestream-$name"
      printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\nbasicConstraints=CA:FALSE\nkeyUsage=digitalSignature\nextendedKeyUsage=%s\n' \
        "$usage" >"$name.ext"
      openssl x509 -req -in "$name.csr" -CA ca.pem -CAkey ca.key -CAcreateserial -out "$name.pem" \
        -days 2 -extfile "$name.ext"
    done
    cat server.key server.pem >broker-keystore.pem
    rm -f ./*.csr ./*.ext ca.srl
    chmod 600 ./*.key broker-keystore.pem
  ) >"$tls/openssl.log" 2>&1 || {
    show_log_tail "$tls/openssl.log"
    die "generating test certificates failed"
  }
}

kafka_up() {
  local dir=$1 broker_port=$2 controller_port=$3 observer_port=$4
  local kafka=$dir/kafka secrets=$dir/secrets
  mkdir -p "$kafka/data" "$kafka/logs"
  local broker_password worker_password
  broker_password=$(cat "$secrets/kafka-broker.password")
  worker_password=$(cat "$secrets/kafka-worker.password")
  umask 077
  cat >"$kafka/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$controller_port
listeners=SASL_SSL://127.0.0.1:$broker_port,CONTROLLER://127.0.0.1:$controller_port,OBSERVER://127.0.0.1:$observer_port
advertised.listeners=SASL_SSL://127.0.0.1:$broker_port,OBSERVER://127.0.0.1:$observer_port
listener.security.protocol.map=SASL_SSL:SASL_SSL,CONTROLLER:PLAINTEXT,OBSERVER:PLAINTEXT
inter.broker.listener.name=SASL_SSL
controller.listener.names=CONTROLLER
sasl.enabled.mechanisms=SCRAM-SHA-512
sasl.mechanism.inter.broker.protocol=SCRAM-SHA-512
listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config=org.apache.kafka.common.security.scram.ScramLoginModule required username="vs-broker" password="$broker_password";
ssl.keystore.type=PEM
ssl.keystore.location=$dir/tls/broker-keystore.pem
ssl.truststore.type=PEM
ssl.truststore.location=$dir/tls/ca.pem
ssl.client.auth=none
log.dirs=$kafka/data
auto.create.topics.enable=false
num.partitions=12
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=12
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
share.coordinator.state.topic.replication.factor=1
share.coordinator.state.topic.min.isr=1
min.insync.replicas=1
group.initial.rebalance.delay.ms=0
num.recovery.threads.per.data.dir=1
EOF
  umask 022
  local jvm=("-Xms128m" "-Xmx$KAFKA_HEAP" -XX:+UseG1GC -XX:TieredStopAtLevel=1 -Djava.awt.headless=true
    "-Dkafka.logs.dir=$kafka/logs" "-Dlog4j2.configurationFile=$ROOT/deploy/kafka/log4j2.yaml" -cp "$KAFKA_LIBS/*")
  if ! java "${jvm[@]}" kafka.tools.StorageTool format --cluster-id "$(random_cluster_id)" \
    --config "$kafka/server.properties" \
    --add-scram "SCRAM-SHA-512=[name=vs-broker,password=$broker_password]" \
    --add-scram "SCRAM-SHA-512=[name=vs-worker,password=$worker_password]" \
    >"$kafka/logs/format.log" 2>&1; then
    show_log_tail "$kafka/logs/format.log"
    die "formatting the secure Kafka's storage failed"
  fi
  start_detached "$kafka/kafka.pid" "$kafka/logs/stdout.log" "the secure Kafka" \
    java "${jvm[@]}" kafka.Kafka "$kafka/server.properties"
}

redis_up() {
  local dir=$1 port=$2
  local redis=$dir/redis secrets=$dir/secrets
  mkdir -p "$redis"
  local args=(--key-prefix "$KEY_PREFIX" --default-off --admin "vs-admin:$secrets/redis-admin.password")
  local worker
  for worker in "${WORKERS[@]}"; do
    args+=(--worker "$worker:vs-$worker:$secrets/redis-$worker.password")
  done
  (cd "$ROOT" && node_modules/.bin/tsx deploy/redis/acl-cli.ts "${args[@]}") >"$redis/users.acl" ||
    die "generating the Redis ACL file failed"
  chmod 600 "$redis/users.acl"
  redis-server --bind 127.0.0.1 --port 0 --tls-port "$port" \
    --tls-cert-file "$dir/tls/server.pem" --tls-key-file "$dir/tls/server.key" \
    --tls-ca-cert-file "$dir/tls/ca.pem" --tls-auth-clients yes \
    --aclfile "$redis/users.acl" --dir "$redis" --appendonly yes --appendfsync always --save '' \
    --daemonize yes --pidfile "$redis/redis.pid" --logfile "$redis/redis.log" >/dev/null ||
    die "redis-server with TLS failed to start; see $redis/redis.log"
}

redis_tls_ping() {
  local dir=$1 port=$2
  [[ $(REDISCLI_AUTH=$(cat "$dir/secrets/redis-admin.password") redis-cli --tls \
    --cacert "$dir/tls/ca.pem" --cert "$dir/tls/client.pem" --key "$dir/tls/client.key" \
    -h 127.0.0.1 -p "$port" --user vs-admin ping 2>/dev/null) == PONG ]]
}

cmd_up() {
  local dir=${1:?usage: secure-stack.sh up DIR}
  if [[ -d $dir && -n $(ls -A "$dir") ]]; then die "$dir is not empty"; fi
  [[ -f $KAFKA_LIBS/.complete ]] || die "no Kafka jars in ${KAFKA_LIBS#"$ROOT"/}: run 'bash deploy/stack.sh up' once"
  require_java17
  have openssl || die "openssl not found (Debian: apt-get install openssl)"
  have redis-server || die "redis-server not found (Debian: apt-get install redis-server)"
  mkdir -p "$dir/secrets"
  dir=$(cd "$dir" && pwd)
  local started=$SECONDS name
  (
    umask 077
    for name in kafka-broker kafka-worker redis-admin "${WORKERS[@]/#/redis-}"; do
      secret >"$dir/secrets/$name.password"
    done
  )
  make_certificates "$dir/tls"
  local ports broker_port controller_port observer_port redis_port
  ports=$(free_ports 0 0 0 0)
  { read -r broker_port; read -r controller_port; read -r observer_port; read -r redis_port; } <<<"$ports"
  redis_up "$dir" "$redis_port"
  kafka_up "$dir" "$broker_port" "$controller_port" "$observer_port"

  local deadline=$((SECONDS + START_TIMEOUT))
  until grep -q 'Kafka Server started' "$dir/kafka/logs/server.log" 2>/dev/null; do
    if ! pid_alive "$(read_pid "$dir/kafka/kafka.pid")"; then
      show_log_tail "$dir/kafka/logs/stdout.log" 15
      die "the secure Kafka exited; see $dir/kafka/logs/server.log"
    fi
    ((SECONDS < deadline)) || die "the secure Kafka did not start within ${START_TIMEOUT}s; see $dir/kafka/logs/server.log"
    sleep 0.2
  done
  until redis_tls_ping "$dir" "$redis_port"; do
    if [[ -s $dir/redis/redis.pid ]] && ! pid_alive "$(read_pid "$dir/redis/redis.pid")"; then
      show_log_tail "$dir/redis/redis.log" 5
      die "the TLS Redis exited; see $dir/redis/redis.log"
    fi
    ((SECONDS < deadline)) || die "the TLS Redis does not answer; see $dir/redis/redis.log"
    sleep 0.1
  done

  {
    printf '# Written by deploy/secure/secure-stack.sh up.\n'
    printf 'KAFKA_BROKERS=127.0.0.1:%s\n' "$broker_port"
    printf 'KAFKA_SSL=true\nKAFKA_SSL_CA_FILE=%s\n' "$dir/tls/ca.pem"
    printf 'KAFKA_SASL_MECHANISM=scram-sha-512\nKAFKA_SASL_USERNAME=vs-worker\n'
    printf 'KAFKA_SASL_PASSWORD_FILE=%s\n' "$dir/secrets/kafka-worker.password"
    printf 'REDIS_URL=rediss://127.0.0.1:%s\n' "$redis_port"
    printf 'REDIS_TLS_CA_FILE=%s\n' "$dir/tls/ca.pem"
    printf 'REDIS_TLS_CERT_FILE=%s\nREDIS_TLS_KEY_FILE=%s\n' "$dir/tls/client.pem" "$dir/tls/client.key"
    printf 'SECURE_KEY_PREFIX=%s\n' "$KEY_PREFIX"
    printf 'SECURE_KAFKA_OBSERVER_BROKERS=127.0.0.1:%s\n' "$observer_port"
    printf 'SECURE_REDIS_ADMIN_USERNAME=vs-admin\nSECURE_REDIS_ADMIN_PASSWORD_FILE=%s\n' "$dir/secrets/redis-admin.password"
    for name in "${WORKERS[@]}"; do
      printf 'SECURE_REDIS_USER_%s=vs-%s\n' "${name//-/_}" "$name"
      printf 'SECURE_REDIS_PASSWORD_FILE_%s=%s\n' "${name//-/_}" "$dir/secrets/redis-$name.password"
    done
  } >"$dir/env"
  say "secure stack up in $((SECONDS - started))s: Kafka SASL_SSL 127.0.0.1:$broker_port, Redis TLS 127.0.0.1:$redis_port ($dir/env)"
}

cmd_down() {
  local dir=${1:?usage: secure-stack.sh down DIR}
  local pid
  pid=$(read_pid "$dir/kafka/kafka.pid")
  if [[ -n $pid ]]; then stop_pid "$pid" kafka.Kafka "secure Kafka" 30; fi
  pid=$(read_pid "$dir/redis/redis.pid")
  if [[ -n $pid ]]; then stop_pid "$pid" redis-server "TLS Redis" 15; fi
}

case ${1:-} in
up) cmd_up "${2:-}" ;;
down) cmd_down "${2:-}" ;;
*)
  sed -n '2,19p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' >&2
  exit 2
  ;;
esac
