//! A pipeline: stages on named threads, each reading the link before it and sending into the
//! link after it, so that every stage works at once on a different item — the Go guide's §3.
//!
//! ```text
//!  source ─▶ [link] ─▶ stage × N ─▶ [link] ─▶ stage × M ─▶ [link] ─▶ finish (the caller)
//! ```
//!
//! - **Bounded links**: a stage faster than the next waits at the link (backpressure), so the
//!   items in flight never exceed the links' capacities, whatever the speeds.
//! - **Closing by dropping**: a stage's workers each hold a clone of the link after them; the
//!   last one to end closes it, and the next stage drains it and ends in turn.
//! - **Cancellation through every stage**: when the context ends, a watcher closes every link,
//!   so a stage asleep on a full or an empty link wakes; each stage also checks the context
//!   between items. [`Pipeline::finish`] joins every thread before it returns.
//! - **Figures per stage**: items, time busy, time blocked on the next link — the bottleneck
//!   is the stage that is busy while the others wait.
//!
//! Use it when work flows through steps of different kinds, each worth a thread; for one kind
//! of work over independent parts, chapter 6's fan-out is simpler.

use crate::link::{LinkState, Receiver, Sender, link};
use ch03_context::{Context, Reason};
use ch05_job_status::panic_message;
use crossbeam_channel::select;
use std::cell::Cell;
use std::io;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread::{self, JoinHandle};
use std::time::{Duration, Instant};

/// Why a pipeline gave no complete answer.
#[derive(Debug)]
pub enum PipelineError {
    /// The context ended before every item went through.
    Stopped(Reason),
    /// The operating system refused a thread.
    NoThread(io::Error),
    /// A stage panicked, with this message: its items are missing, so there is no result.
    Panicked(String),
}

impl From<io::Error> for PipelineError {
    fn from(error: io::Error) -> PipelineError {
        PipelineError::NoThread(error)
    }
}

/// A pipeline whose last link carries `T`s, built one stage at a time.
pub struct Pipeline<T> {
    ctx: Context,
    name: &'static str,
    input: Option<Receiver<T>>,
    threads: Vec<JoinHandle<()>>,
    stages: Vec<Arc<StageStats>>,
    links: Vec<Arc<dyn LinkState>>,
}

// ANCHOR: stats
/// A stage's counters, updated by its workers as they go (Relaxed: they are figures, read
/// live by tests and reports, and exactly after the workers are joined).
#[derive(Default)]
struct StageStats {
    name: &'static str,
    workers: usize,
    items_in: AtomicU64,
    items_out: AtomicU64,
    busy_ns: AtomicU64,
    blocked_ns: AtomicU64,
}
// ANCHOR_END: stats

/// The handle a stage's worker sends its output through.
pub struct Emit<'a, U> {
    output: &'a Sender<U>,
    stats: &'a StageStats,
    /// This worker's time blocked on the next link, so far.
    blocked: Cell<Duration>,
}

impl<'a, U> Emit<'a, U> {
    fn new(output: &'a Sender<U>, stats: &'a StageStats) -> Emit<'a, U> {
        Emit {
            output,
            stats,
            blocked: Cell::new(Duration::ZERO),
        }
    }

    // ANCHOR: emit
    /// Sends `item` to the next stage, waiting while its link is full. `false` when the
    /// pipeline is stopping (the link was closed): the stage should return.
    pub fn send(&self, item: U) -> bool {
        let started = Instant::now();
        let sent = self.output.send(item).is_ok();
        let blocked = started.elapsed();
        self.blocked.set(self.blocked.get() + blocked);
        add_time(&self.stats.blocked_ns, blocked);
        if sent {
            self.stats.items_out.fetch_add(1, Ordering::Relaxed);
        }
        sent
    }
    // ANCHOR_END: emit
}

impl<T: Send + 'static> Pipeline<T> {
    // ANCHOR: source
    /// A pipeline whose first stage, `NAME-source`, sends `items` into a link of `capacity`.
    ///
    /// # Errors
    ///
    /// When the operating system refuses the thread.
    pub fn source(
        ctx: &Context,
        name: &'static str,
        capacity: usize,
        items: impl IntoIterator<Item = T, IntoIter: Send + 'static>,
    ) -> io::Result<Pipeline<T>> {
        let mut pipeline = Pipeline::<T> {
            ctx: ctx.clone(),
            name,
            input: None,
            threads: Vec::new(),
            stages: Vec::new(),
            links: Vec::new(),
        };
        let (output, input) = link(capacity);
        let stats = pipeline.add_stage("source", 1, &output);
        let (ctx, mut items) = (ctx.clone(), items.into_iter());
        pipeline.spawn("source".to_owned(), move || {
            let emit = Emit::new(&output, &stats);
            loop {
                let started = Instant::now();
                let Some(item) = items.next() else { break };
                add_time(&stats.busy_ns, started.elapsed()); // making the item is its work
                if ctx.is_done() || !emit.send(item) {
                    break;
                }
            }
        })?;
        pipeline.input = Some(input);
        Ok(pipeline)
    }
    // ANCHOR_END: source

    // ANCHOR: stage
    /// Adds a stage `NAME-STAGE-N` of `workers` threads, each taking items from the last link,
    /// calling `work` on each with an [`Emit`] into a new link of `capacity`.
    ///
    /// # Errors
    ///
    /// When the operating system refuses a thread (the pipeline built so far is stopped).
    pub fn stage<U: Send + 'static>(
        mut self,
        stage: &'static str,
        workers: usize,
        capacity: usize,
        work: impl Fn(T, &Emit<'_, U>) + Send + Sync + 'static,
    ) -> io::Result<Pipeline<U>> {
        let (output, next_input) = link(capacity);
        let stats = self.add_stage(stage, workers.max(1), &output);
        let input = self.input.take().expect("a pipeline always has an input");
        let work = Arc::new(work);
        for n in 1..=workers.max(1) {
            let (input, output, stats) = (input.clone(), output.clone(), Arc::clone(&stats));
            let (ctx, work) = (self.ctx.clone(), Arc::clone(&work));
            self.spawn(format!("{stage}-{n}"), move || {
                let emit = Emit::new(&output, &stats);
                while let Some(item) = input.recv() {
                    if ctx.is_done() {
                        break; // cancelled: what is still queued is dropped, not worked on
                    }
                    stats.items_in.fetch_add(1, Ordering::Relaxed);
                    let (started, blocked_before) = (Instant::now(), emit.blocked.get());
                    work(item, &emit);
                    let blocked = emit.blocked.get() - blocked_before;
                    add_time(&stats.busy_ns, started.elapsed().saturating_sub(blocked));
                }
                // `input` and `output` drop here: the last worker out closes the next link.
            })?;
        }
        Ok(self.then(next_input))
    }
    // ANCHOR_END: stage
}

impl<T: Send + 'static> Pipeline<T> {
    // ANCHOR: finish
    /// Runs the last stage on the calling thread: folds every item of the last link into
    /// `init`, then joins every thread of the pipeline, and reports its figures.
    ///
    /// # Errors
    ///
    /// [`PipelineError::Stopped`] when the context ended before the pipeline did (every
    /// thread is joined then too); [`PipelineError::Panicked`] when a stage panicked;
    /// [`PipelineError::NoThread`] when the watcher could not start.
    pub fn finish<A>(
        mut self,
        init: A,
        mut fold: impl FnMut(A, T) -> A,
    ) -> Result<(A, Report), PipelineError> {
        let input = self.input.take().expect("a pipeline always has an input");
        let stats = Arc::new(StageStats {
            name: "finish",
            workers: 1,
            ..StageStats::default()
        });
        self.stages.push(Arc::clone(&stats));
        let (finished, watcher) = self.watch()?;
        let mut folded = init;
        while let Some(item) = input.recv() {
            if self.ctx.is_done() {
                break;
            }
            stats.items_in.fetch_add(1, Ordering::Relaxed);
            let started = Instant::now();
            folded = fold(folded, item);
            add_time(&stats.busy_ns, started.elapsed());
        }
        drop(input); // early out: the stages before see a closed link and stop
        drop(finished); // the watcher's cue that nothing is left to cancel
        let _ = watcher.join();
        if let Some(message) = self.join_all() {
            return Err(PipelineError::Panicked(message));
        }
        match self.ctx.err() {
            Some(reason) => Err(PipelineError::Stopped(reason)),
            None => Ok((folded, self.report())),
        }
    }
    // ANCHOR_END: finish
}

impl<T> Pipeline<T> {
    // ANCHOR: watch
    /// Starts `NAME-watch`, which closes every link when the context ends — Go's
    /// `context.AfterFunc` — so that no stage sleeps on a link after a cancel. It ends when
    /// the returned sender is dropped.
    fn watch(&mut self) -> io::Result<(crossbeam_channel::Sender<()>, JoinHandle<()>)> {
        let (finished, finished_rx) = crossbeam_channel::bounded::<()>(0);
        let (done, deadline) = (self.ctx.done(), self.ctx.deadline_timer());
        let links = self.links.clone();
        let watcher = thread::Builder::new()
            .name(format!("{}-watch", self.name))
            .spawn(move || {
                select! {
                    recv(finished_rx) -> _ => return,
                    recv(done) -> _ => {}
                    recv(deadline) -> _ => {}
                }
                links.iter().for_each(|link| link.close());
            });
        watcher.map(|watcher| (finished, watcher))
    }
    // ANCHOR_END: watch

    /// A view of the live figures, for tests and the book: how full the links are now.
    pub fn probe(&self) -> Probe {
        Probe {
            stages: self.stages.clone(),
            links: self.links.clone(),
        }
    }

    fn add_stage<U: Send + 'static>(
        &mut self,
        name: &'static str,
        workers: usize,
        output: &Sender<U>,
    ) -> Arc<StageStats> {
        let stats = Arc::new(StageStats {
            name,
            workers,
            ..StageStats::default()
        });
        self.stages.push(Arc::clone(&stats));
        self.links.push(output.state());
        stats
    }

    fn spawn(&mut self, role: String, body: impl FnOnce() + Send + 'static) -> io::Result<()> {
        let thread = thread::Builder::new()
            .name(format!("{}-{role}", self.name))
            .spawn(body)?;
        self.threads.push(thread);
        Ok(())
    }

    fn then<U>(mut self, input: Receiver<U>) -> Pipeline<U> {
        Pipeline {
            ctx: self.ctx.clone(),
            name: self.name,
            input: Some(input),
            threads: std::mem::take(&mut self.threads),
            stages: std::mem::take(&mut self.stages),
            links: std::mem::take(&mut self.links),
        }
    }

    /// Joins every thread; the message of the first that panicked, if one did.
    fn join_all(&mut self) -> Option<String> {
        let mut first_panic = None;
        for thread in self.threads.drain(..) {
            if let Err(panic) = thread.join() {
                // The items that stage dropped are missing from the result: it must not pass
                // for a complete one.
                first_panic.get_or_insert_with(|| panic_message(&*panic).to_owned());
            }
        }
        first_panic
    }

    fn report(&self) -> Report {
        let stages = self.stages.iter().map(|stats| StageReport {
            name: stats.name,
            workers: stats.workers,
            items_in: stats.items_in.load(Ordering::Relaxed),
            items_out: stats.items_out.load(Ordering::Relaxed),
            busy: Duration::from_nanos(stats.busy_ns.load(Ordering::Relaxed)),
            blocked: Duration::from_nanos(stats.blocked_ns.load(Ordering::Relaxed)),
        });
        let links = self
            .stages
            .iter()
            .zip(&self.links)
            .map(|(stats, link)| LinkReport {
                after: stats.name,
                capacity: link.capacity(),
                high_water: link.high_water(),
            });
        Report {
            stages: stages.collect(),
            links: links.collect(),
        }
    }
}

// ANCHOR: drop
/// A pipeline dropped before [`finish`](Pipeline::finish) — a stage that could not start, or a
/// caller that gave up — stops its threads and joins them: none outlives it.
impl<T> Drop for Pipeline<T> {
    fn drop(&mut self) {
        self.links.iter().for_each(|link| link.close());
        self.input = None;
        let _ = self.join_all(); // nobody asked for a result: a panic has nothing to spoil
    }
}
// ANCHOR_END: drop

/// Live figures of a running pipeline.
#[derive(Clone)]
pub struct Probe {
    stages: Vec<Arc<StageStats>>,
    links: Vec<Arc<dyn LinkState>>,
}

impl Probe {
    /// Items queued in all the links now.
    pub fn queued(&self) -> usize {
        self.links.iter().map(|link| link.queued()).sum()
    }

    /// The sum of the links' capacities: the most that can ever be queued.
    pub fn capacity(&self) -> usize {
        self.links.iter().map(|link| link.capacity()).sum()
    }

    /// How many items the stage named `stage` has sent on so far.
    pub fn items_out(&self, stage: &str) -> u64 {
        self.stages
            .iter()
            .filter(|stats| stats.name == stage)
            .map(|stats| stats.items_out.load(Ordering::Relaxed))
            .sum()
    }
}

/// What each stage did, and how full each link got.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    /// The stages, source first, `finish` last.
    pub stages: Vec<StageReport>,
    /// The links, each after the stage it names.
    pub links: Vec<LinkReport>,
}

/// One stage's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct StageReport {
    /// Its name.
    pub name: &'static str,
    /// Its threads.
    pub workers: usize,
    /// Items it took.
    pub items_in: u64,
    /// Items it sent on.
    pub items_out: u64,
    /// Time its workers spent working, summed.
    pub busy: Duration,
    /// Time its workers spent waiting for room in the next link, summed: backpressure.
    pub blocked: Duration,
}

/// One link's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct LinkReport {
    /// The stage that sends into it.
    pub after: &'static str,
    /// The most it holds.
    pub capacity: usize,
    /// The most it ever held.
    pub high_water: usize,
}

fn add_time(counter: &AtomicU64, time: Duration) {
    let nanos = u64::try_from(time.as_nanos()).unwrap_or(u64::MAX);
    counter.fetch_add(nanos, Ordering::Relaxed);
}
