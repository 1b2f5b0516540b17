//! `template-sft render FILE.tsx… [-c CONFIG] [--format F]… [--frames N|all] [--out DIR]`: render
//! scenes with the render kit and print each one's verdict per format: the tool to reach for when a
//! scene misbehaves. With `-c`, the project's `[render]` packages and runtime are in the page, as in
//! `build --render`. `--prepare-kit DIR` installs a kit into DIR for a machine that must render
//! offline. Exits 1 when a scene does not render cleanly, 2 or 3 on an input or render error.

use std::io::Write;
use std::path::PathBuf;
use std::time::Duration;

use crate::code::duration::{CodeDuration, DurationExport};
use crate::code::gate::every_rule;
use crate::config::{GateConfig, DEFAULT_DURATION_EXPORT};
use crate::console::Console;
use crate::error::{wording, Error, Result};
use crate::render::{self, kit, Frames, Job, RenderOptions, Verdict};
use crate::text::Printable;
use crate::video::VideoFormat;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The scenes: TSX files.
    #[arg(required_unless_present = "prepare_kit")]
    pub files: Vec<PathBuf>,
    /// A format to render in (repeat it); default: every format.
    #[arg(long, value_parser = parse_format, value_name = "FORMAT")]
    pub format: Vec<VideoFormat>,
    /// The project's config: its [render] packages and runtime (the host app's globals) are in the
    /// page, and its other [render] settings are the defaults of the flags below.
    #[arg(short, long, value_name = "CONFIG")]
    pub config: Option<PathBuf>,
    /// How many frames of each scene to render, evenly spaced (1 to 60), or `all` (default 5).
    #[arg(long, value_parser = parse_frames, value_name = "N|all")]
    pub frames: Option<Frames>,
    /// Write each rendered frame as a PNG into DIR (`NAME-FORMAT-FRAME.png`).
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Output scale (1: full size).
    #[arg(long, default_value_t = 0.5)]
    pub scale: f64,
    /// The scene's length in frames when its code exports none.
    #[arg(long, value_name = "FRAMES", default_value_t = 150)]
    pub duration: u32,
    #[arg(long, default_value_t = 30)]
    pub fps: u32,
    /// The export to render.
    #[arg(long, default_value = "default")]
    pub export: String,
    /// Scenes rendered at once.
    #[arg(long, default_value_t = 2)]
    pub concurrency: usize,
    /// Seconds a scene may go without rendering a frame before it is a `hang` (1 to 900).
    #[arg(long, default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=900))]
    pub deadline: u64,
    /// The browser (default: TEMPLATE_SFT_CHROMIUM, then Debian's chromium-headless-shell or chromium).
    #[arg(long, value_name = "PATH")]
    pub chromium: Option<PathBuf>,
    /// An installed render kit (default: ~/.cache/template-sft/render-kit/<hash>, installed on first use).
    #[arg(long, value_name = "DIR")]
    pub render_kit: Option<PathBuf>,
    /// Install the render kit into DIR and stop (for machines that render without the registry).
    #[arg(long, value_name = "DIR", conflicts_with = "files")]
    pub prepare_kit: Option<PathBuf>,
    /// Print the verdicts as JSON.
    #[arg(long)]
    pub json: bool,
}

/// `--frames`: a count from 1 to 60, or `all`.
pub fn parse_frames(text: &str) -> std::result::Result<Frames, String> {
    Frames::parse(text).ok_or_else(|| {
        format!(
            "{text:?} is not a frame count from 1 to {} or \"all\"",
            render::MAX_SAMPLED
        )
    })
}

fn parse_format(name: &str) -> std::result::Result<VideoFormat, String> {
    VideoFormat::parse(name).ok_or_else(|| format!("{name:?} is not landscape, portrait or square"))
}

pub fn run(args: &Args, console: &Console) -> Result<()> {
    if let Some(dir) = &args.prepare_kit {
        kit::prepare(dir, |step| console.info(step))?;
        return console.result(format!("render kit ready in {}", dir.display()));
    }
    if !(args.scale > 0.0 && args.scale <= 4.0) {
        return Err(wording::out_of_range(
            "--scale",
            "above 0 and at most 4",
            args.scale,
        ));
    }
    if let Some(out) = &args.out {
        crate::dataset::writer::refuse_inside_version(&out.join("frame.png"))?;
    }
    let formats = if args.format.is_empty() {
        VideoFormat::ALL.to_vec()
    } else {
        args.format.clone()
    };
    let export = DurationExport::new(DEFAULT_DURATION_EXPORT);
    let pool = crate::parse_guard::parse_pool().map_err(|e| Error::Threads(e.to_string()))?;
    let mut jobs = Vec::new();
    for file in &args.files {
        let bytes = crate::input::read_capped(file, crate::input::SMALL_FILE_LIMIT)?;
        let code = String::from_utf8(bytes)
            .map_err(|_| wording::not_utf8(crate::location::Location::file(file)))?;
        // The length the code exports, as build reads it; else --duration.
        let (verdicts, ()) =
            pool.install(|| every_rule(&code, &GateConfig::default(), &export, |_| ()));
        let length = match verdicts.duration {
            Some(CodeDuration::Frames { frames, .. }) => frames,
            _ => args.duration,
        };
        let globals = render::globals::read_by(&code);
        let label = file
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        for &format in &formats {
            jobs.push(Job {
                label: label.clone(),
                globals: globals.clone(),
                code: code.clone(),
                export: args.export.clone(),
                format,
                fps: args.fps,
                length,
            });
        }
    }
    let project = match &args.config {
        Some(path) => crate::pipeline::render::options(&crate::config::Config::read(path)?),
        None => RenderOptions::default(),
    };
    let mut options = RenderOptions {
        kit: kit::KitOptions {
            kit: args.render_kit.clone().or(project.kit.kit.clone()),
            chromium: args.chromium.clone().or(project.kit.chromium.clone()),
            ..project.kit.clone()
        },
        concurrency: args.concurrency,
        frames: args.frames.unwrap_or(project.frames),
        scale: args.scale,
        deadline: Duration::from_secs(args.deadline),
        out: args.out.clone(),
        ..project
    };
    let kit = kit::ensure(&options.kit, |step| console.info(step))?;
    if crate::render::isolation::available() == crate::render::isolation::Isolation::CspOnly {
        console.diagnostic(&crate::diagnostic::warning::renderer_without_namespace());
    }
    // Frames go to a new folder (a taken name is never written into), never inside a version; a
    // render that fails or is interrupted leaves no folder behind.
    let mut made = None;
    if let Some(out) = &args.out {
        let dir = crate::dataset::writer::new_dir(out)?;
        console.wrote_instead(out, &dir);
        options.out = Some(dir.clone());
        made = Some((crate::interrupt::folder(dir.clone()), dir));
    }
    let outcomes = match render::driver::render_all(&kit, &jobs, &options, |_, _| {}) {
        Ok(outcomes) => outcomes,
        Err(e) => {
            if let Some((_, dir)) = &made {
                let _ = std::fs::remove_dir_all(dir);
            }
            return Err(e);
        }
    };
    drop(made);
    let mut out = Printable(std::io::stdout().lock());
    if args.json {
        let rows: Vec<serde_json::Value> = jobs
            .iter()
            .zip(&outcomes)
            .map(|(job, o)| serde_json::json!({"scene": job.label, "outcome": o}))
            .collect();
        serde_json::to_writer_pretty(&mut out, &rows).map_err(|e| Error::stdout(e.into()))?;
        writeln!(out).map_err(Error::stdout)?;
    } else {
        for (job, o) in jobs.iter().zip(&outcomes) {
            let replaced = match o.replaced_urls {
                0 => String::new(),
                n => format!(" ({n} remote image URLs replaced by a placeholder)"),
            };
            writeln!(
                out,
                "{}: {} in {:.1} s{replaced}",
                job.label,
                o.describe(),
                o.seconds
            )
            .map_err(Error::stdout)?;
            for f in &o.files {
                writeln!(out, "  {}", f.display()).map_err(Error::stdout)?;
            }
        }
    }
    let failed = outcomes.iter().filter(|o| o.verdict != Verdict::Ok).count();
    if failed > 0 {
        return Err(Error::NotRendered(failed));
    }
    Ok(())
}
