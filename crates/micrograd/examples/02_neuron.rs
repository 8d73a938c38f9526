//! Lecture, part 2: a neuron, back-propagated by hand and then by `backward()`.
//!
//! Inputs x1, x2, weights w1, w2, bias b; o = tanh(x1*w1 + x2*w2 + b). The lecture first fills
//! in the gradients by hand with the chain rule, then lets the engine do it.
//! Run with `cargo run --example 02_neuron`.

use micrograd::Value;

fn main() {
    let x1 = Value::new(2.0).with_label("x1");
    let x2 = Value::new(0.0).with_label("x2");
    let w1 = Value::new(-3.0).with_label("w1");
    let w2 = Value::new(1.0).with_label("w2");
    let b = Value::new(6.881_373_587_019_443).with_label("b");
    let x1w1 = (x1 * w1).with_label("x1*w1");
    let x2w2 = (x2 * w2).with_label("x2*w2");
    let n = (x1w1 + x2w2 + b).with_label("n");
    let o = n.tanh().with_label("o");

    // By hand, from the output back (the chain rule, one local derivative at a time):
    let do_dn = 1.0 - o.data() * o.data(); // d tanh(n)/dn = 1 - tanh(n)^2 = 0.5
    let by_hand = [
        ("x1", do_dn * w1.data()), // dn/dx1 = w1
        ("w1", do_dn * x1.data()), // dn/dw1 = x1
        ("x2", do_dn * w2.data()),
        ("w2", do_dn * x2.data()),
        ("b", do_dn),
    ];

    // By the engine: one reverse sweep over the tape.
    o.backward();
    println!("o = {:.4}", o.data());
    for ((name, hand), v) in by_hand.iter().zip([x1, w1, x2, w2, b]) {
        println!(
            "d o / d {name:<2} by hand {hand:+.4}   by backward() {:+.4}",
            v.grad()
        );
    }

    // The same neuron with tanh written out through exp: the gradients do not change.
    let n2 = x1 * w1 + x2 * w2 + b;
    let e = (2.0 * n2).exp();
    let o2 = (e - 1.0) / (e + 1.0);
    for v in [x1, w1, x2, w2, b] {
        v.set_grad(0.0);
    }
    o2.backward();
    println!(
        "via exp: o = {:.4}, x1.grad = {:+.4}, w1.grad = {:+.4}",
        o2.data(),
        x1.grad(),
        w1.grad()
    );

    // A node used twice gets both contributions (the lecture's `b = a + a` bug, fixed).
    let a = Value::new(3.0).with_label("a");
    let twice = a + a;
    twice.backward();
    println!("b = a + a: a.grad = {} (not 1)", a.grad());
}
