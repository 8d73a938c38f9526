//! micrograd's README example, line for line.
//! Run with `cargo run --example 03_micrograd_readme`.

use micrograd::Value;

#[allow(clippy::misrefactored_assign_op)] // `c += c + 1` as micrograd writes it
fn main() {
    let a = Value::new(-4.0);
    let b = Value::new(2.0);
    let mut c = a + b;
    let mut d = a * b + b.pow(3.0);
    c += c + 1.0;
    c += 1.0 + c + (-a);
    d += d * 2.0 + (b + a).relu();
    d += 3.0 * d + (b - a).relu();
    let e = c - d;
    let f = e.pow(2.0);
    let mut g = f / 2.0;
    g += 10.0 / f;
    println!("{:.4}", g.data()); // prints 24.7041, the outcome of this forward pass
    g.backward();
    println!("{:.4}", a.grad()); // prints 138.8338, i.e. the numerical value of dg/da
    println!("{:.4}", b.grad()); // prints 645.5773, i.e. the numerical value of dg/db
}
