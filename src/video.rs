//! Video formats and durations: the facts every brief must state.
//!
//! Takes format names from catalogs and prompts and frame counts with a frame rate; gives pixel sizes
//! and the human wording of a duration ("4 seconds (120 frames)").

use std::fmt;

use serde::{Deserialize, Serialize};

/// The three canvas shapes a Remotion template can render.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum VideoFormat {
    /// 16:9, 1920×1080.
    Landscape,
    /// 9:16, 1080×1920.
    Portrait,
    /// 1:1, 1080×1080.
    Square,
}

impl VideoFormat {
    /// All three, in order.
    pub const ALL: [VideoFormat; 3] = [
        VideoFormat::Landscape,
        VideoFormat::Portrait,
        VideoFormat::Square,
    ];

    /// The format's name (as in the catalog and meta).
    pub fn name(self) -> &'static str {
        match self {
            VideoFormat::Landscape => "landscape",
            VideoFormat::Portrait => "portrait",
            VideoFormat::Square => "square",
        }
    }

    /// Width and height in pixels.
    pub fn size(self) -> (u32, u32) {
        match self {
            VideoFormat::Landscape => (1920, 1080),
            VideoFormat::Portrait => (1080, 1920),
            VideoFormat::Square => (1080, 1080),
        }
    }

    /// The format named `name`, if any.
    pub fn parse(name: &str) -> Option<VideoFormat> {
        VideoFormat::ALL
            .into_iter()
            .find(|f| f.name().eq_ignore_ascii_case(name))
    }
}

impl fmt::Display for VideoFormat {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// Where the duration a brief states came from (meta `durationSource`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum DurationFrom {
    /// The duration the template's code exports.
    Code,
    /// The catalog entry's `duration`.
    Catalog,
    /// `video.default_duration`.
    Default,
}

impl DurationFrom {
    /// The stable name (as in meta `durationSource`).
    pub fn name(self) -> &'static str {
        match self {
            DurationFrom::Code => "code",
            DurationFrom::Catalog => "catalog",
            DurationFrom::Default => "default",
        }
    }
}

/// "4 seconds (120 frames)": seconds rounded to one decimal, a whole number printed without ".0".
pub fn describe_duration(frames: u32, fps: u32) -> String {
    let tenths = (u64::from(frames) * 10 + u64::from(fps) / 2) / u64::from(fps.max(1));
    let seconds = if tenths % 10 == 0 {
        format!("{}", tenths / 10)
    } else {
        format!("{}.{}", tenths / 10, tenths % 10)
    };
    let unit = if tenths == 10 { "second" } else { "seconds" };
    let frame_unit = if frames == 1 { "frame" } else { "frames" };
    format!("{seconds} {unit} ({frames} {frame_unit})")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_read_as_the_spec_says() {
        assert_eq!(describe_duration(120, 30), "4 seconds (120 frames)");
        assert_eq!(describe_duration(135, 30), "4.5 seconds (135 frames)");
        assert_eq!(describe_duration(100, 30), "3.3 seconds (100 frames)");
        assert_eq!(describe_duration(30, 30), "1 second (30 frames)");
        assert_eq!(describe_duration(1, 30), "0 seconds (1 frame)");
        assert_eq!(describe_duration(125, 25), "5 seconds (125 frames)");
    }

    #[test]
    fn formats_parse_case_insensitively_and_know_their_size() {
        assert_eq!(VideoFormat::parse("Portrait"), Some(VideoFormat::Portrait));
        assert_eq!(VideoFormat::parse("vertical"), None);
        assert_eq!(VideoFormat::Square.size(), (1080, 1080));
    }
}
