//! The explorer behind `micrograd serve`: a local web page to type a program and step through
//! its backpropagation node by node, and to train a small network and watch it learn.
//!
//! The server is [axum](https://docs.rs/axum) on a tokio runtime, bound to 127.0.0.1 only.
//! The page (HTML, JS, CSS) is embedded in the binary ([`assets`]): no CDN, no build step,
//! it works offline. The API is JSON; every bad request gets a 4xx answer with a JSON body
//! `{"error": "..."}` (and, for a program or a CSV file, the line and column).
//!
//! | endpoint | what |
//! |---|---|
//! | `GET /` (and `/app.js`, `/style.css`) | the page |
//! | `POST /api/expr` | parse and evaluate a program: graph, layout, backward steps, finite differences |
//! | `POST /api/expr/value` | the program's value at other inputs (the nudge slider) |
//! | `POST /api/data` | the data set of a data choice (generated, or CSV text) |
//! | `POST /api/config` | check a training request without starting it: its command line, learning rate (the default for the data when none is given) and network |
//! | `POST /api/train` | start a training run (its own thread); answers its id, command line and learning rate |
//! | `GET /api/train/{id}/events` | Server-Sent Events: the newest frame, then a `done` event |
//! | `POST /api/train/{id}/control` | play, pause, step, stop, speed |
//! | `GET /api/train/{id}/point/{i}` | the forward graph of one data point, with data and grad |
//! | `GET /api/train/{id}/export/{file}` | `model.json`, `model.safetensors`, `boundary.svg`, `boundary.png` |
//! | `DELETE /api/train/{id}` | stop and forget a run |
//! | `GET /api/limits` | the size limits |
//!
//! `Value` is `!Send`, so each training run has its own `std::thread` (and tape); it
//! publishes snapshots (the step, the loss, the weights) into a `tokio::sync::watch`
//! channel, which keeps only the newest. Each event stream renders the newest snapshot when
//! it is ready to send (so a slow page never builds a backlog, and training never waits for
//! the page) and ends with an explicit `done` event, which the page answers with `close()`
//! (a browser's `EventSource` would otherwise reconnect).

#![warn(missing_docs)]

pub mod assets;
pub mod bench;
pub mod command;
pub mod data;
pub mod error;
pub mod expr;
pub mod limits;
pub mod render;
pub mod session;

use std::net::{Ipv4Addr, SocketAddr};
use std::sync::Arc;

use axum::Router;
use axum::routing::{get, post};
use tokio::net::TcpListener;
use tokio::sync::watch;

use crate::error::ApiError;
use crate::session::Sessions;

/// What the server shares between requests.
#[derive(Clone)]
pub struct AppState {
    /// The training runs.
    pub sessions: Arc<Sessions>,
    /// Flips to `true` when the server shuts down: event streams end.
    pub shutdown: watch::Receiver<bool>,
}

/// The page and the API, as [`Server::run`] serves them.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/", get(assets::index))
        .route("/index.html", get(assets::index))
        .route("/app.js", get(assets::app_js))
        .route("/style.css", get(assets::style_css))
        .route("/favicon.ico", get(assets::favicon))
        .route("/api/limits", get(limits::handler))
        .route("/api/expr", post(expr::handler))
        .route("/api/expr/value", post(expr::value_handler))
        .route("/api/data", post(data::handler))
        .route("/api/config", post(session::config_handler))
        .route("/api/train", post(session::start_handler))
        .route(
            "/api/train/{id}",
            axum::routing::delete(session::delete_handler),
        )
        .route("/api/train/{id}/events", get(session::events_handler))
        .route("/api/train/{id}/control", post(session::control_handler))
        .route("/api/train/{id}/point/{index}", get(session::point_handler))
        .route(
            "/api/train/{id}/export/{file}",
            get(session::export_handler),
        )
        .fallback(not_found)
        .method_not_allowed_fallback(method_not_allowed)
        .with_state(state)
}

async fn not_found(uri: axum::http::Uri) -> ApiError {
    ApiError::not_found(format!("no such page or endpoint: {}", uri.path()))
}

async fn method_not_allowed(method: axum::http::Method, uri: axum::http::Uri) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        format!("{} does not take {method}", uri.path()),
    )
}

/// How to run the server.
#[derive(Clone, Debug, Default)]
pub struct ServeOptions {
    /// The port on 127.0.0.1; 0 lets the system choose a free one.
    pub port: u16,
    /// Open the page in the system's browser once the server listens.
    pub open: bool,
}

/// A server bound to its socket, not yet serving: its URL is known.
pub struct Server {
    listener: TcpListener,
    url: String,
    sessions: Arc<Sessions>,
}

impl Server {
    /// Binds 127.0.0.1 at `port` (0: any free port).
    pub async fn bind(port: u16) -> std::io::Result<Server> {
        let listener = TcpListener::bind(SocketAddr::from((Ipv4Addr::LOCALHOST, port))).await?;
        let addr = listener.local_addr()?;
        Ok(Server {
            listener,
            url: format!("http://{addr}/"),
            sessions: Arc::new(Sessions::new()),
        })
    }

    /// The page's address, `http://127.0.0.1:PORT/`.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The server's training runs (the benchmark starts one directly).
    pub fn sessions(&self) -> Arc<Sessions> {
        self.sessions.clone()
    }

    /// Serves until `stop` resolves; then every event stream and training run is stopped and
    /// the function returns once the open connections have closed.
    pub async fn run(self, stop: impl std::future::Future<Output = ()> + Send + 'static) {
        let (tx, rx) = watch::channel(false);
        let sessions = self.sessions.clone();
        let reaper = tokio::spawn(session::reap_idle(sessions.clone(), rx.clone()));
        let state = AppState {
            sessions: sessions.clone(),
            shutdown: rx,
        };
        let app = router(state);
        let shutdown = async move {
            stop.await;
            let _ = tx.send(true);
        };
        if let Err(e) = axum::serve(self.listener, app)
            .with_graceful_shutdown(shutdown)
            .await
        {
            eprintln!("error: the server stopped: {e}");
        }
        sessions.stop_all();
        reaper.abort();
    }
}

/// Runs `micrograd serve`: binds, prints the URL, optionally opens it, and serves until
/// Ctrl-C. Blocks the calling thread (it starts its own tokio runtime).
///
/// Errors: the port cannot be bound, or the runtime cannot start.
pub fn run(options: &ServeOptions) -> Result<(), String> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start the server's runtime: {e}"))?;
    runtime.block_on(async {
        let server = Server::bind(options.port)
            .await
            .map_err(|e| format!("cannot listen on 127.0.0.1:{}: {e}", options.port))?;
        println!("micrograd explorer: {}", server.url());
        println!("(Ctrl-C stops it)");
        use std::io::Write as _;
        let _ = std::io::stdout().flush();
        if options.open {
            open_in_browser(server.url());
        }
        server
            .run(async {
                let _ = tokio::signal::ctrl_c().await;
            })
            .await;
        println!("stopped");
        Ok(())
    })
}

/// Asks the desktop to open `url` (`xdg-open`, `open` or `start`); a failure is a warning.
fn open_in_browser(url: &str) {
    let (program, args): (&str, Vec<&str>) = if cfg!(target_os = "macos") {
        ("open", vec![url])
    } else if cfg!(windows) {
        ("cmd", vec!["/C", "start", "", url])
    } else {
        ("xdg-open", vec![url])
    };
    match std::process::Command::new(program)
        .args(&args)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
    {
        Ok(_) => {}
        Err(e) => eprintln!("warning: --open: cannot run {program}: {e}; open {url} yourself"),
    }
}
