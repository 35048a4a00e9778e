//! End-to-end tests through the real `kobalt` binary: the text report of every
//! own case (tests/cases) as a snapshot, exit codes, the error object and the
//! knowledge commands.

use std::path::PathBuf;

use assert_cmd::Command;
use serde_json::Value;

fn kobalt() -> Command {
    Command::cargo_bin("kobalt").unwrap_or_else(|e| panic!("binary not built: {e}"))
}

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn stdout_of(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// The knowledge hash changes with every knowledge edit; the snapshots care
/// about the content it causes.
/// The text report of `request` (from stdin) in `lang` for `audience`; the
/// run must succeed.
fn text_report(lang: &str, audience: &str, request: &str) -> String {
    let output = kobalt()
        .args([
            "assess",
            "--format",
            "text",
            "--lang",
            lang,
            "--audience",
            audience,
        ])
        .write_stdin(request.to_owned())
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout_of(&output)
}

fn redact_hash(text: &str) -> String {
    text.lines()
        .map(|l| {
            if l.starts_with("Knowledge base sha256") || l.starts_with("Kennisbank sha256") {
                l.split_once("sha256")
                    .map_or(l.to_owned(), |(head, _)| format!("{head}sha256 [sha256]"))
            } else {
                l.to_owned()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

#[test]
fn every_case_renders_its_text_report() {
    let mut files: Vec<_> = std::fs::read_dir(root().join("tests/cases"))
        .unwrap_or_else(|e| panic!("tests/cases: {e}"))
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(files.len() >= 40, "found {} cases", files.len());
    for path in files {
        let name = path
            .file_stem()
            .map(|s| s.to_string_lossy().into_owned())
            .unwrap_or_default();
        let case: Value = serde_json::from_str(
            &std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{name}: {e}")),
        )
        .unwrap_or_else(|e| panic!("{name}: {e}"));
        let output = kobalt()
            .args(["assess", "--draws", "40", "-"])
            .write_stdin(case["request"].to_string())
            .output()
            .unwrap_or_else(|e| panic!("{name}: {e}"));
        assert!(output.status.success(), "{name}: exit {:?}", output.status);
        insta::with_settings!({ snapshot_path => "snapshots/cases", prepend_module_to_snapshot => false }, {
            insta::assert_snapshot!(name.clone(), redact_hash(&stdout_of(&output)));
        });
    }
}

#[test]
fn assess_json_is_the_contract() {
    let output = kobalt()
        .args(["assess", "--format", "json"])
        .arg(root().join("examples/vegan-tingling.json"))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(output.status.success());
    let a: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a["schema"], "kobalt.assessment/v1");
    assert!(a["triage"]["level"].is_string());
    assert!(
        a["knowledge"]["sha256"]
            .as_str()
            .is_some_and(|h| h.len() == 64)
    );
}

#[test]
fn flags_override_the_request() {
    let output = kobalt()
        .args([
            "assess",
            "--format",
            "json",
            "--lang",
            "nl",
            "--guideline",
            "nice",
            "--audience",
            "clinician",
        ])
        .arg(root().join("examples/vegan-tingling.json"))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(output.status.success());
    let a: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a["guideline"], "nice");
    assert_eq!(a["language"], "nl");
    assert_eq!(a["audience"], "clinician");
}

#[test]
fn invalid_request_exits_2_with_the_error_object() {
    let output = kobalt()
        .args(["assess", "--format", "json", "-"])
        .write_stdin(r#"{"person":{"age_years":40},"symptomz":[]}"#)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(output.status.code(), Some(2));
    let e: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(e["error"]["code"], "unknown_field");
    assert_eq!(e["error"]["path"], "/symptomz");
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "one-line message: {stderr}");
    assert!(stderr.contains("symptomz"));
}

#[test]
fn invalid_request_in_text_mode_prints_nothing_on_stdout() {
    let output = kobalt()
        .args(["assess", "-"])
        .write_stdin(
            r#"{"person":{"age_years":40},"labs":[{"analyte":"b12_total","value":-3,"unit":"pmol/L"}]}"#,
        )
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(output.status.code(), Some(2));
    assert!(output.stdout.is_empty());
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("/labs/0/value"), "{stderr}");
}

/// Runs `kobalt ARGS` and checks its exit code and that stderr names `named`.
fn assert_exit(args: &[&str], code: i32, named: &str) {
    let output = kobalt()
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(code), "{args:?}: {stderr}");
    assert!(stderr.contains(named), "{args:?}: {stderr}");
}

#[test]
fn unreadable_file_exits_1() {
    assert_exit(
        &["assess", "no/such/request.json"],
        1,
        "no/such/request.json",
    );
}

#[test]
fn bad_flag_value_is_a_usage_error() {
    assert_exit(&["assess", "--guideline", "bsh", "-"], 2, "bsh");
}

#[test]
fn knowledge_check_prints_version_and_hash() {
    let output = kobalt()
        .args(["knowledge", "check"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(output.status.success());
    let text = stdout_of(&output);
    assert!(text.contains("2026."), "{text}");
    let hash = text
        .split_whitespace()
        .skip_while(|w| *w != "sha256")
        .nth(1)
        .unwrap_or_default();
    assert_eq!(hash.len(), 64, "{text}");
}

#[test]
fn knowledge_check_of_a_broken_folder_names_file_and_key() {
    let dir = std::env::temp_dir().join(format!("kobalt-cli-broken-{}", std::process::id()));
    copy_dir(&root().join("knowledge"), &dir);
    let triage = dir.join("rules/triage.toml");
    let text = std::fs::read_to_string(&triage).unwrap_or_else(|e| panic!("{e}"));
    std::fs::write(
        &triage,
        text.replacen("\"BRISDOC\"", "\"NO-SUCH-SOURCE\"", 1),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let output = kobalt()
        .args(["knowledge", "check", "--dir"])
        .arg(&dir)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(stderr.contains("rules/triage.toml"), "{stderr}");
    assert!(stderr.contains("NO-SUCH-SOURCE"), "{stderr}");
}

#[test]
fn knowledge_show_names_sources() {
    let output = kobalt()
        .args(["knowledge", "show", "metformin"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(output.status.success());
    let text = stdout_of(&output);
    assert!(text.contains("MHRA-2022"), "{text}");
}

#[test]
fn help_has_examples() {
    let output = kobalt()
        .arg("--help")
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(output.status.success());
    assert!(stdout_of(&output).contains("kobalt assess examples/"));
}

fn copy_dir(from: &std::path::Path, to: &std::path::Path) {
    std::fs::create_dir_all(to).unwrap_or_else(|e| panic!("{e}"));
    for entry in std::fs::read_dir(from)
        .unwrap_or_else(|e| panic!("{e}"))
        .flatten()
    {
        let target = to.join(entry.file_name());
        if entry.path().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), &target).unwrap_or_else(|e| panic!("{e}"));
        }
    }
}

#[test]
fn simulate_prints_crossings_and_writes_charts() {
    let dir = std::env::temp_dir().join(format!("kobalt-sim-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let (svg, png) = (dir.join("v.svg"), dir.join("v.png"));
    let output = kobalt()
        .args([
            "simulate", "--diet", "vegan", "--years", "6", "--draws", "200", "--chart",
        ])
        .arg(&svg)
        .arg("--png")
        .arg(&png)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = stdout_of(&output);
    assert!(
        text.contains("Serum B12 below the deficiency limit (148)"),
        "{text}"
    );
    assert!(text.contains("Model estimate"), "{text}");
    let svg_text = std::fs::read_to_string(&svg).unwrap_or_else(|e| panic!("{e}"));
    assert!(svg_text.starts_with("<svg") && svg_text.contains("deficiency limit 148"));
    let png_bytes = std::fs::read(&png).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(&png_bytes[..8], b"\x89PNG\r\n\x1a\n");
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn simulate_json_and_scenario_file() {
    let output = kobalt()
        .args([
            "simulate",
            "--format",
            "json",
            "--draws",
            "50",
            "--guideline",
            "nice",
        ])
        .arg(root().join("examples/scenario-gastric-bypass.json"))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let doc: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(doc["schema"], "kobalt.projection/v1");
    assert_eq!(doc["projection"]["draws"], 50);
    let low = doc["limits"][0]["value"].as_f64().unwrap_or_default();
    assert!((low - 132.8).abs() < 0.1, "NICE limit in pmol/L: {low}");
}

#[test]
fn simulate_rejects_bad_input_with_the_field() {
    for (args, needle) in [
        (vec!["simulate", "--then", "oral lots daily"], "--then"),
        (vec!["simulate", "--diet", "keto"], "phases[0].diet"),
        (vec!["simulate", "--years", "60"], "40 years"),
    ] {
        let output = kobalt()
            .args(&args)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(output.status.code(), Some(1), "{args:?}");
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(stderr.contains(needle), "{args:?}: {stderr}");
    }
    let output = kobalt()
        .args(["simulate", "-"])
        .write_stdin(r#"{"start":"omnivore","phases":[{"yeers":2}]}"#)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(output.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&output.stderr).contains("yeers"));
}

#[test]
fn screen_writes_output_rejects_and_report() {
    let dir = std::env::temp_dir().join(format!("kobalt-screen-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let input = dir.join("export.csv");
    std::fs::write(
        &input,
        "patient_id,age,sex,metformin_years,ppi_years,b12_value,b12_unit,b12_date,holotc_pmol,mma_umol,hcy_umol,hb_gdl,mcv_fl,folate_ngml,ferritin_ngml\n\
         1,70,F,,,120,pmol/L,2025-01-01,,,,10.5,104.0,,\n\
         2,55,M,,,200,pmol/L,2025-01-01,,0.60,,,,,\n\
         3,60,F,,,abc,pmol/L,2025-01-01,,,,,,,\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let output = kobalt()
        .args(["screen"])
        .arg(&input)
        .arg("--out")
        .arg(dir.join("flagged.csv"))
        .arg("--report")
        .arg(dir.join("report"))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let text = stdout_of(&output);
    assert!(
        text.contains("rows in 3 = rows used 2 + rows rejected 1: ok"),
        "{text}"
    );
    let flagged = std::fs::read_to_string(dir.join("flagged.csv")).unwrap_or_default();
    assert!(
        flagged.starts_with("patient_id,status,risk_group,flags,reflex_test,rules\n")
            && flagged.contains("\n2,deficient,none,,,\n"),
        "{flagged}"
    );
    let rejects = std::fs::read_to_string(dir.join("flagged.rejects.csv")).unwrap_or_default();
    assert!(rejects.contains("'abc' is not a number"), "{rejects}");
    let html = std::fs::read_to_string(dir.join("report/summary.html")).unwrap_or_default();
    assert!(
        html.contains("<svg") && html.contains("b12_total low"),
        "{html}"
    );
    let json: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.join("report/summary.json")).unwrap_or_default(),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(json["by_status"]["deficient"], 2);
    // How the run was made, so that a report can be told apart and repeated
    // (a user review: nothing recorded the guideline or the knowledge base).
    let run = &json["run"];
    assert_eq!(run["guideline"], "nhg", "{json}");
    assert!(
        run["source"]
            .as_str()
            .is_some_and(|s| s.ends_with("export.csv")),
        "{run}"
    );
    assert_eq!(
        run["knowledge_sha256"].as_str().map_or(0, str::len),
        64,
        "{run}"
    );
    assert!(run["kobalt_version"].is_string(), "{run}");
    // The same run with Parquet output, chosen by the extension.
    let output = kobalt()
        .args(["screen"])
        .arg(&input)
        .arg("--out")
        .arg(dir.join("flagged.parquet"))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(output.status.success(), "{}", stdout_of(&output));
    let parquet = std::fs::read(dir.join("flagged.parquet")).unwrap_or_default();
    assert!(parquet.starts_with(b"PAR1") && parquet.ends_with(b"PAR1"));
    let output = kobalt()
        .args(["screen"])
        .arg(&input)
        .arg("--out")
        .arg(dir.join("flagged.xlsx"))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("use .csv or .parquet"));
    let _ = std::fs::remove_dir_all(&dir);
}

#[test]
fn assess_reads_a_fhir_bundle() {
    let output = kobalt()
        .args([
            "assess",
            "--fhir",
            "--date",
            "2026-11-22",
            "--format",
            "json",
            "--no-projection",
        ])
        .arg(root().join("examples/fhir-bundle.json"))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let a: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(a["b12_status"]["category"], "indeterminate");
    assert_eq!(a["causes"][0]["id"], "metformin");
    let output = kobalt()
        .args(["assess", "--fhir", "--format", "json", "-"])
        .write_stdin(r#"[{"resourceType":"Observation","status":"final"}]"#)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(output.status.code(), Some(2));
    let outcome: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(outcome["resourceType"], "OperationOutcome");
}

/// `kobalt serve --cds-settings` reads an issuer's JWK Set from a URL at start.
#[test]
fn serve_reads_a_jwks_url() {
    use std::io::{BufRead, BufReader, Read, Write};
    let jwks = std::fs::read_to_string(root().join("examples/cds-jwks.example.json"))
        .unwrap_or_else(|e| panic!("{e}"));
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let jwks_port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
    std::thread::spawn(move || {
        if let Ok((mut s, _)) = listener.accept() {
            let mut buf = [0u8; 2048];
            let _ = s.read(&mut buf);
            let _ = write!(
                s,
                "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{jwks}",
                jwks.len()
            );
        }
    });
    let dir = std::env::temp_dir().join(format!("kobalt-cds-url-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let settings = dir.join("cds.toml");
    std::fs::write(
        &settings,
        format!("base_url = \"http://127.0.0.1:1\"\n[[issuer]]\niss = \"https://ehr.example\"\njwks_url = \"http://127.0.0.1:{jwks_port}/jwks.json\"\n"),
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_default();
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kobalt"))
        .args([
            "serve",
            "--addr",
            &format!("127.0.0.1:{port}"),
            "--cds-settings",
        ])
        .arg(&settings)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    let mut line = String::new();
    if let Some(err) = child.stderr.take() {
        let _ = BufReader::new(err).read_line(&mut line);
    }
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
    assert!(
        line.contains("serving on"),
        "the server did not start: {line}"
    );
}

/// Every subcommand that prints, with the arguments that make it print.
/// The screening input is written to `dir` first.
fn printing_commands(dir: &std::path::Path) -> Vec<Vec<String>> {
    std::fs::create_dir_all(dir).unwrap_or_else(|e| panic!("{e}"));
    let export = dir.join("export.csv");
    std::fs::write(
        &export,
        "patient_id,age,sex,metformin_years,ppi_years,b12_value,b12_unit,b12_date,holotc_pmol,mma_umol,hcy_umol,hb_gdl,mcv_fl,folate_ngml,ferritin_ngml\n\
         1,70,F,,,120,pmol/L,2025-01-01,,,,10.5,104.0,,\n",
    )
    .unwrap_or_else(|e| panic!("{e}"));
    let vegan = root().join("examples/vegan-tingling.json");
    let path = |p: &std::path::Path| p.to_string_lossy().into_owned();
    let words = |w: &[&str]| w.iter().map(|s| (*s).to_owned()).collect::<Vec<_>>();
    let with = |mut w: Vec<String>, tail: &[String]| {
        w.extend_from_slice(tail);
        w
    };
    vec![
        with(words(&["assess", "--draws", "10"]), &[path(&vegan)]),
        with(
            words(&["assess", "--format", "json", "--draws", "10"]),
            &[path(&vegan)],
        ),
        words(&["knowledge", "show"]),
        words(&["knowledge", "show", "metformin"]),
        words(&["knowledge", "check"]),
        words(&["simulate", "--draws", "10", "--years", "1"]),
        words(&[
            "simulate", "--draws", "10", "--years", "1", "--format", "json",
        ]),
        with(
            words(&["screen"]),
            &[
                path(&export),
                "--out".into(),
                path(&dir.join("flagged.csv")),
            ],
        ),
    ]
}

/// Runs every printing command with the stdout `stdout` makes and lists those
/// whose exit code and stderr `ok` refuses.
fn printing_failures(
    tag: &str,
    stdout: impl Fn() -> std::process::Stdio,
    ok: impl Fn(Option<i32>, &str) -> bool,
) -> Vec<String> {
    let dir = std::env::temp_dir().join(format!("kobalt-{tag}-{}", std::process::id()));
    let mut failures = Vec::new();
    for args in printing_commands(&dir) {
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_kobalt"))
            .args(&args)
            .stdout(stdout())
            .stderr(std::process::Stdio::piped())
            .output()
            .unwrap_or_else(|e| panic!("{args:?}: {e}"));
        let stderr = String::from_utf8_lossy(&output.stderr);
        if !ok(output.status.code(), &stderr) {
            failures.push(format!("{args:?}: {:?} {stderr}", output.status.code()));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    failures
}

/// stdout closed before the program writes (`kobalt ... | true`): no panic, exit 0.
#[test]
fn closed_stdout_ends_quietly() {
    let closed = || {
        let (reader, writer) = std::io::pipe().unwrap_or_else(|e| panic!("{e}"));
        drop(reader);
        writer.into()
    };
    let failures = printing_failures("closed", closed, |code, stderr| {
        code == Some(0) && !stderr.contains("panicked")
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// stdout on a full disk (`> /dev/full`): exit 1 and exactly one line on stderr.
#[test]
fn full_disk_on_stdout_is_one_error_line() {
    let Ok(full) = std::fs::OpenOptions::new().write(true).open("/dev/full") else {
        eprintln!("skipped: no /dev/full");
        return;
    };
    let full = || full.try_clone().unwrap_or_else(|e| panic!("{e}")).into();
    let failures = printing_failures("full", full, |code, stderr| {
        code == Some(1)
            && stderr == "kobalt: cannot write output: No space left on device (os error 28)\n"
    });
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The invalid-request exit code stays 2 when nobody reads the error object.
#[test]
fn closed_stdout_keeps_the_invalid_request_exit_code() {
    let (reader, writer) = std::io::pipe().unwrap_or_else(|e| panic!("{e}"));
    drop(reader);
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_kobalt"))
        .args(["assess", "--format", "json", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(writer)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("{e}"));
    if let Some(mut stdin) = child.stdin.take() {
        use std::io::Write;
        stdin
            .write_all(br#"{"person":{"age_years":40},"symptomz":[]}"#)
            .unwrap_or_else(|e| panic!("{e}"));
    }
    let output = child.wait_with_output().unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(2), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
}

#[test]
fn knowledge_show_of_an_unknown_id_exits_1() {
    assert_exit(&["knowledge", "show", "no_such_thing"], 1, "no_such_thing");
}

/// `kobalt assess` without a file on a terminal says that it reads standard
/// input instead of waiting in silence (a terminal from `script`, when there).
#[test]
fn assess_on_a_terminal_says_it_reads_stdin() {
    let command = format!("{} assess --no-projection", env!("CARGO_BIN_EXE_kobalt"));
    let Ok(output) = std::process::Command::new("script")
        .args(["-qec", &command, "/dev/null"])
        .stdin(std::process::Stdio::null())
        .output()
    else {
        eprintln!("skipped: no `script` to make a terminal");
        return;
    };
    let text = stdout_of(&output);
    assert!(
        text.contains("reading the request from standard input"),
        "{text}"
    );
}

/// Piped input gets no such note.
#[test]
fn assess_from_a_pipe_prints_no_note() {
    let output = kobalt()
        .args(["assess", "--no-projection"])
        .write_stdin(r#"{"person":{"age_years":40}}"#)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(output.status.success());
    assert!(
        output.stderr.is_empty(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
}

/// User-facing text points at the project's own description of the model.
#[test]
fn simulate_names_the_projects_model_description() {
    let output = kobalt()
        .args([
            "simulate", "--draws", "0", "--years", "0.1", "--format", "json",
        ])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let doc: Value = serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}"));
    let model = doc["model"].as_str().unwrap_or_default();
    assert!(model.contains("docs/kinetics-model.md"), "{model}");
    assert!(!model.contains("shared/"), "{model}");
    assert!(root().join("docs/kinetics-model.md").is_file());
}

/// The examples of every `--help` can be copied as they are: each line is a
/// command or a `\`-continued part of one, never a command wrapped mid-way.
#[test]
fn help_examples_are_whole_commands() {
    for command in [
        &["--help"][..],
        &["simulate", "--help"],
        &["screen", "--help"],
    ] {
        let help = stdout_of(
            &kobalt()
                .args(command)
                .output()
                .unwrap_or_else(|e| panic!("{e}")),
        );
        let examples = help.split_once("Examples:\n").map_or("", |(_, e)| e);
        let mut continued = false;
        for line in examples.lines().take_while(|l| !l.is_empty()) {
            let ok = if continued {
                line.starts_with("    -")
            } else {
                line.starts_with("  kobalt ")
            };
            assert!(ok, "{command:?}: {line:?}\n{help}");
            continued = line.ends_with('\\');
        }
    }
}

/// A busy port is an error that says so, not "serving on".
#[test]
fn serve_on_a_busy_port_fails_clearly() {
    let busy = std::net::TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("{e}"));
    let addr = busy.local_addr().unwrap_or_else(|e| panic!("{e}"));
    let output = kobalt()
        .args(["serve", "--addr", &addr.to_string()])
        .timeout(std::time::Duration::from_secs(20))
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains(&format!("kobalt: cannot serve on {addr}: ")),
        "{stderr}"
    );
}

/// J36, J40: bytes that are not UTF-8 get the error object with their
/// position (exit 2); a byte-order mark before the JSON is skipped.
#[test]
fn invalid_utf8_is_an_error_object_and_a_bom_is_skipped() {
    let output = kobalt()
        .args(["assess", "--format", "json", "--no-projection", "-"])
        .write_stdin(&b"{\"person\":{\"age_years\":40,\"sex\":\"\xff\xfe\"}}"[..])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(output.status.code(), Some(2));
    let doc: serde_json::Value =
        serde_json::from_slice(&output.stdout).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(doc["error"]["code"], "invalid_json");
    let message = doc["error"]["message"].as_str().unwrap_or_default();
    assert!(message.contains("line 1, column 34"), "{message}");
    let output = kobalt()
        .args(["assess", "--format", "json", "--no-projection", "-"])
        .write_stdin(&b"\xef\xbb\xbf{\"person\":{\"age_years\":40}}"[..])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(output.status.code(), Some(0));
}

/// The FHIR corpus (`KOBALT_SHARED_DIR` or `../shared`), when it is there.
fn fhir_corpus() -> Option<PathBuf> {
    let dir = std::env::var_os("KOBALT_SHARED_DIR")
        .map_or_else(|| root().join("../shared"), PathBuf::from)
        .join("fhir-corpus/synthea");
    dir.is_dir().then_some(dir)
}

/// EHR review item 3 / issue 16 part 7: "0 of 19 living metformin patients
/// were recognised" (their MedicationRequests carry the product-level RxNorm
/// code 860975, "24 HR Metformin hydrochloride 500 MG Extended Release Oral
/// Tablet"). `kobalt fhir map` prints the request derived from each Synthea
/// bundle with its issues; every bundle with a metformin MedicationRequest
/// maps to `metformin`; every bundle gives an assessment.
#[test]
fn every_synthea_metformin_patient_maps_to_metformin() {
    let Some(dir) = fhir_corpus() else {
        eprintln!("skipped: no fhir-corpus (KOBALT_SHARED_DIR or ../shared)");
        return;
    };
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    files.sort();
    let mut on_metformin = 0;
    for path in files {
        let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{e}"));
        let bundle: Value = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{e}"));
        let takes = bundle["entry"].as_array().into_iter().flatten().any(|e| {
            let r = &e["resource"];
            r["resourceType"] == "MedicationRequest"
                && r["medicationCodeableConcept"]
                    .to_string()
                    .to_lowercase()
                    .contains("metformin")
        });
        let output = kobalt()
            .args(["fhir", "map", "--date", "2026-12-02"])
            .arg(&path)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            output.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&output.stderr)
        );
        let mapped: Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert_eq!(
            mapped["issues"]["resourceType"], "OperationOutcome",
            "{mapped}"
        );
        let ids: Vec<&str> = mapped["request"]["medications"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|m| m["id"].as_str())
            .collect();
        if takes {
            on_metformin += 1;
            assert!(ids.contains(&"metformin"), "{}: {ids:?}", path.display());
        }
        // Every bundle gives an assessment.
        let assessed = kobalt()
            .args([
                "assess",
                "--fhir",
                "--format",
                "json",
                "--draws",
                "0",
                "--date",
                "2026-12-02",
            ])
            .arg(&path)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert!(
            assessed.status.success(),
            "{}: {}",
            path.display(),
            String::from_utf8_lossy(&assessed.stderr)
        );
    }
    assert_eq!(
        on_metformin, 13,
        "the corpus README names 13 metformin patients"
    );
}

/// Issue 16 tests: "the US Core examples are mapped or refused resource by
/// resource with a named issue" (230 files of `../shared/fhir-corpus/us-core`,
/// skipped without it): `kobalt fhir map` gives a request (exit 0) or none
/// (exit 2) and always an OperationOutcome; a refusal names its reason.
#[test]
fn every_us_core_example_is_mapped_or_refused_with_a_named_issue() {
    let Some(dir) = fhir_corpus().and_then(|d| d.parent().map(|p| p.join("us-core"))) else {
        eprintln!("skipped: no fhir-corpus (KOBALT_SHARED_DIR or ../shared)");
        return;
    };
    let mut seen = 0;
    for path in std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{e}"))
        .filter_map(Result::ok)
        .map(|e| e.path())
    {
        let output = kobalt()
            .args(["fhir", "map", "--date", "2026-12-02"])
            .arg(&path)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        let code = output.status.code();
        assert!(matches!(code, Some(0 | 2)), "{}: {code:?}", path.display());
        let mapped: Value = serde_json::from_slice(&output.stdout)
            .unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let issues = mapped["issues"]["issue"]
            .as_array()
            .cloned()
            .unwrap_or_default();
        if code == Some(2) {
            assert!(mapped["request"].is_null());
            assert!(
                issues
                    .iter()
                    .any(|i| i["severity"] == "error" && i["details"]["text"].is_string()),
                "{}: {mapped}",
                path.display()
            );
        }
        seen += 1;
    }
    assert_eq!(seen, 230, "the corpus README names 230 examples");
}

/// Clinical review F18: the text report says, under treatment, that the GP
/// chooses between an extra test and a trial and that tablets wait for the
/// blood sample (it was only in the JSON's `treatment.reasons`).
#[test]
fn the_text_report_says_the_grey_zone_choice() {
    let text = text_report(
        "nl",
        "patient",
        r#"{"evaluation_date":"2026-11-22","person":{"age_years":50,"sex":"female"},
            "symptoms":[{"id":"paresthesia","present":true,"weeks":10,"course":"gradual"}],
            "labs":[{"analyte":"b12_total","value":200,"unit":"pmol/L"}]}"#,
    );
    let treatment = text
        .split("\nBehandeling")
        .nth(1)
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        treatment.contains(
            "Uw huisarts kiest: eerst een extra bloedtest (MMA) of een proefbehandeling."
        ),
        "{text}"
    );
}

/// Clinical review F27 (audit): `knowledge show` said "Verified" for rules
/// that an NHG run lists as unverified (no source of that guideline). It says
/// per guideline which sources serve it and the status there.
#[test]
fn knowledge_show_gives_the_status_per_guideline() {
    let output = kobalt()
        .args(["knowledge", "show", "triage_routine_symptoms"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    assert!(output.status.success());
    let text = stdout_of(&output);
    let line = |g: &str| {
        text.lines()
            .find(|l| l.trim_start().starts_with(&format!("{g}:")))
            .unwrap_or_else(|| panic!("no {g} line in {text}"))
            .to_owned()
    };
    assert!(line("nhg").contains("Unverified"), "{text}");
    assert!(line("nice").contains("BRISDOC"), "{text}");
    // An urgency that no source states is unverified (issue 14 item 4).
    let output = kobalt()
        .args(["knowledge", "show", "triage_soon_vegan_no_supplement"])
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let text = stdout_of(&output);
    assert!(text.contains("status: Unverified, derived"), "{text}");
}

/// Audit of issues 13/14: a qualitative result read "positief → positief".
/// When the result and its reading are the same word, it is said once.
#[test]
fn a_qualitative_result_is_not_said_twice() {
    let text = text_report(
        "nl",
        "patient",
        r#"{"evaluation_date":"2026-11-22","person":{"age_years":60,"sex":"female"},
            "labs":[{"analyte":"intrinsic_factor_antibody","result":"positive"}]}"#,
    );
    assert!(!text.contains("positief → positief"), "{text}");
    assert!(text.contains("intrinsieke factor: positief"), "{text}");
}

/// Clinical review F09 / issue 13 item 4: the lab's `reference_high` is the
/// decision limit, "labelled as the lab's". The text said only "grenzen:
/// verhoogd vanaf 0.35" (audit, probe P26b).
#[test]
fn the_labs_own_limit_is_labelled_as_the_labs() {
    let text = text_report(
        "nl",
        "patient",
        r#"{"evaluation_date":"2026-11-22","person":{"age_years":60,"sex":"female"},
            "symptoms":[{"id":"paresthesia","present":true,"weeks":12,"course":"gradual"}],
            "labs":[{"analyte":"b12_total","value":180,"unit":"pmol/L"},
                    {"analyte":"mma","value":0.4,"unit":"µmol/L","reference_high":0.35}]}"#,
    );
    let mma = text
        .lines()
        .find(|l| l.contains("Methylmalonzuur"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(
        mma.contains("grenzen van uw laboratorium: verhoogd boven 0.35"),
        "{mma}"
    );
}

/// Re-audit (probe P52): pernicious anaemia on lifelong injections, better:
/// the report said "Treatment: No treatment needed yet · lifelong", which
/// reads as "stop". G17: lifelong cobalamin therapy; G1: no B12 checks
/// during treatment. With a treatment under way the heading says so.
#[test]
fn treatment_under_way_is_not_called_no_treatment() {
    let text = text_report(
        "en",
        "patient",
        r#"{"evaluation_date":"2026-11-22","person":{"age_years":72,"sex":"female"},
            "conditions":[{"id":"autoimmune_gastritis"}],
            "labs":[{"analyte":"intrinsic_factor_antibody","result":"positive","date":"2020-01-01"}],
            "treatment":{"route":"intramuscular","substance":"hydroxocobalamin","dose_ug":1000,
              "started":"2020-02-01","response":"resolved"}}"#,
    );
    assert!(!text.contains("No treatment needed"), "{text}");
    assert!(text.contains("Treatment: Treatment under way"), "{text}");
}

/// Re-audit (probe P18): "5 mmol/L → severely low [limits: low from 5 ...]"
/// contradicted itself: the severe band ends at 5.0 inclusive, so the next
/// band starts above 5, not from 5.
#[test]
fn a_limit_after_an_inclusive_band_is_said_as_above() {
    let text = text_report(
        "en",
        "clinician",
        r#"{"evaluation_date":"2026-11-22","person":{"age_years":72,"sex":"female"},
            "labs":[{"analyte":"haemoglobin","value":5.0,"unit":"mmol/L"}]}"#,
    );
    let hb = text
        .lines()
        .find(|l| l.contains("Haemoglobin:"))
        .unwrap_or_else(|| panic!("{text}"));
    assert!(hb.contains("low above 5"), "{hb}");
    assert!(!hb.contains("low from 5,"), "{hb}");
}

/// Re-audit: 232 of 1,760 text reports had a "Follow-up" heading with
/// nothing under it (a healthy person without a proposed test).
#[test]
fn no_empty_follow_up_heading() {
    let text = text_report(
        "en",
        "patient",
        r#"{"evaluation_date":"2026-11-22","person":{"age_years":30,"sex":"male"},"diet":"omnivore","supplements":[]}"#,
    );
    let lines: Vec<&str> = text.lines().collect();
    if let Some(i) = lines.iter().position(|l| *l == "Follow-up") {
        assert!(
            lines.get(i + 1).is_some_and(|l| l.starts_with("  ")),
            "{text}"
        );
    }
}

/// One clear action for patients: the text report's referral line gives no
/// second timing next to the triage's (issue 14 item 6); clinicians see it.
#[test]
fn a_referral_gives_patients_no_second_timing_in_text() {
    let request = r#"{"evaluation_date":"2026-11-22","guideline":"nice","person":{"age_years":45,"sex":"female"},
        "symptoms":[{"id":"paresthesia","present":true,"weeks":10,"course":"gradual"}],
        "labs":[{"analyte":"b12_total","value":110,"unit":"pmol/L"}]}"#;
    let run = |audience: &str| {
        let output = kobalt()
            .args([
                "assess",
                "--format",
                "text",
                "--lang",
                "en",
                "--audience",
                audience,
            ])
            .write_stdin(request)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        stdout_of(&output)
    };
    let patient = run("patient");
    let line = patient
        .lines()
        .find(|l| l.contains("haematologist") && l.trim_start().starts_with("- "))
        .unwrap_or_else(|| panic!("{patient}"));
    assert!(!line.contains("today"), "{line}");
    let clinician = run("clinician");
    assert!(
        clinician.lines().any(|l| l.contains("(urgent")),
        "{clinician}"
    );
}

/// interop.md B.2: a result reported as a bound is shown as the bound, in the
/// lab's unit and converted ("<150 pg/mL (<110.7 pmol/L)"), never as if the
/// value were 150; a bound that does not settle the band says so.
#[test]
fn a_bound_is_shown_as_a_bound() {
    let below = r#"{"evaluation_date":"2026-11-22","person":{"age_years":55},
        "labs":[{"loinc":"2132-9","value":150,"unit":"pg/mL","comparator":"<"}]}"#;
    let report = text_report("en", "clinician", below);
    assert!(
        report.contains("<150 pg/mL (<110.7 pmol/L) → low"),
        "{report}"
    );
    let open = r#"{"evaluation_date":"2026-11-22","person":{"age_years":55},
        "labs":[{"analyte":"b12_total","value":300,"unit":"pmol/L","comparator":"<"}]}"#;
    let report = text_report("nl", "patient", open);
    assert!(
        report.contains("<300 pmol/L → niet te beoordelen: de uitslag is alleen een grens"),
        "{report}"
    );
}

/// The OMOP options go with `--omop` (not silently ignored with a file), and
/// an error names its cause once (it was said twice: "cannot read x.csv: No
/// such file or directory (os error 2): No such file or directory (os error 2)").
#[test]
fn omop_options_need_omop_and_errors_say_their_cause_once() {
    let dir = std::env::temp_dir().join(format!("kobalt-omop-args-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let out = dir.join("out.csv");
    for extra in [
        &["--as-of", "2026-12-01"][..],
        &["--window-days", "30"],
        &["--omop-table", "flags"],
    ] {
        let run = kobalt()
            .args(["screen", "missing.csv", "--out"])
            .arg(&out)
            .args(extra)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        // A usage error: exit code 2, as the README says (a user review found 1).
        assert_eq!(run.status.code(), Some(2));
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(
            stderr.contains("go with --omop DATABASE"),
            "{extra:?}: {stderr}"
        );
    }
    let run = kobalt()
        .args(["screen", "missing.csv", "--out"])
        .arg(&out)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(stderr.matches("No such file").count(), 1, "{stderr}");
    assert!(!out.exists());
}

/// `--omop` reads PostgreSQL. A DuckDB file (or any file) given there is a
/// usage error that says so and where DuckDB is read (the Python package),
/// not "invalid connection string: unexpected EOF".
#[test]
fn omop_given_a_file_says_the_cli_reads_postgresql_and_where_duckdb_is_read() {
    let dir = std::env::temp_dir().join(format!("kobalt-omop-file-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap_or_else(|e| panic!("{e}"));
    let file = dir.join("cdm.duckdb");
    std::fs::write(&file, b"DUCK").unwrap_or_else(|e| panic!("{e}"));
    let out = dir.join("out.csv");
    for database in [
        file.display().to_string(),
        "duckdb:cdm.duckdb".into(),
        "cdm.db".into(),
    ] {
        let run = kobalt()
            .args(["screen", "--omop", &database, "--out"])
            .arg(&out)
            .output()
            .unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(run.status.code(), Some(2), "{database}");
        let stderr = String::from_utf8_lossy(&run.stderr);
        assert!(stderr.contains("PostgreSQL"), "{database}: {stderr}");
        assert!(
            stderr.contains("kobalt.omop.screen"),
            "{database}: {stderr}"
        );
        assert!(
            !stderr.contains("connection string"),
            "{database}: {stderr}"
        );
    }
    // Settings are settings, whatever the host is called: tried as PostgreSQL.
    let run = kobalt()
        .args([
            "screen",
            "--omop",
            "connect_timeout=1 dbname=cdm host=omop.db",
            "--out",
        ])
        .arg(&out)
        .output()
        .unwrap_or_else(|e| panic!("{e}"));
    let stderr = String::from_utf8_lossy(&run.stderr);
    assert_eq!(run.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("cannot connect"), "{stderr}");
    assert!(!out.exists());
    let _ = std::fs::remove_dir_all(&dir);
}
