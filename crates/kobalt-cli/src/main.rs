//! The `kobalt` command line: a thin adapter over the engine.

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use kobalt_contract::{Audience, Guideline, Language};

mod output;
mod report;
mod screen;
mod simulate;

#[derive(Parser)]
#[command(
    name = "kobalt",
    version,
    about = "Decision support for vitamin B12 deficiency (NHG and NICE NG239)",
    after_help = "Examples:\n  kobalt assess examples/vegan-tingling.json\n  kobalt assess --format json --guideline nice - < request.json\n  kobalt simulate --diet vegan --years 6 --then 'oral 1000 ug daily' --chart stores.svg\n  kobalt knowledge check\n  kobalt knowledge show metformin"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Assess a request (contract v1 JSON) and print the assessment.
    Assess {
        /// Request file, or `-` for standard input (the default).
        input: Option<String>,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        /// Language of the texts (overrides the request).
        #[arg(long, value_enum)]
        lang: Option<Lang>,
        /// Guideline profile (overrides the request).
        #[arg(long, value_enum)]
        guideline: Option<Profile>,
        /// Audience of the texts (overrides the request).
        #[arg(long, value_enum)]
        audience: Option<Reader>,
        /// Monte Carlo draws for the projection of B12 stores (0: default parameters only).
        #[arg(long, default_value_t = 1000)]
        draws: usize,
        /// Leave out the projection of B12 stores.
        #[arg(long)]
        no_projection: bool,
        /// The input is FHIR R4: a Bundle, a resource or an array of resources.
        #[arg(long)]
        fhir: bool,
        /// Evaluation date for FHIR input (default: today).
        #[arg(long)]
        date: Option<jiff::civil::Date>,
    },
    /// Project body B12 stores and serum markers over time (a model estimate).
    #[command(
        after_help = "Examples:\n  kobalt simulate --diet vegan --years 6\n  kobalt simulate --diet vegan --years 4 --then 'oral 1000 ug daily' --then-years 1 \\\n    --chart vegan.svg --png vegan.png\n  kobalt simulate --start pernicious-anaemia --condition pernicious_anaemia --years 0.1 \\\n    --then 'im hydroxocobalamin 1000 ug loading then every 90 days' --then-years 2\n  kobalt simulate --n2o-cartridges 100 --years 0.25 --format json\n  kobalt simulate examples/scenario-gastric-bypass.json"
    )]
    Simulate {
        /// Scenario file (JSON; see examples/scenario-*.json) instead of the flags below.
        #[arg(conflicts_with_all = ["diet", "food_ug", "conditions", "start", "then", "n2o_cartridges", "pregnant"])]
        scenario: Option<String>,
        #[command(flatten)]
        flags: simulate::Flags,
        #[arg(long, default_value_t = 1000)]
        draws: usize,
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[arg(long, value_enum, default_value_t = Format::Text)]
        format: Format,
        #[arg(long, value_enum, default_value_t = Lang::En)]
        lang: Lang,
        /// Guideline whose decision limits are shown.
        #[arg(long, value_enum, default_value_t = Profile::Nhg)]
        guideline: Profile,
        /// Write an SVG chart of the store and serum B12 here.
        #[arg(long)]
        chart: Option<std::path::PathBuf>,
        /// Write a PNG of the same chart here.
        #[arg(long)]
        png: Option<std::path::PathBuf>,
    },
    /// Screen a lab export: one row per patient with status, flags and reflex test.
    #[command(
        after_help = "Examples:\n  kobalt screen b12_export.csv --out flagged.csv\n  kobalt screen results.ndjson.gz --out flagged.csv --rejects rejects.csv --report report/\n  kobalt screen long.csv --mapping mapping.toml --guideline nice --out flagged.csv\n  kobalt screen b12_export.parquet --out flagged.parquet\n  kobalt screen --omop postgresql://analyst@dbhost/cdm \\\n    --out flagged.csv --omop-table results.kobalt_flags"
    )]
    Screen {
        /// CSV (any delimiter), Parquet, or NDJSON of FHIR Observations; CSV and NDJSON plain or .gz.
        #[arg(required_unless_present = "omop", conflicts_with = "omop")]
        input: Option<std::path::PathBuf>,
        /// Output file, one row per patient: .csv or .parquet.
        #[arg(long)]
        out: std::path::PathBuf,
        /// Rejected rows with their reason (default: OUT with .rejects.csv).
        #[arg(long)]
        rejects: Option<std::path::PathBuf>,
        /// Write summary.json and summary.html here.
        #[arg(long)]
        report: Option<std::path::PathBuf>,
        /// Column mapping (TOML); without it, the benchmark export's columns.
        #[arg(long, conflicts_with = "omop")]
        mapping: Option<std::path::PathBuf>,
        #[arg(long, value_enum, default_value_t = Profile::Nhg)]
        guideline: Profile,
        /// Worker threads (default: all cores).
        #[arg(long)]
        threads: Option<usize>,
        /// Screen every person of an OMOP CDM in PostgreSQL instead of a file: a URL
        /// (postgresql://user@host/db) or settings (host=/var/run/postgresql dbname=cdm).
        #[arg(long, value_name = "DATABASE")]
        omop: Option<String>,
        /// OMOP: results and drug exposures up to this day count (default: today).
        #[arg(long)]
        as_of: Option<jiff::civil::Date>,
        /// OMOP: only results of the last DAYS days up to --as-of count, the latest per
        /// analyte (default: 730; 1 to 36525).
        #[arg(long, value_name = "DAYS", value_parser = clap::value_parser!(u32).range(1..=i64::from(kobalt_omop::MAX_WINDOW_DAYS)))]
        window_days: Option<u32>,
        /// OMOP: also write the output into this table of the database (replaced), such as
        /// results.kobalt_flags; needs a .csv --out.
        #[arg(long, value_name = "TABLE")]
        omop_table: Option<String>,
    },
    /// Serve the questionnaire, the result page and the JSON API.
    Serve {
        /// Address to listen on.
        #[arg(long, default_value = "127.0.0.1:8080")]
        addr: std::net::SocketAddr,
        /// CDS Hooks settings (TOML: base_url, issuers with their JWK Set files).
        /// Without it the CDS Hooks endpoints refuse every call.
        #[arg(long)]
        cds_settings: Option<std::path::PathBuf>,
    },
    /// Validate or inspect the knowledge base.
    Knowledge {
        #[command(subcommand)]
        command: KnowledgeCommand,
    },
    /// What Kobalt reads from FHIR R4 data.
    Fhir {
        #[command(subcommand)]
        command: FhirCommand,
    },
}

#[derive(Subcommand)]
enum FhirCommand {
    /// Print the contract request derived from FHIR data and the issues of
    /// that mapping, as JSON `{"request": ..., "issues": OperationOutcome}`.
    #[command(after_help = "Examples:\n  kobalt fhir map patient-bundle.json --date 2026-12-02")]
    Map {
        /// A Bundle, a resource or an array of resources; `-` for standard input.
        input: String,
        /// Evaluation date (default: today).
        #[arg(long)]
        date: Option<jiff::civil::Date>,
    },
}

#[derive(Subcommand)]
enum KnowledgeCommand {
    /// Validate the knowledge base and print its version and hash.
    Check {
        /// Check this folder instead of the bundled knowledge base.
        #[arg(long)]
        dir: Option<std::path::PathBuf>,
    },
    /// Show what the knowledge base holds about an identifier (or list the identifiers).
    Show { id: Option<String> },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    Text,
    Json,
}
#[derive(Clone, Copy, ValueEnum)]
enum Lang {
    Nl,
    En,
}
#[derive(Clone, Copy, ValueEnum)]
enum Profile {
    Nhg,
    Nice,
}
#[derive(Clone, Copy, ValueEnum)]
enum Reader {
    Patient,
    Clinician,
}

impl From<Lang> for Language {
    fn from(l: Lang) -> Self {
        match l {
            Lang::Nl => Language::Nl,
            Lang::En => Language::En,
        }
    }
}

impl From<Profile> for Guideline {
    fn from(p: Profile) -> Self {
        match p {
            Profile::Nhg => Guideline::Nhg,
            Profile::Nice => Guideline::Nice,
        }
    }
}

/// A request from FHIR JSON; what could not be used is reported on stderr.
/// On failure, the OperationOutcome.
fn fhir_request(
    kb: &kobalt_kb::Knowledge,
    text: &str,
    today: jiff::civil::Date,
) -> Result<kobalt_contract::Request, serde_json::Value> {
    let input: serde_json::Value = serde_json::from_str(text).map_err(|e| {
        eprintln!("kobalt: the FHIR input is not JSON: {e}");
        kobalt_fhir::operation_outcome(&[kobalt_fhir::Issue {
            severity: "error",
            resource: "input".into(),
            element: String::new(),
            text: format!("not JSON: {e}"),
        }])
    })?;
    match kobalt_fhir::map(kb, &input, today, &serde_json::json!({})) {
        Ok(mapped) => {
            for i in mapped.issues.iter().filter(|i| i.severity != "information") {
                eprintln!(
                    "kobalt: {} {}: {} ({})",
                    i.severity, i.resource, i.text, i.element
                );
            }
            Ok(mapped.request)
        }
        Err(failed) => {
            for i in &failed.issues {
                if i.severity == "error" {
                    eprintln!("kobalt: {}: {} ({})", i.resource, i.text, i.element);
                }
            }
            Err(failed.operation_outcome())
        }
    }
}

/// `kobalt fhir map`: the request and every issue of the mapping; exit 2
/// (with `"request": null`) when no request could be made.
fn fhir_map(input: &str, date: Option<jiff::civil::Date>) -> anyhow::Result<ExitCode> {
    let bytes = read_bytes(input)?;
    let kb = kobalt_kb::bundled()?;
    let today = date.unwrap_or_else(|| jiff::Zoned::now().date());
    let value: serde_json::Value = match serde_json::from_slice(&bytes) {
        Ok(v) => v,
        Err(e) => {
            eprintln!("kobalt: {input} is not JSON: {e}");
            return Ok(ExitCode::from(2));
        }
    };
    let (document, code) = match kobalt_fhir::map(&kb, &value, today, &serde_json::json!({})) {
        Ok(mapped) => (
            serde_json::json!({
                "request": mapped.request,
                "issues": kobalt_fhir::operation_outcome(&mapped.issues),
            }),
            ExitCode::SUCCESS,
        ),
        Err(failed) => (
            serde_json::json!({ "request": null, "issues": failed.operation_outcome() }),
            ExitCode::from(2),
        ),
    };
    output::emit(&json_line(&document)?).or_else(output::OutputError::unless_broken_pipe)?;
    Ok(code)
}

/// CDS Hooks settings and the JWK Sets they name (paths relative to the file).
fn read_cds_settings(
    path: &std::path::Path,
) -> anyhow::Result<(kobalt_cds::CdsSettings, Vec<kobalt_cds::Issuer>)> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let settings: kobalt_cds::CdsSettings =
        toml::from_str(&text).with_context(|| format!("CDS settings {}", path.display()))?;
    let dir = path.parent().unwrap_or(std::path::Path::new("."));
    let mut issuers = Vec::new();
    for i in &settings.issuer {
        let (origin, text) = match (&i.jwks_file, &i.jwks_url) {
            (Some(f), None) => {
                let file = dir.join(f);
                let text = std::fs::read_to_string(&file)
                    .with_context(|| format!("reading {}", file.display()))?;
                (file.display().to_string(), text)
            }
            (None, Some(url)) => {
                let set = kobalt_cds::fetch::jwks(url)
                    .map_err(|e| anyhow::anyhow!("fetching the JWK Set: {e}"))?;
                (url.clone(), serde_json::to_string(&set)?)
            }
            _ => anyhow::bail!("issuer {}: give jwks_file or jwks_url", i.iss),
        };
        issuers.push(kobalt_cds::Issuer {
            iss: i.iss.clone(),
            jwks: serde_json::from_str(&text).with_context(|| format!("JWK Set {origin}"))?,
            jku: i.jku.clone(),
            jwks_url: i.jwks_url.clone(),
        });
    }
    if settings.allow_unauthenticated {
        eprintln!("kobalt: CDS Hooks development mode: calls without a token are accepted");
    }
    Ok((settings, issuers))
}

/// Monte Carlo settings for projections: every core of the machine.
fn projection_options(draws: usize, seed: u64) -> kobalt_kinetics::Options {
    kobalt_kinetics::Options {
        draws: draws.min(100_000),
        seed,
        every_days: 7,
        threads: std::thread::available_parallelism().map_or(1, usize::from),
    }
}

/// Pretty JSON and a line end, as printed.
fn json_line(value: &impl serde::Serialize) -> serde_json::Result<String> {
    serde_json::to_string_pretty(value).map(|mut s| {
        s.push('\n');
        s
    })
}

/// A file's bytes, or standard input for `-`.
fn read_bytes(path: &str) -> anyhow::Result<Vec<u8>> {
    if path == "-" {
        let mut bytes = Vec::new();
        std::io::stdin()
            .read_to_end(&mut bytes)
            .context("reading standard input")?;
        Ok(bytes)
    } else {
        std::fs::read(path).with_context(|| format!("reading {path}"))
    }
}

/// A file's text, or standard input for `-`.
fn read_input(path: &str) -> anyhow::Result<String> {
    String::from_utf8(read_bytes(path)?).with_context(|| format!("reading {path}"))
}

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => match e.downcast_ref::<output::OutputError>() {
            Some(o) if o.is_broken_pipe() => ExitCode::SUCCESS,
            _ => {
                eprintln!("kobalt: {}", message(&e));
                ExitCode::from(1)
            }
        },
    }
}

/// `--omop` was given a database file (DuckDB, SQLite) rather than
/// PostgreSQL connection settings: a `duckdb:` name, a database file's
/// extension or an existing file, and never a URL or `key=value` settings
/// (`host=omop.db dbname=cdm` names a host).
fn database_file(database: &str) -> bool {
    let lower = database.to_lowercase();
    if lower.starts_with("postgres://") || lower.starts_with("postgresql://") || lower.contains('=')
    {
        return false;
    }
    lower.starts_with("duckdb:")
        || [".duckdb", ".ddb", ".db", ".sqlite"]
            .iter()
            .any(|e| lower.ends_with(e))
        || std::path::Path::new(database).is_file()
}

/// A usage error: said as clap says its own, with exit code 2.
fn usage(message: &str) -> ! {
    use clap::CommandFactory;
    Cli::command()
        .error(clap::error::ErrorKind::ArgumentConflict, message)
        .exit()
}

/// An error and its causes on one line, each said once: many errors name
/// their cause in their own message already ("cannot read x.csv: No such
/// file or directory").
fn message(e: &anyhow::Error) -> String {
    let mut text = String::new();
    for cause in e.chain().map(ToString::to_string) {
        if text.contains(&cause) {
            continue;
        }
        if !text.is_empty() {
            text.push_str(": ");
        }
        text.push_str(&cause);
    }
    text
}

fn run() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    match cli.command {
        Command::Assess {
            input,
            format,
            lang,
            guideline,
            audience,
            draws,
            no_projection,
            fhir,
            date,
        } => {
            let input = input.unwrap_or_else(|| {
                if std::io::stdin().is_terminal() {
                    eprintln!(
                        "kobalt: reading the request from standard input (end it with Ctrl-D; \
                         `kobalt assess FILE` reads a file)"
                    );
                }
                "-".to_owned()
            });
            let bytes = read_bytes(&input)?;
            let kb = kobalt_kb::bundled()?;
            let today = date.unwrap_or_else(|| jiff::Zoned::now().date());
            let parsed = if fhir {
                let text = String::from_utf8(bytes).with_context(|| format!("reading {input}"))?;
                match fhir_request(&kb, &text, today) {
                    Ok(req) => Ok(req),
                    Err(outcome) => {
                        if let Format::Json = format {
                            output::emit(&json_line(&outcome)?)
                                .or_else(output::OutputError::unless_broken_pipe)?;
                        }
                        return Ok(ExitCode::from(2));
                    }
                }
            } else {
                kobalt_contract::parse_request_bytes(&bytes)
            };
            let result = parsed.and_then(|mut req| {
                if let Some(l) = lang {
                    req.language = Some(l.into());
                }
                if let Some(g) = guideline {
                    req.guideline = Some(g.into());
                }
                if let Some(a) = audience {
                    req.audience = Some(match a {
                        Reader::Patient => Audience::Patient,
                        Reader::Clinician => Audience::Clinician,
                    });
                }
                if no_projection {
                    kobalt_engine::assess(&kb, &req, today)
                } else {
                    kobalt_engine::assess_with_projection(
                        &kb,
                        &req,
                        today,
                        projection_options(draws, 1),
                    )
                }
            });
            match result {
                Ok(assessment) => {
                    output::emit(&match format {
                        Format::Json => json_line(&assessment)?,
                        Format::Text => report::render(&kb, &assessment),
                    })?;
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    if let Format::Json = format {
                        output::emit(&json_line(&e.to_document())?)
                            .or_else(output::OutputError::unless_broken_pipe)?;
                    }
                    eprintln!("kobalt: invalid request: {e}");
                    Ok(ExitCode::from(2))
                }
            }
        }
        Command::Simulate {
            scenario,
            flags,
            draws,
            seed,
            format,
            lang,
            guideline,
            chart,
            png,
        } => {
            let kb = kobalt_kb::bundled()?;
            let spec = match scenario {
                Some(path) => {
                    let text = read_input(&path)?;
                    simulate::read_scenario(&text, &path)?
                }
                None => flags.scenario()?,
            };
            let out = simulate::Output {
                kb: &kb,
                guideline: guideline.into(),
                language: lang.into(),
            };
            let options = projection_options(draws, seed);
            let run = out.run(&spec, options)?;
            // The charts first: they are written even when nobody reads stdout.
            if chart.is_some() || png.is_some() {
                let svg = out.chart(&run);
                if let Some(path) = chart {
                    std::fs::write(&path, &svg)
                        .with_context(|| format!("writing {}", path.display()))?;
                }
                if let Some(path) = png {
                    let bytes = kobalt_chart::svg_to_png(&svg)?;
                    std::fs::write(&path, bytes)
                        .with_context(|| format!("writing {}", path.display()))?;
                }
            }
            output::emit(&match format {
                Format::Json => format!("{}\n", out.json(&spec, &run)?),
                Format::Text => out.text(&run),
            })?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Screen {
            input,
            out,
            rejects,
            report,
            mapping,
            guideline,
            threads,
            omop,
            as_of,
            window_days,
            omop_table,
        } => {
            if omop.is_none() && (as_of.is_some() || window_days.is_some() || omop_table.is_some())
            {
                usage("--as-of, --window-days and --omop-table go with --omop DATABASE");
            }
            if omop_table.is_some() && !out.to_string_lossy().to_lowercase().ends_with(".csv") {
                usage("--omop-table writes the output file into the database: give a .csv --out");
            }
            if let Some(database) = omop.as_deref().filter(|d| database_file(d)) {
                usage(&format!(
                    "--omop reads an OMOP CDM in PostgreSQL (a URL or settings), and '{database}' \
                     is a file: for a CDM in a DuckDB file use the Python package, \
                     kobalt.omop.screen(duckdb.connect(path)) (README, OMOP)"
                ));
            }
            screen::run(screen::Args {
                source: match (input, omop) {
                    (_, Some(database)) => screen::Source::Omop(screen::Omop {
                        database,
                        as_of: as_of.unwrap_or_else(|| jiff::Zoned::now().date()),
                        window_days: window_days.unwrap_or(kobalt_omop::DEFAULT_WINDOW_DAYS),
                        table: omop_table,
                    }),
                    (Some(path), None) => screen::Source::File(path),
                    (None, None) => usage("give an input file or --omop DATABASE"),
                },
                out,
                rejects,
                report,
                mapping,
                guideline: guideline.into(),
                threads,
            })
        }
        Command::Serve { addr, cds_settings } => {
            let kb = kobalt_kb::bundled()?;
            let mut state = kobalt_server::AppState::new(kb);
            if let Some(path) = cds_settings {
                let (settings, issuers) = read_cds_settings(&path)?;
                state = state.with_cds(&settings, issuers);
            }
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .enable_all()
                .build()
                .context("starting the async runtime")?;
            let options = kobalt_server::options_for_this_process();
            if options.max_connections < kobalt_server::ServeOptions::default().max_connections {
                eprintln!(
                    "kobalt: the open-file limit allows {} connections at once (raise `ulimit -n` for more)",
                    options.max_connections
                );
            }
            eprintln!("kobalt: serving on http://{addr} (Ctrl-C stops)");
            let served = runtime.block_on(kobalt_server::serve(addr, state, &options));
            // A projection still running on a blocking thread does not hold up the exit.
            runtime.shutdown_timeout(std::time::Duration::from_secs(1));
            served.with_context(|| format!("cannot serve on {addr}"))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Knowledge {
            command: KnowledgeCommand::Check { dir },
        } => {
            let kb = match dir {
                Some(d) => kobalt_kb::load_dir(&d)?,
                None => kobalt_kb::bundled()?,
            };
            output::emit(&format!(
                "{} {}\nsha256 {}\n{} files, {} sources, {} findings, {} rules\n",
                kb.name,
                kb.version,
                kb.sha256,
                kb.files.len(),
                kb.sources.len(),
                kb.findings.len(),
                kb.triage.len()
                    + kb.tests.len()
                    + kb.advice.len()
                    + kb.warnings.len()
                    + kb.decisions.len()
                    + kb.checks.len()
                    + kb.causes.len()
                    + kb.differentials.len()
            ))?;
            Ok(ExitCode::SUCCESS)
        }
        Command::Fhir {
            command: FhirCommand::Map { input, date },
        } => fhir_map(&input, date),
        Command::Knowledge {
            command: KnowledgeCommand::Show { id },
        } => {
            let kb = kobalt_kb::bundled()?;
            match report::show(&kb, id.as_deref()) {
                Some(text) => {
                    output::emit(&text)?;
                    Ok(ExitCode::SUCCESS)
                }
                None => {
                    eprintln!(
                        "kobalt: nothing in the knowledge base is called '{}' (run `kobalt knowledge show` for a list)",
                        id.unwrap_or_default()
                    );
                    Ok(ExitCode::from(1))
                }
            }
        }
    }
}
