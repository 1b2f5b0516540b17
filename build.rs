//! The build id: a digest of everything that decides what the tool does (its source, the render
//! kit it installs, the locked dependencies), embedded as `TEMPLATE_SFT_BUILD_ID`. Caches of
//! verdicts (the gate's, the render check's, token counts) are keyed by it, not by the package
//! version: a change to a rule's logic voids what the old logic decided, even when the version
//! number stays.

use std::hash::Hasher;
use std::path::{Path, PathBuf};

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if path.is_dir() {
            // The kit's installed packages are not the kit's source.
            if path.file_name().is_some_and(|n| n == "node_modules") {
                continue;
            }
            files(&path, out);
        } else {
            out.push(path);
        }
    }
}

fn main() {
    let root = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").unwrap_or_default());
    let mut paths = Vec::new();
    for dir in ["src", "render-kit"] {
        println!("cargo:rerun-if-changed={dir}");
        files(&root.join(dir), &mut paths);
    }
    println!("cargo:rerun-if-changed=Cargo.lock");
    paths.push(root.join("Cargo.lock"));
    paths.sort();
    // Two independent 64-bit digests (FNV-1a, and std's SipHash with fixed keys) of every file's
    // path and bytes: 128 bits that change when any of them does. Not a security boundary: the
    // caches are also signed with a per-user secret.
    let mut fnv: u64 = 0xcbf2_9ce4_8422_2325;
    #[allow(deprecated)]
    let mut sip = std::hash::SipHasher::new_with_keys(0x7465_6d70_6c61_7465, 0x2d73_6674_2d69_6421);
    for path in &paths {
        let relative = path.strip_prefix(&root).unwrap_or(path);
        let bytes = std::fs::read(path).unwrap_or_default();
        for chunk in [
            relative.to_string_lossy().as_bytes(),
            &[0],
            &bytes[..],
            &[0],
        ] {
            for &b in chunk {
                fnv = (fnv ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3);
            }
            sip.write(chunk);
        }
    }
    println!(
        "cargo:rustc-env=TEMPLATE_SFT_BUILD_ID={fnv:016x}{:016x}",
        sip.finish()
    );
}
