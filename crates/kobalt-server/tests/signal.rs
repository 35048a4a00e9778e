//! X07: `kobalt serve` stops on SIGTERM as on Ctrl-C (its own test binary:
//! the signal goes to this process).

#![cfg(unix)]

use std::time::Duration;

#[tokio::test]
async fn sigterm_stops_the_server() {
    let stop = tokio::spawn(kobalt_server::stop_signal());
    // Let the handler be installed before the signal is sent.
    tokio::time::sleep(Duration::from_millis(200)).await;
    assert!(!stop.is_finished());
    let status = std::process::Command::new("kill")
        .args(["-TERM", &std::process::id().to_string()])
        .status()
        .unwrap_or_else(|e| panic!("kill: {e}"));
    assert!(status.success());
    let stopped = tokio::time::timeout(Duration::from_secs(2), stop).await;
    assert!(matches!(stopped, Ok(Ok(()))), "{stopped:?}");
}
