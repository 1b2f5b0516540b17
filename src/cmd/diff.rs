//! `template-sft diff OLD NEW [--json]`: what changed between two dataset versions. Always exits 0
//! when both can be read: a difference informs, it is not a failure.

use std::io::Write;
use std::path::PathBuf;

use crate::console::Console;
use crate::dataset::stats::Totals;
use crate::dataset::version::Version;
use crate::diff::{diff, Diff, Key};
use crate::error::{Error, Result};
use crate::text::Printable;

#[derive(Debug, clap::Args)]
pub struct Args {
    /// The earlier version directory.
    pub old: PathBuf,
    /// The later version directory.
    pub new: PathBuf,
    /// Print the difference as JSON.
    #[arg(long)]
    pub json: bool,
    /// Read the versions even if their files differ from their manifests.
    #[arg(long)]
    pub no_verify: bool,
}

/// Keys listed per category in the human output.
const SHOWN: usize = 25;

pub fn run(args: &Args, _console: &Console) -> Result<()> {
    let open = |path| {
        if args.no_verify {
            Version::open_unverified(path)
        } else {
            Version::open(path)
        }
    };
    let d = diff(&open(&args.old)?, &open(&args.new)?)?;
    let mut out = std::io::stdout().lock();
    if args.json {
        serde_json::to_writer_pretty(&mut out, &d).map_err(|e| Error::stdout(e.into()))?;
        writeln!(out).map_err(Error::stdout)
    } else {
        print(&mut Printable(out), &d).map_err(Error::stdout)
    }
}

fn print(out: &mut impl Write, d: &Diff) -> std::io::Result<()> {
    writeln!(out, "{} → {}", d.old, d.new)?;
    let t = |name: &str, a: usize, b: usize| {
        let delta = b as i64 - a as i64;
        let delta = if delta == 0 {
            String::new()
        } else {
            format!(" ({delta:+})")
        };
        format!("{name} {a} → {b}{delta}")
    };
    let (a, b): (&Totals, &Totals) = (&d.totals_before, &d.totals_after);
    writeln!(
        out,
        "totals: {}; {}; {}; {}",
        t("all", a.all, b.all),
        t("train", a.train, b.train),
        t("validation", a.validation, b.validation),
        t("test", a.test, b.test)
    )?;
    let origins: Vec<String> = d
        .origins_before
        .keys()
        .chain(d.origins_after.keys())
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .map(|o| {
            let n = |m: &std::collections::BTreeMap<_, usize>| m.get(o).copied().unwrap_or(0);
            t(o.name(), n(&d.origins_before), n(&d.origins_after))
        })
        .collect();
    writeln!(out, "prompt origins: {}", origins.join("; "))?;
    for (what, changes) in [
        ("rejections fixed", &d.rejections_fixed),
        ("rejections introduced", &d.rejections_introduced),
    ] {
        writeln!(out, "{what} ({}):", changes.len())?;
        for r in changes.iter().take(SHOWN) {
            writeln!(out, "  {} ({}): {}", r.template_id, r.rule, r.message)?;
        }
        if changes.len() > SHOWN {
            writeln!(out, "  … and {} more", changes.len() - SHOWN)?;
        }
    }
    writeln!(out, "durations changed ({}):", d.durations_changed.len())?;
    for c in d.durations_changed.iter().take(SHOWN) {
        writeln!(out, "  {}: {} → {} frames", c.template_id, c.from, c.to)?;
    }
    if d.durations_changed.len() > SHOWN {
        writeln!(out, "  … and {} more", d.durations_changed.len() - SHOWN)?;
    }
    list(out, "added", &d.added)?;
    list(out, "removed", &d.removed)?;
    list(out, "brief changed", &d.brief_changed)?;
    list(out, "code changed", &d.code_changed)?;
    writeln!(
        out,
        "templates whose code changed ({}): {}",
        d.templates_code_changed.len(),
        d.templates_code_changed.join(", ")
    )?;
    writeln!(
        out,
        "moved between splits ({}; {} into train from validation/test):",
        d.moved.len(),
        d.leakage()
    )?;
    for m in d.moved.iter().take(SHOWN) {
        let flag = if m.leakage {
            "  EVALUATION LEAKAGE: now trained on"
        } else {
            ""
        };
        writeln!(
            out,
            "  {}: {} → {}{flag}",
            m.key,
            m.from.name(),
            m.to.name()
        )?;
    }
    if d.moved.len() > SHOWN {
        writeln!(out, "  … and {} more", d.moved.len() - SHOWN)?;
    }
    for (what, clusters) in [
        ("near-copy clusters formed", &d.clusters_formed),
        ("near-copy clusters split", &d.clusters_split),
    ] {
        writeln!(out, "{what} ({}):", clusters.len())?;
        for c in clusters.iter().take(SHOWN) {
            writeln!(out, "  {}", c.join(", "))?;
        }
        if clusters.len() > SHOWN {
            writeln!(out, "  … and {} more", clusters.len() - SHOWN)?;
        }
    }
    Ok(())
}

fn list(out: &mut impl Write, what: &str, keys: &[Key]) -> std::io::Result<()> {
    writeln!(out, "{what} ({}):", keys.len())?;
    for key in keys.iter().take(SHOWN) {
        writeln!(out, "  {key}")?;
    }
    if keys.len() > SHOWN {
        writeln!(out, "  … and {} more", keys.len() - SHOWN)?;
    }
    Ok(())
}
