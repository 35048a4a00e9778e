//! Monte Carlo projections: the scenario run with parameters drawn from their
//! ranges, reported as the median and the 5-95 % band. Seeded, so a
//! projection repeats exactly.

use rand::SeedableRng;
use rand_chacha::ChaCha8Rng;
use serde::Serialize;

use crate::model::{Point, Scenario, run};
use crate::params::ParamSet;

/// A read-out of the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Marker {
    StoreUg,
    SerumB12,
    Holotc,
    Mma,
    Hcy,
}

impl Marker {
    pub const ALL: [Marker; 5] = [
        Marker::StoreUg,
        Marker::SerumB12,
        Marker::Holotc,
        Marker::Mma,
        Marker::Hcy,
    ];

    pub fn of(self, p: &Point) -> f64 {
        match self {
            Marker::StoreUg => p.store_ug,
            Marker::SerumB12 => p.serum_b12,
            Marker::Holotc => p.holotc,
            Marker::Mma => p.mma,
            Marker::Hcy => p.hcy,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Marker::StoreUg => "store_ug",
            Marker::SerumB12 => "serum_b12",
            Marker::Holotc => "holotc",
            Marker::Mma => "mma",
            Marker::Hcy => "hcy",
        }
    }

    pub fn unit(self) -> &'static str {
        match self {
            Marker::StoreUg => "µg",
            Marker::SerumB12 | Marker::Holotc => "pmol/L",
            Marker::Mma | Marker::Hcy => "µmol/L",
        }
    }
}

/// "The first day on which `marker` is below (or above) `threshold`".
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Criterion {
    pub marker: Marker,
    pub below: bool,
    pub threshold: f64,
}

impl Criterion {
    fn holds(&self, p: &Point) -> bool {
        let v = self.marker.of(p);
        if self.below {
            v < self.threshold
        } else {
            v > self.threshold
        }
    }
}

/// The 5th percentile, median and 95th percentile.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Band {
    pub p5: f64,
    pub median: f64,
    pub p95: f64,
}

/// When a criterion was first met across the draws. Draws that never met it
/// within the horizon count as "later than the horizon": a percentile that
/// falls among them is `None`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Crossing {
    pub criterion: Criterion,
    /// Day of the deterministic (default-parameter) run.
    pub default_day: Option<u32>,
    pub p5_day: Option<f64>,
    pub median_day: Option<f64>,
    pub p95_day: Option<f64>,
    /// Share of draws that met it within the horizon.
    pub reached: f64,
}

#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Series {
    pub marker: Marker,
    pub unit: &'static str,
    /// The run with default parameters.
    pub default: Vec<f64>,
    pub bands: Vec<Band>,
}

/// A projection: read-outs every `every_days` days (and on the last day).
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Projection {
    pub days: Vec<u32>,
    pub series: Vec<Series>,
    pub crossings: Vec<Crossing>,
    pub draws: usize,
    pub seed: u64,
}

impl Projection {
    pub fn series(&self, marker: Marker) -> Option<&Series> {
        self.series.iter().find(|s| s.marker == marker)
    }
}

/// How a projection is run.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Options {
    /// Monte Carlo draws (0: the default-parameter run only).
    pub draws: usize,
    pub seed: u64,
    /// Report every this many days (and the last day).
    pub every_days: u32,
    /// Threads to share the draws; the result does not depend on it.
    pub threads: usize,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            draws: 1000,
            seed: 1,
            every_days: 7,
            threads: 1,
        }
    }
}

/// What one run records: read-outs on the reported days, first crossings.
struct Recorder<'a> {
    report_days: &'a [u32],
    criteria: &'a [Criterion],
    values: &'a mut [f64],
    next: usize,
    first: Vec<Option<u32>>,
}

impl Recorder<'_> {
    fn visit(&mut self, pt: &Point) {
        if self.report_days.get(self.next) == Some(&pt.day) {
            let n = self.report_days.len();
            for (i, m) in Marker::ALL.iter().enumerate() {
                self.values[i * n + self.next] = m.of(pt);
            }
            self.next += 1;
        }
        for (c, f) in self.criteria.iter().zip(self.first.iter_mut()) {
            if f.is_none() && c.holds(pt) {
                *f = Some(pt.day);
            }
        }
    }
}

/// Runs the scenario once with the default parameters and `options.draws`
/// times with drawn ones. Each draw has its own random stream, so the result
/// is the same whatever the number of threads.
pub fn project(
    set: &ParamSet,
    scenario: &Scenario,
    criteria: &[Criterion],
    options: Options,
) -> Projection {
    let every = options.every_days.max(1);
    let draws = options.draws;
    let horizon = scenario.days();
    let days: Vec<u32> = (0..=horizon)
        .filter(|d| d % every == 0 || *d == horizon)
        .collect();
    let n = days.len();
    let per_run = n * Marker::ALL.len();

    let mut default_values = vec![0.0; per_run];
    let mut recorder = Recorder {
        report_days: &days,
        criteria,
        values: &mut default_values,
        next: 0,
        first: vec![None; criteria.len()],
    };
    run(&set.defaults(), scenario, 1.0, |pt| recorder.visit(pt));
    let default_days = recorder.first;

    // values[draw][marker][point], draws in contiguous blocks per thread.
    let mut values = vec![0.0; draws * per_run];
    let mut crossing_days = vec![vec![f64::INFINITY; draws]; criteria.len()];
    let mut firsts: Vec<Vec<Option<u32>>> = vec![Vec::new(); draws];
    let threads = options.threads.clamp(1, draws.max(1));
    let chunk = draws.div_ceil(threads).max(1);
    std::thread::scope(|scope| {
        for (block, (vals, fs)) in values
            .chunks_mut(chunk * per_run)
            .zip(firsts.chunks_mut(chunk))
            .enumerate()
        {
            let days = &days;
            scope.spawn(move || {
                for (i, (v, f)) in vals.chunks_mut(per_run).zip(fs.iter_mut()).enumerate() {
                    let draw = block * chunk + i;
                    let mut rng = ChaCha8Rng::seed_from_u64(options.seed);
                    rng.set_stream(draw as u64);
                    let p = set.draw(&mut rng);
                    let mut recorder = Recorder {
                        report_days: days,
                        criteria,
                        values: v,
                        next: 0,
                        first: vec![None; criteria.len()],
                    };
                    run(&p, scenario, p.s0_factor, |pt| recorder.visit(pt));
                    *f = recorder.first;
                }
            });
        }
    });
    for (draw, first) in firsts.iter().enumerate() {
        for (c, f) in first.iter().enumerate() {
            crossing_days[c][draw] = f.map_or(f64::INFINITY, f64::from);
        }
    }

    let mut column = vec![0.0; draws];
    let series = Marker::ALL
        .iter()
        .enumerate()
        .map(|(mi, m)| Series {
            marker: *m,
            unit: m.unit(),
            default: default_values[mi * n..(mi + 1) * n].to_vec(),
            bands: if draws == 0 {
                Vec::new()
            } else {
                (0..n)
                    .map(|point| {
                        for (draw, c) in column.iter_mut().enumerate() {
                            *c = values[draw * per_run + mi * n + point];
                        }
                        band(&mut column)
                    })
                    .collect()
            },
        })
        .collect();
    let crossings = criteria
        .iter()
        .zip(crossing_days.iter_mut())
        .zip(default_days)
        .map(|((c, days), default_day)| {
            let finite = |x: f64| x.is_finite().then_some(x);
            let reached = if draws == 0 {
                0.0
            } else {
                days.iter().filter(|d| d.is_finite()).count() as f64 / draws as f64
            };
            let b = (draws > 0).then(|| band(days));
            Crossing {
                criterion: *c,
                default_day,
                p5_day: b.and_then(|b| finite(b.p5)),
                median_day: b.and_then(|b| finite(b.median)),
                p95_day: b.and_then(|b| finite(b.p95)),
                reached,
            }
        })
        .collect();
    Projection {
        days,
        series,
        crossings,
        draws,
        seed: options.seed,
    }
}

/// Percentiles by the nearest-rank method (reorders `values`): three
/// selections instead of a sort, as this runs for every reported day.
fn band(values: &mut [f64]) -> Band {
    let n = values.len();
    let rank = |q: f64| ((q * n as f64).ceil() as usize).clamp(1, n) - 1;
    let (r5, r50, r95) = (rank(0.05), rank(0.5), rank(0.95));
    let (_, &mut median, upper) = values.select_nth_unstable_by(r50, f64::total_cmp);
    let p95 = if r95 > r50 {
        *upper
            .select_nth_unstable_by(r95 - r50 - 1, f64::total_cmp)
            .1
    } else {
        median
    };
    let p5 = if r5 < r50 {
        *values[..r50].select_nth_unstable_by(r5, f64::total_cmp).1
    } else {
        median
    };
    Band { p5, median, p95 }
}
