//! The scorer against the labelled development set, loaded the way `pipeprep grade --eval` does.

use std::path::Path;

use pipeprep_core::Knowledge;
use pipeprep_core::calibration::evaluate;

#[test]
fn agreement_with_the_labelled_development_set() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../calibration/dev");
    let set = pipeprep_app::calibration::load_dir(&dir).unwrap();
    assert!(
        set.len() >= 40,
        "at least 40 labelled transcripts, found {}",
        set.len()
    );
    let k = Knowledge::new(pipeprep_bank::embedded().unwrap()).unwrap();
    let report = evaluate(&k, &set);
    let text = report.to_text();
    // Floors a little under what the fitted model measures on this set (README, "How levels are
    // made"), so a change that makes the scorecard less fair to these voices fails here. They are
    // below issue 11's targets (85% exact, 99% within one), which are not met yet.
    for (d, r) in &report.dims {
        assert!(
            r.exact_rate() >= 0.56,
            "{d}: exact agreement {:.1}% < 56%\n{text}",
            r.exact_rate() * 100.0
        );
        assert!(
            r.within_one_rate() >= 0.93,
            "{d}: within-one {:.1}% < 93%\n{text}",
            r.within_one_rate() * 100.0
        );
    }
    assert!(
        report.overall_exact() >= 0.65,
        "all cells: exact agreement {:.1}% < 65%\n{text}",
        report.overall_exact() * 100.0
    );
    assert!(
        report.qwk() >= 0.68,
        "quadratic weighted kappa {:.3} < 0.68\n{text}",
        report.qwk()
    );
}
