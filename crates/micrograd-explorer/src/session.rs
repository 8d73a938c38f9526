//! Training runs: each on its own thread (a `Value` is `!Send`, so the model lives on one
//! thread's tape), controlled by commands over a channel, publishing snapshots into a
//! `watch` channel that keeps only the newest; event streams that render the newest
//! snapshot as a frame and end with a `done` event; the point graphs and the exports.

use std::convert::Infallible;
use std::ops::ControlFlow;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, TryRecvError};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use axum::Json;
use axum::extract::{Path, State};
use axum::http::{StatusCode, header};
use axum::response::sse::{Event, KeepAlive, Sse};
use axum::response::{IntoResponse, Response};
use futures_util::Stream;
use serde::{Deserialize, Serialize};
use serde_json::{Value as Json_, json};
use tokio::sync::watch;

use micrograd::data::{Dataset, TargetEncoding};
use micrograd::nn::optim::{OptimizerKind, Schedule};
use micrograd::nn::{Activation, MLP, MlpSpec, Module, UnknownName, loss};
use micrograd::text::or_list;
use micrograd::train::{Classifier, LossKind, TrainConfig, TrainError, train_observed};
use micrograd::viz::{self, Boundary};
use micrograd::{Tape, Value};

use crate::AppState;
use crate::command::command_line;
use crate::data::{self, DataSpec};
use crate::error::{ApiError, JsonBody, num};
use crate::limits::{MAX_L2, MAX_LAYERS, MAX_LR, MAX_SESSIONS, MAX_STEPS, MAX_WIDTH};
use crate::render::{self, Net};

/// `POST /api/train`: what to train, and how to start.
#[derive(Clone, Debug, Deserialize, Serialize, PartialEq)]
#[serde(deny_unknown_fields, default)]
pub struct TrainRequest {
    /// The data.
    pub data: DataSpec,
    /// Hidden layer sizes.
    pub layers: Vec<usize>,
    /// Hidden activation: relu, tanh or sigmoid.
    pub activation: String,
    /// Output activation: linear (micrograd's demo) or tanh (the lecture's network, tanh in
    /// every neuron).
    pub output_activation: String,
    /// Loss: svm, mse, sse (the lecture's sum of squares), bce or ce.
    pub loss: String,
    /// Optimizer: sgd, momentum or adam.
    pub optimizer: String,
    /// Base learning rate [default: `micrograd train`'s for the data, the loss, the
    /// optimizer and the batch size, [`TrainConfig::default_lr`]].
    pub lr: Option<f64>,
    /// Schedule: constant, linear or cosine.
    pub schedule: String,
    /// L2 strength.
    pub l2: f64,
    /// Steps of the run (the schedule spans them).
    pub steps: usize,
    /// Examples per step (none: full batch).
    pub batch_size: Option<usize>,
    /// Seed of the weights, the batch order and generated data.
    pub seed: u64,
    /// Steps per second; 0 is full speed.
    pub speed: f64,
    /// Start paused at step 0 (before the first step).
    pub paused: bool,
}

impl Default for TrainRequest {
    /// micrograd's demo, as `micrograd train` with no flags, at full speed.
    fn default() -> Self {
        TrainRequest {
            data: DataSpec::default(),
            layers: vec![16, 16],
            activation: "relu".into(),
            output_activation: "linear".into(),
            loss: "svm".into(),
            optimizer: "sgd".into(),
            lr: None,
            schedule: "linear".into(),
            l2: 1e-4,
            steps: 100,
            batch_size: None,
            seed: MLP::DEFAULT_SEED,
            speed: 0.0,
            paused: false,
        }
    }
}

/// Most steps per second the speed control takes (above it, use full speed: 0).
pub const MAX_SPEED: f64 = 10_000.0;

/// Checks a request and reads it into the data, the training configuration (whose learning
/// rate, when the request has none, is `micrograd train`'s default for that data:
/// [`TrainConfig::default_lr`]) and the network.
pub fn configure(req: &TrainRequest) -> Result<(Dataset, TrainConfig, MlpSpec), ApiError> {
    let bad = ApiError::bad_request;
    if req.layers.len() > MAX_LAYERS {
        return Err(bad(format!(
            "{} hidden layers; the explorer takes at most {MAX_LAYERS}",
            req.layers.len()
        )));
    }
    if let Some((i, w)) = req
        .layers
        .iter()
        .enumerate()
        .find(|(_, w)| !(1..=MAX_WIDTH).contains(*w))
    {
        return Err(bad(format!(
            "hidden layer {} has {w} neurons; between 1 and {MAX_WIDTH}",
            i + 1
        )));
    }
    let activation = match req.activation.parse::<Activation>() {
        Ok(a) if TrainConfig::check_activation(a).is_ok() => a,
        _ => {
            return Err(bad(format!(
                "unknown activation `{}` (expected {})",
                req.activation,
                or_list(&TrainConfig::hidden_activations())
            )));
        }
    };
    let outputs = || or_list(&TrainConfig::output_activations());
    let output_activation = match req.output_activation.parse::<Activation>() {
        Ok(a) if TrainConfig::check_output_activation(a).is_ok() => a,
        Ok(a) => {
            return Err(bad(format!(
                "output activation {a}: the output is read by its sign, so it must be {}",
                outputs()
            )));
        }
        Err(_) => {
            return Err(bad(format!(
                "unknown output activation `{}` (expected {})",
                req.output_activation,
                outputs()
            )));
        }
    };
    let loss: LossKind = req
        .loss
        .parse()
        .map_err(|e: UnknownName| bad(e.to_string()))?;
    let optimizer: OptimizerKind = req
        .optimizer
        .parse()
        .map_err(|e: UnknownName| bad(e.to_string()))?;
    let schedule: Schedule = req
        .schedule
        .parse()
        .map_err(|e: UnknownName| bad(e.to_string()))?;
    if let Some(lr) = req.lr
        && !(lr.is_finite() && lr > 0.0 && lr <= MAX_LR)
    {
        return Err(bad(format!(
            "learning rate {lr}: a positive number up to {MAX_LR:e} (or none: the default \
             for the data, the loss and the optimizer)"
        )));
    }
    if !(req.l2.is_finite() && (0.0..=MAX_L2).contains(&req.l2)) {
        return Err(bad(format!("L2 {}: a number from 0 to {MAX_L2}", req.l2)));
    }
    if !(1..=MAX_STEPS).contains(&req.steps) {
        return Err(bad(format!(
            "steps {}: between 1 and {MAX_STEPS}",
            req.steps
        )));
    }
    if req.batch_size == Some(0) {
        return Err(bad("batch size 0: a batch needs at least 1 example".into()));
    }
    if !(req.speed.is_finite() && (0.0..=MAX_SPEED).contains(&req.speed)) {
        return Err(bad(format!(
            "speed {}: steps per second from 0 (full speed) to {MAX_SPEED}",
            req.speed
        )));
    }
    let d = data::build(&req.data, req.seed)?;
    let mut config = TrainConfig {
        hidden: req.layers.clone(),
        activation,
        output_activation,
        loss,
        optimizer,
        lr: req.lr.unwrap_or(1.0), // without one, the default for the data (below)
        schedule,
        l2: req.l2,
        steps: req.steps,
        batch_size: req.batch_size,
        seed: req.seed,
        // The step replayed across its examples, as `micrograd train` does (the same
        // numbers as rebuilding it).
        replay: true,
    };
    if req.lr.is_none() {
        config.lr = config.default_lr(&d);
    }
    let spec = config.architecture(&d).map_err(|e| {
        let hint = match &e {
            TrainError::Data(micrograd::data::DataError::Classes { found, .. })
                if found.len() > 2 =>
            {
                "; choose the ce loss for more than 2 classes"
            }
            _ => "",
        };
        ApiError::unprocessable(format!("{e}{hint}")).with("kind", "config")
    })?;
    Ok((d, config, spec))
}

/// Where a run is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum RunState {
    /// Waiting for play or step.
    Paused,
    /// Taking steps.
    Running,
    /// All its steps are taken.
    Done,
    /// Stopped before its last step.
    Stopped,
    /// The loss diverged (or the thread failed).
    Failed,
}

impl RunState {
    /// Whether the run's thread has ended.
    pub fn is_final(self) -> bool {
        matches!(self, RunState::Done | RunState::Stopped | RunState::Failed)
    }
}

/// What a run publishes: the newest step's numbers and weights.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// Steps taken.
    pub step: usize,
    /// Steps of the run.
    pub steps: usize,
    /// The last step's loss (on its batch, before its update; NaN before step 1).
    pub loss: f64,
    /// The last step's accuracy (on its batch, before its update).
    pub accuracy: f64,
    /// The last step's learning rate.
    pub lr: f64,
    /// The weights after the last step.
    pub weights: Vec<f64>,
    /// Where the run is.
    pub state: RunState,
    /// Why it failed, or was stopped.
    pub message: Option<String>,
    /// After the last step: the loss on the whole data (as `micrograd train --json`).
    pub final_loss: Option<f64>,
    /// After the last step: the accuracy on the whole data.
    pub final_accuracy: Option<f64>,
    /// Seconds of training so far (pauses included).
    pub seconds: f64,
}

/// A command to a run's thread.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Cmd {
    /// Go on.
    Play,
    /// Wait after the current step.
    Pause,
    /// Take one step, then wait.
    Step,
    /// End the run.
    Stop,
    /// Steps per second (0: full speed).
    Speed(f64),
}

/// The loss and accuracy of every step so far.
#[derive(Default, Debug)]
pub struct History {
    /// Loss per step.
    pub loss: Vec<f64>,
    /// Accuracy per step.
    pub accuracy: Vec<f64>,
}

/// One training run.
pub struct Session {
    /// Its id (in the URLs).
    pub id: u64,
    /// What was asked.
    pub request: TrainRequest,
    /// The `micrograd train` line that reproduces it.
    pub command: String,
    /// The configuration trained (its learning rate the request's, or the default for the
    /// data).
    pub config: TrainConfig,
    /// The network's architecture.
    pub spec: MlpSpec,
    /// The loss.
    pub loss: LossKind,
    /// The data.
    pub data: Dataset,
    /// The plane drawn: `[x_min, x_max, y_min, y_max]`.
    pub extent: [f64; 4],
    commands: Sender<Cmd>,
    snapshots: watch::Receiver<Arc<Snapshot>>,
    history: Arc<Mutex<History>>,
    subscribers: AtomicUsize,
    last_active: Mutex<Instant>,
}

impl Session {
    /// The newest snapshot.
    pub fn snapshot(&self) -> Arc<Snapshot> {
        self.snapshots.borrow().clone()
    }

    fn touch(&self) {
        *self.last_active.lock().unwrap_or_else(|e| e.into_inner()) = Instant::now();
    }

    fn send(&self, cmd: Cmd) -> bool {
        self.commands.send(cmd).is_ok()
    }
}

/// The runs of a server.
#[derive(Default)]
pub struct Sessions {
    runs: Mutex<Vec<Arc<Session>>>,
    next_id: AtomicU64,
}

/// A run with no event stream for this long is stopped (a closed tab).
pub const IDLE_STOP: Duration = Duration::from_secs(20);
/// The longest pause between frames of an event stream (about 30 frames per second).
pub const FRAME_INTERVAL: Duration = Duration::from_millis(33);
/// A running thread publishes a snapshot at most this often (the stream draws the newest).
const PUBLISH_EVERY: Duration = Duration::from_millis(10);

impl Sessions {
    /// No runs.
    pub fn new() -> Sessions {
        Sessions {
            runs: Mutex::new(Vec::new()),
            next_id: AtomicU64::new(1),
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<Arc<Session>>> {
        self.runs.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// The run `id`, or a 404.
    pub fn get(&self, id: u64) -> Result<Arc<Session>, ApiError> {
        let s = self.lock().iter().find(|s| s.id == id).cloned();
        let s = s.ok_or_else(|| {
            ApiError::not_found(format!(
                "no training run {id} (it was stopped, replaced, or the server restarted)"
            ))
        })?;
        s.touch();
        Ok(s)
    }

    /// Makes room for one more run: drops the oldest finished run, else stops and drops the
    /// oldest run nobody watches; a 429 if every run is live and watched.
    fn make_room(&self, runs: &mut Vec<Arc<Session>>) -> Result<(), ApiError> {
        if runs.len() < MAX_SESSIONS {
            return Ok(());
        }
        let victim = runs
            .iter()
            .position(|s| s.snapshot().state.is_final())
            .or_else(|| {
                runs.iter()
                    .position(|s| s.subscribers.load(Ordering::SeqCst) == 0)
            });
        match victim {
            Some(i) => {
                let s = runs.remove(i);
                s.send(Cmd::Stop);
                Ok(())
            }
            None => Err(ApiError::new(
                StatusCode::TOO_MANY_REQUESTS,
                format!("{MAX_SESSIONS} training runs are open at once; close a tab or stop a run"),
            )),
        }
    }

    /// Starts a run (checked by [`configure`]) on its own thread.
    pub fn start(&self, req: TrainRequest) -> Result<Arc<Session>, ApiError> {
        let (d, config, spec) = configure(&req)?;
        let mut runs = self.lock();
        self.make_room(&mut runs)?;
        let id = self.next_id.fetch_add(1, Ordering::SeqCst);
        let initial = {
            let _s = Tape::scope();
            MLP::init(&spec, config.seed).weights()
        };
        let paused = req.paused;
        let (tx, rx) = watch::channel(Arc::new(Snapshot {
            step: 0,
            steps: config.steps,
            loss: f64::NAN,
            accuracy: f64::NAN,
            lr: config.schedule.lr(config.lr, 0, config.steps),
            weights: initial,
            state: if paused {
                RunState::Paused
            } else {
                RunState::Running
            },
            message: None,
            final_loss: None,
            final_accuracy: None,
            seconds: 0.0,
        }));
        let (cmd_tx, cmd_rx) = mpsc::channel();
        let history = Arc::new(Mutex::new(History::default()));
        let points = d.points_2d().unwrap_or_default();
        let session = Arc::new(Session {
            id,
            command: command_line(&req, &config),
            config: config.clone(),
            loss: config.loss,
            extent: data::extent(&points),
            spec,
            data: d.clone(),
            request: req.clone(),
            commands: cmd_tx,
            snapshots: rx,
            history: history.clone(),
            subscribers: AtomicUsize::new(0),
            last_active: Mutex::new(Instant::now()),
        });
        let control = Control {
            paused,
            steps_asked: 0,
            stop: false,
            speed: req.speed,
        };
        std::thread::Builder::new()
            .name(format!("micrograd-train-{id}"))
            .spawn(move || run_thread(d, config, cmd_rx, tx, history, control))
            .map_err(|e| ApiError::internal(format!("cannot start a training thread: {e}")))?;
        runs.push(session.clone());
        Ok(session)
    }

    /// Stops and forgets run `id`.
    pub fn remove(&self, id: u64) -> Result<(), ApiError> {
        let mut runs = self.lock();
        let i = runs
            .iter()
            .position(|s| s.id == id)
            .ok_or_else(|| ApiError::not_found(format!("no training run {id}")))?;
        let s = runs.remove(i);
        s.send(Cmd::Stop);
        Ok(())
    }

    /// Stops every run (the server is shutting down).
    pub fn stop_all(&self) {
        for s in self.lock().iter() {
            s.send(Cmd::Stop);
        }
    }

    /// The number of runs kept.
    pub fn len(&self) -> usize {
        self.lock().len()
    }

    /// Whether no run is kept.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Stops the live runs that no event stream has watched for [`IDLE_STOP`].
    pub fn stop_idle(&self, idle: Duration) -> usize {
        let mut stopped = 0;
        for s in self.lock().iter() {
            let live = !s.snapshot().state.is_final();
            let watched = s.subscribers.load(Ordering::SeqCst) > 0;
            let since = s
                .last_active
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .elapsed();
            if live && !watched && since >= idle {
                s.send(Cmd::Stop);
                stopped += 1;
            }
        }
        stopped
    }
}

/// Stops idle runs every second until the server shuts down.
pub async fn reap_idle(sessions: Arc<Sessions>, mut shutdown: watch::Receiver<bool>) {
    loop {
        tokio::select! {
            _ = tokio::time::sleep(Duration::from_secs(1)) => {}
            _ = shutdown.changed() => return,
        }
        sessions.stop_idle(IDLE_STOP);
    }
}

/// The thread's view of the commands.
struct Control {
    paused: bool,
    /// Steps asked for by `Step` commands and not yet taken (then it pauses).
    steps_asked: usize,
    stop: bool,
    speed: f64,
}

impl Control {
    fn apply(&mut self, cmd: Cmd) {
        match cmd {
            Cmd::Play => {
                self.paused = false;
                self.steps_asked = 0;
            }
            Cmd::Pause => {
                self.paused = true;
                self.steps_asked = 0;
            }
            Cmd::Step => {
                self.paused = false;
                self.steps_asked += 1;
            }
            Cmd::Stop => self.stop = true,
            Cmd::Speed(s) => self.speed = s,
        }
    }

    /// Applies the waiting commands; a closed channel (the run was dropped) stops.
    fn drain(&mut self, rx: &Receiver<Cmd>) {
        loop {
            match rx.try_recv() {
                Ok(c) => self.apply(c),
                Err(TryRecvError::Empty) => return,
                Err(TryRecvError::Disconnected) => {
                    self.stop = true;
                    return;
                }
            }
        }
    }

    /// Blocks while paused; false if the run is to stop.
    fn wait_while_paused(&mut self, rx: &Receiver<Cmd>) -> bool {
        while self.paused && !self.stop {
            match rx.recv() {
                Ok(c) => self.apply(c),
                Err(_) => self.stop = true,
            }
        }
        !self.stop
    }

    /// Waits until `until` (the speed limit), taking commands meanwhile; returns early on
    /// a pause or a stop.
    fn wait_until(&mut self, rx: &Receiver<Cmd>, until: Instant) {
        while !self.stop && !self.paused && self.speed > 0.0 {
            let now = Instant::now();
            if now >= until {
                return;
            }
            match rx.recv_timeout(until - now) {
                Ok(c) => self.apply(c),
                Err(RecvTimeoutError::Timeout) => return,
                Err(RecvTimeoutError::Disconnected) => self.stop = true,
            }
        }
    }
}

/// The body of a run's thread: waits if it starts paused, trains with
/// [`train_observed`], and publishes snapshots until the run ends.
fn run_thread(
    data: Dataset,
    config: TrainConfig,
    rx: Receiver<Cmd>,
    tx: watch::Sender<Arc<Snapshot>>,
    history: Arc<Mutex<History>>,
    mut control: Control,
) {
    let start = Instant::now();
    let base = tx.borrow().clone();
    let publish = |s: Snapshot| {
        let _ = tx.send(Arc::new(s));
    };
    let outcome = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
        let mut last = (*base).clone();
        if !control.wait_while_paused(&rx) {
            last.state = RunState::Stopped;
            last.message = Some("stopped before the first step".into());
            return last;
        }
        let mut last_publish = Instant::now() - PUBLISH_EVERY;
        let mut next_step = Instant::now();
        let result = train_observed(&data, &config, |info, model| {
            {
                let mut h = history.lock().unwrap_or_else(|e| e.into_inner());
                h.loss.push(info.loss);
                h.accuracy.push(info.accuracy);
            }
            control.drain(&rx);
            if control.steps_asked > 0 {
                control.steps_asked -= 1;
                control.paused = control.steps_asked == 0;
            }
            let final_step = info.step == info.steps;
            last.step = info.step;
            last.loss = info.loss;
            last.accuracy = info.accuracy;
            last.lr = info.lr;
            last.seconds = start.elapsed().as_secs_f64();
            let paced = control.speed > 0.0;
            if control.stop
                || control.paused
                || final_step
                || paced
                || last_publish.elapsed() >= PUBLISH_EVERY
            {
                last.weights = model.weights();
                if !final_step && !control.stop {
                    last.state = if control.paused {
                        RunState::Paused
                    } else {
                        RunState::Running
                    };
                    publish(last.clone());
                }
                last_publish = Instant::now();
            }
            if final_step {
                return if control.stop {
                    ControlFlow::Break(())
                } else {
                    ControlFlow::Continue(())
                };
            }
            loop {
                if control.stop {
                    return ControlFlow::Break(());
                }
                if control.paused {
                    if last.state != RunState::Paused {
                        last.state = RunState::Paused;
                        last.weights = model.weights();
                        publish(last.clone());
                    }
                    if !control.wait_while_paused(&rx) {
                        return ControlFlow::Break(());
                    }
                    next_step = Instant::now();
                    return ControlFlow::Continue(());
                }
                if !paced {
                    return ControlFlow::Continue(());
                }
                next_step += Duration::from_secs_f64(1.0 / control.speed);
                let now = Instant::now();
                if next_step + Duration::from_millis(100) < now {
                    next_step = now; // fell behind (a slow step): do not race to catch up
                }
                // Returns early on pause or stop (handled above, on the next turn).
                control.wait_until(&rx, next_step);
                if !control.paused {
                    return ControlFlow::Continue(());
                }
            }
        });
        last.seconds = start.elapsed().as_secs_f64();
        match result {
            Ok(report) => {
                last.state = RunState::Done;
                last.weights = report.classifier.model.weights();
                last.final_loss = Some(report.loss);
                last.final_accuracy = Some(report.accuracy);
            }
            Err(TrainError::Stopped { step }) => {
                last.state = RunState::Stopped;
                last.message = Some(format!("stopped after step {step}"));
            }
            Err(e) => {
                last.state = RunState::Failed;
                last.message = Some(e.to_string());
            }
        }
        last
    }));
    match outcome {
        Ok(s) => publish(s),
        Err(_) => {
            let mut s = (*base).clone();
            s.state = RunState::Failed;
            s.message = Some("the training thread failed (an internal error)".into());
            publish(s);
        }
    }
}

/// A run's id from its URL (a 404 for anything else).
fn run_id(text: &str) -> Result<u64, ApiError> {
    text.parse()
        .map_err(|_| ApiError::not_found(format!("no training run {text:?}")))
}

/// What a checked request trains: the command line, the learning rate (and whether it is
/// the default), the network. Both [`start_handler`] and [`config_handler`] answer it.
fn plan_json(
    req: &TrainRequest,
    config: &TrainConfig,
    spec: &MlpSpec,
) -> serde_json::Map<String, Json_> {
    let sizes: Vec<usize> = std::iter::once(spec.nin)
        .chain(spec.layers.iter().map(|l| l.nout))
        .collect();
    let plan = json!({
        "command": command_line(req, config),
        "csv_name": crate::command::csv_name(req),
        "lr": num(config.lr),
        "lr_default": req.lr.is_none(),
        "sizes": sizes,
        "parameters": spec.num_parameters(),
        "loss": config.loss.name(),
        "output_activation": config.output_activation.name(),
    });
    match plan {
        Json_::Object(m) => m,
        _ => unreachable!("a JSON object"),
    }
}

/// `POST /api/train`: starts a run; answers its id, command line, learning rate, data and
/// network.
pub async fn start_handler(
    State(st): State<AppState>,
    JsonBody(req): JsonBody<TrainRequest>,
) -> Result<Json<Json_>, ApiError> {
    let sessions = st.sessions.clone();
    let s = tokio::task::spawn_blocking(move || sessions.start(req))
        .await
        .map_err(|e| ApiError::internal(format!("cannot start the run: {e}")))??;
    let mut answer = plan_json(&s.request, &s.config, &s.spec);
    answer.insert("id".into(), json!(s.id));
    answer.insert("data".into(), data::to_json(&s.data));
    answer.insert(
        "events".into(),
        json!(format!("/api/train/{}/events", s.id)),
    );
    Ok(Json(Json_::Object(answer)))
}

/// `POST /api/config`: checks a training request as `POST /api/train` does, without
/// starting a run; answers what it would train: the command line, the learning rate (the
/// default for the data, the loss and the optimizer when the request has none), the
/// network. The page shows the default learning rate with it before a run starts.
pub async fn config_handler(
    JsonBody(req): JsonBody<TrainRequest>,
) -> Result<Json<Json_>, ApiError> {
    let plan = tokio::task::spawn_blocking(move || {
        configure(&req).map(|(_, config, spec)| plan_json(&req, &config, &spec))
    })
    .await
    .map_err(|e| ApiError::internal(format!("cannot check the request: {e}")))??;
    Ok(Json(Json_::Object(plan)))
}

/// `DELETE /api/train/{id}`.
pub async fn delete_handler(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<Json_>, ApiError> {
    st.sessions.remove(run_id(&id)?)?;
    Ok(Json(json!({"ok": true})))
}

/// `POST /api/train/{id}/control` body.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ControlRequest {
    /// `play`, `pause`, `step`, `stop` or `speed`.
    pub action: String,
    /// Steps per second for `speed` (0: full speed).
    #[serde(default)]
    pub speed: Option<f64>,
}

/// `POST /api/train/{id}/control`.
pub async fn control_handler(
    State(st): State<AppState>,
    Path(id): Path<String>,
    JsonBody(req): JsonBody<ControlRequest>,
) -> Result<Json<Json_>, ApiError> {
    let s = st.sessions.get(run_id(&id)?)?;
    let cmd = match req.action.as_str() {
        "play" => Cmd::Play,
        "pause" => Cmd::Pause,
        "step" => Cmd::Step,
        "stop" => Cmd::Stop,
        "speed" => match req.speed {
            Some(v) if v.is_finite() && (0.0..=MAX_SPEED).contains(&v) => Cmd::Speed(v),
            Some(v) => {
                return Err(ApiError::bad_request(format!(
                    "speed {v}: steps per second from 0 (full speed) to {MAX_SPEED}"
                )));
            }
            None => return Err(ApiError::bad_request("action speed needs a speed")),
        },
        other => {
            return Err(ApiError::bad_request(format!(
                "unknown action `{other}` (expected play, pause, step, stop or speed)"
            )));
        }
    };
    if req.speed.is_some() && req.action != "speed" {
        return Err(ApiError::bad_request("speed goes with action speed"));
    }
    let state = s.snapshot().state;
    if state.is_final() || !s.send(cmd) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "the run has ended; press reset to start a new one",
        )
        .with("state", serde_json::to_value(state).unwrap_or_default()));
    }
    Ok(Json(json!({"ok": true})))
}

/// Counts an event stream of a run while it lives.
struct Subscriber(Arc<Session>);

impl Subscriber {
    fn new(s: Arc<Session>) -> Subscriber {
        s.subscribers.fetch_add(1, Ordering::SeqCst);
        s.touch();
        Subscriber(s)
    }
}

impl Drop for Subscriber {
    fn drop(&mut self) {
        self.0.touch();
        self.0.subscribers.fetch_sub(1, Ordering::SeqCst);
    }
}

/// Numbers for a curve: six significant digits (the page draws them, nobody reads 17).
fn round6(x: f64) -> Json_ {
    if x.is_finite() {
        json!(format!("{x:.5e}").parse::<f64>().unwrap_or(x))
    } else {
        Json_::Null
    }
}

/// The most points of a curve in a frame.
const CURVE_POINTS: usize = 400;

/// A frame: the snapshot's numbers, the boundary, the neurons and the curves, as JSON text.
pub fn render_frame(s: &Session, snap: &Snapshot) -> String {
    let net = Net {
        spec: &s.spec,
        weights: &snap.weights,
    };
    let boundary = render::base64(&render::boundary(&net, s.loss, s.extent));
    let neurons: Vec<String> = render::neurons(&net, s.extent)
        .iter()
        .map(|p| render::base64(p))
        .collect();
    let (every, loss, accuracy) = {
        let h = s.history.lock().unwrap_or_else(|e| e.into_inner());
        let (every, loss) = render::decimate(&h.loss, CURVE_POINTS);
        let (_, accuracy) = render::decimate(&h.accuracy, CURVE_POINTS);
        (every, loss, accuracy)
    };
    json!({
        "step": snap.step,
        "steps": snap.steps,
        "loss": num(snap.loss),
        "accuracy": num(snap.accuracy),
        "lr": num(snap.lr),
        "state": snap.state,
        "message": snap.message,
        "final_loss": snap.final_loss.map(num),
        "final_accuracy": snap.final_accuracy.map(num),
        "seconds": snap.seconds,
        "boundary": boundary,
        "cells": render::BOUNDARY_CELLS,
        "neurons": neurons,
        "neuron_cells": render::NEURON_CELLS,
        "curve": {
            "every": every,
            "loss": loss.into_iter().map(round6).collect::<Vec<_>>(),
            "accuracy": accuracy.into_iter().map(round6).collect::<Vec<_>>(),
        },
    })
    .to_string()
}

/// Where an event stream is.
struct StreamState {
    session: Arc<Session>,
    rx: watch::Receiver<Arc<Snapshot>>,
    shutdown: watch::Receiver<bool>,
    _subscriber: Subscriber,
    first: bool,
    final_sent: bool,
    finished: bool,
    last_sent: Option<tokio::time::Instant>,
}

/// The `done` event for a final snapshot.
fn done_event(snap: &Snapshot) -> Event {
    Event::default().event("done").data(
        json!({
            "state": snap.state,
            "message": snap.message,
            "final_loss": snap.final_loss.map(num),
            "final_accuracy": snap.final_accuracy.map(num),
        })
        .to_string(),
    )
}

/// `GET /api/train/{id}/events`: Server-Sent Events. `frame` events carry the newest
/// snapshot (at most about 30 a second, never a backlog); after the run's last frame comes
/// one `done` event, and the stream ends.
pub async fn events_handler(
    State(st): State<AppState>,
    Path(id): Path<String>,
) -> Result<Sse<impl Stream<Item = Result<Event, Infallible>>>, ApiError> {
    let session = st.sessions.get(run_id(&id)?)?;
    let state = StreamState {
        rx: session.snapshots.clone(),
        _subscriber: Subscriber::new(session.clone()),
        session,
        shutdown: st.shutdown.clone(),
        first: true,
        final_sent: false,
        finished: false,
        last_sent: None,
    };
    let stream = futures_util::stream::unfold(state, |mut s| async move {
        if s.finished {
            return None;
        }
        if s.final_sent {
            s.finished = true;
            let e = done_event(&s.rx.borrow());
            return Some((Ok(e), s));
        }
        if let Some(t) = s.last_sent {
            tokio::time::sleep_until(t + FRAME_INTERVAL).await;
        }
        // Wait for a snapshot not drawn yet (an error: the thread has ended, and its last
        // snapshot is the one there).
        if !s.first && matches!(s.rx.has_changed(), Ok(false)) {
            tokio::select! {
                _ = s.rx.changed() => {}
                _ = s.shutdown.changed() => return None,
            }
        }
        if *s.shutdown.borrow() {
            return None;
        }
        let ended = s.rx.has_changed().is_err();
        let snap = s.rx.borrow_and_update().clone();
        if !s.first && ended && !snap.state.is_final() {
            s.finished = true;
            let e = Event::default()
                .event("done")
                .data(json!({"state": "failed", "message": "the run ended"}).to_string());
            return Some((Ok(e), s));
        }
        s.first = false;
        // The frame's time is when drawing starts, so the pace does not include it.
        s.last_sent = Some(tokio::time::Instant::now());
        let session = s.session.clone();
        let snap2 = snap.clone();
        let frame = tokio::task::spawn_blocking(move || render_frame(&session, &snap2))
            .await
            .unwrap_or_else(|_| json!({"error": "the frame could not be drawn"}).to_string());
        s.final_sent = snap.state.is_final();
        Some((Ok(Event::default().event("frame").data(frame)), s))
    });
    Ok(Sse::new(stream).keep_alive(KeepAlive::new().interval(Duration::from_secs(2))))
}

/// Most values in a point's graph (the layout's own limit).
pub const MAX_POINT_GRAPH_VALUES: usize = viz::MAX_SVG_VALUES;

/// `GET /api/train/{id}/point/{index}`: the forward graph of one example with the newest
/// weights, and the gradients of its loss (the run's loss on that example alone, without
/// L2), laid out as the expression tab's graphs.
pub async fn point_handler(
    State(st): State<AppState>,
    Path((id, index)): Path<(String, String)>,
) -> Result<Json<Json_>, ApiError> {
    let s = st.sessions.get(run_id(&id)?)?;
    let index: usize = index.parse().map_err(|_| {
        ApiError::bad_request(format!("point {index:?}: not a point number (0, 1, ...)"))
    })?;
    if index >= s.data.len() {
        return Err(ApiError::bad_request(format!(
            "point {index}: the data has {} points (0 to {})",
            s.data.len(),
            s.data.len() - 1
        )));
    }
    let snap = s.snapshot();
    tokio::task::spawn_blocking(move || point_graph(&s, &snap.weights, index))
        .await
        .map_err(|e| ApiError::internal(format!("the graph failed: {e}")))?
        .map(Json)
}

/// The graph of example `index` (see [`point_handler`]); runs on a blocking thread, whose
/// tape it leaves as it found it.
pub fn point_graph(s: &Session, weights: &[f64], index: usize) -> Result<Json_, ApiError> {
    let _scope = Tape::scope();
    let model = MLP::from_spec(&s.spec, weights)
        .map_err(|e| ApiError::internal(format!("cannot rebuild the model: {e}")))?;
    let last = model.layers().len() - 1;
    for (l, layer) in model.layers().iter().enumerate() {
        for (j, n) in layer.neurons().iter().enumerate() {
            let at = if l == last {
                format!("out{j}")
            } else {
                format!("{}.{j}", l + 1)
            };
            for (k, w) in n.weights().iter().enumerate() {
                w.set_label(format!("w{at}.{k}"));
            }
            n.bias().set_label(format!("b{at}"));
        }
    }
    let x = &s.data.features[index];
    let inputs: Vec<Value> = x
        .iter()
        .zip(&s.data.feature_names)
        .map(|(v, name)| Value::new(*v).with_label(name.clone()))
        .collect();
    let mut h = inputs.clone();
    for (l, layer) in model.layers().iter().enumerate() {
        h = layer.forward(&h);
        for (j, v) in h.iter().enumerate() {
            if l == last {
                v.set_label(format!("out{j}"));
            } else {
                v.set_label(format!("h{}.{j}", l + 1));
            }
        }
    }
    let class = s.data.classes[index];
    let point_loss = match s.loss {
        LossKind::Ce => loss::softmax_cross_entropy(std::slice::from_ref(&h), &[class]),
        LossKind::Svm | LossKind::Mse | LossKind::Sse | LossKind::Bce => {
            let encoding = if s.loss == LossKind::Bce {
                TargetEncoding::ZeroOne
            } else {
                TargetEncoding::PlusMinusOne
            };
            let y = s
                .data
                .binary_targets(encoding)
                .map_err(|e| ApiError::internal(e.to_string()))?[index];
            match s.loss {
                LossKind::Svm => loss::svm(&h[..1], &[y]),
                LossKind::Mse => loss::mse(&h[..1], &[y]),
                LossKind::Sse => loss::sse(&h[..1], &[y]),
                _ => loss::bce_with_logits(&h[..1], &[y]),
            }
        }
    };
    point_loss.set_label("loss");
    model.zero_grad();
    point_loss.backward();
    let outputs: Vec<f64> = h.iter().map(|v| v.data()).collect();
    let predicted = s.loss.classify(&outputs);
    let graph = crate::expr::draw(point_loss, MAX_POINT_GRAPH_VALUES)?;
    Ok(json!({
        "index": index,
        "point": x,
        "class": class,
        "class_name": s.data.class_names[class],
        "predicted": predicted,
        "predicted_name": s.data.class_names.get(predicted),
        "outputs": outputs.iter().map(|o| num(*o)).collect::<Vec<_>>(),
        "loss": num(point_loss.data()),
        "input_grads": inputs.iter().map(|v| num(v.grad())).collect::<Vec<_>>(),
        "graph": graph,
    }))
}

/// `GET /api/train/{id}/export/{file}`: `model.json` (for `micrograd predict`),
/// `model.safetensors` (for PyTorch), `boundary.svg` or `boundary.png`, with the newest
/// weights.
pub async fn export_handler(
    State(st): State<AppState>,
    Path((id, file)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let id = run_id(&id)?;
    let s = st.sessions.get(id)?;
    if !matches!(
        file.as_str(),
        "model.json" | "model.safetensors" | "boundary.svg" | "boundary.png"
    ) {
        return Err(ApiError::not_found(format!(
            "no export `{file}` (model.json, model.safetensors, boundary.svg, boundary.png)"
        )));
    }
    let snap = s.snapshot();
    let (bytes, mime) = tokio::task::spawn_blocking(move || export(&s, &snap, &file))
        .await
        .map_err(|e| ApiError::internal(format!("the export failed: {e}")))??;
    Ok((
        [
            (header::CONTENT_TYPE, mime.to_string()),
            (
                header::CONTENT_DISPOSITION,
                format!(
                    "attachment; filename=\"micrograd-{id}-{}\"",
                    mime_name(mime)
                ),
            ),
        ],
        bytes,
    )
        .into_response())
}

fn mime_name(mime: &str) -> &'static str {
    match mime {
        "application/json" => "model.json",
        "application/octet-stream" => "model.safetensors",
        "image/svg+xml" => "boundary.svg",
        _ => "boundary.png",
    }
}

/// The bytes and the media type of an export (see [`export_handler`]).
pub fn export(
    s: &Session,
    snap: &Snapshot,
    file: &str,
) -> Result<(Vec<u8>, &'static str), ApiError> {
    let _scope = Tape::scope();
    let model = MLP::from_spec(&s.spec, &snap.weights)
        .map_err(|e| ApiError::internal(format!("cannot rebuild the model: {e}")))?;
    let classifier = Classifier {
        model,
        loss: s.loss,
        class_names: s.data.class_names.clone(),
        feature_names: s.data.feature_names.clone(),
    };
    match file {
        "model.json" => classifier
            .to_json_string()
            .map(|t| (t.into_bytes(), "application/json"))
            .map_err(|e| ApiError::unprocessable(format!("cannot export the model: {e}"))),
        "model.safetensors" => Ok((classifier.safetensors_bytes(), "application/octet-stream")),
        _ => {
            let points = s.data.points_2d().unwrap_or_default();
            let net = Net {
                spec: &s.spec,
                weights: &snap.weights,
            };
            let b = if s.loss.is_binary() {
                Boundary::compute_scored(&points, 120, |x, y| net.forward(&[x, y], None)[0])
            } else {
                Boundary::compute(&points, 120, |x, y| {
                    s.loss.classify(&net.forward(&[x, y], None))
                })
            };
            let sizes: Vec<String> = std::iter::once(s.spec.nin)
                .chain(s.spec.layers.iter().map(|l| l.nout))
                .map(|n| n.to_string())
                .collect();
            let title = format!(
                "MLP {}, {} loss, step {}/{}",
                sizes.join("-"),
                s.loss,
                snap.step,
                snap.steps
            );
            let names = viz::BoundaryNames::new(
                &s.data.class_names,
                &s.data.feature_names[0],
                &s.data.feature_names[1],
            );
            if file == "boundary.svg" {
                Ok((
                    viz::boundary_svg_named(&b, &points, &s.data.classes, &title, &names)
                        .into_bytes(),
                    "image/svg+xml",
                ))
            } else {
                viz::boundary_png(&b, &points, &s.data.classes, &title, &names)
                    .map(|p| (p, "image/png"))
                    .map_err(|e| ApiError::internal(format!("cannot draw the boundary: {e}")))
            }
        }
    }
}
