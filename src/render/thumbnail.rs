//! Thumbnails of rendered frames: what a page or a version shows of a render.
//!
//! Takes a PNG the renderer wrote; gives a small PNG of it (colours kept, box-averaged down to a
//! height), its bytes or as a `data:` URL for a self-contained HTML page. Used by the version's kept
//! frames (`[render] keep_frames`), `report --html`'s contact sheet and `eval --html`'s strips.

use std::path::Path;

/// The longest PNG read (a frame at scale 1 of 1920×1080 is far under it).
pub const MAX_PNG_BYTES: u64 = 64 << 20;

/// A small PNG of a frame (at most `height` pixels high, colours kept), as a `data:` URL for a page.
pub fn thumbnail(path: &Path, height: usize) -> Option<String> {
    thumbnail_png(path, height).map(|png| data_url(&png))
}

/// A PNG's bytes as a `data:` URL.
pub fn data_url(png: &[u8]) -> String {
    format!("data:image/png;base64,{}", base64(png))
}

/// A small PNG of a frame (at most `height` pixels high, colours kept): its bytes.
pub fn thumbnail_png(path: &Path, height: usize) -> Option<Vec<u8>> {
    let bytes = crate::input::read_capped(path, MAX_PNG_BYTES).ok()?;
    let mut decoder = png::Decoder::new(std::io::Cursor::new(&bytes[..]));
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().ok()?;
    let mut buf = vec![0; reader.output_buffer_size()?];
    let info = reader.next_frame(&mut buf).ok()?;
    let channels = match info.color_type {
        png::ColorType::Rgb => 3,
        png::ColorType::Rgba => 4,
        _ => return None,
    };
    let (w, h) = (info.width as usize, info.height as usize);
    let factor = h.div_ceil(height.max(1)).max(1);
    let (tw, th) = ((w / factor).max(1), (h / factor).max(1));
    let mut out = Vec::with_capacity(tw * th * 3);
    for y in 0..th {
        for x in 0..tw {
            let mut sum = [0u32; 3];
            for yy in y * factor..((y + 1) * factor).min(h) {
                for xx in x * factor..((x + 1) * factor).min(w) {
                    let p = (yy * w + xx) * channels;
                    for c in 0..3 {
                        sum[c] += u32::from(buf[p + c]);
                    }
                }
            }
            let n = (factor * factor) as u32;
            out.extend(sum.map(|s| (s / n) as u8));
        }
    }
    let mut png_bytes = Vec::new();
    {
        let mut encoder = png::Encoder::new(&mut png_bytes, tw as u32, th as u32);
        encoder.set_color(png::ColorType::Rgb);
        encoder.set_depth(png::BitDepth::Eight);
        let mut writer = encoder.write_header().ok()?;
        writer.write_image_data(&out).ok()?;
    }
    Some(png_bytes)
}

/// Standard base64 with padding.
fn base64(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut out = String::with_capacity(bytes.len().div_ceil(3) * 4);
    for chunk in bytes.chunks(3) {
        let b = [
            chunk[0],
            *chunk.get(1).unwrap_or(&0),
            *chunk.get(2).unwrap_or(&0),
        ];
        let n = (u32::from(b[0]) << 16) | (u32::from(b[1]) << 8) | u32::from(b[2]);
        for i in 0..4 {
            if i <= chunk.len() {
                out.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                out.push('=');
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn base64_matches_the_rfc_vectors() {
        for (plain, encoded) in [
            ("", ""),
            ("f", "Zg=="),
            ("fo", "Zm8="),
            ("foo", "Zm9v"),
            ("foob", "Zm9vYg=="),
            ("fooba", "Zm9vYmE="),
            ("foobar", "Zm9vYmFy"),
        ] {
            assert_eq!(base64(plain.as_bytes()), encoded);
        }
    }
}
