//! The parallel part shared by the CSV and Parquet inputs: workers screen
//! blocks, one writer takes the results in input order (duplicate patients,
//! numbered rejects, counts). CSV output goes back to a worker to be written
//! at its offset, so that output copies run in parallel too; Parquet output
//! is built in order by the writer.

use std::collections::BTreeMap;
use std::os::unix::fs::FileExt;
use std::sync::Mutex;

use crossbeam_channel::Receiver;

use crate::output::Output;
use crate::row::{BlockResult, Buffers, Key};
use crate::summary::Summary;
use crate::{Kept, ScreenError, Seen, Sink, write_block};

/// A block's output bytes and where they go in the output file.
struct WriteJob {
    offset: u64,
    data: Vec<u8>,
}

/// Screens every job of `jobs` with `process` (given recycled buffers) on
/// `threads` workers and writes the results in job-index order.
/// Rejects are numbered from `first_line`.
pub(crate) fn ordered<J: Send>(
    jobs: Receiver<J>,
    threads: usize,
    process: &(dyn Fn(J, Buffers) -> Result<BlockResult, ScreenError> + Sync),
    first_line: u64,
    expected_rows: usize,
    sink: &mut Sink<'_>,
    out_path: &str,
) -> Result<Summary, ScreenError> {
    let threads = threads.max(1);
    let (result_tx, result_rx) =
        crossbeam_channel::bounded::<Result<BlockResult, ScreenError>>(threads * 2);
    let (write_tx, write_rx) = crossbeam_channel::unbounded::<WriteJob>();
    // Buffers go back for reuse: the output bytes after their write, the
    // patients once the writer is done with them.
    let (pool_tx, pool_rx) = crossbeam_channel::unbounded::<Vec<u8>>();
    let (keys_tx, keys_rx) = crossbeam_channel::unbounded::<Vec<Key>>();
    let write_failed = Mutex::new(None::<std::io::Error>);
    // CSV: positional writes after what the file has (the header).
    let (out_file, mut offset) = match &mut *sink.out {
        Output::Csv(file, _) => {
            let f = file.positional()?;
            let len = f.metadata().map_or(0, |m| m.len());
            let handle = f.try_clone().map_err(|source| ScreenError::Write {
                path: out_path.to_owned(),
                source,
            })?;
            (Some(handle), len)
        }
        Output::Parquet(_) => (None, 0),
    };
    let out_file = out_file.as_ref();
    let mut summary = Summary::default();
    let mut failure = None;
    std::thread::scope(|scope| {
        let mut started = 0;
        for _ in 0..threads {
            let (jobs, tx, writes) = (jobs.clone(), result_tx.clone(), write_rx.clone());
            let (pool_rx, pool_tx, keys_rx, write_failed) = (
                pool_rx.clone(),
                pool_tx.clone(),
                keys_rx.clone(),
                &write_failed,
            );
            // A thread the system refuses is one worker less, not a panic (B56b).
            let spawned = std::thread::Builder::new().spawn_scoped(scope, move || {
                let write = |job: WriteJob| {
                    if let Some(f) = out_file
                        && let Err(e) = f.write_all_at(&job.data, job.offset)
                        && let Ok(mut slot) = write_failed.lock()
                    {
                        slot.get_or_insert(e);
                    }
                    let _ = pool_tx.send(job.data);
                };
                let (mut jobs_open, mut writes_open) = (true, true);
                while jobs_open && writes_open {
                    crossbeam_channel::select_biased! {
                        recv(writes) -> job => match job {
                            Ok(job) => write(job),
                            Err(_) => writes_open = false,
                        },
                        recv(jobs) -> job => match job {
                            Ok(job) => {
                                let buffers = Buffers {
                                    out: pool_rx.try_recv().unwrap_or_default(),
                                    keys: keys_rx.try_recv().unwrap_or_default(),
                                };
                                if tx.send(process(job, buffers)).is_err() {
                                    jobs_open = false;
                                }
                            }
                            Err(_) => jobs_open = false,
                        },
                    }
                }
                drop(tx);
                if writes_open {
                    for job in writes.iter() {
                        write(job);
                    }
                }
            });
            match spawned {
                Ok(_) => started += 1,
                Err(e) if started == 0 => {
                    failure = Some(ScreenError::Write {
                        path: out_path.to_owned(),
                        source: e,
                    });
                    break;
                }
                Err(_) => break,
            }
        }
        drop(jobs);
        drop(result_tx);
        drop(write_rx);
        let mut pending = BTreeMap::new();
        let (mut next, mut line_base) = (0u64, first_line);
        let mut seen = Seen::new(expected_rows);
        // Output bytes handed to the file so far (Parquet: the id bytes, a
        // lower bound of what its encoder writes), for the early writeback.
        let mut output_bytes = 0u64;
        for result in result_rx {
            match result {
                Ok(r) => {
                    pending.insert(r.index, r);
                }
                Err(e) => {
                    failure.get_or_insert(e);
                }
            }
            while let Some(r) = pending.remove(&next) {
                next += 1;
                let written = write_block(r, line_base, &mut seen, sink.rejects, &mut summary)
                    .and_then(|kept| {
                        let Kept {
                            lines,
                            bytes,
                            rows,
                            out,
                            keys,
                        } = kept;
                        line_base += lines;
                        sink.progress.advance(bytes, rows);
                        let written = match &mut *sink.out {
                            Output::Csv(..) => {
                                let len = out.len() as u64;
                                output_bytes += len;
                                let _ = write_tx.send(WriteJob { offset, data: out });
                                offset += len;
                                Ok(())
                            }
                            Output::Parquet(p) => {
                                output_bytes += out.len() as u64;
                                let rows = keys.iter().try_for_each(|k| {
                                    p.row(
                                        &out[k.out_start as usize..k.id_end as usize],
                                        &k.screened,
                                    )
                                });
                                let _ = pool_tx.send(out);
                                rows
                            }
                        };
                        let _ = keys_tx.send(keys);
                        sink.out.write_back(output_bytes);
                        written
                    });
                if let Err(e) = written {
                    failure.get_or_insert(e);
                }
            }
        }
        drop(write_tx);
    });
    if let Some(e) = failure {
        return Err(e);
    }
    if let Some(source) = write_failed.into_inner().ok().flatten() {
        return Err(ScreenError::Write {
            path: out_path.to_owned(),
            source,
        });
    }
    Ok(summary)
}
