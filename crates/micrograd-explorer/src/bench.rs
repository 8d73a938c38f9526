//! `micrograd serve --bench`: how fast the explorer streams while a network trains at full
//! speed. It starts a server on a free port, trains micrograd's demo network (2-16-16-1 on
//! the embedded moons) for a million steps at full speed, reads the event stream as a page
//! would, and reports frames per second, the training's steps per second (beside the same
//! training with no server), and the server's CPU time per frame (the process's CPU time
//! less the training thread's and the reading client's, from `/proc`, so Linux only; and
//! the median time to draw one frame).

use std::io::{Read, Write};
use std::net::TcpStream;
use std::ops::ControlFlow;
use std::time::{Duration, Instant};

use micrograd::data;
use micrograd::train::{TrainConfig, train_until};

use crate::Server;
use crate::session::{TrainRequest, render_frame};

/// What the benchmark measured.
#[derive(Clone, Debug)]
pub struct BenchReport {
    /// Seconds the stream was read.
    pub seconds: f64,
    /// Frames received.
    pub frames: usize,
    /// Mean bytes per frame event.
    pub bytes_per_frame: f64,
    /// Training steps per second while the stream was read.
    pub steps_per_second_streaming: f64,
    /// Training steps per second with no server (the same training on its own).
    pub steps_per_second_alone: f64,
    /// The server's CPU time per frame, in milliseconds (`None` where `/proc` is missing).
    pub server_cpu_ms_per_frame: Option<f64>,
    /// Median time to draw one frame, in milliseconds.
    pub render_ms_median: f64,
    /// The load average when the benchmark ended (other work on the machine), if known.
    pub load_average: Option<String>,
}

impl BenchReport {
    /// Frames per second.
    pub fn fps(&self) -> f64 {
        self.frames as f64 / self.seconds
    }

    /// One JSON object.
    pub fn to_json(&self) -> String {
        serde_json::json!({
            "seconds": self.seconds,
            "frames": self.frames,
            "fps": self.fps(),
            "bytes_per_frame": self.bytes_per_frame,
            "steps_per_second_streaming": self.steps_per_second_streaming,
            "steps_per_second_alone": self.steps_per_second_alone,
            "server_cpu_ms_per_frame": self.server_cpu_ms_per_frame,
            "render_ms_median": self.render_ms_median,
            "load_average": self.load_average,
        })
        .to_string()
    }
}

impl std::fmt::Display for BenchReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(
            f,
            "explorer bench: MLP 2-16-16-1 on the demo moons at full speed, stream read for {:.1} s",
            self.seconds
        )?;
        writeln!(
            f,
            "frames    {} ({:.1} per second), {:.1} KiB per frame",
            self.frames,
            self.fps(),
            self.bytes_per_frame / 1024.0
        )?;
        writeln!(
            f,
            "training  {:.0} steps/s while streaming, {:.0} steps/s with no server ({:.0}%)",
            self.steps_per_second_streaming,
            self.steps_per_second_alone,
            100.0 * self.steps_per_second_streaming / self.steps_per_second_alone
        )?;
        match self.server_cpu_ms_per_frame {
            Some(ms) => writeln!(
                f,
                "server    {ms:.2} ms CPU per frame ({:.1}% of a core); drawing a frame: {:.2} ms (median)",
                ms * self.fps() / 10.0,
                self.render_ms_median
            )?,
            None => writeln!(
                f,
                "server    CPU time unknown (no /proc); drawing a frame: {:.2} ms (median)",
                self.render_ms_median
            )?,
        }
        if let Some(l) = &self.load_average {
            writeln!(f, "load average {l}")?;
        }
        Ok(())
    }
}

/// CPU seconds (user + system) of a `/proc/.../stat` file, if readable.
fn cpu_seconds(stat: &str) -> Option<f64> {
    let text = std::fs::read_to_string(stat).ok()?;
    // Fields after the command name in parentheses: utime and stime are the 12th and 13th.
    let rest = &text[text.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = fields.get(11)?.parse::<f64>().ok()? + fields.get(12)?.parse::<f64>().ok()?;
    Some(ticks / 100.0) // USER_HZ, 100 on Linux
}

/// The `/proc/self/task/TID/stat` of the threads whose name starts with `prefix`.
fn thread_stats(prefix: &str) -> Vec<String> {
    let Ok(dir) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok())
        .filter(|e| {
            std::fs::read_to_string(e.path().join("comm"))
                .is_ok_and(|c| c.trim_end().starts_with(prefix))
        })
        .map(|e| e.path().join("stat").display().to_string())
        .collect()
}

fn sum_cpu(stats: &[String]) -> Option<f64> {
    stats.iter().map(|s| cpu_seconds(s)).sum()
}

/// Steps per second of the demo network trained alone for `seconds`.
fn steps_alone(seconds: f64) -> f64 {
    let config = TrainConfig {
        steps: 1_000_000,
        ..TrainConfig::default()
    };
    let data = data::demo_moons();
    let start = Instant::now();
    let mut steps = 0usize;
    let _ = train_until(&data, &config, |s| {
        steps = s.step;
        if start.elapsed().as_secs_f64() >= seconds {
            ControlFlow::Break(())
        } else {
            ControlFlow::Continue(())
        }
    });
    steps as f64 / start.elapsed().as_secs_f64()
}

/// Runs the benchmark, reading the stream for `seconds`.
///
/// Errors: the server or the client failed (a message).
pub fn run(seconds: f64) -> Result<BenchReport, String> {
    let alone = steps_alone(seconds.min(2.0));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .map_err(|e| format!("cannot start a runtime: {e}"))?;
    let server = runtime
        .block_on(Server::bind(0))
        .map_err(|e| format!("cannot bind: {e}"))?;
    let url = server.url().to_string();
    let addr = url
        .trim_start_matches("http://")
        .trim_end_matches('/')
        .to_string();
    let sessions = server.sessions();
    let (stop_tx, stop_rx) = tokio::sync::oneshot::channel::<()>();
    let handle = runtime.spawn(server.run(async {
        let _ = stop_rx.await;
    }));
    let session = sessions
        .start(TrainRequest {
            steps: 1_000_000,
            ..TrainRequest::default()
        })
        .map_err(|e| e.to_string())?;
    let id = session.id;
    let (started_tx, started_rx) = std::sync::mpsc::channel::<()>();
    let client = std::thread::Builder::new()
        .name("bench-client".into())
        .spawn(move || -> Result<(usize, usize, f64, Option<f64>), String> {
            let mut tcp = TcpStream::connect(&addr).map_err(|e| format!("connect: {e}"))?;
            write!(
                tcp,
                "GET /api/train/{id}/events HTTP/1.1\r\nHost: {addr}\r\nAccept: text/event-stream\r\n\r\n"
            )
            .map_err(|e| e.to_string())?;
            tcp.set_read_timeout(Some(Duration::from_secs(5)))
                .map_err(|e| e.to_string())?;
            let mut buf = vec![0u8; 1 << 16];
            let mut tail: Vec<u8> = Vec::new();
            let needle = b"event: frame\n";
            let (mut frames, mut bytes) = (0usize, 0usize);
            let mut start: Option<(Instant, Option<f64>)> = None;
            loop {
                let n = tcp.read(&mut buf).map_err(|e| format!("read: {e}"))?;
                if n == 0 {
                    return Err("the stream ended early".into());
                }
                if start.is_some() {
                    bytes += n;
                }
                tail.extend_from_slice(&buf[..n]);
                let found = tail.windows(needle.len()).filter(|w| w == needle).count();
                if found > 0 {
                    match start {
                        // The clock starts at the first frame (the connection's set-up is
                        // not the stream's rate).
                        None => {
                            start = Some((Instant::now(), cpu_seconds("/proc/thread-self/stat")));
                            let _ = started_tx.send(());
                        }
                        Some(_) => frames += found,
                    }
                    let keep = tail.len().saturating_sub(needle.len());
                    tail.drain(..keep);
                } else if tail.len() > 1 << 20 {
                    let keep = tail.len() - needle.len();
                    tail.drain(..keep);
                }
                if let Some((t, cpu0)) = start
                    && t.elapsed().as_secs_f64() >= seconds
                {
                    let cpu = match (cpu0, cpu_seconds("/proc/thread-self/stat")) {
                        (Some(a), Some(b)) => Some(b - a),
                        _ => None,
                    };
                    return Ok((frames, bytes, t.elapsed().as_secs_f64(), cpu));
                }
            }
        })
        .map_err(|e| e.to_string())?;
    // The process's and the training thread's CPU time over the client's window.
    started_rx
        .recv_timeout(Duration::from_secs(30))
        .map_err(|_| "no frame arrived".to_string())?;
    let train_stats = thread_stats("micrograd-train");
    let cpu0 = (cpu_seconds("/proc/self/stat"), sum_cpu(&train_stats));
    let step0 = session.snapshot().step;
    let t0 = Instant::now();
    let (frames, bytes, secs, client_cpu) = client
        .join()
        .map_err(|_| "the client thread failed".to_string())??;
    let cpu1 = (cpu_seconds("/proc/self/stat"), sum_cpu(&train_stats));
    let dt = t0.elapsed().as_secs_f64();
    let step1 = session.snapshot().step;
    let server_cpu = match (cpu0, cpu1, client_cpu) {
        ((Some(p0), Some(t0)), (Some(p1), Some(t1)), Some(c)) if frames > 0 => {
            Some(1e3 * ((p1 - p0) - (t1 - t0) - c).max(0.0) / frames as f64)
        }
        _ => None,
    };
    let snap = session.snapshot();
    let mut times: Vec<f64> = (0..30)
        .map(|_| {
            let t = Instant::now();
            std::hint::black_box(render_frame(&session, &snap));
            t.elapsed().as_secs_f64() * 1e3
        })
        .collect();
    times.sort_by(f64::total_cmp);
    let _ = stop_tx.send(());
    let _ = sessions.remove(id);
    let _ = runtime.block_on(handle);
    Ok(BenchReport {
        seconds: secs,
        frames,
        bytes_per_frame: if frames > 0 {
            bytes as f64 / frames as f64
        } else {
            0.0
        },
        steps_per_second_streaming: (step1 - step0) as f64 / dt,
        steps_per_second_alone: alone,
        server_cpu_ms_per_frame: server_cpu,
        render_ms_median: times[times.len() / 2],
        load_average: std::fs::read_to_string("/proc/loadavg")
            .ok()
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" ")),
    })
}
