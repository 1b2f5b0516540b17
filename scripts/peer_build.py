"""The bench's peer: a straightforward Python + tiktoken pipeline doing the core of `template-sft build`
on a synthetic project (scripts/bench-scale.sh times the two side by side).

What it does, the way a team would write it first: read the JSON catalog, the curated prompts and
each template's code file; count the code's and each brief's o200k tokens with tiktoken; write
briefs (prompt, format, the catalog's duration); split by a hash of the template id; write
{split}.jsonl, {split}.upload.jsonl, {split}.meta.jsonl, stats.json and a SHA-256 manifest.
What it does not do (and template-sft does): parse the TSX, execute its top level for the duration,
render, cluster near-copies, check prompts. So the comparison is in the peer's favour.

    python peer_build.py PROJECT_DIR OUT_DIR O200K_BASE.tiktoken
"""

import hashlib
import json
import os
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


def main(project, out, encoding_file):
    enc = o200k(encoding_file)
    with open(os.path.join(project, "catalog.json"), encoding="utf-8") as f:
        catalog = json.load(f)
    prompts = curated_prompts(project)
    os.makedirs(out)
    files = {}
    for split in ("train", "validation", "test"):
        for kind in ("", ".upload", ".meta"):
            files[split + kind] = open(os.path.join(out, f"{split}{kind}.jsonl"), "w", encoding="utf-8")
    stats = {"examples": 0, "templates": 0, "missingCode": 0, "tokens": 0}
    for t in catalog:
        path = os.path.join(project, "templates", t["id"] + ".tsx")
        if not os.path.exists(path):
            stats["missingCode"] += 1
            continue
        with open(path, encoding="utf-8-sig") as f:
            code = f.read().strip()
        code_tokens = len(enc.encode_ordinary(code))
        sha = hashlib.sha256(code.encode()).hexdigest()
        split = split_of(t["id"])
        asks = prompts.get(t["id"], [])
        asks += [d for d in t.get("descriptions", []) + [t.get("primaryUse", "")] if d]
        formats = t.get("supportedFormats") or ["landscape"]
        frames = t.get("duration", 150)
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
    main(*sys.argv[1:4])
