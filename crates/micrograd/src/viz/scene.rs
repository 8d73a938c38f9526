//! A picture as a list of shapes, written as SVG or rasterized (see `raster.rs`), so that a
//! picture's `.svg` and `.png` show the same thing: the plots and the graph pictures are both
//! drawn this way.

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

/// The embedded typefaces (see `raster.rs`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Font {
    /// DejaVu Sans (plots).
    Sans,
    /// DejaVu Sans Bold (titles).
    SansBold,
    /// DejaVu Sans Mono (graph records, whose widths are counted in characters).
    Mono,
}

/// One step of a [`Shape::Curve`]: to `to`, straight or as a cubic through two controls.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum Step {
    Line((f64, f64)),
    Cubic((f64, f64), (f64, f64), (f64, f64)),
}

/// One shape, in picture units (pixels of the SVG; the PNG is drawn at a zoom).
#[derive(Clone, Debug)]
pub(crate) enum Shape {
    /// A filled rectangle, optionally outlined (1 unit); `class` is written to the SVG (for
    /// tests and styling; class `cell` is drawn without anti-aliasing, edge to edge).
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
    /// A filled ellipse outlined in 1 unit.
    Ellipse {
        cx: f64,
        cy: f64,
        rx: f64,
        ry: f64,
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
    /// An open path from `start`, ending in an arrowhead if `arrow` (written with the SVG's
    /// `#arrow` marker: 7 stroke widths long and wide, its tip on the end point).
    Curve {
        start: (f64, f64),
        steps: Vec<Step>,
        color: Rgb,
        width: f64,
        arrow: bool,
        class: Option<&'static str>,
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
        font: Font,
        vertical: bool,
    },
    /// Starts an SVG group `<g class="...">` with an optional tooltip; nothing is drawn.
    Group {
        class: &'static str,
        title: Option<String>,
    },
    /// Ends the latest [`Shape::Group`].
    EndGroup,
}

/// Which SVG header a scene gets: its fonts and definitions.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Style {
    /// Plots: DejaVu Sans (or another sans-serif font), sizes per text.
    Plot,
    /// Graph pictures: DejaVu Sans Mono at one size, and the arrowhead marker.
    Graph,
}

/// A picture: a white canvas of `w` × `h` and its shapes, drawn in order.
#[derive(Clone, Debug)]
pub(crate) struct Scene {
    pub w: f64,
    pub h: f64,
    pub style: Style,
    pub shapes: Vec<Shape>,
}

impl Scene {
    pub fn new(w: f64, h: f64) -> Scene {
        Scene {
            w,
            h,
            style: Style::Plot,
            shapes: Vec::new(),
        }
    }

    pub fn push(&mut self, s: Shape) {
        self.shapes.push(s);
    }

    /// Adds a text in dark ink, DejaVu Sans (bold if `bold`).
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
            font: if bold { Font::SansBold } else { Font::Sans },
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
        match self.style {
            Style::Plot => s.push_str(
                "<style>text{font-family:'DejaVu Sans',Helvetica,Arial,sans-serif}\
                 .cell{shape-rendering:crispEdges}</style>\n",
            ),
            Style::Graph => {
                let _ = writeln!(
                    s,
                    "<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"10\" refY=\"5\" \
                     markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\">\
                     <path d=\"M0,0 L10,5 L0,10 z\" fill=\"#555555\"/></marker></defs>\n\
                     <style>text{{font-family:'DejaVu Sans Mono',Menlo,Consolas,\
                     'Liberation Mono','Courier New',monospace}}</style>"
                );
            }
        }
        let _ = writeln!(s, "<rect width=\"{w}\" height=\"{h}\" fill=\"#ffffff\"/>");
        for shape in &self.shapes {
            write_shape(&mut s, shape);
        }
        s.push_str("</svg>\n");
        s
    }
}

/// SVG path data of a [`Shape::Curve`].
pub(crate) fn curve_data(start: (f64, f64), steps: &[Step]) -> String {
    let mut d = format!("M {} {}", num(start.0), num(start.1));
    for st in steps {
        match st {
            Step::Line((x, y)) => {
                let _ = write!(d, " L {} {}", num(*x), num(*y));
            }
            Step::Cubic(a, b, c) => {
                let _ = write!(
                    d,
                    " C {} {}, {} {}, {} {}",
                    num(a.0),
                    num(a.1),
                    num(b.0),
                    num(b.1),
                    num(c.0),
                    num(c.1)
                );
            }
        }
    }
    d
}

fn write_shape(s: &mut String, shape: &Shape) {
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
                let _ = write!(s, " stroke=\"{}\" stroke-width=\"1\"", st.hex());
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
        Shape::Ellipse {
            cx,
            cy,
            rx,
            ry,
            fill,
            stroke,
        } => {
            let _ = writeln!(
                s,
                "<ellipse cx=\"{}\" cy=\"{}\" rx=\"{}\" ry=\"{}\" fill=\"{}\" stroke=\"{}\" \
                 stroke-width=\"1\"/>",
                num(*cx),
                num(*cy),
                num(*rx),
                num(*ry),
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
                return;
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
                "\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\" stroke-linejoin=\"round\"",
                color.hex(),
                num(*width)
            );
            if *dashed {
                s.push_str(" stroke-dasharray=\"5,4\"");
            }
            s.push_str("/>\n");
        }
        Shape::Curve {
            start,
            steps,
            color,
            width,
            arrow,
            class,
        } => {
            s.push_str("<path");
            if let Some(c) = class {
                let _ = write!(s, " class=\"{c}\"");
            }
            let _ = write!(
                s,
                " d=\"{}\" fill=\"none\" stroke=\"{}\" stroke-width=\"{}\"",
                curve_data(*start, steps),
                color.hex(),
                num(*width)
            );
            if *arrow {
                s.push_str(" marker-end=\"url(#arrow)\"");
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
            font,
            vertical,
        } => {
            let anchor = match anchor {
                Anchor::Start => "start",
                Anchor::Middle => "middle",
                Anchor::End => "end",
            };
            let _ = write!(
                s,
                "<text x=\"{}\" y=\"{}\" font-size=\"{}\" text-anchor=\"{anchor}\" fill=\"{}\"",
                num(*x),
                num(*y),
                num(*size),
                color.hex()
            );
            if *font == Font::SansBold {
                s.push_str(" font-weight=\"bold\"");
            }
            if *vertical {
                let _ = write!(s, " transform=\"rotate(-90 {} {})\"", num(*x), num(*y));
            }
            let _ = writeln!(s, ">{}</text>", escape(text));
        }
        Shape::Group { class, title } => {
            let _ = write!(s, "<g class=\"{class}\">");
            if let Some(t) = title {
                let _ = write!(s, "<title>{}</title>", escape(t));
            }
            s.push('\n');
        }
        Shape::EndGroup => s.push_str("</g>\n"),
    }
}
