//! The renderer's network: a namespace of its own, where only loopback exists.
//!
//! Takes nothing; gives how the renderer is cut off: [`Isolation::Namespace`] when this machine can
//! make an unprivileged user, network and process namespace (`unshare --user --map-root-user --net
//! --pid --fork --kill-child`, as bubblewrap does; inside, loopback is brought up for the bundle's
//! server and the browser), else [`Isolation::CspOnly`]. In the namespace nothing a scene does
//! reaches another host or a port of this machine: not `/proxy`, not WebRTC, not a popup or a form,
//! whatever the page's CSP misses. Without one, the driver seals the browser itself
//! (`render-kit/driver.mjs`: every request through a proxy that passes only the driver's own
//! servers, which listen on loopback; `/proxy` for the bundle's own files only; popups closed). The process namespace makes the renderer's whole tree one thing
//! to kill: its first process is the namespace's init, and when it dies (unshare kills it when it
//! dies itself) the kernel kills every process inside, browsers in groups of their own included.
//! Probed once per process; which one ran is in `stats.render.isolation`.

use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

/// How the renderer is cut off from the network.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Isolation {
    /// Its own network namespace: only loopback, its own.
    Namespace,
    /// No namespace could be made: the page's Content-Security-Policy and the driver's own
    /// sealing (a proxy that passes only its servers, loopback-only servers, popups closed).
    CspOnly,
}

impl Isolation {
    /// `namespace` or `csp_only`, as stats say it.
    pub fn name(self) -> &'static str {
        match self {
            Isolation::Namespace => "namespace",
            Isolation::CspOnly => "csp_only",
        }
    }
}

/// unshare's options: a user namespace to be allowed the rest, a network namespace with nothing but
/// loopback, and a process namespace whose init dies with unshare.
const UNSHARE: [&str; 6] = [
    "--user",
    "--map-root-user",
    "--net",
    "--pid",
    "--fork",
    "--kill-child",
];

/// The programs that make the namespace: `unshare` (util-linux) and `ip` (iproute2).
struct Tools {
    unshare: PathBuf,
    ip: PathBuf,
}

/// `name` on PATH, or in the system folders a non-root PATH often lacks.
fn find(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(["/usr/sbin", "/sbin", "/usr/bin", "/bin"].map(PathBuf::from))
        .map(|dir| dir.join(name))
        .find(|p| p.is_file())
}

fn tools() -> &'static Option<Tools> {
    static TOOLS: OnceLock<Option<Tools>> = OnceLock::new();
    TOOLS.get_or_init(|| {
        let tools = Tools {
            unshare: find("unshare")?,
            ip: find("ip")?,
        };
        // The probe: make the namespace and bring loopback up, as the renderer's start does.
        let ok = Command::new(&tools.unshare)
            .args(UNSHARE)
            .arg("--")
            .arg(&tools.ip)
            .args(["link", "set", "lo", "up"])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        ok.then_some(tools)
    })
}

/// How renderers started by this process are cut off.
pub fn available() -> Isolation {
    if std::env::var_os("TEMPLATE_SFT_NO_NAMESPACE").is_some() {
        return Isolation::CspOnly;
    }
    match tools() {
        Some(_) => Isolation::Namespace,
        None => Isolation::CspOnly,
    }
}

/// `program args…`, in a network and process namespace of its own when they can be made (the
/// child is then unshare, whose death kills everything inside).
pub fn command(program: &std::path::Path) -> (Command, Isolation) {
    match (available(), tools()) {
        (Isolation::Namespace, Some(tools)) => {
            let mut command = Command::new(&tools.unshare);
            command
                .args(UNSHARE)
                .args(["--", "/bin/sh", "-c"])
                // Loopback up, then the program in place of the shell.
                .arg("\"$0\" link set lo up && shift && exec \"$@\"")
                .arg(&tools.ip)
                .arg("--")
                .arg(program);
            (command, Isolation::Namespace)
        }
        _ => (Command::new(program), Isolation::CspOnly),
    }
}
