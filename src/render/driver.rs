//! The long-lived renderer: one Node process running the kit's `driver.mjs`, which starts a headless
//! Chromium for each scene, spoken to in JSON lines; and the watchdog that makes it safe.
//!
//! Takes an installed [`Kit`] and jobs; gives an [`Outcome`] per job, in the jobs' order. Up to
//! `concurrency` jobs are in flight at once, each in a browser of its own. A job is timed by its
//! progress: the driver says when each frame is done, and a job that makes no progress within the
//! deadline (or outlives [`JOB_CAP`]) is a `hang`: the Node process and every process under it (the
//! browsers included, which Remotion starts in process groups of their own) are killed and a new
//! renderer is started for the jobs left. A job judged `hang` is then rendered again alone, with
//! nothing else rendering and twice the deadline, before the verdict stands: a busy machine does
//! not make a correct scene hang. A renderer that dies on its own is restarted too; a job that was
//! in flight through two such deaths is given up as `runtime` with what the renderer last wrote.
//! What the renderer and the page log goes to a bounded buffer, shown only when the renderer cannot
//! start.
//!
//! The renderer's whole process tree is watched for memory (proportional set size, every
//! [`MEMORY_EVERY`]): past [`super::RENDERER_MEMORY_MIB`] plus `memory_mib` per scene in flight it
//! is killed, and the scenes in flight are rendered again alone, where a scene still over the limit
//! is `memory`. Each renderer gets a private temporary folder (`TMPDIR`: Remotion's downloads, the
//! browsers' profiles), removed when it ends or is killed; it dies with the thread that started it
//! (a parent-death signal) and is killed with its temporary folder removed when the tool is
//! interrupted ([`crate::interrupt`]).

use std::collections::{HashMap, VecDeque};
use std::io::{BufRead, BufReader, Write};
use std::process::{Child, ChildStdin, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde::{Deserialize, Serialize};

use std::path::{Path, PathBuf};

use super::globals::Global;
use super::kit::Kit;
use super::{FramePlan, Job, Outcome, RenderOptions, Verdict, JOB_CAP, RENDERER_MEMORY_MIB};
use crate::error::{wording, Error, Result};
use crate::interrupt::{self, Registered};

/// Lines of the renderer's stderr kept for an error message, and the bytes kept of each (a scene
/// may log anything, at any length).
const STDERR_LINES: usize = 40;
const STDERR_LINE_BYTES: usize = 2048;
/// How long the renderer may take to start its browser.
const START_DEADLINE: Duration = Duration::from_secs(60);
/// Deaths of the renderer a job may be in flight through before it is given up.
const RETRIES: u32 = 1;
/// How often the renderer's memory is measured.
const MEMORY_EVERY: Duration = Duration::from_millis(500);

/// One request line to the driver.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Request<'a> {
    id: usize,
    code: &'a str,
    export_name: &'a str,
    width: u32,
    height: u32,
    fps: u32,
    duration_in_frames: u32,
    /// The frames to render one by one, or `None` for every `every`-th frame in one pass.
    frames: Option<Vec<u32>>,
    every: u32,
    globals: &'a [Global],
    scale: f64,
    timeout_ms: u64,
    out: Option<String>,
}

/// One verdict line from the driver.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Reply {
    id: usize,
    verdict: Verdict,
    #[serde(default)]
    message: String,
    frame: Option<u32>,
    line: Option<u32>,
    column: Option<u32>,
    #[serde(default)]
    replaced_urls: u32,
    #[serde(default)]
    files: Vec<std::path::PathBuf>,
    #[serde(default)]
    seconds: f64,
    /// A frame file that could not be written (`render --out` on a full disk).
    #[serde(default)]
    write_error: Option<String>,
}

/// One line of the driver's stdout, as it is typed: told apart by the key each kind has alone
/// (`ready`, `fatal`, `progress`), else a verdict. Tried in this order.
#[derive(Deserialize)]
#[serde(untagged)]
enum DriverLine {
    /// The driver started a browser and takes requests.
    Ready {
        #[serde(rename = "ready")]
        _ready: serde::de::IgnoredAny,
    },
    /// The driver cannot work at all (no browser).
    Fatal { fatal: String },
    /// A job rendered a frame.
    Progress { progress: usize },
    /// A job's verdict.
    Reply(Box<Reply>),
}

enum Line {
    Reply(Box<Reply>),
    Progress(usize),
    Ready,
    Fatal(String),
    Closed,
}

/// A running driver process.
struct Process {
    child: Child,
    /// `None` once closed.
    stdin: Option<ChildStdin>,
    lines: Receiver<Line>,
    stderr: Arc<Mutex<VecDeque<String>>>,
    /// Killed or ended and reaped.
    dead: bool,
    _group: Registered,
    /// Its private temporary folder (after the child, so removed once the child is killed).
    _temp: PrivateFolder,
}

/// A private temporary folder, removed when this is dropped and if the tool is interrupted.
pub(crate) struct PrivateFolder {
    path: PathBuf,
    _registered: Registered,
}

impl PrivateFolder {
    pub(crate) fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for PrivateFolder {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A new private temporary folder (mode 0700, under the system's), for one renderer or one eval's
/// frames; one a killed run left behind is removed by the next.
pub(crate) fn private_temp() -> Result<PrivateFolder> {
    use std::os::unix::fs::DirBuilderExt;
    use std::sync::atomic::{AtomicU64, Ordering};
    static NEXT: AtomicU64 = AtomicU64::new(0);
    static SWEPT: std::sync::Once = std::sync::Once::new();
    let base = std::env::temp_dir();
    // Folders of a run that was killed outright (SIGKILL leaves no time to clean up): removed by
    // the next run, once its process is gone.
    SWEPT.call_once(|| {
        for entry in std::fs::read_dir(&base).into_iter().flatten().flatten() {
            let name = entry.file_name().to_string_lossy().into_owned();
            let pid = name
                .strip_prefix("template-sft-")
                .and_then(|rest| rest.split_once('-'))
                .and_then(|(pid, n)| n.parse::<u64>().ok().and(pid.parse::<u32>().ok()));
            if let Some(pid) = pid {
                if !Path::new(&format!("/proc/{pid}")).exists() {
                    let _ = std::fs::remove_dir_all(entry.path());
                }
            }
        }
    });
    for _ in 0..100 {
        let n = NEXT.fetch_add(1, Ordering::Relaxed);
        let dir = base.join(format!("{}{n}", interrupt::temp_prefix()));
        match std::fs::DirBuilder::new().mode(0o700).create(&dir) {
            Ok(()) => {
                return Ok(PrivateFolder {
                    _registered: interrupt::folder(dir.clone()),
                    path: dir,
                })
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(Error::write(&dir, e)),
        }
    }
    Err(wording::renderer_broke(
        "no free name for a temporary folder",
    ))
}

impl Process {
    fn start(kit: &Kit, concurrency: usize) -> Result<Process> {
        use std::os::unix::process::CommandExt;
        let (mut command, isolation) = super::isolation::command(&kit.node);
        let temp = private_temp()?;
        // In a process namespace, unshare takes everything inside with it when it is killed; else
        // the driver is asked to close its browsers (SIGTERM) when this thread goes.
        let death = match isolation {
            super::isolation::Isolation::Namespace => libc::SIGKILL,
            super::isolation::Isolation::CspOnly => libc::SIGTERM,
        };
        // SAFETY: prctl is async-signal-safe and touches nothing of the parent's.
        unsafe {
            command.pre_exec(move || {
                libc::prctl(libc::PR_SET_PDEATHSIG, death);
                Ok(())
            });
        }
        let spawned = command
            .arg("driver.mjs")
            .arg("serve")
            .arg(&kit.chromium)
            .arg(concurrency.to_string())
            .arg(&kit.bundle)
            .current_dir(&kit.dir)
            .env("TMPDIR", temp.path())
            // Without a namespace the driver seals the browser's network itself (driver.mjs).
            .env("TEMPLATE_SFT_ISOLATION", isolation.name())
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            // Its own group: the watchdog kills the group, whatever it started.
            .process_group(0)
            .spawn();
        let mut child = match spawned {
            Ok(child) => child,
            Err(e) => return Err(wording::cannot_start(kit.node.display(), e)),
        };
        let group_registered = interrupt::process_group(child.id());
        let (Some(stdin), Some(stdout), Some(stderr)) =
            (child.stdin.take(), child.stdout.take(), child.stderr.take())
        else {
            return Err(wording::renderer_broke("the renderer's pipes are missing"));
        };
        let (send, lines) = mpsc::channel();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                let parsed = match serde_json::from_str::<DriverLine>(&line) {
                    Ok(DriverLine::Ready { .. }) => Line::Ready,
                    Ok(DriverLine::Fatal { fatal }) => Line::Fatal(fatal),
                    Ok(DriverLine::Progress { progress }) => Line::Progress(progress),
                    Ok(DriverLine::Reply(reply)) => Line::Reply(reply),
                    Err(_) => match unreadable(&line) {
                        Some(reply) => Line::Reply(Box::new(reply)),
                        None => continue,
                    },
                };
                if send.send(parsed).is_err() {
                    return;
                }
            }
            let _ = send.send(Line::Closed);
        });
        let kept = Arc::new(Mutex::new(VecDeque::new()));
        let sink = Arc::clone(&kept);
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines() {
                let Ok(line) = line else { break };
                if let Ok(mut kept) = sink.lock() {
                    if kept.len() == STDERR_LINES {
                        kept.pop_front();
                    }
                    let mut line = line;
                    if line.len() > STDERR_LINE_BYTES {
                        let mut end = STDERR_LINE_BYTES;
                        while !line.is_char_boundary(end) {
                            end -= 1;
                        }
                        line.truncate(end);
                        line.push('…');
                    }
                    kept.push_back(line);
                }
            }
        });
        let mut process = Process {
            child,
            stdin: Some(stdin),
            lines,
            stderr: kept,
            dead: false,
            _group: group_registered,
            _temp: temp,
        };
        match process.lines.recv_timeout(START_DEADLINE) {
            Ok(Line::Ready) => Ok(process),
            Ok(Line::Fatal(why)) => {
                process.kill();
                Err(wording::renderer_broke(&why))
            }
            _ => {
                process.kill();
                Err(wording::renderer_did_not_start(&process.stderr_tail()))
            }
        }
    }

    fn stderr_tail(&self) -> String {
        self.stderr
            .lock()
            .map(|k| k.iter().cloned().collect::<Vec<_>>().join("\n"))
            .unwrap_or_default()
    }

    fn send(&mut self, request: &Request<'_>) -> bool {
        let Ok(mut line) = serde_json::to_vec(request) else {
            return false;
        };
        line.push(b'\n');
        let Some(stdin) = self.stdin.as_mut() else {
            return false;
        };
        stdin.write_all(&line).and_then(|()| stdin.flush()).is_ok()
    }

    /// Memory held by the process and everything under it (proportional set size: a page shared
    /// by several processes counts its share in each), in bytes.
    fn memory(&self) -> u64 {
        let pid = self.child.id() as i32;
        let mut all = descendants(pid);
        all.push(pid);
        all.into_iter().map(process_memory).sum()
    }

    /// Kill the process, the browser and everything else under it (its temporary folder goes when
    /// the process value is dropped).
    fn kill(&mut self) {
        if self.dead {
            return;
        }
        self.dead = true;
        let pid = self.child.id() as i32;
        let mut doomed = descendants(pid);
        doomed.push(pid);
        for p in doomed {
            // SAFETY: kill(2) with a pid we found under our own child; no memory is passed.
            unsafe {
                libc::kill(p, libc::SIGKILL);
            }
        }
        // SAFETY: as above, the process group we made for the child.
        unsafe {
            libc::kill(-pid, libc::SIGKILL);
        }
        let _ = self.child.wait();
    }

    /// Close stdin (the driver finishes and closes its browser), then make sure.
    fn finish(mut self) {
        drop(self.stdin.take());
        let deadline = Instant::now() + Duration::from_secs(10);
        while Instant::now() < deadline {
            if let Ok(Some(_)) = self.child.try_wait() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        self.kill();
    }
}

/// A verdict line that does not read (the driver keeps its lines well-formed; this is the net): a
/// `runtime` verdict for its job rather than a scene that looks like it hangs.
fn unreadable(line: &str) -> Option<Reply> {
    let rest = line.strip_prefix("{\"id\":")?;
    let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
    Some(Reply {
        id: digits.parse().ok()?,
        verdict: Verdict::Runtime,
        message: "the renderer's verdict for this scene could not be read".into(),
        frame: None,
        line: None,
        column: None,
        replaced_urls: 0,
        files: Vec::new(),
        seconds: 0.0,
        write_error: None,
    })
}

impl Drop for Process {
    fn drop(&mut self) {
        self.kill();
    }
}

/// One process's proportional set size in bytes (`/proc/PID/smaps_rollup`), else its resident set
/// size; 0 for a process that is gone.
fn process_memory(pid: i32) -> u64 {
    if let Ok(rollup) = std::fs::read_to_string(format!("/proc/{pid}/smaps_rollup")) {
        if let Some(kib) = rollup
            .lines()
            .find_map(|l| l.strip_prefix("Pss:"))
            .and_then(|rest| {
                rest.trim()
                    .trim_end_matches("kB")
                    .trim()
                    .parse::<u64>()
                    .ok()
            })
        {
            return kib * 1024;
        }
    }
    // SAFETY: sysconf has no preconditions.
    let page = unsafe { libc::sysconf(libc::_SC_PAGESIZE) }.max(4096) as u64;
    std::fs::read_to_string(format!("/proc/{pid}/statm"))
        .ok()
        .and_then(|s| s.split_whitespace().nth(1)?.parse::<u64>().ok())
        .map_or(0, |pages| pages * page)
}

/// Every process whose chain of parents reaches `root` (from /proc), deepest last.
fn descendants(root: i32) -> Vec<i32> {
    let Ok(entries) = std::fs::read_dir("/proc") else {
        return Vec::new();
    };
    let mut parent: HashMap<i32, i32> = HashMap::new();
    for entry in entries.flatten() {
        let Some(pid) = entry
            .file_name()
            .to_str()
            .and_then(|n| n.parse::<i32>().ok())
        else {
            continue;
        };
        let Ok(stat) = std::fs::read_to_string(entry.path().join("stat")) else {
            continue;
        };
        // `pid (comm) state ppid …`: comm may hold spaces and parentheses; the last `)` ends it.
        if let Some(ppid) = stat
            .rsplit_once(')')
            .and_then(|(_, rest)| rest.split_whitespace().nth(1))
            .and_then(|p| p.parse::<i32>().ok())
        {
            parent.insert(pid, ppid);
        }
    }
    let mut found = Vec::new();
    let mut frontier = vec![root];
    while let Some(p) = frontier.pop() {
        for (&child, &ppid) in &parent {
            if ppid == p && !found.contains(&child) {
                found.push(child);
                frontier.push(child);
            }
        }
    }
    found
}

/// Render every job; outcomes in the jobs' order. `done` is told each job's final outcome.
pub fn render_all(
    kit: &Kit,
    jobs: &[Job],
    options: &RenderOptions,
    mut done: impl FnMut(usize, &Outcome),
) -> Result<Vec<Outcome>> {
    if jobs.is_empty() {
        return Ok(Vec::new());
    }
    // The driver runs in the kit's folder: frames go to an absolute path.
    let out = match &options.out {
        Some(out) => {
            std::fs::create_dir_all(out).map_err(|e| Error::write(out, e))?;
            Some(std::fs::canonicalize(out).map_err(|e| Error::write(out, e))?)
        }
        None => None,
    };
    let names = frame_names(jobs);
    let all: Vec<usize> = (0..jobs.len()).collect();
    let first = Pass {
        kit,
        jobs,
        names: &names,
        options,
        out: out.as_deref(),
        concurrency: options.concurrency.max(1),
        stall: options.deadline,
    };
    let retried = |verdict: Verdict| matches!(verdict, Verdict::Hang | Verdict::Memory);
    let mut outcomes = first.run(&all, |i, o| {
        if !retried(o.verdict) {
            done(i, o)
        }
    })?;
    // A hang may be the machine's load (another scene, another program), and memory over the
    // limit another scene's: rendered again alone, with twice the time, before it stands.
    let hung: Vec<usize> = all
        .into_iter()
        .filter(|&i| retried(outcomes[i].verdict))
        .collect();
    if !hung.is_empty() {
        let alone = Pass {
            concurrency: 1,
            stall: options.deadline * 2,
            ..first
        };
        let again = alone.run(&hung, |_, _| {})?;
        for (i, mut outcome) in hung.into_iter().zip(again) {
            if retried(outcome.verdict) {
                outcome.message = format!("{} (again when rendered alone)", outcome.message);
            }
            done(i, &outcome);
            outcomes[i] = outcome;
        }
    }
    Ok(outcomes)
}

/// One pass over some of the jobs with one renderer (restarted as needed).
#[derive(Clone, Copy)]
struct Pass<'p> {
    kit: &'p Kit,
    jobs: &'p [Job],
    /// The file name prefix of each job's frames.
    names: &'p [String],
    options: &'p RenderOptions,
    out: Option<&'p std::path::Path>,
    concurrency: usize,
    /// The longest a job may go without progress.
    stall: Duration,
}

/// When a job in flight was sent and when it last made progress.
#[derive(Clone, Copy)]
struct Flight {
    sent: Instant,
    last: Instant,
}

impl Pass<'_> {
    /// The moment `flight` becomes a hang.
    fn due(&self, flight: Flight) -> Instant {
        (flight.last + self.stall).min(flight.sent + JOB_CAP)
    }

    fn request<'j>(&self, i: usize, job: &'j Job) -> Request<'j> {
        let (width, height) = job.format.size();
        let (frames, every) = match self.options.frames.plan(job.length) {
            FramePlan::List(frames) => (Some(frames), 1),
            FramePlan::Every { every, .. } => (None, every),
        };
        Request {
            id: i,
            code: &job.code,
            export_name: &job.export,
            width,
            height,
            fps: job.fps,
            duration_in_frames: job.length.max(1),
            frames,
            every,
            globals: &job.globals,
            scale: self.options.scale,
            timeout_ms: self.options.delay_timeout.as_millis() as u64,
            out: self
                .out
                .map(|dir| dir.join(&self.names[i]).display().to_string()),
        }
    }

    /// Outcomes for `which` (indices into the jobs), in that order.
    fn run(&self, which: &[usize], mut done: impl FnMut(usize, &Outcome)) -> Result<Vec<Outcome>> {
        let jobs = self.jobs;
        let mut outcomes: HashMap<usize, Outcome> = HashMap::new();
        let mut queue: VecDeque<usize> = which.iter().copied().collect();
        let mut deaths: HashMap<usize, u32> = HashMap::new();
        let mut process = Process::start(self.kit, self.concurrency)?;
        let mut in_flight: HashMap<usize, Flight> = HashMap::new();
        let limit_mib = RENDERER_MEMORY_MIB + self.options.memory_mib * self.concurrency as u64;
        let mut next_check = Instant::now() + MEMORY_EVERY;
        let mut finish = |i: usize, outcome: Outcome, outcomes: &mut HashMap<usize, Outcome>| {
            done(i, &outcome);
            outcomes.insert(i, outcome);
        };
        while !queue.is_empty() || !in_flight.is_empty() {
            while in_flight.len() < self.concurrency {
                let Some(i) = queue.pop_front() else { break };
                let now = Instant::now();
                in_flight.insert(
                    i,
                    Flight {
                        sent: now,
                        last: now,
                    },
                );
                if !process.send(&self.request(i, &jobs[i])) {
                    break; // the renderer is gone: the receive below says so
                }
            }
            // Wait for a verdict or progress until the nearest deadline.
            let now = Instant::now();
            let (next, due) = in_flight
                .iter()
                .map(|(&i, &flight)| (i, self.due(flight)))
                .min_by_key(|&(_, due)| due)
                .unwrap_or((usize::MAX, now));
            match process
                .lines
                .recv_timeout(due.min(next_check).saturating_duration_since(now))
            {
                Err(RecvTimeoutError::Timeout) if Instant::now() < due => {
                    // Time to measure the renderer's memory.
                    next_check = Instant::now() + MEMORY_EVERY;
                    let used_mib = process.memory() >> 20;
                    if used_mib <= limit_mib {
                        continue;
                    }
                    process.kill();
                    let message = format!(
                        "the renderer took {used_mib} MiB with {} rendering, over its limit of {limit_mib} MiB ({RENDERER_MEMORY_MIB} MiB and [render] memory_mib = {} per scene); the renderer was killed",
                        crate::error::count(in_flight.len(), "scene"),
                        self.options.memory_mib
                    );
                    for (i, flight) in in_flight.drain() {
                        let outcome = Outcome {
                            verdict: Verdict::Memory,
                            message: message.clone(),
                            frame: None,
                            at: None,
                            format: jobs[i].format,
                            replaced_urls: 0,
                            files: Vec::new(),
                            seconds: flight.sent.elapsed().as_secs_f64(),
                        };
                        finish(i, outcome, &mut outcomes);
                    }
                    process = Process::start(self.kit, self.concurrency)?;
                }
                Ok(Line::Progress(id)) => {
                    if let Some(flight) = in_flight.get_mut(&id) {
                        flight.last = Instant::now();
                    }
                }
                Ok(Line::Reply(reply)) => {
                    if in_flight.remove(&reply.id).is_none() {
                        continue;
                    }
                    if let (Some(why), Some(out)) = (&reply.write_error, self.out) {
                        // Not the scene's doing: the whole render stops (the caller removes what
                        // it wrote).
                        return Err(Error::write(out, std::io::Error::other(why.clone())));
                    }
                    let outcome = Outcome {
                        verdict: reply.verdict,
                        message: reply.message,
                        frame: reply.frame,
                        at: reply.line.zip(reply.column),
                        format: jobs[reply.id].format,
                        replaced_urls: reply.replaced_urls,
                        files: reply.files,
                        seconds: reply.seconds,
                    };
                    let hung = outcome.verdict == Verdict::Hang;
                    finish(reply.id, outcome, &mut outcomes);
                    // Remotion gave up on a page that stopped answering: its tab may still spin,
                    // so the renderer goes, and the jobs in flight start over in a new one.
                    if hung {
                        process.kill();
                        for (i, _) in in_flight.drain() {
                            queue.push_front(i);
                        }
                        process = Process::start(self.kit, self.concurrency)?;
                    }
                }
                Ok(Line::Ready | Line::Fatal(_)) => {}
                Err(RecvTimeoutError::Timeout) => {
                    // The nearest deadline passed: that job hangs; the others start over.
                    let flight = in_flight.remove(&next);
                    let seconds = flight.map_or(0.0, |f| f.sent.elapsed().as_secs_f64());
                    let message = if flight.is_some_and(|f| f.sent + JOB_CAP <= Instant::now()) {
                        format!(
                            "still rendering after {} s, the most one scene may take; the renderer was killed",
                            JOB_CAP.as_secs()
                        )
                    } else {
                        format!(
                            "no frame rendered for {} s (an endless loop?); the renderer was killed",
                            self.stall.as_secs()
                        )
                    };
                    let outcome = Outcome {
                        verdict: Verdict::Hang,
                        message,
                        frame: None,
                        at: None,
                        format: jobs[next].format,
                        replaced_urls: 0,
                        files: Vec::new(),
                        seconds,
                    };
                    finish(next, outcome, &mut outcomes);
                    process.kill();
                    for (i, _) in in_flight.drain() {
                        queue.push_front(i);
                    }
                    process = Process::start(self.kit, self.concurrency)?;
                }
                Ok(Line::Closed) | Err(RecvTimeoutError::Disconnected) => {
                    let tail = process.stderr_tail();
                    process.kill();
                    for (i, _) in in_flight.drain() {
                        let died = deaths.entry(i).or_default();
                        *died += 1;
                        if *died > RETRIES {
                            // Node's last words are its version; the error is the line that
                            // names one.
                            let last = tail
                                .lines()
                                .rev()
                                .find(|l| l.contains("Error") && !l.trim_start().starts_with("at "))
                                .or_else(|| tail.lines().rev().find(|l| !l.trim().is_empty()));
                            let outcome = Outcome {
                                verdict: Verdict::Runtime,
                                message: format!(
                                    "the renderer stopped while rendering this scene: {}",
                                    last.unwrap_or("no message")
                                ),
                                frame: None,
                                at: None,
                                format: jobs[i].format,
                                replaced_urls: 0,
                                files: Vec::new(),
                                seconds: 0.0,
                            };
                            finish(i, outcome, &mut outcomes);
                        } else {
                            queue.push_front(i);
                        }
                    }
                    process = Process::start(self.kit, self.concurrency)?;
                }
            }
        }
        process.finish();
        which
            .iter()
            .map(|i| {
                outcomes
                    .remove(i)
                    .ok_or_else(|| wording::renderer_broke("a scene was left without a verdict"))
            })
            .collect()
    }
}

/// One file name prefix per job, whatever the labels: two scenes both called `intro` (or `a b`
/// and `a_b`, which `file_safe` makes one) write `intro-square-…` and `intro-2-square-…`.
pub(crate) fn frame_names(jobs: &[Job]) -> Vec<String> {
    let mut taken = std::collections::HashSet::new();
    jobs.iter()
        .map(|job| {
            let base = file_safe(&job.label);
            (1..)
                .map(|n| match n {
                    1 => format!("{base}-{}", job.format),
                    n => format!("{base}-{n}-{}", job.format),
                })
                .find(|name| taken.insert(name.clone()))
                .unwrap_or_default()
        })
        .collect()
}

/// A label as part of a file name: letters, digits, `.`, `_`, `-`; anything else becomes `_`.
fn file_safe(label: &str) -> String {
    let name: String = label
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-') {
                c
            } else {
                '_'
            }
        })
        .collect();
    name.trim_start_matches('.').to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_kind_of_driver_line_reads_as_its_type() {
        let read = |line: &str| serde_json::from_str::<DriverLine>(line);
        assert!(matches!(
            read(r#"{"ready":true}"#),
            Ok(DriverLine::Ready { .. })
        ));
        assert!(
            matches!(read(r#"{"fatal":"no browser"}"#), Ok(DriverLine::Fatal { fatal }) if fatal == "no browser")
        );
        assert!(matches!(
            read(r#"{"progress":3,"frame":12}"#),
            Ok(DriverLine::Progress { progress: 3 })
        ));
        let verdict = r#"{"id":4,"verdict":"runtime","message":"boom","frame":7,"line":2,"column":5,"replacedUrls":1,"seconds":0.5}"#;
        match read(verdict) {
            Ok(DriverLine::Reply(r)) => {
                assert_eq!(
                    (r.id, r.verdict, r.frame, r.line, r.column),
                    (4, Verdict::Runtime, Some(7), Some(2), Some(5))
                );
                assert_eq!((r.message.as_str(), r.replaced_urls), ("boom", 1));
            }
            _ => panic!("a verdict line"),
        }
        // Not a verdict: no id; the net reads a torn verdict line as a runtime verdict for its job.
        assert!(read(r#"{"verdict":"ok"}"#).is_err());
        let torn = unreadable(r#"{"id":9,"verdict":"ok","mess"#).unwrap();
        assert_eq!((torn.id, torn.verdict), (9, Verdict::Runtime));
    }
}
