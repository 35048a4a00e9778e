//! Charts of a body-store projection: serum B12 and the body store over
//! time, each with the default-parameter line, the Monte Carlo median and the
//! 5-95 % band, and the guideline's decision limits as horizontal lines.
//! SVG is built with the `svg` crate; PNG is rendered from it by resvg.

use kobalt_kinetics::{Marker, Projection};
use svg::Document;
use svg::node::element::{Line, Path, Rectangle, Text, path::Data};

/// The words on the chart, in the reader's language.
#[derive(Clone, Debug)]
pub struct Labels {
    pub title: String,
    pub serum_axis: String,
    pub store_axis: String,
    pub years: String,
    pub weeks: String,
    pub band: String,
    pub median: String,
    pub default_run: String,
    pub note: String,
}

/// A horizontal line on the serum panel, e.g. ("NHG deficiency limit", 148).
#[derive(Clone, Debug)]
pub struct Limit {
    pub label: String,
    pub value: f64,
}

#[derive(Debug, thiserror::Error)]
pub enum ChartError {
    #[error("the chart could not be read back as SVG: {0}")]
    Svg(String),
    #[error("the PNG could not be made: {0}")]
    Png(String),
}

const WIDTH: f64 = 900.0;
const HEIGHT: f64 = 660.0;
const LEFT: f64 = 80.0;
const RIGHT: f64 = 30.0;
const BAND_FILL: &str = "#9ecae1";
const LINE: &str = "#08519c";
const LIMIT: &str = "#cb181d";

struct Panel {
    top: f64,
    height: f64,
    y_max: f64,
}

impl Panel {
    fn y(&self, v: f64) -> f64 {
        self.top + self.height * (1.0 - (v / self.y_max).clamp(0.0, 1.0))
    }
}

/// The chart as an SVG document.
pub fn projection_svg(p: &Projection, labels: &Labels, limits: &[Limit]) -> String {
    let horizon = p.days.last().copied().unwrap_or(0).max(1);
    let in_years = horizon > 2 * 365;
    let unit_days = if in_years { 365.0 } else { 7.0 };
    let x_max = f64::from(horizon) / unit_days;
    let x = |day: u32| LEFT + (WIDTH - LEFT - RIGHT) * (f64::from(day) / unit_days) / x_max;

    let mut doc = Document::new()
        .set("viewBox", (0, 0, WIDTH, HEIGHT))
        .set("width", WIDTH)
        .set("height", HEIGHT)
        .set("font-family", "DejaVu Sans, Arial, sans-serif")
        .add(
            Rectangle::new()
                .set("width", WIDTH)
                .set("height", HEIGHT)
                .set("fill", "white"),
        )
        .add(text(LEFT, 28.0, &labels.title, 18, "start"));

    let panels = [
        (Marker::SerumB12, &labels.serum_axis, 50.0, limits),
        (Marker::StoreUg, &labels.store_axis, 345.0, &[][..]),
    ];
    for (marker, axis, top, lines) in panels {
        let Some(series) = p.series(marker) else {
            continue;
        };
        let highest = series
            .bands
            .iter()
            .map(|b| b.p95)
            .chain(series.default.iter().copied())
            .chain(lines.iter().map(|l| l.value))
            .fold(0.0f64, f64::max);
        let shown = if marker == Marker::SerumB12 {
            highest.min(kobalt_kinetics::SERUM_SHOWN_MAX)
        } else {
            highest
        };
        let (step, y_max) = nice_axis(shown * 1.05);
        let panel = Panel {
            top,
            height: 220.0,
            y_max,
        };
        // Frame, grid and y ticks.
        doc = doc.add(
            Rectangle::new()
                .set("x", LEFT)
                .set("y", top)
                .set("width", WIDTH - LEFT - RIGHT)
                .set("height", panel.height)
                .set("fill", "none")
                .set("stroke", "#888"),
        );
        let mut tick = 0.0;
        while tick <= y_max + 1e-9 {
            let y = panel.y(tick);
            doc = doc
                .add(line(LEFT, y, WIDTH - RIGHT, y, "#e5e5e5", 1.0, None))
                .add(text(LEFT - 8.0, y + 4.0, &number(tick), 11, "end"));
            tick += step;
        }
        doc = doc.add(
            text(18.0, top + panel.height / 2.0, axis, 12, "middle").set(
                "transform",
                format!("rotate(-90 18 {})", top + panel.height / 2.0),
            ),
        );
        // Band, then median and default lines.
        if !series.bands.is_empty() {
            let mut data = Data::new();
            for (i, (d, b)) in p.days.iter().zip(&series.bands).enumerate() {
                let point = (x(*d), panel.y(b.p95));
                data = if i == 0 {
                    data.move_to(point)
                } else {
                    data.line_to(point)
                };
            }
            for (d, b) in p.days.iter().zip(&series.bands).rev() {
                data = data.line_to((x(*d), panel.y(b.p5)));
            }
            doc = doc.add(
                Path::new()
                    .set("d", data.close())
                    .set("fill", BAND_FILL)
                    .set("fill-opacity", 0.6)
                    .set("stroke", "none"),
            );
            let medians: Vec<f64> = series.bands.iter().map(|b| b.median).collect();
            doc = doc.add(polyline(&p.days, &medians, &x, &panel, LINE, Some("6 4")));
        }
        doc = doc.add(polyline(&p.days, &series.default, &x, &panel, LINE, None));
        for l in lines {
            let y = panel.y(l.value);
            doc = doc
                .add(line(LEFT, y, WIDTH - RIGHT, y, LIMIT, 1.5, Some("4 3")))
                .add(text(WIDTH - RIGHT - 4.0, y - 4.0, &l.label, 11, "end").set("fill", LIMIT));
        }
        // X ticks.
        let (x_step, _) = nice_axis(x_max);
        let mut t = 0.0;
        while t <= x_max + 1e-9 {
            let px = LEFT + (WIDTH - LEFT - RIGHT) * t / x_max;
            doc = doc.add(text(
                px,
                top + panel.height + 16.0,
                &number(t),
                11,
                "middle",
            ));
            t += x_step;
        }
    }
    let x_label = if in_years {
        &labels.years
    } else {
        &labels.weeks
    };
    let legend_y = HEIGHT - 34.0;
    doc = doc
        .add(text(
            LEFT + (WIDTH - LEFT - RIGHT) / 2.0,
            345.0 + 220.0 + 34.0,
            x_label,
            12,
            "middle",
        ))
        .add(line(LEFT, legend_y, LEFT + 30.0, legend_y, LINE, 2.0, None))
        .add(text(
            LEFT + 36.0,
            legend_y + 4.0,
            &labels.default_run,
            11,
            "start",
        ))
        .add(line(
            LEFT + 250.0,
            legend_y,
            LEFT + 280.0,
            legend_y,
            LINE,
            2.0,
            Some("6 4"),
        ))
        .add(text(
            LEFT + 286.0,
            legend_y + 4.0,
            &labels.median,
            11,
            "start",
        ))
        .add(
            Rectangle::new()
                .set("x", LEFT + 450.0)
                .set("y", legend_y - 5.0)
                .set("width", 30)
                .set("height", 10)
                .set("fill", BAND_FILL),
        )
        .add(text(
            LEFT + 486.0,
            legend_y + 4.0,
            &labels.band,
            11,
            "start",
        ))
        .add(text(LEFT, HEIGHT - 10.0, &labels.note, 10, "start").set("fill", "#555"));
    doc.to_string()
}

/// The SVG rendered to PNG with the system's fonts.
pub fn svg_to_png(svg_text: &str) -> Result<Vec<u8>, ChartError> {
    let mut options = resvg::usvg::Options::default();
    options.fontdb_mut().load_system_fonts();
    let tree = resvg::usvg::Tree::from_str(svg_text, &options)
        .map_err(|e| ChartError::Svg(e.to_string()))?;
    let size = tree.size().to_int_size();
    let mut pixmap = resvg::tiny_skia::Pixmap::new(size.width(), size.height())
        .ok_or_else(|| ChartError::Png("empty image".to_owned()))?;
    resvg::render(
        &tree,
        resvg::tiny_skia::Transform::default(),
        &mut pixmap.as_mut(),
    );
    pixmap
        .encode_png()
        .map_err(|e| ChartError::Png(e.to_string()))
}

fn text(x: f64, y: f64, content: &str, size: u32, anchor: &str) -> Text {
    Text::new(content)
        .set("x", x)
        .set("y", y)
        .set("font-size", size)
        .set("text-anchor", anchor)
}

fn line(x1: f64, y1: f64, x2: f64, y2: f64, colour: &str, width: f64, dash: Option<&str>) -> Line {
    let l = Line::new()
        .set("x1", x1)
        .set("y1", y1)
        .set("x2", x2)
        .set("y2", y2)
        .set("stroke", colour)
        .set("stroke-width", width);
    match dash {
        Some(d) => l.set("stroke-dasharray", d),
        None => l,
    }
}

fn polyline(
    days: &[u32],
    values: &[f64],
    x: &impl Fn(u32) -> f64,
    panel: &Panel,
    colour: &str,
    dash: Option<&str>,
) -> Path {
    let mut data = Data::new();
    for (i, (d, v)) in days.iter().zip(values).enumerate() {
        let point = (x(*d), panel.y(*v));
        data = if i == 0 {
            data.move_to(point)
        } else {
            data.line_to(point)
        };
    }
    let path = Path::new()
        .set("d", data)
        .set("fill", "none")
        .set("stroke", colour)
        .set("stroke-width", 2);
    match dash {
        Some(d) => path.set("stroke-dasharray", d),
        None => path,
    }
}

/// A tick step of 1, 2 or 5 × 10^k giving about five ticks, and the axis end.
fn nice_axis(max: f64) -> (f64, f64) {
    let max = if max > 0.0 && max.is_finite() {
        max
    } else {
        1.0
    };
    let raw = max / 5.0;
    let magnitude = 10f64.powf(raw.log10().floor());
    let step = [1.0, 2.0, 5.0, 10.0]
        .iter()
        .map(|m| m * magnitude)
        .find(|s| *s >= raw)
        .unwrap_or(10.0 * magnitude);
    (step, (max / step).ceil() * step)
}

fn number(v: f64) -> String {
    if (v - v.round()).abs() < 1e-9 {
        format!("{}", v.round())
    } else {
        format!("{v:.1}")
    }
}
