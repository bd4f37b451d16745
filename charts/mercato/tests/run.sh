#!/usr/bin/env bash
# Chart tests, as CI runs them:
#   1. the tools (helm, kubeconform, schemas) through scripts/helm/install-tools.sh (cached);
#   2. per ci/values-*.yaml case: helm lint --strict, helm template, kubeconform -strict on every
#      object (counts printed); then kubeconform on the k8s/ cluster manifests;
#   3. hadolint on docker/Dockerfile;
#   4. the policy checks of chart.spec.ts (vitest), which re-render each case and assert PSS
#      "restricted", GPU placement, KEDA bounds, probes/PDBs, NetworkPolicies and the
#      validateValues rejections.
# Exits non-zero on the first failure.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
CHART="$ROOT/charts/mercato"
OUT="$ROOT/.mercato/chart-render"
KUBE_VERSION="${KUBE_VERSION:-1.34.0}"

bash "$ROOT/scripts/helm/install-tools.sh"
# shellcheck disable=SC1091
source "$ROOT/scripts/env.sh"
HELM="$ROOT/.mercato/bin/helm"
KUBECONFORM="$ROOT/.mercato/bin/kubeconform"
SCHEMA_LOCATION="$ROOT/.mercato/kube-schemas/{{ .ResourceKind }}{{ .KindSuffix }}.json"

rm -rf "$OUT" && mkdir -p "$OUT"
for values in "$CHART"/ci/values-*.yaml; do
  name="$(basename "$values" .yaml)"
  name="${name#values-}"
  echo "== case $name"
  "$HELM" lint "$CHART" --strict --kube-version "$KUBE_VERSION" -f "$values" | sed 's/^/   lint: /'
  "$HELM" template mercato "$CHART" --namespace mercato --kube-version "$KUBE_VERSION" -f "$values" >"$OUT/$name.yaml"
  echo "   kinds: $(grep '^kind:' "$OUT/$name.yaml" | sort | uniq -c | awk '{printf "%s %s, ", $1, $3}' | sed 's/, $//')"
  "$KUBECONFORM" -strict -summary -schema-location "$SCHEMA_LOCATION" "$OUT/$name.yaml" | sed 's/^/   kubeconform: /'
done

echo "== k8s/ cluster manifests"
"$KUBECONFORM" -strict -summary -schema-location "$SCHEMA_LOCATION" "$ROOT"/k8s/*.yaml | sed 's/^/   kubeconform: /'

echo "== docker/Dockerfile (hadolint)"
"$ROOT/.mercato/bin/hadolint" "$ROOT/docker/Dockerfile" && echo "   hadolint: no findings"

echo "== policy checks (vitest)"
cd "$ROOT"
npx vitest run --config charts/mercato/tests/vitest.config.mts
