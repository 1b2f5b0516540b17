"""The bench's peer: a straightforward Python + tiktoken pipeline doing the core of `template-sft build`
on a synthetic project (scripts/bench-scale.sh times the two side by side).

What it does, the way a team would write it first: read the JSON catalog, the curated prompts and
each template's code file; count the code's and each brief's o200k tokens with tiktoken; write
briefs (prompt, format, a duration); split by a hash of the template id; write {split}.jsonl,
{split}.upload.jsonl, {split}.meta.jsonl, stats.json and a SHA-256 manifest.

Without --checks it does not do what template-sft's build also does: parse the TSX, run its top
level for the duration, cluster near-copies, drop repeated prompts (so the comparison is in the
peer's favour). With --checks it does them with the libraries a Python team would reach for:
tree-sitter's TSX grammar (a syntax error, or no default export, rejects the scene), QuickJS (the
`quickjs` package) running the top level with types and JSX stripped by the parse, the
`durationInFrames` export stating the duration, datasketch's MinHash LSH over word 5-grams at
template-sft's threshold (0.36) to keep near-copies in one split, and repeated prompts dropped.
Neither renders.

    python peer_build.py PROJECT_DIR OUT_DIR O200K_BASE.tiktoken [--checks]
"""

import hashlib
import json
import os
import re
import shutil
import sys

import tiktoken

SYSTEM = ("You are a Remotion code generator. Respond with valid TSX only. "
          "Start with imports/const declarations and never add prose.")
SIZES = {"landscape": (1920, 1080), "portrait": (1080, 1920), "square": (1080, 1080)}
VARIANTS = 4
FPS = 30


def o200k(path):
    # tiktoken's own o200k_base, its ranks read from a local copy of the file it would download
    # (this machine reaches no CDN): tiktoken looks in TIKTOKEN_CACHE_DIR under the SHA-1 of the
    # URL, and checks the file's SHA-256 itself.
    url = "https://openaipublic.blob.core.windows.net/encodings/o200k_base.tiktoken"
    cache = os.path.join(os.path.dirname(os.path.abspath(path)), "tiktoken-cache")
    os.makedirs(cache, exist_ok=True)
    cached = os.path.join(cache, hashlib.sha1(url.encode()).hexdigest())
    if not os.path.exists(cached):
        shutil.copyfile(path, cached)
    os.environ["TIKTOKEN_CACHE_DIR"] = cache
    return tiktoken.get_encoding("o200k_base")


def curated_prompts(project):
    by_template = {}
    for name in ("routing.jsonl", "finetune.jsonl"):
        with open(os.path.join(project, "prompts", name), encoding="utf-8") as f:
            for line in f:
                row = json.loads(line)
                if "expected_template_id" in row:
                    tid, prompt = row["expected_template_id"], row["prompt"]
                else:
                    msgs = row["messages"]
                    tid, prompt = msgs[-1]["content"], msgs[1]["content"]
                by_template.setdefault(tid, []).append(prompt)
    return by_template


def split_of(template_id):
    bucket = int.from_bytes(hashlib.sha256(template_id.encode()).digest()[:8], "big") % 100
    return "train" if bucket < 80 else "validation" if bucket < 90 else "test"


class Checks:
    """The checks template-sft's build makes that a first pipeline does not (--checks)."""

    # What JavaScript cannot run: replaced by the parse's byte ranges (types removed, JSX null).
    STRIP = ["type_annotation", "type_arguments", "type_parameters", "interface_declaration",
             "type_alias_declaration", "abstract_class_declaration"]
    JSX = ["jsx_element", "jsx_self_closing_element"]
    PRELUDE = ("var window = {Remotion: new Proxy({}, {get: () => function () { return {}; }})};"
               "var document = {}; var console = {log() {}, warn() {}, error() {}};")

    def __init__(self):
        import quickjs
        import tree_sitter_typescript
        from tree_sitter import Language, Parser, Query, QueryCursor
        self.quickjs = quickjs
        self.tsx = Language(tree_sitter_typescript.language_tsx())
        self.parser = Parser(self.tsx)
        patterns = " ".join(f"({kind}) @strip" for kind in self.STRIP)
        patterns += " " + " ".join(f"({kind}) @jsx" for kind in self.JSX)
        self.query = Query(self.tsx, patterns)
        self.cursor = QueryCursor

    def gate(self, code):
        """Frames the code exports (None if none or not a number), or "rejected"."""
        source = code.encode()
        tree = self.parser.parse(source)
        root = tree.root_node
        exports = [n for n in root.children if n.type == "export_statement"]
        if root.has_error or not any(c.type == "default" for n in exports for c in n.children):
            return "rejected"
        edits = []
        for name, nodes in self.cursor(self.query).captures(root).items():
            edits += [(n.start_byte, n.end_byte, b"" if name == "strip" else b"null") for n in nodes]
        for n in exports:  # `export const x` runs as `const x`; `export default function`, too
            decl = n.child_by_field_name("declaration") or n.child_by_field_name("value")
            if decl is not None and decl.type != "identifier":
                edits.append((n.start_byte, decl.start_byte, b""))
        edits.sort()
        script, at = [], 0
        for start, end, text in edits:
            if start < at:  # inside a range already replaced
                continue
            script += [source[at:start], text]
            at = end
        script.append(source[at:])
        ctx = self.quickjs.Context()  # a fresh engine per scene: scenes share top-level names
        ctx.set_memory_limit(64 << 20)
        ctx.set_time_limit(1.0)  # seconds
        try:
            ctx.eval(self.PRELUDE + b"".join(script).decode())
            frames = ctx.eval("typeof durationInFrames === 'number' ? durationInFrames : null")
        except self.quickjs.JSException:
            return None
        return frames if isinstance(frames, int) and frames > 0 else None

    @staticmethod
    def near_copy_groups(codes, threshold=0.36, num_perm=128):
        """Template id -> the id its near-copy group is split by (union of LSH matches)."""
        from datasketch import MinHash, MinHashLSH
        lsh = MinHashLSH(threshold=threshold, num_perm=num_perm)
        signatures = {}
        for tid, code in codes.items():
            words = re.findall(r"\w+", code)
            shingles = {" ".join(words[i:i + 5]).encode() for i in range(max(1, len(words) - 4))}
            m = MinHash(num_perm=num_perm)
            m.update_batch(list(shingles))
            signatures[tid] = m
            lsh.insert(tid, m)
        parent = {tid: tid for tid in codes}

        def find(x):
            while parent[x] != x:
                parent[x] = parent[parent[x]]
                x = parent[x]
            return x
        for tid, m in signatures.items():
            for other in lsh.query(m):
                if other != tid and m.jaccard(signatures[other]) >= threshold:
                    a, b = sorted((find(tid), find(other)))
                    parent[b] = a
        return {tid: find(tid) for tid in codes}


def main(project, out, encoding_file, checks=None):
    enc = o200k(encoding_file)
    with open(os.path.join(project, "catalog.json"), encoding="utf-8") as f:
        catalog = json.load(f)
    prompts = curated_prompts(project)
    codes, frames_of = {}, {}
    for t in catalog:
        path = os.path.join(project, "templates", t["id"] + ".tsx")
        if os.path.exists(path):
            with open(path, encoding="utf-8-sig") as f:
                codes[t["id"]] = f.read().strip()
    rejected = set()
    groups = {tid: tid for tid in codes}
    if checks:
        for tid in list(codes):
            verdict = checks.gate(codes[tid])
            if verdict == "rejected":
                del codes[tid]
                rejected.add(tid)
            else:
                frames_of[tid] = verdict
        groups = checks.near_copy_groups(codes)
    os.makedirs(out)
    files = {}
    for split in ("train", "validation", "test"):
        for kind in ("", ".upload", ".meta"):
            files[split + kind] = open(os.path.join(out, f"{split}{kind}.jsonl"), "w", encoding="utf-8")
    stats = {"examples": 0, "templates": 0, "missingCode": 0, "rejected": len(rejected), "tokens": 0,
             "nearCopies": sum(1 for tid, group in groups.items() if tid != group)}
    for t in catalog:
        code = codes.get(t["id"])
        if code is None:  # a rejected scene is counted as rejected, not as missing
            stats["missingCode"] += t["id"] not in rejected
            continue
        code_tokens = len(enc.encode_ordinary(code))
        sha = hashlib.sha256(code.encode()).hexdigest()
        split = split_of(groups[t["id"]])
        asks = prompts.get(t["id"], [])
        asks += [d for d in t.get("descriptions", []) + [t.get("primaryUse", "")] if d]
        if checks:  # a prompt repeated (case and spacing aside) is asked once
            first = {}
            for ask in asks:
                first.setdefault(" ".join(ask.lower().split()), ask)
            asks = list(first.values())
        formats = t.get("supportedFormats") or ["landscape"]
        frames = frames_of.get(t["id"]) or t.get("duration", 150)
        stats["templates"] += 1
        for i, ask in enumerate(asks[:VARIANTS]):
            fmt = formats[i % len(formats)]
            w, h = SIZES.get(fmt, (1920, 1080))
            brief = (f"{ask[0].upper()}{ask[1:]}.\n\nFormat: {fmt} ({w}x{h}). "
                     f"Duration: {frames / FPS:.1f} seconds ({frames} frames).")
            messages = [{"role": "system", "content": SYSTEM}, {"role": "user", "content": brief},
                        {"role": "assistant", "content": code}]
            tokens = len(enc.encode_ordinary(SYSTEM)) + len(enc.encode_ordinary(brief)) + code_tokens
            meta = {"templateId": t["id"], "templateName": t.get("name"), "duration": frames,
                    "fps": FPS, "supportedFormats": formats, "format": fmt,
                    "promptVariant": i, "codeSha256": sha, "split": split, "tokens": tokens,
                    "assistantTokens": code_tokens}
            files[split].write(json.dumps({"messages": messages, "meta": meta}) + "\n")
            files[split + ".upload"].write(json.dumps({"messages": messages}) + "\n")
            files[split + ".meta"].write(json.dumps({"meta": meta}) + "\n")
            stats["examples"] += 1
            stats["tokens"] += tokens
    for f in files.values():
        f.close()
    with open(os.path.join(out, "stats.json"), "w") as f:
        json.dump(stats, f, indent=2)
    manifest = []
    for name in sorted(os.listdir(out)):
        digest = hashlib.sha256()
        with open(os.path.join(out, name), "rb") as f:
            for block in iter(lambda: f.read(1 << 20), b""):
                digest.update(block)
        manifest.append({"name": name, "sha256": digest.hexdigest()})
    with open(os.path.join(out, "manifest.json"), "w") as f:
        json.dump({"files": manifest}, f, indent=2)


if __name__ == "__main__":
    main(*sys.argv[1:4], checks=Checks() if "--checks" in sys.argv[4:] else None)
