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
//!
//! A project adds what its host app provides: `[render] packages` (npm packages at exact versions)
//! are installed into a kit of their own from a lock the tool writes beside the config and keeps
//! (`render::packages`), and `[render] runtime` (a module that sets the host's globals) is bundled with them
//! into a bundle of its own under the kit (`bundles/<hash>`). The kit's hash covers the lock, the
//! runtime and the packages, so it keys the render cache.

use std::fs::{self, File, OpenOptions};
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use super::packages;
use crate::digest::sha256_hex;
use crate::error::{wording, Error, Result};

/// The kit's files, as committed; their hash names the installed folder.
const FILES: [(&str, &str); 5] = [
    (
        "package.json",
        include_str!("../../render-kit/package.json"),
    ),
    (
        "package-lock.json",
        include_str!("../../render-kit/package-lock.json"),
    ),
    ("entry.jsx", include_str!("../../render-kit/entry.jsx")),
    ("page.js", include_str!("../../render-kit/page.js")),
    ("driver.mjs", include_str!("../../render-kit/driver.mjs")),
];

/// The name of the packages' lock, kept beside the config.
pub const LOCK_FILE: &str = "render-packages.lock.json";

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
    /// The kit's folder (Remotion, React, the project's packages, the driver).
    pub dir: PathBuf,
    /// The bundle scenes render with (the page, the packages and the runtime), inside `dir`.
    pub bundle: PathBuf,
    /// The Node.js that runs the renderer.
    pub node: PathBuf,
    /// The headless Chromium it renders in.
    pub chromium: PathBuf,
    /// The hash of everything a render depends on in the kit: its files, the packages' lock and
    /// the runtime (part of every render cache key).
    pub hash: String,
}

/// Where to find things; every field is optional.
#[derive(Debug, Clone, Default)]
pub struct KitOptions {
    /// `--render-kit`: an installed kit to use as it is.
    pub kit: Option<PathBuf>,
    /// `--chromium`: the browser to run.
    pub chromium: Option<PathBuf>,
    /// `[render] packages`: npm packages at exact versions, importable by scenes and the runtime.
    pub packages: Vec<packages::Package>,
    /// `[render] runtime`: the module that sets the host app's globals.
    pub runtime: Option<PathBuf>,
    /// Where the packages' lock is kept (beside the config); needed when `packages` is not empty.
    pub lock: Option<PathBuf>,
    /// The config that named the packages and runtime (errors about them point at it).
    pub config: Option<PathBuf>,
}

/// The hash of the kit's files: a new kit version installs into a new folder.
pub fn hash() -> String {
    hash_of(FILES.iter().map(|(name, text)| (*name, text.as_bytes())))
}

/// A short hash of named parts.
fn hash_of<'p>(parts: impl Iterator<Item = (&'p str, &'p [u8])>) -> String {
    let mut all = Vec::new();
    for (name, bytes) in parts {
        all.extend_from_slice(name.as_bytes());
        all.push(0);
        all.extend_from_slice(&(bytes.len() as u64).to_le_bytes());
        all.extend_from_slice(bytes);
    }
    sha256_hex(&all)[..16].to_string()
}

/// The folder kits install under: the user's cache folder (`cache::user_folder`).
pub fn cache_root() -> Result<PathBuf> {
    crate::cache::user_folder().ok_or_else(wording::no_cache_home)
}

/// The kit to render with: the one named, else the cached one, installed now if it is not there;
/// with the project's packages (locked, installed) and its runtime bundled.
pub fn ensure(options: &KitOptions, progress: impl Fn(&str)) -> Result<Kit> {
    let node = program("node", "nodejs")?;
    let chromium = chromium(options.chromium.as_deref())?;
    let runtime = match &options.runtime {
        Some(path) => Some(Runtime::read(path)?),
        None => None,
    };
    let named = options
        .kit
        .clone()
        .or_else(|| std::env::var_os("TEMPLATE_SFT_RENDER_KIT").map(PathBuf::from));
    // What the kit's node_modules hold: the committed files, and the lock of the packages.
    let locked = if options.packages.is_empty() {
        None
    } else {
        let lock = options
            .lock
            .as_deref()
            .ok_or_else(|| wording::renderer_broke("no place for the packages' lock"))?;
        let config = options.config.as_deref().unwrap_or(lock);
        Some(packages::lock(
            lock,
            config,
            &options.packages,
            MANIFEST,
            FILES_LOCK,
            &progress,
        )?)
    };
    let files = kit_files(locked.as_ref());
    let dir = match named {
        Some(dir) => {
            if !dir.join(READY).is_file() {
                return Err(wording::kit_not_installed(&dir));
            }
            if let Err(file) = verify(&dir, &files) {
                return Err(wording::kit_not_this_binarys(&dir, &file));
            }
            packages::check_installed(&dir, &options.packages)?;
            dir
        }
        None => {
            let root = cache_root()?.join("render-kit");
            let dir = root.join(hash_of(files.iter().map(|(n, t)| (*n, t.as_bytes()))));
            if dir.join(READY).is_file() {
                if let Err(file) = verify(&dir, &files) {
                    // Changed after it was installed: installed again, never run as it is.
                    progress(&format!(
                        "the cached render kit's {file} is not this binary's; installing the kit again"
                    ));
                    let _ = fs::remove_file(dir.join(READY));
                    fs::remove_dir_all(&dir).map_err(|e| Error::write(&dir, e))?;
                }
            }
            if !dir.join(READY).is_file() {
                install(&dir, &files, &progress)?;
            }
            dir
        }
    };
    let host = packages::host_module(&options.packages, runtime.as_ref());
    let hash = bundle_hash(&files, &host, runtime.as_ref());
    let bundle = bundle(&dir, &hash, &host, runtime.as_ref(), &node, &progress)?;
    Ok(Kit {
        dir,
        bundle,
        node,
        chromium,
        hash,
    })
}

/// Every file of the kit (`driver.mjs`, the page, the manifest and lock) as this binary has it, or
/// the name of the first that is not: a kit is verified before every use, so a file planted in it
/// never runs.
fn verify(dir: &Path, files: &[(&str, String)]) -> std::result::Result<(), String> {
    for (name, text) in files {
        let on_disk = crate::input::read_capped(&dir.join(name), text.len() as u64 + 1);
        if !on_disk.is_ok_and(|bytes| bytes == text.as_bytes()) {
            return Err((*name).to_string());
        }
    }
    Ok(())
}

/// The hash of a bundle: the kit's files, the host module and the runtime (the kit hash every
/// render cache key holds).
fn bundle_hash(files: &[(&str, String)], host: &str, runtime: Option<&Runtime>) -> String {
    let mut parts: Vec<(&str, &[u8])> = files.iter().map(|(n, t)| (*n, t.as_bytes())).collect();
    parts.push(("host.js", host.as_bytes()));
    if let Some(runtime) = runtime {
        parts.push((runtime.file_name(), runtime.text.as_bytes()));
    }
    hash_of(parts.into_iter())
}

/// The committed `package.json` and lock, which `render::packages` adds the project's packages to.
pub const MANIFEST: &str = FILES[0].1;
const FILES_LOCK: &str = FILES[1].1;

/// The kit's files, with the manifest and lock of the project's packages in place of the committed
/// ones when it has packages.
fn kit_files(locked: Option<&packages::Locked>) -> Vec<(&'static str, String)> {
    FILES
        .iter()
        .map(|&(name, text)| match (name, locked) {
            ("package.json", Some(l)) => (name, l.manifest.clone()),
            ("package-lock.json", Some(l)) => (name, l.lock.clone()),
            _ => (name, text.to_string()),
        })
        .collect()
}

/// `[render] runtime`, read.
#[derive(Debug, Clone)]
pub struct Runtime {
    /// The module's text.
    pub text: String,
    /// `js`, `jsx`, `ts`, `tsx` or `mjs`.
    extension: &'static str,
}

impl Runtime {
    fn read(path: &Path) -> Result<Runtime> {
        let extension = match path.extension().and_then(|e| e.to_str()) {
            Some("js") => "js",
            Some("mjs") => "mjs",
            Some("jsx") => "jsx",
            Some("ts") => "ts",
            Some("tsx") => "tsx",
            _ => return Err(wording::runtime_not_a_module(path)),
        };
        let bytes = crate::input::read_capped(path, crate::input::SMALL_FILE_LIMIT)?;
        let text = String::from_utf8(bytes)
            .map_err(|_| wording::not_utf8(crate::location::Location::file(path)))?;
        Ok(Runtime { text, extension })
    }

    /// The runtime's name in the bundle's sources.
    pub fn file_name(&self) -> &'static str {
        match self.extension {
            "js" => "runtime.js",
            "mjs" => "runtime.mjs",
            "jsx" => "runtime.jsx",
            "ts" => "runtime.ts",
            _ => "runtime.tsx",
        }
    }
}

/// The bundle of `host` (and the runtime) in `kit/bundles/<hash>`, built now if it is not there:
/// in a temporary folder renamed into place, under a lock, as the install is.
fn bundle(
    kit: &Path,
    hash: &str,
    host: &str,
    runtime: Option<&Runtime>,
    node: &Path,
    progress: &impl Fn(&str),
) -> Result<PathBuf> {
    let dir = kit.join("bundles").join(hash);
    staged(&dir, |staging| {
        let mut sources: Vec<(&str, &str)> = FILES
            .iter()
            .filter(|(name, _)| matches!(*name, "entry.jsx" | "page.js"))
            .copied()
            .collect();
        sources.push(("host.js", host));
        if let Some(runtime) = runtime {
            sources.push((runtime.file_name(), &runtime.text));
        }
        for (name, text) in sources {
            let path = staging.join(name);
            fs::write(&path, text).map_err(|e| Error::write(&path, e))?;
        }
        progress(if runtime.is_some() {
            "bundling the scene runtime with [render] runtime …"
        } else {
            "bundling the scene runtime …"
        });
        let mut command = Command::new(node);
        command
            .arg("driver.mjs")
            .arg("bundle")
            .arg(staging)
            .arg(staging.join("out"))
            .current_dir(kit);
        run(&mut command, "the bundle")
    })?;
    Ok(dir.join("out"))
}

/// Whether this machine has what rendering needs (Node.js, npm, a browser), without installing
/// anything.
pub fn can_render(options: &KitOptions) -> bool {
    find_on_path("node").is_some()
        && find_on_path("npm").is_some()
        && chromium(options.chromium.as_deref()).is_ok()
}

/// Install the kit into `dir` (a new folder), for machines that must prepare it ahead.
pub fn prepare(dir: &Path, progress: impl Fn(&str)) -> Result<()> {
    let node = program("node", "nodejs")?;
    if dir.exists() && !dir.join(READY).is_file() {
        return Err(wording::not_a_render_kit(dir));
    }
    let files = kit_files(None);
    install(dir, &files, &progress)?;
    let host = packages::host_module(&[], None);
    let hash = bundle_hash(&files, &host, None);
    bundle(dir, &hash, &host, None, &node, &progress).map(|_| ())
}

/// `npm ci` of `files`, in a temporary folder renamed to `dir`, under a lock on `root`.
fn install(dir: &Path, files: &[(&str, String)], progress: &impl Fn(&str)) -> Result<()> {
    let npm = program("npm", "npm")?;
    staged(dir, |staging| {
        for (file, text) in files {
            let path = staging.join(file);
            fs::write(&path, text).map_err(|e| Error::write(&path, e))?;
        }
        progress(
            "installing the render kit (npm ci: Remotion, React, sucrase and [render] packages) …",
        );
        run(
            Command::new(&npm)
                .args([
                    "ci",
                    "--ignore-scripts",
                    "--no-audit",
                    "--no-fund",
                    "--loglevel=error",
                ])
                .current_dir(staging),
            "npm ci",
        )
    })
    .map(|_| ())
}

/// Make `dir` with `make`, once: under an exclusive lock beside it, in a temporary folder renamed
/// into place only when `make` succeeded and the ready mark is written, so two processes make it
/// once and an interrupted one is never taken for a finished one. Returns whether it was made now.
fn staged(dir: &Path, make: impl FnOnce(&Path) -> Result<()>) -> Result<bool> {
    if dir.join(READY).is_file() {
        return Ok(false);
    }
    let root = dir
        .parent()
        .filter(|p| !p.as_os_str().is_empty())
        .unwrap_or(Path::new("."));
    let name = dir
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    fs::create_dir_all(root).map_err(|e| Error::write(root, e))?;
    let lock_path = root.join(format!(".{name}.lock"));
    let lock = OpenOptions::new()
        .create(true)
        .write(true)
        .truncate(false)
        .open(&lock_path)
        .map_err(|e| Error::write(&lock_path, e))?;
    lock_exclusive(&lock).map_err(|e| Error::write(&lock_path, e))?;
    // Another process may have made it while this one waited.
    if dir.join(READY).is_file() {
        return Ok(false);
    }
    let staging = root.join(format!(".{name}.partial-{}", std::process::id()));
    let _ = fs::remove_dir_all(&staging);
    fs::create_dir_all(&staging).map_err(|e| Error::write(&staging, e))?;
    make(&staging).inspect_err(|_| {
        let _ = fs::remove_dir_all(&staging);
    })?;
    let ready = staging.join(READY);
    fs::write(&ready, &name).map_err(|e| Error::write(&ready, e))?;
    fs::rename(&staging, dir).map_err(|e| Error::write(dir, e))?;
    Ok(true)
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
pub(crate) fn run(command: &mut Command, what: &str) -> Result<()> {
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
pub(crate) fn program(name: &str, package: &str) -> Result<PathBuf> {
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
        // Checked here and run from the kit's folder: a relative path is made absolute first.
        let path = std::path::absolute(&path).unwrap_or(path);
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
