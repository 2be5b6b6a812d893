//! `deathstar-bench`: the command-line entry point. Parses and validates the arguments, runs
//! the subcommand, prints its report on stdout (progress goes to stderr) and sets the exit
//! status: non-zero when arguments are invalid, when the target cannot be used, or when any
//! `init-graph` request failed.

use std::io::IsTerminal;
use std::path::Path;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::Parser;
use deathstar_bench::args::{Cli, Command, InitArgs, LoginsArgs, RunArgs, SweepArgs};
use deathstar_bench::client::parse_target;
use deathstar_bench::init::{self, init_graph};
use deathstar_bench::jaeger::{self, Jaeger};
use deathstar_bench::plot::{breakdown_plot, percentile_plot};
use deathstar_bench::report::{api_name, render_per_second, render_windows};
use deathstar_bench::run::{RunConfig, clock_seed, run_traced};
use deathstar_bench::sweep::sweep;

fn write_json(path: &Path, value: &impl serde::Serialize) -> Result<()> {
    let text = serde_json::to_string_pretty(value)?;
    std::fs::write(path, text + "\n").with_context(|| format!("writing {}", path.display()))?;
    eprintln!("wrote {}", path.display());
    Ok(())
}

async fn cmd_init(args: InitArgs) -> Result<ExitCode> {
    args.validate()?;
    let (graph, tallies) = init_graph(&args).await?;
    print!("{}", init::render(&tallies));
    let failed: u64 = tallies.iter().map(|t| t.failed()).sum();
    if failed > 0 {
        eprintln!("init-graph: {failed} requests failed");
        return Ok(ExitCode::FAILURE);
    }
    println!(
        "loaded {} users; run workloads with --users {} --api {}",
        graph.nodes,
        graph.nodes,
        api_name(args.api)
    );
    Ok(ExitCode::SUCCESS)
}

async fn cmd_logins(args: LoginsArgs) -> Result<ExitCode> {
    parse_target(&args.target)?;
    let figures = deathstar_bench::logins::logins(&args).await?;
    for phase in &figures {
        print!("{}", phase.render());
    }
    if let Some(path) = &args.json {
        write_json(path, &figures)?;
    }
    let failed: u64 = figures.iter().map(|p| p.failed).sum();
    Ok(if failed > 0 {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    })
}

async fn cmd_run(args: RunArgs) -> Result<ExitCode> {
    args.validate()?;
    let seed = args.load.seed.unwrap_or_else(clock_seed);
    eprintln!("seed {seed} (pass --seed {seed} to repeat this run's schedule and requests)");
    let mut cfg = RunConfig::new(&args.load, args.rate, args.duration, seed);
    cfg.trace_ratio = args.trace_ratio();
    cfg.window_s = args.window.map(|w| w.as_secs());
    cfg.server_pid = args.server_pid;
    let jaeger = match &args.traces {
        Some(url) => {
            let jaeger = Jaeger::new(url)?;
            jaeger.check().await?;
            Some(jaeger)
        }
        None => None,
    };
    let (mut report, sampled) = run_traced(&cfg, std::io::stderr().is_terminal()).await?;
    print!("{}", report.render());
    if args.per_second {
        print!("\n{}", render_per_second(&report.per_second));
    }
    if !report.windows.is_empty() {
        print!("\n{}", render_windows(&report.windows));
    }
    if let Some(jaeger) = &jaeger {
        let breakdown = jaeger::collect(
            jaeger,
            args.trace_ratio,
            sampled,
            args.trace_limit,
            args.trace_wait,
        )
        .await;
        print!("\n{}", breakdown.render());
        if let Some(path) = &args.trace_plot {
            let title = format!(
                "self time by span operation: {} @ {} req/s ({} API)",
                cfg.workload.name(),
                cfg.rate,
                api_name(cfg.api)
            );
            breakdown_plot(path, &title, &breakdown)?;
            eprintln!("wrote {}", path.display());
        }
        report.traces = Some(breakdown);
    }
    if let Some(path) = &args.json {
        write_json(path, &report)?;
    }
    if let Some(path) = &args.plot {
        let title = format!(
            "{} @ {} req/s offered, {} connections ({} API)",
            cfg.workload.name(),
            cfg.rate,
            cfg.connections,
            api_name(cfg.api)
        );
        percentile_plot(
            path,
            &title,
            &[
                (
                    "corrected (from scheduled send)",
                    &report.spectra_ms.corrected,
                ),
                (
                    "uncorrected (from actual send)",
                    &report.spectra_ms.uncorrected,
                ),
            ],
        )?;
        eprintln!("wrote {}", path.display());
    }
    Ok(ExitCode::SUCCESS)
}

async fn cmd_sweep(args: SweepArgs) -> Result<ExitCode> {
    args.validate()?;
    let seed = args.load.seed.unwrap_or_else(clock_seed);
    eprintln!("seed {seed}; rates {:?}", args.rates());
    let result = sweep(&args, seed, std::io::stderr().is_terminal()).await?;
    match result.highest_sustained_rps {
        Some(rate) => println!(
            "highest sustained rate: {rate} req/s (corrected p99 ≤ {} ms, errors ≤ {} %)",
            args.slo_p99_ms, args.max_error_pct
        ),
        None => println!(
            "no rate met the SLO (corrected p99 ≤ {} ms, errors ≤ {} %)",
            args.slo_p99_ms, args.max_error_pct
        ),
    }
    if result.steps.last().is_some_and(|s| s.passed) {
        println!("(every rate up to --max-rate passed; raise it to find the limit)");
    }
    if let Some(path) = &args.json {
        write_json(path, &result)?;
    }
    Ok(ExitCode::SUCCESS)
}

#[tokio::main(flavor = "multi_thread", worker_threads = 1)]
async fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::InitGraph(a) => cmd_init(a).await,
        Command::Run(a) => cmd_run(a).await,
        Command::Sweep(a) => cmd_sweep(a).await,
        Command::Logins(a) => cmd_logins(a).await,
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(2)
        }
    }
}
