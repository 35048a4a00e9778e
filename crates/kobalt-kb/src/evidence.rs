//! Positive and negative evidence. A conclusion needs something that is there:
//! a symptom reported present, a raised or lowered marker, a known condition,
//! medicine, diet or exposure. An answer "no", a normal or negative result, an
//! untested marker or an absent supplement is negative evidence: it may count
//! against a conclusion, never for it. The loader refuses any cause or
//! differential whose necessary condition (`requires`) or supporting finding
//! could hold on negative evidence alone.

use kobalt_contract::{B12Category, QualitativeResult};

use crate::model::Finding;
use crate::pred::Pred;

/// Whether `p` can only hold when some positive evidence holds.
pub(crate) fn needs_positive(p: &Pred, findings: &[Finding]) -> bool {
    positive(p, findings, 0)
}

fn positive(p: &Pred, findings: &[Finding], depth: usize) -> bool {
    if depth > 64 {
        // A cycle; reported by the cycle check.
        return true;
    }
    match p {
        // A conjunction holds only if each part holds: one positive part suffices.
        Pred::All(items) => items.iter().any(|i| positive(i, findings, depth + 1)),
        // A disjunction may hold through any part: every part must be positive.
        Pred::Any(items) => items.iter().all(|i| positive(i, findings, depth + 1)),
        Pred::Finding(f) => findings
            .get(*f)
            .is_none_or(|f| positive(&f.when, findings, depth + 1)),
        Pred::UnknownCounts(inner) => positive(inner, findings, depth + 1),
        Pred::Not(_)
        | Pred::Absent(_)
        | Pred::NonePresent(_)
        | Pred::SupplementNone(_)
        | Pred::Untested(_)
        | Pred::LeadingCauseNot(_)
        | Pred::NoClearCause
        | Pred::Pregnant(false)
        | Pred::Breastfeeding(false)
        | Pred::TreatmentJudgeable(false)
        | Pred::TestsOffered(false) => false,
        Pred::LabBand { bands, .. } => bands.iter().any(|b| b != "normal"),
        Pred::LabResult { results, .. } => {
            results.iter().any(|r| *r != QualitativeResult::Negative)
        }
        Pred::B12Status(categories) => categories
            .iter()
            .any(|c| matches!(c, B12Category::Deficient | B12Category::Indeterminate)),
        _ => true,
    }
}
