#!/usr/bin/env bash
# Owns the local single-node Apache Kafka broker (KRaft: broker + controller in one JVM, no ZooKeeper)
# used by Mercato's development and CI. Jars come from Maven Central through scripts/kafka/pom.xml;
# everything the broker writes lives under .mercato/kafka/ (git-ignored):
#   dist/<version>/libs  the resolved jars        config/  generated server.properties, log4j.properties
#   data/                log dirs + KRaft metadata logs/    server.log, kafka.out   kafka.pid
#
# One broker per checkout. Usage: scripts/kafka/kafka.sh fetch|start|stop|status|reset
# Env: KAFKA_PORT (9092), KAFKA_CONTROLLER_PORT (9093), KAFKA_DATA_DIR (.mercato/kafka/data),
#      KAFKA_HEAP_OPTS (-Xms256m -Xmx768m), KAFKA_VERSION (3.9.2), JAVA_HOME (else java on PATH).
# status exits 0 when a broker answers on KAFKA_PORT, 3 when stopped.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
MERCATO_ROOT="$(cd "$SCRIPT_DIR/../.." && pwd)"
KAFKA_HOME="$MERCATO_ROOT/.mercato/kafka"
KAFKA_VERSION="${KAFKA_VERSION:-3.9.2}"
KAFKA_PORT="${KAFKA_PORT:-9092}"
KAFKA_CONTROLLER_PORT="${KAFKA_CONTROLLER_PORT:-9093}"
KAFKA_DATA_DIR="${KAFKA_DATA_DIR:-$KAFKA_HOME/data}"
KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xms256m -Xmx768m}"
DIST_DIR="$KAFKA_HOME/dist/$KAFKA_VERSION"
LIBS_DIR="$DIST_DIR/libs"
CONFIG_DIR="$KAFKA_HOME/config"
LOG_DIR="$KAFKA_HOME/logs"
PID_FILE="$KAFKA_HOME/kafka.pid"
JAVA="${JAVA_HOME:+$JAVA_HOME/bin/}java"
START_TIMEOUT=60
STOP_TIMEOUT=30

say() { echo "kafka: $*" >&2; }

fetch() {
  [ -f "$DIST_DIR/.complete" ] && return 0
  command -v mvn >/dev/null || { say "mvn not found on PATH"; exit 1; }
  say "fetching Apache Kafka $KAFKA_VERSION jars from Maven Central into ${DIST_DIR#"$MERCATO_ROOT"/}"
  rm -rf "$DIST_DIR" && mkdir -p "$DIST_DIR"
  mvn -B -q -f "$SCRIPT_DIR/pom.xml" -Dkafka.version="$KAFKA_VERSION" \
    dependency:copy-dependencies -DincludeScope=runtime -DoutputDirectory="$LIBS_DIR.tmp" \
    >"$DIST_DIR/mvn.log" 2>&1 || { cat "$DIST_DIR/mvn.log" >&2; say "maven resolution failed"; exit 1; }
  mv "$LIBS_DIR.tmp" "$LIBS_DIR" && rm -f "$DIST_DIR/mvn.log"
  echo "$KAFKA_VERSION" >"$DIST_DIR/.complete"
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
  say "Kafka $KAFKA_VERSION $what on 127.0.0.1:$KAFKA_PORT (pid $pid, $((SECONDS - started))s)"
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
  start) start ;;
  stop) stop ;;
  status) status ;;
  reset) reset ;;
  *) echo "usage: $0 fetch|start|stop|status|reset" >&2; exit 2 ;;
esac
