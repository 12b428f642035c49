//! Chapter 10's server — the complete job server.
//!
//! `cargo run --release -p ch10-graceful-shutdown` (`-- --help` lists every flag), then try
//! the lines it prints. The first Ctrl-C (or SIGTERM) drains: no new connections, jobs get
//! until `--drain` to finish, the rest are cancelled, every job is accounted for, exit 0. A
//! second signal exits at once.

use ch02_worker_pool::PoolSize;
use ch03_context::request_pool;
use ch04_timeouts::loop_timers;
use ch10_graceful_shutdown::options::ServerOptions;
use ch10_graceful_shutdown::{app_on, drain};
use http_loop::{Server, logging};
use std::io::Write;
use std::process::ExitCode;
use std::sync::mpsc;
use std::time::Instant;

const NAME: &str = "ch10-graceful-shutdown";

fn main() -> ExitCode {
    logging::init();
    let parsed = ServerOptions::from_env(
        "ch10-graceful-shutdown: the complete job server — rate limits, graceful shutdown, metrics",
    );
    if let Some(level) = parsed.log {
        log::set_max_level(level);
    }
    let options = &parsed.options;
    let started = request_pool(PoolSize::default())
        .and_then(|requests| app_on(requests, options, &parsed.store));
    let app = match started {
        Ok(app) => app,
        Err(error) => {
            eprintln!("cannot start {NAME}: {error}");
            return ExitCode::FAILURE;
        }
    };
    // ANCHOR: signals
    let (signalled_tx, signalled) = mpsc::channel();
    let shutdown = std::sync::Arc::clone(&app.monitoring.shutdown);
    let drain_for = parsed.drain;
    let bound = Server::new(app.handler)
        .observe(app.monitoring.metrics.clone())
        .with_config(loop_timers())
        .drain_on_signals(move |signal, nth| {
            if nth == 1 {
                shutdown.begin();
                log::info!("signal {signal}: draining for up to {drain_for:?}; a second signal exits at once");
                let _ = signalled_tx.send(Instant::now());
            } else {
                eprintln!("{NAME}: signal {signal} again: exiting now, without draining");
                std::process::exit(128 + signal);
            }
        })
        .bind(options.addr);
    // ANCHOR_END: signals
    let server = match bound {
        Ok(server) => server,
        Err(error) => {
            eprintln!("cannot start {NAME} on {}: {error}", options.addr);
            return ExitCode::FAILURE;
        }
    };
    // The smoke test, the bench and the signal tests read the port from the first line. A
    // reader that stops reading must not stop the server: `println!` would panic on a closed
    // pipe, so these lines ignore a failure to print.
    let addr = server.local_addr();
    let mut out = std::io::stdout().lock();
    let _ = writeln!(
        out,
        "{NAME} listening on http://{addr}  (Ctrl-C drains and stops it)"
    );
    let _ = print_try(&mut out, addr);
    drop(out);
    // ANCHOR: main_drain
    let Ok(began) = signalled.recv() else {
        // The loop ended without a signal: it failed.
        return match server.wait() {
            Ok(()) => ExitCode::SUCCESS,
            Err(error) => {
                eprintln!("the event loop failed: {error}");
                ExitCode::FAILURE
            }
        };
    };
    match drain(server, &app.monitoring, began + parsed.drain) {
        Ok(report) => {
            log::info!(
                "shutdown: drained in {:.2?}{}",
                report.took,
                if report.connections_cut {
                    "; connections still busy were closed"
                } else {
                    ""
                }
            );
            log::info!("{}", report.accounting());
            ExitCode::SUCCESS
        }
        Err(error) => {
            eprintln!("the event loop failed while draining: {error}");
            ExitCode::FAILURE
        }
    }
    // ANCHOR_END: main_drain
}

fn print_try(out: &mut impl Write, addr: std::net::SocketAddr) -> std::io::Result<()> {
    let submit = "curl -s -H 'Content-Type: application/json' -d";
    writeln!(out, "try:")?;
    writeln!(
        out,
        "  {submit} '{{\"kind\":\"sleep\",\"input\":{{\"ms\":20000}}}}' http://{addr}/jobs"
    )?;
    writeln!(
        out,
        "  curl -s http://{addr}/jobs/ID/result?wait=30s     # then Ctrl-C the server: this poll still gets its answer"
    )?;
    writeln!(
        out,
        "  curl -s http://{addr}/metrics                      # requests, latency, jobs, queue, workers, threads"
    )?;
    writeln!(
        out,
        "  curl -s http://{addr}/ready                        # 503 once draining"
    )?;
    writeln!(
        out,
        "  curl -s http://{addr}/openapi.json                 # the API, described"
    )?;
    Ok(())
}
