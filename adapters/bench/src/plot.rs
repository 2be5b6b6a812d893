//! The latency-percentile plot, drawn as SVG with plotters (SVG backend only: text is written as
//! SVG `<text>` elements and laid out by the viewer, so no system font is needed). As in
//! HdrHistogram's plots, the x axis is the percentile on a "nines" scale (−log10(1 − p): 90 %,
//! 99 %, 99.9 %… equally spaced) and the y axis the latency in ms; one curve per series
//! (corrected and uncorrected).

use std::path::Path;

use anyhow::{Result, anyhow};
use plotters::prelude::*;

use crate::stats::SpectrumPoint;

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
}
