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

/// The chart's size and type size. `WIDE` is the report and PNG chart;
/// `NARROW` is for a screen: drawn at about its own width on a phone, every
/// word stays at least 11 CSS px (web review D9).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Layout {
    pub width: f64,
    /// Type size of ticks and legend; titles and axis names a little larger.
    pub font: f64,
    pub panel_height: f64,
}

impl Layout {
    pub const WIDE: Layout = Layout {
        width: 900.0,
        font: 12.0,
        panel_height: 220.0,
    };
    pub const NARROW: Layout = Layout {
        width: 360.0,
        font: 12.0,
        panel_height: 170.0,
    };
}

const RIGHT: f64 = 12.0;
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

/// The chart as an SVG document, in the wide layout.
pub fn projection_svg(p: &Projection, labels: &Labels, limits: &[Limit]) -> String {
    projection_svg_in(p, labels, limits, Layout::WIDE)
}

/// The chart as an SVG document: a title and a note (each when not empty),
/// the serum and store panels, the x axis and a legend of one entry a line,
/// so that no two labels can overlap whatever their length.
pub fn projection_svg_in(p: &Projection, labels: &Labels, limits: &[Limit], l: Layout) -> String {
    let f = l.font;
    let left = f * 4.0 + 14.0;
    let plot = l.width - left - RIGHT;
    let horizon = p.days.last().copied().unwrap_or(0).max(1);
    let in_years = horizon > 2 * 365;
    let unit_days = if in_years { 365.0 } else { 7.0 };
    let x_max = f64::from(horizon) / unit_days;
    let x = |day: u32| left + plot * (f64::from(day) / unit_days) / x_max;

    let title_h = if labels.title.is_empty() {
        0.0
    } else {
        f * 2.4
    };
    let tops = [title_h + f, title_h + f + l.panel_height + f * 2.2];
    let axis_y = tops[1] + l.panel_height + f * 2.8;
    let legend_y = axis_y + f * 2.0;
    let note_y = legend_y + f * 1.6 * 3.0 + f * 0.4;
    let height = if labels.note.is_empty() {
        note_y - f
    } else {
        note_y + f
    };

    let mut doc = Document::new()
        .set("viewBox", (0, 0, l.width, height))
        .set("width", l.width)
        .set("height", height)
        .set("font-family", "DejaVu Sans, Arial, sans-serif")
        .add(
            Rectangle::new()
                .set("width", l.width)
                .set("height", height)
                .set("fill", "white"),
        );
    if !labels.title.is_empty() {
        doc = doc.add(text(left, f * 1.6, &labels.title, f * 1.5, "start"));
    }

    let panels = [
        (Marker::SerumB12, &labels.serum_axis, tops[0], limits),
        (Marker::StoreUg, &labels.store_axis, tops[1], &[][..]),
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
            height: l.panel_height,
            y_max,
        };
        // Frame, grid and y ticks.
        doc = doc.add(
            Rectangle::new()
                .set("x", left)
                .set("y", top)
                .set("width", plot)
                .set("height", panel.height)
                .set("fill", "none")
                .set("stroke", "#888"),
        );
        let mut tick = 0.0;
        while tick <= y_max + 1e-9 {
            let y = panel.y(tick);
            doc = doc
                .add(line(left, y, l.width - RIGHT, y, "#e5e5e5", 1.0, None))
                .add(text(left - 6.0, y + f * 0.35, &number(tick), f, "end"));
            tick += step;
        }
        let middle = top + panel.height / 2.0;
        doc = doc.add(
            text(f * 1.1, middle, axis, f, "middle")
                .set("transform", format!("rotate(-90 {} {middle})", f * 1.1)),
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
        for limit in lines {
            let y = panel.y(limit.value);
            doc = doc
                .add(line(left, y, l.width - RIGHT, y, LIMIT, 1.5, Some("4 3")))
                .add(
                    text(l.width - RIGHT - 4.0, y - 4.0, &limit.label, f, "end").set("fill", LIMIT),
                );
        }
        // X ticks.
        let (x_step, _) = nice_axis(x_max);
        let mut t = 0.0;
        while t <= x_max + 1e-9 {
            let px = left + plot * t / x_max;
            doc = doc.add(text(
                px,
                top + panel.height + f * 1.3,
                &number(t),
                f,
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
    doc = doc.add(text(left + plot / 2.0, axis_y, x_label, f, "middle"));
    // The legend: one entry a line.
    let row = |i: f64| legend_y + f * 1.6 * i;
    let swatch_x = left;
    let label_x = left + 36.0;
    doc = doc
        .add(line(
            swatch_x,
            row(0.0),
            swatch_x + 30.0,
            row(0.0),
            LINE,
            2.0,
            None,
        ))
        .add(text(
            label_x,
            row(0.0) + f * 0.35,
            &labels.default_run,
            f,
            "start",
        ))
        .add(line(
            swatch_x,
            row(1.0),
            swatch_x + 30.0,
            row(1.0),
            LINE,
            2.0,
            Some("6 4"),
        ))
        .add(text(
            label_x,
            row(1.0) + f * 0.35,
            &labels.median,
            f,
            "start",
        ))
        .add(
            Rectangle::new()
                .set("x", swatch_x)
                .set("y", row(2.0) - 5.0)
                .set("width", 30)
                .set("height", 10)
                .set("fill", BAND_FILL),
        )
        .add(text(label_x, row(2.0) + f * 0.35, &labels.band, f, "start"));
    if !labels.note.is_empty() {
        doc = doc.add(text(left, note_y, &labels.note, f, "start").set("fill", "#555"));
    }
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

fn text(x: f64, y: f64, content: &str, size: f64, anchor: &str) -> Text {
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
