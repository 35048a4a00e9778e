//! The `kobalt` command line: a thin adapter over the engine.

use std::io::Read;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use kobalt_contract::{Audience, Guideline, Language};

mod report;

#[derive(Parser)]
#[command(
    name = "kobalt",
    version,
    about = "Decision support for vitamin B12 deficiency (NHG and NICE NG239)",
    after_help = "Examples:\n  kobalt assess examples/vegan-tingling.json\n  kobalt assess --format json --guideline nice - < request.json\n  kobalt knowledge check\n  kobalt knowledge show metformin"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Assess a request (contract v1 JSON) and print the assessment.
    Assess {
        /// Request file, or `-` for standard input.
        #[arg(default_value = "-")]
        input: String,
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
    },
    /// Validate or inspect the knowledge base.
    Knowledge {
        #[command(subcommand)]
        command: KnowledgeCommand,
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

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(e) => {
            eprintln!("kobalt: {e:#}");
            ExitCode::from(1)
        }
    }
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
        } => {
            let text = if input == "-" {
                let mut s = String::new();
                std::io::stdin()
                    .read_to_string(&mut s)
                    .context("reading standard input")?;
                s
            } else {
                std::fs::read_to_string(&input).with_context(|| format!("reading {input}"))?
            };
            let kb = kobalt_kb::bundled()?;
            let today = jiff::Zoned::now().date();
            let result = kobalt_contract::parse_request(&text).and_then(|mut req| {
                if let Some(l) = lang {
                    req.language = Some(match l {
                        Lang::Nl => Language::Nl,
                        Lang::En => Language::En,
                    });
                }
                if let Some(g) = guideline {
                    req.guideline = Some(match g {
                        Profile::Nhg => Guideline::Nhg,
                        Profile::Nice => Guideline::Nice,
                    });
                }
                if let Some(a) = audience {
                    req.audience = Some(match a {
                        Reader::Patient => Audience::Patient,
                        Reader::Clinician => Audience::Clinician,
                    });
                }
                kobalt_engine::assess(&kb, &req, today)
            });
            match result {
                Ok(assessment) => {
                    match format {
                        Format::Json => println!("{}", serde_json::to_string_pretty(&assessment)?),
                        Format::Text => print!("{}", report::render(&kb, &assessment)),
                    }
                    Ok(ExitCode::SUCCESS)
                }
                Err(e) => {
                    if let Format::Json = format {
                        println!("{}", serde_json::to_string_pretty(&e.to_document())?);
                    }
                    eprintln!("kobalt: invalid request: {e}");
                    Ok(ExitCode::from(2))
                }
            }
        }
        Command::Knowledge {
            command: KnowledgeCommand::Check { dir },
        } => {
            let kb = match dir {
                Some(d) => kobalt_kb::load_dir(&d)?,
                None => kobalt_kb::bundled()?,
            };
            println!(
                "{} {}\nsha256 {}\n{} files, {} sources, {} findings, {} rules",
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
            );
            Ok(ExitCode::SUCCESS)
        }
        Command::Knowledge {
            command: KnowledgeCommand::Show { id },
        } => {
            let kb = kobalt_kb::bundled()?;
            print!("{}", report::show(&kb, id.as_deref()));
            Ok(ExitCode::SUCCESS)
        }
    }
}
