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
    for (d, r) in &report.dims {
        assert!(
            r.exact_rate() >= 0.80,
            "{d}: exact agreement {:.1}% < 80%\n{text}",
            r.exact_rate() * 100.0
        );
        assert!(
            r.within_one_rate() >= 0.98,
            "{d}: within-one {:.1}% < 98%\n{text}",
            r.within_one_rate() * 100.0
        );
    }
}
