# shellcheck shell=bash
# The local schema registry of deploy/stack.sh: Apicurio Registry (Confluent-compatible API),
# built from Maven Central by deploy/schema-registry/pom.xml, run in memory on 127.0.0.1.
# Sourced, never run. Expects ROOT, STACK_DIR, START_TIMEOUT and the helpers of common.sh.

REGISTRY_POM=$ROOT/deploy/schema-registry/pom.xml
REGISTRY_SETTINGS=$ROOT/deploy/schema-registry/settings.xml
REGISTRY_VERSION=$(sed -n -E 's|.*<apicurio.version>([^<]+)</apicurio.version>.*|\1|p' "$REGISTRY_POM")
REGISTRY_HOME=$ROOT/.cache/schema-registry/$REGISTRY_VERSION
REGISTRY_JAR=$REGISTRY_HOME/apicurio-registry-runner.jar
REGISTRY_DIR=$STACK_DIR/schema-registry
REGISTRY_PREFERRED_PORT=${SCHEMA_REGISTRY_PORT:-18081}
REGISTRY_HEAP=${SCHEMA_REGISTRY_HEAP:-256m}
REGISTRY_PATTERN='apicurio-registry-runner.jar'
# The Confluent-compatible API; what SCHEMA_REGISTRY_URL points at.
REGISTRY_API_PATH=/apis/ccompat/v7

# on (default) or off: off starts no registry and writes no SCHEMA_REGISTRY_URL (saves ~250 MB).
registry_enabled() {
  case ${STACK_SCHEMA_REGISTRY:-on} in
  on | 1 | true | yes) return 0 ;;
  off | 0 | false | no) return 1 ;;
  *) die "STACK_SCHEMA_REGISTRY must be on or off, got '${STACK_SCHEMA_REGISTRY}'" ;;
  esac
}

registry_pid() { read_pid "$REGISTRY_DIR/registry.pid"; }
registry_port() { if [[ -s $REGISTRY_DIR/port ]]; then cat "$REGISTRY_DIR/port"; fi; }
registry_running() { pid_alive "$(registry_pid)" "$REGISTRY_PATTERN"; }
registry_local_url() { printf 'http://127.0.0.1:%s%s\n' "$1" "$REGISTRY_API_PATH"; }

# The cache is keyed by the build's inputs, so an edited pom rebuilds and nothing else does.
registry_build_key() { cat "$REGISTRY_POM" "$REGISTRY_SETTINGS" | sha256sum | cut -d' ' -f1; }

# Builds the runnable registry once per pom into .cache/schema-registry/<version>/.
registry_build() {
  [[ -n $REGISTRY_VERSION ]] || die "cannot read <apicurio.version> from ${REGISTRY_POM#"$ROOT"/}"
  local key
  key=$(registry_build_key)
  if [[ -f $REGISTRY_HOME/.complete && $(cat "$REGISTRY_HOME/.complete") == "$key" ]]; then return 0; fi
  require_mvn
  say "building Apicurio Registry $REGISTRY_VERSION from Maven Central into ${REGISTRY_HOME#"$ROOT"/} (once per pom: 2.5-3.5 min with an empty ~/.m2, 15-40 s otherwise)"
  local tmp=$REGISTRY_HOME.tmp.$$
  rm -rf "$tmp"
  mkdir -p "$tmp"
  if ! mvn -q -B -Dstyle.color=never -s "$REGISTRY_SETTINGS" -f "$REGISTRY_POM" package \
    -Dregistry.build.directory="$tmp/build" 2>&1 |
    sed -E 's/\x1b\[[0-9;]*m//g; /^[[:space:]]*$/d' >&2; then
    rm -rf "$tmp"
    die "mvn could not build the schema registry (see the errors above); STACK_SCHEMA_REGISTRY=off starts the stack without it"
  fi
  local runner
  runner=$(find "$tmp/build" -maxdepth 1 -name '*-runner.jar' | head -n 1)
  [[ -n $runner && -d $tmp/build/lib ]] || die "mvn finished but no runner jar and lib/ in $tmp/build"
  mv "$runner" "$tmp/apicurio-registry-runner.jar"
  mv "$tmp/build/lib" "$tmp/lib"
  rm -rf "$tmp/build" "$REGISTRY_HOME"
  mv "$tmp" "$REGISTRY_HOME"
  printf '%s\n' "$key" >"$REGISTRY_HOME/.complete"
}

# registry_wait URL TIMEOUT_S [PID]: waits until GET URL/subjects answers 200 (basic auth from
# SCHEMA_REGISTRY_USERNAME/PASSWORD, a private CA from SCHEMA_REGISTRY_CA_FILE). Fails early when
# PID (the registry we started) dies.
registry_wait() {
  local extra_ca=${SCHEMA_REGISTRY_CA_FILE:-${NODE_EXTRA_CA_CERTS:-}}
  (cd "$ROOT" && NODE_EXTRA_CA_CERTS=$extra_ca node -e '
    const [url, timeoutS, pid] = process.argv.slice(1);
    const deadline = Date.now() + Number(timeoutS) * 1000;
    const headers = {};
    const user = process.env.SCHEMA_REGISTRY_USERNAME;
    if (user) headers.authorization = "Basic " + Buffer.from(user + ":" + (process.env.SCHEMA_REGISTRY_PASSWORD ?? "")).toString("base64");
    const alive = () => { if (!pid) return true; try { process.kill(Number(pid), 0); return true; } catch { return false; } };
    (async () => {
      let last = "no answer";
      while (Date.now() < deadline) {
        if (!alive()) { console.error("registry process " + pid + " exited"); process.exit(2); }
        try {
          const res = await fetch(url.replace(/\/+$/, "") + "/subjects", { headers, signal: AbortSignal.timeout(3000) });
          if (res.ok) process.exit(0);
          last = "HTTP " + res.status;
        } catch (e) {
          last = e && e.cause && e.cause.code ? e.cause.code : e && e.message ? e.message : String(e);
        }
        await new Promise((r) => setTimeout(r, 250));
      }
      console.error("no answer from " + url + " within " + timeoutS + "s: " + last);
      process.exit(1);
    })();
  ' "$@")
}

# Apicurio starts with compatibility NONE, and the startup property alone leaves GET /config
# saying NONE: set the global rule through the API, then read it back.
registry_set_backward() {
  (cd "$ROOT" && node -e '
    const url = process.argv[1] + "/config";
    (async () => {
      const put = await fetch(url, {
        method: "PUT",
        headers: { "content-type": "application/vnd.schemaregistry.v1+json" },
        body: JSON.stringify({ compatibility: "BACKWARD" }),
      });
      if (!put.ok) throw new Error("PUT " + url + ": HTTP " + put.status + " " + (await put.text()));
      const level = (await (await fetch(url)).json()).compatibilityLevel;
      if (level !== "BACKWARD") throw new Error("GET " + url + " says " + level + " after PUT BACKWARD");
    })().catch((e) => { console.error(e.message); process.exit(1); });
  ' "$1")
}

# Sets REGISTRY_URL: the external registry, the running one, or a new one; empty when off.
registry_up() {
  REGISTRY_URL=''
  if [[ -n ${SCHEMA_REGISTRY_URL:-} ]]; then
    say "SCHEMA_REGISTRY_URL is set: using the registry at $SCHEMA_REGISTRY_URL (not starting one)"
    registry_wait "$SCHEMA_REGISTRY_URL" "$START_TIMEOUT" ||
      die "the schema registry at SCHEMA_REGISTRY_URL=$SCHEMA_REGISTRY_URL does not answer"
    REGISTRY_URL=$SCHEMA_REGISTRY_URL
    return 0
  fi
  if ! registry_enabled; then
    say "STACK_SCHEMA_REGISTRY=off: no schema registry"
    return 0
  fi

  if registry_running; then
    local url
    url=$(registry_local_url "$(registry_port)")
    if registry_wait "$url" 30 "$(registry_pid)"; then
      say "schema registry already running (pid $(registry_pid), $url)"
      REGISTRY_URL=$url
      return 0
    fi
    show_log_tail "$REGISTRY_DIR/registry.log"
    die "the schema registry (pid $(registry_pid)) runs but does not answer on $url; see $REGISTRY_DIR/registry.log, or run 'bash deploy/stack.sh down schema-registry' and up again"
  fi

  require_java17
  registry_build
  mkdir -p "$REGISTRY_DIR"
  local port url
  port=$(free_ports "$REGISTRY_PREFERRED_PORT")
  printf '%s\n' "$port" >"$REGISTRY_DIR/port"
  url=$(registry_local_url "$port")

  say "starting Apicurio Registry $REGISTRY_VERSION on 127.0.0.1:$port (in memory, -Xmx$REGISTRY_HEAP, logs ${REGISTRY_DIR#"$ROOT"/}/registry.log)"
  # A clean environment: the app's own application.properties reads variables such as HTTP_PORT,
  # LOG_LEVEL and KAFKA_BOOTSTRAP_SERVERS, which mean other things in this project's shells.
  # One request at a time: Apicurio 2.4.2 on H2 races when two requests register the same schema
  # text under different subjects at once (an "artifact already exists" 409, or a 500 from H2's
  # unique index or table lock), which parallel test files do. One worker thread serialises them;
  # one database connection instead would deadlock (a request takes a second one).
  # Detached like Kafka; env -i execs java in place, so the pid recorded is java's.
  start_detached "$REGISTRY_DIR/registry.pid" "$REGISTRY_DIR/registry.log" "the schema registry" \
    env -i PATH="$PATH" HOME="${HOME:-/tmp}" ${JAVA_HOME:+JAVA_HOME="$JAVA_HOME"} \
    java "-Xmx$REGISTRY_HEAP" -Djava.awt.headless=true \
    -Dquarkus.http.host=127.0.0.1 "-Dquarkus.http.port=$port" \
    -Dquarkus.thread-pool.core-threads=1 -Dquarkus.thread-pool.max-threads=1 \
    -jar "$REGISTRY_JAR"
  if ! registry_wait "$url" "$START_TIMEOUT" "$(registry_pid)"; then
    show_log_tail "$REGISTRY_DIR/registry.log"
    die "the schema registry did not come up; see $REGISTRY_DIR/registry.log"
  fi
  registry_set_backward "$url" || die "could not set the registry's global compatibility to BACKWARD (see above)"
  say "schema registry is up (pid $(registry_pid), compatibility BACKWARD)"
  # shellcheck disable=SC2034 # read by deploy/stack.sh
  REGISTRY_URL=$url
}

registry_down() {
  local pid
  pid=$(registry_pid)
  if [[ -n $pid ]]; then stop_pid "$pid" "$REGISTRY_PATTERN" "the schema registry" 30; fi
  rm -f "$REGISTRY_DIR/registry.pid"
}

# One line of `stack.sh status`; returns 3 when a registry that should answer does not.
registry_status() {
  local pid port url
  if [[ -n ${SCHEMA_REGISTRY_URL:-} ]]; then
    if registry_wait "$SCHEMA_REGISTRY_URL" 5 2>/dev/null; then
      printf 'schema-registry  external  %s  answering\n' "$SCHEMA_REGISTRY_URL"
    else
      printf 'schema-registry  external  %s  NOT answering\n' "$SCHEMA_REGISTRY_URL"
      return 3
    fi
  elif registry_running; then
    pid=$(registry_pid) port=$(registry_port)
    url=$(registry_local_url "$port")
    if registry_wait "$url" 5 "$pid" 2>/dev/null; then
      printf 'schema-registry  running   %s  pid %s  Apicurio %s  logs %s\n' "$url" "$pid" "$REGISTRY_VERSION" "$REGISTRY_DIR/registry.log"
    else
      printf 'schema-registry  starting or unhealthy  %s  pid %s  logs %s\n' "$url" "$pid" "$REGISTRY_DIR/registry.log"
      return 3
    fi
  elif ! registry_enabled; then
    printf 'schema-registry  off (STACK_SCHEMA_REGISTRY=off)\n'
  else
    printf 'schema-registry  stopped\n'
    return 3
  fi
}
