#!/usr/bin/env bash
# install-tfjs-native.sh - offline-friendly native install of @tensorflow/tfjs-node on Node 24.
#
# Why: @tensorflow/tfjs-node's own install script (scripts/install.js) downloads libtensorflow
# from storage.googleapis.com and then asks node-pre-gyp for a prebuilt addon from the same host;
# neither is reachable here (only package registries are). This script instead:
#   1. gets libtensorflow from the PyPI wheel `tensorflow-cpu` (default 2.12.1: the oldest release
#      served for CPython 3.11 / manylinux2014 x86_64 that ships libtensorflow_cc.so.2 with the
#      whole TF_*/TFE_* C API the binding calls) with pip, cached in .mercato/cache/tensorflow/;
#   2. stages it in node_modules/@tensorflow/tfjs-node/deps/{lib,include} in the layout that
#      install.js and binding.gyp expect (libtensorflow.so.<LIBTENSORFLOW_VERSION> sentinel,
#      libtensorflow.so / libtensorflow_framework.so link names, C API headers);
#   3. patches the package's dist/ for Node >= 23, which removed util.isNullOrUndefined
#      (upstream fix tensorflow/tfjs#8425 is merged but unreleased in 4.22.0);
#   4. builds tfjs_binding.node from source with the package's own node-pre-gyp + npm's node-gyp
#      against the local Node headers (npm_config_nodedir, set by scripts/env.sh) - no network;
#   5. verifies that the backend is `tensorflow` and that a matMul gives the right numbers.
# Idempotent: when the binding already loads, computes, and was staged from the requested wheel,
# it is a no-op; once verified, later runs only compare file sizes and times (no node, no TensorFlow
# load), since every `npx mercato` runs this first. All its messages go to stderr, so a command's
# stdout (`mercato … --json`) holds only the command's own output. See docs/tensorflow-native.md.
#
# Usage: scripts/tensorflow/install-tfjs-native.sh [--root DIR] [--force] [--check]
#   --root DIR  project whose node_modules to fix (default: $MERCATO_ROOT, else this repo)
#   --force     restage and rebuild even if the binding already works
#   --check     only verify; exit 1 if a present package does not work
# Environment:
#   TF_WHEEL                  local tensorflow-cpu wheel to use instead of pip (air-gapped use)
#   TF_WHEEL_VERSION          tensorflow-cpu version to fetch (default 2.12.1)
#   TF_WHEEL_SHA256           expected sha256 of the wheel (pinned for the default version)
#   TF_WHEEL_PYTHON           --python-version for pip download (default 3.11)
#   TF_WHEEL_PLATFORM         --platform for pip download (default: this host's tags; e.g.
#                             manylinux2014_x86_64 to prefetch on another machine)
#   PIP_INDEX_URL, PIP_FIND_LINKS, ...   honoured by pip as usual (mirrors)
#   PYTHON                    python used to run pip and unzip the wheel (default python3)
#   TF_GPU_LIBTENSORFLOW_DIR  staged GPU libtensorflow (lib/ + include/, libtensorflow tarball layout)
#                             for @tensorflow/tfjs-node-gpu
#   TF_GPU_WHEEL              or: a local `tensorflow` (not -cpu) wheel, or `pypi` to fetch
#                             tensorflow==TF_WHEEL_VERSION; its libtensorflow_cc is CUDA-enabled
#                             (2.12: CUDA 11.8 / cuDNN 8.6, loaded at run time, CPU fallback)
#                             Without either, tfjs-node-gpu is skipped with a message.
#   MERCATO_TF_CACHE          wheel cache (default $ROOT/.mercato/cache/tensorflow)
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
SCRIPT_REPO="$(cd "$SCRIPT_DIR/../.." && pwd)"

ROOT="${MERCATO_ROOT:-}"
FORCE=0
CHECK_ONLY=0
while [ $# -gt 0 ]; do
  case "$1" in
    --root) ROOT="$2"; shift 2 ;;
    --root=*) ROOT="${1#--root=}"; shift ;;
    --force) FORCE=1; shift ;;
    --check) CHECK_ONLY=1; shift ;;
    -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//' | grep -v '^set -euo'; exit 0 ;;
    *) echo "tfjs-native: unknown argument: $1" >&2; exit 2 ;;
  esac
done
ROOT="$(cd "${ROOT:-$SCRIPT_REPO}" && pwd)"

log() { echo "tfjs-native: $*" >&2; }
die() { echo "tfjs-native: ERROR: $*" >&2; exit 1; }
indent() { sed 's/^/    /'; }

# Node 24 first on PATH and npm_config_nodedir (offline node-gyp headers). env.sh resets
# MERCATO_ROOT to its own repo, so keep ours.
if [ -f "$SCRIPT_REPO/scripts/env.sh" ]; then
  # shellcheck disable=SC1091
  source "$SCRIPT_REPO/scripts/env.sh"
fi
export MERCATO_ROOT="$ROOT"
command -v node >/dev/null || die "node not found"
if [ -z "${npm_config_nodedir:-}" ]; then
  npm_config_nodedir="$(dirname "$(dirname "$(command -v node)")")"
  export npm_config_nodedir
fi
[ -f "$npm_config_nodedir/include/node/node_api.h" ] ||
  die "no Node headers in npm_config_nodedir=$npm_config_nodedir (node-gyp would try to download them)"

PYTHON="${PYTHON:-python3}"
DEFAULT_WHEEL_VERSION="2.12.1"
# sha256 of the pinned PyPI wheels (tensorflow_cpu / tensorflow 2.12.1, cp311 manylinux2014_x86_64)
DEFAULT_CPU_WHEEL_SHA256="7ffb595707a8fb376deaddc768784c7a0242b16cbc6e06393b1733b2ce19f855"
DEFAULT_GPU_WHEEL_SHA256="857a1e331cc34f399236642dbf4ac8f3ca4f36e2df04e45516819db1b3c827c1"
TF_WHEEL_VERSION="${TF_WHEEL_VERSION:-$DEFAULT_WHEEL_VERSION}"
TF_WHEEL_PYTHON="${TF_WHEEL_PYTHON:-3.11}"
CPU_SHA="${TF_WHEEL_SHA256:-}"
GPU_SHA=""
if [ "$TF_WHEEL_VERSION" = "$DEFAULT_WHEEL_VERSION" ]; then
  [ -n "$CPU_SHA" ] || [ -n "${TF_WHEEL:-}" ] || CPU_SHA="$DEFAULT_CPU_WHEEL_SHA256"
  [ "${TF_GPU_WHEEL:-}" != "pypi" ] || GPU_SHA="$DEFAULT_GPU_WHEEL_SHA256"
fi
CACHE="${MERCATO_TF_CACHE:-$ROOT/.mercato/cache/tensorflow}"
STAMP_NAME=".mercato-libtensorflow"

# ---------------------------------------------------------------------------------------------
# helpers

# Prints "ok <details>" when the package at $1 loads with the tensorflow backend and computes;
# on failure prints the tail of what node wrote to stderr and returns 1.
verify_pkg() {
  local errf rc=0; errf="$(mktemp)"
  TF_CPP_MIN_LOG_LEVEL="${TF_CPP_MIN_LOG_LEVEL:-2}" node -e '
    const tf = require(process.argv[1]);
    const backend = tf.getBackend();
    const c = tf.matMul(tf.tensor2d([[1, 2], [3, 4]]), tf.tensor2d([[5, 6], [7, 8]]));
    const got = Array.from(c.dataSync());
    const top = Array.from(tf.topk(tf.tensor1d([3, 1, 2]), 2).values.dataSync());
    const ok = backend === "tensorflow" && got.join() === "19,22,43,50" && top.join() === "3,2";
    console.log((ok ? "ok" : "BAD") + " backend=" + backend + " tfjs-node=" + tf.version["tfjs-node"] +
      " libtensorflow=" + tf.backend().binding.TF_Version + " matMul=[" + got.join(",") + "]");
    process.exit(ok ? 0 : 1);
  ' "$1" 2>"$errf" || rc=$?
  if [ "$rc" != 0 ]; then  # the error lines, else the tail
    grep -m 3 -E '[A-Za-z]*Error:|ERR_[A-Z_]+|undefined symbol|GLIBC' "$errf" || grep -v '^$' "$errf" | tail -n 5
  fi
  rm -f "$errf"
  return "$rc"
}

find_node_gyp() {
  if [ -n "${npm_config_node_gyp:-}" ] && [ -f "$npm_config_node_gyp" ]; then echo "$npm_config_node_gyp"; return; fi
  local p
  p="$(cd "$1" && node -e 'try{console.log(require.resolve("node-gyp/bin/node-gyp.js",{paths:[process.cwd()]}))}catch(e){}')"
  if [ -n "$p" ]; then echo "$p"; return; fi
  if command -v npm >/dev/null; then
    local npm_cli npm_dir
    npm_cli="$(readlink -f "$(command -v npm)")"
    for npm_dir in "$(dirname "$(dirname "$npm_cli")")" "$(npm prefix -g 2>/dev/null)/lib/node_modules/npm"; do
      if [ -f "$npm_dir/node_modules/node-gyp/bin/node-gyp.js" ]; then echo "$npm_dir/node_modules/node-gyp/bin/node-gyp.js"; return; fi
    done
  fi
  command -v node-gyp || true
}

# get_wheel DIST VERSION OVERRIDE: prints the path of the wheel to stage from: OVERRIDE when it
# is a file, else DIST==VERSION from the cache, downloaded with pip on a miss.
get_wheel() {
  local dist="$1" ver="$2" override="${3:-}"
  if [ -n "$override" ] && [ "$override" != "pypi" ]; then
    [ -f "$override" ] || die "wheel $override does not exist"
    echo "$override"; return
  fi
  local dir="$CACHE/wheels" w prefix="${1//-/_}-$2-"
  w="$(find "$dir" -maxdepth 1 -name "$prefix*.whl" 2>/dev/null | head -n1 || true)"
  if [ -z "$w" ]; then
    local plat=()
    if [ -n "${TF_WHEEL_PLATFORM:-}" ]; then
      plat=(--platform "$TF_WHEEL_PLATFORM")
    elif [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
      die "libtensorflow is fetched for Linux x86_64 hosts only; set TF_WHEEL (or TF_WHEEL_PLATFORM to prefetch)"
    fi
    log "  downloading $dist==$ver wheel with pip into $dir" >&2
    mkdir -p "$dir"
    local tmp; tmp="$(mktemp -d "$dir/.dl.XXXXXX")"
    if ! "$PYTHON" -m pip download --no-deps --only-binary=:all: --python-version "$TF_WHEEL_PYTHON" \
        "${plat[@]}" --dest "$tmp" "$dist==$ver" >&2; then
      rm -rf "$tmp"; die "pip could not download $dist==$ver (set PIP_INDEX_URL to a mirror, or TF_WHEEL to a local wheel)"
    fi
    w="$(find "$tmp" -maxdepth 1 -name "$prefix*.whl" | head -n1)"
    [ -n "$w" ] || die "pip downloaded no $prefix*.whl"
    mv "$w" "$dir/" && rm -rf "$tmp"
    w="$dir/$(basename "$w")"
  else
    log "  using cached wheel $(basename "$w")" >&2
  fi
  echo "$w"
}

# check_sha WHEEL EXPECTED: no-op when EXPECTED is empty.
check_sha() {
  [ -n "${2:-}" ] || return 0
  local got; got="$(sha256sum "$1" | cut -d' ' -f1)"
  [ "$got" = "$2" ] || die "sha256 mismatch for $1: got $got, expected $2"
}

# Extracts libtensorflow_cc.so.2, libtensorflow_framework.so.2, the C API headers (transitive
# closure of the includes of tensorflow/c/c_api.h, c_api_experimental.h, eager/c_api.h,
# eager/c_api_experimental.h, core/platform/ctstring*.h) and the LICENSE from wheel $1 into $2.
extract_wheel() {
  "$PYTHON" - "$1" "$2" <<'PY'
import os, re, sys, zipfile
wheel, dest = sys.argv[1], sys.argv[2]
z = zipfile.ZipFile(wheel)
names = set(z.namelist())
def put(member, rel):
    out = os.path.join(dest, rel)
    os.makedirs(os.path.dirname(out), exist_ok=True)
    with z.open(member) as src, open(out, 'wb') as dst:
        while True:
            b = src.read(1 << 20)
            if not b:
                break
            dst.write(b)
for lib in ('libtensorflow_cc.so.2', 'libtensorflow_framework.so.2'):
    m = 'tensorflow/' + lib
    if m not in names:
        sys.exit('wheel has no %s (tensorflow-cpu < 2.12 keeps the C API in _pywrap_tensorflow_internal.so)' % m)
    put(m, 'lib/' + lib)
P = 'tensorflow/include/'
roots = ['tensorflow/c/c_api.h', 'tensorflow/c/c_api_experimental.h', 'tensorflow/c/eager/c_api.h',
         'tensorflow/c/eager/c_api_experimental.h', 'tensorflow/core/platform/ctstring.h',
         'tensorflow/core/platform/ctstring_internal.h']
seen, todo = set(), list(roots)
while todo:
    h = todo.pop()
    if h in seen or P + h not in names:
        continue
    seen.add(h)
    todo += re.findall(r'#include\s+"([^"]+)"', z.read(P + h).decode('utf-8', 'replace'))
for r in roots[:3]:
    if r not in seen:
        sys.exit('wheel has no header %s' % r)
for h in sorted(seen):
    put(P + h, 'include/' + h)
for m in names:
    if re.match(r'[^/]+\.dist-info/LICENSE$', m):
        put(m, 'LICENSE')
print(len(seen))
PY
}

# Adds the link names install.js / binding.gyp expect, inside deps/lib ($1), for libtensorflow
# version $2 (LIBTENSORFLOW_VERSION of the package, 2.9.1 for 4.22.0).
link_names() {
  local lib="$1" v="$2"
  ( cd "$lib"
    [ -e libtensorflow.so.2 ] || ln -s libtensorflow_cc.so.2 libtensorflow.so.2
    [ -e libtensorflow_cc.so.2 ] || ln -s libtensorflow.so.2 libtensorflow_cc.so.2
    [ -e "libtensorflow.so.$v" ] || ln -s libtensorflow.so.2 "libtensorflow.so.$v"
    [ -e libtensorflow.so ] || ln -s libtensorflow.so.2 libtensorflow.so
    [ -e "libtensorflow_framework.so.$v" ] || ln -s libtensorflow_framework.so.2 "libtensorflow_framework.so.$v"
    [ -e libtensorflow_framework.so ] || ln -s libtensorflow_framework.so.2 libtensorflow_framework.so )
}

# Node >= 23 removed util.isNullOrUndefined (and friends); tfjs-node 4.22.0 dist still calls it.
patch_dist() {
  local pkg="$1" f n=0
  for f in $(grep -rlE '\(0, util_1\.(isNullOrUndefined|isArray)\)' "$pkg/dist" --include='*.js' 2>/dev/null || true); do
    sed -i -e 's/(0, util_1\.isNullOrUndefined)/((v) => v === null || v === undefined)/g' \
           -e 's/(0, util_1\.isArray)/Array.isArray/g' "$f"
    n=$((n + 1))
  done
  [ "$n" -eq 0 ] || log "  patched $n dist file(s) for Node >= 23 (util.isNullOrUndefined removed)"
}

build_binding() {
  local pkg="$1" npg node_gyp t0
  npg="$(cd "$pkg" && node -e 'console.log(require.resolve("@mapbox/node-pre-gyp/bin/node-pre-gyp",{paths:[process.cwd()]}))')" ||
    die "@mapbox/node-pre-gyp not found from $pkg (run npm ci first)"
  node_gyp="$(find_node_gyp "$pkg")"
  [ -n "$node_gyp" ] || die "node-gyp not found (it ships with npm; or npm i -D node-gyp)"
  log "  building tfjs_binding.node from source (node $(node -v), headers $npm_config_nodedir)"
  rm -rf "${pkg:?}/build" "${pkg:?}/lib" "${pkg:?}"/build-tmp-napi-v*
  t0=$(date +%s)
  local logf="$pkg/build-tfjs-native.log"
  if ! (cd "$pkg" && npm_config_node_gyp="$node_gyp" node "$npg" install --build-from-source) >"$logf" 2>&1; then
    tail -n 40 "$logf" >&2
    die "binding build failed, full log: $logf"
  fi
  log "  built in $(( $(date +%s) - t0 ))s ($(cd "$pkg" && ls lib/*/tfjs_binding.node))"
}

stamp_of() { cat "$1/deps/$STAMP_NAME" 2>/dev/null || true; }

# What a verification vouches for: the staged libtensorflow and the built binding, by name, size and
# modification time. Recorded in deps/$VERIFIED_NAME after a successful verify_pkg.
VERIFIED_NAME=".mercato-verified"
verified_key() {
  local f
  echo "$(stamp_of "$1")"
  for f in "$1"/deps/lib/* "$1"/lib/napi-v*/tfjs_binding.node; do
    [ -e "$f" ] && stat -L -c '%n %s %Y' "$f"
  done
}
record_verified() { verified_key "$1" >"$1/deps/$VERIFIED_NAME"; }
verified_before() { [ -f "$1/deps/$VERIFIED_NAME" ] && [ "$(verified_key "$1")" = "$(cat "$1/deps/$VERIFIED_NAME")" ]; }

# True when a plain run has nothing to do: no option or local wheel asks for something else, every
# tfjs-node package was staged from the requested wheel and verified with the files it has now, and
# a tfjs-node-gpu package is either verified too or was never staged (it needs TF_GPU_*).
nothing_to_do() {
  [ "$FORCE" = 0 ] && [ "$CHECK_ONLY" = 0 ] || return 1
  [ -z "${TF_WHEEL:-}${TF_GPU_LIBTENSORFLOW_DIR:-}${TF_GPU_WHEEL:-}" ] || return 1
  local pkg
  for pkg in "$ROOT"/node_modules/@tensorflow/tfjs-node{,-gpu} "$ROOT"/*/node_modules/@tensorflow/tfjs-node{,-gpu} \
             "$ROOT"/*/*/node_modules/@tensorflow/tfjs-node{,-gpu}; do
    [ -f "$pkg/package.json" ] || continue
    case "$pkg" in
      *-gpu) [ -n "$(stamp_of "$pkg")" ] || continue ;;
      *) [ "$(stamp_of "$pkg")" = "tensorflow-cpu==$TF_WHEEL_VERSION" ] || return 1 ;;
    esac
    verified_before "$pkg" || return 1
  done
}

# ---------------------------------------------------------------------------------------------

install_pkg() {
  local pkg="$1" name version libtf_version deps_name
  name="$(node -p "require('$pkg/package.json').name")"
  version="$(node -p "require('$pkg/package.json').version")"
  log "$name@$version at ${pkg#"$ROOT"/}"
  [ "$version" = "4.22.0" ] || log "  note: tested with 4.22.0 only"

  # What to stage from: "wheel" (dist, version, override, sha) or a GPU libtensorflow directory.
  local gpu=0 want src_dir="" w_dist="tensorflow-cpu" w_override="${TF_WHEEL:-}" w_sha="$CPU_SHA"
  case "$name" in *-gpu) gpu=1 ;; esac
  if [ "$CHECK_ONLY" = 1 ]; then
    if [ "$gpu" = 1 ] && [ -z "$(stamp_of "$pkg")" ] && [ -z "${TF_GPU_LIBTENSORFLOW_DIR:-}${TF_GPU_WHEEL:-}" ]; then
      log "  SKIP: tfjs-node-gpu was never installed by this script"; return 0
    fi
    local out; if out="$(verify_pkg "$pkg")"; then log "  $out"; return 0; fi
    log "  NOT WORKING:"; indent <<<"$out" >&2; CHECK_FAILED=1; return 0
  fi
  if [ "$gpu" = 1 ]; then
    if [ -n "${TF_GPU_LIBTENSORFLOW_DIR:-}" ]; then
      src_dir="$(cd "$TF_GPU_LIBTENSORFLOW_DIR" && pwd)"
    elif [ -n "${TF_GPU_WHEEL:-}" ]; then
      w_dist="tensorflow"; w_override="$TF_GPU_WHEEL"; w_sha="$GPU_SHA"
    else
      local out
      if [ -n "$(stamp_of "$pkg")" ] && out="$(verify_pkg "$pkg")"; then
        record_verified "$pkg"
        log "  already installed from $(stamp_of "$pkg"): $out"; return 0
      fi
      log "  SKIP: tfjs-node-gpu needs a CUDA build of libtensorflow; its install.js always downloads"
      log "  libtensorflow-gpu-linux-x86_64-2.9.1.tar.gz (CUDA 11.2 / cuDNN 8.1) from storage.googleapis.com,"
      log "  which is not reachable. Set TF_GPU_LIBTENSORFLOW_DIR or TF_GPU_WHEEL (docs/tensorflow-native.md)."
      return 0
    fi
  fi
  if [ -n "$src_dir" ]; then
    want="dir:$src_dir"
  elif [ -n "$w_override" ] && [ "$w_override" != "pypi" ]; then
    want="wheel:$(basename "$w_override")"
  else
    want="$w_dist==$TF_WHEEL_VERSION"
  fi

  patch_dist "$pkg"
  if [ "$FORCE" = 0 ] && [ "$(stamp_of "$pkg")" = "$want" ]; then
    local out
    if out="$(verify_pkg "$pkg")"; then record_verified "$pkg"; log "  already installed: $out"; return 0; fi
    log "  binding present but not working, rebuilding"
  fi

  libtf_version="$(cd "$pkg" && node -p "require('./scripts/deps-constants.js').LIBTENSORFLOW_VERSION")"
  deps_name="$(cd "$pkg" && node -p "require('./scripts/deps-constants.js').depsLibTensorFlowName")"
  local wheel=""
  if [ -z "$src_dir" ]; then
    wheel="$(get_wheel "$w_dist" "$TF_WHEEL_VERSION" "$w_override")"
    check_sha "$wheel" "$w_sha"
  fi
  rm -rf "$pkg/deps.tmp"
  mkdir -p "$pkg/deps.tmp"
  CLEANUP="$pkg/deps.tmp"
  if [ -n "$src_dir" ]; then
    { [ -d "$src_dir/lib" ] && [ -f "$src_dir/include/tensorflow/c/c_api.h" ]; } ||
      die "TF_GPU_LIBTENSORFLOW_DIR=$src_dir must hold lib/ and include/tensorflow/c/c_api.h (libtensorflow tarball layout)"
    log "  staging libtensorflow from $src_dir"
    cp -a "$src_dir/lib" "$src_dir/include" "$pkg/deps.tmp/"
    [ -n "$(find "$pkg/deps.tmp/lib" -maxdepth 1 \( -name 'libtensorflow.so*' -o -name 'libtensorflow_cc.so*' \))" ] ||
      die "no libtensorflow.so* / libtensorflow_cc.so* in $src_dir/lib"
  else
    local nh
    log "  staging libtensorflow from $(basename "$wheel")"
    nh="$(extract_wheel "$wheel" "$pkg/deps.tmp")"
    log "  extracted libtensorflow_cc.so.2, libtensorflow_framework.so.2 and $nh C API headers"
  fi
  link_names "$pkg/deps.tmp/lib" "$libtf_version"
  [ -e "$pkg/deps.tmp/lib/$deps_name" ] || die "staging did not produce deps/lib/$deps_name"
  rm -rf "$pkg/deps" && mv "$pkg/deps.tmp" "$pkg/deps"
  CLEANUP=""

  build_binding "$pkg"
  local out
  if ! out="$(verify_pkg "$pkg")"; then
    indent <<<"$out" >&2
    die "$name built but does not work (see docs/tensorflow-native.md, troubleshooting)"
  fi
  echo "$want" >"$pkg/deps/$STAMP_NAME"
  record_verified "$pkg"
  log "  verified: $out"
}

# ---------------------------------------------------------------------------------------------

CLEANUP=""  # a half-staged deps.tmp to remove if we die
trap '[ -z "$CLEANUP" ] || rm -rf "$CLEANUP"' EXIT

shopt -s nullglob
nothing_to_do && exit 0
log "project root $ROOT (node $(node -v))"
found=0
CHECK_FAILED=0
for name in tfjs-node tfjs-node-gpu; do
  for pkg in "$ROOT/node_modules/@tensorflow/$name" "$ROOT"/*/node_modules/@tensorflow/"$name" \
             "$ROOT"/*/*/node_modules/@tensorflow/"$name"; do
    [ -f "$pkg/package.json" ] || continue
    found=1
    install_pkg "$pkg"
  done
done
if [ "$found" = 0 ]; then
  log "no @tensorflow/tfjs-node or @tensorflow/tfjs-node-gpu under $ROOT/node_modules - nothing to do"
fi
[ "$CHECK_FAILED" = 0 ] || die "a tfjs-node package does not work; run without --check to (re)install"
