#!/usr/bin/env bash
# Cross-check `eval --render`'s SSIM against scikit-image (from PyPI): pairs of greyscale images
# (noise, the same noise perturbed, shifted, blurred, brightened, a drawn scene against its
# recoloured and its moved copy, flat images, odd sizes) written as PGM, scored by
# `examples/ssim.rs` (the tool's own function) and by skimage.metrics.structural_similarity(a, b,
# data_range=255) with its defaults; they must agree within 1e-6. Run by .ci/run; run it yourself
# with
#   bash scripts/check-ssim.sh
set -euo pipefail
cd "$(dirname "$0")/.."

source scripts/lib.sh
# A venv of its own: scikit-image's numpy must not move the one the Hugging Face checks use.
python="$(TEMPLATE_SFT_VENV="$HOME/.cache/template-sft/ssim-venv" venv_with "skimage, PIL" scikit-image pillow)"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
# Unoptimized: an example builds the dev-dependencies too, which in release cost CI two minutes; in
# the dev profile they are the ones the tests build anyway, and the images are small.
cargo build --quiet --example ssim

"$python" - "$work" <<'PY'
import sys
import numpy as np
from PIL import Image, ImageDraw, ImageFilter
work = sys.argv[1]
rng = np.random.default_rng(11)
def save(name, a):
    Image.fromarray(np.clip(a, 0, 255).astype(np.uint8), mode="L").save(f"{work}/{name}.pgm")
def scene(w, h, box, fill):
    im = Image.new("RGB", (w, h), (15, 23, 42))
    d = ImageDraw.Draw(im)
    d.rectangle(box, fill=fill)
    d.ellipse((w // 2, h // 3, w // 2 + 30, h // 3 + 30), fill=(244, 63, 94))
    d.text((8, h - 20), "template-sft", fill=(255, 255, 255))
    return np.asarray(im.convert("L"), dtype=np.float64)
pairs = []
noise = rng.integers(0, 256, (96, 128)).astype(np.float64)
pairs.append(("noise", noise, noise))
pairs.append(("perturbed", noise, noise + rng.normal(0, 20, noise.shape)))
pairs.append(("shifted", noise, np.roll(noise, 3, axis=1)))
blur = np.asarray(Image.fromarray(noise.astype(np.uint8)).filter(ImageFilter.GaussianBlur(2)), dtype=np.float64)
pairs.append(("blurred", noise, blur))
pairs.append(("brighter", noise, noise * 0.7 + 60))
a = scene(128, 72, (10, 10, 50, 40), (250, 204, 21))
pairs.append(("recoloured", a, scene(128, 72, (10, 10, 50, 40), (37, 99, 235))))
pairs.append(("moved", a, scene(128, 72, (60, 20, 100, 50), (250, 204, 21))))
pairs.append(("flat", np.full((32, 32), 40.0), np.full((32, 32), 200.0)))
pairs.append(("flat-same", np.full((32, 32), 90.0), np.full((32, 32), 90.0)))
pairs.append(("odd", rng.integers(0, 256, (7, 9)).astype(np.float64), rng.integers(0, 256, (7, 9)).astype(np.float64)))
with open(f"{work}/pairs.txt", "w") as f:
    for name, x, y in pairs:
        save(name + "-a", x); save(name + "-b", y)
        f.write(name + "\n")
PY

"$python" - "$work" <<'PY'
import subprocess, sys
import numpy as np
import skimage
from PIL import Image
from skimage.metrics import structural_similarity
work = sys.argv[1]
names = open(f"{work}/pairs.txt").read().split()
for name in names:
    a = np.asarray(Image.open(f"{work}/{name}-a.pgm"), dtype=np.float64)
    b = np.asarray(Image.open(f"{work}/{name}-b.pgm"), dtype=np.float64)
    want = structural_similarity(a, b, data_range=255)
    got = float(subprocess.check_output(["target/debug/examples/ssim", f"{work}/{name}-a.pgm", f"{work}/{name}-b.pgm"]))
    assert abs(got - want) < 1e-6, (name, got, want)
    print(f"  {name}: {got:.6f} (scikit-image {want:.6f})")
print(f"SSIM equals scikit-image {skimage.__version__} structural_similarity on {len(names)} pairs")
PY
