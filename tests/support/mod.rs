//! Test helpers shared by the integration tests: a scratch project directory that runs the real
//! binary ([`Workdir`]), and a throwaway PostgreSQL server ([`postgres`]).
#![allow(dead_code)] // some helpers serve only tests of optional features (PostgreSQL, model tokenizers)

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

#[cfg(feature = "postgres")]
pub mod postgres;
pub mod tokenizers;

/// A temporary project directory; commands run with it as the working directory.
pub struct Workdir {
    dir: tempfile::TempDir,
}

/// What a command did; a failed expectation prints all of it.
pub struct Run {
    pub command: String,
    pub code: Option<i32>,
    pub stdout: String,
    pub stderr: String,
}

impl std::fmt::Display for Run {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "command: {}\nexit: {:?}\n--- stdout\n{}\n--- stderr\n{}",
            self.command, self.code, self.stdout, self.stderr
        )
    }
}

impl Run {
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.stdout)
            .unwrap_or_else(|e| panic!("stdout is not JSON ({e}):\n{self}"))
    }
}

pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

impl Workdir {
    pub fn new() -> Self {
        Workdir {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    /// A copy of `examples/starter` without any built dataset.
    pub fn starter() -> Self {
        let wd = Workdir::new();
        copy_dir(
            &repo_root().join("examples/starter"),
            wd.path(""),
            &["dataset"],
        );
        wd
    }

    pub fn path(&self, rel: &str) -> PathBuf {
        if rel.is_empty() {
            self.dir.path().to_path_buf()
        } else {
            self.dir.path().join(rel)
        }
    }

    pub fn write(&self, rel: &str, contents: impl AsRef<[u8]>) {
        let path = self.path(rel);
        if let Some(parent) = path.parent() {
            fs::create_dir_all(parent).unwrap();
        }
        fs::write(path, contents).unwrap();
    }

    pub fn read(&self, rel: &str) -> String {
        fs::read_to_string(self.path(rel)).unwrap_or_else(|e| panic!("read {rel}: {e}"))
    }

    pub fn remove(&self, rel: &str) {
        let path = self.path(rel);
        if path.is_dir() {
            fs::remove_dir_all(path).unwrap();
        } else {
            fs::remove_file(path).unwrap();
        }
    }

    /// Entries of a directory, sorted (including dot-files).
    pub fn list(&self, rel: &str) -> Vec<String> {
        let mut names: Vec<String> = match fs::read_dir(self.path(rel)) {
            Ok(entries) => entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect(),
            Err(_) => Vec::new(),
        };
        names.sort();
        names
    }

    /// Entries of an output root, without the gate cache (`.template-sft-cache`), sorted.
    pub fn outputs(&self, rel: &str) -> Vec<String> {
        self.list(rel)
            .into_iter()
            .filter(|n| n != ".template-sft-cache")
            .collect()
    }

    /// Edit a text file in place.
    pub fn edit(&self, rel: &str, f: impl FnOnce(String) -> String) {
        let text = self.read(rel);
        self.write(rel, f(text));
    }

    pub fn command(&self, args: &[&str]) -> Command {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_template-sft"));
        cmd.args(args).current_dir(self.path(""));
        cmd.env_remove("DATABASE_URL");
        cmd
    }

    /// Run with a stdout whose reader is gone before the first byte (`template-sft … | head -0`):
    /// the exit code and stderr.
    pub fn run_with_stdout_closed(&self, args: &[&str]) -> (Option<i32>, String) {
        let mut child = self
            .command(args)
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::piped())
            .spawn()
            .expect("start template-sft");
        drop(child.stdout.take());
        let out = child.wait_with_output().expect("run template-sft");
        (
            out.status.code(),
            String::from_utf8_lossy(&out.stderr).into_owned(),
        )
    }

    pub fn run(&self, args: &[&str]) -> Run {
        self.run_command(self.command(args), args)
    }

    pub fn run_command(&self, mut cmd: Command, args: &[&str]) -> Run {
        let out = cmd.output().expect("run template-sft");
        Run {
            command: format!("template-sft {}", args.join(" ")),
            code: out.status.code(),
            stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
            stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
        }
    }

    /// Run with extra environment variables.
    pub fn run_env(&self, args: &[&str], env: &[(&str, &str)]) -> Run {
        let mut cmd = self.command(args);
        cmd.envs(env.iter().copied());
        self.run_command(cmd, args)
    }

    /// Run and require exit 0.
    pub fn ok(&self, args: &[&str]) -> Run {
        let run = self.run(args);
        assert_eq!(run.code, Some(0), "expected success\n{run}");
        assert!(!run.stderr.contains("panicked"), "panic\n{run}");
        run
    }

    /// Run and require the given non-zero exit code.
    pub fn fails(&self, args: &[&str], code: i32) -> Run {
        let run = self.run(args);
        assert_eq!(run.code, Some(code), "expected exit {code}\n{run}");
        assert!(!run.stderr.contains("panicked"), "panic\n{run}");
        run
    }
}

pub fn copy_dir(from: &Path, to: PathBuf, skip: &[&str]) {
    fs::create_dir_all(&to).unwrap();
    for entry in fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name();
        if skip.iter().any(|s| name == *s) {
            continue;
        }
        let target = to.join(&name);
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), target, &[]);
        } else {
            fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// Parse every line of a JSONL file.
pub fn jsonl(text: &str) -> Vec<serde_json::Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad JSONL line ({e}): {l}")))
        .collect()
}

/// A TCP port on 127.0.0.1 bound by this process without listening: a connection to it is refused,
/// and nothing else can bind it until this is dropped.
pub struct ClosedPort {
    fd: i32,
    pub port: u16,
}

impl ClosedPort {
    pub fn new() -> ClosedPort {
        // SAFETY: plain socket calls on a descriptor this value owns; the address structure is
        // fully initialized and its size passed along.
        unsafe {
            let fd = libc::socket(libc::AF_INET, libc::SOCK_STREAM, 0);
            assert!(fd >= 0, "socket: {}", std::io::Error::last_os_error());
            let mut addr: libc::sockaddr_in = std::mem::zeroed();
            addr.sin_family = libc::AF_INET as libc::sa_family_t;
            addr.sin_addr.s_addr = u32::from(std::net::Ipv4Addr::LOCALHOST).to_be();
            addr.sin_port = 0;
            let len = std::mem::size_of::<libc::sockaddr_in>() as libc::socklen_t;
            let bound = libc::bind(fd, &addr as *const _ as *const libc::sockaddr, len);
            assert_eq!(bound, 0, "bind: {}", std::io::Error::last_os_error());
            let mut got: libc::sockaddr_in = std::mem::zeroed();
            let mut got_len = len;
            libc::getsockname(fd, &mut got as *mut _ as *mut libc::sockaddr, &mut got_len);
            ClosedPort {
                fd,
                port: u16::from_be(got.sin_port),
            }
        }
    }
}

impl Drop for ClosedPort {
    fn drop(&mut self) {
        // SAFETY: closes the descriptor this value owns, once.
        unsafe {
            libc::close(self.fd);
        }
    }
}

/// Run `cmd` to completion; gives its exit code and its peak resident memory in KiB, as GNU time
/// (`/usr/bin/time`, Debian's `time`) measures it. Not wait4 on a child of this process: a child
/// spawned by the test binary starts on the test process's memory (posix_spawn shares it until
/// exec), and Linux records that memory's peak as the child's at exec, so every measure would be
/// at least the test process's own peak (900 MB once the tokenizer tests have run). GNU time is a
/// small process that forks the command itself.
pub fn run_measuring_memory(cmd: Command) -> (Option<i32>, u64) {
    let report = tempfile::NamedTempFile::new().expect("a temporary file for time's report");
    let mut timed = Command::new("/usr/bin/time");
    timed
        .args(["--quiet", "--format=%M", "--output"])
        .arg(report.path())
        .arg(cmd.get_program())
        .args(cmd.get_args())
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null());
    if let Some(dir) = cmd.get_current_dir() {
        timed.current_dir(dir);
    }
    for (key, value) in cmd.get_envs() {
        match value {
            Some(value) => timed.env(key, value),
            None => timed.env_remove(key),
        };
    }
    let status = timed
        .status()
        .expect("run /usr/bin/time (Debian's `time`; scripts/test.sh installs it)");
    let text = std::fs::read_to_string(report.path()).expect("time's report");
    let kib = text
        .trim()
        .lines()
        .last()
        .and_then(|l| l.trim().parse().ok())
        .unwrap_or_else(|| panic!("time reported no peak memory: {text:?}"));
    (status.code(), kib)
}
