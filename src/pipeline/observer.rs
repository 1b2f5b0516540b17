//! What a build tells its caller while it runs: warnings, finished stages and progress, all as data.
//!
//! Takes nothing; gives the [`Observer`] trait a caller implements (the CLI draws progress bars and
//! prints warnings with it; a library user can log, or ignore everything), the [`Progress`] it is
//! told, and the [`Counter`] a stage counts its steps with. The library never draws anything: it
//! says which step is at how many of how many, and the observer decides what to show.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::diagnostic::Diagnostic;

/// Watches a build as it runs. Every method has a default that does nothing.
pub trait Observer: Sync {
    /// A warning, as soon as its stage has run.
    fn diagnostic(&self, _diagnostic: &Diagnostic) {}
    /// A stage finished: `what` says which and how long the build has been running.
    fn stage(&self, _what: &str) {}
    /// Something slow is starting that the user should hear of (installing the render kit).
    fn info(&self, _what: &str) {}
    /// How far a long step has come. Called when the step starts (`done` 0), every so often as it
    /// runs, and once when it ends (`finished`, also when it ended early on an error).
    fn progress(&self, _progress: &Progress) {}
}

/// How far one long step of a build has come.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Progress {
    /// The step: `"checking"`, `"rendering"` or `"writing"`.
    pub step: &'static str,
    /// Work done so far (in the step's own unit).
    pub done: u64,
    /// All the work of the step.
    pub total: u64,
    /// The step is over (the observer can take its bar down).
    pub finished: bool,
}

/// The observer of a build that was given none.
pub(crate) struct Silent;
impl Observer for Silent {}

/// Counts the steps of one long step, from any thread, and tells the observer about every 1/200th
/// of the way (not every step: a build writes millions of lines) and at the end.
pub struct Counter<'o> {
    observer: &'o dyn Observer,
    step: &'static str,
    total: u64,
    every: u64,
    done: AtomicU64,
}

impl<'o> Counter<'o> {
    pub fn start(observer: &'o dyn Observer, step: &'static str, total: u64) -> Self {
        let counter = Counter {
            observer,
            step,
            total,
            every: (total / 200).max(1),
            done: AtomicU64::new(0),
        };
        counter.tell(0, false);
        counter
    }

    /// `n` more steps done.
    pub fn add(&self, n: u64) {
        let before = self.done.fetch_add(n, Ordering::Relaxed);
        let after = before + n;
        if after / self.every != before / self.every || after == self.total {
            self.tell(after, false);
        }
    }

    fn tell(&self, done: u64, finished: bool) {
        self.observer.progress(&Progress {
            step: self.step,
            done,
            total: self.total,
            finished,
        });
    }
}

impl Drop for Counter<'_> {
    fn drop(&mut self) {
        let done = *self.done.get_mut();
        self.tell(done, true);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::Mutex;

    #[derive(Default)]
    struct Recorder(Mutex<Vec<Progress>>);
    impl Observer for Recorder {
        fn progress(&self, progress: &Progress) {
            self.0.lock().unwrap().push(*progress);
        }
    }

    #[test]
    fn a_counter_reports_start_about_every_two_hundredth_and_the_end() {
        let recorder = Recorder::default();
        {
            let counter = Counter::start(&recorder, "writing", 1000);
            for _ in 0..1000 {
                counter.add(1);
            }
        }
        let seen = recorder.0.into_inner().unwrap();
        assert_eq!(seen.len(), 1 + 200 + 1, "start, every 5 steps, finished");
        assert_eq!((seen[0].done, seen[0].finished), (0, false));
        let last = seen.last().unwrap();
        assert_eq!((last.done, last.total, last.finished), (1000, 1000, true));
        assert!(seen.windows(2).all(|w| w[0].done <= w[1].done));
    }

    #[test]
    fn a_step_that_ends_early_still_says_it_finished() {
        let recorder = Recorder::default();
        {
            let counter = Counter::start(&recorder, "checking", 10);
            counter.add(3);
        }
        let seen = recorder.0.into_inner().unwrap();
        let last = seen.last().unwrap();
        assert_eq!((last.done, last.total, last.finished), (3, 10, true));
    }
}
