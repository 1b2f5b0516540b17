//! Charts as inline SVG, drawn with plotters' SVG backend (no fonts or files needed).
//!
//! Takes counts; gives an `<svg>` string that scales to its container. Used by the HTML report.

use plotters::coord::ranged1d::SegmentValue;
use plotters::prelude::*;

/// Colours per split (train, validation, test) and for single-series bars.
pub const SPLIT_COLORS: [RGBColor; 3] = [
    RGBColor(37, 99, 235),
    RGBColor(234, 88, 12),
    RGBColor(22, 163, 74),
];
const BAR: RGBColor = RGBColor(79, 70, 229);
const FONT: &str = "sans-serif";

fn err<E: std::fmt::Debug>(e: E) -> String {
    format!("{e:?}")
}

/// Make the SVG fill its container's width while keeping its aspect ratio.
fn responsive(svg: String, width: u32, height: u32) -> String {
    svg.replacen(
        &format!("width=\"{width}\" height=\"{height}\""),
        &format!("width=\"100%\" preserveAspectRatio=\"xMidYMid meet\" role=\"img\" data-size=\"{width}x{height}\""),
        1,
    )
}

/// A histogram of tokens per example, one series per split, bars side by side within each bin.
pub fn token_histogram(splits: &[(&str, &[u64]); 3]) -> Result<String, String> {
    let (width, height) = (760u32, 340u32);
    let all = || splits.iter().flat_map(|(_, t)| t.iter()).copied();
    let max = all().max().unwrap_or(1).max(1);
    let min = all().min().unwrap_or(0);
    // Bins cover min..=max only, so a narrow distribution is not squeezed against one edge. The
    // width is worked out in u128: any u64 a file holds (0 and u64::MAX together) must not overflow.
    let bin_width = (u128::from(max - min) + 1).div_ceil(12).max(1) as u64;
    let low = min - min % bin_width;
    let bins = (max - low) / bin_width + 1;
    let mut counts = vec![[0u32; 3]; bins as usize];
    for (s, (_, tokens)) in splits.iter().enumerate() {
        for &t in tokens.iter() {
            counts[((t - low) / bin_width) as usize][s] += 1;
        }
    }
    let top = counts
        .iter()
        .flat_map(|c| c.iter())
        .copied()
        .max()
        .unwrap_or(0)
        .max(1);
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption("Tokens per example", (FONT, 20))
            .margin(12)
            .x_label_area_size(40)
            .y_label_area_size(48)
            .build_cartesian_2d(
                low..low.saturating_add(bin_width.saturating_mul(bins)),
                0u32..top.saturating_add(top / 5 + 1),
            )
            .map_err(err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_desc("tokens (billed, per example)")
            .y_desc("examples")
            .x_labels(8)
            .draw()
            .map_err(err)?;
        let third = (bin_width / 3).max(1);
        for (s, (name, _)) in splits.iter().enumerate() {
            let color = SPLIT_COLORS[s];
            chart
                .draw_series(
                    counts
                        .iter()
                        .enumerate()
                        .filter(|(_, c)| c[s] > 0)
                        .map(|(b, c)| {
                            let x0 = low
                                .saturating_add((b as u64).saturating_mul(bin_width))
                                .saturating_add(s as u64 * third);
                            Rectangle::new(
                                [(x0, 0), (x0.saturating_add(third), c[s])],
                                color.filled(),
                            )
                        }),
                )
                .map_err(err)?
                .label(*name)
                .legend(move |(x, y)| {
                    Rectangle::new([(x, y - 5), (x + 12, y + 5)], color.filled())
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperRight)
            .background_style(WHITE.mix(0.9))
            .border_style(BLACK.mix(0.3))
            .label_font((FONT, 14))
            .draw()
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(responsive(svg, width, height))
}

/// Horizontal bars, one per (label, count), the first at the top; `width` in pixels.
pub fn bars(title: &str, items: &[(String, usize)], width: u32) -> Result<String, String> {
    let height = (80 + 28 * items.len().max(1)) as u32;
    // At least two rows: a segmented axis over one value has no width, and a lone bar (a fresh
    // project has one prompt origin) was drawn with a negative height.
    let n = items.len().max(2);
    // Row i is drawn from the top: segment n - 1 - i.
    let row = |i: usize| n - 1 - i;
    let top = items.iter().map(|i| i.1).max().unwrap_or(0).max(1);
    let labels: Vec<String> = items.iter().map(|i| i.0.clone()).collect();
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (width, height)).into_drawing_area();
        root.fill(&WHITE).map_err(err)?;
        let label_width = labels
            .iter()
            .map(|l| l.len())
            .max()
            .unwrap_or(4)
            .clamp(4, 34) as u32
            * 7
            + 16;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, (FONT, 20))
            .margin(12)
            .x_label_area_size(30)
            .y_label_area_size(label_width)
            .build_cartesian_2d(0usize..top + top / 8 + 1, (0usize..n - 1).into_segmented())
            .map_err(err)?;
        let label_of = |v: &SegmentValue<usize>| match v {
            SegmentValue::CenterOf(i) if *i < n => labels.get(row(*i)).cloned().unwrap_or_default(),
            _ => String::new(),
        };
        chart
            .configure_mesh()
            .disable_y_mesh()
            .y_labels(n)
            .label_style((FONT, 14))
            .y_label_formatter(&label_of)
            .draw()
            .map_err(err)?;
        chart
            .draw_series(items.iter().enumerate().map(|(i, (_, count))| {
                let mut bar = Rectangle::new(
                    [
                        (0, SegmentValue::Exact(row(i))),
                        (*count, SegmentValue::Exact(row(i) + 1)),
                    ],
                    BAR.filled(),
                );
                bar.set_margin(4, 4, 0, 0);
                bar
            }))
            .map_err(err)?;
        chart
            .draw_series(items.iter().enumerate().map(|(i, (_, count))| {
                Text::new(
                    format!(" {count}"),
                    (*count, SegmentValue::CenterOf(row(i))),
                    (FONT, 13).into_font(),
                )
            }))
            .map_err(err)?;
        root.present().map_err(err)?;
    }
    Ok(responsive(svg, width, height))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The (width, height) of every bar (a rectangle in the bar colour) of an SVG.
    fn bar_sizes(svg: &str) -> Vec<(f64, f64)> {
        let fill = format!("fill=\"#{:02X}{:02X}{:02X}\"", BAR.0, BAR.1, BAR.2);
        svg.split("<rect")
            .skip(1)
            .map(|r| r.split("/>").next().unwrap_or(""))
            .filter(|r| r.to_uppercase().contains(&fill.to_uppercase()))
            .map(|r| {
                let attr = |name: &str| -> f64 {
                    let at = r.find(&format!(" {name}=\"")).unwrap() + name.len() + 3;
                    r[at..].split('"').next().unwrap().parse().unwrap()
                };
                (attr("width"), attr("height"))
            })
            .collect()
    }

    #[test]
    fn one_bar_is_drawn_with_a_positive_size_as_several_are() {
        for items in [
            vec![("curated".to_string(), 22)],
            vec![("curated".to_string(), 22), ("override".to_string(), 3)],
        ] {
            let svg = bars("Examples per prompt origin", &items, 420).unwrap();
            let sizes = bar_sizes(&svg);
            assert_eq!(sizes.len(), items.len(), "{svg}");
            assert!(sizes.iter().all(|&(w, h)| w > 0.0 && h > 0.0), "{sizes:?}");
        }
    }
}
