#!/usr/bin/env bash
# Regenerate src/eval/remotion_api.txt, the public API `eval` checks Remotion names against: every
# name (value or type) exported by a pinned release of `remotion` and of the @remotion packages
# scenes import from (all published at that version), read from their type declarations (npm pack; nothing is installed or
# run). One line per name: `package<TAB>name`, sorted (values and types alike: both can be imported).
#   bash scripts/remotion-api.sh [VERSION]      (default: the version in the file's header)
set -euo pipefail
cd "$(dirname "$0")/.."
out=src/eval/remotion_api.txt
version="${1:-$(sed -n 's/^# remotion \([0-9.]*\).*/\1/p' "$out" 2>/dev/null | head -1)}"
[ -n "$version" ] || { echo "usage: $0 VERSION (e.g. 4.0.541)" >&2; exit 2; }
packages=(remotion @remotion/transitions @remotion/shapes @remotion/paths @remotion/noise
  @remotion/media-utils @remotion/layout-utils @remotion/animation-utils @remotion/motion-blur
  @remotion/player @remotion/gif @remotion/captions @remotion/media
  @remotion/google-fonts @remotion/fonts @remotion/three)
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for p in "${packages[@]}"; do
  dir="$work/$(echo "$p" | tr '/@' '__')"
  mkdir -p "$dir"
  (cd "$dir" && npm pack --silent "$p@$version" >/dev/null && tar -xzf ./*.tgz)
done
python3 - "$work" "$version" "${packages[@]}" > "$out" <<'PY'
import json, os, re, sys

work, version, packages = sys.argv[1], sys.argv[2], sys.argv[3:]

def strip_comments(text):
    text = re.sub(r"/\*.*?\*/", "", text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)

def resolve(base, spec):
    spec = re.sub(r"\.js$", "", spec)
    for candidate in (spec + ".d.ts", os.path.join(spec, "index.d.ts")):
        path = os.path.normpath(os.path.join(os.path.dirname(base), candidate))
        if os.path.isfile(path):
            return path
    return None

def exports(path, seen):
    """(name, kind) pairs a declaration file exports, following `export * from`."""
    if path is None or path in seen:
        return set()
    seen.add(path)
    text = strip_comments(open(path, encoding="utf-8").read())
    # `declare global { … }` declares nothing importable.
    text = re.sub(r"declare global\s*\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\}", "", text)
    out = set()
    for m in re.finditer(r"export\s+\*\s+from\s+['\"]([^'\"]+)['\"]", text):
        if m.group(1).startswith("."):
            out |= exports(resolve(path, m.group(1)), seen)
    for m in re.finditer(r"export\s+\*\s+as\s+(\w+)\s+from", text):
        out.add((m.group(1), "value"))
    for m in re.finditer(r"export\s+(type\s+)?\{([^}]*)\}", text, flags=re.S):
        all_types = bool(m.group(1))
        for item in m.group(2).split(","):
            item = item.strip()
            if not item:
                continue
            is_type = all_types or item.startswith("type ")
            item = re.sub(r"^type\s+", "", item)
            name = re.split(r"\s+as\s+", item)[-1].strip()
            if name and name != "default":
                out.add((name, "type" if is_type else "value"))
    for m in re.finditer(r"export\s+(?:declare\s+)?(?:abstract\s+)?(const|let|var|function|class|enum|namespace|type|interface)\s+(\w+)", text):
        out.add((m.group(2), "type" if m.group(1) in ("type", "interface") else "value"))
    return out

def entry_types(root, entry):
    if isinstance(entry, str):
        return entry if entry.endswith(".d.ts") else None
    if isinstance(entry, dict):
        for key in ("types", "typings", "require", "import", "default"):
            if key in entry:
                found = entry_types(root, entry[key])
                if found:
                    return found
    return None

print(f"# remotion {version}: names exported by these packages, from their type declarations.")
print("# Regenerate with: bash scripts/remotion-api.sh VERSION")
rows = set()
for package in packages:
    root = os.path.join(work, package.replace("/", "_").replace("@", "_"), "package")
    meta = json.load(open(os.path.join(root, "package.json")))
    entries = {".": meta.get("types") or meta.get("typings")}
    for sub, entry in (meta.get("exports") or {}).items():
        if sub == "./package.json" or "*" in sub:
            continue
        types = entry_types(root, entry)
        if types:
            entries[sub] = types
    for sub, types in entries.items():
        if not types:
            continue
        name = package if sub == "." else package + sub[1:]
        for export, _kind in exports(os.path.normpath(os.path.join(root, types)), set()):
            rows.add((name, export))
for row in sorted(rows):
    print("\t".join(row))
PY
echo "wrote $out: $(grep -vc '^#' "$out") names" >&2
