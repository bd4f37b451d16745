#!/usr/bin/env bash
# `npm run images [-- cpu|gpu] [--refresh-base]`: builds Mercato's container images here, without a
# Docker engine or an image registry:
#   1. the base images from Debian packages and the project's Node.js (scripts/images/base.sh,
#      cached in the container storage by a hash of their inputs);
#   2. docker/Dockerfile with buildah (podman build), layers cached: the CPU image
#      localhost/mercato:<version> (every service and the CLI, tfjs-node) and the GPU training image
#      localhost/mercato:<version>-gpu (tfjs-node-gpu with CUDA 11.8 / cuDNN 8.6 from PyPI wheels;
#      built, not run: no GPU here);
#   3. an SBOM of each (syft, CycloneDX JSON), added to the image as /usr/share/mercato/sbom.cdx.json
#      and written to .mercato/images/<tag>.cdx.json;
#   4. prints each image's size (uncompressed, and gzip-compressed as a registry stores it), its
#      largest parts, and the build time.
# Labels: OCI title, description, version, revision (git HEAD), created, source, licences.
# Needs root (debootstrap), podman/buildah (apt-get install podman buildah) and Go (syft, once,
# through scripts/helm/install-tools.sh).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
# shellcheck disable=SC1091
source scripts/env.sh

log() { echo "images: $*" >&2; }
die() { echo "images: ERROR: $*" >&2; exit 1; }

variants=()
refresh=()
for arg in "$@"; do
  case "$arg" in
    cpu | gpu) variants+=("$arg") ;;
    --refresh-base) refresh=(--refresh) ;;
    *) die "unknown argument '$arg' (usage: build.sh [cpu|gpu]... [--refresh-base])" ;;
  esac
done
[ ${#variants[@]} -gt 0 ] || variants=(cpu gpu)

for tool in podman buildah; do
  command -v "$tool" >/dev/null || die "$tool is missing: apt-get install -y podman buildah"
done
version="$(node -p "require('./package.json').version")"
revision="$(git rev-parse HEAD 2>/dev/null || echo unknown)"
[ -z "$(git status --porcelain 2>/dev/null)" ] || revision="$revision-dirty"
licence="$(node -p "require('./package.json').license")"
[ "$licence" != "UNLICENSED" ] || licence="LicenseRef-Mercato-Proprietary"
out="$ROOT/.mercato/images"
mkdir -p "$out"

# A TLS-inspecting proxy between this machine and the registries: lend its CA bundle to the build
# steps that download (a build secret: never stored in a layer).
ca_bundle="${NODE_EXTRA_CA_CERTS:-${SSL_CERT_FILE:-}}"
secret=()
if [ -n "$ca_bundle" ] && [ -s "$ca_bundle" ]; then secret=(--secret "id=build-ca,src=$ca_bundle"); fi

# syft (SBOMs) comes with the chart tools, from the Go module proxy (cached in .mercato/bin).
SYFT="$ROOT/.mercato/bin/syft"
[ -x "$SYFT" ] || bash scripts/helm/install-tools.sh >&2

mapfile -t bases < <(bash scripts/images/base.sh "${refresh[@]}")
[ ${#bases[@]} -eq 2 ] || die "base.sh did not name two base images"

# The GPU image cannot run here (no GPU); check on its filesystem instead that every shared library
# the binding and TensorFlow link is in the image, and that the CUDA libraries TensorFlow 2.12 opens
# at run time (dlopen) are in /opt/cuda/lib. Only the driver's libraries may come from the node.
check_gpu_libraries() { # rootfs
  local root="$1" missing=0 lib needed dirs
  dirs=("$root/opt/cuda/lib" "$root/app/node_modules/@tensorflow/tfjs-node-gpu/deps/lib" "$root/usr/lib/x86_64-linux-gnu" "$root/lib/x86_64-linux-gnu")
  for needed in libcudart.so.11.0 libcublas.so.11 libcublasLt.so.11 libcufft.so.10 libcurand.so.10 libcusolver.so.11 libcusparse.so.11 libcudnn.so.8; do
    [ -e "$root/opt/cuda/lib/$needed" ] || { log "GPU image: $needed (opened by TensorFlow) is missing"; missing=1; }
  done
  while read -r lib; do
    for needed in $(readelf -d "$lib" 2>/dev/null | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
      case "$needed" in libcuda.so* | libnvidia-*) continue ;; esac
      local found=0 dir
      for dir in "${dirs[@]}" "$(dirname "$lib")"; do [ -e "$dir/$needed" ] && found=1 && break; done
      [ "$found" = 1 ] || { log "GPU image: ${lib#"$root"} needs $needed, which the image lacks"; missing=1; }
    done
  done < <(find "$root/opt/cuda/lib" "$root/app/node_modules/@tensorflow/tfjs-node-gpu" -name '*.so*' -type f; find "$root/app/node_modules/@tensorflow/tfjs-node-gpu" -name '*.node' -type f)
  [ "$missing" = 0 ] || die "the GPU image would not load TensorFlow's CUDA libraries on a GPU node"
  log "GPU image: every library TensorFlow and the binding need is inside (driver from the node)"
}

mb() { awk -v b="$1" 'BEGIN { printf "%.0f MB", b / 1048576 }'; }

for variant in "${variants[@]}"; do
  tag="localhost/mercato:$version"
  target=runtime-cpu
  if [ "$variant" = gpu ]; then tag="$tag-gpu"; target=runtime-gpu; fi
  started=$SECONDS
  log "building $tag (target $target)"
  # chroot isolation: the build's RUN steps need no OCI runtime or cgroup setup (this also builds
  # inside containers and VMs whose cgroups crun cannot manage). Docker format keeps HEALTHCHECK.
  buildah bud --layers --network host --isolation chroot --format docker \
    -f docker/Dockerfile --ignorefile docker/Dockerfile.dockerignore --target "$target" \
    --build-arg BUILD_BASE="${bases[0]}" --build-arg RUNTIME_BASE="${bases[1]}" \
    --build-arg LICENSES="$licence" "${secret[@]}" \
    --label "org.opencontainers.image.version=$version" \
    --label "org.opencontainers.image.revision=$revision" \
    --label "org.opencontainers.image.created=$(date -u +%Y-%m-%dT%H:%M:%SZ)" \
    -t "$tag.nosbom" . >"$out/$variant-build.log" 2>&1 ||
    { tail -n 40 "$out/$variant-build.log" >&2; die "buildah bud failed (full log: $out/$variant-build.log)"; }
  built=$((SECONDS - started))

  # The SBOM of what the image holds (Debian packages from dpkg, npm packages, Node.js, Python
  # wheels' METADATA), then the image with it inside.
  name="${tag#localhost/}"
  sbom="$out/${name/:/-}.cdx.json"
  ctr="$(buildah from "$tag.nosbom")"
  rootfs="$(buildah mount "$ctr")"
  if [ "$variant" = gpu ]; then check_gpu_libraries "$rootfs"; fi
  "$SYFT" scan "dir:$rootfs" --quiet --source-name "${tag#localhost/}" \
    --source-version "$revision" --output "cyclonedx-json=$sbom" || die "syft could not scan $tag.nosbom"
  buildah umount "$ctr" >/dev/null
  buildah copy --chown 0:0 --chmod 0444 "$ctr" "$sbom" /usr/share/mercato/sbom.cdx.json >/dev/null
  buildah commit --quiet --rm "$ctr" "$tag" >/dev/null
  buildah rmi "$tag.nosbom" >/dev/null

  size="$(podman image inspect "$tag" --format '{{.Size}}')"
  oci="$(mktemp -d /var/tmp/mercato-oci.XXXXXX)"
  skopeo copy --quiet "containers-storage:$tag" "oci:$oci:image" >/dev/null
  compressed="$(find "$oci/blobs" -type f -printf '%s\n' | awk '{ s += $1 } END { print s }')"
  rm -rf "$oci"
  components="$(node -p "require('$sbom').components.length")"
  log "$tag: $(mb "$size") uncompressed, $(mb "$compressed") compressed (gzip layers); built in ${built}s; SBOM $components components"
  echo "$tag $size $compressed $built"
done
