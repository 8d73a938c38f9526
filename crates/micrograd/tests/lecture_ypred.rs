//! The lecture's `ypred` kept past a training loop that releases each step's nodes: the
//! panic says what happened and names the user's line (the line that reads `ypred`), and
//! the README's way (copying the numbers out) works. A file of its own: the panic hook is
//! global to the process.

use std::sync::Mutex;

use micrograd::nn::{Activation, MLP, MlpSpec, Module};
use micrograd::{Tape, Value};

static SEEN: Mutex<Vec<(String, u32)>> = Mutex::new(Vec::new());

#[test]
fn ypred_after_a_scoped_loop_panics_at_the_users_line_and_copies_work() {
    let xs = [
        [2.0, 3.0, -1.0],
        [3.0, -1.0, 0.5],
        [0.5, 1.0, 1.0],
        [1.0, 1.0, -1.0],
    ];
    let ys = [1.0, -1.0, -1.0, 1.0];
    let n = MLP::init(&MlpSpec::all(3, &[4, 4, 1], Activation::Tanh), 1337);
    let mut ypred: Vec<Value> = Vec::new();
    let mut numbers: Vec<f64> = Vec::new();
    for _ in 0..5 {
        let _step = Tape::scope();
        let out: Vec<Value> = xs.iter().map(|x| n.forward(&Value::leaves(x))[0]).collect();
        let loss: Value = out
            .iter()
            .zip(ys)
            .map(|(&yout, ygt)| (yout - ygt).pow(2.0))
            .sum();
        n.zero_grad();
        loss.backward();
        for p in n.parameters() {
            p.set_data(p.data() - 0.05 * p.grad());
        }
        numbers = out.iter().map(|v| v.data()).collect();
        ypred = out; // the lecture's `ypred`, as Values
    }
    assert_eq!(numbers.len(), 4);

    std::panic::set_hook(Box::new(|info| {
        let at = info.location().expect("panics have a location");
        SEEN.lock()
            .unwrap()
            .push((at.file().to_string(), at.line()));
    }));
    let line = line!() + 1;
    let caught = std::panic::catch_unwind(|| ypred[0].data());
    let _ = std::panic::take_hook();
    let payload = caught.expect_err("the nodes went with the last step's scope");
    let msg = payload
        .downcast_ref::<String>()
        .cloned()
        .unwrap_or_default();
    assert!(msg.contains("use of a released Value"), "{msg}");
    assert!(msg.contains("copy the number out with .data()"), "{msg}");
    let seen = SEEN.lock().unwrap().clone();
    assert_eq!(seen.len(), 1, "{seen:?}");
    assert!(seen[0].0.ends_with("lecture_ypred.rs"), "{seen:?}");
    assert_eq!(seen[0].1, line, "the user's line");
}
