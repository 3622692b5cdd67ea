# shellcheck shell=bash
# Helpers for deploy/stack.sh: messages, prerequisite checks, free ports, process checks.
# Sourced, never run. Expects ROOT (the repository root) to be set.

# --- messages -----------------------------------------------------------------------------

say() { printf 'stack: %s\n' "$*" >&2; }
warn() { printf 'stack: warning: %s\n' "$*" >&2; }
die() {
  printf 'stack: error: %s\n' "$*" >&2
  exit 1
}

# Prints the last lines of a log file, indented, to stderr (for failure messages).
show_log_tail() {
  local file=$1 lines=${2:-30}
  if [[ -s $file ]]; then
    printf 'stack: last %s lines of %s:\n' "$lines" "$file" >&2
    tail -n "$lines" "$file" | sed 's/^/    /' >&2
  fi
}

# --- prerequisites ------------------------------------------------------------------------

have() { command -v "$1" >/dev/null 2>&1; }

# Runs a command as root: directly when we are root, through sudo when it needs no password.
as_root() {
  if [[ $(id -u) == 0 ]]; then
    "$@"
  elif have sudo && sudo -n true 2>/dev/null; then
    sudo -n "$@"
  else
    return 1
  fi
}

require_node() {
  have node || die "node not found: install Node.js 20+ (https://nodejs.org) and run npm ci"
  local major
  major=$(node -p 'process.versions.node.split(".")[0]')
  ((major >= 20)) || die "node 20+ not found (node $(node -v) is too old)"
  if [[ ! -d $ROOT/node_modules/kafkajs || ! -d $ROOT/node_modules/tsx ]]; then
    have npm || die "npm not found (needed for npm ci)"
    say "node_modules missing: running npm ci"
    (cd "$ROOT" && npm ci --no-audit --no-fund) >&2 || die "npm ci failed"
  fi
}

require_java17() {
  have java || die "java 17+ not found: install a JDK 17 or newer (Debian: apt-get install openjdk-17-jre-headless)"
  local line major
  line=$(java -version 2>&1 | head -n 1)
  major=$(sed -E -n 's/.*version "([0-9]+)(\.([0-9]+))?.*/\1 \3/p' <<<"$line")
  # "1.8.0_x" -> 8, "17.0.15" -> 17, "21" -> 21
  if [[ $major == "1 "* ]]; then major=${major#1 }; else major=${major%% *}; fi
  [[ $major =~ ^[0-9]+$ ]] || die "java 17+ not found: cannot read the version of '$(command -v java)' ($line)"
  ((major >= 17)) || die "java 17+ not found: '$(command -v java)' is Java $major ($line)"
}

require_mvn() {
  have mvn || die "mvn not found: install Maven 3.6+ (Debian: apt-get install maven); it fetches the Kafka jars from Maven Central once"
}

# Installs redis-server (and redis-cli) with apt-get when missing.
require_redis_server() {
  if have redis-server && have redis-cli; then return 0; fi
  have apt-get || die "redis-server not found and apt-get is not available: install Redis 7 (redis-server, redis-cli) or set REDIS_URL"
  say "redis-server not found: installing it with apt-get"
  if ! as_root env DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2 ||
    ! as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends redis-server >&2; then
    die "redis-server not found and could not be installed (needs root or password-less sudo): run 'sudo apt-get install redis-server' or set REDIS_URL"
  fi
  if ! have redis-server || ! have redis-cli; then
    die "redis-server not found even after apt-get install redis-server"
  fi
}

# --- ports and processes ------------------------------------------------------------------

# free_ports PREFERRED... : prints one free loopback TCP port per argument, one per line. Each
# preferred port is used when it is free, otherwise any free port the kernel hands out.
free_ports() {
  node -e '
    const net = require("node:net");
    const taken = new Set();
    const tryListen = (port) => new Promise((resolve) => {
      const server = net.createServer();
      server.once("error", () => resolve(null));
      server.listen({ port, host: "127.0.0.1", exclusive: true }, () => {
        const actual = server.address().port;
        server.close(() => resolve(actual));
      });
    });
    (async () => {
      for (const wanted of process.argv.slice(1).map(Number)) {
        let port = taken.has(wanted) ? null : await tryListen(wanted);
        while (port === null || taken.has(port)) port = await tryListen(0);
        taken.add(port);
        console.log(port);
      }
    })();
  ' "$@"
}

# pid_alive PID [PATTERN]: the process exists (and its command line contains PATTERN).
# Starts a command detached from this terminal (its own session with setsid, so Ctrl-C here does
# not reach it), stdout and stderr to LOG. The child writes its own pid to PIDFILE before exec'ing
# the command, which holds whether or not setsid forks. Waits up to 5 s for the pid file and dies
# naming WHAT otherwise.   start_detached PIDFILE LOG WHAT command [args...]
start_detached() {
  local pidfile=$1 log=$2 what=$3
  shift 3
  local detach=()
  have setsid && detach=(setsid)
  rm -f "$pidfile"
  # Every process started while holding the stack lock must close fd 9 (9>&-).
  # shellcheck disable=SC2016
  "${detach[@]}" nohup bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$pidfile" "$@" </dev/null >"$log" 2>&1 9>&- &
  local waited=0
  until [[ -s $pidfile ]]; do
    ((waited++ < 50)) || die "$what did not start; see $log"
    sleep 0.1
  done
}

pid_alive() {
  local pid=$1 pattern=${2:-}
  [[ $pid =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  [[ -z $pattern ]] && return 0
  ps -o args= -p "$pid" 2>/dev/null | grep -q -- "$pattern"
}

# read_pid FILE: prints the pid stored in FILE, or nothing.
read_pid() {
  if [[ -s $1 ]]; then tr -dc '0-9' <"$1"; fi
}

# stop_pid PID PATTERN NAME [TIMEOUT_S]: SIGTERM, wait, then SIGKILL. Only touches a process whose
# command line matches PATTERN, so a recycled pid is never killed.
stop_pid() {
  local pid=$1 pattern=$2 name=$3 timeout=${4:-30} waited=0
  pid_alive "$pid" "$pattern" || return 0
  say "stopping $name (pid $pid)"
  kill -TERM "$pid" 2>/dev/null || true
  while pid_alive "$pid" "$pattern"; do
    if ((waited >= timeout * 10)); then
      warn "$name (pid $pid) did not stop within ${timeout}s: killing it"
      kill -KILL "$pid" 2>/dev/null || true
      sleep 0.5
      break
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
  ! pid_alive "$pid" "$pattern" || die "could not stop $name (pid $pid)"
}

# stop_pids PATTERN NAME TIMEOUT_S PID...: stop_pid for several processes at once: all get SIGTERM
# together, then those still running after the timeout SIGKILL. For a group of processes that
# would wait for each other if stopped one by one (a Kafka quorum).
stop_pids() {
  local pattern=$1 name=$2 timeout=$3 pid alive=() waited=0
  shift 3
  for pid in "$@"; do pid_alive "$pid" "$pattern" && alive+=("$pid"); done
  ((${#alive[@]})) || return 0
  say "stopping $name (pids ${alive[*]})"
  kill -TERM "${alive[@]}" 2>/dev/null || true
  while :; do
    local still=()
    for pid in "${alive[@]}"; do pid_alive "$pid" "$pattern" && still+=("$pid"); done
    ((${#still[@]})) || return 0
    if ((waited >= timeout * 10)); then
      warn "$name: pids ${still[*]} did not stop within ${timeout}s: killing them"
      kill -KILL "${still[@]}" 2>/dev/null || true
      sleep 0.5
      for pid in "${still[@]}"; do ! pid_alive "$pid" "$pattern" || die "could not stop $name (pid $pid)"; done
      return 0
    fi
    sleep 0.1
    waited=$((waited + 1))
  done
}

# --- health checks (kafkajs / ioredis from node_modules) -----------------------------------

# kafka_wait BROKERS TIMEOUT_S [PID]: waits until a metadata request to BROKERS succeeds. Fails
# early when PID (the broker we started) dies. Prints the broker count on success.
kafka_wait() {
  (cd "$ROOT" && node -e '
    const { Kafka, logLevel } = require("kafkajs");
    const [brokers, timeoutS, pid] = process.argv.slice(1);
    const deadline = Date.now() + Number(timeoutS) * 1000;
    const kafka = new Kafka({
      clientId: "valuestream-stack-check",
      brokers: brokers.split(",").map((b) => b.trim()).filter(Boolean),
      logLevel: logLevel.NOTHING,
      connectionTimeout: 2000,
      requestTimeout: 5000,
      retry: { retries: 0 },
    });
    const alive = () => { if (!pid) return true; try { process.kill(Number(pid), 0); return true; } catch { return false; } };
    (async () => {
      let last = "no answer";
      while (Date.now() < deadline) {
        if (!alive()) { console.error("broker process " + pid + " exited"); process.exit(2); }
        const admin = kafka.admin();
        try {
          await admin.connect();
          const cluster = await admin.describeCluster();
          await admin.disconnect();
          console.log(cluster.brokers.length);
          process.exit(0);
        } catch (e) {
          last = e && e.message ? e.message : String(e);
          await admin.disconnect().catch(() => {});
        }
        await new Promise((r) => setTimeout(r, 500));
      }
      console.error("no answer from " + brokers + " within " + timeoutS + "s: " + last);
      process.exit(1);
    })();
  ' "$@")
}

# redis_wait URL TIMEOUT_S: waits until PING on URL answers PONG.
redis_wait() {
  (cd "$ROOT" && node -e '
    const Redis = require("ioredis");
    const [url, timeoutS] = process.argv.slice(1);
    const deadline = Date.now() + Number(timeoutS) * 1000;
    (async () => {
      let last = "no answer";
      while (Date.now() < deadline) {
        const redis = new Redis(url, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 2000 });
        redis.on("error", () => {});
        try {
          await redis.connect();
          if ((await redis.ping()) === "PONG") { redis.disconnect(); process.exit(0); }
        } catch (e) {
          last = e && e.message ? e.message : String(e);
        }
        redis.disconnect();
        await new Promise((r) => setTimeout(r, 300));
      }
      console.error("no answer from " + url.replace(/\/\/[^@/]*@/, "//***@") + " within " + timeoutS + "s: " + last);
      process.exit(1);
    })();
  ' "$@")
}

# A random KRaft cluster id: 16 random bytes in URL-safe base64 without padding (22 chars),
# like `kafka-storage random-uuid`; never starting with "-" (the tools would read it as a flag).
random_cluster_id() {
  local id
  while :; do
    id=$(head -c 16 /dev/urandom | base64 | tr '+/' '-_' | tr -d '=\n')
    [[ ${#id} == 22 && $id != -* ]] && break
  done
  printf '%s\n' "$id"
}
