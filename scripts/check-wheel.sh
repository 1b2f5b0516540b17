#!/usr/bin/env bash
# `pip install template-sft` works: build the wheel with maturin (from PyPI; it reuses the release
# build's target folder), install it into a fresh virtualenv, and run the tool from there:
# --version, and a build of the starter project. Run by .ci/run:
#   bash scripts/check-wheel.sh
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib.sh

python="$(venv_with "maturin" maturin)"
maturin="$(dirname "$python")/maturin"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
"$maturin" build --release --locked --quiet --out "$work/wheels" >&2
wheel="$(ls "$work"/wheels/template_sft-*.whl)"
echo "built $(basename "$wheel") ($(du -h "$wheel" | cut -f1))" >&2
# The wheel's metadata: its name, the version Cargo.toml says, and the console entry point.
python3 - "$wheel" "$(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)" <<'PY'
import sys, zipfile
wheel, version = sys.argv[1], sys.argv[2]
with zipfile.ZipFile(wheel) as z:
    names = z.namelist()
    meta = next(n for n in names if n.endswith(".dist-info/METADATA"))
    fields = dict(
        line.split(": ", 1) for line in z.read(meta).decode().splitlines() if ": " in line
    )
    assert fields.get("Name") == "template-sft", fields.get("Name")
    assert fields.get("Version") == version, (fields.get("Version"), version)
    scripts = [n for n in names if n.endswith(".data/scripts/template-sft")]
    assert scripts, "no template-sft executable in the wheel: " + ", ".join(names)
print(f"wheel metadata: template-sft {version}, executable {scripts[0]}", file=sys.stderr)
PY
python3 -m venv "$work/venv"
"$work/venv/bin/pip" install --quiet --disable-pip-version-check "$wheel"
tool="$work/venv/bin/template-sft"
version="$("$tool" --version)"
[ "$version" = "template-sft $(sed -n 's/^version = "\(.*\)"/\1/p' Cargo.toml | head -1)" ] \
  || { echo "the installed tool says: $version" >&2; exit 1; }
cp -r examples/starter "$work/starter"
rm -rf "$work/starter/dataset"
"$tool" build -q -c "$work/starter" >/dev/null
"$tool" validate -q "$work/starter/dataset/v1" >/dev/null
echo "wheel: pip-installed $version builds and validates the starter"
