//! The latency-percentile plot, drawn as SVG with plotters (SVG backend only: text is written as
//! SVG `<text>` elements and laid out by the viewer, so no system font is needed). As in
//! HdrHistogram's plots, the x axis is the percentile on a "nines" scale (−log10(1 − p): 90 %,
//! 99 %, 99.9 %… equally spaced) and the y axis the latency in ms; one curve per series
//! (corrected and uncorrected).
//!
//! The trace breakdown's plot ([`breakdown_plot`]) is one panel of horizontal bars per request
//! type: each span operation's self time as a share of the type's client latency, and the
//! uncovered time, largest first.

use std::path::Path;

use anyhow::{Result, anyhow};
use plotters::prelude::*;

use plotters::coord::ranged1d::SegmentValue;

use crate::breakdown::{Breakdown, KindBreakdown};
use crate::stats::SpectrumPoint;

/// Bars per panel of the breakdown plot; smaller operations are summed into "other".
pub const BREAKDOWN_BARS: usize = 14;

/// The percentile at `nines` on the axis, as a label: 0 → "0%", 1 → "90%", 2.5 → "99.68%".
pub fn nines_label(nines: f64) -> String {
    let pct = 100.0 * (1.0 - 10f64.powf(-nines));
    if nines.fract().abs() < 1e-9 {
        // Integral nines: exactly as many decimals as needed (2 → "99%", 4 → "99.99%").
        let decimals = (nines as usize).saturating_sub(2);
        format!("{pct:.decimals$}%")
    } else {
        let decimals = (nines.ceil() as usize).saturating_sub(1);
        format!("{pct:.decimals$}%")
    }
}

/// Draws `series` (name and spectrum) to an SVG file at `path`.
pub fn percentile_plot(
    path: &Path,
    title: &str,
    series: &[(&str, &[SpectrumPoint])],
) -> Result<()> {
    let svg = render_svg(title, series)?;
    std::fs::write(path, svg).map_err(|e| anyhow!("writing {}: {e}", path.display()))
}

/// The SVG document of the plot.
pub fn render_svg(title: &str, series: &[(&str, &[SpectrumPoint])]) -> Result<String> {
    let max_nines = series
        .iter()
        .flat_map(|(_, pts)| pts.iter().map(|p| p.nines))
        .fold(0.0f64, f64::max);
    let x_max = max_nines.ceil().max(2.0);
    let y_max = series
        .iter()
        .flat_map(|(_, pts)| pts.iter().map(|p| p.ms))
        .fold(0.0f64, f64::max);
    let y_max = if y_max > 0.0 { y_max * 1.05 } else { 1.0 };

    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (960, 600)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| anyhow!("drawing: {e}"))?;
        let mut chart = ChartBuilder::on(&root)
            .caption(title, ("sans-serif", 22))
            .margin(16)
            .x_label_area_size(48)
            .y_label_area_size(72)
            .build_cartesian_2d(0f64..x_max, 0f64..y_max)
            .map_err(|e| anyhow!("drawing: {e}"))?;
        chart
            .configure_mesh()
            .x_desc("percentile")
            .y_desc("latency (ms)")
            .x_labels(x_max as usize + 1)
            .x_label_formatter(&|x| nines_label(*x))
            .y_label_formatter(&|y| format!("{y:.1}"))
            .draw()
            .map_err(|e| anyhow!("drawing: {e}"))?;
        let colours = [RED, BLUE, GREEN, MAGENTA, CYAN, BLACK];
        for (i, (name, points)) in series.iter().enumerate() {
            let colour = colours[i % colours.len()];
            chart
                .draw_series(LineSeries::new(
                    points.iter().map(|p| (p.nines, p.ms)),
                    colour.stroke_width(2),
                ))
                .map_err(|e| anyhow!("drawing: {e}"))?
                .label(*name)
                .legend(move |(x, y)| {
                    PathElement::new([(x, y), (x + 20, y)], colour.stroke_width(2))
                });
        }
        chart
            .configure_series_labels()
            .position(SeriesLabelPosition::UpperLeft)
            .background_style(WHITE.mix(0.8))
            .border_style(BLACK)
            .draw()
            .map_err(|e| anyhow!("drawing: {e}"))?;
        root.present().map_err(|e| anyhow!("drawing: {e}"))?;
    }
    Ok(svg)
}

/// The bars of one request type: (label, self share %), uncovered included, largest first, at
/// most [`BREAKDOWN_BARS`] with the rest as "other".
pub fn breakdown_bars(k: &KindBreakdown) -> Vec<(String, f64)> {
    let mut bars: Vec<(String, f64)> = std::iter::once(&k.uncovered)
        .chain(&k.operations)
        .map(|r| (r.name.clone(), r.self_share_pct))
        .collect();
    bars.sort_by(|a, b| b.1.total_cmp(&a.1));
    if bars.len() > BREAKDOWN_BARS {
        let other: f64 = bars[BREAKDOWN_BARS - 1..].iter().map(|b| b.1).sum();
        let n = bars.len() - (BREAKDOWN_BARS - 1);
        bars.truncate(BREAKDOWN_BARS - 1);
        bars.push((format!("other ({n} operations)"), other));
    }
    bars
}

/// Draws the breakdown plot to an SVG file at `path`.
pub fn breakdown_plot(path: &Path, title: &str, breakdown: &Breakdown) -> Result<()> {
    let svg = render_breakdown_svg(title, breakdown)?;
    std::fs::write(path, svg).map_err(|e| anyhow!("writing {}: {e}", path.display()))
}

/// The SVG document of the breakdown plot (a caption alone when nothing was fetched).
pub fn render_breakdown_svg(title: &str, breakdown: &Breakdown) -> Result<String> {
    let panels: Vec<(&KindBreakdown, Vec<(String, f64)>)> = breakdown
        .by_kind
        .iter()
        .filter(|k| k.fetched > 0)
        .map(|k| (k, breakdown_bars(k)))
        .collect();
    const BAR: u32 = 22;
    const PANEL_EXTRA: u32 = 90;
    let heights: Vec<u32> = panels
        .iter()
        .map(|(_, bars)| bars.len() as u32 * BAR + PANEL_EXTRA)
        .collect();
    let height = 50 + heights.iter().sum::<u32>();
    let draw = |e: &dyn std::fmt::Display| anyhow!("drawing: {e}");
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1100, height)).into_drawing_area();
        root.fill(&WHITE).map_err(|e| draw(&e))?;
        let root = root
            .titled(title, ("sans-serif", 22))
            .map_err(|e| draw(&e))?;
        let mut rest = root;
        for ((kind, bars), h) in panels.iter().zip(&heights) {
            let (area, below) = rest.split_vertically(*h);
            rest = below;
            let x_max = bars.iter().map(|b| b.1).fold(0.0f64, f64::max).max(1.0) * 1.1;
            let caption = format!(
                "{}: {} traces, client latency p50 {:.2} ms, p99 {:.2} ms",
                kind.kind.name(),
                kind.fetched,
                kind.client_ms.p50,
                kind.client_ms.p99
            );
            let n = bars.len();
            let mut chart = ChartBuilder::on(&area)
                .caption(caption, ("sans-serif", 16))
                .margin(10)
                .x_label_area_size(36)
                .y_label_area_size(360)
                .build_cartesian_2d(0f64..x_max, (0..n).into_segmented())
                .map_err(|e| draw(&e))?;
            // Largest at the top: bar i sits in segment n − 1 − i.
            let label = |v: &SegmentValue<usize>| match v {
                SegmentValue::CenterOf(j) if *j < n => bars[n - 1 - j].0.clone(),
                _ => String::new(),
            };
            chart
                .configure_mesh()
                .disable_y_mesh()
                .x_desc("self time, % of client latency")
                .y_labels(n)
                .y_label_formatter(&label)
                .x_label_formatter(&|x| format!("{x:.0}%"))
                .draw()
                .map_err(|e| draw(&e))?;
            chart
                .draw_series(bars.iter().enumerate().map(|(i, (name, share))| {
                    let j = n - 1 - i;
                    let colour = if name == "(uncovered)" { RED } else { BLUE };
                    let mut bar = Rectangle::new(
                        [
                            (0.0, SegmentValue::Exact(j)),
                            (*share, SegmentValue::Exact(j + 1)),
                        ],
                        colour.mix(0.7).filled(),
                    );
                    bar.set_margin(3, 3, 0, 0);
                    bar
                }))
                .map_err(|e| draw(&e))?;
            chart
                .draw_series(bars.iter().enumerate().map(|(i, (_, share))| {
                    Text::new(
                        format!("{share:.1}%"),
                        (*share, SegmentValue::CenterOf(n - 1 - i)),
                        ("sans-serif", 12),
                    )
                }))
                .map_err(|e| draw(&e))?;
        }
        rest.present().map_err(|e| draw(&e))?;
    }
    Ok(svg)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::{new_histogram, spectrum};

    #[test]
    fn labels_on_the_nines_scale() {
        assert_eq!(nines_label(0.0), "0%");
        assert_eq!(nines_label(1.0), "90%");
        assert_eq!(nines_label(2.0), "99%");
        assert_eq!(nines_label(3.0), "99.9%");
        assert_eq!(nines_label(5.0), "99.999%");
        assert_eq!(nines_label(0.5), "68%");
        assert_eq!(nines_label(2.5), "99.68%");
    }

    #[test]
    fn draws_both_curves_as_svg() {
        let mut fast = new_histogram();
        let mut slow = new_histogram();
        for us in 1..=5000u64 {
            fast.record(us).unwrap();
            slow.record(us * 3).unwrap();
        }
        let (f, s) = (spectrum(&fast), spectrum(&slow));
        let svg = render_svg("test run", &[("corrected", &s), ("uncorrected", &f)]).unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        for text in [
            "test run",
            "corrected",
            "uncorrected",
            "99.9%",
            "latency (ms)",
            "percentile",
        ] {
            assert!(svg.contains(text), "missing {text:?}");
        }
        assert!(svg.matches("<polyline").count() >= 2, "{svg}");
        let dir = std::env::temp_dir().join(format!("bench-plot-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("p.svg");
        percentile_plot(&path, "t", &[("c", &s)]).unwrap();
        assert!(std::fs::read_to_string(&path).unwrap().contains("<svg"));
        std::fs::remove_dir_all(dir).unwrap();
        // An empty run still gives a (blank) plot rather than an error.
        render_svg("empty", &[("corrected", &[])]).unwrap();
    }

    fn breakdown_of(ops: usize) -> Breakdown {
        use crate::breakdown::{Fetched, Span, TraceSample, breakdown};
        use crate::workload::Kind;
        // A root with `ops` sequential children, 10 µs each, in a 1000 µs request.
        let mut spans = vec![Span {
            id: 1,
            parent: Some(99),
            name: "frontend".into(),
            start_us: 0,
            duration_us: 900,
        }];
        spans.extend((0..ops as u64).map(|i| Span {
            id: 10 + i,
            parent: Some(1),
            name: format!("store op {i}"),
            start_us: 10 * i as i64,
            duration_us: 10,
        }));
        let sample = TraceSample {
            kind: Kind::Compose,
            latency_us: 1000,
            client_span: 99,
            fetched: Fetched::Found(spans),
        };
        let missing = TraceSample {
            kind: Kind::HomeTimeline,
            fetched: Fetched::Missing,
            ..sample.clone()
        };
        breakdown("http://j", 1.0, 1, &[sample, missing])
    }

    #[test]
    fn breakdown_bars_are_largest_first_and_capped() {
        let b = breakdown_of(3);
        let bars = breakdown_bars(&b.by_kind[1]);
        assert_eq!(bars[0].0, "frontend");
        assert!((bars[0].1 - 87.0).abs() < 1e-9, "{bars:?}");
        assert_eq!(bars[1].0, "(uncovered)");
        assert_eq!(bars.len(), 5);
        let b = breakdown_of(40);
        let bars = breakdown_bars(&b.by_kind[1]);
        assert_eq!(bars.len(), BREAKDOWN_BARS);
        let last = bars.last().unwrap();
        assert!(last.0.starts_with("other ("), "{last:?}");
        let total: f64 = bars.iter().map(|b| b.1).sum();
        assert!((total - 100.0).abs() < 1e-6, "{total}");
    }

    #[test]
    fn draws_one_panel_per_fetched_type() {
        let svg = render_breakdown_svg("breakdown", &breakdown_of(3)).unwrap();
        assert!(svg.starts_with("<svg") && svg.trim_end().ends_with("</svg>"));
        for text in [
            "breakdown",
            "compose: 1 traces",
            "frontend",
            "(uncovered)",
            "87.0%",
        ] {
            assert!(svg.contains(text), "missing {text:?}");
        }
        assert!(
            !svg.contains("home-timeline:"),
            "a type with no trace has no panel"
        );
        let empty = crate::breakdown::breakdown("http://j", 1.0, 0, &[]);
        render_breakdown_svg("none", &empty).unwrap();
    }
}
