//! A picture as a short list of shapes, written as SVG or rasterized (see `raster.rs`), so that
//! a plot's `.svg` and `.png` show the same thing.

use std::fmt::Write as _;

use super::svg::{escape, num};

/// An sRGB colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Rgb(pub u8, pub u8, pub u8);

impl Rgb {
    pub const WHITE: Rgb = Rgb(255, 255, 255);

    /// `#rrggbb`.
    pub fn hex(self) -> String {
        format!("#{:02x}{:02x}{:02x}", self.0, self.1, self.2)
    }

    /// This colour moved towards `other` by `t` in `[0, 1]`.
    pub fn mix(self, other: Rgb, t: f64) -> Rgb {
        let t = t.clamp(0.0, 1.0);
        let m = |a: u8, b: u8| (a as f64 + (b as f64 - a as f64) * t).round() as u8;
        Rgb(m(self.0, other.0), m(self.1, other.1), m(self.2, other.2))
    }
}

/// Where a text's `x` is: its start, middle or end.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Anchor {
    Start,
    Middle,
    End,
}

/// One shape, in picture units (pixels of the SVG; the PNG is drawn at a zoom).
#[derive(Clone, Debug)]
pub(crate) enum Shape {
    /// A filled rectangle, optionally outlined; `class` is written to the SVG (for tests and
    /// styling).
    Rect {
        x: f64,
        y: f64,
        w: f64,
        h: f64,
        fill: Option<Rgb>,
        stroke: Option<Rgb>,
        class: Option<&'static str>,
    },
    /// A filled, outlined disc.
    Circle {
        cx: f64,
        cy: f64,
        r: f64,
        fill: Rgb,
        stroke: Rgb,
    },
    /// An open polyline.
    Line {
        pts: Vec<(f64, f64)>,
        color: Rgb,
        width: f64,
        dashed: bool,
    },
    /// One line of text; `y` is its baseline; `vertical` turns it to read bottom to top
    /// around (`x`, `y`).
    Text {
        x: f64,
        y: f64,
        size: f64,
        anchor: Anchor,
        color: Rgb,
        text: String,
        bold: bool,
        vertical: bool,
    },
}

/// A picture: a white canvas of `w` × `h` and its shapes, drawn in order.
#[derive(Clone, Debug)]
pub(crate) struct Scene {
    pub w: f64,
    pub h: f64,
    pub shapes: Vec<Shape>,
}

impl Scene {
    pub fn new(w: f64, h: f64) -> Scene {
        Scene {
            w,
            h,
            shapes: Vec::new(),
        }
    }

    pub fn push(&mut self, s: Shape) {
        self.shapes.push(s);
    }

    /// Adds a text.
    #[allow(clippy::too_many_arguments)]
    pub fn text(
        &mut self,
        x: f64,
        y: f64,
        size: f64,
        anchor: Anchor,
        text: impl Into<String>,
        bold: bool,
        vertical: bool,
    ) {
        self.push(Shape::Text {
            x,
            y,
            size,
            anchor,
            color: Rgb(0x22, 0x22, 0x22),
            text: text.into(),
            bold,
            vertical,
        });
    }

    /// A straight line.
    pub fn line(&mut self, a: (f64, f64), b: (f64, f64), color: Rgb, width: f64) {
        self.push(Shape::Line {
            pts: vec![a, b],
            color,
            width,
            dashed: false,
        });
    }

    /// The scene as a standalone SVG document.
    pub fn to_svg(&self) -> String {
        let mut s = String::with_capacity(512 + self.shapes.len() * 90);
        let (w, h) = (num(self.w), num(self.h));
        let _ = writeln!(
            s,
            "<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{w}\" height=\"{h}\" \
             viewBox=\"0 0 {w} {h}\">"
        );
        s.push_str(
            "<style>text{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif}\
             .cell{shape-rendering:crispEdges}</style>\n",
        );
        let _ = writeln!(s, "<rect width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>");
        for shape in &self.shapes {
            match shape {
                Shape::Rect {
                    x,
                    y,
                    w,
                    h,
                    fill,
                    stroke,
                    class,
                } => {
                    s.push_str("<rect");
                    if let Some(c) = class {
                        let _ = write!(s, " class=\"{c}\"");
                    }
                    let _ = write!(
                        s,
                        " x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\"",
                        num(*x),
                        num(*y),
                        num(*w),
                        num(*h),
                        fill.map_or("none".to_string(), Rgb::hex)
                    );
                    if let Some(st) = stroke {
                        let _ = write!(s, " stroke=\"{}\"", st.hex());
                    }
                    s.push_str("/>\n");
                }
                Shape::Circle {
                    cx,
                    cy,
                    r,
                    fill,
                    stroke,
                } => {
                    let _ = writeln!(
                        s,
                        "<circle cx=\"{}\" cy=\"{}\" r=\"{}\" fill=\"{}\" stroke=\"{}\" \
                         stroke-width=\"1\"/>",
                        num(*cx),
                        num(*cy),
                        num(*r),
                        fill.hex(),
                        stroke.hex()
                    );
                }
                Shape::Line {
                    pts,
                    color,
                    width,
                    dashed,
                } => {
                    if pts.len() < 2 {
                        continue;
                    }
                    s.push_str("<polyline points=\"");
                    for (i, (x, y)) in pts.iter().enumerate() {
                        if i > 0 {
                            s.push(' ');
                        }
                        let _ = write!(s, "{},{}", num(*x), num(*y));
                    }
                    let _ = write!(
                        s,
                        "\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" \
                         stroke-linejoin=\"round\"",
                        color.hex(),
                        num(*width)
                    );
                    if *dashed {
                        s.push_str(" stroke-dasharray=\"5,4\"");
                    }
                    s.push_str("/>\n");
                }
                Shape::Text {
                    x,
                    y,
                    size,
                    anchor,
                    color,
                    text,
                    bold,
                    vertical,
                } => {
                    let anchor = match anchor {
                        Anchor::Start => "start",
                        Anchor::Middle => "middle",
                        Anchor::End => "end",
                    };
                    let _ = write!(
                        s,
                        "<text x=\"{}\" y=\"{}\" font-size=\"{}\" text-anchor=\"{anchor}\" \
                         fill=\"{}\"",
                        num(*x),
                        num(*y),
                        num(*size),
                        color.hex()
                    );
                    if *bold {
                        s.push_str(" font-weight=\"bold\"");
                    }
                    if *vertical {
                        let _ = write!(s, " transform=\"rotate(-90 {} {})\"", num(*x), num(*y));
                    }
                    let _ = writeln!(s, ">{}</text>", escape(text));
                }
            }
        }
        s.push_str("</svg>\n");
        s
    }
}
