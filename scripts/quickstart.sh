#!/usr/bin/env bash
# Set up everything kjhdz-docs needs on Debian 12, then either build the 2024 cycle or run the tests.
#
#   scripts/quickstart.sh build   # set up, then `invoke build-all --year 2024`
#   scripts/quickstart.sh test    # set up, then the whole test suite (pytest)
#   scripts/quickstart.sh setup   # set up only
#
# Idempotent: packages already installed and an up-to-date .venv are left as they are.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$here"
mode="${1:-setup}"
shift || true

APT_PACKAGES=(
  libreoffice-writer-nogui   # .docx -> PDF/A
  libreoffice-calc-nogui     # .xlsx/.xls/.ods -> PDF/A
  fonts-noto-cjk             # 小标宋 / 黑体 / 宋体 stand-ins
  texlive-lang-chinese       # FandolFang (仿宋, all GB2312 hanzi), FandolKai, FandolHei, FandolSong
  fontconfig
  poppler-utils              # pdffonts, pdftoppm
  qpdf
  chromium                   # headless browser for the archive index page test
  dovecot-imapd              # a real IMAP server the invoke receive tests start on 127.0.0.1
)

log() { printf '[quickstart] %s\n' "$*" >&2; }

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
  missing+=(python3-venv)
fi
if [ "${#missing[@]}" -gt 0 ]; then
  cmd="apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends ${missing[*]}"
  if [ "$(id -u)" = 0 ]; then
    log "installing Debian packages: ${missing[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
  else
    log "missing Debian packages: ${missing[*]}"
    log "run as root:  sudo sh -c '$cmd'"
    exit 3
  fi
fi

if [ ! -x .venv/bin/python ]; then
  log "creating .venv"
  python3 -m venv .venv
fi
stamp=".venv/.kjhdz-installed"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  log "installing Python dependencies into .venv"
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -e '.[test,bench]'
  echo "$want" > "$stamp"
fi

case "$mode" in
  setup) log "set-up complete" ;;
  build) exec .venv/bin/invoke build-all --year 2024 "$@" ;;
  test)  exec .venv/bin/python -m pytest "$@" ;;
  *) log "unknown mode '$mode' (use build, test or setup)"; exit 2 ;;
esac
