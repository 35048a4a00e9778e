//! `kobalt simulate`: a body-store projection as a table, JSON and a chart.

use std::fmt::Write;

use anyhow::{Context, bail};
use kobalt_contract::{Audience, Guideline, Language};
use kobalt_kb::Knowledge;
use kobalt_kinetics::{
    Criterion, Marker, Options, PhaseSpec, Projection, ScenarioSpec, StartSpec, Treatment, project,
};
use serde::Serialize;

/// The scenario flags of the command line, before they become a `ScenarioSpec`.
#[derive(clap::Args)]
pub(crate) struct Flags {
    /// Diet of the first phase: omnivore, pescatarian, vegetarian, low_animal, vegan.
    #[arg(long)]
    pub diet: Option<String>,
    /// Intake from food instead of the diet's typical one, µg/day.
    #[arg(long)]
    pub food_ug: Option<f64>,
    /// A condition (repeatable): pernicious_anaemia, acid_suppression, gastric_bypass,
    /// sleeve_gastrectomy, ileal_resection.
    #[arg(long = "condition")]
    pub conditions: Vec<String>,
    /// Starting stores: omnivore (default), pernicious-anaemia (at diagnosis) or µg.
    #[arg(long)]
    pub start: Option<String>,
    /// Length of the first phase in years.
    #[arg(long, default_value_t = 5.0)]
    pub years: f64,
    /// A treatment for a second phase, e.g. 'oral 1000 ug daily'.
    #[arg(long)]
    pub then: Option<String>,
    /// Length of the treatment phase in years.
    #[arg(long, default_value_t = 2.0)]
    pub then_years: f64,
    /// Recreational nitrous oxide in the first phase, 8-g cartridges per day.
    #[arg(long, default_value_t = 0.0)]
    pub n2o_cartridges: f64,
    /// Pregnant during the first phase (extra loss).
    #[arg(long)]
    pub pregnant: bool,
}

impl Flags {
    pub(crate) fn scenario(&self) -> anyhow::Result<ScenarioSpec> {
        let start = match self.start.as_deref() {
            None | Some("omnivore") => StartSpec::Omnivore,
            Some("pernicious-anaemia" | "pernicious_anaemia") => {
                StartSpec::PerniciousAnaemiaAtDiagnosis
            }
            Some(other) => StartSpec::StoreUg(other.parse().with_context(|| {
                format!("--start: '{other}' is not omnivore, pernicious-anaemia or a store in µg")
            })?),
        };
        let first = PhaseSpec {
            years: Some(self.years),
            diet: self.diet.clone(),
            food_ug_per_day: self.food_ug,
            conditions: self.conditions.clone(),
            n2o_cartridges_per_day: self.n2o_cartridges,
            pregnant: self.pregnant,
            ..PhaseSpec::default()
        };
        let mut phases = vec![first.clone()];
        if let Some(t) = &self.then {
            let treatment = Treatment::parse(t).context("--then")?;
            phases.push(PhaseSpec {
                years: Some(self.then_years),
                treatment: Some(treatment),
                n2o_cartridges_per_day: 0.0,
                ..first
            });
        }
        Ok(ScenarioSpec { start, phases })
    }
}

pub(crate) struct Output<'a> {
    pub kb: &'a Knowledge,
    pub guideline: Guideline,
    pub language: Language,
}

#[derive(Serialize)]
struct Document<'a> {
    schema: &'static str,
    model: &'static str,
    knowledge_version: &'a str,
    guideline: Guideline,
    scenario: &'a ScenarioSpec,
    limits: Vec<LimitOut>,
    projection: &'a Projection,
}

#[derive(Serialize)]
struct LimitOut {
    id: &'static str,
    marker: Marker,
    value: f64,
}

impl Output<'_> {
    fn m(&self, id: &str) -> String {
        self.kb
            .message(id, self.language, Audience::Clinician)
            .to_owned()
    }

    fn limits(&self) -> Vec<LimitOut> {
        let mut out = Vec::new();
        for (id, analyte, name, marker) in [
            ("b12_total_low", "b12_total", "low", Marker::SerumB12),
            ("b12_total_high", "b12_total", "high", Marker::SerumB12),
            ("mma_high", "mma", "high", Marker::Mma),
        ] {
            if let Some(value) = self.kb.limit(self.guideline, analyte, name) {
                out.push(LimitOut { id, marker, value });
            }
        }
        out
    }

    fn criteria(&self) -> Vec<(String, Criterion)> {
        let limits = self.limits();
        let get = |id: &str| limits.iter().find(|l| l.id == id).map(|l| l.value);
        let mut out = Vec::new();
        if let Some(low) = get("b12_total_low") {
            for (below, msg) in [
                (true, "report-sim-serum-below"),
                (false, "report-sim-serum-above"),
            ] {
                out.push((
                    self.m(msg),
                    Criterion {
                        marker: Marker::SerumB12,
                        below,
                        threshold: low,
                    },
                ));
            }
        }
        if let Some(high) = get("mma_high") {
            for (below, msg) in [
                (false, "report-sim-mma-above"),
                (true, "report-sim-mma-below"),
            ] {
                out.push((
                    self.m(msg),
                    Criterion {
                        marker: Marker::Mma,
                        below,
                        threshold: high,
                    },
                ));
            }
        }
        out
    }

    pub(crate) fn run(&self, spec: &ScenarioSpec, options: Options) -> anyhow::Result<Run> {
        let scenario = spec.build(&self.kb.kinetics)?;
        let criteria = self.criteria();
        let plain: Vec<Criterion> = criteria.iter().map(|(_, c)| *c).collect();
        let projection = project(&self.kb.kinetics, &scenario, &plain, options);
        Ok(Run {
            projection,
            names: criteria.into_iter().map(|(n, _)| n).collect(),
        })
    }

    pub(crate) fn json(&self, spec: &ScenarioSpec, run: &Run) -> anyhow::Result<String> {
        Ok(serde_json::to_string_pretty(&Document {
            schema: "kobalt.projection/v1",
            model: "proposed kinetics model (docs/kinetics-model.md), not validated: a model estimate",
            knowledge_version: &self.kb.version,
            guideline: self.guideline,
            scenario: spec,
            limits: self.limits(),
            projection: &run.projection,
        })?)
    }

    pub(crate) fn text(&self, run: &Run) -> String {
        let p = &run.projection;
        let mut s = String::new();
        let _ = writeln!(
            s,
            "{} — {} ({} {}, {} {})\n",
            self.m("report-sim-title"),
            self.m(&format!("guideline-{}", self.guideline)),
            p.draws,
            self.m("report-sim-draws"),
            self.m("report-sim-seed"),
            p.seed
        );
        let day_word = self.m("report-sim-day");
        let when = |day: f64| {
            if day >= 2.0 * 365.0 {
                format!("{:.1} {}", day / 365.0, self.m("report-sim-years"))
            } else if day >= 14.0 {
                format!("{:.0} {}", day / 7.0, self.m("report-sim-weeks"))
            } else {
                format!("{day_word} {day:.0}")
            }
        };
        let _ = writeln!(s, "{}:", self.m("report-sim-when"));
        for (name, c) in run.names.iter().zip(&p.crossings) {
            // A criterion already met on day 0 tells nothing about the course.
            if c.default_day == Some(0) {
                continue;
            }
            let range = match (c.p5_day, c.median_day, c.p95_day) {
                (Some(a), Some(m), Some(b)) => format!("{} ({}–{})", when(m), when(a), when(b)),
                (Some(a), Some(m), None) => format!("{} ({}–…)", when(m), when(a)),
                _ => self.m("report-sim-never"),
            };
            let _ = writeln!(
                s,
                "  - {name} ({}): {range}; {:.0} % {}",
                number(c.criterion.threshold),
                c.reached * 100.0,
                self.m("report-sim-reached")
            );
        }
        let _ = writeln!(
            s,
            "\n{:>10}  {:>22}  {:>20}  {:>16}  {:>18}  {:>16}",
            self.m("report-sim-time"),
            self.m("report-sim-store"),
            self.m("report-sim-serum"),
            self.m("report-sim-holotc"),
            self.m("report-sim-mma"),
            self.m("report-sim-hcy"),
        );
        let rows = 16usize;
        let step = (p.days.len() / rows).max(1);
        let mut indices: Vec<usize> = (0..p.days.len()).step_by(step).collect();
        if indices.last() != Some(&(p.days.len() - 1)) {
            indices.push(p.days.len() - 1);
        }
        let horizon = f64::from(p.days.last().copied().unwrap_or(0));
        let row_time = |day: f64| {
            if horizon > 2.0 * 365.0 {
                format!("{:.1} {}", day / 365.0, self.m("report-sim-years"))
            } else {
                format!("{:.0} {}", day / 7.0, self.m("report-sim-weeks"))
            }
        };
        for i in indices {
            let cell = |m: Marker| {
                let shown = |v: f64| {
                    if m == Marker::SerumB12 && v > kobalt_kinetics::SERUM_SHOWN_MAX {
                        format!(">{}", number(kobalt_kinetics::SERUM_SHOWN_MAX))
                    } else {
                        number(v)
                    }
                };
                p.series(m)
                    .and_then(|series| series.bands.get(i))
                    .map(|b| format!("{} [{}–{}]", shown(b.median), shown(b.p5), shown(b.p95)))
                    .unwrap_or_default()
            };
            let _ = writeln!(
                s,
                "{:>10}  {:>22}  {:>20}  {:>16}  {:>18}  {:>16}",
                row_time(f64::from(p.days[i])),
                cell(Marker::StoreUg),
                cell(Marker::SerumB12),
                cell(Marker::Holotc),
                cell(Marker::Mma),
                cell(Marker::Hcy),
            );
        }
        let _ = writeln!(s, "\n{}", self.m("report-sim-note"));
        s
    }

    pub(crate) fn chart(&self, run: &Run) -> String {
        let labels = kobalt_chart::Labels {
            title: format!(
                "{} — {}",
                self.m("report-sim-title"),
                self.m(&format!("guideline-{}", self.guideline))
            ),
            serum_axis: self.m("report-sim-serum-axis"),
            store_axis: self.m("report-sim-store-axis"),
            years: self.m("report-sim-years"),
            weeks: self.m("report-sim-weeks"),
            band: self.m("report-sim-band"),
            median: self.m("report-sim-median"),
            default_run: self.m("report-sim-default"),
            note: self.m("report-sim-note"),
        };
        let limits: Vec<kobalt_chart::Limit> = self
            .limits()
            .into_iter()
            .filter(|l| l.marker == Marker::SerumB12)
            .map(|l| kobalt_chart::Limit {
                label: format!(
                    "{} {} pmol/L",
                    self.m(if l.id == "b12_total_low" {
                        "report-sim-limit-low"
                    } else {
                        "report-sim-limit-high"
                    }),
                    number(l.value)
                ),
                value: l.value,
            })
            .collect();
        kobalt_chart::projection_svg(&run.projection, &labels, &limits)
    }
}

pub(crate) struct Run {
    pub projection: Projection,
    names: Vec<String>,
}

/// Reads a scenario file (`kobalt.scenario` JSON: `ScenarioSpec`).
pub(crate) fn read_scenario(text: &str, origin: &str) -> anyhow::Result<ScenarioSpec> {
    let de = &mut serde_json::Deserializer::from_str(text);
    match serde_path_to_error::deserialize(de) {
        Ok(spec) => Ok(spec),
        Err(e) => bail!("{origin}: at {}: {}", e.path(), e.inner()),
    }
}

fn number(v: f64) -> String {
    if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}
