# Shared settings for scripts/*. Sourced, not run.
# Ports are fixed and unusual so Folio's services never collide with a system PostgreSQL or NATS.
set -euo pipefail
FOLIO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
FOLIO_DEV_DIR="${FOLIO_DEV_DIR:-$FOLIO_ROOT/.dev}"
FOLIO_PG_PORT="${FOLIO_PG_PORT:-55432}"
FOLIO_NATS_PORT="${FOLIO_NATS_PORT:-54222}"
FOLIO_NATS_MONITOR_PORT="${FOLIO_NATS_MONITOR_PORT:-58222}"
FOLIO_PG_ADMIN_URL="postgres://folio:folio@127.0.0.1:${FOLIO_PG_PORT}/postgres"
FOLIO_NATS_URL="nats://127.0.0.1:${FOLIO_NATS_PORT}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/folio-target}"

log() { printf '\033[1m[folio]\033[0m %s\n' "$*" >&2; }
die() { printf '\033[1;31m[folio] error:\033[0m %s\n' "$*" >&2; exit 1; }

pg_bin() {
  local dir
  dir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  [ -n "$dir" ] || return 1
  echo "$dir"
}

# The PostgreSQL data folder: .dev/pg in the checkout, unless we run as root and the postgres OS
# user cannot reach it (a checkout under a private folder); then a folder of its own under
# /var/tmp, named after the checkout so each checkout keeps its own cluster.
pg_data_dir() {
  local dir="$FOLIO_DEV_DIR/pg"
  if [ "$(id -u)" = 0 ]; then
    mkdir -p "$dir" && chown postgres "$dir" 2>/dev/null || true
    if ! runuser -u postgres -- test -w "$dir" 2>/dev/null; then
      dir="/var/tmp/folio-pg-$(printf '%s' "$FOLIO_ROOT" | md5sum | cut -c1-12)"
    fi
  fi
  echo "$dir"
}

# Run a command as the postgres OS user when we are root (PostgreSQL refuses to run as root).
as_pg_owner() {
  if [ "$(id -u)" = 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
}

apt_install() {
  [ "$(id -u)" = 0 ] || die "missing $*; install with: sudo apt-get install $*"
  if [ ! -f "$FOLIO_DEV_DIR/.apt-updated" ]; then
    log "apt-get update"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    mkdir -p "$FOLIO_DEV_DIR" && touch "$FOLIO_DEV_DIR/.apt-updated"
  fi
  log "installing $*"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >/dev/null
}
