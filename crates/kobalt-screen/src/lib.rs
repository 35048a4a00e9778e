//! Batch screening of lab exports: every row becomes one output row (the
//! patient's status, flags, reflex test and rules) or one rejects row (the
//! input line and why). The status comes from `kobalt_engine::screen`, the
//! same decision code and knowledge as `kobalt assess`.
//!
//! Wide CSV is read in blocks of whole lines by one thread, parsed and
//! classified by the others, and written in input order: memory stays bounded
//! by the blocks in flight (plus 8 bytes per patient for the duplicate check).
//! Output goes to a temporary name and is renamed at the end.

mod batches;
mod blocks;
mod long;
pub mod mapping;
mod output;
mod parquet;
mod pipeline;
mod row;
mod seen;
mod split;
pub mod summary;

use std::fs::File;
use std::io::Read;
use std::path::{Path, PathBuf};

use kobalt_contract::Guideline;
use kobalt_engine::screen::Screener;
use kobalt_kb::Knowledge;

pub use batches::{BatchScreen, output_schema};
pub use mapping::{Format, Mapping};
pub use output::{OUTPUT_COLUMNS, remove_temporary_files};
pub use parquet::run_table;
pub use summary::Summary;

use output::{AtomicFile, Output, RowBytes};
use row::{Block, BlockResult, Buffers, Key, RowPlan};
pub(crate) use seen::Seen;

#[derive(Debug, thiserror::Error)]
pub enum ScreenError {
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("cannot write {path}: {source}")]
    Write {
        path: String,
        source: std::io::Error,
    },
    #[error("mapping: {0}")]
    Mapping(String),
    #[error("the input has no header row")]
    NoHeader,
    /// A record holds a line break (a quoted field): internal, the export is
    /// read again cut after whole records.
    #[error("a quoted field holds a line break")]
    LineBreakInQuotedField,
    #[error("the header line is longer than {} MB: not a CSV export Kobalt reads", MAX_HEADER >> 20)]
    HeaderTooLong,
    #[error("{path} is {encoding}: save it as UTF-8 CSV (Excel: \"CSV UTF-8\")")]
    Encoding {
        path: String,
        encoding: &'static str,
    },
    #[error(
        "column '{0}' is in the header twice: the mapping cannot tell which to read (rename one)"
    )]
    DuplicateColumn(String),
    #[error("column '{column}' ({what}) is not in the header: {header}")]
    MissingColumn {
        column: String,
        what: String,
        header: String,
    },
    #[error(
        "unsupported input {0}: use .csv, .tsv, .txt or .ndjson (FHIR Observations), optionally .gz"
    )]
    UnsupportedInput(String),
    #[error("unsupported output {0}: use .csv or .parquet")]
    UnsupportedOutput(String),
    #[error("{what} {path} is the input file: refusing to overwrite the export")]
    OutputIsInput { what: &'static str, path: String },
    #[error("the output and the rejects are the same file ({0}): give them different names")]
    OutputsCollide(String),
}

/// What the progress display is told.
pub trait Progress: Sync {
    /// Total input bytes, when known (plain files).
    fn start(&self, total_bytes: Option<u64>);
    fn advance(&self, bytes: u64, rows: u64);
}

/// No progress display.
pub struct Silent;

impl Progress for Silent {
    fn start(&self, _: Option<u64>) {}
    fn advance(&self, _: u64, _: u64) {}
}

#[derive(Clone, Debug)]
pub struct Options {
    pub input: PathBuf,
    pub out: PathBuf,
    pub rejects: PathBuf,
    pub guideline: Guideline,
    pub mapping: Mapping,
    pub threads: usize,
    /// Bytes per block of lines handed to a worker.
    pub block_bytes: usize,
}

/// What a run produced.
pub struct Outcome {
    pub summary: Summary,
    /// Set when the input ended early (a truncated gzip): what was read is screened.
    pub truncated: Option<String>,
}

/// The analytes screening reads, in the order of its slots (wide mappings,
/// long and FHIR pivots, the OMOP reader of the Python package).
pub const SCREENING_ANALYTES: [&str; 6] = [
    "b12_total",
    "holotranscobalamin",
    "mma",
    "homocysteine",
    "haemoglobin",
    "mcv",
];

/// Rejects header: the input line number and why.
pub const REJECTS_HEADER: &str = "line,reason,row\n";

/// An opened input: the (decompressed) bytes, the size when known, and the
/// file name without `.gz`.
struct Input {
    reader: Box<dyn Read + Send>,
    size: Option<u64>,
    name: String,
}

fn open(path: &Path) -> Result<Input, ScreenError> {
    let file = File::open(path).map_err(|source| ScreenError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default();
    if let Some(inner) = name.strip_suffix(".gz") {
        let reader =
            flate2::read::MultiGzDecoder::new(std::io::BufReader::with_capacity(1 << 20, file));
        Ok(Input {
            reader: Box::new(reader),
            size: None,
            name: inner.to_owned(),
        })
    } else {
        // Positional reads need a regular file (not a pipe).
        let size = file
            .metadata()
            .ok()
            .filter(|m| m.is_file())
            .map(|m| m.len());
        Ok(Input {
            reader: Box::new(file),
            size,
            name,
        })
    }
}

/// Screens `opts.input` into `opts.out` and `opts.rejects`.
pub fn run(
    kb: &Knowledge,
    opts: &Options,
    progress: &dyn Progress,
) -> Result<Outcome, ScreenError> {
    check_paths(opts)?;
    let opts = &Options {
        threads: usable_threads(opts.threads),
        ..opts.clone()
    };
    // A quoted field with a line break cannot be found in blocks cut at line
    // ends; such an export is read again, cut after whole records (B03).
    match attempt(kb, opts, progress, Cutting::AtLineEnds) {
        Err(ScreenError::LineBreakInQuotedField) => {
            attempt(kb, opts, progress, Cutting::AfterRecords)
        }
        other => other,
    }
}

/// How a wide CSV is cut into blocks.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Cutting {
    /// By byte ranges at line ends, read by every worker (plain files).
    AtLineEnds,
    /// By one reader, after whole records (quoted line breaks, streams).
    AfterRecords,
}

/// One reading of the input into fresh outputs.
fn attempt(
    kb: &Knowledge,
    opts: &Options,
    progress: &dyn Progress,
    cutting: Cutting,
) -> Result<Outcome, ScreenError> {
    let Input {
        reader,
        size,
        name: inner,
    } = open(&opts.input)?;
    let size = size.filter(|_| cutting == Cutting::AtLineEnds);
    progress.start(size);
    let screener = Screener::new(kb, opts.guideline);
    into_files(opts, progress, |sink| {
        if inner.ends_with(".ndjson") || inner.ends_with(".jsonl") {
            long::run_fhir(kb, &screener, opts, reader, sink)
        } else if inner.ends_with(".parquet") {
            drop(reader);
            parquet::run_parquet(kb, &screener, opts, sink)
        } else if [".csv", ".tsv", ".txt"].iter().any(|e| inner.ends_with(e)) {
            match opts.mapping.format {
                Format::Wide => run_wide(kb, &screener, opts, reader, size, sink),
                Format::Long => long::run_long_csv(kb, &screener, opts, reader, sink),
            }
        } else {
            Err(ScreenError::UnsupportedInput(
                opts.input.display().to_string(),
            ))
        }
    })
}

/// Runs `screen` into a fresh output and rejects file and publishes them
/// only once both are complete and on disk (B53r: a full disk published the
/// output and lost the rejects); after an error neither is published.
pub(crate) fn into_files(
    opts: &Options,
    progress: &dyn Progress,
    screen: impl FnOnce(&mut Sink<'_>) -> Result<Outcome, ScreenError>,
) -> Result<Outcome, ScreenError> {
    let mut out = Output::create(&opts.out)?;
    let mut rejects = AtomicFile::create(&opts.rejects)?;
    rejects.write(REJECTS_HEADER.as_bytes())?;
    let outcome = screen(&mut Sink {
        out: &mut out,
        rejects: &mut rejects,
        progress,
    })?;
    let out = out.complete()?;
    rejects.complete()?;
    out.publish()?;
    rejects.publish()?;
    Ok(outcome)
}

/// Threads to work on: at least one, and more workers than cores only adds
/// threads (B56b: 100,000 failed to spawn).
pub(crate) fn usable_threads(asked: usize) -> usize {
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    asked.clamp(1, cores)
}

/// Refuses outputs that would overwrite the input or each other (B48-B50),
/// before anything is written: the same path by any spelling, or the same file.
fn check_paths(opts: &Options) -> Result<(), ScreenError> {
    let input = identity(&opts.input);
    for (what, path) in [
        ("the output", &opts.out),
        ("the rejects file", &opts.rejects),
    ] {
        if identity(path) == input {
            return Err(ScreenError::OutputIsInput {
                what,
                path: path.display().to_string(),
            });
        }
    }
    check_outputs(opts)
}

/// Refuses an output and rejects file that are one file.
pub(crate) fn check_outputs(opts: &Options) -> Result<(), ScreenError> {
    if identity(&opts.out) == identity(&opts.rejects) {
        return Err(ScreenError::OutputsCollide(opts.out.display().to_string()));
    }
    Ok(())
}

/// What names a file: device and inode when it exists (hard links, symbolic
/// links), otherwise its absolute path with the folder resolved.
#[derive(PartialEq)]
enum FileIdentity {
    Inode(u64, u64),
    Path(PathBuf),
}

fn identity(path: &Path) -> FileIdentity {
    use std::os::unix::fs::MetadataExt;
    if let Ok(m) = std::fs::metadata(path) {
        return FileIdentity::Inode(m.dev(), m.ino());
    }
    let folder = match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let folder = std::fs::canonicalize(folder).unwrap_or_else(|_| folder.to_owned());
    FileIdentity::Path(folder.join(path.file_name().unwrap_or_default()))
}

/// The longest header line Kobalt reads (B12: a gzip bomb's 1 GB "header").
pub(crate) const MAX_HEADER: usize = 1 << 20;

/// How the export ends its lines.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LineEnd {
    /// `\n` (or `\r\n`).
    Lf,
    /// `\r` alone: an old Mac "Macintosh CSV" (B69).
    Cr,
}

/// The header line as read: the line (without its end), the bytes read past
/// it, where the data starts, and the line-end style.
struct HeaderLine {
    line: Vec<u8>,
    rest: Vec<u8>,
    data_start: u64,
    line_end: LineEnd,
}

/// Reads the header line, at most `MAX_HEADER` bytes; refuses UTF-16.
fn header_line(reader: &mut dyn Read, path: &Path) -> Result<HeaderLine, ScreenError> {
    let mut buf = vec![0u8; 1 << 16];
    let mut filled = 0;
    loop {
        check_encoding(&buf[..filled], path)?;
        let end = memchr::memchr2(b'\n', b'\r', &buf[..filled]);
        // A `\r` at the end of what was read: the next byte tells `\r\n` from `\r`.
        let undecided = end.is_some_and(|at| buf[at] == b'\r' && at + 1 == filled);
        if let Some(at) = end.filter(|_| !undecided) {
            let (skip, line_end) = match (buf[at], buf.get(at + 1)) {
                (b'\r', Some(b'\n')) => (2, LineEnd::Lf),
                (b'\r', _) => (1, LineEnd::Cr),
                _ => (1, LineEnd::Lf),
            };
            let rest = buf[at + skip..filled].to_vec();
            buf.truncate(at);
            return Ok(HeaderLine {
                line: buf,
                rest,
                data_start: (at + skip) as u64,
                line_end,
            });
        }
        if filled > MAX_HEADER {
            return Err(ScreenError::HeaderTooLong);
        }
        if filled == buf.len() {
            buf.resize(buf.len() * 2, 0);
        }
        let n = reader
            .read(&mut buf[filled..])
            .map_err(|source| ScreenError::Read {
                path: path.display().to_string(),
                source,
            })?;
        if n == 0 {
            if filled == 0 {
                return Err(ScreenError::NoHeader);
            }
            buf.truncate(filled);
            // A lone `\r` at the very end is the header's line end.
            let line_end = if buf.last() == Some(&b'\r') {
                buf.pop();
                LineEnd::Cr
            } else {
                LineEnd::Lf
            };
            return Ok(HeaderLine {
                line: buf,
                rest: Vec::new(),
                data_start: filled as u64,
                line_end,
            });
        }
        filled += n;
    }
}

/// UTF-16 (Excel "Unicode text", B07) by its byte-order mark or by the zero
/// bytes of ASCII text in it: named, not read as garbage column names.
fn check_encoding(start: &[u8], path: &Path) -> Result<(), ScreenError> {
    let encoding = match start {
        [0xFF, 0xFE, ..] => "UTF-16 (little-endian)",
        [0xFE, 0xFF, ..] => "UTF-16 (big-endian)",
        [a, 0, b, 0, ..] if a.is_ascii() && b.is_ascii() => "UTF-16 (little-endian)",
        [0, a, 0, b, ..] if a.is_ascii() && b.is_ascii() => "UTF-16 (big-endian)",
        _ => return Ok(()),
    };
    Err(ScreenError::Encoding {
        path: path.display().to_string(),
        encoding,
    })
}

/// A reader of an old-Mac export that ends lines with `\r` alone: each `\r`
/// becomes `\n`, so the rest of the reading is the same (B69).
struct CrAsLf<R>(R);

impl<R: Read> Read for CrAsLf<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.0.read(buf)?;
        for b in &mut buf[..n] {
            if *b == b'\r' {
                *b = b'\n';
            }
        }
        Ok(n)
    }
}

/// A CSV header: its column names, the delimiter, and the bytes read past it.
pub(crate) struct Header {
    pub columns: Vec<String>,
    pub delim: u8,
    pub rest: Vec<u8>,
    /// Where the first data line starts in the input.
    pub data_start: u64,
    pub line_end: LineEnd,
}

pub(crate) fn read_header(reader: &mut dyn Read, opts: &Options) -> Result<Header, ScreenError> {
    let HeaderLine {
        line,
        mut rest,
        data_start,
        line_end,
    } = header_line(reader, &opts.input)?;
    if line_end == LineEnd::Cr {
        rest.iter_mut()
            .filter(|b| **b == b'\r')
            .for_each(|b| *b = b'\n');
    }
    let delim = delimiter(&opts.mapping, &line);
    Ok(Header {
        columns: split_header(&line, delim),
        delim,
        rest,
        data_start,
        line_end,
    })
}

/// The rest of an export after its header, with `\r` line ends read as `\n`.
pub(crate) fn data_reader(reader: Box<dyn Read + Send>, line_end: LineEnd) -> Box<dyn Read + Send> {
    match line_end {
        LineEnd::Lf => reader,
        LineEnd::Cr => Box::new(CrAsLf(reader)),
    }
}

/// The delimiter: the mapping's, or the most frequent of , ; tab | in the header.
fn delimiter(mapping: &Mapping, header: &[u8]) -> u8 {
    if let Some(d) = mapping.delimiter.as_ref().and_then(|d| d.bytes().next()) {
        return d;
    }
    [b',', b';', b'\t', b'|']
        .into_iter()
        .max_by_key(|d| header.iter().filter(|b| *b == d).count())
        .unwrap_or(b',')
}

fn split_header(header: &[u8], delim: u8) -> Vec<String> {
    let mut rdr = csv::ReaderBuilder::new()
        .has_headers(false)
        .delimiter(delim)
        .from_reader(header);
    let mut record = csv::ByteRecord::new();
    match rdr.read_byte_record(&mut record) {
        Ok(true) => record
            .iter()
            .map(|f| {
                String::from_utf8_lossy(f)
                    .trim()
                    .trim_start_matches('\u{feff}')
                    .to_owned()
            })
            .collect(),
        _ => Vec::new(),
    }
}

/// The header's names as an error shows them: at most 30 names of at most
/// 40 characters (B18: a 20 MB header was echoed whole).
pub(crate) fn shown_header(columns: &[String]) -> String {
    let mut names: Vec<String> = columns
        .iter()
        .take(30)
        .map(|c| match c.char_indices().nth(40) {
            Some((cut, _)) => format!("{}…", &c[..cut]),
            None => c.clone(),
        })
        .collect();
    if columns.len() > 30 {
        names.push(format!("… ({} columns)", columns.len()));
    }
    names.join(", ")
}

/// Where a run's results go.
pub(crate) struct Sink<'a> {
    out: &'a mut Output,
    rejects: &'a mut AtomicFile,
    progress: &'a dyn Progress,
}

fn run_wide(
    kb: &Knowledge,
    screener: &Screener<'_>,
    opts: &Options,
    mut reader: Box<dyn Read + Send>,
    plain_size: Option<u64>,
    sink: &mut Sink<'_>,
) -> Result<Outcome, ScreenError> {
    let Header {
        columns,
        delim,
        rest,
        data_start,
        line_end,
    } = read_header(&mut *reader, opts)?;
    let plan = RowPlan::new(kb, &opts.mapping, &columns)?.with_delimiter(&opts.mapping, delim);
    // Positional reads cut at `\n`: an old-Mac export is read as a stream.
    let plain_size = plain_size.filter(|_| line_end == LineEnd::Lf);
    let mut reader = data_reader(reader, line_end);
    let threads = opts.threads.max(1);
    let block_bytes = opts.block_bytes.max(1 << 12);
    let expected_rows = plain_size.map_or(0, |b| (b / 48).min(1 << 26) as usize);
    // Input buffers are recycled.
    let (pool_tx, pool_rx) = crossbeam_channel::unbounded::<Vec<u8>>();
    let row_bytes = sink.out.row_bytes();
    let out_path = opts.out.display().to_string();
    let screen = |block: Block, buffers: Buffers| {
        let (result, data) = plan.process(screener, block, delim, row_bytes, buffers);
        let _ = pool_tx.send(data);
        result
    };
    // The header is line 1.
    let first_line = 2;
    if let Some(size) = plain_size {
        // A plain file: every worker reads its own blocks, no reader thread.
        drop(reader);
        let file = File::open(&opts.input).map_err(|source| ScreenError::Read {
            path: opts.input.display().to_string(),
            source,
        })?;
        let ranges = blocks::Ranges::new(data_start, size, block_bytes as u64);
        let (job_tx, job_rx) = crossbeam_channel::unbounded();
        for range in ranges {
            let _ = job_tx.send(range);
        }
        drop(job_tx);
        let process = |range: blocks::Range, buffers: Buffers| {
            let mut data = pool_rx.try_recv().unwrap_or_default();
            blocks::read_lines(&file, range, size, &mut data).map_err(|source| {
                ScreenError::Read {
                    path: opts.input.display().to_string(),
                    source,
                }
            })?;
            let mut result = screen(Block::lines(range.index, data), buffers);
            if result.line_break_in_record {
                return Err(ScreenError::LineBreakInQuotedField);
            }
            // Progress counts the range, not the lines read past it.
            result.bytes = range.end - range.start;
            Ok(result)
        };
        let summary = pipeline::ordered(
            job_rx,
            threads,
            &process,
            first_line,
            expected_rows,
            sink,
            &out_path,
        )?;
        return Ok(Outcome {
            summary,
            truncated: None,
        });
    }
    let (block_tx, block_rx) = crossbeam_channel::bounded::<Block>(threads * 2);
    let input_path = opts.input.display().to_string();
    std::thread::scope(|scope| {
        let reader_handle = scope.spawn(move || {
            blocks::stream(
                &mut *reader,
                rest,
                delim,
                block_bytes,
                &block_tx,
                &pool_rx,
                &input_path,
            )
        });
        let process = |block: Block, buffers: Buffers| Ok(screen(block, buffers));
        let summary = pipeline::ordered(
            block_rx,
            threads,
            &process,
            first_line,
            expected_rows,
            sink,
            &out_path,
        );
        let truncated = reader_handle
            .join()
            .unwrap_or(Some("the reader stopped".into()));
        Ok(Outcome {
            summary: summary?,
            truncated,
        })
    })
}

/// A block's results after the duplicate check, in input order.
pub(crate) struct Kept {
    pub lines: u64,
    pub bytes: u64,
    pub rows: u64,
    /// CSV rows without the duplicates; for id-only output the ids as screened.
    pub out: Vec<u8>,
    /// The patients kept; with id-only output they point into `out`.
    pub keys: Vec<Key>,
}

/// In input order: drops duplicate patients, writes the rejects, merges the counts.
pub(crate) fn write_block(
    r: BlockResult,
    line_base: u64,
    seen: &mut Seen,
    rejects: &mut AtomicFile,
    summary: &mut Summary,
) -> Result<Kept, ScreenError> {
    let mut s = r.summary;
    let id = |k: &Key| &r.out[k.out_start as usize..k.id_end as usize];
    // Rejects of the block, by line: the worker's and the duplicates found here.
    let mut lines: Vec<(u64, Vec<u8>)> = Vec::new();
    // Which patients are repeats: only looked for when the block is not sorted.
    let mut duplicate = Vec::new();
    if r.ascending
        && let (Some(first), Some(last)) = (r.keys.first(), r.keys.last())
        && seen.append_ascending(
            id(first),
            id(last),
            r.keys.iter().map(|k| (id(k), k.id_key)),
        )
    {
        // Sorted input: no id of the block can have been seen.
    } else {
        duplicate = vec![false; r.keys.len()];
        for (i, k) in r.keys.iter().enumerate() {
            if !seen.insert(id(k), k.id_key) {
                duplicate[i] = true;
                let row = match r.row_bytes {
                    RowBytes::Csv => r.out[k.out_start as usize..k.out_end as usize].to_vec(),
                    RowBytes::IdOnly => {
                        let mut row = Vec::new();
                        output::csv_row(&mut row, id(k), &k.screened);
                        row
                    }
                };
                let mut text = Vec::new();
                let line = line_base + u64::from(k.line);
                output::reject_line(
                    &mut text,
                    line,
                    "duplicate patient_id: an earlier row has the same patient (row shown as screened)",
                    row.trim_ascii_end(),
                );
                lines.push((line, text));
                s.rows_out -= 1;
                s.rows_rejected += 1;
                s.uncount(k.counted);
            }
        }
    }
    let mut out = r.out;
    let mut keys = r.keys;
    if duplicate.contains(&true) {
        if r.row_bytes == RowBytes::Csv {
            // The CSV rows without the duplicates.
            let mut kept = Vec::with_capacity(out.len());
            let mut start = 0usize;
            for (k, _) in keys.iter().zip(&duplicate).filter(|(_, d)| **d) {
                kept.extend_from_slice(&out[start..k.out_start as usize]);
                start = k.out_end as usize;
            }
            kept.extend_from_slice(&out[start..]);
            out = kept;
        }
        let mut d = duplicate.iter();
        keys.retain(|_| !d.next().copied().unwrap_or(false));
    }
    for rej in &r.rejects {
        let mut text = Vec::new();
        output::reject_line(&mut text, line_base + rej.line, &rej.reason, &rej.raw);
        lines.push((line_base + rej.line, text));
    }
    lines.sort_by_key(|(line, _)| *line);
    for (_, text) in &lines {
        rejects.write(text)?;
    }
    summary.merge(&s);
    Ok(Kept {
        lines: r.lines,
        bytes: r.bytes,
        rows: s.rows_in,
        out,
        keys,
    })
}

/// Up to eight bytes as one big-endian word (zero-padded): short ids and
/// units compare as numbers, without a call to `memcmp`.
#[inline]
pub(crate) fn word(s: &[u8]) -> u64 {
    // A byte loop: a copy into an array is a call to `memcpy` for a slice of
    // unknown length, and reading the array back stalls on the store.
    let n = s.len().min(8);
    let w = s[..n].iter().fold(0u64, |w, &b| w << 8 | u64::from(b));
    w.checked_shl(8 * (8 - n) as u32).unwrap_or(0)
}

/// The order of patient ids: shorter first, then bytewise (numeric ids
/// sort as numbers).
#[inline]
pub(crate) fn id_order(a: &[u8], b: &[u8]) -> std::cmp::Ordering {
    a.len().cmp(&b.len()).then_with(|| {
        if a.len() <= 8 {
            word(a).cmp(&word(b))
        } else {
            a.cmp(b)
        }
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    proptest! {
        /// Ids order as their lengths, then their bytes, whatever the word packing does.
        #[test]
        fn id_order_is_length_then_bytes(a in prop::collection::vec(any::<u8>(), 0..12),
                                         b in prop::collection::vec(any::<u8>(), 0..12)) {
            prop_assert_eq!(super::id_order(&a, &b), a.len().cmp(&b.len()).then(a.cmp(&b)));
        }
    }
}
