//! The arithmetic of batched replay: one matrix product routine for a layer's forward values
//! and both of its gradients, in the order of additions the tape's own sweep uses.
//!
//! [`gemm`] computes `C[r][c] = init + sum_i A(r, i) * B(i, c)`, each sum over `i` added
//! one term at a time in the order asked for (ascending or descending), starting from `init`
//! (0 or what `C` holds), each term a product rounded on its own (no fused multiply-add: Rust
//! never contracts `a * b + c`). So every element is the same chain of roundings as the
//! scalar loop `for i in order { s += a * b }`, and the result is bit-equal to it; only
//! independent sums run side by side, in SIMD lanes and in registers.
//!
//! The code is portable (fixed-size arrays that the compiler turns into vector instructions);
//! it is compiled three times, for AVX-512F, for AVX2 and for the baseline target, and the
//! widest one the CPU has is picked at run time (why it pays: ARCHITECTURE.md, batched
//! replay). The numbers do not
//! depend on which: each element's operations are the same (the test below runs every variant
//! the CPU has against the scalar loop).

/// Rows of `C` computed together (the rows of an A panel).
const R: usize = 4;

/// One product `C = init + A * B` (see the module documentation).
pub(crate) struct Gemm<'a> {
    /// `A(r, i) = a[r * a_row + i * a_inner]`.
    pub a: &'a [f64],
    /// A's stride between rows.
    pub a_row: usize,
    /// A's stride between terms.
    pub a_inner: usize,
    /// `B(i, c) = b[i * b_inner + c]`.
    pub b: &'a [f64],
    /// B's stride between terms (its columns are contiguous).
    pub b_inner: usize,
    /// Rows of `C` (and of A).
    pub rows: usize,
    /// Columns of `C` (and of B).
    pub cols: usize,
    /// Terms of each sum.
    pub inner: usize,
    /// Add the terms from the last `i` down to the first (the backward sweep's order).
    pub desc: bool,
    /// Start every sum from `C`'s current value (else from `0.0`).
    pub accumulate: bool,
    /// Added to each finished sum, by column (`sum + b`, an affine node's bias).
    pub bias: Option<&'a [f64]>,
}

/// Computes `g` into `c` (row stride `c_row`), using `panel` as scratch space.
///
/// Pre: the slices cover every index the strides name.
pub(crate) fn gemm(g: &Gemm<'_>, c: &mut [f64], c_row: usize, panel: &mut Vec<f64>) {
    if g.rows == 0 || g.cols == 0 {
        return;
    }
    if g.inner == 0 {
        // Empty sums: the start value, plus the bias.
        for r in 0..g.rows {
            let row = &mut c[r * c_row..r * c_row + g.cols];
            for (col, out) in row.iter_mut().enumerate() {
                let s = if g.accumulate { *out } else { 0.0 };
                *out = g.bias.map_or(s, |b| s + b[col]);
            }
        }
        return;
    }
    pack(g, panel);
    #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
    {
        if std::arch::is_x86_feature_detected!("avx512f") {
            // SAFETY: the CPU has AVX-512F (checked just above), the only requirement of
            // `gemm_avx512` beyond the function's own preconditions.
            unsafe { gemm_avx512(g, c, c_row, panel) };
            return;
        }
        if std::arch::is_x86_feature_detected!("avx2") {
            // SAFETY: the CPU has AVX2 (checked just above).
            unsafe { gemm_avx2(g, c, c_row, panel) };
            return;
        }
    }
    gemm_cols::<8>(g, c, c_row, panel);
}

#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
#[target_feature(enable = "avx512f")]
fn gemm_avx512(g: &Gemm<'_>, c: &mut [f64], c_row: usize, panel: &[f64]) {
    gemm_cols::<16>(g, c, c_row, panel);
}

#[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
#[target_feature(enable = "avx2")]
fn gemm_avx2(g: &Gemm<'_>, c: &mut [f64], c_row: usize, panel: &[f64]) {
    gemm_cols::<8>(g, c, c_row, panel);
}

/// Copies A into panels of `R` rows: `panel[(block * inner + i) * R + r] = A(block * R + r, i)`,
/// so the kernel reads `R` numbers of A per term from one place. Rows past the end repeat
/// the last row (their sums are computed and not stored).
fn pack(g: &Gemm<'_>, panel: &mut Vec<f64>) {
    const { assert!(R == 4, "the row-major copy below is written for R = 4") };
    let blocks = g.rows.div_ceil(R);
    // Every entry is written below: no need to clear what an earlier product left.
    panel.resize(blocks * g.inner * R, 0.0);
    for (block, p) in panel.chunks_exact_mut(g.inner * R).enumerate() {
        let r0 = block * R;
        let last = g.rows - 1 - r0; // the last valid row of the block, if < R - 1
        let row = |r: usize| (r0 + r.min(last)) * g.a_row;
        if g.a_inner == 1 {
            // A's rows are contiguous: interleave R of them.
            let rows: [&[f64]; R] = std::array::from_fn(|r| &g.a[row(r)..row(r) + g.inner]);
            let terms = rows[0].iter().zip(rows[1]).zip(rows[2]).zip(rows[3]);
            for (p, (((&a0, &a1), &a2), &a3)) in p.chunks_exact_mut(R).zip(terms) {
                p.copy_from_slice(&[a0, a1, a2, a3]);
            }
        } else if g.a_row == 1 && last >= R - 1 {
            // A's columns are contiguous: R numbers per term, in place.
            for (i, p) in p.chunks_exact_mut(R).enumerate() {
                let at = r0 + i * g.a_inner;
                p.copy_from_slice(&g.a[at..at + R]);
            }
        } else {
            for (i, p) in p.chunks_exact_mut(R).enumerate() {
                for (r, slot) in p.iter_mut().enumerate() {
                    *slot = g.a[row(r) + i * g.a_inner];
                }
            }
        }
    }
}

/// The columns in blocks of `W`, then of 4, then one at a time.
#[inline(always)]
fn gemm_cols<const W: usize>(g: &Gemm<'_>, c: &mut [f64], c_row: usize, panel: &[f64]) {
    let mut c0 = 0;
    while c0 + W <= g.cols {
        cols_block::<W>(g, c, c_row, panel, c0);
        c0 += W;
    }
    while c0 + 4 <= g.cols {
        cols_block::<4>(g, c, c_row, panel, c0);
        c0 += 4;
    }
    while c0 < g.cols {
        cols_block::<1>(g, c, c_row, panel, c0);
        c0 += 1;
    }
}

/// Columns `c0..c0 + W` of every row.
#[inline(always)]
fn cols_block<const W: usize>(g: &Gemm<'_>, c: &mut [f64], c_row: usize, panel: &[f64], c0: usize) {
    let b = &g.b[..g.inner * g.b_inner];
    for (block, p) in panel.chunks_exact(g.inner * R).enumerate() {
        let rows = R.min(g.rows - block * R);
        let mut acc = [[0.0f64; W]; R];
        if g.accumulate {
            for (r, acc) in acc.iter_mut().enumerate().take(rows) {
                let at = (block * R + r) * c_row + c0;
                acc.copy_from_slice(&c[at..at + W]);
            }
        }
        let terms = p.chunks_exact(R).zip(b.chunks_exact(g.b_inner));
        if g.desc {
            for (a, b) in terms.rev() {
                step::<W>(&mut acc, a, &b[c0..c0 + W]);
            }
        } else {
            for (a, b) in terms {
                step::<W>(&mut acc, a, &b[c0..c0 + W]);
            }
        }
        for (r, acc) in acc.iter().enumerate().take(rows) {
            let at = (block * R + r) * c_row + c0;
            let out = &mut c[at..at + W];
            match g.bias {
                Some(bias) => {
                    for ((o, &s), &bv) in out.iter_mut().zip(acc).zip(&bias[c0..c0 + W]) {
                        *o = s + bv;
                    }
                }
                None => out.copy_from_slice(acc),
            }
        }
    }
}

/// One term for every accumulator: `acc[r][c] += a[r] * b[c]` (a product, then a sum).
#[inline(always)]
fn step<const W: usize>(acc: &mut [[f64; W]; R], a: &[f64], b: &[f64]) {
    let a: &[f64; R] = a.try_into().expect("a panel row holds R numbers");
    let b: &[f64; W] = b.try_into().expect("a block holds W columns");
    for r in 0..R {
        for c in 0..W {
            acc[r][c] += a[r] * b[c];
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The scalar loop the kernel must equal, bit for bit.
    fn reference(g: &Gemm<'_>, c: &mut [f64], c_row: usize) {
        for r in 0..g.rows {
            for col in 0..g.cols {
                let mut s = if g.accumulate {
                    c[r * c_row + col]
                } else {
                    0.0
                };
                let order: Vec<usize> = if g.desc {
                    (0..g.inner).rev().collect()
                } else {
                    (0..g.inner).collect()
                };
                for i in order {
                    s += g.a[r * g.a_row + i * g.a_inner] * g.b[i * g.b_inner + col];
                }
                c[r * c_row + col] = match g.bias {
                    Some(b) => s + b[col],
                    None => s,
                };
            }
        }
    }

    #[test]
    fn gemm_equals_the_scalar_loop_to_the_bit() {
        let mut seed = 0x9e3779b97f4a7c15u64;
        let mut next = || {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            (seed >> 11) as f64 / (1u64 << 53) as f64 * 4.0 - 2.0
        };
        for (rows, cols, inner) in [(1, 1, 1), (5, 17, 3), (9, 33, 40), (4, 16, 16), (7, 3, 0)] {
            for (desc, accumulate, bias, transposed) in [
                (false, false, true, false),
                (true, true, false, false),
                (true, true, false, true),
            ] {
                let a: Vec<f64> = (0..rows * inner).map(|_| next()).collect();
                let b: Vec<f64> = (0..inner * cols).map(|_| next()).collect();
                let bv: Vec<f64> = (0..cols).map(|_| next()).collect();
                let (a_row, a_inner) = if transposed { (1, rows) } else { (inner, 1) };
                let g = Gemm {
                    a: &a,
                    a_row,
                    a_inner,
                    b: &b,
                    b_inner: cols,
                    rows,
                    cols,
                    inner,
                    desc,
                    accumulate,
                    bias: bias.then_some(&bv[..]),
                };
                let c0: Vec<f64> = (0..rows * cols).map(|_| next()).collect();
                let mut want = c0.clone();
                reference(&g, &mut want, cols);
                let bits = |v: &[f64]| v.iter().map(|x| x.to_bits()).collect::<Vec<_>>();
                // The dispatching entry point, and each compiled variant this CPU can run.
                let mut got = c0.clone();
                gemm(&g, &mut got, cols, &mut Vec::new());
                assert_eq!(bits(&got), bits(&want), "{rows}x{cols}x{inner} {desc}");
                if inner == 0 {
                    continue;
                }
                let mut panel = Vec::new();
                pack(&g, &mut panel);
                let mut portable = c0.clone();
                gemm_cols::<8>(&g, &mut portable, cols, &panel);
                assert_eq!(
                    bits(&portable),
                    bits(&want),
                    "portable {rows}x{cols}x{inner}"
                );
                #[cfg(any(target_arch = "x86", target_arch = "x86_64"))]
                {
                    if std::arch::is_x86_feature_detected!("avx2") {
                        let mut v = c0.clone();
                        // SAFETY: the CPU has AVX2 (checked just above).
                        unsafe { gemm_avx2(&g, &mut v, cols, &panel) };
                        assert_eq!(bits(&v), bits(&want), "avx2 {rows}x{cols}x{inner}");
                    }
                    if std::arch::is_x86_feature_detected!("avx512f") {
                        let mut v = c0.clone();
                        // SAFETY: the CPU has AVX-512F (checked just above).
                        unsafe { gemm_avx512(&g, &mut v, cols, &panel) };
                        assert_eq!(bits(&v), bits(&want), "avx512 {rows}x{cols}x{inner}");
                    }
                }
            }
        }
    }
}
