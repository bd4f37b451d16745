#!/usr/bin/env bash
# The chart on a real Kubernetes API: etcd (Debian's etcd-server), the real kube-apiserver and
# kube-controller-manager (built from the k8s.io/kubernetes Go module: scripts/kube/cmd/kube,
# cached in .mercato/kube/ by version and source hash), no kubelet. Proves what the API server
# decides:
#   - the CRDs of KEDA, Strimzi, CloudNativePG, prometheus-operator and Gateway API (from their
#     Go modules and Maven artifacts: scripts/helm/install-tools.sh) install, and so do k8s/*.yaml;
#   - `helm install` of the production, GPU and minimal values is accepted, each in a namespace
#     enforcing Pod Security "restricted", and every pod the Deployment and Job controllers create
#     from it is admitted (no FailedCreate);
#   - `helm upgrade` and `helm rollback` work; the `helm test` hooks are defined and admitted;
#   - the bad values files (charts/mercato/tests/bad-values) fail `helm install` with the reason.
# Pre-install hook Jobs cannot complete without a kubelet, so helm runs with --no-hooks and the
# hook Jobs are applied on their own (their pods must be admitted too).
# Prints one line per check and "N passed, N failed"; exits non-zero on any failure.
# Usage: bash scripts/kube/chart-e2e.sh [--keep]   (--keep leaves the cluster running, prints KUBECONFIG)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
KUBE_VERSION="${KUBE_VERSION:-v1.37.2}"
KEEP=0
[ "${1:-}" != "--keep" ] || KEEP=1

log() { echo "chart-e2e: $*" >&2; }
die() { echo "chart-e2e: ERROR: $*" >&2; exit 1; }
command -v etcd >/dev/null || die "etcd is missing: apt-get install -y etcd-server"
command -v openssl >/dev/null || die "openssl is missing"
command -v go >/dev/null || die "go is missing (the API server is built from the k8s.io/kubernetes module)"
bash scripts/helm/install-tools.sh >/dev/null
HELM="$ROOT/.mercato/bin/helm"
CRDS="$ROOT/.mercato/kube-schemas/crds"

# --- the binary -------------------------------------------------------------------------------
src_hash="$(cat scripts/kube/go.mod scripts/kube/go.sum scripts/kube/cmd/kube/main.go | sha256sum | cut -c1-12)"
KUBE="$ROOT/.mercato/kube/kube-$KUBE_VERSION-$src_hash"
if [ ! -x "$KUBE" ]; then
  start=$SECONDS
  log "building kube-apiserver, kube-controller-manager and kubectl $KUBE_VERSION from k8s.io/kubernetes (first time: many minutes)"
  mkdir -p "$(dirname "$KUBE")"
  minor="$(echo "$KUBE_VERSION" | cut -d. -f2)"
  (cd scripts/kube && GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false go build -trimpath -o "$KUBE.tmp" \
    -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$minor -X k8s.io/component-base/version.gitTreeState=clean" \
    ./cmd/kube)
  mv "$KUBE.tmp" "$KUBE"
  log "built in $((SECONDS - start))s"
fi

# --- the cluster ------------------------------------------------------------------------------
work="$(mktemp -d /var/tmp/mercato-kube.XXXXXX)"
pids=()
# Stops the cluster in the reverse order of its start: etcd last, since an API server whose etcd has
# gone can hang in its graceful shutdown (seen in CI: minutes); whatever has not exited after 15 s of
# SIGTERM is killed.
stop_pid() {
  local pid="$1"
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 1 30); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.5
  done
  kill -9 "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
}
cleanup() {
  local i
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do stop_pid "${pids[i]}"; done
  rm -rf "$work"
}
if [ "$KEEP" = 0 ]; then trap cleanup EXIT; else trap 'log "kept: $work"' EXIT; fi
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'; }
etcd_port="$(free_port)"
peer_port="$(free_port)"
api_port="$(free_port)"
cm_port="$(free_port)"

pki="$work/pki"
mkdir -p "$pki"
(
  cd "$pki"
  openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj "/CN=mercato-e2e-ca" -keyout ca.key -out ca.crt 2>/dev/null
  cert() { # name subject [san]
    openssl req -newkey rsa:2048 -nodes -subj "$2" -keyout "$1.key" -out "$1.csr" 2>/dev/null
    if [ -n "${3:-}" ]; then printf 'subjectAltName=%s\n' "$3" >"$1.ext"; else : >"$1.ext"; fi
    openssl x509 -req -in "$1.csr" -CA ca.crt -CAkey ca.key -CAcreateserial -days 1 -extfile "$1.ext" -out "$1.crt" 2>/dev/null
  }
  cert apiserver "/CN=kube-apiserver" "IP:127.0.0.1,DNS:localhost,DNS:kubernetes.default.svc"
  cert admin "/O=system:masters/CN=admin"
  openssl genrsa -out sa.key 2048 2>/dev/null
  openssl rsa -in sa.key -pubout -out sa.pub 2>/dev/null
)
export KUBECONFIG="$work/kubeconfig"
cat >"$KUBECONFIG" <<EOF
apiVersion: v1
kind: Config
clusters:
  - name: e2e
    cluster: { server: "https://127.0.0.1:$api_port", certificate-authority: "$pki/ca.crt" }
users:
  - name: admin
    user: { client-certificate: "$pki/admin.crt", client-key: "$pki/admin.key" }
contexts:
  - name: e2e
    context: { cluster: e2e, user: admin }
current-context: e2e
EOF
kubectl() { "$KUBE" kubectl "$@"; }

started=$SECONDS
etcd --name e2e --data-dir "$work/etcd" --listen-client-urls "http://127.0.0.1:$etcd_port" \
  --advertise-client-urls "http://127.0.0.1:$etcd_port" --listen-peer-urls "http://127.0.0.1:$peer_port" \
  --initial-advertise-peer-urls "http://127.0.0.1:$peer_port" --initial-cluster "e2e=http://127.0.0.1:$peer_port" \
  >"$work/etcd.log" 2>&1 &
pids+=($!)
"$KUBE" apiserver --etcd-servers "http://127.0.0.1:$etcd_port" --bind-address 127.0.0.1 --advertise-address 127.0.0.1 \
  --secure-port "$api_port" --client-ca-file "$pki/ca.crt" --tls-cert-file "$pki/apiserver.crt" \
  --tls-private-key-file "$pki/apiserver.key" --service-account-issuer https://kubernetes.default.svc \
  --service-account-key-file "$pki/sa.pub" --service-account-signing-key-file "$pki/sa.key" \
  --service-cluster-ip-range 10.96.0.0/16 --authorization-mode Node,RBAC --allow-privileged=false \
  --endpoint-reconciler-type none \
  >"$work/apiserver.log" 2>&1 &
pids+=($!)
for _ in $(seq 1 120); do
  if kubectl get --raw /readyz >/dev/null 2>&1; then break; fi
  kill -0 "${pids[1]}" 2>/dev/null || { tail -n 30 "$work/apiserver.log" >&2; die "kube-apiserver exited"; }
  sleep 1
done
kubectl get --raw /readyz >/dev/null || { tail -n 30 "$work/apiserver.log" >&2; die "kube-apiserver not ready after 120 s"; }
"$KUBE" controller-manager --kubeconfig "$KUBECONFIG" --bind-address 127.0.0.1 --secure-port "$cm_port" \
  --service-account-private-key-file "$pki/sa.key" --root-ca-file "$pki/ca.crt" --leader-elect=false \
  --use-service-account-credentials=false >"$work/controller-manager.log" 2>&1 &
pids+=($!)
# Running controllers create each namespace's "default" ServiceAccount.
for _ in $(seq 1 60); do
  if kubectl -n default get serviceaccount default >/dev/null 2>&1; then break; fi
  kill -0 "${pids[2]}" 2>/dev/null || { tail -n 30 "$work/controller-manager.log" >&2; die "kube-controller-manager exited"; }
  sleep 1
done
server_version="$(kubectl version -o json | python3 -c 'import json,sys; print(json.load(sys.stdin)["serverVersion"]["gitVersion"])')"
log "kube-apiserver $server_version ready on 127.0.0.1:$api_port in $((SECONDS - started))s (etcd $(etcd --version | sed -n 's/etcd Version: //p'))"
if [ "$KEEP" = 1 ]; then log "KUBECONFIG=$KUBECONFIG (processes ${pids[*]})"; fi

# --- checks -----------------------------------------------------------------------------------
passed=0
failed=0
check() { # description, command...
  local what="$1"; shift
  local out
  if out="$("$@" 2>&1)"; then
    passed=$((passed + 1)); echo "PASS $what${out:+: $(tail -n1 <<<"$out" | cut -c1-120)}"
  else
    failed=$((failed + 1)); echo "FAIL $what"; sed 's/^/     /' <<<"$out" | tail -n 20
  fi
}

apply_crds() {
  kubectl apply --server-side -f "$CRDS" >/dev/null
  kubectl wait --for condition=established --timeout 60s crd --all >/dev/null
  kubectl get crd -o name | wc -l
}
check "CRDs of KEDA, Strimzi, CloudNativePG, prometheus-operator and Gateway API established ($(ls "$CRDS" | wc -l) files)" apply_crds
# The KEDA TriggerAuthentication in k8s/ names ClusterTriggerAuthentication; RuntimeClass, Strimzi,
# CloudNativePG and PodMonitor objects all go through their real validation.
apply_k8s() { kubectl apply -f k8s/namespaces.yaml >/dev/null && kubectl apply -f k8s/; }
check "k8s/*.yaml accepted by the API server" apply_k8s

secrets() { # namespace
  local s
  for s in mercato-database mercato-kafka-user mercato-ingest mercato-webhooks mercato-service-key mercato-ca-bundle \
    mercato-database-ingest mercato-database-feature mercato-database-training mercato-database-model-registry \
    mercato-database-scoring mercato-database-sentiment-monitor; do
    kubectl -n "$1" create secret generic "$s" --from-literal=url=postgres://e2e@127.0.0.1/e2e \
      --from-literal=username=e2e --from-literal=password=e2e --from-literal=key=e2e-pseudonymization-key \
      --from-literal=signing-secret=e2e --from-literal=api-key=mk_e2e --from-literal=ca.crt=e2e >/dev/null
  done
}

# await_pods NAMESPACE WANT [SELECTOR]: waits until the controllers created WANT pods (each one
# admitted, so Pod Security "restricted" let it in) and fails on any FailedCreate event.
await_pods() {
  local ns="$1" want="$2" selector="${3:-}" got
  for _ in $(seq 1 60); do
    got="$(kubectl -n "$ns" get pods ${selector:+-l "$selector"} --no-headers 2>/dev/null | wc -l)"
    [ "$got" -lt "$want" ] || break
    sleep 1
  done
  if kubectl -n "$ns" get events --field-selector reason=FailedCreate -o jsonpath='{range .items[*]}{.message}{"\n"}{end}' | grep .; then
    return 1
  fi
  echo "$got pods for $want wanted"
  [ "$want" -gt 0 ] && [ "$got" -ge "$want" ]
}

# Every Deployment's pods (those without an autoscaler in the cluster run their default 1 replica).
pods_admitted() { # namespace
  await_pods "$1" "$(kubectl -n "$1" get deploy -o jsonpath='{range .items[*]}{.spec.replicas}{"\n"}{end}' | awk '{ s += $1 } END { print s }')"
}

install_case() { # case namespace
  local c="$1" ns="$2" values="charts/mercato/ci/values-$1.yaml"
  kubectl create namespace "$ns" >/dev/null
  kubectl label namespace "$ns" pod-security.kubernetes.io/enforce=restricted \
    pod-security.kubernetes.io/enforce-version=latest pod-security.kubernetes.io/warn=restricted >/dev/null
  secrets "$ns"
  check "helm install ($c values) accepted in namespace $ns" \
    "$HELM" install mercato charts/mercato -n "$ns" -f "$values" --no-hooks --timeout 2m
  check "  $c: every Deployment pod admitted under Pod Security restricted" pods_admitted "$ns"
  hook_jobs() {
    "$HELM" template mercato charts/mercato -n "$ns" -f "$values" --show-only templates/hooks/jobs.yaml |
      kubectl -n "$ns" apply -f - >/dev/null
    await_pods "$ns" "$(kubectl -n "$ns" get jobs --no-headers | wc -l)" app.kubernetes.io/component=setup
  }
  check "  $c: pre-install hook Jobs (topics, migrations) and their pods admitted" hook_jobs
  test_hooks() {
    "$HELM" get hooks mercato -n "$ns" | grep -c 'helm.sh/hook: test'
    "$HELM" template mercato charts/mercato -n "$ns" -f "$values" --show-only templates/tests/ready.yaml |
      kubectl -n "$ns" create --dry-run=server -f -
  }
  check "  $c: helm test hooks defined, their Pod and NetworkPolicy admitted (server dry run)" test_hooks
}

install_case production mercato-production
install_case gpu mercato-gpu
install_case minimal mercato-minimal

ns=mercato-production
upgrade() {
  "$HELM" upgrade mercato charts/mercato -n "$ns" -f charts/mercato/ci/values-production.yaml \
    --set image.digest= --set image.tag=0.1.1 --no-hooks --timeout 2m >/dev/null
  local image=registry.example.com/mercato/mercato:0.1.1 want got
  [ "$(kubectl -n "$ns" get deploy mercato-ingest -o jsonpath='{.spec.template.spec.containers[0].image}')" = "$image" ]
  # The Deployment controller rolls a new ReplicaSet: its pods (new image) must be admitted too.
  images() { kubectl -n "$ns" get "$1" -o jsonpath='{range .items[*]}{.spec.template.spec.containers[0].image}{.spec.containers[0].image}{"\n"}{end}'; }
  want="$(images deploy | grep -cx "$image")"
  for _ in $(seq 1 60); do
    got="$(images pods | grep -cx "$image" || true)"
    [ "$got" -lt "$want" ] || break
    sleep 1
  done
  echo "$want Deployments on the new image, $got of their new pods admitted"
  [ "$want" -gt 0 ] && [ "$got" -ge "$want" ]
}
check "helm upgrade (image 0.1.1): revision 2 rolled out, new pods admitted" upgrade
rollback() {
  "$HELM" rollback mercato 1 -n "$ns" --no-hooks --timeout 2m >/dev/null
  kubectl -n "$ns" get deploy mercato-ingest -o jsonpath='{.spec.template.spec.containers[0].image}' | grep -q '@sha256:'
  "$HELM" history mercato -n "$ns" -o json | python3 -c '
import json, sys
h = json.load(sys.stdin)
print(" ".join("%s:%s" % (r["revision"], r["status"]) for r in h))
assert [r["revision"] for r in h] == [1, 2, 3] and h[-1]["status"] == "deployed", h'
}
check "helm rollback to revision 1 (the pinned digest again)" rollback

for bad in charts/mercato/tests/bad-values/*.yaml; do
  expected="$(sed -n 's/^# Expected: //p' "$bad")"
  refused() {
    local out
    if out="$("$HELM" install bad charts/mercato -n mercato-minimal -f charts/mercato/ci/values-minimal.yaml -f "$1" 2>&1)"; then
      echo "installed, but should have been refused"; return 1
    fi
    echo "$out" | grep -F -- "$2"
  }
  check "bad values $(basename "$bad") refused by helm install: $expected" refused "$bad" "$expected"
done

restricted_refuses_root() {
  # The namespaces really enforce: a pod without the restricted settings is refused.
  local out
  if out="$(kubectl -n mercato-minimal run root-probe --image=busybox --restart=Never --dry-run=server 2>&1)"; then
    echo "admitted: $out"; return 1
  fi
  grep 'violates PodSecurity "restricted' <<<"$out" || { echo "refused for another reason: $out"; return 1; }
}
check "Pod Security restricted is enforced (a root pod is refused)" restricted_refuses_root

echo "chart-e2e: kube-apiserver $server_version, $((SECONDS - started))s"
echo "chart-e2e: $passed passed, $failed failed"
[ "$failed" = 0 ]
