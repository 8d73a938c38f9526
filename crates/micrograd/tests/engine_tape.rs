//! The tape's bookkeeping: scopes, epochs and marks; a released handle is caught, never read
//! as another node's number.

use micrograd::{Tape, Value};

#[test]
#[should_panic(expected = "use of a released Value")]
fn released_handle_panics() {
    let y = {
        let _step = Tape::scope();
        Value::new(1.0) * 2.0
    };
    let _ = y.data(); // its node was released when the scope ended
}

/// Handles from several epochs: parameters made before and after a first step stay usable in
/// later steps, and a node released by a later truncation is refused even though its epoch
/// is that of live parameters.
#[test]
fn handles_across_epochs() {
    let a = Value::new(1.0);
    {
        let _s = Tape::scope();
        let _ = (a * 2.0).data();
    }
    let b = Value::new(2.0); // made in a later epoch than `a`
    let mut released = None;
    for k in 0..3 {
        let _s = Tape::scope();
        let y = Value::dot(&[a, b], &[b, a]) + Value::sum(&[a, b]);
        assert_eq!(y.data(), 7.0);
        if k == 0 {
            released = Some(y);
        }
    }
    let r = released.unwrap();
    let caught = std::panic::catch_unwind(move || r.data());
    assert!(caught.is_err(), "a released node was read");
    assert_eq!((a.data(), b.data()), (1.0, 2.0));
}

/// A mark taken before a truncation below it (a stale mark) stands for that truncation's
/// point: truncating to it releases the nodes made since, and never cuts the operand list of
/// a node that stays.
#[test]
fn truncating_to_a_stale_mark_keeps_live_nodes_whole() {
    let a = Value::new(1.0);
    let b = Value::new(10.0);
    let q = Value::sum(&[a, b, a]); // stays: made before every mark
    let m1 = Tape::mark();
    let _s = Value::sum(&[a, b]);
    let m2 = Tape::mark(); // stale after the truncation to m1 below
    Tape::truncate(m1);
    let y = Value::sum(&[a, b, a]); // made after m2 was taken
    let _p = Value::new(0.0);
    Tape::truncate(m2);
    let z = Value::sum(&[b]);
    assert!(
        std::panic::catch_unwind(|| y.data()).is_err(),
        "a node made after the mark survived"
    );
    assert_eq!(z.data(), 10.0);
    q.backward();
    assert_eq!((q.data(), a.grad(), b.grad()), (12.0, 2.0, 1.0));
}
