//! Lecture, part 2: a neuron, back-propagated by hand and then by `backward()`.
//!
//! Inputs x1, x2, weights w1, w2, bias b; o = tanh(x1*w1 + x2*w2 + b). The lecture first
//! fills in the gradients by hand with the chain rule, then calls each node's `_backward()`
//! from the output back (here `backward_step()`), then lets `backward()` do it all.
//! Run with `cargo run --release --example 02_neuron`.

use micrograd::Value;

fn main() {
    let x1 = Value::new(2.0).with_label("x1");
    let x2 = Value::new(0.0).with_label("x2");
    let w1 = Value::new(-3.0).with_label("w1");
    let w2 = Value::new(1.0).with_label("w2");
    let b = Value::new(6.881_373_587_019_443).with_label("b");
    let x1w1 = (x1 * w1).with_label("x1*w1");
    let x2w2 = (x2 * w2).with_label("x2*w2");
    let x1w1x2w2 = (x1w1 + x2w2).with_label("x1*w1 + x2*w2");
    let n = (x1w1x2w2 + b).with_label("n");
    let o = n.tanh().with_label("o");
    // Every value, output first: the order in which the gradients are filled in.
    let all = [o, n, x1w1x2w2, b, x1w1, x2w2, x1, w1, x2, w2];
    println!("o = {:.4}", o.data());

    // 1. By hand, from the output back: each grad is the local derivative times the grad
    //    of the node that uses it (the chain rule), typed in as the lecture does.
    o.set_grad(1.0);
    n.set_grad(1.0 - o.data() * o.data()); // do/dn = 1 - tanh(n)^2
    x1w1x2w2.set_grad(n.grad()); // a + passes the gradient on unchanged
    b.set_grad(n.grad());
    x1w1.set_grad(x1w1x2w2.grad());
    x2w2.set_grad(x1w1x2w2.grad());
    x1.set_grad(w1.data() * x1w1.grad()); // d(x1*w1)/dx1 = w1
    w1.set_grad(x1.data() * x1w1.grad());
    x2.set_grad(w2.data() * x2w2.grad());
    w2.set_grad(x2.data() * x2w2.grad());
    let by_hand: Vec<f64> = all.iter().map(|v| v.grad()).collect();

    // 2. Node by node, as the lecture's `o.grad = 1.0; o._backward(); n._backward(); ...`:
    //    each step adds its node's grad times the local derivatives into its operands.
    for v in all {
        v.set_grad(0.0);
    }
    o.set_grad(1.0);
    o.backward_step();
    n.backward_step();
    x1w1x2w2.backward_step();
    x2w2.backward_step();
    x1w1.backward_step();
    let by_steps: Vec<f64> = all.iter().map(|v| v.grad()).collect();

    // 3. By the engine: one reverse sweep over the tape (grads zeroed first, since
    //    backward() adds into them).
    for v in all {
        v.set_grad(0.0);
    }
    o.backward();
    println!(
        "{:<22} {:>9} {:>9} {:>11}",
        "", "by hand", "by steps", "backward()"
    );
    for (k, v) in all.iter().enumerate() {
        println!(
            "{:<22} {:>+9.4} {:>+9.4} {:>+11.4}",
            format!("d o / d {}", v.label().unwrap_or_default()),
            by_hand[k],
            by_steps[k],
            v.grad()
        );
        assert!((by_hand[k] - v.grad()).abs() < 1e-12);
        // The steps use backward()'s own partials, in the same order: the same bits.
        assert_eq!(by_steps[k].to_bits(), v.grad().to_bits());
    }
    println!("the steps and backward() agree to the bit");

    // backward() adds into a grad set by hand, as micrograd's does: n.grad = 0.5 first,
    // then backward() adds do/dn = 0.5.
    for v in all {
        v.set_grad(0.0);
    }
    n.set_grad(0.5);
    o.backward();
    println!("n.set_grad(0.5); o.backward(): n.grad = {:.4}", n.grad());

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
