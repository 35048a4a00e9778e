//! Screening one patient of a lab export: the B12 status under a profile
//! (the same `status::combine` that `assess` uses, with the same limits),
//! flags for follow-up and the reflex test. Built once per run, then cheap per
//! row: no allocation, no text.

use kobalt_contract::{B12Category, Guideline, Sex};
use kobalt_kb::{Knowledge, Limits, LimitsBySex};

use crate::status::{BandKind, StatusInputs, StatusOutcome, combine};

/// One patient's data, in the analytes' canonical units; `None` is not known.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct PatientData {
    pub age_years: Option<f64>,
    pub sex: Option<Sex>,
    pub pregnant: bool,
    pub metformin_years: Option<f64>,
    pub acid_suppressant_years: Option<f64>,
    pub b12_total: Option<f64>,
    pub holotranscobalamin: Option<f64>,
    pub mma: Option<f64>,
    pub homocysteine: Option<f64>,
    pub haemoglobin: Option<f64>,
    pub mcv: Option<f64>,
}

/// Follow-up flags, each backed by knowledge-base rules (`Flag::rules`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flag {
    /// Deficient with a raised MCV and a low haemoglobin.
    DeficientMacrocyticAnaemia,
    /// Metformin with a risk factor screening can see (65 or over, an acid
    /// suppressant) and no B12 result, where the profile advises periodic
    /// monitoring (`check_metformin_periodic`: NICE, from MHRA-2022). Never
    /// under NHG, which advises against routine testing for metformin or PPI
    /// use without other signs (NHG-LESA-2018).
    AtRiskUntested,
    /// Total B12 in the grey zone without MMA: reflex MMA.
    ReflexMma,
}

impl Flag {
    pub const ALL: [Flag; 3] = [
        Flag::DeficientMacrocyticAnaemia,
        Flag::AtRiskUntested,
        Flag::ReflexMma,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Flag::DeficientMacrocyticAnaemia => "deficient_macrocytic_anaemia",
            Flag::AtRiskUntested => "at_risk_untested",
            Flag::ReflexMma => "reflex_mma",
        }
    }

    /// The knowledge-base rules the flag stands on.
    pub fn rules(self) -> &'static [&'static str] {
        match self {
            Flag::DeficientMacrocyticAnaemia => {
                &["triage_soon_anaemia", "triage_routine_deficient"]
            }
            Flag::AtRiskUntested => &[METFORMIN_MONITORING],
            Flag::ReflexMma => &["test_mma_grey_zone"],
        }
    }

    fn bit(self) -> u8 {
        1 << (self as u8)
    }

    /// The flags of a bit set (bit i: `Flag::ALL[i]`), in that order.
    pub fn of_bits(bits: u8) -> impl Iterator<Item = Flag> {
        Flag::ALL.into_iter().filter(move |f| bits & f.bit() != 0)
    }
}

/// The knowledge-base check that advises periodic B12 monitoring on metformin
/// with a risk factor; the profiles it applies to are the ones that flag.
const METFORMIN_MONITORING: &str = "check_metformin_periodic";

/// Risk groups of the screening summary.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RiskGroup {
    Medication,
    Age65,
    None,
}

impl RiskGroup {
    pub fn as_str(self) -> &'static str {
        match self {
            RiskGroup::Medication => "long_term_medication",
            RiskGroup::Age65 => "age_65_plus",
            RiskGroup::None => "none",
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Screened {
    /// The status outcome of rules/status.toml.
    pub outcome: StatusOutcome,
    pub category: B12Category,
    pub risk: RiskGroup,
    flags: u8,
}

impl Screened {
    pub fn has(&self, f: Flag) -> bool {
        self.flags & f.bit() != 0
    }

    pub fn flags(&self) -> impl Iterator<Item = Flag> + '_ {
        Flag::of_bits(self.flags)
    }

    /// The flags as bits: bit i set for `Flag::ALL[i]`.
    pub fn flag_bits(&self) -> u8 {
        self.flags
    }

    /// The reflex test to add, if any.
    pub fn reflex(&self) -> Option<&'static str> {
        self.has(Flag::ReflexMma).then_some("mma")
    }
}

/// One marker's limits for one sex, with the kind of each band.
struct SexLimits<'a> {
    limits: &'a Limits,
    kinds: Vec<Option<BandKind>>,
}

/// One marker's limits under a profile, resolved for every sex once.
struct Marker<'a> {
    female: SexLimits<'a>,
    male: SexLimits<'a>,
    other: SexLimits<'a>,
}

impl<'a> Marker<'a> {
    fn new(limits: &'a LimitsBySex) -> Marker<'a> {
        let resolve = |sex| {
            let (limits, _) = limits.for_sex(sex);
            SexLimits {
                limits,
                kinds: limits.bands.iter().map(|b| b.kind).collect(),
            }
        };
        Marker {
            female: resolve(Sex::Female),
            male: resolve(Sex::Male),
            other: resolve(Sex::Unknown),
        }
    }

    fn kind(&self, sex: Sex, value: f64) -> Option<BandKind> {
        let l = match sex {
            Sex::Female => &self.female,
            Sex::Male => &self.male,
            Sex::Other | Sex::Unknown => &self.other,
        };
        l.kinds[l.limits.band_index(value)]
    }
}

/// The limits of a profile, resolved once for screening.
pub struct Screener<'a> {
    kb: &'a Knowledge,
    b12_total: Option<Marker<'a>>,
    holo: Option<Marker<'a>>,
    mma: Option<Marker<'a>>,
    hcy: Option<Marker<'a>>,
    haemoglobin: Option<Marker<'a>>,
    mcv: Option<Marker<'a>>,
    long_term_years: f64,
    /// The profile advises periodic monitoring on metformin with a risk factor.
    metformin_monitoring: bool,
}

impl<'a> Screener<'a> {
    pub fn new(kb: &'a Knowledge, guideline: Guideline) -> Screener<'a> {
        let profile = kb.profile(guideline);
        let marker = |a: kobalt_kb::AnalyteId| profile.limits[a as usize].as_ref().map(Marker::new);
        let ids = kb.ids;
        Screener {
            kb,
            b12_total: marker(ids.b12_total),
            holo: marker(ids.holotranscobalamin),
            mma: marker(ids.mma),
            hcy: marker(ids.homocysteine),
            haemoglobin: marker(ids.haemoglobin),
            mcv: marker(ids.mcv),
            long_term_years: kb.values.long_term_medication_years.value,
            metformin_monitoring: kb
                .checks
                .iter()
                .any(|c| c.meta.id == METFORMIN_MONITORING && c.applies_to(guideline)),
        }
    }

    pub fn screen(&self, p: &PatientData) -> Screened {
        let sex = p.sex.unwrap_or(Sex::Unknown);
        let band = |marker: &Option<Marker<'_>>, value: Option<f64>| -> Option<BandKind> {
            marker.as_ref()?.kind(sex, value?)
        };
        let total = band(&self.b12_total, p.b12_total);
        let outcome = combine(&StatusInputs {
            total,
            holo: band(&self.holo, p.holotranscobalamin),
            mma: band(&self.mma, p.mma),
            hcy: band(&self.hcy, p.homocysteine),
            nitrous_oxide: false,
            pregnant: p.pregnant,
            renal: false,
            ifab_positive: false,
            on_b12: false,
        });
        let category = self.kb.outcome(outcome).category;
        let long_term = |y: Option<f64>| y.is_some_and(|y| y > self.long_term_years);
        let risk = if long_term(p.metformin_years) || long_term(p.acid_suppressant_years) {
            RiskGroup::Medication
        } else if p.age_years.is_some_and(|a| a >= 65.0) {
            RiskGroup::Age65
        } else {
            RiskGroup::None
        };
        let mut flags = 0u8;
        let macrocytic = band(&self.mcv, p.mcv) == Some(BandKind::High);
        let anaemic = band(&self.haemoglobin, p.haemoglobin).is_some_and(BandKind::is_low);
        if category == B12Category::Deficient && macrocytic && anaemic {
            flags |= Flag::DeficientMacrocyticAnaemia.bit();
        }
        if p.b12_total.is_none() && p.holotranscobalamin.is_none() && self.monitor_metformin(p) {
            flags |= Flag::AtRiskUntested.bit();
        }
        if total == Some(BandKind::LowNormal)
            && p.mma.is_none()
            && category == B12Category::Indeterminate
        {
            flags |= Flag::ReflexMma.bit();
        }
        Screened {
            outcome,
            category,
            risk,
            flags,
        }
    }

    /// On metformin with a risk factor screening can see (older age, 65 or
    /// over; an acid suppressant: MIMS, `metformin_risk_factor`), where the
    /// profile advises periodic monitoring.
    fn monitor_metformin(&self, p: &PatientData) -> bool {
        let using = |y: Option<f64>| y.is_some_and(|y| y > 0.0);
        self.metformin_monitoring
            && using(p.metformin_years)
            && (p.age_years.is_some_and(|a| a >= 65.0) || using(p.acid_suppressant_years))
    }
}

#[cfg(test)]
mod tests {
    use super::Flag;

    /// Every rule a flag names as its basis is a rule of the bundled knowledge base.
    #[test]
    fn flag_rules_exist() {
        let kb = kobalt_kb::bundled().unwrap_or_else(|e| panic!("{e}"));
        let known: Vec<&str> = kb
            .triage
            .iter()
            .map(|t| t.rule.meta.id.as_str())
            .chain(kb.tests.iter().map(|t| t.rule.meta.id.as_str()))
            .chain(kb.checks.iter().map(|c| c.meta.id.as_str()))
            .collect();
        for flag in Flag::ALL {
            for rule in flag.rules() {
                assert!(known.contains(rule), "{}: {rule}", flag.as_str());
            }
        }
    }
}
