//! The sandbox's engine in a worker process, and the watchdog outside it that kills it.
//!
//! Takes what `engine::run` takes (a module or script, the names to read, a seed); gives what it
//! gives. QuickJS checks its fuel only between bytecode instructions, and a few built-ins loop in
//! native code without ever returning to it (`[].concat` of a spreadable array-like of length
//! 2^53-2, `reverse` or `join` on a huge sparse array-like, `includes` on long strings): such a
//! loop cannot be stopped from inside the thread that runs it, and a thread cannot be killed. So
//! the binary runs the engine in a child of its own (`template-sft --quickjs-worker`, one per
//! worker thread, kept for the whole build so that the realm is made once), sends it one JSON line
//! per evaluation and waits for the answer at most `WATCHDOG`: past that the child is killed
//! (nothing is left spinning) and the answer is `Outcome::TimedOut`. The child also dies with
//! the thread that started it (a parent-death signal) and when its input closes.
//!
//! The library runs evaluations in the calling thread unless it was told where a worker program is
//! ([`use_worker_program`]): a library user without the binary keeps fuel and the safety deadline,
//! not the watchdog.

use std::borrow::Cow;
use std::cell::RefCell;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::PathBuf;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError};
use std::sync::OnceLock;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use super::engine::{self, Code, Outcome, SAFETY_DEADLINE};

/// The argument that makes the binary a worker.
pub const WORKER_ARG: &str = "--quickjs-worker";

/// How long the watchdog waits for an answer: the engine's own safety deadline, and a margin for
/// it to notice.
const WATCHDOG: Duration = SAFETY_DEADLINE.saturating_add(Duration::from_secs(2));

static PROGRAM: OnceLock<PathBuf> = OnceLock::new();

/// Run every later evaluation of this process in workers started from `program` (the
/// `template-sft` binary; it must call [`serve`] when given [`WORKER_ARG`]).
pub fn use_worker_program(program: PathBuf) {
    let _ = PROGRAM.set(program);
}

/// One evaluation, as sent to the worker.
#[derive(Serialize, Deserialize)]
struct Request<'a> {
    script: bool,
    source: Cow<'a, str>,
    names: Vec<Cow<'a, str>>,
    seed: u32,
}

struct Worker {
    child: Child,
    input: ChildStdin,
    answers: Receiver<String>,
}

impl Worker {
    fn start(program: &PathBuf) -> std::io::Result<Worker> {
        let mut command = Command::new(program);
        command
            .arg(WORKER_ARG)
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit());
        // SAFETY: prctl is async-signal-safe and touches nothing of the parent's.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let mut child = command.spawn()?;
        let (Some(input), Some(output)) = (child.stdin.take(), child.stdout.take()) else {
            let _ = child.kill();
            let _ = child.wait();
            return Err(std::io::Error::other("no pipes to the worker"));
        };
        let (send, answers) = mpsc::channel();
        // The reader ends when the worker's output closes (it exited or was killed).
        std::thread::Builder::new()
            .name("quickjs-worker-reader".into())
            .spawn(move || {
                for line in BufReader::new(output).lines() {
                    let Ok(line) = line else { break };
                    if send.send(line).is_err() {
                        break;
                    }
                }
            })?;
        Ok(Worker {
            child,
            input,
            answers,
        })
    }

    fn ask(&mut self, request: &str) -> Result<Outcome, Outcome> {
        let died = |what: &str| {
            Outcome::Stopped(format!(
                "the sandbox's worker process {what}; the module was not run to the end"
            ))
        };
        if writeln!(self.input, "{request}")
            .and_then(|()| self.input.flush())
            .is_err()
        {
            return Err(died("is gone"));
        }
        match self.answers.recv_timeout(WATCHDOG) {
            Ok(answer) => {
                serde_json::from_str(&answer).map_err(|_| died("gave an answer it cannot give"))
            }
            Err(RecvTimeoutError::Timeout) => Err(Outcome::TimedOut(engine::timed_out())),
            Err(RecvTimeoutError::Disconnected) => {
                Err(died("ended without an answer (out of memory?)"))
            }
        }
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

thread_local! {
    static WORKER: RefCell<Option<Worker>> = const { RefCell::new(None) };
}

/// Run `code` and read the values of `names`: in this thread's worker process if there is a
/// worker program, else here.
pub(super) fn run(code: Code<'_>, names: &[&str], seed: u32) -> Outcome {
    let Some(program) = PROGRAM.get() else {
        return engine::run(code, names, seed);
    };
    let (script, source) = match code {
        Code::Script(js) => (true, js),
        Code::Module(js) => (false, js),
    };
    let request = Request {
        script,
        source: Cow::Borrowed(source),
        names: names.iter().map(|n| Cow::Borrowed(*n)).collect(),
        seed,
    };
    let Ok(request) = serde_json::to_string(&request) else {
        return Outcome::Stopped("the module cannot be sent to the sandbox".into());
    };
    WORKER.with(|cell| {
        let mut slot = cell.borrow_mut();
        let worker = match slot.as_mut() {
            Some(worker) => worker,
            None => match Worker::start(program) {
                Ok(worker) => slot.insert(worker),
                Err(e) => {
                    return Outcome::Stopped(format!(
                        "the sandbox's worker process cannot start ({}): {e}",
                        program.display()
                    ))
                }
            },
        };
        match worker.ask(&request) {
            Ok(outcome) => outcome,
            Err(outcome) => {
                // Killed (dropping it kills and reaps it); the next evaluation starts a new one.
                *slot = None;
                outcome
            }
        }
    })
}

/// The worker's side: answer one JSON line per request line until the input closes.
pub fn serve() -> std::process::ExitCode {
    let stdin = std::io::stdin();
    let mut stdout = std::io::stdout().lock();
    for line in stdin.lock().lines() {
        let Ok(line) = line else { break };
        let Ok(request) = serde_json::from_str::<Request<'_>>(&line) else {
            return std::process::ExitCode::FAILURE;
        };
        let names: Vec<&str> = request.names.iter().map(|n| n.as_ref()).collect();
        let code = if request.script {
            Code::Script(&request.source)
        } else {
            Code::Module(&request.source)
        };
        let outcome = engine::run(code, &names, request.seed);
        let written = serde_json::to_string(&outcome)
            .map_err(std::io::Error::other)
            .and_then(|answer| writeln!(stdout, "{answer}"))
            .and_then(|()| stdout.flush());
        if written.is_err() {
            break;
        }
    }
    std::process::ExitCode::SUCCESS
}
