//! The daily update of kinetics.md section 4.7 (docs/kinetics-model.md, "One
//! day of the model"), in exactly that order: the expected numbers of section
//! 9 were produced by it.

use serde::{Deserialize, Serialize};

use crate::params::{ConditionSetting, Params};

/// The cobalamin form of an injection: retention differs (section 4.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Form {
    Cyanocobalamin,
    Hydroxocobalamin,
}

/// Multipliers of the intrinsic-factor route, the ileum and the release of
/// food-bound B12 (1 = normal).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Absorption {
    pub f_if: f64,
    pub f_ileum: f64,
    pub f_rel: f64,
}

impl Default for Absorption {
    fn default() -> Self {
        Absorption {
            f_if: 1.0,
            f_ileum: 1.0,
            f_rel: 1.0,
        }
    }
}

impl Absorption {
    /// Adds a condition: multipliers of several conditions combine by product.
    pub fn with(self, c: &ConditionSetting) -> Absorption {
        Absorption {
            f_if: self.f_if * c.f_if,
            f_ileum: self.f_ileum * c.f_ileum,
            f_rel: self.f_rel * c.f_rel,
        }
    }
}

/// A crystalline oral dose taken every `every_days` days (fasting, one event).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OralDose {
    pub ug: f64,
    pub every_days: u32,
}

/// An intramuscular dose on a day of the phase (1 = its first day).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Injection {
    pub day: u32,
    pub form: Form,
    pub ug: f64,
}

/// Injections repeated every `every_days` days from `first_day` (1-based) of the phase.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct RepeatedInjection {
    pub first_day: u32,
    pub every_days: u32,
    pub form: Form,
    pub ug: f64,
}

/// A stretch of days with the same diet, absorption, doses and exposure. Day
/// `k` of a phase (1-based) is its `k`-th daily update; events on that day
/// (doses, exposure) enter that update, as in kinetics.md section 9.
#[derive(Clone, Debug, PartialEq)]
pub struct Phase {
    pub days: u32,
    pub food_ug_per_day: f64,
    pub meals: u32,
    pub absorption: Absorption,
    pub oral: Option<OralDose>,
    pub injections: Vec<Injection>,
    pub repeated_injection: Option<RepeatedInjection>,
    /// Recreational use, as 8-g cartridges per day.
    pub n2o_cartridges_per_day: f64,
    /// Anaesthesia and the like: (day of the phase, 1-based; fraction × hours).
    pub n2o_exposures: Vec<(u32, f64)>,
    /// Extra physiological loss (pregnancy, lactation), µg/day.
    pub l_extra: f64,
}

impl Phase {
    /// A phase of `days` on a diet of `food_ug_per_day` in `meals` meals, nothing else.
    pub fn diet(days: u32, food_ug_per_day: f64, meals: u32) -> Phase {
        Phase {
            days,
            food_ug_per_day,
            meals: meals.max(1),
            absorption: Absorption::default(),
            oral: None,
            injections: Vec::new(),
            repeated_injection: None,
            n2o_cartridges_per_day: 0.0,
            n2o_exposures: Vec::new(),
            l_extra: 0.0,
        }
    }
}

/// The state before the first day.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Start {
    pub store_ug: f64,
    pub pool_ug: f64,
    /// Defaults to the steady state of the starting stores.
    pub mma: Option<f64>,
    pub hcy: Option<f64>,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    pub start: Start,
    pub phases: Vec<Phase>,
}

impl Scenario {
    pub fn days(&self) -> u32 {
        self.phases.iter().map(|p| p.days).sum()
    }
}

/// The state after `day` daily updates (day 0: the start). `phi` is the
/// within-day average activity of methionine synthase on that day.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Point {
    pub day: u32,
    pub store_ug: f64,
    pub pool_ug: f64,
    pub serum_b12: f64,
    pub holotc: f64,
    pub mma: f64,
    pub hcy: f64,
    pub phi: f64,
    pub psi: f64,
}

/// Absorbed µg from one event: the saturable intrinsic-factor route plus,
/// for crystalline B12, the passive route (section 4.1).
pub fn absorbed(p: &Params, a: Absorption, food_ug: f64, crystalline_ug: f64) -> f64 {
    let d_eff = p.beta * a.f_rel * food_ug + crystalline_ug;
    let if_route = a.f_if * a.f_ileum * p.amax * (1.0 - (-p.f0 * d_eff / p.amax).exp());
    if_route + p.p_passive * crystalline_ug
}

/// µg retained from an intramuscular dose (section 4.2).
pub fn retained(p: &Params, form: Form, dose_ug: f64) -> f64 {
    let (cap, rho) = match form {
        Form::Cyanocobalamin => (p.cn_dcap, p.cn_rho),
        Form::Hydroxocobalamin => (p.oh_dcap, p.oh_rho),
    };
    dose_ug.min(cap * (1.0 - (-dose_ug / cap).exp()) + rho * dose_ug)
}

/// Store loss rate per day (section 4.3).
pub fn k_store(p: &Params, a: Absorption) -> f64 {
    p.k_other + p.b_bile * (1.0 - p.r0 * a.f_if * a.f_ileum)
}

struct Readout {
    serum: f64,
    holotc: f64,
    g: f64,
}

fn readout(p: &Params, store: f64, pool: f64, psi: f64) -> Readout {
    let scaled = if store > 0.0 {
        (store / p.s_ref).powf(p.gamma)
    } else {
        0.0
    };
    let serum = p.b_ref * scaled + p.alpha_c * pool;
    let holotc = p.h_s * scaled + p.alpha_tc * pool;
    let q = psi * holotc / p.holotc_ref;
    let g = if q > 0.0 {
        let ratio = p.q50 / q;
        let power = if p.hill_n.fract() == 0.0 {
            ratio.powi(p.hill_n as i32)
        } else {
            ratio.powf(p.hill_n)
        };
        1.0 / (1.0 + power)
    } else {
        0.0
    };
    Readout { serum, holotc, g }
}

fn mma_target(p: &Params, g: f64) -> f64 {
    p.mma_min + (p.mma_max - p.mma_min) * (1.0 - g)
}

fn hcy_target(p: &Params, g: f64, phi: f64) -> f64 {
    p.hcy_min + (p.hcy_max - p.hcy_min) * (1.0 - phi * g)
}

/// Runs the scenario with `start_store_factor` applied to the starting
/// store, calling `visit` with day 0 and the state after every update.
pub(crate) fn run(
    p: &Params,
    scenario: &Scenario,
    start_store_factor: f64,
    mut visit: impl FnMut(&Point),
) {
    let start = scenario.start;
    let mut store = (start.store_ug * start_store_factor).max(0.0);
    let mut pool = start.pool_ug.max(0.0);
    let (mut phi, mut psi) = (1.0, 1.0);
    let r0 = readout(p, store, pool, psi);
    let mut mma = start.mma.unwrap_or_else(|| mma_target(p, r0.g));
    let mut hcy = start.hcy.unwrap_or_else(|| hcy_target(p, r0.g, phi));
    visit(&Point {
        day: 0,
        store_ug: store,
        pool_ug: pool,
        serum_b12: r0.serum,
        holotc: r0.holotc,
        mma,
        hcy,
        phi,
        psi,
    });
    let pool_transfer = 1.0 - (-p.k_cs).exp();
    let recovery = (-p.k_rec).exp();
    let psi_rate = 1.0 - (-1.0 / p.tau_psi).exp();
    let mma_rate = 1.0 - (-1.0 / p.tau_mma).exp();
    let hcy_rate = 1.0 - (-1.0 / p.tau_hcy).exp();
    let mut day = 0u32;
    for phase in &scenario.phases {
        let a = phase.absorption;
        let meals = phase.meals.max(1);
        let food_per_day =
            f64::from(meals) * absorbed(p, a, phase.food_ug_per_day / f64::from(meals), 0.0);
        let oral = phase
            .oral
            .map(|o| (absorbed(p, a, 0.0, o.ug), o.every_days.max(1)));
        let store_decay = (-k_store(p, a)).exp();
        let daily_n2o = phase.n2o_cartridges_per_day * p.minutes_per_cartridge / 60.0;
        for d in 1..=phase.days {
            // 1. Intake into the exchangeable pool.
            let mut intake = food_per_day;
            if let Some((amount, every)) = oral
                && (d - 1) % every == 0
            {
                intake += amount;
            }
            for inj in phase.injections.iter().filter(|i| i.day == d) {
                intake += retained(p, inj.form, inj.ug);
            }
            if let Some(r) = phase.repeated_injection
                && d >= r.first_day
                && (d - r.first_day) % r.every_days.max(1) == 0
            {
                intake += retained(p, r.form, r.ug);
            }
            // 2. Nitrous oxide exposure (fraction × hours).
            let exposure = daily_n2o
                + phase
                    .n2o_exposures
                    .iter()
                    .filter(|(on, _)| *on == d)
                    .map(|(_, fh)| fh)
                    .sum::<f64>();
            // 3-4. Methionine synthase and functional cofactor.
            let phi_after_exposure = if exposure > 0.0 {
                phi * (-p.k_in * exposure).exp()
            } else {
                phi
            };
            let phi_next = 1.0 - (1.0 - phi_after_exposure) * recovery;
            let phi_mean = (phi_after_exposure + phi_next) / 2.0;
            psi += (phi_mean - psi) * psi_rate;
            phi = phi_next;
            // 5-7. Pools.
            let store_exposed = if exposure > 0.0 {
                store * (-p.k_ox * exposure).exp()
            } else {
                store
            };
            let pool_in = pool + intake;
            let transfer = pool_in * pool_transfer;
            pool = pool_in - transfer;
            store = (store_exposed * store_decay + transfer - phase.l_extra).max(0.0);
            // 8-11. Read-outs and the slow markers.
            let r = readout(p, store, pool, psi);
            mma += (mma_target(p, r.g) - mma) * mma_rate;
            hcy += (hcy_target(p, r.g, phi_mean) - hcy) * hcy_rate;
            day += 1;
            visit(&Point {
                day,
                store_ug: store,
                pool_ug: pool,
                serum_b12: r.serum,
                holotc: r.holotc,
                mma,
                hcy,
                phi: phi_mean,
                psi,
            });
        }
    }
}

/// The deterministic run with the given parameters: day 0 and every day after.
pub fn simulate(p: &Params, scenario: &Scenario) -> Vec<Point> {
    let mut points = Vec::with_capacity(scenario.days() as usize + 1);
    run(p, scenario, 1.0, |pt| points.push(*pt));
    points
}
