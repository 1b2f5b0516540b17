//! The render check: does a scene actually render, in Remotion, in a real headless Chromium?
//!
//! Takes scenes (TSX code, the export to render, a format, a frame rate and a length) and
//! [`RenderOptions`]; gives one [`Outcome`] per scene and format: a [`Verdict`] with its message,
//! the frame it failed at, and how many remote image URLs were replaced. The kit (Remotion, React,
//! sucrase, installed once, [`kit`]) is driven by one long-lived Node process that owns one browser
//! ([`driver`]); a scene that outlives its deadline is a `hang`, and the process and its browser
//! are killed and restarted, so nothing a scene does can stop the tool.
//!
//! Used by the gate (`check.render`, `build --render`), by `eval --render` and by the `render`
//! command.

pub mod driver;
pub mod kit;

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
}

impl Verdict {
    pub const ALL: [Verdict; 7] = [
        Verdict::Ok,
        Verdict::Compile,
        Verdict::Module,
        Verdict::Runtime,
        Verdict::Timeout,
        Verdict::Hang,
        Verdict::Blank,
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
        }
    }

    /// It rendered (blank or not).
    pub fn renders(self) -> bool {
        matches!(self, Verdict::Ok | Verdict::Blank)
    }
}

/// Which frames are rendered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Frames {
    /// The first, the middle and the last.
    #[default]
    Sample,
    /// Every frame.
    All,
}

impl Frames {
    /// The frame numbers of a scene `length` frames long.
    pub fn of(self, length: u32) -> Vec<u32> {
        let last = length.max(1) - 1;
        match self {
            Frames::All => (0..=last).collect(),
            Frames::Sample => {
                let mut frames = vec![0, last / 2, last];
                frames.dedup();
                frames
            }
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            Frames::Sample => "sample",
            Frames::All => "all",
        }
    }
}

/// How scenes are rendered.
#[derive(Debug, Clone)]
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
    /// Wall-clock limit of one scene and format, on top of a second per frame: past it, `hang`.
    pub deadline: Duration,
    /// Where PNG frames go (`None`: nowhere).
    pub out: Option<PathBuf>,
}

impl Default for RenderOptions {
    fn default() -> Self {
        RenderOptions {
            kit: kit::KitOptions::default(),
            concurrency: 2,
            frames: Frames::Sample,
            scale: 0.25,
            delay_timeout: Duration::from_secs(10),
            deadline: Duration::from_secs(30),
            out: None,
        }
    }
}

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
    pub format: VideoFormat,
    /// Remote image URLs replaced by the placeholder (the render is offline).
    pub replaced_urls: u32,
    /// PNG files written.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub files: Vec<PathBuf>,
    pub seconds: f64,
}

impl Outcome {
    /// `runtime at frame 15 (portrait): useCurrentFrames is not a function`
    pub fn describe(&self) -> String {
        let frame = self
            .frame
            .map(|f| format!(" at frame {f}"))
            .unwrap_or_default();
        let message = if self.message.is_empty() {
            String::new()
        } else {
            format!(": {}", self.message)
        };
        format!("{}{frame} ({}){message}", self.verdict.name(), self.format)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sampled_frames_are_first_middle_last_without_repeats() {
        assert_eq!(Frames::Sample.of(120), [0, 59, 119]);
        assert_eq!(Frames::Sample.of(2), [0, 1]);
        assert_eq!(Frames::Sample.of(1), [0]);
        assert_eq!(Frames::Sample.of(0), [0]);
        assert_eq!(Frames::All.of(3), [0, 1, 2]);
    }
}
