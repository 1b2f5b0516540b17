# Shared steps of the check and screenshot scripts; `source scripts/lib.sh` from the repository root.
# Each script keeps its own `set -euo pipefail`; inherit_errexit makes a failure inside `$(...)` fatal too.
shopt -s inherit_errexit

# A Python venv (cached under ~/.cache/template-sft, or TEMPLATE_SFT_VENV) where `import MODULES`
# works, installing PACKAGES from PyPI when it does not. Prints the venv's python.
#   python="$(venv_with "transformers, yaml" transformers pyyaml)"
venv_with() {
  local modules="$1"; shift
  local venv="${TEMPLATE_SFT_VENV:-$HOME/.cache/template-sft/hf-venv}"
  if [ ! -x "$venv/bin/python" ] || ! "$venv/bin/python" -c "import $modules" 2>/dev/null; then
    [ -x "$venv/bin/python" ] || python3 -m venv "$venv" >&2
    "$venv/bin/pip" install --quiet --disable-pip-version-check "$@" >&2
  fi
  echo "$venv/bin/python"
}

# Build this checkout's release binary and the starter project into a copy under WORK, with any
# further build flags. Prints the version directory it wrote.
#   version="$(build_starter "$work" --tokenizer qwen3=...)"
build_starter() {
  local work="$1"; shift
  cargo build --release --quiet
  cp -r examples/starter "$work/starter"
  rm -rf "$work/starter/dataset"
  target/release/template-sft build -q --config "$work/starter/template-sft.toml" "$@" >/dev/null
  echo "$work/starter/dataset/v1"
}

# A 1280-pixel-wide screenshot of HTML (a file) into PNG with Debian's headless Chromium, installed
# from apt when missing.
#   screenshot page.html docs/page.png 2300
screenshot() {
  local html="$1" png="$2" height="$3"
  if ! command -v chromium >/dev/null 2>&1; then
    echo "installing Debian's chromium" >&2
    local sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
    $sudo apt-get update -q >&2 && DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q chromium >&2
  fi
  local profile; profile="$(mktemp -d)"
  mkdir -p "$(dirname "$png")"
  chromium --headless --no-sandbox --disable-gpu --disable-background-networking \
    --disable-component-update --disable-sync --no-first-run --hide-scrollbars \
    --user-data-dir="$profile" --window-size="1280,$height" \
    --screenshot="$(realpath "$(dirname "$png")")/$(basename "$png")" "file://$(realpath "$html")" 2>/dev/null
  rm -rf "$profile"
}
