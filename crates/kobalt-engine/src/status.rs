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
    /// Intrinsic-factor antibodies positive: a normal B12 may be falsely normal.
    pub ifab_positive: bool,
    /// B12 measured while taking B12 (a cobalamin supplement or a treatment).
    pub on_b12: bool,
}

#[derive(Clone, Copy, PartialEq)]
enum Primary {
    Deficient,
    Grey,
    Normal,
    Disagree,
}

/// The status outcome of rules/status.toml for these inputs: the one
/// decision code behind `assess` and `kobalt screen`. What the markers say
/// (`markers`) is then qualified: a reassuring outcome is not reassuring when
/// MMA is borderline, when intrinsic-factor antibodies are positive, or when
/// B12 was measured while taking B12 (clinical review F09, F02, F25).
pub fn combine(i: &StatusInputs) -> StatusOutcome {
    use StatusOutcome::*;
    let outcome = markers(i);
    let reassuring = matches!(
        outcome,
        UnlikelyNormalB12 | UnlikelyGreyZoneMmaNormal | UnlikelyFunctionalNormal
    );
    if !reassuring {
        outcome
    } else if i.ifab_positive {
        IndeterminateIfabPositive
    } else if i.on_b12 {
        IndeterminateOnB12
    } else if i.mma == Some(BandKind::Borderline) {
        IndeterminateMmaBorderline
    } else {
        outcome
    }
}

/// The outcome the markers alone give.
fn markers(i: &StatusInputs) -> StatusOutcome {
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
            } else if mma_raised {
                // A raised MMA contradicts the normal B12 (G9: MMA by the
                // laboratory's range): never reassuring (clinical review F09).
                if renal {
                    IndeterminateRenalMma
                } else {
                    IndeterminateMarkersDisagree
                }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn grey_with(mma: Option<BandKind>) -> StatusInputs {
        StatusInputs {
            total: Some(BandKind::LowNormal),
            mma,
            ..StatusInputs::default()
        }
    }

    #[test]
    fn borderline_mma_never_reassures() {
        // NG239 (via PRACTNEUROL-2023): 0.28-0.45 umol/L is indeterminate (clinical review F09).
        // A grey-zone B12 with a borderline MMA stays in the grey zone.
        assert_eq!(
            combine(&grey_with(Some(BandKind::Borderline))),
            StatusOutcome::IndeterminateGreyZone
        );
        let normal_b12 = StatusInputs {
            total: Some(BandKind::Normal),
            mma: Some(BandKind::Borderline),
            ..StatusInputs::default()
        };
        assert_eq!(
            combine(&normal_b12),
            StatusOutcome::IndeterminateMmaBorderline
        );
        assert_eq!(
            combine(&grey_with(Some(BandKind::Normal))),
            StatusOutcome::UnlikelyGreyZoneMmaNormal
        );
    }

    #[test]
    fn a_raised_mma_never_reassures() {
        // F09 / G9: B12 400 with MMA 0.60 was "unlikely" while MMA 0.35 was
        // indeterminate; a raised MMA disagrees with a normal B12.
        let i = StatusInputs {
            total: Some(BandKind::Normal),
            mma: Some(BandKind::Raised),
            ..StatusInputs::default()
        };
        assert_eq!(combine(&i), StatusOutcome::IndeterminateMarkersDisagree);
        let renal = StatusInputs { renal: true, ..i };
        assert_eq!(combine(&renal), StatusOutcome::IndeterminateRenalMma);
    }

    #[test]
    fn positive_ifab_makes_a_normal_b12_indeterminate() {
        // BSH-2014 / NASGP-BSH: high IFAB titres can give a falsely normal B12 (F02).
        let i = StatusInputs {
            total: Some(BandKind::Normal),
            ifab_positive: true,
            ..StatusInputs::default()
        };
        assert_eq!(combine(&i), StatusOutcome::IndeterminateIfabPositive);
        let low = StatusInputs {
            total: Some(BandKind::Low),
            ifab_positive: true,
            ..StatusInputs::default()
        };
        assert_eq!(combine(&low), StatusOutcome::DeficientLowB12);
    }

    #[test]
    fn b12_measured_on_b12_is_not_interpretable_when_normal() {
        // BRISDOC: bloods before replacement (F25); a low value on B12 stays deficient.
        let i = StatusInputs {
            total: Some(BandKind::High),
            on_b12: true,
            ..StatusInputs::default()
        };
        assert_eq!(combine(&i), StatusOutcome::IndeterminateOnB12);
    }
}
