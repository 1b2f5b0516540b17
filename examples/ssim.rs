//! SSIM of two greyscale images as `eval --render` computes it, for `scripts/check-ssim.sh`, which
//! compares it with scikit-image's `structural_similarity`.
//!
//!   cargo run --release --example ssim -- A.pgm B.pgm     prints the SSIM (binary PGM, 8-bit)

use std::process::ExitCode;

use template_sft::internals::eval::video::{ssim, Grey};

/// A binary 8-bit PGM (`P5`): the header's four fields, then width × height bytes.
fn read_pgm(path: &str) -> Result<Grey, String> {
    let bytes = std::fs::read(path).map_err(|e| format!("{path}: {e}"))?;
    let mut fields = Vec::new();
    let mut i = 0;
    while fields.len() < 4 {
        while i < bytes.len() && bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        let start = i;
        while i < bytes.len() && !bytes[i].is_ascii_whitespace() {
            i += 1;
        }
        if start == i {
            return Err(format!("{path}: a short PGM header"));
        }
        fields.push(String::from_utf8_lossy(&bytes[start..i]).into_owned());
    }
    let number = |k: usize| {
        fields[k]
            .parse::<usize>()
            .map_err(|_| format!("{path}: a bad PGM header"))
    };
    let (width, height, max) = (number(1)?, number(2)?, number(3)?);
    if fields[0] != "P5" || max != 255 {
        return Err(format!("{path}: not an 8-bit binary PGM"));
    }
    let pixels = bytes
        .get(i + 1..i + 1 + width * height)
        .ok_or(format!("{path}: short"))?;
    Ok(Grey {
        width,
        height,
        pixels: pixels.iter().map(|&p| f64::from(p)).collect(),
    })
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [a, b] = args.as_slice() else {
        eprintln!("usage: ssim A.pgm B.pgm");
        return ExitCode::from(2);
    };
    match (read_pgm(a), read_pgm(b)) {
        (Ok(a), Ok(b)) => match ssim(&a, &b) {
            Some(value) => {
                println!("{value:.12}");
                ExitCode::SUCCESS
            }
            None => {
                eprintln!("the images differ in size or are smaller than 7×7");
                ExitCode::from(1)
            }
        },
        (Err(e), _) | (_, Err(e)) => {
            eprintln!("{e}");
            ExitCode::from(2)
        }
    }
}
