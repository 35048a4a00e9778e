//! Counts of a screening run (mergeable across workers) and their text, JSON
//! and self-contained HTML renderings.

use std::fmt::Write;

use kobalt_contract::B12Category;
use kobalt_engine::screen::{Flag, RiskGroup, Screened};
use serde::Serialize;

pub const AGE_BANDS: [&str; 6] = ["unknown", "0-17", "18-39", "40-64", "65-79", "80+"];
pub const CATEGORIES: [B12Category; 4] = [
    B12Category::Deficient,
    B12Category::Indeterminate,
    B12Category::Unlikely,
    B12Category::NotTested,
];
pub const RISKS: [RiskGroup; 3] = [RiskGroup::Medication, RiskGroup::Age65, RiskGroup::None];
/// Total B12 histogram: 10 pmol/L bins up to 1500, then one bin above.
pub const B12_BIN: f64 = 10.0;
pub const B12_BINS: usize = 151;

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Summary {
    /// Input rows (lines of a wide export, observations of a long one).
    pub rows_in: u64,
    /// Rows used: output rows (wide) or observations merged into a patient (long).
    pub rows_out: u64,
    pub rows_rejected: u64,
    /// Patients in the output.
    pub patients: u64,
    pub by_status: [u64; 4],
    pub by_risk: [u64; 3],
    pub by_flag: [u64; 3],
    /// status × age band.
    pub status_by_age: [[u64; 6]; 4],
    pub b12_histogram: Vec<u64>,
}

impl Default for Summary {
    fn default() -> Self {
        Summary {
            rows_in: 0,
            rows_out: 0,
            rows_rejected: 0,
            patients: 0,
            by_status: [0; 4],
            by_risk: [0; 3],
            by_flag: [0; 3],
            status_by_age: [[0; 6]; 4],
            b12_histogram: vec![0; B12_BINS],
        }
    }
}

/// Where one patient was counted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Counted {
    category: u8,
    risk: u8,
    flags: u8,
    age_band: u8,
    b12_bin: u16,
}

impl Counted {
    /// What the CSV row after the id depends on (status, risk group, flags), as one index.
    pub(crate) fn key(&self) -> usize {
        (usize::from(self.category) * RISKS.len() + usize::from(self.risk)) << Flag::ALL.len()
            | usize::from(self.flags)
    }
}

pub fn age_band(age: Option<f64>) -> usize {
    match age {
        None => 0,
        Some(a) if a < 18.0 => 1,
        Some(a) if a < 40.0 => 2,
        Some(a) if a < 65.0 => 3,
        Some(a) if a < 80.0 => 4,
        Some(_) => 5,
    }
}

pub(crate) fn category_index(c: B12Category) -> usize {
    CATEGORIES.iter().position(|x| *x == c).unwrap_or(3)
}

pub(crate) fn risk_index(r: RiskGroup) -> usize {
    RISKS.iter().position(|x| *x == r).unwrap_or(2)
}

impl Summary {
    /// Counts one patient; the returned indices take it off again (`uncount`).
    pub fn count(&mut self, s: &Screened, age: Option<f64>, b12: Option<f64>) -> Counted {
        let counted = Counted {
            category: category_index(s.category) as u8,
            risk: risk_index(s.risk) as u8,
            flags: s.flag_bits(),
            age_band: age_band(age) as u8,
            b12_bin: b12.map_or(u16::MAX, |v| {
                ((v / B12_BIN) as usize).min(B12_BINS - 1) as u16
            }),
        };
        self.tally(counted, true);
        counted
    }

    /// Takes a counted patient off again (a duplicate found later).
    pub fn uncount(&mut self, c: Counted) {
        self.tally(c, false);
    }

    fn tally(&mut self, c: Counted, add: bool) {
        let step = |n: &mut u64| {
            if add {
                *n += 1;
            } else {
                *n = n.saturating_sub(1);
            }
        };
        step(&mut self.patients);
        step(&mut self.by_status[c.category as usize]);
        step(&mut self.by_risk[c.risk as usize]);
        for i in 0..Flag::ALL.len() {
            if c.flags & (1 << i) != 0 {
                step(&mut self.by_flag[i]);
            }
        }
        step(&mut self.status_by_age[c.category as usize][c.age_band as usize]);
        if c.b12_bin != u16::MAX {
            step(&mut self.b12_histogram[c.b12_bin as usize]);
        }
    }

    pub fn merge(&mut self, o: &Summary) {
        self.rows_in += o.rows_in;
        self.rows_out += o.rows_out;
        self.rows_rejected += o.rows_rejected;
        self.patients += o.patients;
        for i in 0..4 {
            self.by_status[i] += o.by_status[i];
            for j in 0..6 {
                self.status_by_age[i][j] += o.status_by_age[i][j];
            }
        }
        for i in 0..3 {
            self.by_risk[i] += o.by_risk[i];
            self.by_flag[i] += o.by_flag[i];
        }
        for (a, b) in self.b12_histogram.iter_mut().zip(&o.b12_histogram) {
            *a += b;
        }
    }

    /// The row-conservation check: every row is in the output or in the rejects.
    pub fn conserved(&self) -> bool {
        self.rows_in == self.rows_out + self.rows_rejected
    }

    pub fn text(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "patients by status:");
        for (c, n) in CATEGORIES.iter().zip(self.by_status) {
            let _ = writeln!(s, "  {:<15} {n}", c.as_str());
        }
        let _ = writeln!(s, "patients by risk group:");
        for (r, n) in RISKS.iter().zip(self.by_risk) {
            let _ = writeln!(s, "  {:<21} {n}", r.as_str());
        }
        let _ = writeln!(s, "flags:");
        for (f, n) in Flag::ALL.iter().zip(self.by_flag) {
            let _ = writeln!(s, "  {:<29} {n}", f.as_str());
        }
        let _ = writeln!(s, "status by age band:");
        let _ = writeln!(
            s,
            "  {:<15}{}",
            "",
            AGE_BANDS
                .iter()
                .map(|b| format!("{b:>10}"))
                .collect::<String>()
        );
        for (c, row) in CATEGORIES.iter().zip(self.status_by_age) {
            let _ = writeln!(
                s,
                "  {:<15}{}",
                c.as_str(),
                row.iter().map(|n| format!("{n:>10}")).collect::<String>()
            );
        }
        let _ = writeln!(
            s,
            "rows in {} = rows used {} + rows rejected {}: {} ({} patients out)",
            self.rows_in,
            self.rows_out,
            self.rows_rejected,
            if self.conserved() { "ok" } else { "MISMATCH" },
            self.patients
        );
        s
    }

    pub fn json(&self, limits: &[(String, f64)]) -> serde_json::Value {
        serde_json::json!({
            "rows_in": self.rows_in,
            "rows_out": self.rows_out,
            "rows_rejected": self.rows_rejected,
            "patients": self.patients,
            "conserved": self.conserved(),
            "by_status": CATEGORIES.iter().zip(self.by_status).map(|(c, n)| (c.as_str(), n)).collect::<std::collections::BTreeMap<_, _>>(),
            "by_risk_group": RISKS.iter().zip(self.by_risk).map(|(r, n)| (r.as_str(), n)).collect::<std::collections::BTreeMap<_, _>>(),
            "by_flag": Flag::ALL.iter().zip(self.by_flag).map(|(f, n)| (f.as_str(), n)).collect::<std::collections::BTreeMap<_, _>>(),
            "status_by_age_band": CATEGORIES.iter().zip(self.status_by_age).map(|(c, row)| {
                (c.as_str(), AGE_BANDS.iter().zip(row).map(|(b, n)| (*b, n)).collect::<std::collections::BTreeMap<_, _>>())
            }).collect::<std::collections::BTreeMap<_, _>>(),
            "b12_histogram": { "bin_pmol_per_l": B12_BIN, "counts": self.b12_histogram },
            "decision_limits_pmol_per_l": limits.iter().map(|(k, v)| (k.clone(), *v)).collect::<std::collections::BTreeMap<_, _>>(),
        })
    }

    /// A self-contained page (inline SVG and styles, no scripts).
    pub fn html(&self, title: &str, limits: &[(String, f64)]) -> String {
        let mut svg = String::new();
        // B12 distribution against the decision limits.
        let (w, h, left, bottom) = (760.0, 260.0, 50.0, 30.0);
        let max = self.b12_histogram.iter().copied().max().unwrap_or(1).max(1) as f64;
        let bins = self.b12_histogram.len() as f64;
        let bw = (w - left - 10.0) / bins;
        let _ = write!(
            svg,
            "<svg viewBox=\"0 0 {w} {h}\" width=\"{w}\" height=\"{h}\" role=\"img\" aria-label=\"Distribution of total B12 with the decision limits\">"
        );
        for (i, n) in self.b12_histogram.iter().enumerate() {
            let bh = (h - bottom - 10.0) * (*n as f64) / max;
            let _ = write!(
                svg,
                "<rect x=\"{:.1}\" y=\"{:.1}\" width=\"{:.2}\" height=\"{:.1}\" fill=\"#6baed6\"/>",
                left + i as f64 * bw,
                h - bottom - bh,
                bw.max(0.5),
                bh
            );
        }
        for (name, v) in limits {
            let x = left + (v / B12_BIN) * bw;
            let _ = write!(
                svg,
                "<line x1=\"{x:.1}\" y1=\"10\" x2=\"{x:.1}\" y2=\"{:.1}\" stroke=\"#b00020\" stroke-dasharray=\"4 3\"/><text x=\"{:.1}\" y=\"20\" font-size=\"11\" fill=\"#b00020\">{} {}</text>",
                h - bottom,
                x + 3.0,
                escape(name),
                v.round()
            );
        }
        for tick in (0..=1500).step_by(250) {
            let x = left + (tick as f64 / B12_BIN) * bw;
            let _ = write!(
                svg,
                "<text x=\"{x:.1}\" y=\"{:.1}\" font-size=\"11\" text-anchor=\"middle\">{tick}</text>",
                h - 12.0
            );
        }
        svg.push_str("</svg>");
        // Status by age band: stacked bars.
        let mut bars = String::new();
        let colours = ["#de2d26", "#fdae6b", "#74c476", "#bdbdbd"];
        let (bw2, gap, bh2) = (90.0, 30.0, 220.0);
        let _ = write!(
            bars,
            "<svg viewBox=\"0 0 {0} 300\" width=\"{0}\" height=\"300\" role=\"img\" aria-label=\"Status by age band\">",
            6.0 * (bw2 + gap) + 40.0
        );
        for (j, band) in AGE_BANDS.iter().enumerate() {
            let total: u64 = (0..4).map(|i| self.status_by_age[i][j]).sum();
            let mut y = 20.0 + bh2;
            let x = 30.0 + j as f64 * (bw2 + gap);
            for (i, colour) in colours.iter().enumerate() {
                let n = self.status_by_age[i][j];
                let hh = if total == 0 {
                    0.0
                } else {
                    bh2 * n as f64 / total as f64
                };
                y -= hh;
                let _ = write!(
                    bars,
                    "<rect x=\"{x:.1}\" y=\"{y:.1}\" width=\"{bw2}\" height=\"{hh:.1}\" fill=\"{colour}\"><title>{} {band}: {n}</title></rect>",
                    CATEGORIES[i].as_str()
                );
            }
            let _ = write!(
                bars,
                "<text x=\"{:.1}\" y=\"{:.1}\" font-size=\"12\" text-anchor=\"middle\">{band} ({total})</text>",
                x + bw2 / 2.0,
                20.0 + bh2 + 18.0
            );
        }
        bars.push_str("</svg>");
        let legend: String = CATEGORIES
            .iter()
            .zip(colours)
            .map(|(c, col)| {
                format!(
                    "<span class=\"key\"><svg width=\"12\" height=\"12\" aria-hidden=\"true\"><rect width=\"12\" height=\"12\" fill=\"{col}\"/></svg> {}</span>",
                    c.as_str()
                )
            })
            .collect();
        let rows: String = CATEGORIES
            .iter()
            .zip(self.by_status)
            .map(|(c, n)| format!("<tr><th scope=\"row\">{}</th><td>{n}</td></tr>", c.as_str()))
            .collect();
        format!(
            "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{t}</title><style>body{{font-family:sans-serif;max-width:60rem;margin:1rem auto;color:#1a1a1a}}table{{border-collapse:collapse}}td,th{{padding:.2rem .8rem;text-align:left;border-bottom:1px solid #ddd}}.key{{margin-right:1rem}}</style></head><body><h1>{t}</h1><p>Rows in {ri} = rows out {ro} + rows rejected {rr}: {ok}</p><h2>Patients by status</h2><table>{rows}</table><h2>Total B12 against the decision limits (pmol/L)</h2>{svg}<h2>Status by age band</h2><p>{legend}</p>{bars}<p>Kobalt supports a decision; it does not diagnose.</p></body></html>",
            t = escape(title),
            ri = self.rows_in,
            ro = self.rows_out,
            rr = self.rows_rejected,
            ok = if self.conserved() { "ok" } else { "MISMATCH" },
        )
    }
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}
