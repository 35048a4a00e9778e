//! `kobalt screen`: batch screening with a progress bar on a terminal.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::Context;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};
use kobalt_contract::Guideline;
use kobalt_screen::{Mapping, Options, Progress};

use crate::output;

pub(crate) struct Args {
    pub source: Source,
    pub out: PathBuf,
    pub rejects: Option<PathBuf>,
    pub report: Option<PathBuf>,
    pub mapping: Option<PathBuf>,
    pub guideline: Guideline,
    pub threads: Option<usize>,
}

/// What is screened.
pub(crate) enum Source {
    File(PathBuf),
    Omop(Omop),
}

/// An OMOP CDM in PostgreSQL (`--omop`).
pub(crate) struct Omop {
    pub database: String,
    pub as_of: jiff::civil::Date,
    pub window_days: u32,
    /// Write the output back into this table.
    pub table: Option<String>,
}

impl Source {
    /// How messages name it: the path, or the database without its password.
    fn name(&self) -> PathBuf {
        match self {
            Source::File(path) => path.clone(),
            Source::Omop(o) => PathBuf::from(format!(
                "OMOP CDM {}",
                kobalt_omop::postgres::describe(&o.database)
            )),
        }
    }
}

/// indicatif on a terminal, nothing otherwise (indicatif hides itself).
struct Bar {
    bar: ProgressBar,
    rows: std::sync::atomic::AtomicU64,
    started: Instant,
}

impl Progress for Bar {
    fn start(&self, total: Option<u64>) {
        if let Some(t) = total {
            self.bar.set_length(t);
        }
    }

    fn advance(&self, bytes: u64, rows: u64) {
        let rows = self
            .rows
            .fetch_add(rows, std::sync::atomic::Ordering::Relaxed)
            + rows;
        self.bar.inc(bytes);
        let secs = self.started.elapsed().as_secs_f64().max(1e-3);
        self.bar
            .set_message(format!("{rows} rows, {:.0} rows/s", rows as f64 / secs));
    }
}

pub(crate) fn run(args: Args) -> anyhow::Result<ExitCode> {
    let kb = kobalt_kb::bundled()?;
    let mapping = match (&args.mapping, &args.source) {
        (_, Source::Omop(_)) => kobalt_omop::mapping(),
        (Some(p), _) => Mapping::parse(
            &std::fs::read_to_string(p).with_context(|| format!("reading {}", p.display()))?,
        )
        .with_context(|| format!("mapping {}", p.display()))?,
        (None, _) => Mapping::builtin(),
    };
    let rejects = args.rejects.clone().unwrap_or_else(|| {
        let stem = args
            .out
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".into());
        args.out.with_file_name(format!("{stem}.rejects.csv"))
    });
    let threads = args
        .threads
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, usize::from));
    let bar = ProgressBar::with_draw_target(None, ProgressDrawTarget::stderr());
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} eta {eta} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    let progress = Bar {
        bar,
        rows: Default::default(),
        started: Instant::now(),
    };
    remove_temporaries_on_signal()?;
    let started = Instant::now();
    let options = Options {
        input: args.source.name(),
        out: args.out.clone(),
        rejects: rejects.clone(),
        guideline: args.guideline,
        mapping,
        threads,
        block_bytes: 1 << 20,
    };
    let (outcome, table) = match &args.source {
        Source::File(_) => (kobalt_screen::run(&kb, &options, &progress)?, None),
        Source::Omop(omop) => screen_omop(&kb, &options, omop, &progress)?,
    };
    progress.bar.finish_and_clear();
    let secs = started.elapsed().as_secs_f64();
    let s = &outcome.summary;
    let mut text = s.text();
    text.push_str(&format!(
        "{:.2} s, {:.0} rows/s; output {}, rejects {}\n",
        secs,
        s.rows_in as f64 / secs.max(1e-9),
        args.out.display(),
        rejects.display()
    ));
    if let Source::Omop(o) = &args.source {
        text.push_str(&format!(
            "{}: as of {}, results of the last {} days, guideline {}\n",
            args.source.name().display(),
            o.as_of,
            o.window_days,
            args.guideline.as_str()
        ));
    }
    if let Some(table) = table {
        text.push_str(&table);
    }
    if let Some(dir) = &args.report {
        std::fs::create_dir_all(dir).with_context(|| format!("creating {}", dir.display()))?;
        let limits: Vec<(String, f64)> = ["low", "high"]
            .iter()
            .filter_map(|n| {
                Some((
                    format!("b12_total {n}"),
                    kb.limit(args.guideline, "b12_total", n)?,
                ))
            })
            .collect();
        let mut json = s.json(&limits);
        json["run"] = run_json(&args, &kb);
        let json = serde_json::to_string_pretty(&json)?;
        std::fs::write(dir.join("summary.json"), json)?;
        let title = format!("Kobalt screening of {}", args.source.name().display());
        std::fs::write(dir.join("summary.html"), s.html(&title, &limits))?;
        text.push_str(&format!("report: {}\n", dir.display()));
    }
    // Every file is written before the summary goes to stdout, and a closed
    // stdout does not hide a truncated input or a count mismatch (exit 1).
    output::emit(&text).or_else(output::OutputError::unless_broken_pipe)?;
    if let Some(t) = &outcome.truncated {
        eprintln!(
            "kobalt: input truncated ({t}); the rows read were screened, the partial row is in the rejects"
        );
        return Ok(ExitCode::from(1));
    }
    if !s.conserved() {
        eprintln!("kobalt: row count mismatch (see the summary)");
        return Ok(ExitCode::from(1));
    }
    Ok(ExitCode::SUCCESS)
}

/// Ctrl-C or SIGTERM during a run: the temporary files are removed and the
/// process exits as the signal would (128 + its number); nothing half-written
/// is left behind (B55, B55t). SIGKILL cannot be caught.
fn remove_temporaries_on_signal() -> anyhow::Result<()> {
    use signal_hook::consts::{SIGINT, SIGTERM};
    let mut signals = signal_hook::iterator::Signals::new([SIGINT, SIGTERM])?;
    std::thread::spawn(move || {
        if let Some(signal) = signals.forever().next() {
            kobalt_screen::remove_temporary_files();
            std::process::exit(128 + signal);
        }
    });
    Ok(())
}

/// How the run was made (summary.json `run`): what was screened (a password
/// hidden), under which guideline, with which knowledge base and Kobalt; for
/// a CDM the day, the window and the table written.
fn run_json(args: &Args, kb: &kobalt_kb::Knowledge) -> serde_json::Value {
    let mut run = serde_json::json!({
        "source": args.source.name().display().to_string(),
        "guideline": args.guideline.as_str(),
        "knowledge_version": kb.version,
        "knowledge_sha256": kb.sha256,
        "kobalt_version": env!("CARGO_PKG_VERSION"),
    });
    if let Source::Omop(o) = &args.source {
        run["omop"] = serde_json::json!({
            "as_of": o.as_of.to_string(),
            "window_days": o.window_days,
            "table": o.table,
        });
    }
    run
}

/// Every person of an OMOP CDM in PostgreSQL, read as it comes; the output
/// is written back as a table when asked (after the files are published).
/// Gives what to say besides the summary: a vocabulary warning, the table.
fn screen_omop(
    kb: &kobalt_kb::Knowledge,
    options: &Options,
    omop: &Omop,
    progress: &dyn Progress,
) -> anyhow::Result<(kobalt_screen::Outcome, Option<String>)> {
    use kobalt_omop::postgres;
    let name = options.input.display().to_string();
    // As libpq: a password not in the settings comes from PGPASSWORD.
    let password = std::env::var("PGPASSWORD").ok();
    let mut client =
        postgres::connect(&omop.database, password.as_deref()).with_context(|| name.clone())?;
    // Before anything is screened or written: the vocabulary is there, and
    // the table to write is Kobalt's own (never a CDM table).
    let warning = postgres::check_vocabulary(&mut client, kb)?;
    if let Some(table) = &omop.table {
        postgres::check_table(&mut client, table)?;
    }
    let sql = kobalt_omop::query(kb, omop.as_of, omop.window_days);
    let batches = postgres::batches(&mut client, &sql)?.map(|batch| {
        batch.map_err(|e| kobalt_screen::ScreenError::Read {
            path: name.clone(),
            source: std::io::Error::other(e),
        })
    });
    let outcome = kobalt_screen::run_table(kb, options, &kobalt_omop::schema(), batches, progress)?;
    let mut said = String::new();
    if let Some(warning) = warning {
        said.push_str(&format!("warning: {warning}\n"));
    }
    if let Some(table) = &omop.table {
        let rows = postgres::write_table(&mut client, table, &options.out, &options.rejects)?;
        said.push_str(&format!("table {table}: {rows} rows written\n"));
    }
    Ok((outcome, Some(said).filter(|s| !s.is_empty())))
}
