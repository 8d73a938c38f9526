//! Every PyTorch reference case (`tests/data/pytorch_goldens.json`) through the library:
//! the value and every input's gradient match within the file's tolerance.
//! Run with `--nocapture` to see the worst error.

mod goldens_common;

use goldens_common::{Checker, load};
use micrograd::Tape;
use micrograd::expr;

#[test]
fn library_matches_pytorch_on_every_golden_case() {
    let goldens = load();
    assert_eq!(goldens.cases.len(), 313, "the file should hold 313 cases");
    let mut checker = Checker::default();
    let tape_before = Tape::len();
    for case in &goldens.cases {
        let inputs: Vec<(&str, f64)> = case.inputs.iter().map(|(n, x)| (n.as_str(), *x)).collect();
        let (value, grads) = expr::gradients(&case.program, &inputs)
            .unwrap_or_else(|e| panic!("{}: {e}", case.name));
        let tol = goldens.tolerance;
        checker.check(tol, &case.name, "value", value, case.value);
        assert_eq!(grads.len(), case.inputs.len(), "{}", case.name);
        for (name, g) in &grads {
            let want = case.grads[name];
            checker.check(tol, &case.name, &format!("d/d{name}"), *g, want);
        }
        // The reference lists a gradient for every input.
        assert_eq!(case.grads.len(), case.inputs.len(), "{}", case.name);
    }
    assert_eq!(
        Tape::len(),
        tape_before,
        "gradients() must release its nodes"
    );
    println!(
        "{} cases, {} numbers; worst relative error {:.3e} ({}); worst absolute error where PyTorch says 0: {:.3e}",
        goldens.cases.len(),
        checker.compared,
        checker.worst_relative,
        checker.worst_relative_at,
        checker.worst_absolute_at_zero
    );
    assert!(
        checker.failures.is_empty(),
        "{} mismatches:\n{}",
        checker.failures.len(),
        checker.failures.join("\n")
    );
}

#[test]
fn program_eval_matches_gradients_and_value_at() {
    // The three entry points agree on a few cases: eval + gradients, gradients(), value_at.
    let goldens = load();
    for case in goldens.cases.iter().step_by(31) {
        let inputs: Vec<(&str, f64)> = case.inputs.iter().map(|(n, x)| (n.as_str(), *x)).collect();
        let program = expr::parse(&case.program).unwrap();
        let _scope = Tape::scope();
        let ev = program.eval(&inputs).unwrap();
        let (value, grads) = expr::gradients(&case.program, &inputs).unwrap();
        assert_eq!(ev.value().to_bits(), value.to_bits(), "{}", case.name);
        assert_eq!(
            program.value_at(&inputs).unwrap().to_bits(),
            value.to_bits(),
            "{}",
            case.name
        );
        assert_eq!(ev.gradients(), grads, "{}", case.name);
    }
}
