//! How alike two renders look and move: `eval --render`'s appearance and motion scores.
//!
//! Takes the frames of the gold's render and of an output's, rendered at the same frames and size
//! (PNG files the renderer wrote); gives two scores from 0 to 1, 1 for identical frames:
//!
//! - **appearance**: the mean over frames of the average of SSIM (on luminance, downscaled so the
//!   long side is at most [`SIDE`] pixels; negative SSIM counts as 0) and the intersection of the
//!   two frames' colour histograms (8 levels per channel, 512 bins): the shapes and their layout,
//!   and the palette;
//! - **motion**: the mean over consecutive sampled frames of how alike the two renders' change is:
//!   the weighted Jaccard similarity of their change maps (|luminance of frame t+1 − frame t| per
//!   pixel, downscaled), Σ min / Σ max. A scene that holds its first frame while the gold moves
//!   scores 0 there, one that moves at another time or in another place scores low, a recoloured
//!   scene that moves the same way scores high; two renders that both hold still move alike (1).
//!   A pixel whose luminance changes by at most [`NOISE`] levels has not moved: two renders of one
//!   scene are not always bit-identical (Chromium can draw a layer from an earlier frame's raster,
//!   one level lighter over a whole window, depending on timing), and without the floor a gold
//!   that barely moves between two sampled frames scored 0 against its own second render there.
//!   (SSIM of the difference images was tried first: most pixels of a difference image are still,
//!   so it stayed near 1 for a held first frame too.)
//!
//! SSIM is scikit-image's `structural_similarity` with its defaults (a 7×7 uniform window, sample
//! covariance, K1 = 0.01, K2 = 0.03, the mean over the windows that fit inside the image) and
//! `data_range` 255; `scripts/check-ssim.sh` checks that they agree to 1e-6. Anchored on
//! Animation2Code (2026), which scores generated animation code by rendering it against the ground
//! truth on appearance and temporal similarity.

use std::path::Path;

use crate::error::{Error, Result};

/// The long side of the luminance a frame is compared at.
pub const SIDE: usize = 128;
/// SSIM's window (scikit-image's default `win_size`).
const WINDOW: usize = 7;
/// Colour levels per channel of the histogram.
const LEVELS: usize = 8;
/// The largest change of a pixel's luminance (of 255) that is not motion: two renders of one
/// scene differ by 1 level here and there (measured on the starter's typewriter-terminal), and
/// a person sees no change under about 2.
pub const NOISE: f64 = 2.0;

/// A frame as it is compared: luminance (0–255) at most [`SIDE`] on its long side, and its colour
/// histogram (fractions of the full-size frame's pixels, summing to 1).
#[derive(Debug, Clone)]
pub struct Frame {
    /// Width of the downscaled luminance.
    pub width: usize,
    /// Height of the downscaled luminance.
    pub height: usize,
    /// Luminance (0.299 R + 0.587 G + 0.114 B), row by row.
    pub luma: Vec<f64>,
    /// The colour histogram: 8 levels per channel, red major.
    pub histogram: Vec<f64>,
}

/// A greyscale image (values 0–255) for SSIM.
#[derive(Debug, Clone, PartialEq)]
pub struct Grey {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// Values 0–255, row by row.
    pub pixels: Vec<f64>,
}

use crate::render::thumbnail::MAX_PNG_BYTES;

impl Frame {
    /// Read a PNG the renderer wrote.
    pub fn read(path: &Path) -> Result<Frame> {
        let bytes = crate::input::read_capped(path, MAX_PNG_BYTES)?;
        Frame::decode(&bytes).map_err(|why| {
            Error::read(
                path,
                std::io::Error::other(format!("not a PNG frame: {why}")),
            )
        })
    }

    /// Decode PNG bytes (8-bit RGB or RGBA, as Chromium writes them).
    pub fn decode(bytes: &[u8]) -> std::result::Result<Frame, String> {
        let mut decoder = png::Decoder::new(std::io::Cursor::new(bytes));
        decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
        let mut reader = decoder.read_info().map_err(|e| e.to_string())?;
        let size = reader
            .output_buffer_size()
            .ok_or("the frame is too large")?;
        let mut buf = vec![0; size];
        let info = reader.next_frame(&mut buf).map_err(|e| e.to_string())?;
        let channels = match info.color_type {
            png::ColorType::Rgb => 3,
            png::ColorType::Rgba => 4,
            png::ColorType::Grayscale => 1,
            png::ColorType::GrayscaleAlpha => 2,
            png::ColorType::Indexed => return Err("an indexed PNG was not expanded".into()),
        };
        let (w, h) = (info.width as usize, info.height as usize);
        if w == 0 || h == 0 {
            return Err("an empty frame".into());
        }
        let rgb = |i: usize| -> [u8; 3] {
            let p = &buf[i * channels..];
            match channels {
                1 | 2 => [p[0], p[0], p[0]],
                _ => [p[0], p[1], p[2]],
            }
        };
        let mut histogram = vec![0.0; LEVELS * LEVELS * LEVELS];
        let mut full = Vec::with_capacity(w * h);
        for i in 0..w * h {
            let [r, g, b] = rgb(i);
            let bin = |v: u8| usize::from(v) * LEVELS / 256;
            histogram[(bin(r) * LEVELS + bin(g)) * LEVELS + bin(b)] += 1.0;
            full.push(0.299 * f64::from(r) + 0.587 * f64::from(g) + 0.114 * f64::from(b));
        }
        for v in &mut histogram {
            *v /= (w * h) as f64;
        }
        let luma = downscale(&full, w, h);
        Ok(Frame {
            width: luma.width,
            height: luma.height,
            luma: luma.pixels,
            histogram,
        })
    }

    fn grey(&self) -> Grey {
        Grey {
            width: self.width,
            height: self.height,
            pixels: self.luma.clone(),
        }
    }
}

/// `pixels` (w × h) averaged over square blocks so that the long side is at most [`SIDE`].
fn downscale(pixels: &[f64], w: usize, h: usize) -> Grey {
    let factor = w.max(h).div_ceil(SIDE).max(1);
    let (dw, dh) = (w / factor, h / factor);
    if factor == 1 || dw == 0 || dh == 0 {
        return Grey {
            width: w,
            height: h,
            pixels: pixels.to_vec(),
        };
    }
    let mut out = vec![0.0; dw * dh];
    for y in 0..dh {
        for x in 0..dw {
            let mut sum = 0.0;
            for yy in y * factor..(y + 1) * factor {
                let row = &pixels[yy * w + x * factor..yy * w + (x + 1) * factor];
                sum += row.iter().sum::<f64>();
            }
            out[y * dw + x] = sum / (factor * factor) as f64;
        }
    }
    Grey {
        width: dw,
        height: dh,
        pixels: out,
    }
}

/// Mean SSIM of two greyscale images of one size (scikit-image's `structural_similarity` with its
/// defaults and `data_range=255`); `None` when they differ in size or are smaller than the window.
pub fn ssim(a: &Grey, b: &Grey) -> Option<f64> {
    if a.width != b.width || a.height != b.height || a.width < WINDOW || a.height < WINDOW {
        return None;
    }
    let (w, h) = (a.width, a.height);
    let n = (WINDOW * WINDOW) as f64;
    // Sample covariance, as scikit-image's default.
    let cov_norm = n / (n - 1.0);
    let (c1, c2) = ((0.01f64 * 255.0).powi(2), (0.03f64 * 255.0).powi(2));
    let half = WINDOW / 2;
    let mut total = 0.0;
    let mut count = 0usize;
    // Every window that fits: scikit-image filters the whole image and then crops (win_size-1)/2
    // from each side, which keeps exactly these.
    for cy in half..h - half {
        for cx in half..w - half {
            let (mut sa, mut sb, mut saa, mut sbb, mut sab) = (0.0, 0.0, 0.0, 0.0, 0.0);
            for y in cy - half..=cy + half {
                for x in cx - half..=cx + half {
                    let (p, q) = (a.pixels[y * w + x], b.pixels[y * w + x]);
                    sa += p;
                    sb += q;
                    saa += p * p;
                    sbb += q * q;
                    sab += p * q;
                }
            }
            let (ua, ub) = (sa / n, sb / n);
            let va = cov_norm * (saa / n - ua * ua);
            let vb = cov_norm * (sbb / n - ub * ub);
            let vab = cov_norm * (sab / n - ua * ub);
            let s = ((2.0 * ua * ub + c1) * (2.0 * vab + c2))
                / ((ua * ua + ub * ub + c1) * (va + vb + c2));
            total += s;
            count += 1;
        }
    }
    Some(total / count as f64)
}

/// Histogram intersection: the share of two colour distributions that coincides (0–1).
fn intersection(a: &[f64], b: &[f64]) -> f64 {
    a.iter()
        .zip(b)
        .map(|(p, q)| p.min(*q))
        .sum::<f64>()
        .min(1.0)
}

/// How alike two changes are: the weighted Jaccard similarity of the change maps of the gold
/// (`g0` → `g1`) and of the output (`o0` → `o1`); 1 when neither changes.
fn change_alike(g0: &Frame, g1: &Frame, o0: &Frame, o1: &Frame) -> f64 {
    let (mut low, mut high) = (0.0, 0.0);
    for i in 0..g0.luma.len().min(o0.luma.len()) {
        let moved = |d: f64| if d.abs() <= NOISE { 0.0 } else { d.abs() };
        let g = moved(g1.luma[i] - g0.luma[i]);
        let o = moved(o1.luma[i] - o0.luma[i]);
        low += g.min(o);
        high += g.max(o);
    }
    if high < 1e-9 {
        1.0
    } else {
        low / high
    }
}

/// How alike two renders look and move, or `None` when the frames cannot be compared (not the
/// same count or size).
pub fn compare(gold: &[Frame], output: &[Frame]) -> Option<(f64, f64)> {
    if gold.is_empty() || gold.len() != output.len() {
        return None;
    }
    let mut appearance = 0.0;
    for (g, o) in gold.iter().zip(output) {
        let structure = ssim(&g.grey(), &o.grey())?.max(0.0);
        appearance += (structure + intersection(&g.histogram, &o.histogram)) / 2.0;
    }
    appearance /= gold.len() as f64;
    let motion = if gold.len() < 2 {
        1.0
    } else {
        let mut sum = 0.0;
        for i in 1..gold.len() {
            let (g, o) = (&gold[i], &output[i]);
            if (g.width, g.height) != (o.width, o.height) {
                return None;
            }
            sum += change_alike(&gold[i - 1], g, &output[i - 1], o);
        }
        sum / (gold.len() - 1) as f64
    };
    Some((appearance.clamp(0.0, 1.0), motion.clamp(0.0, 1.0)))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn frame(w: usize, h: usize, f: impl Fn(usize, usize) -> f64) -> Frame {
        let luma: Vec<f64> = (0..w * h).map(|i| f(i % w, i / w)).collect();
        let mut histogram = vec![0.0; 512];
        for v in &luma {
            let bin = (*v as usize).min(255) * LEVELS / 256;
            histogram[(bin * LEVELS + bin) * LEVELS + bin] += 1.0 / (w * h) as f64;
        }
        Frame {
            width: w,
            height: h,
            luma,
            histogram,
        }
    }

    #[test]
    fn identical_renders_score_one_on_both() {
        let frames: Vec<Frame> = (0..4)
            .map(|t| frame(40, 30, |x, y| ((x * 7 + y * 3 + t * 11) % 256) as f64))
            .collect();
        let (appearance, motion) = compare(&frames, &frames).unwrap();
        assert!((appearance - 1.0).abs() < 1e-12, "{appearance}");
        assert!((motion - 1.0).abs() < 1e-12, "{motion}");
    }

    #[test]
    fn a_render_one_level_off_in_a_still_moment_still_moves_like_its_gold() {
        // Two renders of one scene: the gold's last frame is one level lighter over a whole
        // window (what Chromium did to the starter's typewriter between two runs).
        let base = |t: usize| {
            frame(
                64,
                32,
                move |x, _| if x < 8 * (t + 1) { 200.0 } else { 20.0 },
            )
        };
        let gold: Vec<Frame> = (0..4)
            .map(|t| {
                let mut f = base(t.min(2));
                if t == 3 {
                    f.luma.iter_mut().for_each(|v| *v += 1.0);
                }
                f
            })
            .collect();
        let again: Vec<Frame> = (0..4).map(|t| base(t.min(2))).collect();
        let (_, motion) = compare(&gold, &again).unwrap();
        assert!((motion - 1.0).abs() < 1e-12, "{motion}");
        // A change of three levels is motion: a held output scores 0 there.
        let mut moved = again.clone();
        moved[3].luma.iter_mut().for_each(|v| *v += 3.0);
        let (_, motion) = compare(&moved, &again).unwrap();
        assert!((motion - 2.0 / 3.0).abs() < 1e-12, "{motion}");
    }

    #[test]
    fn a_held_first_frame_moves_less_and_a_box_moved_elsewhere_looks_less_alike() {
        // A white box moving right on black.
        let at = |offset: usize| {
            frame(64, 32, move |x, y| {
                if (offset..offset + 12).contains(&x) && (10..22).contains(&y) {
                    255.0
                } else {
                    0.0
                }
            })
        };
        let gold: Vec<Frame> = (0..4).map(|t| at(4 + t * 12)).collect();
        let held: Vec<Frame> = (0..4).map(|_| at(4)).collect();
        let (_, motion) = compare(&gold, &held).unwrap();
        assert!(motion < 0.8, "{motion}");
        let elsewhere: Vec<Frame> = (0..4).map(|t| at(40 - t * 12)).collect();
        let (appearance, _) = compare(&gold, &elsewhere).unwrap();
        assert!(appearance < 0.9, "{appearance}");
    }

    #[test]
    fn a_png_decodes_to_its_luminance_and_histogram() {
        let mut bytes = Vec::new();
        {
            let mut encoder = png::Encoder::new(&mut bytes, 2, 1);
            encoder.set_color(png::ColorType::Rgba);
            encoder.set_depth(png::BitDepth::Eight);
            let mut writer = encoder.write_header().unwrap();
            writer
                .write_image_data(&[255, 0, 0, 255, 0, 0, 255, 255])
                .unwrap();
        }
        let f = Frame::decode(&bytes).unwrap();
        assert_eq!((f.width, f.height), (2, 1));
        assert!((f.luma[0] - 0.299 * 255.0).abs() < 1e-9);
        assert!((f.luma[1] - 0.114 * 255.0).abs() < 1e-9);
        assert!((f.histogram.iter().sum::<f64>() - 1.0).abs() < 1e-12);
        assert!(Frame::decode(b"not a png").is_err());
    }
}
