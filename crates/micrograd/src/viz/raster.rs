//! PNG pictures: the SVG we write, rasterized by `resvg` (anti-aliased shapes and text) with
//! fonts embedded in the library, so a `.png` and an `.svg` are one picture and no system
//! font is needed.
//!
//! The fonts are subsets of DejaVu Sans, DejaVu Sans Bold and DejaVu Sans Mono (Latin,
//! Latin-1, Greek, punctuation, arrows and mathematical operators; see `fonts/README.md` and
//! the licence beside them). A character outside them is drawn as the font's missing-glyph
//! box in the PNG; the SVG, shown by a browser, still has it.

use std::sync::{Arc, OnceLock};

use resvg::tiny_skia;
use resvg::usvg::{self, fontdb};

use super::VizError;

/// Pixels of the PNG per unit of the SVG.
pub(crate) const PNG_ZOOM: f64 = 2.0;

/// Largest PNG written, in pixels (about 256 MiB while drawing); a larger picture is drawn at
/// a smaller zoom, down to [`MIN_ZOOM`].
pub const MAX_PNG_PIXELS: u64 = 64 * 1024 * 1024;
/// Largest side of a PNG, in pixels (the rasterizer's limit is a little higher).
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

/// The embedded fonts, loaded once.
fn fonts() -> Arc<fontdb::Database> {
    static DB: OnceLock<Arc<fontdb::Database>> = OnceLock::new();
    DB.get_or_init(|| {
        let mut db = fontdb::Database::new();
        for data in [SANS, SANS_BOLD, MONO] {
            db.load_font_source(fontdb::Source::Binary(Arc::new(data)));
        }
        db.set_sans_serif_family("DejaVu Sans");
        db.set_monospace_family("DejaVu Sans Mono");
        db.set_serif_family("DejaVu Sans");
        Arc::new(db)
    })
    .clone()
}

/// Parses one of our SVG documents with the embedded fonts.
pub(crate) fn parse_svg(svg: &str) -> Result<usvg::Tree, VizError> {
    let options = usvg::Options {
        font_family: "DejaVu Sans".to_string(),
        fontdb: fonts(),
        ..usvg::Options::default()
    };
    usvg::Tree::from_str(svg, &options)
        .map_err(|e| VizError::new(format!("cannot read the SVG picture to draw it: {e}")))
}

/// The extents `(x0, y0, x1, y1)` of every text of an SVG document as the embedded fonts
/// draw it, in the SVG's units (used to check that no text is clipped, and to fit a title).
pub(crate) fn text_extents(svg: &str) -> Result<Vec<(f64, f64, f64, f64)>, VizError> {
    fn walk(g: &usvg::Group, out: &mut Vec<(f64, f64, f64, f64)>) {
        for n in g.children() {
            match n {
                usvg::Node::Group(g) => walk(g, out),
                usvg::Node::Text(t) => {
                    let b = t.abs_bounding_box();
                    out.push((
                        b.left() as f64,
                        b.top() as f64,
                        b.right() as f64,
                        b.bottom() as f64,
                    ));
                }
                _ => {}
            }
        }
    }
    let tree = parse_svg(svg)?;
    let mut out = Vec::new();
    walk(tree.root(), &mut out);
    Ok(out)
}

/// The width of `text` at `size` pixels in DejaVu Sans (bold if `bold`), as drawn.
pub(crate) fn text_width(text: &str, size: f64, bold: bool) -> f64 {
    let svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"10\" height=\"10\">\
         <text x=\"0\" y=\"5\" font-family=\"DejaVu Sans\" font-size=\"{size}\"{}>{}</text></svg>",
        if bold { " font-weight=\"bold\"" } else { "" },
        super::svg::escape(text)
    );
    match text_extents(&svg) {
        Ok(e) => e.iter().map(|b| b.2 - b.0).fold(0.0, f64::max),
        // An estimate if the text cannot be measured (it can: the fonts are embedded).
        Err(_) => text.chars().count() as f64 * size * 0.62,
    }
}

/// The zoom at which a `w` × `h` picture is drawn as PNG: [`PNG_ZOOM`], or less so that it
/// stays within [`MAX_PNG_PIXELS`] and the largest side; an error below [`MIN_ZOOM`].
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

/// Draws an SVG document (one of ours) into an RGB image, white behind, at `zoom` pixels per
/// unit.
pub(crate) fn rasterize_svg(svg: &str, zoom: f64) -> Result<Image, VizError> {
    let tree = parse_svg(svg)?;
    let size = tree.size();
    let (w, h) = (
        (size.width() as f64 * zoom).round().max(1.0) as u32,
        (size.height() as f64 * zoom).round().max(1.0) as u32,
    );
    let mut pixmap = tiny_skia::Pixmap::new(w, h).ok_or_else(|| {
        VizError::new(format!(
            "cannot make a {w} x {h} picture (too large); write it as .svg instead"
        ))
    })?;
    pixmap.fill(tiny_skia::Color::WHITE);
    let t = tiny_skia::Transform::from_scale(zoom as f32, zoom as f32);
    resvg::render(&tree, t, &mut pixmap.as_mut());
    // Opaque (white behind everything): premultiplied RGBA is plain RGBA; drop alpha.
    let rgba = pixmap.data();
    let mut pixels = Vec::with_capacity(w as usize * h as usize * 3);
    for px in rgba.chunks_exact(4) {
        pixels.extend_from_slice(&px[..3]);
    }
    Ok(Image {
        width: w as usize,
        height: h as usize,
        pixels,
    })
}

/// An SVG document (one of ours) as PNG bytes, at [`PNG_ZOOM`] pixels per unit or less for a
/// very large picture (see [`MAX_PNG_PIXELS`]).
pub(crate) fn svg_to_png(svg: &str, w: f64, h: f64) -> Result<Vec<u8>, VizError> {
    let zoom = png_zoom(w, h)?;
    encode_png(&rasterize_svg(svg, zoom)?)
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
        let svg = "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"40\" height=\"20\">\
                   <rect width=\"20\" height=\"20\" fill=\"#ff0000\"/>\
                   <text x=\"30\" y=\"15\" font-size=\"12\" text-anchor=\"middle\" \
                   font-family=\"DejaVu Sans\">Ig</text></svg>";
        let img = rasterize_svg(svg, 2.0).unwrap();
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
    fn text_is_measured_with_the_embedded_font() {
        let w = text_width("MLP 2-16-16-1", 16.0, false);
        assert!(w > 80.0 && w < 140.0, "{w}");
        assert!(text_width("MLP 2-16-16-1", 16.0, true) > w);
        assert!(text_width("", 16.0, false) == 0.0);
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
