//! B55, B55t (reliability review): Ctrl-C or SIGTERM during `kobalt screen`
//! left the hidden `.partial` files (75 MB) behind. An interrupted run
//! removes its temporary files and publishes nothing.

use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const HEADER: &str = "patient_id,age,sex,metformin_years,ppi_years,b12_value,b12_unit,b12_date,holotc_pmol,mma_umol,hcy_umol,hb_gdl,mcv_fl,folate_ngml,ferritin_ngml";

fn files_in(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|r| {
            r.filter_map(Result::ok)
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default()
}

#[test]
fn an_interrupted_screen_leaves_no_files() {
    for signal in ["INT", "TERM"] {
        let d = std::env::temp_dir().join(format!("kobalt-signal-{signal}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        let out = d.join("out");
        std::fs::create_dir_all(&out).unwrap_or_else(|e| panic!("{e}"));
        // A named pipe: the run waits for more rows until it is stopped.
        let fifo = d.join("export.csv");
        let made = Command::new("mkfifo").arg(&fifo).status();
        assert!(made.is_ok_and(|s| s.success()), "mkfifo");
        let mut child = Command::new(env!("CARGO_BIN_EXE_kobalt"))
            .arg("screen")
            .arg(&fifo)
            .arg("--out")
            .arg(out.join("flagged.csv"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap_or_else(|e| panic!("{e}"));
        let mut writer = std::fs::OpenOptions::new()
            .write(true)
            .open(&fifo)
            .unwrap_or_else(|e| panic!("{e}"));
        let mut text = format!("{HEADER}\n");
        for i in 1..=2000 {
            text.push_str(&format!("{i},50,F,,,300,pmol/L,2025-01-01,,,,,,,\n"));
        }
        writer
            .write_all(text.as_bytes())
            .unwrap_or_else(|e| panic!("{e}"));
        // Wait for the temporary files: the run is under way.
        let start = Instant::now();
        while files_in(&out).is_empty() && start.elapsed() < Duration::from_secs(20) {
            std::thread::sleep(Duration::from_millis(20));
        }
        assert!(!files_in(&out).is_empty(), "the run started");
        let killed = Command::new("kill")
            .arg(format!("-{signal}"))
            .arg(child.id().to_string())
            .status();
        assert!(killed.is_ok_and(|s| s.success()));
        let status = child.wait().unwrap_or_else(|e| panic!("{e}"));
        drop(writer);
        assert!(!status.success(), "SIG{signal}: {status}");
        assert_eq!(
            files_in(&out),
            Vec::<String>::new(),
            "SIG{signal}: nothing left"
        );
        let _ = std::fs::remove_dir_all(&d);
    }
}
