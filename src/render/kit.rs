//! The render kit: Remotion, React and a transpiler, installed once per kit version, and the
//! programs that run it (Node.js, Chromium), found on this machine and never downloaded.
//!
//! Takes the kit's files as committed (`render-kit/`: `package.json`, its lock, `entry.jsx`, the
//! Remotion root every scene renders in, and `driver.mjs`, the long-lived renderer) and the places
//! to look; gives a [`Kit`]: a folder with the kit's dependencies installed by `npm ci
//! --ignore-scripts` (exactly the locked versions, no install script of any package run) and one
//! scene-agnostic bundle built there, under `~/.cache/template-sft/render-kit/<hash of the kit's
//! files>`. The install happens under an exclusive lock, in a temporary folder renamed into place,
//! so two builds at once install once and an interrupted install is never taken for a finished one.
//! `--render-kit DIR` (or `TEMPLATE_SFT_RENDER_KIT`) names a kit prepared elsewhere with
//! `template-sft render --prepare-kit DIR`.

use std::fs::{self, File, OpenOptions};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::digest::sha256_hex;
use crate::error::{wording, Error, Result};

/// The kit's files, as committed; their hash names the installed folder.
const FILES: [(&str, &str); 4] = [
    (
        "package.json",
        include_str!("../../render-kit/package.json"),
    ),
    (
        "package-lock.json",
        include_str!("../../render-kit/package-lock.json"),
    ),
    ("entry.jsx", include_str!("../../render-kit/entry.jsx")),
    ("driver.mjs", include_str!("../../render-kit/driver.mjs")),
];

/// Written last into an installed kit: a folder without it is not one.
const READY: &str = ".template-sft-kit-ready";

/// Where Debian puts its Chromium builds, headless shell first (smaller, made for this).
const CHROMIUM_PATHS: [&str; 4] = [
    "/usr/bin/chromium-headless-shell",
    "/usr/lib/chromium/chromium-headless-shell",
    "/usr/bin/chromium",
    "/usr/lib/chromium/chromium",
];

/// An installed kit and the programs that run it.
#[derive(Debug, Clone)]
pub struct Kit {
    /// The kit's folder (Remotion, React and the bundle entry).
    pub dir: PathBuf,
    /// The Node.js that runs the renderer.
    pub node: PathBuf,
    /// The headless Chromium it renders in.
    pub chromium: PathBuf,
    /// The kit's hash (part of every render cache key).
    pub hash: String,
}

/// Where to find things; every field is optional.
#[derive(Debug, Clone, Default)]
pub struct KitOptions {
    /// `--render-kit`: an installed kit to use as it is.
    pub kit: Option<PathBuf>,
    /// `--chromium`: the browser to run.
    pub chromium: Option<PathBuf>,
}

/// The hash of the kit's files: a new kit version installs into a new folder.
pub fn hash() -> String {
    let mut all = Vec::new();
    for (name, text) in FILES {
        all.extend_from_slice(name.as_bytes());
        all.push(0);
        all.extend_from_slice(text.as_bytes());
        all.push(0);
    }
    sha256_hex(&all)[..16].to_string()
}

/// The folder kits install under: `$TEMPLATE_SFT_CACHE`, else `$XDG_CACHE_HOME/template-sft`, else
/// `~/.cache/template-sft`.
pub fn cache_root() -> Result<PathBuf> {
    if let Some(dir) = std::env::var_os("TEMPLATE_SFT_CACHE") {
        return Ok(PathBuf::from(dir));
    }
    if let Some(dir) = std::env::var_os("XDG_CACHE_HOME") {
        return Ok(PathBuf::from(dir).join("template-sft"));
    }
    std::env::var_os("HOME")
        .map(|home| PathBuf::from(home).join(".cache/template-sft"))
        .ok_or_else(wording::no_cache_home)
}

/// The kit to render with: the one named, else the cached one, installed now if it is not there.
pub fn ensure(options: &KitOptions, progress: impl Fn(&str)) -> Result<Kit> {
    let node = program("node", "nodejs")?;
    let chromium = chromium(options.chromium.as_deref())?;
    let named = options
        .kit
        .clone()
        .or_else(|| std::env::var_os("TEMPLATE_SFT_RENDER_KIT").map(PathBuf::from));
    let dir = match named {
        Some(dir) => {
            if !dir.join(READY).is_file() {
                return Err(wording::kit_not_installed(&dir));
            }
            dir
        }
        None => {
            let root = cache_root()?.join("render-kit");
            let dir = root.join(hash());
            if !dir.join(READY).is_file() {
                install(&root, &dir, &node, &progress)?;
            }
            dir
        }
    };
    Ok(Kit {
        dir,
        node,
        chromium,
        hash: hash(),
    })
}

/// Install the kit into `dir` (a new folder), for machines that must prepare it ahead.
pub fn prepare(dir: &Path, progress: impl Fn(&str)) -> Result<()> {
    let node = program("node", "nodejs")?;
    let root = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    if dir.join(READY).is_file() {
        return Ok(());
    }
    if dir.exists() {
        return Err(wording::not_a_render_kit(dir));
    }
    install(root, dir, &node, &progress)
}

/// `npm ci` and the bundle, in a temporary folder renamed to `dir`, under a lock on `root`.
fn install(root: &Path, dir: &Path, node: &Path, progress: &impl Fn(&str)) -> Result<()> {
    let npm = program("npm", "npm")?;
    fs::create_dir_all(root).map_err(|e| Error::write(root, e))?;
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let lock_path = root.join(format!(".{name}.lock"));
    let lock = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(false)
        .open(&lock_path)
        .map_err(|e| Error::write(&lock_path, e))?;
    lock_exclusive(&lock).map_err(|e| Error::write(&lock_path, e))?;
    // Another process may have installed it while this one waited.
    if dir.join(READY).is_file() {
        return Ok(());
    }
    let staging = root.join(format!(".{name}.partial-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    fs::create_dir_all(&staging).map_err(|e| Error::write(&staging, e))?;
    for (file, text) in FILES {
        let path = staging.join(file);
        fs::write(&path, text).map_err(|e| Error::write(&path, e))?;
    }
    progress("installing the render kit (npm ci: Remotion, React, sucrase) …");
    run(
        Command::new(&npm)
            .args([
                "ci",
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
            ])
            .current_dir(&staging),
        "npm ci",
    )
    .inspect_err(|_| {
        let _ = fs::remove_dir_all(&staging);
    })?;
    progress("bundling the scene runtime …");
    run(
        Command::new(node)
            .args(["driver.mjs", "bundle"])
            .current_dir(&staging),
        "the bundle",
    )
    .inspect_err(|_| {
        let _ = fs::remove_dir_all(&staging);
    })?;
    let ready = staging.join(READY);
    fs::write(&ready, hash()).map_err(|e| Error::write(&ready, e))?;
    fs::rename(&staging, dir).map_err(|e| Error::write(dir, e))?;
    Ok(())
}

fn lock_exclusive(file: &File) -> std::io::Result<()> {
    // SAFETY: flock on a descriptor this File owns; no memory is passed.
    if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX) } == 0 {
        Ok(())
    } else {
        Err(std::io::Error::last_os_error())
    }
}

/// Run a set-up step; its output is kept and shown only when it fails.
fn run(command: &mut Command, what: &str) -> Result<()> {
    let output = command
        .stdin(Stdio::null())
        .output()
        .map_err(|e| wording::cannot_start(what, e))?;
    if output.status.success() {
        return Ok(());
    }
    let text = String::from_utf8_lossy(&output.stderr);
    let tail: Vec<&str> = text.lines().rev().take(15).collect();
    let tail: Vec<&str> = tail.into_iter().rev().collect();
    Err(wording::step_failed(what, output.status, &tail.join("\n")))
}

/// `name` on PATH, or an error that says which Debian package has it.
fn program(name: &str, package: &str) -> Result<PathBuf> {
    find_on_path(name).ok_or_else(|| wording::not_installed(name, package))
}

fn find_on_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH")?;
    std::env::split_paths(&path)
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

/// The browser: `--chromium`, `TEMPLATE_SFT_CHROMIUM`, then Debian's paths. Never downloaded
/// (Remotion would try, and crash offline).
fn chromium(given: Option<&Path>) -> Result<PathBuf> {
    let named = given
        .map(Path::to_path_buf)
        .or_else(|| std::env::var_os("TEMPLATE_SFT_CHROMIUM").map(PathBuf::from));
    if let Some(path) = named {
        return if path.is_file() {
            Ok(path)
        } else {
            Err(wording::no_such_browser(&path))
        };
    }
    CHROMIUM_PATHS
        .iter()
        .map(PathBuf::from)
        .find(|p| p.is_file())
        .ok_or_else(wording::no_browser)
}
