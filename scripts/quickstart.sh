#!/usr/bin/env bash
# Set up everything kjhdz-docs needs on Debian 12, then either build the 2024 cycle or run the tests.
#
#   scripts/quickstart.sh build   # set up, then `invoke build-all --year 2024`
#   scripts/quickstart.sh test    # set up, then the whole test suite (pytest)
#   scripts/quickstart.sh setup   # set up only
#
# Idempotent: packages already installed and an up-to-date .venv are left as they are. Quiet: apt and pip
# output goes to .cache/quickstart.log; one line per step with its time; on a failure the log's last lines.
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
  strace                     # the durability drill reads the order of fsync and rename from the kernel
  ocrmypdf                   # scans -> searchable PDF/A-2b in the archive (Debian's, with its Tesseract)
  tesseract-ocr-chi-sim      # OCR of the 盖章扫描件 (simplified Chinese)
  ghostscript                # ocrmypdf's PDF/A writer
  img2pdf                    # ocrmypdf's lossless image wrapper
)

log() { printf '[quickstart] %s\n' "$*" >&2; }

# Quiet: apt and pip write into the log file; the terminal gets one line per step with its time, and on a
# failure the log's last lines and its path.
mkdir -p .cache
LOG="$here/.cache/quickstart.log"
: > "$LOG"
step() {   # step "what" command…
  local what="$1"; shift
  local started=$SECONDS rc=0
  printf '[quickstart] %s … ' "$what" >&2
  "$@" >>"$LOG" 2>&1 || rc=$?
  if [ "$rc" -ne 0 ]; then
    printf 'FAILED (exit %s, %s s)\n' "$rc" "$((SECONDS - started))" >&2
    log "last lines of $LOG:"
    tail -n 25 "$LOG" | sed 's/^/    /' >&2
    log "full log: $LOG"
    exit "$rc"
  fi
  printf 'ok (%s s)\n' "$((SECONDS - started))" >&2
}

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
    step "apt-get update" apt-get update
    step "installing ${#missing[@]} Debian package(s): ${missing[*]}" \
      env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
  else
    log "missing Debian packages: ${missing[*]}"
    log "run as root:  sudo sh -c '$cmd'"
    exit 3
  fi
else
  log "Debian packages: all ${#APT_PACKAGES[@]} installed"
fi

if [ ! -x .venv/bin/python ]; then
  step "creating .venv" python3 -m venv .venv
fi
stamp=".venv/.kjhdz-installed"
want="$(sha256sum pyproject.toml | cut -d' ' -f1)"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
  step "upgrading pip in .venv" .venv/bin/python -m pip install --upgrade pip
  step "installing the Python dependencies into .venv" .venv/bin/python -m pip install -e '.[test,bench]'
  echo "$want" > "$stamp"
else
  log "Python environment: .venv up to date"
fi

case "$mode" in
  setup) log "set-up complete (log: $LOG)" ;;
  build)
    # build-all --quiet prints only its closing lines: the time of every step, where the archive is, and
    # last what was rejected and which intake reports say why
    log "building the 2024 cycle (invoke build-all --year 2024) …"
    started=$SECONDS rc=0
    .venv/bin/invoke build-all --year 2024 --quiet "$@" || rc=$?
    if [ "$rc" -ne 0 ]; then
      log "invoke build-all stopped with exit $rc after $((SECONDS - started)) s (exit codes: README.md)"
    fi
    exit "$rc" ;;
  test)  exec .venv/bin/python -m pytest "$@" ;;
  *) log "unknown mode '$mode' (use build, test or setup)"; exit 2 ;;
esac
