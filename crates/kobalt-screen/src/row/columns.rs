//! The fast path for typed columns (Arrow record batches: Parquet, Python,
//! Spark, OMOP). Each mapped field is checked a column at a time, in one
//! loop per column; a row whose every field passes is screened straight from
//! the checked columns. Any other row (a field that is not a number, out of
//! range, an unknown code) goes through the row path, which says why: the
//! row path stays the one place that decides what a reject is, and this path
//! only accepts what the row path accepts, with the same data. Each check
//! here is the twin of one in `RowPlan::row`: a check added there must be
//! added here (the property test `the_column_path_equals_the_row_path`, in
//! `parquet/tests.rs`, holds the two equal on random batches).

use std::borrow::Cow;

use kobalt_contract::Sex;
use kobalt_engine::screen::PatientData;

use super::{LabPlan, RowPlan, UnitSource, pregnant_code, sex_code, unit_factor};
use crate::parquet::Col;

/// The mapped fields of a batch, checked a column at a time; numbers are
/// borrowed from the columns where they are already numbers.
pub(crate) struct Checked<'c> {
    /// The row passed every check: the row path would accept it as it is.
    pub(crate) clean: Vec<bool>,
    age: Cow<'c, [Option<f64>]>,
    sex: Vec<Option<Sex>>,
    pregnant: Vec<bool>,
    metformin: Cow<'c, [Option<f64>]>,
    acid: Cow<'c, [Option<f64>]>,
    /// In canonical units, by `Slot`.
    labs: [Vec<Option<f64>>; 6],
}

impl Checked<'_> {
    /// The data of row `r`, a clean row, as the row path reads it.
    #[inline]
    pub(crate) fn patient(&self, r: usize) -> PatientData {
        let at = |v: &[Option<f64>]| v.get(r).copied().flatten();
        let [b12, holo, mma, hcy, hb, mcv] = &self.labs;
        PatientData {
            age_years: at(&self.age),
            sex: self.sex.get(r).copied().flatten(),
            pregnant: self.pregnant.get(r).copied().unwrap_or(false),
            metformin_years: at(&self.metformin),
            acid_suppressant_years: at(&self.acid),
            b12_total: at(b12),
            holotranscobalamin: at(holo),
            mma: at(mma),
            homocysteine: at(hcy),
            haemoglobin: at(hb),
            mcv: at(mcv),
        }
    }
}

impl RowPlan {
    /// Checks the `n` rows of `columns` (the projected columns, in the
    /// order the plan was made for) as `row` does, a column at a time.
    pub(crate) fn check_columns<'c>(&self, columns: &'c [Col<'_>], n: usize) -> Checked<'c> {
        let mut clean = vec![columns.len() == self.columns; n];
        check_ids(columns.get(self.id), &mut clean);
        let age = Self::numbers(columns, self.age, &mut clean);
        let ages = self.plausible.age_years;
        for (a, c) in age.iter().zip(clean.iter_mut()) {
            *c &= a.is_none_or(|a| ages.contains(a));
        }
        let metformin = self.years(columns, self.metformin, &age, &mut clean);
        let acid = self.years(columns, self.acid, &age, &mut clean);
        let sex = self.sex.map_or_else(Vec::new, |i| {
            codes(columns.get(i), &mut clean, |t| {
                sex_code(&self.sex_values, t)
            })
        });
        let pregnant = self.pregnant.map_or_else(Vec::new, |i| {
            codes(columns.get(i), &mut clean, pregnant_code)
        });
        let labs = self.labs(columns, &mut clean);
        Checked {
            clean,
            age,
            sex,
            pregnant,
            metformin,
            acid,
            labs,
        }
    }

    /// The labs in their canonical units, by slot: a value that is negative,
    /// without a known unit or implausible makes its row not clean.
    fn labs(&self, columns: &[Col<'_>], clean: &mut [bool]) -> [Vec<Option<f64>>; 6] {
        let mut labs: [Vec<Option<f64>>; 6] = Default::default();
        for lab in &self.labs {
            let values = Self::numbers(columns, Some(lab.value), clean);
            let slot = &mut labs[lab.slot as usize];
            if slot.is_empty() {
                *slot = vec![None; clean.len()];
            }
            let mut units = Units::new(lab, columns);
            for (r, v) in values.iter().enumerate() {
                let Some(v) = *v else { continue };
                let canonical = units.factor(r).map(|f| v * f).filter(|c| {
                    v >= 0.0 && lab.plausible.is_none_or(|(lo, hi)| (lo..=hi).contains(c))
                });
                match canonical {
                    Some(c) => slot[r] = Some(c),
                    None => clean[r] = false,
                }
            }
        }
        labs
    }

    /// A numeric field; a row whose field is not a number is not clean.
    fn numbers<'c>(
        columns: &'c [Col<'_>],
        at: Option<usize>,
        clean: &mut [bool],
    ) -> Cow<'c, [Option<f64>]> {
        let Some(i) = at else {
            return Cow::Owned(Vec::new());
        };
        match columns.get(i) {
            // Read in place: a column of numbers is already what is needed.
            Some(Col::Numbers { values, .. }) => {
                for (v, c) in values.iter().zip(clean.iter_mut()) {
                    *c &= v.is_none_or(f64::is_finite);
                }
                Cow::Borrowed(values)
            }
            Some(col) => Cow::Owned(
                clean
                    .iter_mut()
                    .enumerate()
                    .map(|(r, c)| {
                        col.number(r).unwrap_or_else(|_| {
                            *c = false;
                            None
                        })
                    })
                    .collect(),
            ),
            None => {
                clean.fill(false);
                Cow::Owned(Vec::new())
            }
        }
    }

    /// Years of use: plausible, and no longer than the person has lived.
    fn years<'c>(
        &self,
        columns: &'c [Col<'_>],
        at: Option<usize>,
        age: &[Option<f64>],
        clean: &mut [bool],
    ) -> Cow<'c, [Option<f64>]> {
        let years = Self::numbers(columns, at, clean);
        let durations = self.plausible.years;
        for (r, (y, c)) in years.iter().zip(clean.iter_mut()).enumerate() {
            if let Some(y) = *y {
                let aged = age.get(r).copied().flatten();
                *c &= durations.contains(y) && aged.is_none_or(|a| y <= a + 1.0);
            }
        }
        years
    }
}

/// The patient id: present, text, and not a float that is no number.
fn check_ids(ids: Option<&Col<'_>>, clean: &mut [bool]) {
    let Some(ids) = ids else {
        clean.fill(false);
        return;
    };
    // A number is always text: only a null or a float that is no number fails.
    if let Col::Numbers { values, .. } = ids {
        for (v, c) in values.iter().zip(clean.iter_mut()) {
            *c &= v.is_some_and(f64::is_finite);
        }
        return;
    }
    for (r, c) in clean.iter_mut().enumerate() {
        let id = ids.text(r);
        *c &= !id.is_empty()
            && (id.is_ascii() || std::str::from_utf8(id).is_ok())
            && !ids.not_a_number(r);
    }
}

/// A coded field read with `read`; the same text as the row before is not
/// read again (a column holds few codes).
fn codes<T: Copy + Default>(
    column: Option<&Col<'_>>,
    clean: &mut [bool],
    read: impl Fn(&[u8]) -> Result<T, String>,
) -> Vec<T> {
    let Some(column) = column else {
        clean.fill(false);
        return Vec::new();
    };
    let mut last: Option<(&[u8], Option<T>)> = None;
    let mut out = Vec::with_capacity(clean.len());
    for (r, c) in clean.iter_mut().enumerate() {
        let text = column.text(r);
        let value = match last {
            Some((t, v)) if t == text => v,
            _ => {
                let v = read(text).ok();
                last = Some((text, v));
                v
            }
        };
        *c &= value.is_some();
        out.push(value.unwrap_or_default());
    }
    out
}

/// A lab's unit factor per row: fixed, or from its unit column (the same
/// spelling as the row before is not looked up again).
struct Units<'p, 'c, 'a> {
    lab: &'p LabPlan,
    column: Option<&'c Col<'a>>,
    last: Option<(&'c [u8], Option<f64>)>,
}

impl<'p, 'c, 'a> Units<'p, 'c, 'a> {
    fn new(lab: &'p LabPlan, columns: &'c [Col<'a>]) -> Self {
        let column = match lab.unit {
            UnitSource::Fixed(_) => None,
            UnitSource::Column(i) => columns.get(i),
        };
        Units {
            lab,
            column,
            last: None,
        }
    }

    #[inline]
    fn factor(&mut self, r: usize) -> Option<f64> {
        if let UnitSource::Fixed(f) = self.lab.unit {
            return Some(f);
        }
        let text = self.column?.text(r);
        match self.last {
            Some((t, f)) if t == text => f,
            _ => {
                let f = unit_factor(&self.lab.units, text);
                self.last = Some((text, f));
                f
            }
        }
    }
}
