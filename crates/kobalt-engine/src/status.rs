//! The combination of B12 markers into a status outcome. One function, used by
//! the full assessment and by batch screening, so that both always agree.

/// What the name of a profile's band means to the decisions on it. Screening
/// resolves its bands once per run, so rows compare no text.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BandKind {
    SevereLow,
    Low,
    LowNormal,
    Normal,
    High,
    Raised,
    /// Any other name (for example `borderline`): none of the above.
    Other,
}

impl BandKind {
    pub fn of(band: &str) -> BandKind {
        match band {
            "severe_low" => BandKind::SevereLow,
            "low" => BandKind::Low,
            "low_normal" => BandKind::LowNormal,
            "normal" => BandKind::Normal,
            "high" => BandKind::High,
            "raised" => BandKind::Raised,
            _ => BandKind::Other,
        }
    }

    /// One of the bands below the normal range.
    pub fn is_low(self) -> bool {
        matches!(
            self,
            BandKind::SevereLow | BandKind::Low | BandKind::LowNormal
        )
    }
}

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

/// The status outcome id of rules/status.toml for these inputs: the one
/// decision code behind `assess` and `kobalt screen`.
pub fn combine(i: &StatusInputs) -> &'static str {
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
        "indeterminate_renal_mma"
    } else {
        "deficient_functional_markers"
    };
    match primary {
        None if mma.is_none() && hcy.is_none() => "not_tested",
        None => {
            if n2o && (mma_raised || hcy_raised) {
                "deficient_functional_nitrous_oxide"
            } else if mma_raised && hcy_raised {
                functional
            } else {
                "not_tested_functional_only"
            }
        }
        Some(Primary::Deficient) if pregnant && total_only => "indeterminate_pregnancy",
        Some(Primary::Deficient) => "deficient_low_b12",
        Some(Primary::Grey) => {
            if mma_raised {
                if renal {
                    "indeterminate_renal_mma"
                } else {
                    "deficient_grey_zone_mma_raised"
                }
            } else if mma_normal {
                "unlikely_grey_zone_mma_normal"
            } else if n2o && hcy_raised {
                "deficient_functional_nitrous_oxide"
            } else if pregnant && total_only {
                "indeterminate_pregnancy"
            } else {
                "indeterminate_grey_zone"
            }
        }
        Some(Primary::Normal) => {
            if n2o {
                if mma_raised || hcy_raised {
                    "deficient_functional_nitrous_oxide"
                } else if mma_normal {
                    "unlikely_functional_normal"
                } else {
                    "indeterminate_nitrous_oxide"
                }
            } else if mma_raised && hcy_raised {
                functional
            } else {
                "unlikely_normal_b12"
            }
        }
        Some(Primary::Disagree) => {
            if mma_raised && !renal {
                "deficient_functional_markers"
            } else if mma_normal {
                "unlikely_functional_normal"
            } else {
                "indeterminate_markers_disagree"
            }
        }
    }
}
