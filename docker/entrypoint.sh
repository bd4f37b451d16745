#!/bin/sh
# Starts one Mercato process from the shared image:
#   <service>                 ingest | feature | training | model-registry | scoring | sentiment-monitor
#   cli <command> [args...]   the mercato CLI (e.g. `cli topics create`, `cli migrate --service feature`)
#   node ... | any command    run as given (what the Helm chart does: node dist/services/<name>/src/main.js)
#   (nothing)                 the service named by $SERVICE
# exec keeps the process PID 1's child under tini, so SIGTERM reaches it and starts the drain.
set -eu
cd /app

run_service() {
  case "$1" in
    ingest | feature | training | model-registry | scoring | sentiment-monitor)
      exec node "dist/services/$1/src/main.js" ;;
    *)
      echo "entrypoint: unknown service '$1' (expected ingest, feature, training, model-registry, scoring or sentiment-monitor)" >&2
      exit 64 ;;
  esac
}

if [ "$#" -eq 0 ]; then
  if [ -z "${SERVICE:-}" ]; then
    echo "entrypoint: name a service (argument or SERVICE), or 'cli <command>'" >&2
    exit 64
  fi
  run_service "$SERVICE"
fi

case "$1" in
  cli | mercato)
    shift
    exec node dist/scripts/cli/src/main.js "$@" ;;
  ingest | feature | training | model-registry | scoring | sentiment-monitor)
    run_service "$1" ;;
  *)
    exec "$@" ;;
esac
