//! Lab units as printed on lab reports: spelling normalisation, dimensions and
//! conversion between units of one dimension by SI prefix.
//!
//! Conversions across dimensions (a mass concentration into a substance
//! concentration) depend on the analyte's molar mass; they are knowledge, not
//! unit arithmetic, and live in the knowledge base. This crate only says
//! whether two units share a dimension and, if so, by what factor they differ.

use std::fmt;

/// What a unit measures. Two units convert by SI prefix only within one dimension.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Dimension {
    /// Amount of substance per volume (mol/L).
    SubstanceConcentration,
    /// Mass per volume (g/L).
    MassConcentration,
    /// Enzyme or international units per volume (U/L, IU/L).
    UnitsConcentration,
    /// A volume on its own (fL for the mean cell volume).
    Volume,
    /// A unit this crate does not take apart (for example `mL/min/1.73m2`);
    /// it only equals itself. The payload is the normalised spelling.
    Opaque(String),
}

impl fmt::Display for Dimension {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Dimension::SubstanceConcentration => f.write_str("substance concentration"),
            Dimension::MassConcentration => f.write_str("mass concentration"),
            Dimension::UnitsConcentration => f.write_str("activity concentration"),
            Dimension::Volume => f.write_str("volume"),
            Dimension::Opaque(s) => write!(f, "'{s}'"),
        }
    }
}

/// A parsed unit: its dimension and its size relative to the dimension's base
/// unit (mol/L, g/L, U/L or L).
#[derive(Clone, Debug, PartialEq)]
pub struct Unit {
    pub dimension: Dimension,
    pub scale: f64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UnitError {
    #[error("empty unit")]
    Empty,
}

/// The spelling used to compare units: white space removed, micro signs
/// (µ, μ, mc) written as `u`, and lower case.
///
/// Lower case is safe because units are only ever compared within one
/// analyte's list of accepted units, where no two entries differ by case alone
/// (the knowledge base checks this when it loads).
pub fn normalize(unit: &str) -> String {
    let mut out = String::with_capacity(unit.len());
    for ch in unit.chars() {
        match ch {
            'µ' | 'μ' => out.push('u'),
            c if c.is_whitespace() => {}
            c => out.extend(c.to_lowercase()),
        }
    }
    if let Some(rest) = out.strip_prefix("mc") {
        // "mcg/L" and "mcmol/L" are pharmacy spellings of micro.
        if rest.starts_with('g') || rest.starts_with("mol") {
            out = format!("u{rest}");
        }
    }
    out
}

fn prefix_scale(prefix: &str) -> Option<f64> {
    Some(match prefix {
        "" => 1.0,
        "d" => 1e-1,
        "c" => 1e-2,
        "m" => 1e-3,
        "u" => 1e-6,
        "n" => 1e-9,
        "p" => 1e-12,
        "f" => 1e-15,
        _ => return None,
    })
}

/// Splits `prefix + base` where base is one of `bases` (longest first).
fn split_prefixed(s: &str, bases: &[&str]) -> Option<(f64, usize)> {
    bases.iter().enumerate().find_map(|(idx, base)| {
        let prefix = s.strip_suffix(base)?;
        prefix_scale(prefix).map(|scale| (scale, idx))
    })
}

/// Parses a unit spelling. Spellings that are not a prefixed
/// `amount / volume` or a prefixed litre come back as [`Dimension::Opaque`].
pub fn parse(unit: &str) -> Result<Unit, UnitError> {
    let norm = normalize(unit);
    if norm.is_empty() {
        return Err(UnitError::Empty);
    }
    let opaque = || Unit {
        dimension: Dimension::Opaque(norm.clone()),
        scale: 1.0,
    };
    let Some((numerator, denominator)) = norm.split_once('/') else {
        return Ok(match split_prefixed(&norm, &["l"]) {
            Some((scale, _)) => Unit {
                dimension: Dimension::Volume,
                scale,
            },
            None => opaque(),
        });
    };
    let Some((volume_scale, _)) = split_prefixed(denominator, &["l"]) else {
        return Ok(opaque());
    };
    const BASES: [&str; 4] = ["mol", "iu", "g", "u"];
    let Some((amount_scale, base_idx)) = split_prefixed(numerator, &BASES) else {
        return Ok(opaque());
    };
    let dimension = match BASES[base_idx] {
        "mol" => Dimension::SubstanceConcentration,
        "g" => Dimension::MassConcentration,
        _ => Dimension::UnitsConcentration,
    };
    Ok(Unit {
        dimension,
        scale: amount_scale / volume_scale,
    })
}

/// The factor that turns a value in `from` into a value in `to`, when both
/// share a dimension.
pub fn factor(from: &Unit, to: &Unit) -> Option<f64> {
    (from.dimension == to.dimension).then(|| from.scale / to.scale)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(s: &str) -> Unit {
        parse(s).expect("test unit parses")
    }

    #[test]
    fn spellings_normalise_alike() {
        assert_eq!(normalize("µmol/L"), "umol/l");
        assert_eq!(normalize("μmol/l"), "umol/l");
        assert_eq!(normalize(" umol / L "), "umol/l");
        assert_eq!(normalize("mcg/L"), "ug/l");
    }

    #[test]
    fn dimensions_are_recognised() {
        assert_eq!(unit("pmol/L").dimension, Dimension::SubstanceConcentration);
        assert_eq!(unit("pg/mL").dimension, Dimension::MassConcentration);
        assert_eq!(unit("mU/L").dimension, Dimension::UnitsConcentration);
        assert_eq!(unit("mIU/L").dimension, Dimension::UnitsConcentration);
        assert_eq!(unit("fL").dimension, Dimension::Volume);
        assert!(matches!(
            unit("mL/min/1.73m2").dimension,
            Dimension::Opaque(_)
        ));
    }

    #[test]
    fn si_factors() {
        let close = |a: f64, b: f64| (a - b).abs() <= 1e-12 * b.abs().max(1.0);
        assert!(close(
            factor(&unit("nmol/L"), &unit("umol/L")).unwrap_or(f64::NAN),
            1e-3
        ));
        assert!(close(
            factor(&unit("pg/mL"), &unit("ng/L")).unwrap_or(f64::NAN),
            1.0
        ));
        assert!(close(
            factor(&unit("g/dL"), &unit("g/L")).unwrap_or(f64::NAN),
            10.0
        ));
        assert!(close(
            factor(&unit("uIU/mL"), &unit("mU/L")).unwrap_or(f64::NAN),
            1.0
        ));
        assert!(close(
            factor(&unit("mmol/L"), &unit("pmol/L")).unwrap_or(f64::NAN),
            1e9
        ));
        assert_eq!(factor(&unit("pg/mL"), &unit("pmol/L")), None);
    }

    #[test]
    fn opaque_units_only_equal_themselves() {
        let egfr = unit("mL/min/1.73m2");
        assert_eq!(factor(&egfr, &unit("ml/min/1.73 m2")), Some(1.0));
        assert_eq!(factor(&egfr, &unit("mL/min")), None);
    }

    proptest::proptest! {
        #[test]
        fn parse_never_panics(s in "\\PC{0,24}") {
            let _ = parse(&s);
        }

        #[test]
        fn si_round_trip(a in 0usize..7, b in 0usize..7, value in 0.0f64..1e6) {
            const UNITS: [&str; 7] = ["pmol/L", "nmol/L", "umol/L", "mmol/L", "mol/L", "nmol/mL", "pmol/dL"];
            let (x, y) = (unit(UNITS[a]), unit(UNITS[b]));
            let there = factor(&x, &y).unwrap_or(f64::NAN);
            let back = factor(&y, &x).unwrap_or(f64::NAN);
            let round = value * there * back;
            proptest::prop_assert!((round - value).abs() <= 1e-9 * value.max(1.0));
        }
    }
}
