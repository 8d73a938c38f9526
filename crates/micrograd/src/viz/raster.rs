//! PNG pictures: a [`Scene`] (the same shapes its SVG is written from) drawn by `tiny-skia`
//! (anti-aliased paths) with text from fonts embedded in the library (outlines read by
//! `ttf-parser`), so a `.png` and an `.svg` are one picture and no system font is needed.
//!
//! The fonts are subsets of DejaVu Sans, DejaVu Sans Bold and DejaVu Sans Mono (Latin,
//! Latin-1, Greek, punctuation, arrows and mathematical operators; see `fonts/README.md` and
//! the licence beside them), the first fonts the SVGs ask for. A character outside them is
//! drawn as the font's missing-glyph box in the PNG; the SVG, shown by a browser, still has
//! it.

use std::sync::OnceLock;

use tiny_skia::{
    FillRule, LineCap, LineJoin, Paint, Path, PathBuilder, Pixmap, Rect, Stroke, StrokeDash,
    Transform,
};

use super::VizError;
use super::scene::{Anchor, Font, Rgb, Scene, Shape, Step};

/// Pixels of the PNG per unit of the SVG.
pub(crate) const PNG_ZOOM: f64 = 2.0;

/// Largest PNG written, in pixels (about 256 MiB while drawing); a larger picture is drawn at
/// a smaller zoom, down to half a pixel per unit (below that, writing PNG is an error).
pub const MAX_PNG_PIXELS: u64 = 64 * 1024 * 1024;
/// Largest side of a PNG, in pixels.
const MAX_PNG_SIDE: f64 = 30_000.0;
/// Smallest zoom at which a large picture is still drawn as PNG (text stays readable when
/// zoomed in); below it, writing PNG is an error that suggests SVG.
const MIN_ZOOM: f64 = 0.5;

static SANS: &[u8] = include_bytes!("fonts/DejaVuSans-subset.ttf");
static SANS_BOLD: &[u8] = include_bytes!("fonts/DejaVuSans-Bold-subset.ttf");
static MONO: &[u8] = include_bytes!("fonts/DejaVuSansMono-subset.ttf");

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
}

/// An embedded typeface, parsed once.
fn face(font: Font) -> &'static ttf_parser::Face<'static> {
    static FACES: OnceLock<[ttf_parser::Face<'static>; 3]> = OnceLock::new();
    let faces = FACES.get_or_init(|| {
        // The files are ours, checked by the tests: parsing cannot fail.
        let parse = |d: &'static [u8]| ttf_parser::Face::parse(d, 0).expect("embedded font");
        [parse(SANS), parse(SANS_BOLD), parse(MONO)]
    });
    match font {
        Font::Sans => &faces[0],
        Font::SansBold => &faces[1],
        Font::Mono => &faces[2],
    }
}

/// The glyphs of `text` and the pen's advance after each, in font units.
fn glyphs(text: &str, font: Font) -> impl Iterator<Item = (ttf_parser::GlyphId, f64)> + '_ {
    let f = face(font);
    text.chars().map(move |c| {
        // control characters are shown as spaces, as the SVG writer does
        let c = if (c as u32) < 0x20 { ' ' } else { c };
        let g = f.glyph_index(c).unwrap_or(ttf_parser::GlyphId(0));
        (g, f.glyph_hor_advance(g).unwrap_or(0) as f64)
    })
}

/// The width of `text` at `size` pixels in `font`, as drawn.
pub(crate) fn text_width(text: &str, size: f64, font: Font) -> f64 {
    let units: f64 = glyphs(text, font).map(|(_, a)| a).sum();
    units * size / face(font).units_per_em() as f64
}

/// The box `(x0, y0, x1, y1)` a text shape covers: its advance across, the font's ascender
/// to descender up and down (turned for vertical text). `None` for other shapes.
#[cfg(test)]
pub(crate) fn text_box(shape: &Shape) -> Option<(f64, f64, f64, f64)> {
    let Shape::Text {
        x,
        y,
        size,
        anchor,
        text,
        font,
        vertical,
        ..
    } = shape
    else {
        return None;
    };
    let w = text_width(text, *size, *font);
    let f = face(*font);
    let em = f.units_per_em() as f64;
    let (asc, desc) = (
        f.ascender() as f64 * size / em,
        -(f.descender() as f64) * size / em,
    );
    let start = match anchor {
        Anchor::Start => 0.0,
        Anchor::Middle => -w / 2.0,
        Anchor::End => -w,
    };
    Some(if *vertical {
        // rotated -90 degrees about (x, y): along the text is up the picture
        (x - asc, y - start - w, x + desc, y - start)
    } else {
        (x + start, y - asc, x + start + w, y + desc)
    })
}

/// Collects a glyph's outline as a path, in font units.
struct Outline(PathBuilder);

impl ttf_parser::OutlineBuilder for Outline {
    fn move_to(&mut self, x: f32, y: f32) {
        self.0.move_to(x, y);
    }
    fn line_to(&mut self, x: f32, y: f32) {
        self.0.line_to(x, y);
    }
    fn quad_to(&mut self, x1: f32, y1: f32, x: f32, y: f32) {
        self.0.quad_to(x1, y1, x, y);
    }
    fn curve_to(&mut self, x1: f32, y1: f32, x2: f32, y2: f32, x: f32, y: f32) {
        self.0.cubic_to(x1, y1, x2, y2, x, y);
    }
    fn close(&mut self) {
        self.0.close();
    }
}

fn paint(c: Rgb, anti_alias: bool) -> Paint<'static> {
    let mut p = Paint::default();
    p.set_color_rgba8(c.0, c.1, c.2, 255);
    p.anti_alias = anti_alias;
    p
}

fn stroke(width: f64) -> Stroke {
    Stroke {
        width: width as f32,
        line_join: LineJoin::Round,
        line_cap: LineCap::Butt,
        ..Stroke::default()
    }
}

fn rect_path(x: f64, y: f64, w: f64, h: f64) -> Option<Path> {
    Rect::from_xywh(x as f32, y as f32, w as f32, h as f32).map(PathBuilder::from_rect)
}

fn oval(cx: f64, cy: f64, rx: f64, ry: f64) -> Option<Path> {
    Rect::from_xywh(
        (cx - rx) as f32,
        (cy - ry) as f32,
        (2.0 * rx) as f32,
        (2.0 * ry) as f32,
    )
    .and_then(PathBuilder::from_oval)
}

/// Draws one shape; `zoom` maps picture units to pixels.
fn draw(pm: &mut Pixmap, shape: &Shape, zoom: Transform) {
    match shape {
        Shape::Rect {
            x,
            y,
            w,
            h,
            fill,
            stroke: outline,
            class,
        } => {
            let Some(path) = rect_path(*x, *y, *w, *h) else {
                return;
            };
            if let Some(f) = fill {
                // grid cells meet edge to edge: no anti-aliased seams between them
                let aa = *class != Some("cell");
                pm.fill_path(&path, &paint(*f, aa), FillRule::Winding, zoom, None);
            }
            if let Some(s) = outline {
                pm.stroke_path(&path, &paint(*s, true), &stroke(1.0), zoom, None);
            }
        }
        Shape::Circle {
            cx,
            cy,
            r,
            fill,
            stroke: outline,
        } => {
            if let Some(path) = oval(*cx, *cy, *r, *r) {
                pm.fill_path(&path, &paint(*fill, true), FillRule::Winding, zoom, None);
                pm.stroke_path(&path, &paint(*outline, true), &stroke(1.0), zoom, None);
            }
        }
        Shape::Ellipse {
            cx,
            cy,
            rx,
            ry,
            fill,
            stroke: outline,
        } => {
            if let Some(path) = oval(*cx, *cy, *rx, *ry) {
                pm.fill_path(&path, &paint(*fill, true), FillRule::Winding, zoom, None);
                pm.stroke_path(&path, &paint(*outline, true), &stroke(1.0), zoom, None);
            }
        }
        Shape::Line {
            pts,
            color,
            width,
            dashed,
        } => {
            let mut pb = PathBuilder::new();
            for (i, &(x, y)) in pts.iter().enumerate() {
                if i == 0 {
                    pb.move_to(x as f32, y as f32);
                } else {
                    pb.line_to(x as f32, y as f32);
                }
            }
            let mut st = stroke(*width);
            if *dashed {
                st.dash = StrokeDash::new(vec![5.0, 4.0], 0.0);
            }
            if let Some(path) = pb.finish() {
                pm.stroke_path(&path, &paint(*color, true), &st, zoom, None);
            }
        }
        Shape::Curve {
            start,
            steps,
            color,
            width,
            arrow,
            ..
        } => {
            let mut pb = PathBuilder::new();
            pb.move_to(start.0 as f32, start.1 as f32);
            // the direction at the end: from the last control (or point) to the end
            let (mut from, mut end) = (*start, *start);
            for st in steps {
                match *st {
                    Step::Line(p) => {
                        pb.line_to(p.0 as f32, p.1 as f32);
                        (from, end) = (end, p);
                    }
                    Step::Cubic(a, b, p) => {
                        pb.cubic_to(
                            a.0 as f32, a.1 as f32, b.0 as f32, b.1 as f32, p.0 as f32, p.1 as f32,
                        );
                        (from, end) = (if b == p { a } else { b }, p);
                    }
                }
            }
            if let Some(path) = pb.finish() {
                pm.stroke_path(&path, &paint(*color, true), &stroke(*width), zoom, None);
            }
            let (dx, dy) = (end.0 - from.0, end.1 - from.1);
            let len = (dx * dx + dy * dy).sqrt();
            if *arrow && len > 0.0 {
                // the SVG's marker: 7 stroke widths long and wide, its tip on the end
                let (ux, uy) = (dx / len, dy / len);
                let (l, half) = (7.0 * width, 3.5 * width);
                let (bx, by) = (end.0 - ux * l, end.1 - uy * l);
                let mut pb = PathBuilder::new();
                pb.move_to(end.0 as f32, end.1 as f32);
                pb.line_to((bx - uy * half) as f32, (by + ux * half) as f32);
                pb.line_to((bx + uy * half) as f32, (by - ux * half) as f32);
                pb.close();
                if let Some(path) = pb.finish() {
                    pm.fill_path(&path, &paint(*color, true), FillRule::Winding, zoom, None);
                }
            }
        }
        Shape::Text {
            x,
            y,
            size,
            anchor,
            color,
            text,
            font,
            vertical,
        } => {
            let f = face(*font);
            let k = size / f.units_per_em() as f64;
            let start = match anchor {
                Anchor::Start => 0.0,
                Anchor::Middle => -text_width(text, *size, *font) / 2.0,
                Anchor::End => -text_width(text, *size, *font),
            };
            let turn = if *vertical {
                Transform::from_rotate_at(-90.0, *x as f32, *y as f32)
            } else {
                Transform::identity()
            };
            let mut pen = x + start;
            let ink = paint(*color, true);
            for (g, advance) in glyphs(text, *font) {
                let mut outline = Outline(PathBuilder::new());
                if f.outline_glyph(g, &mut outline).is_some()
                    && let Some(path) = outline.0.finish()
                {
                    // font units (y up) to picture units (y down) at the pen
                    let glyph =
                        Transform::from_row(k as f32, 0.0, 0.0, -k as f32, pen as f32, *y as f32);
                    let t = zoom.pre_concat(turn).pre_concat(glyph);
                    pm.fill_path(&path, &ink, FillRule::Winding, t, None);
                }
                pen += advance * k;
            }
        }
        Shape::Group { .. } | Shape::EndGroup => {}
    }
}

/// The zoom at which a `w` × `h` picture is drawn as PNG: [`PNG_ZOOM`], or less so that it
/// stays within [`MAX_PNG_PIXELS`] and the largest side; an error below half a pixel per
/// unit.
pub(crate) fn png_zoom(w: f64, h: f64) -> Result<f64, VizError> {
    let mut zoom = PNG_ZOOM;
    let pixels = w * h * zoom * zoom;
    if pixels > MAX_PNG_PIXELS as f64 {
        zoom *= (MAX_PNG_PIXELS as f64 / pixels).sqrt();
    }
    zoom = zoom
        .min(MAX_PNG_SIDE / w.max(1.0))
        .min(MAX_PNG_SIDE / h.max(1.0));
    if zoom < MIN_ZOOM {
        return Err(VizError::new(format!(
            "the picture is too large for a PNG ({} x {} units; at least half a pixel per \
             unit would exceed {} pixels or {} on a side); write it as .svg instead",
            w.ceil(),
            h.ceil(),
            MAX_PNG_PIXELS,
            MAX_PNG_SIDE
        )));
    }
    Ok(zoom)
}

/// Draws `scene` into an RGB image, white behind, at `zoom` pixels per unit.
pub(crate) fn rasterize(scene: &Scene, zoom: f64) -> Result<Image, VizError> {
    let (w, h) = (
        (scene.w * zoom).round().max(1.0) as u32,
        (scene.h * zoom).round().max(1.0) as u32,
    );
    let mut pm = Pixmap::new(w, h).ok_or_else(|| {
        VizError::new(format!(
            "cannot make a {w} x {h} picture (too large); write it as .svg instead"
        ))
    })?;
    pm.fill(tiny_skia::Color::WHITE);
    let t = Transform::from_scale(zoom as f32, zoom as f32);
    for shape in &scene.shapes {
        draw(&mut pm, shape, t);
    }
    // Opaque (white behind everything): premultiplied RGBA is plain RGBA; drop alpha.
    let mut pixels = Vec::with_capacity(w as usize * h as usize * 3);
    for px in pm.data().chunks_exact(4) {
        pixels.extend_from_slice(&px[..3]);
    }
    Ok(Image {
        width: w as usize,
        height: h as usize,
        pixels,
    })
}

/// `scene` as PNG bytes, at [`PNG_ZOOM`] pixels per unit, or less for a very large picture
/// (see [`MAX_PNG_PIXELS`]).
pub(crate) fn scene_to_png(scene: &Scene) -> Result<Vec<u8>, VizError> {
    let zoom = png_zoom(scene.w, scene.h)?;
    encode_png(&rasterize(scene, zoom)?)
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
    fn rasterizes_shapes_and_anti_aliased_text() {
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
        s.text(30.0, 15.0, 12.0, Anchor::Middle, "Ig", false, false);
        let img = rasterize(&s, 2.0).unwrap();
        assert_eq!((img.width, img.height), (80, 40));
        assert_eq!(img.get(10, 10), [255, 0, 0]);
        assert_eq!(img.get(79, 0), [255, 255, 255]);
        // The text has ink, and grey levels between ink and paper (anti-aliasing).
        let grays: std::collections::BTreeSet<u8> = (0..40)
            .flat_map(|y| (44..76).map(move |x| (x, y)))
            .map(|(x, y)| img.get(x, y)[0])
            .collect();
        assert!(grays.first().is_some_and(|&g| g < 80), "{grays:?}");
        assert!(grays.iter().filter(|&&g| g > 80 && g < 220).count() >= 5);
    }

    #[test]
    fn every_font_has_the_characters_the_pictures_use() {
        for font in [Font::Sans, Font::SansBold, Font::Mono] {
            let f = face(font);
            for c in "azAZ09 .,:;-+*/%()[]{}|<>=_'\"!?…·−×ΣαβμσΔ→²".chars() {
                assert!(f.glyph_index(c).is_some(), "{font:?} lacks {c:?}");
            }
        }
    }

    #[test]
    fn text_is_measured_with_the_embedded_fonts() {
        let w = text_width("MLP 2-16-16-1", 16.0, Font::Sans);
        assert!(w > 80.0 && w < 140.0, "{w}");
        assert!(text_width("MLP 2-16-16-1", 16.0, Font::SansBold) > w);
        assert_eq!(text_width("", 16.0, Font::Sans), 0.0);
        // DejaVu Sans Mono advances 0.602 em, which the graph's record widths assume
        let m = text_width("data 0.7071", 10.0, Font::Mono);
        assert!((m - 11.0 * 6.02).abs() < 0.05, "{m}");
        let shape = Shape::Text {
            x: 100.0,
            y: 50.0,
            size: 10.0,
            anchor: Anchor::Middle,
            color: Rgb(0, 0, 0),
            text: "abcd".to_string(),
            font: Font::Mono,
            vertical: false,
        };
        let (x0, y0, x1, y1) = text_box(&shape).unwrap();
        assert!((x1 - x0 - 24.08).abs() < 0.05 && (x0 + x1) / 2.0 == 100.0);
        assert!(y0 < 42.0 && y1 > 51.0 && y1 < 54.0, "{y0} {y1}");
    }

    #[test]
    fn large_pictures_zoom_out_then_are_refused() {
        assert_eq!(png_zoom(600.0, 560.0).unwrap(), PNG_ZOOM);
        let z = png_zoom(8000.0, 8000.0).unwrap();
        assert!((MIN_ZOOM..PNG_ZOOM).contains(&z), "{z}");
        assert!((8000.0 * z).powi(2) <= MAX_PNG_PIXELS as f64 * 1.0001);
        let err = png_zoom(400_000.0, 60.0).unwrap_err().to_string();
        assert!(err.contains(".svg"), "{err}");
    }

    #[test]
    fn png_has_signature() {
        let bytes = encode_png(&Image::new(3, 2)).unwrap();
        assert_eq!(&bytes[..8], b"\x89PNG\r\n\x1a\n");
    }
}
