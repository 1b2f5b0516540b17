//! The render check: does a scene actually render, in Remotion, in a real headless Chromium?
//!
//! Takes scenes (TSX code, the export to render, a format, a frame rate, a length and the globals
//! the code reads, [`globals`]) and [`RenderOptions`]; gives one [`Outcome`] per scene and format: a
//! [`Verdict`] with its message, the frame it failed at, the place in the code, and how many remote
//! image URLs were replaced. The kit (Remotion, React, sucrase, and the project's `[render]`
//! packages and runtime, [`kit`], [`packages`]) is driven by one long-lived Node process, in a
//! network namespace of its own where it can make one ([`isolation`]), that gives each scene a
//! browser of its own ([`driver`]); a scene that makes no progress within its deadline is a `hang`,
//! and the process and its browsers are killed and restarted, so nothing a scene does can stop the
//! tool.
//!
//! Used by the gate (`check.render`, `build --render`), by `eval --render` and by the `render`
//! command.

pub mod driver;
pub mod globals;
pub mod isolation;
pub mod kit;
pub mod packages;
pub mod thumbnail;

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::video::VideoFormat;

/// What rendering a scene in one format found.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Verdict {
    /// Every sampled frame rendered, and not all of them are one colour.
    Ok,
    /// The code does not transpile (sucrase, TypeScript and JSX).
    Compile,
    /// The module throws while loading, or has no component to render.
    Module,
    /// A frame threw while rendering (the frame is given).
    Runtime,
    /// A `delayRender()` was never cleared within Remotion's timeout.
    Timeout,
    /// The scene outlived its deadline (an endless loop): the renderer was killed.
    Hang,
    /// Every sampled frame is one colour: the scene draws nothing.
    Blank,
    /// The renderer's processes (Node, the browser) grew past their memory limit while rendering
    /// the scene alone: the renderer was killed.
    Memory,
}

impl Verdict {
    pub const ALL: [Verdict; 8] = [
        Verdict::Ok,
        Verdict::Compile,
        Verdict::Module,
        Verdict::Runtime,
        Verdict::Timeout,
        Verdict::Hang,
        Verdict::Blank,
        Verdict::Memory,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Verdict::Ok => "ok",
            Verdict::Compile => "compile",
            Verdict::Module => "module",
            Verdict::Runtime => "runtime",
            Verdict::Timeout => "timeout",
            Verdict::Hang => "hang",
            Verdict::Blank => "blank",
            Verdict::Memory => "memory",
        }
    }

    /// It rendered (blank or not).
    pub fn renders(self) -> bool {
        matches!(self, Verdict::Ok | Verdict::Blank)
    }
}

/// Which frames are rendered: `N` evenly spaced (first and last included), or every one.
///
/// Written `frames = 5` or `frames = "all"` (`"sample"`, an older spelling, is the default count).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Frames {
    /// This many frames, evenly spaced over the scene (1: the first only).
    Count(u32),
    /// Every frame, up to [`MAX_ALL_FRAMES`] (a longer scene: every n-th frame, evenly).
    All,
}

/// Frames sampled by default: 0, ¼, ½, ¾ and the last (an error at a late frame is met; about
/// 4 s a scene and format on two cores, README "What rendering costs").
pub const DEFAULT_SAMPLED: u32 = 5;
/// The most frames a sample may ask for.
pub const MAX_SAMPLED: u32 = 60;
/// The most frames `all` renders of one scene and format, whatever length the code declares (two
/// minutes at 30 fps): a longer scene is rendered every n-th frame.
pub const MAX_ALL_FRAMES: u32 = 3_600;

impl Default for Frames {
    fn default() -> Self {
        Frames::Count(DEFAULT_SAMPLED)
    }
}

/// The frames to render of one scene: a short list, or every n-th frame in one pass.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FramePlan {
    /// These frames, each rendered on its own.
    List(Vec<u32>),
    /// Frames 0, `every`, 2·`every`, … up to the last: `count` frames in one page.
    Every { every: u32, count: u32 },
}

impl FramePlan {
    /// How many frames are rendered.
    pub fn len(&self) -> u32 {
        match self {
            FramePlan::List(frames) => frames.len() as u32,
            FramePlan::Every { count, .. } => *count,
        }
    }

    /// Whether no frame is rendered (never: a scene has at least frame 0).
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

impl Frames {
    /// The frames of a scene `length` frames long. Bounded whatever `length` is: at most
    /// [`MAX_SAMPLED`] or [`MAX_ALL_FRAMES`] frames, and no list of `length` entries is made.
    pub fn plan(self, length: u32) -> FramePlan {
        let last = length.max(1) - 1;
        match self {
            Frames::All => {
                let length = u64::from(last) + 1;
                let every = length.div_ceil(u64::from(MAX_ALL_FRAMES)).max(1);
                let count = length.div_ceil(every);
                FramePlan::Every {
                    every: every as u32,
                    count: count as u32,
                }
            }
            Frames::Count(n) => {
                let n = n.clamp(1, MAX_SAMPLED);
                let mut frames: Vec<u32> = if n == 1 {
                    vec![0]
                } else {
                    (0..n)
                        .map(|i| (u64::from(last) * u64::from(i) / u64::from(n - 1)) as u32)
                        .collect()
                };
                frames.dedup();
                FramePlan::List(frames)
            }
        }
    }

    /// `5` or `all`, as stats and messages say it.
    pub fn name(self) -> String {
        match self {
            Frames::Count(n) => n.to_string(),
            Frames::All => "all".to_string(),
        }
    }

    /// `N` (1 to [`MAX_SAMPLED`]) or `all`.
    pub fn parse(text: &str) -> Option<Frames> {
        match text {
            "all" => Some(Frames::All),
            "sample" => Some(Frames::default()),
            n => n
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_SAMPLED).contains(n))
                .map(Frames::Count),
        }
    }
}

impl Serialize for Frames {
    fn serialize<S: serde::Serializer>(&self, s: S) -> std::result::Result<S::Ok, S::Error> {
        match self {
            Frames::Count(n) => s.serialize_u32(*n),
            Frames::All => s.serialize_str("all"),
        }
    }
}

impl<'de> Deserialize<'de> for Frames {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> std::result::Result<Self, D::Error> {
        #[derive(Deserialize)]
        #[serde(untagged)]
        enum Raw {
            Count(u64),
            Name(String),
        }
        let wrong = || {
            serde::de::Error::custom(format!(
                "frames must be a count from 1 to {MAX_SAMPLED} or \"all\""
            ))
        };
        match Raw::deserialize(d)? {
            Raw::Count(n) => u32::try_from(n)
                .ok()
                .and_then(|n| Frames::parse(&n.to_string()))
                .ok_or_else(wrong),
            Raw::Name(name) => Frames::parse(&name).ok_or_else(wrong),
        }
    }
}

/// How scenes are rendered.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct RenderOptions {
    /// Which render kit and which programs to use.
    pub kit: kit::KitOptions,
    /// Scenes rendered at once (one browser tab each).
    pub concurrency: usize,
    /// The frames rendered of each scene.
    pub frames: Frames,
    /// Output scale: 0.25 renders a 1080×1920 frame as 270×480 (a check needs no more).
    pub scale: f64,
    /// Remotion's `delayRender` timeout (at least 7 s, Remotion's minimum).
    pub delay_timeout: Duration,
    /// How long a scene may go without progress (loading, then each frame) before it is a `hang`.
    /// A scene is timed by its progress, not by its length, so a slow machine does not make a
    /// correct scene hang; `JOB_CAP` (15 minutes) bounds the whole render whatever the length.
    pub deadline: Duration,
    /// Where PNG frames go (`None`: nowhere).
    pub out: Option<PathBuf>,
    /// The memory one scene in flight may take, in MiB: the renderer's whole process tree (Node,
    /// every browser process) may hold `RENDERER_MEMORY_MIB` (512) plus this much per scene rendering
    /// at once, measured as proportional set size (shared pages counted once).
    pub memory_mib: u64,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            kit: kit::KitOptions::default(),
            concurrency: 2,
            frames: Frames::default(),
            scale: 0.25,
            delay_timeout: Duration::from_secs(10),
            deadline: Duration::from_secs(30),
            out: None,
            memory_mib: DEFAULT_MEMORY_MIB,
        }
    }
}

/// The longest one scene in one format may render, however steady its progress; also the longest
/// deadline that may be asked for.
pub const JOB_CAP: Duration = Duration::from_secs(15 * 60);
/// Memory per scene in flight by default (MiB): a scene that draws a few layers takes about 300.
pub const DEFAULT_MEMORY_MIB: u64 = 2048;
/// Memory of the renderer apart from its scenes (Node, the bundle's server), in MiB.
pub const RENDERER_MEMORY_MIB: u64 = 512;

/// One scene in one format.
#[derive(Debug, Clone)]
pub struct Job {
    /// A name for messages and frame files (a template id, a file name).
    pub label: String,
    pub code: String,
    /// The export to render (`default`, or a name).
    pub export: String,
    pub format: VideoFormat,
    pub fps: u32,
    /// The scene's length in frames.
    pub length: u32,
    /// The globals the code reads (found before rendering, [`globals::read_by`]): a failure names
    /// those the page does not have.
    pub globals: Vec<globals::Global>,
}

/// What rendering one job found.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Outcome {
    pub verdict: Verdict,
    /// Why (empty when `ok`): the error's first line, with its line and column for `compile`.
    pub message: String,
    /// The frame a `runtime` or `timeout` verdict was met at.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub frame: Option<u32>,
    /// Where in the scene's code the error was thrown (1-based line and column), when the error
    /// came from the scene's own code.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub at: Option<(u32, u32)>,
    pub format: VideoFormat,
    /// Remote image URLs replaced by the placeholder (the render is offline).
    pub replaced_urls: u32,
    /// PNG files written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<PathBuf>,
    pub seconds: f64,
}

impl Outcome {
    /// `runtime at frame 15 (portrait), line 4:9: useCurrentFrames is not a function`
    pub fn describe(&self) -> String {
        self.describe_in(&[self.format])
    }

    /// Several formats' outcomes in a line: the same failure in several formats is said once
    /// (`runtime at frame 0 (square, landscape): …`), different ones one after the other.
    pub fn describe_all(outcomes: &[Outcome]) -> String {
        let mut groups: Vec<(&Outcome, Vec<VideoFormat>)> = Vec::new();
        for outcome in outcomes {
            let same = |o: &&Outcome| {
                (o.verdict, o.frame, o.at, &o.message, o.replaced_urls)
                    == (
                        outcome.verdict,
                        outcome.frame,
                        outcome.at,
                        &outcome.message,
                        outcome.replaced_urls,
                    )
            };
            match groups.iter_mut().find(|(o, _)| same(o)) {
                Some((_, formats)) => formats.push(outcome.format),
                None => groups.push((outcome, vec![outcome.format])),
            }
        }
        groups
            .iter()
            .map(|(o, formats)| o.describe_in(formats))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn describe_in(&self, formats: &[VideoFormat]) -> String {
        let frame = self
            .frame
            .map(|f| format!(" at frame {f}"))
            .unwrap_or_default();
        let at = self
            .at
            .map(|(line, column)| format!(", line {line}:{column}"))
            .unwrap_or_default();
        let message = if self.message.is_empty() {
            String::new()
        } else {
            format!(": {}", self.message)
        };
        // A photo replaced by the placeholder may be why a scene looks wrong: say so on a failure.
        let replaced = match (self.verdict, self.replaced_urls) {
            (Verdict::Ok, _) | (_, 0) => String::new(),
            (_, 1) => " (1 remote image URL was replaced by a placeholder)".to_string(),
            (_, n) => format!(" ({n} remote image URLs were replaced by a placeholder)"),
        };
        let formats: Vec<String> = formats.iter().map(ToString::to_string).collect();
        format!(
            "{}{frame} ({}){at}{message}{replaced}",
            self.verdict.name(),
            formats.join(", ")
        )
    }

    /// A verdict that may come from the machine rather than the code (`hang`, `timeout`,
    /// `memory`): never kept in a cache.
    pub fn depends_on_load(&self) -> bool {
        matches!(
            self.verdict,
            Verdict::Hang | Verdict::Timeout | Verdict::Memory
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn list(plan: FramePlan) -> Vec<u32> {
        match plan {
            FramePlan::List(frames) => frames,
            other => panic!("expected a list, got {other:?}"),
        }
    }

    #[test]
    fn sampled_frames_are_evenly_spaced_without_repeats() {
        assert_eq!(list(Frames::default().plan(121)), [0, 30, 60, 90, 120]);
        assert_eq!(list(Frames::Count(3).plan(120)), [0, 59, 119]);
        assert_eq!(list(Frames::default().plan(2)), [0, 1]);
        assert_eq!(list(Frames::default().plan(1)), [0]);
        assert_eq!(list(Frames::default().plan(0)), [0]);
        assert_eq!(list(Frames::Count(1).plan(300)), [0]);
        // No sample is larger than MAX_SAMPLED, whatever is asked.
        assert_eq!(Frames::Count(10_000).plan(u32::MAX).len(), MAX_SAMPLED);
    }

    #[test]
    fn all_frames_are_capped_whatever_length_the_code_declares() {
        assert_eq!(
            Frames::All.plan(300),
            FramePlan::Every {
                every: 1,
                count: 300
            }
        );
        let FramePlan::Every { every, count } = Frames::All.plan(u32::MAX) else {
            panic!("all is one pass")
        };
        assert!(count <= MAX_ALL_FRAMES, "{count}");
        assert!(u64::from(every) * u64::from(count) >= u64::from(u32::MAX) - 1);
    }

    #[test]
    fn frames_read_as_a_count_or_all() {
        assert_eq!(Frames::parse("8"), Some(Frames::Count(8)));
        assert_eq!(Frames::parse("all"), Some(Frames::All));
        assert_eq!(Frames::parse("sample"), Some(Frames::default()));
        assert_eq!(Frames::parse("0"), None);
        assert_eq!(Frames::parse("61"), None);
        let json: Frames = serde_json::from_str("7").unwrap();
        assert_eq!(json, Frames::Count(7));
        assert_eq!(serde_json::to_string(&Frames::All).unwrap(), "\"all\"");
    }
}
