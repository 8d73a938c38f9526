//! Lecture, part 1: what a derivative is, before any autograd.
//!
//! The lecture opens with a plain function f(x) = 3x^2 - 4x + 5 and estimates its slope by
//! nudging x a little: (f(x + h) - f(x)) / h. Then it does the same for d = a*b + c with
//! respect to each input. Run with `cargo run --example 01_derivative`.

use micrograd::Value;
use micrograd::engine::gradcheck;

fn f(x: f64) -> f64 {
    3.0 * x * x - 4.0 * x + 5.0
}

fn main() {
    // The slope of f at x = 3 by a small nudge h: close to 6x - 4 = 14.
    let h = 0.0001;
    let x = 3.0;
    println!("f(3) = {}", f(x));
    println!(
        "(f(3 + h) - f(3)) / h = {:.6}  (exact: 6x - 4 = 14)",
        (f(x + h) - f(x)) / h
    );
    println!(
        "at x = 2/3 the slope is {:.6} (the minimum)",
        (f(2.0 / 3.0 + h) - f(2.0 / 3.0)) / h
    );

    // d = a*b + c: nudge each input in turn.
    let (a, b, c) = (2.0, -3.0, 10.0);
    let d1 = a * b + c;
    for (name, d2) in [
        ("a", (a + h) * b + c),
        ("b", a * (b + h) + c),
        ("c", a * b + (c + h)),
    ] {
        println!("dd/d{name} ~ {:.6}", (d2 - d1) / h);
    }

    // The same with Values: the engine records the expression and backward() gives all three
    // slopes at once, exactly.
    let av = Value::new(a).with_label("a");
    let bv = Value::new(b).with_label("b");
    let cv = Value::new(c).with_label("c");
    let d = av * bv + cv;
    d.backward();
    println!("d = {d:?}");
    println!("a: {av:?}\nb: {bv:?}\nc: {cv:?}");

    // And the library's checker puts the two side by side for any function of Values.
    for (i, check) in gradcheck(|v| v[0] * v[1] + v[2], &[a, b, c], 1e-6)
        .iter()
        .enumerate()
    {
        println!(
            "input {i}: numeric {:+.9}  analytic {:+.9}",
            check.numeric, check.analytic
        );
    }
}
