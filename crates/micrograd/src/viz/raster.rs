//! Rasterizing a scene into an RGB image and encoding it as PNG, in pure Rust.
//!
//! Shapes are drawn at twice the output resolution and averaged down (2×2 supersampling:
//! smooth edges without an anti-aliasing rasterizer); text is drawn afterwards, at the output
//! resolution, with the public-domain 8×8 bitmap font of the `font8x8` crate scaled by an
//! integer factor, so it stays crisp and needs no font file.

use super::VizError;
use super::scene::{Anchor, Rgb, Scene, Shape};

/// Pixels of the PNG per unit of the SVG.
pub(crate) const PNG_ZOOM: f64 = 2.0;
const SUPERSAMPLE: usize = 2;

/// An RGB image, 8 bits per channel, rows top to bottom.
#[derive(Clone, Debug, PartialEq)]
pub struct Image {
    /// Width in pixels.
    pub width: usize,
    /// Height in pixels.
    pub height: usize,
    /// `width * height * 3` bytes, row by row.
    pub pixels: Vec<u8>,
}

impl Image {
    /// A white image.
    pub fn new(width: usize, height: usize) -> Image {
        Image {
            width,
            height,
            pixels: vec![255; width * height * 3],
        }
    }

    /// The colour at (`x`, `y`); panics outside the image (a programming error).
    pub fn get(&self, x: usize, y: usize) -> [u8; 3] {
        let i = (y * self.width + x) * 3;
        [self.pixels[i], self.pixels[i + 1], self.pixels[i + 2]]
    }

    fn blend(&mut self, x: i64, y: i64, c: Rgb, alpha: f64) {
        if x < 0 || y < 0 || x >= self.width as i64 || y >= self.height as i64 {
            return;
        }
        let i = (y as usize * self.width + x as usize) * 3;
        let a = alpha.clamp(0.0, 1.0);
        for (k, v) in [c.0, c.1, c.2].into_iter().enumerate() {
            let old = self.pixels[i + k] as f64;
            self.pixels[i + k] = (old + (v as f64 - old) * a).round() as u8;
        }
    }

    fn fill_rect(&mut self, x0: f64, y0: f64, x1: f64, y1: f64, c: Rgb) {
        let (xa, xb) = (
            x0.round().max(0.0) as i64,
            x1.round().min(self.width as f64) as i64,
        );
        let (ya, yb) = (
            y0.round().max(0.0) as i64,
            y1.round().min(self.height as f64) as i64,
        );
        for y in ya..yb {
            for x in xa..xb {
                self.blend(x, y, c, 1.0);
            }
        }
    }

    fn disc(&mut self, cx: f64, cy: f64, r: f64, c: Rgb) {
        let (x0, x1) = ((cx - r).floor() as i64, (cx + r).ceil() as i64);
        let (y0, y1) = ((cy - r).floor() as i64, (cy + r).ceil() as i64);
        for y in y0..=y1 {
            for x in x0..=x1 {
                let (dx, dy) = (x as f64 + 0.5 - cx, y as f64 + 0.5 - cy);
                if dx * dx + dy * dy <= r * r {
                    self.blend(x, y, c, 1.0);
                }
            }
        }
    }

    /// A segment of width `w` with round caps.
    fn segment(&mut self, a: (f64, f64), b: (f64, f64), w: f64, c: Rgb) {
        let r = w / 2.0;
        let (x0, x1) = (a.0.min(b.0) - r, a.0.max(b.0) + r);
        let (y0, y1) = (a.1.min(b.1) - r, a.1.max(b.1) + r);
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let len2 = dx * dx + dy * dy;
        for y in y0.floor() as i64..=y1.ceil() as i64 {
            for x in x0.floor() as i64..=x1.ceil() as i64 {
                let (px, py) = (x as f64 + 0.5, y as f64 + 0.5);
                let t = if len2 > 0.0 {
                    (((px - a.0) * dx + (py - a.1) * dy) / len2).clamp(0.0, 1.0)
                } else {
                    0.0
                };
                let (qx, qy) = (a.0 + t * dx - px, a.1 + t * dy - py);
                if qx * qx + qy * qy <= r * r {
                    self.blend(x, y, c, 1.0);
                }
            }
        }
    }

    /// Averages `f` × `f` blocks.
    fn downsample(&self, f: usize) -> Image {
        let (w, h) = (self.width / f, self.height / f);
        let mut out = Image::new(w, h);
        for y in 0..h {
            for x in 0..w {
                for k in 0..3 {
                    let mut sum = 0u32;
                    for sy in 0..f {
                        for sx in 0..f {
                            sum += self.pixels[((y * f + sy) * self.width + x * f + sx) * 3 + k]
                                as u32;
                        }
                    }
                    out.pixels[(y * w + x) * 3 + k] = (sum / (f * f) as u32) as u8;
                }
            }
        }
        out
    }

    /// Draws `text` with the 8×8 bitmap font at integer `scale`; (`x`, `y`) is the anchor
    /// point on the baseline. Characters outside ASCII are drawn as `?`.
    #[allow(clippy::too_many_arguments)]
    fn text(
        &mut self,
        x: f64,
        y: f64,
        scale: usize,
        anchor: Anchor,
        text: &str,
        c: Rgb,
        bold: bool,
        vertical: bool,
    ) {
        let s = scale as i64;
        let advance = 8 * s;
        let len = text.chars().count() as i64 * advance;
        let start = match anchor {
            Anchor::Start => 0,
            Anchor::Middle => -len / 2,
            Anchor::End => -len,
        };
        let (x, y) = (x.round() as i64, y.round() as i64);
        for (n, ch) in text.chars().enumerate() {
            let code = if ch.is_ascii() {
                ch as usize
            } else {
                '?' as usize
            };
            let glyph = font8x8::legacy::BASIC_LEGACY[code];
            for (row, bits) in glyph.iter().enumerate() {
                for col in 0..8 {
                    if bits & (1 << col) == 0 {
                        continue;
                    }
                    // Glyph rows 0..7 sit above the baseline (row 7 holds descenders).
                    let gx = start + n as i64 * advance + col as i64 * s;
                    let gy = (row as i64 - 7) * s;
                    let extra = if bold { 1 } else { 0 };
                    for dy in 0..s {
                        for dx in 0..s + extra {
                            let (px, py) = if vertical {
                                (x + gy + dy, y - gx - dx)
                            } else {
                                (x + gx + dx, y + gy + dy)
                            };
                            self.blend(px, py, c, 1.0);
                        }
                    }
                }
            }
        }
    }
}

/// The glyph scale used for text of `size` SVG pixels at the PNG zoom.
fn glyph_scale(size: f64) -> usize {
    ((size * PNG_ZOOM / 10.0).round() as usize).max(1)
}

/// Draws `scene` at [`PNG_ZOOM`] pixels per unit.
pub(crate) fn rasterize(scene: &Scene) -> Image {
    let z = PNG_ZOOM * SUPERSAMPLE as f64;
    let (w, h) = (
        (scene.w * PNG_ZOOM).round().max(1.0) as usize,
        (scene.h * PNG_ZOOM).round().max(1.0) as usize,
    );
    let mut big = Image::new(w * SUPERSAMPLE, h * SUPERSAMPLE);
    for shape in &scene.shapes {
        match shape {
            Shape::Rect {
                x,
                y,
                w,
                h,
                fill,
                stroke,
                ..
            } => {
                let (x0, y0, x1, y1) = (x * z, y * z, (x + w) * z, (y + h) * z);
                if let Some(f) = fill {
                    big.fill_rect(x0, y0, x1, y1, *f);
                }
                if let Some(s) = stroke {
                    let t = z;
                    big.fill_rect(x0 - t / 2.0, y0 - t / 2.0, x1 + t / 2.0, y0 + t / 2.0, *s);
                    big.fill_rect(x0 - t / 2.0, y1 - t / 2.0, x1 + t / 2.0, y1 + t / 2.0, *s);
                    big.fill_rect(x0 - t / 2.0, y0, x0 + t / 2.0, y1, *s);
                    big.fill_rect(x1 - t / 2.0, y0, x1 + t / 2.0, y1, *s);
                }
            }
            Shape::Circle {
                cx,
                cy,
                r,
                fill,
                stroke,
            } => {
                big.disc(cx * z, cy * z, (r + 0.5) * z, *stroke);
                big.disc(cx * z, cy * z, (r - 0.5) * z, *fill);
            }
            Shape::Line {
                pts,
                color,
                width,
                dashed,
            } => {
                let pts: Vec<(f64, f64)> = pts.iter().map(|(x, y)| (x * z, y * z)).collect();
                let lw = width * z;
                for seg in pts.windows(2) {
                    if *dashed {
                        dashed_segment(&mut big, seg[0], seg[1], lw, *color, 5.0 * z, 4.0 * z);
                    } else {
                        big.segment(seg[0], seg[1], lw, *color);
                    }
                }
            }
            Shape::Text { .. } => {}
        }
    }
    let mut img = big.downsample(SUPERSAMPLE);
    for shape in &scene.shapes {
        if let Shape::Text {
            x,
            y,
            size,
            anchor,
            color,
            text,
            bold,
            vertical,
        } = shape
        {
            img.text(
                x * PNG_ZOOM,
                y * PNG_ZOOM,
                glyph_scale(*size),
                *anchor,
                text,
                *color,
                *bold,
                *vertical,
            );
        }
    }
    img
}

fn dashed_segment(
    img: &mut Image,
    a: (f64, f64),
    b: (f64, f64),
    w: f64,
    c: Rgb,
    on: f64,
    off: f64,
) {
    let len = ((b.0 - a.0).powi(2) + (b.1 - a.1).powi(2)).sqrt();
    if len == 0.0 {
        return;
    }
    let mut t = 0.0;
    while t < len {
        let e = (t + on).min(len);
        let p = |s: f64| (a.0 + (b.0 - a.0) * s / len, a.1 + (b.1 - a.1) * s / len);
        img.segment(p(t), p(e), w, c);
        t += on + off;
    }
}

/// Encodes `img` as an 8-bit RGB PNG.
pub fn encode_png(img: &Image) -> Result<Vec<u8>, VizError> {
    let mut out = Vec::new();
    {
        let mut enc = png::Encoder::new(&mut out, img.width as u32, img.height as u32);
        enc.set_color(png::ColorType::Rgb);
        enc.set_depth(png::BitDepth::Eight);
        let mut writer = enc
            .write_header()
            .map_err(|e| VizError::new(format!("cannot encode the PNG: {e}")))?;
        writer
            .write_image_data(&img.pixels)
            .map_err(|e| VizError::new(format!("cannot encode the PNG: {e}")))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rasterizes_shapes_and_text() {
        let mut s = Scene::new(40.0, 20.0);
        s.push(Shape::Rect {
            x: 0.0,
            y: 0.0,
            w: 20.0,
            h: 20.0,
            fill: Some(Rgb(255, 0, 0)),
            stroke: None,
            class: None,
        });
        s.text(30.0, 15.0, 10.0, Anchor::Middle, "I", false, false);
        let img = rasterize(&s);
        assert_eq!((img.width, img.height), (80, 40));
        assert_eq!(img.get(10, 10), [255, 0, 0]);
        assert_eq!(img.get(79, 0), [255, 255, 255]);
        // The `I` glyph has ink in the middle column just above the baseline.
        let dark = (0..40).any(|y| (55..65).any(|x| img.get(x, y)[0] < 100));
        assert!(dark);
    }

    #[test]
    fn png_has_signature() {
        let bytes = encode_png(&Image::new(3, 2)).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    }
}
