//! The moons data of the workloads: micrograd's 100 demo points (embedded), or any number of
//! seeded points for the data-parallel workload.

use micrograd::data::SeededRng;

/// Labelled 2-d points: `x[i]` has label `y[i]`, which is -1 or +1.
#[derive(Clone, Debug, PartialEq)]
pub struct Moons {
    /// The points.
    pub x: Vec<[f64; 2]>,
    /// The labels, -1 or +1.
    pub y: Vec<f64>,
}

impl Moons {
    /// Number of points.
    pub fn len(&self) -> usize {
        self.x.len()
    }

    /// Whether there is no point.
    pub fn is_empty(&self) -> bool {
        self.x.is_empty()
    }

    /// Splits the points into `k` contiguous shards of nearly equal size (the first ones get
    /// the extra points). Pre: `k >= 1`.
    pub fn shards(&self, k: usize) -> Vec<Moons> {
        assert!(k >= 1, "micrograd: Moons::shards needs k >= 1");
        let n = self.len();
        let mut out = Vec::with_capacity(k);
        let mut start = 0;
        for s in 0..k {
            let len = n / k + usize::from(s < n % k);
            out.push(Moons {
                x: self.x[start..start + len].to_vec(),
                y: self.y[start..start + len].to_vec(),
            });
            start += len;
        }
        out
    }
}

/// micrograd demo's exact 100 moons points (`data/moons_100_seed1337.csv`, embedded).
pub fn moons_100() -> Moons {
    let mut x = Vec::with_capacity(100);
    let mut y = Vec::with_capacity(100);
    for line in micrograd::data::DEMO_MOONS_CSV
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
    {
        let f: Vec<f64> = line
            .split(',')
            .map(|s| s.trim().parse().expect("the embedded moons CSV is valid"))
            .collect();
        x.push([f[0], f[1]]);
        y.push(f[2]);
    }
    Moons { x, y }
}

/// `n` two-moons points with Gaussian noise of standard deviation `noise`, from `seed`
/// (same seed, same points on every machine). The first half is the upper moon (label -1),
/// the second the lower one (label +1), shuffled together.
pub fn make_moons(n: usize, noise: f64, seed: u64) -> Moons {
    let mut r = SeededRng::new(seed);
    let outer = n / 2;
    let inner = n - outer;
    let mut pts: Vec<([f64; 2], f64)> = Vec::with_capacity(n);
    let angle = |i: usize, m: usize| {
        if m > 1 {
            std::f64::consts::PI * i as f64 / (m - 1) as f64
        } else {
            0.0
        }
    };
    for i in 0..outer {
        let t = angle(i, outer);
        pts.push(([t.cos(), t.sin()], -1.0));
    }
    for i in 0..inner {
        let t = angle(i, inner);
        pts.push(([1.0 - t.cos(), 0.5 - t.sin()], 1.0));
    }
    for p in &mut pts {
        // Box-Muller from two uniforms in (0, 1].
        for c in 0..2 {
            let u1 = 1.0 - r.uniform();
            let u2 = r.uniform();
            let z = (-2.0 * u1.ln()).sqrt() * (2.0 * std::f64::consts::PI * u2).cos();
            p.0[c] += noise * z;
        }
    }
    // Fisher-Yates shuffle.
    for i in (1..n).rev() {
        let j = (r.next_u64() % (i as u64 + 1)) as usize;
        pts.swap(i, j);
    }
    Moons {
        x: pts.iter().map(|p| p.0).collect(),
        y: pts.iter().map(|p| p.1).collect(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn embedded_moons_are_micrograds_100() {
        let m = moons_100();
        assert_eq!(m.len(), 100);
        assert_eq!(m.x[0], [1.1221146075409685, 0.08147717341718697]);
        assert_eq!(m.y[0], -1.0);
        assert_eq!(m.y.iter().filter(|&&y| y == 1.0).count(), 50);
    }

    #[test]
    fn make_moons_is_seeded_and_shards_cover_all() {
        let a = make_moons(1000, 0.1, 7);
        assert_eq!(a, make_moons(1000, 0.1, 7));
        assert_ne!(a, make_moons(1000, 0.1, 8));
        assert_eq!(a.y.iter().filter(|&&y| y == 1.0).count(), 500);
        let s = a.shards(3);
        assert_eq!(
            s.iter().map(Moons::len).collect::<Vec<_>>(),
            [334, 333, 333]
        );
        assert_eq!(s[2].x.last(), a.x.last());
    }
}
