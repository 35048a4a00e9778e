//! The combination of B12 markers into a status outcome. One function, used by
//! the full assessment and by batch screening, so that both always agree.

pub use kobalt_kb::{BandKind, StatusOutcome};

/// What the status depends on: the band of each marker under the profile
/// (`None`: not measured) and the findings that qualify them (true only when
/// known to be true).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StatusInputs {
    pub total: Option<BandKind>,
    pub holo: Option<BandKind>,
    pub mma: Option<BandKind>,
    pub hcy: Option<BandKind>,
    pub nitrous_oxide: bool,
    pub pregnant: bool,
    pub renal: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Primary {
    Deficient,
    Grey,
    Normal,
    Disagree,
}

/// The status outcome of rules/status.toml for these inputs: the one
/// decision code behind `assess` and `kobalt screen`.
pub fn combine(i: &StatusInputs) -> StatusOutcome {
    use StatusOutcome::*;
    let signal = |b: Option<BandKind>| match b {
        Some(BandKind::Low) => Some(Primary::Deficient),
        Some(BandKind::LowNormal) => Some(Primary::Grey),
        Some(_) => Some(Primary::Normal),
        None => None,
    };
    let total = signal(i.total);
    let holo = signal(i.holo);
    let (mma, hcy) = (i.mma, i.hcy);
    let primary = match (total, holo) {
        (Some(a), Some(b)) if a == b => Some(a),
        (Some(Primary::Deficient), Some(Primary::Normal))
        | (Some(Primary::Normal), Some(Primary::Deficient)) => Some(Primary::Disagree),
        (Some(Primary::Deficient), Some(_)) | (Some(_), Some(Primary::Deficient)) => {
            Some(Primary::Deficient)
        }
        (Some(_), Some(_)) => Some(Primary::Grey),
        (a, b) => a.or(b),
    };
    let (n2o, pregnant, renal) = (i.nitrous_oxide, i.pregnant, i.renal);
    let mma_raised = mma == Some(BandKind::Raised);
    let mma_normal = mma == Some(BandKind::Normal);
    let hcy_raised = hcy == Some(BandKind::Raised);
    let total_only = holo.is_none();
    // Both functional markers raised: deficiency, unless the kidneys explain the MMA.
    let functional = if renal {
        IndeterminateRenalMma
    } else {
        DeficientFunctionalMarkers
    };
    match primary {
        None if mma.is_none() && hcy.is_none() => NotTested,
        None => {
            if n2o && (mma_raised || hcy_raised) {
                DeficientFunctionalNitrousOxide
            } else if mma_raised && hcy_raised {
                functional
            } else {
                NotTestedFunctionalOnly
            }
        }
        Some(Primary::Deficient) if pregnant && total_only => IndeterminatePregnancy,
        Some(Primary::Deficient) => DeficientLowB12,
        Some(Primary::Grey) => {
            if mma_raised {
                if renal {
                    IndeterminateRenalMma
                } else {
                    DeficientGreyZoneMmaRaised
                }
            } else if mma_normal {
                UnlikelyGreyZoneMmaNormal
            } else if n2o && hcy_raised {
                DeficientFunctionalNitrousOxide
            } else if pregnant && total_only {
                IndeterminatePregnancy
            } else {
                IndeterminateGreyZone
            }
        }
        Some(Primary::Normal) => {
            if n2o {
                if mma_raised || hcy_raised {
                    DeficientFunctionalNitrousOxide
                } else if mma_normal {
                    UnlikelyFunctionalNormal
                } else {
                    IndeterminateNitrousOxide
                }
            } else if mma_raised && hcy_raised {
                functional
            } else {
                UnlikelyNormalB12
            }
        }
        Some(Primary::Disagree) => {
            if mma_raised && !renal {
                DeficientFunctionalMarkers
            } else if mma_normal {
                UnlikelyFunctionalNormal
            } else {
                IndeterminateMarkersDisagree
            }
        }
    }
}
