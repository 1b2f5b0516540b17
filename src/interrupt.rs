//! Ctrl-C and `kill`: what the tool started goes with it, and so do its temporary folders.
//!
//! Takes the processes and folders the tool makes while it runs ([`Registered`] keeps one
//! registered while it lives); gives, when SIGINT or SIGTERM arrives, a clean exit: every
//! registered process group is killed (the renderer and the browsers under it; in a process
//! namespace, killing its first process kills the rest), every registered folder is removed
//! (a renderer's private temp folder, a version being written), and the tool exits with 128 + the
//! signal's number, as a shell reports it. The signal handler only writes a byte to a pipe (all a
//! handler may safely do); a thread of its own does the rest. Children that are not registered (the
//! QuickJS workers) die by the parent-death signal they were started with.

use std::path::PathBuf;
use std::sync::atomic::{AtomicI32, Ordering};
use std::sync::Mutex;

/// What is killed and removed when the tool is interrupted.
struct Registry {
    next: u64,
    groups: Vec<(u64, i32)>,
    folders: Vec<(u64, PathBuf)>,
}

static REGISTRY: Mutex<Registry> = Mutex::new(Registry {
    next: 0,
    groups: Vec::new(),
    folders: Vec::new(),
});

/// The write end of the pipe the handler signals through (-1 before [`install`]).
static PIPE: AtomicI32 = AtomicI32::new(-1);

/// A process group or folder registered for clean-up until this is dropped.
#[must_use = "dropping it unregisters at once"]
pub struct Registered(u64);

impl Drop for Registered {
    fn drop(&mut self) {
        if let Ok(mut registry) = REGISTRY.lock() {
            registry.groups.retain(|(id, _)| *id != self.0);
            registry.folders.retain(|(id, _)| *id != self.0);
        }
    }
}

fn register(group: Option<i32>, folder: Option<PathBuf>) -> Registered {
    let mut registry = match REGISTRY.lock() {
        Ok(registry) => registry,
        Err(poisoned) => poisoned.into_inner(),
    };
    registry.next += 1;
    let id = registry.next;
    if let Some(group) = group {
        registry.groups.push((id, group));
    }
    if let Some(folder) = folder {
        registry.folders.push((id, folder));
    }
    Registered(id)
}

/// Kill process group `pgid` (a child started in a group of its own) if the tool is interrupted.
pub fn process_group(pgid: u32) -> Registered {
    register(i32::try_from(pgid).ok(), None)
}

/// Remove `folder` (and all in it) if the tool is interrupted.
pub fn folder(folder: PathBuf) -> Registered {
    register(None, Some(folder))
}

extern "C" fn on_signal(signal: libc::c_int) {
    let fd = PIPE.load(Ordering::Relaxed);
    if fd >= 0 {
        let byte = signal as u8;
        // SAFETY: write(2) is async-signal-safe; the buffer is one byte on this stack.
        unsafe {
            libc::write(fd, (&byte as *const u8).cast(), 1);
        }
    }
}

/// Handle SIGINT and SIGTERM from now on (once per process; the binary calls it).
pub fn install() {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: pipe2 writes two descriptors into the array it is given.
    if unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return;
    }
    if PIPE
        .compare_exchange(-1, fds[1], Ordering::SeqCst, Ordering::SeqCst)
        .is_err()
    {
        // Installed already.
        // SAFETY: the descriptors were just made and are not used elsewhere.
        unsafe {
            libc::close(fds[0]);
            libc::close(fds[1]);
        }
        return;
    }
    let read_end = fds[0];
    let spawned = std::thread::Builder::new()
        .name("interrupt".into())
        .spawn(move || {
            let mut byte = 0u8;
            loop {
                // SAFETY: read(2) into one byte of this stack.
                let n = unsafe { libc::read(read_end, (&mut byte as *mut u8).cast(), 1) };
                if n == 1 {
                    break;
                }
                if n < 0 && std::io::Error::last_os_error().kind() == std::io::ErrorKind::Interrupted
                {
                    continue;
                }
                return;
            }
            clean_up();
            eprintln!(
                "template-sft: interrupted ({}); stopped what it started and removed its temporary files",
                if i32::from(byte) == libc::SIGINT { "SIGINT" } else { "SIGTERM" }
            );
            std::process::exit(128 + i32::from(byte));
        });
    if spawned.is_err() {
        return;
    }
    for signal in [libc::SIGINT, libc::SIGTERM] {
        // SAFETY: the handler only writes to a pipe; sigaction's struct is fully initialised.
        unsafe {
            let mut action: libc::sigaction = std::mem::zeroed();
            action.sa_sigaction = on_signal as extern "C" fn(libc::c_int) as usize;
            action.sa_flags = libc::SA_RESTART;
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(signal, &action, std::ptr::null_mut());
        }
    }
}

/// The prefix of the private temporary folders this process makes (`<prefix><n>` in the system's
/// temporary folder).
pub fn temp_prefix() -> String {
    format!("template-sft-{}-", std::process::id())
}

/// Kill every registered process group, then remove every registered folder and every private
/// temporary folder of this process. The registry stays locked until the process exits, so nothing
/// is started or registered meanwhile.
fn clean_up() {
    let registry = match REGISTRY.lock() {
        Ok(registry) => registry,
        Err(poisoned) => poisoned.into_inner(),
    };
    let (groups, folders) = (registry.groups.clone(), registry.folders.clone());
    std::mem::forget(registry);
    for (_, group) in groups {
        // SAFETY: kill(2) of a process group this process started.
        unsafe {
            libc::kill(-group, libc::SIGKILL);
            libc::kill(group, libc::SIGKILL);
        }
    }
    // The killed processes may still hold files open in the folders; removal does not need them
    // closed, but give the kernel a moment to tear them down.
    std::thread::sleep(std::time::Duration::from_millis(100));
    for (_, folder) in folders {
        let _ = std::fs::remove_dir_all(folder);
    }
    // One made by a thread that was starting a renderer at this moment, before registering it.
    let prefix = temp_prefix();
    let base = std::env::temp_dir();
    for entry in std::fs::read_dir(&base).into_iter().flatten().flatten() {
        if entry.file_name().to_string_lossy().starts_with(&prefix) {
            let _ = std::fs::remove_dir_all(entry.path());
        }
    }
}
