#!/usr/bin/env bash
# Regenerate src/eval/remotion_api.txt, the public API `eval` checks Remotion names against: every
# name (value or type) exported by a pinned release of `remotion` and of the @remotion packages
# scenes import from (all published at that version), read from their type declarations (npm pack; nothing is installed or
# run). One line per name: `package<TAB>name<TAB>kind`, sorted, kind `value` or `type` (both can be
# imported; only a value exists at runtime, on `window.Remotion`). A name declared as both is a value.
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

DECLARATION = r"(?:declare\s+)?(?:abstract\s+)?(const|let|var|function|class|enum|namespace|type|interface)\s+(\w+)"
KIND = lambda keyword: "type" if keyword in ("type", "interface") else "value"
memo = {}

def exports(path):
    """{name: kind} a declaration file exports, following re-exports and imports to the
    declaration (a `.d.ts` writes `export { A } from './x'` for types as well as values)."""
    if path is None:
        return {}
    if path in memo:
        return memo[path]
    memo[path] = {}  # a cycle sees nothing more
    text = strip_comments(open(path, encoding="utf-8").read())
    # `declare global { … }` declares nothing importable.
    text = re.sub(r"declare global\s*\{(?:[^{}]|\{(?:[^{}]|\{[^{}]*\})*\})*\}", "", text)
    local = {m.group(2): KIND(m.group(1)) for m in re.finditer(r"(?:^|[;\n])\s*(?:export\s+)?" + DECLARATION, text)}
    imported = {}
    for m in re.finditer(r"import\s+(type\s+)?\{([^}]*)\}\s*from\s*['\"]([^'\"]+)['\"]", text, flags=re.S):
        for item in m.group(2).split(","):
            item = item.strip()
            if item:
                is_type = bool(m.group(1)) or item.startswith("type ")
                parts = re.split(r"\s+as\s+", re.sub(r"^type\s+", "", item))
                imported[parts[-1].strip()] = ("type", None, None) if is_type else ("from", m.group(3), parts[0].strip())

    def kind_from(source, name):
        if not source.startswith("."):
            return "value"  # another package: counted as what it says it is, a value
        return exports(resolve(path, source)).get(name, "value")

    out = {}
    for m in re.finditer(r"export\s+\*\s+from\s+['\"]([^'\"]+)['\"]", text):
        if m.group(1).startswith("."):
            for name, kind in exports(resolve(path, m.group(1))).items():
                out.setdefault(name, kind)
    for m in re.finditer(r"export\s+\*\s+as\s+(\w+)\s+from", text):
        out[m.group(1)] = "value"
    for m in re.finditer(r"export\s+(type\s+)?\{([^}]*)\}(\s*from\s*['\"]([^'\"]+)['\"])?", text, flags=re.S):
        all_types, source = bool(m.group(1)), m.group(4)
        for item in m.group(2).split(","):
            item = item.strip()
            if not item:
                continue
            is_type = all_types or item.startswith("type ")
            parts = re.split(r"\s+as\s+", re.sub(r"^type\s+", "", item))
            original, name = parts[0].strip(), parts[-1].strip()
            if not name or name == "default":
                continue
            if is_type:
                kind = "type"
            elif source:
                kind = kind_from(source, original)
            elif original in local:
                kind = local[original]
            elif original in imported:
                how, src, orig = imported[original]
                kind = "type" if how == "type" else kind_from(src, orig)
            else:
                kind = "value"
            out[name] = kind
    for m in re.finditer(r"export\s+" + DECLARATION, text):
        out[m.group(2)] = KIND(m.group(1))
    memo[path] = out
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
rows = {}
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
        for export, kind in exports(os.path.normpath(os.path.join(root, types))).items():
            if rows.get((name, export)) != "value":
                rows[(name, export)] = kind
for (name, export), kind in sorted(rows.items()):
    print(f"{name}\t{export}\t{kind}")
PY
echo "wrote $out: $(grep -vc '^#' "$out") names" >&2
