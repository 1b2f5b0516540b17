//! `[render] packages`: the npm packages a project's scenes and runtime import (`@iconify/react`,
//! `lucide-react`, `@iconify-json/mdi`), at exact versions, installed from a lock the tool keeps.
//!
//! Takes the packages as the config names them (`name@version`) and the kit's committed manifest
//! and lock; gives the kit's manifest with the packages added and a lock for it: the one kept beside
//! the config when it locks exactly these packages, else a new one made by `npm install
//! --package-lock-only` from the committed lock (so the kit's own pins never move) and written
//! there. Installing from the lock with `npm ci` is then exact and repeatable, and the lock is part
//! of the kit's hash. Also gives the module (`host.js`) that makes the packages importable by scenes
//! and runs the runtime.
//!
//! A name or version from the config is checked against npm's rules before it is used, written only
//! through a JSON serializer, and never reaches a shell.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::{Map, Value};

use super::kit::Runtime;
use crate::error::{wording, Error, Result};

/// The largest lock read (a lock of a few hundred packages is about 1 MB).
const LOCK_LIMIT: u64 = 64 << 20;

/// One package at an exact version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Package {
    /// npm's name (`@iconify/react`, `lucide-react`).
    pub name: String,
    /// An exact version (`5.2.1`), never a range.
    pub version: String,
}

impl Package {
    /// `name@version`, or why it is not one (the reason names what was expected).
    pub fn parse(spec: &str) -> std::result::Result<Package, String> {
        let at = spec.rfind('@').filter(|&i| i > 0).ok_or_else(|| {
            format!(
                "{spec:?} is not name@version (an exact version, e.g. \"@iconify/react@5.2.1\")"
            )
        })?;
        let (name, version) = (&spec[..at], &spec[at + 1..]);
        if !valid_name(name) {
            return Err(format!(
                "{name:?} is not an npm package name (lower case letters, digits, - . _ ~, an optional @scope/)"
            ));
        }
        if !exact_version(version) {
            return Err(format!(
                "{spec:?}: {version:?} is not an exact version (MAJOR.MINOR.PATCH, no range): the kit installs exactly what is named"
            ));
        }
        Ok(Package {
            name: name.to_string(),
            version: version.to_string(),
        })
    }
}

impl std::fmt::Display for Package {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}@{}", self.name, self.version)
    }
}

/// npm's rules for a package name: at most 214 characters, lower case, URL-safe, an optional scope.
fn valid_name(name: &str) -> bool {
    let part = |p: &str| {
        !p.is_empty()
            && !p.starts_with(['.', '_'])
            && p.bytes().all(|b| {
                b.is_ascii_lowercase()
                    || b.is_ascii_digit()
                    || matches!(b, b'-' | b'.' | b'_' | b'~')
            })
    };
    if name.len() > 214 {
        return false;
    }
    match name.strip_prefix('@') {
        Some(scoped) => {
            matches!(scoped.split_once('/'), Some((scope, rest)) if part(scope) && part(rest))
        }
        None => part(name),
    }
}

/// `1.2.3`, `1.2.3-beta.1`, `1.2.3+build`: semver, exact.
fn exact_version(version: &str) -> bool {
    let (core, rest) = match version.find(['-', '+']) {
        Some(i) => (&version[..i], &version[i + 1..]),
        None => (version, ""),
    };
    let numbers: Vec<&str> = core.split('.').collect();
    numbers.len() == 3
        && numbers
            .iter()
            .all(|n| !n.is_empty() && n.len() <= 9 && n.bytes().all(|b| b.is_ascii_digit()))
        && rest
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'+'))
        && (rest.is_empty() || !rest.starts_with('.'))
}

/// Why `packages` cannot be added to a kit whose manifest is `base_manifest`: a package named twice,
/// or one the kit pins itself.
pub fn conflict(packages: &[Package], base_manifest: &str) -> Option<String> {
    let base = dependencies(&serde_json::from_str(base_manifest).unwrap_or(Value::Null));
    for (i, p) in packages.iter().enumerate() {
        if packages[..i].iter().any(|q| q.name == p.name) {
            return Some(format!("{} is named twice", p.name));
        }
        if let Some(pinned) = base.get(&p.name) {
            return Some(format!(
                "{} is part of the render kit already (pinned at {}); leave it out",
                p.name,
                pinned.as_str().unwrap_or("?")
            ));
        }
    }
    None
}

/// The kit's manifest and lock with the project's packages.
#[derive(Debug, Clone)]
pub struct Locked {
    /// `package.json`: the kit's dependencies and the packages.
    pub manifest: String,
    /// `package-lock.json`, as kept beside the config.
    pub lock: String,
}

/// The manifest and lock for `packages`: the lock at `path` when it locks exactly them, else a new
/// one, written to `path` (an error names the package that does not install).
pub fn lock(
    path: &Path,
    config: &Path,
    packages: &[Package],
    base_manifest: &str,
    base_lock: &str,
    progress: &impl Fn(&str),
) -> Result<Locked> {
    if let Some(why) = conflict(packages, base_manifest) {
        return Err(wording::bad_render_packages(config, &why));
    }
    let mut manifest: Value = serde_json::from_str(base_manifest)
        .map_err(|e| Error::serialize("the render kit's package.json", e))?;
    if let Some(deps) = manifest
        .get_mut("dependencies")
        .and_then(Value::as_object_mut)
    {
        for p in packages {
            deps.insert(p.name.clone(), Value::String(p.version.clone()));
        }
    }
    let wanted = dependencies(&manifest);
    let manifest = serde_json::to_string_pretty(&manifest)
        .map_err(|e| Error::serialize("the render kit's package.json", e))?;
    if path.is_file() {
        let bytes = crate::input::read_capped(path, LOCK_LIMIT)?;
        let text = String::from_utf8_lossy(&bytes).into_owned();
        let locks_these = serde_json::from_str::<Value>(&text)
            .ok()
            .and_then(|v| v.pointer("/packages/").cloned())
            .map(|root| dependencies(&root) == wanted)
            .unwrap_or(false);
        if locks_these {
            return Ok(Locked {
                manifest,
                lock: text,
            });
        }
        progress(&format!(
            "{} does not lock [render] packages as they are now: locking them again …",
            path.display()
        ));
    } else {
        progress(&format!(
            "locking [render] packages into {} (keep it with the config) …",
            path.display()
        ));
    }
    let lock = resolve(config, packages, &manifest, base_lock)?;
    let staging = path.with_extension(format!("partial-{}", std::process::id()));
    fs::write(&staging, &lock).map_err(|e| Error::write(&staging, e))?;
    fs::rename(&staging, path).map_err(|e| Error::write(path, e))?;
    Ok(Locked { manifest, lock })
}

/// A manifest's (or a lock root's) `dependencies`.
fn dependencies(manifest: &Value) -> Map<String, Value> {
    manifest
        .get("dependencies")
        .and_then(Value::as_object)
        .cloned()
        .unwrap_or_default()
}

/// `npm install --package-lock-only` in a private folder: the lock for `manifest`, the kit's own
/// pins kept from `base_lock`. No install script runs.
fn resolve(config: &Path, packages: &[Package], manifest: &str, base_lock: &str) -> Result<String> {
    let npm = super::kit::program("npm", "npm")?;
    let dir = private_dir()?;
    let result = (|| {
        for (name, text) in [("package.json", manifest), ("package-lock.json", base_lock)] {
            let path = dir.join(name);
            fs::write(&path, text).map_err(|e| Error::write(&path, e))?;
        }
        let output = Command::new(&npm)
            .args([
                "install",
                "--package-lock-only",
                "--ignore-scripts",
                "--no-audit",
                "--no-fund",
                "--loglevel=error",
            ])
            .current_dir(&dir)
            .stdin(std::process::Stdio::null())
            .output()
            .map_err(|e| wording::cannot_start("npm", e))?;
        if !output.status.success() {
            let said = String::from_utf8_lossy(&output.stderr);
            // npm's error names the package it could not find (E404, ETARGET): name it first.
            let named: Vec<String> = packages
                .iter()
                .filter(|p| said.contains(&p.name))
                .map(ToString::to_string)
                .collect();
            let tail: Vec<&str> = said
                .lines()
                .filter(|l| !l.trim().is_empty())
                .take(6)
                .collect();
            return Err(wording::package_not_installed(
                config,
                if named.is_empty() {
                    packages.iter().map(ToString::to_string).collect()
                } else {
                    named
                },
                &tail.join("\n"),
            ));
        }
        let path = dir.join("package-lock.json");
        fs::read_to_string(&path).map_err(|e| Error::read(&path, e))
    })();
    let _ = fs::remove_dir_all(&dir);
    result
}

/// A new folder only this process uses, under the system's temporary folder.
fn private_dir() -> Result<PathBuf> {
    let base = std::env::temp_dir();
    for n in 0..1000u32 {
        let dir = base.join(format!("template-sft-lock-{}-{n}", std::process::id()));
        match fs::create_dir(&dir) {
            Ok(()) => return Ok(dir),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::write(&dir, e)),
        }
    }
    Err(wording::no_free_name(&base.join("template-sft-lock"), 1000))
}

/// A kit prepared elsewhere (`--render-kit`) must hold every package at its version.
pub fn check_installed(kit: &Path, packages: &[Package]) -> Result<()> {
    for p in packages {
        let manifest = kit.join("node_modules").join(&p.name).join("package.json");
        let version = fs::read_to_string(&manifest)
            .ok()
            .and_then(|t| serde_json::from_str::<Value>(&t).ok())
            .and_then(|v| v.get("version").and_then(Value::as_str).map(str::to_string));
        if version.as_deref() != Some(p.version.as_str()) {
            return Err(wording::kit_lacks_package(kit, &p.to_string()));
        }
    }
    Ok(())
}

/// `host.js`: imports each package (a scene's `require(name)` gets it) and runs the runtime, whose
/// `modules` export, if it has one, adds more importable names (`{"lucide-react/icons": …}`).
pub fn host_module(packages: &[Package], runtime: Option<&Runtime>) -> String {
    let mut js = String::from("// Written by template-sft: [render] packages and runtime.\n");
    for (i, p) in packages.iter().enumerate() {
        // A JSON string is a JavaScript string literal; the name is checked besides.
        let name = Value::String(p.name.clone()).to_string();
        js.push_str(&format!("import * as package{i} from {name};\n"));
    }
    if let Some(runtime) = runtime {
        js.push_str(&format!(
            "import * as runtime from \"./{}\";\n",
            runtime.file_name()
        ));
    }
    // Read through a function: the runtime need not export `modules`.
    js.push_str("const exported = (module, name) => (module ? module[name] : undefined);\n");
    js.push_str("export const packages = {\n");
    for (i, p) in packages.iter().enumerate() {
        let name = Value::String(p.name.clone()).to_string();
        js.push_str(&format!("  {name}: package{i},\n"));
    }
    if runtime.is_some() {
        js.push_str("  ...(exported(runtime, \"modules\") || {}),\n");
    }
    js.push_str("};\n");
    js
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_package_is_a_name_and_an_exact_version() {
        let p = Package::parse("@iconify/react@5.2.1").unwrap();
        assert_eq!(
            (p.name.as_str(), p.version.as_str()),
            ("@iconify/react", "5.2.1")
        );
        assert_eq!(
            Package::parse("lucide-react@0.460.0-rc.1").unwrap().version,
            "0.460.0-rc.1"
        );
        for bad in [
            "lucide-react",
            "lucide-react@^0.460.0",
            "lucide-react@latest",
            "lucide-react@1.2",
            "@iconify/react",
            "Lucide@1.0.0",
            "../x@1.0.0",
            "a b@1.0.0",
            "x\"; process.exit(1); \"@1.0.0",
            "@scope@1.0.0",
            "git+https://example.invalid/x.git@1.0.0",
        ] {
            assert!(Package::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn a_package_the_kit_pins_or_named_twice_conflicts() {
        let base = r#"{"dependencies":{"react":"19.2.0"}}"#;
        let react = Package::parse("react@18.0.0").unwrap();
        assert!(conflict(&[react], base)
            .unwrap()
            .contains("part of the render kit"));
        let a = Package::parse("a@1.0.0").unwrap();
        let b = Package::parse("a@2.0.0").unwrap();
        assert!(conflict(&[a.clone(), b], base)
            .unwrap()
            .contains("named twice"));
        assert!(conflict(&[a], base).is_none());
    }

    #[test]
    fn the_host_module_imports_each_package_by_its_quoted_name() {
        let p = Package::parse("@iconify/react@5.2.1").unwrap();
        let js = host_module(&[p], None);
        assert!(
            js.contains("import * as package0 from \"@iconify/react\";"),
            "{js}"
        );
        assert!(js.contains("\"@iconify/react\": package0,"), "{js}");
        assert!(!js.contains("./runtime"), "{js}");
    }
}
