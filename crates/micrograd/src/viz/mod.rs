//! Pictures: computation graphs and training plots, drawn by the program itself.
//!
//! - `graph.rs`: a value's graph as data (records and operation nodes) and as Graphviz DOT
//!   ([`to_dot`], [`write_dot`]), like the lecture's `draw_dot`.
//!   [`GraphOptions`] draws neurons expanded into the lecture's `*` and `+` nodes.
//! - `layout.rs`: the same graph laid out left to right in layers (our own layered layout,
//!   bounded work for every graph it accepts) and drawn as SVG ([`to_svg`], [`write_svg`],
//!   [`graph_layout`], [`graph_png`]); no Graphviz install needed.
//! - `scene.rs`: a picture as a list of shapes (rectangles, discs, ellipses, lines, curves,
//!   text), written as SVG; plots and graphs are both drawn this way.
//! - `raster.rs`: the same scene drawn by `tiny-skia` into a PNG, with text from DejaVu fonts
//!   embedded in the library (read by `ttf-parser`): the `.png` and the `.svg` are one picture.
//! - `plot.rs`: decision boundaries ([`Boundary`], [`boundary_svg`], [`save_boundary`]) and
//!   loss/accuracy curves ([`curves_svg`], [`save_curves`]).
//! - `svg.rs`: escaping and number formatting shared by the SVG writers.
//!
//! ```
//! use micrograd::{Value, viz};
//!
//! let x = Value::new(2.0).with_label("x");
//! let y = (x * 3.0).tanh();
//! y.backward();
//! let dot = viz::to_dot(y);
//! assert!(dot.contains("rankdir=LR"));
//! assert!(dot.contains("data 2.0000"));
//! let svg = viz::to_svg(y).unwrap();
//! assert!(svg.starts_with("<svg"));
//! ```
//!
//! Plots, written with [`save_boundary`] / [`save_curves`] as `.svg` or `.png`:
//!
//! ```
//! use micrograd::viz;
//!
//! let points = [[0.0, 0.0], [1.0, 1.0]];
//! let labels = [0, 1];
//! let b = viz::Boundary::compute(&points, 20, |x, _y| usize::from(x > 0.5));
//! let svg = viz::boundary_svg(&b, &points, &labels, "a line");
//! assert_eq!(svg.matches("class=\"cell\"").count(), 400);
//! let svg = viz::curves_svg(&[1.0, 0.5, 0.2], &[0.5, 1.0, 1.0], "training");
//! assert!(svg.contains(">training</text>"));
//! ```

mod graph;
mod layout;
mod plot;
mod raster;
mod scene;
mod svg;

pub use graph::{GraphModel, GraphOptions, OpNode, ValueRecord, to_dot, to_dot_with, write_dot};
pub use layout::{
    COORD_PASSES, GraphEdge, GraphLayout, LayoutStats, MAX_ORDER_SWEEPS, MAX_SVG_VALUES,
    MAX_VIRTUAL_NODES, NodeBox, NodeKind, OPTIMIZE_MAX_VALUES, graph_layout, graph_layout_with,
    graph_png, layout_model, to_svg, to_svg_with, write_svg,
};
pub use plot::{
    Boundary, BoundaryNames, boundary_png, boundary_svg, boundary_svg_named, curves_svg,
    save_boundary, save_boundary_named, save_curves,
};
pub use raster::{Image, MAX_PNG_PIXELS, encode_png};

use std::fmt;
use std::path::Path;

/// An error while drawing or saving a picture: what went wrong and, for files, which path.
#[derive(Debug)]
pub struct VizError {
    message: String,
}

impl VizError {
    /// An error with this message.
    pub fn new(message: impl Into<String>) -> VizError {
        VizError {
            message: message.into(),
        }
    }

    /// An I/O error while writing `path`.
    pub(crate) fn io(path: &Path, what: &str, err: std::io::Error) -> VizError {
        VizError::new(format!("cannot write {what} to {}: {err}", path.display()))
    }

    /// The message (also what `Display` prints).
    pub fn message(&self) -> &str {
        &self.message
    }
}

impl fmt::Display for VizError {
    /// The message, with control characters (of a file name) escaped ([`crate::text`]).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&crate::text::escape(&self.message))
    }
}

impl std::error::Error for VizError {}

/// Writes `text` to `path`, mapping an I/O failure to a [`VizError`] naming the path.
pub(crate) fn write_text(path: &Path, what: &str, text: &str) -> Result<(), VizError> {
    std::fs::write(path, text).map_err(|e| VizError::io(path, what, e))
}
