//! The per-patient output, CSV or Parquet by the file's extension, with the
//! same columns in both: `patient_id, status, risk_group, flags, reflex_test,
//! rules` (flags and rules joined with `|`, empty when there are none). Both
//! are written under a temporary name and renamed when complete.

use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use arrow_array::builder::{ArrayBuilder, StringBuilder};
use arrow_array::types::Int8Type;
use arrow_array::{ArrayRef, DictionaryArray, Int8Array, RecordBatch, StringArray};
use arrow_schema::{DataType, Field, Schema};
use kobalt_engine::screen::{Flag, Screened};
use parquet::arrow::ArrowWriter;
use parquet::arrow::arrow_writer::ArrowWriterOptions;
use parquet::basic::Compression;
use parquet::file::properties::{EnabledStatistics, WriterProperties};
use parquet::schema::types::ColumnPath;

use crate::ScreenError;
use crate::summary::{CATEGORIES, Counted, RISKS, category_index, risk_index};

/// The output columns, in order.
pub const OUTPUT_COLUMNS: [&str; 6] = [
    "patient_id",
    "status",
    "risk_group",
    "flags",
    "reflex_test",
    "rules",
];

/// Rows per Parquet record batch (and at most per row group).
const BATCH_ROWS: usize = 1 << 16;

/// The temporary files being written, for `remove_temporary_files`: a
/// signal ends the process without running destructors (B55).
static TEMPORARY: std::sync::Mutex<Vec<PathBuf>> = std::sync::Mutex::new(Vec::new());

fn temporary(add: Option<&Path>, remove: Option<&Path>) {
    if let Ok(mut files) = TEMPORARY.lock() {
        if let Some(p) = remove {
            files.retain(|f| f != p);
        }
        if let Some(p) = add {
            files.push(p.to_owned());
        }
    }
}

/// Removes the temporary files of the runs under way. For a signal handler
/// (SIGINT, SIGTERM) just before the process exits: nothing half-written stays.
pub fn remove_temporary_files() {
    if let Ok(files) = TEMPORARY.lock() {
        for f in files.iter() {
            let _ = std::fs::remove_file(f);
        }
    }
}

/// A file written under a temporary name and renamed when complete.
pub(crate) struct AtomicFile {
    tmp: PathBuf,
    path: PathBuf,
    writer: BufWriter<File>,
    writeback: Writeback,
}

/// Output bytes between two early writebacks (`AtomicFile::write_back`).
const WRITEBACK_EVERY: u64 = 64 << 20;

/// The file's data written to disk in the background while the run goes on,
/// so that the sync before publishing has little left to write. A failure is
/// kept and reported by `complete`: a sync error is told only once.
struct Writeback {
    file: Option<File>,
    next: u64,
    running: Option<std::thread::JoinHandle<std::io::Result<()>>>,
    failed: Option<std::io::Error>,
}

impl Writeback {
    fn new(file: &File) -> Writeback {
        Writeback {
            // Without a second handle there is no early writeback, only the final sync.
            file: file.try_clone().ok(),
            next: WRITEBACK_EVERY,
            running: None,
            failed: None,
        }
    }

    /// Starts a background sync once `progress` passed the next mark and
    /// the last one is done.
    fn start(&mut self, progress: u64) {
        if progress < self.next || self.running.as_ref().is_some_and(|r| !r.is_finished()) {
            return;
        }
        self.reap();
        let Some(file) = self.file.as_ref().and_then(|f| f.try_clone().ok()) else {
            return;
        };
        self.next = progress + WRITEBACK_EVERY;
        self.running = std::thread::Builder::new()
            .name("writeback".into())
            .spawn(move || file.sync_data())
            .ok();
    }

    /// Waits for the running sync and keeps its error.
    fn reap(&mut self) {
        if let Some(r) = self.running.take() {
            let result = r
                .join()
                .unwrap_or_else(|_| Err(std::io::Error::other("the writeback thread stopped")));
            if let Err(e) = result {
                self.failed.get_or_insert(e);
            }
        }
    }

    /// Waits for the running sync; its error, or an earlier one.
    fn finish(&mut self) -> std::io::Result<()> {
        self.reap();
        self.failed.take().map_or(Ok(()), Err)
    }
}

impl AtomicFile {
    pub(crate) fn create(path: &Path) -> Result<AtomicFile, ScreenError> {
        let name = path
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_else(|| "out".into());
        let tmp = path.with_file_name(format!(".{name}.{}.partial", std::process::id()));
        let file = File::create(&tmp).map_err(|source| ScreenError::Write {
            path: tmp.display().to_string(),
            source,
        })?;
        temporary(Some(&tmp), None);
        Ok(AtomicFile {
            tmp,
            path: path.to_owned(),
            writeback: Writeback::new(&file),
            writer: BufWriter::with_capacity(1 << 20, file),
        })
    }

    fn error(&self, source: std::io::Error) -> ScreenError {
        ScreenError::Write {
            path: self.tmp.display().to_string(),
            source,
        }
    }

    pub(crate) fn write(&mut self, bytes: &[u8]) -> Result<(), ScreenError> {
        self.writer.write_all(bytes).map_err(|e| self.error(e))
    }

    /// The file for positional writes from several threads (after this
    /// buffer is flushed).
    pub(crate) fn positional(&mut self) -> Result<&File, ScreenError> {
        self.writer.flush().map_err(|e| self.error(e))?;
        Ok(self.writer.get_ref())
    }

    /// Lets the data written so far go to disk in the background, every
    /// `WRITEBACK_EVERY` bytes of `progress` (output written).
    pub(crate) fn write_back(&mut self, progress: u64) {
        self.writeback.start(progress);
    }

    /// Flushed and synced: every byte is on disk (a full disk fails here,
    /// before anything is published).
    pub(crate) fn complete(&mut self) -> Result<(), ScreenError> {
        let err = |source| ScreenError::Write {
            path: self.path.display().to_string(),
            source,
        };
        let early = self.writeback.finish();
        self.writer.flush().map_err(err)?;
        early.map_err(err)?;
        self.writer.get_ref().sync_all().map_err(err)
    }

    /// Renamed into place (after `complete`).
    pub(crate) fn publish(self) -> Result<(), ScreenError> {
        std::fs::rename(&self.tmp, &self.path).map_err(|source| ScreenError::Write {
            path: self.path.display().to_string(),
            source,
        })?;
        temporary(None, Some(&self.tmp));
        Ok(())
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        // Not renamed (an error or an interruption): leave no half file.
        let _ = std::fs::remove_file(&self.tmp);
        temporary(None, Some(&self.tmp));
    }
}

/// What the workers put in a block's output buffer: whole CSV rows, or (for
/// Parquet, whose columns are built on the Parquet thread) the ids only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum RowBytes {
    Csv,
    IdOnly,
}

/// The per-patient output file.
pub(crate) enum Output {
    /// The file, and a buffer for the row being written (the long formats).
    Csv(AtomicFile, Vec<u8>),
    Parquet(Box<ParquetOutput>),
}

impl Output {
    /// CSV for `.csv`, Parquet for `.parquet`.
    pub(crate) fn create(path: &Path) -> Result<Output, ScreenError> {
        let name = path.to_string_lossy().to_lowercase();
        if name.ends_with(".csv") {
            let mut file = AtomicFile::create(path)?;
            file.write(OUTPUT_COLUMNS.join(",").as_bytes())?;
            file.write(b"\n")?;
            Ok(Output::Csv(file, Vec::new()))
        } else if name.ends_with(".parquet") {
            Ok(Output::Parquet(Box::new(ParquetOutput::create(path)?)))
        } else {
            Err(ScreenError::UnsupportedOutput(path.display().to_string()))
        }
    }

    pub(crate) fn row_bytes(&self) -> RowBytes {
        match self {
            Output::Csv(..) => RowBytes::Csv,
            Output::Parquet(_) => RowBytes::IdOnly,
        }
    }

    /// One patient, in output order.
    pub(crate) fn row(&mut self, id: &[u8], s: &Screened) -> Result<(), ScreenError> {
        match self {
            Output::Csv(file, line) => {
                line.clear();
                csv_row(line, id, s);
                file.write(line)
            }
            Output::Parquet(p) => p.row(id, s),
        }
    }

    /// Lets what is written go to disk while the run goes on (`AtomicFile::write_back`).
    pub(crate) fn write_back(&mut self, progress: u64) {
        match self {
            Output::Csv(file, _) => file.write_back(progress),
            Output::Parquet(p) => p.file.write_back(progress),
        }
    }

    /// Everything written and synced; the file, ready to publish.
    pub(crate) fn complete(self) -> Result<AtomicFile, ScreenError> {
        let mut file = match self {
            Output::Csv(file, _) => file,
            Output::Parquet(p) => p.finish()?,
        };
        file.complete()?;
        Ok(file)
    }
}

/// Patients on their way to the Parquet thread: ids one after the other.
#[derive(Default)]
pub(crate) struct Rows {
    ids: Vec<u8>,
    ends: Vec<u32>,
    screened: Vec<Screened>,
}

impl Rows {
    fn push(&mut self, id: &[u8], s: &Screened) {
        self.ids.extend_from_slice(id);
        self.ends.push(self.ids.len() as u32);
        self.screened.push(*s);
    }

    fn len(&self) -> usize {
        self.ends.len()
    }
}

/// Parquet: the arrays are built and encoded on a thread of their own, so
/// the writer in input order only hands rows over; record batches of
/// `BATCH_ROWS`, Snappy-compressed, the few-valued columns dictionary-encoded.
pub(crate) struct ParquetOutput {
    file: AtomicFile,
    rows: Rows,
    tx: Option<crossbeam_channel::Sender<Rows>>,
    thread: Option<std::thread::JoinHandle<Result<(), String>>>,
}

impl ParquetOutput {
    fn create(path: &Path) -> Result<ParquetOutput, ScreenError> {
        let mut file = AtomicFile::create(path)?;
        let handle = file.positional()?.try_clone().map_err(|e| file.error(e))?;
        // Ids as text, the other columns as dictionaries of text (see `encode`).
        let keyed = DataType::Dictionary(Box::new(DataType::Int8), Box::new(DataType::Utf8));
        let schema = Arc::new(Schema::new(
            OUTPUT_COLUMNS
                .iter()
                .enumerate()
                .map(|(i, c)| {
                    let kind = if i == 0 {
                        DataType::Utf8
                    } else {
                        keyed.clone()
                    };
                    Field::new(*c, kind, false)
                })
                .collect::<Vec<_>>(),
        ));
        let mut props = WriterProperties::builder()
            .set_compression(Compression::SNAPPY)
            .set_max_row_group_row_count(Some(1 << 20))
            // Ids are unique: a dictionary would only be built to be dropped.
            .set_column_dictionary_enabled(ColumnPath::from(OUTPUT_COLUMNS[0]), false);
        for c in &OUTPUT_COLUMNS[1..] {
            // Every row group has (nearly) every value: minimum and maximum
            // would prune nothing and cost a comparison per row.
            props =
                props.set_column_statistics_enabled(ColumnPath::from(*c), EnabledStatistics::None);
        }
        // Without the Arrow schema in the file, readers see plain text columns.
        let options = ArrowWriterOptions::new()
            .with_properties(props.build())
            .with_skip_arrow_metadata(true);
        let writer = ArrowWriter::try_new_with_options(
            BufWriter::with_capacity(1 << 20, handle),
            schema.clone(),
            options,
        )
        .map_err(|e| file.error(std::io::Error::other(e)))?;
        // Two blocks in flight at most: memory stays bounded.
        let (tx, rx) = crossbeam_channel::bounded::<Rows>(2);
        let thread = std::thread::spawn(move || encode(writer, &schema, &rx));
        Ok(ParquetOutput {
            file,
            rows: Rows::default(),
            tx: Some(tx),
            thread: Some(thread),
        })
    }

    /// One patient, in output order.
    pub(crate) fn row(&mut self, id: &[u8], s: &Screened) -> Result<(), ScreenError> {
        self.rows.push(id, s);
        if self.rows.len() >= BATCH_ROWS {
            self.send()?;
        }
        Ok(())
    }

    fn send(&mut self) -> Result<(), ScreenError> {
        let rows = std::mem::take(&mut self.rows);
        let sent = self.tx.as_ref().is_some_and(|tx| tx.send(rows).is_ok());
        if sent {
            Ok(())
        } else {
            // The thread stopped: its error says why.
            self.join()
        }
    }

    fn join(&mut self) -> Result<(), ScreenError> {
        self.tx = None;
        let result = match self.thread.take() {
            Some(t) => t
                .join()
                .unwrap_or_else(|_| Err("the Parquet writer stopped".into())),
            None => Err("the Parquet writer stopped".into()),
        };
        result.map_err(|e| self.file.error(std::io::Error::other(e)))
    }

    /// Every row encoded and the footer written: the file, not yet synced.
    fn finish(mut self) -> Result<AtomicFile, ScreenError> {
        if self.rows.len() > 0 {
            self.send()?;
        }
        self.join()?;
        Ok(self.file)
    }
}

/// The Parquet thread: builds the columns of the rows it is sent and writes them.
/// The five columns after the id take few values: they are dictionary arrays
/// over those values, so a row adds a key per column instead of its text.
fn encode(
    mut writer: ArrowWriter<BufWriter<File>>,
    schema: &Arc<Schema>,
    rx: &crossbeam_channel::Receiver<Rows>,
) -> Result<(), String> {
    let dictionaries = dictionaries();
    let mut ids = StringBuilder::with_capacity(BATCH_ROWS, 1 << 20);
    let mut keys: [Vec<Option<i8>>; 5] = std::array::from_fn(|_| Vec::with_capacity(BATCH_ROWS));
    let mut flush =
        |ids: &mut StringBuilder, keys: &mut [Vec<Option<i8>>; 5]| -> Result<(), String> {
            let mut arrays: Vec<ArrayRef> = vec![Arc::new(ids.finish())];
            for (k, values) in keys.iter_mut().zip(&dictionaries) {
                let k = Int8Array::from(std::mem::take(k));
                let array = DictionaryArray::<Int8Type>::try_new(k, values.clone())
                    .map_err(|e| e.to_string())?;
                arrays.push(Arc::new(array));
            }
            let batch = RecordBatch::try_new(schema.clone(), arrays).map_err(|e| e.to_string())?;
            writer.write(&batch).map_err(|e| e.to_string())
        };
    for rows in rx {
        let mut start = 0;
        for (end, s) in rows.ends.iter().zip(&rows.screened) {
            let id = &rows.ids[start..*end as usize];
            start = *end as usize;
            // Ids were checked to be UTF-8 when read.
            ids.append_value(std::str::from_utf8(id).map_err(|e| e.to_string())?);
            for (column, key) in keys.iter_mut().zip(row_keys(s)) {
                column.push(key);
            }
            if ids.len() == BATCH_ROWS {
                flush(&mut ids, &mut keys)?;
            }
        }
    }
    if ids.len() > 0 {
        flush(&mut ids, &mut keys)?;
    }
    let inner = writer.into_inner().map_err(|e| e.to_string())?;
    inner.into_inner().map_err(|e| e.error().to_string())?;
    Ok(())
}

/// The values of status, risk_group, flags, reflex_test and rules: the keys
/// of a screened row index them (`row_keys`).
pub(crate) fn dictionaries() -> [ArrayRef; 5] {
    let every_flags = || 0..1u8 << Flag::ALL.len();
    let text = |write: fn(&mut Vec<u8>, u8), bits: u8| {
        let mut out = Vec::new();
        write(&mut out, bits);
        String::from_utf8_lossy(&out).into_owned()
    };
    let values = |texts: Vec<String>| Arc::new(StringArray::from(texts)) as ArrayRef;
    [
        values(CATEGORIES.iter().map(|c| c.as_str().to_owned()).collect()),
        values(RISKS.iter().map(|r| r.as_str().to_owned()).collect()),
        values(every_flags().map(|bits| text(write_flags, bits)).collect()),
        values(vec![String::new(), "mma".to_owned()]),
        values(every_flags().map(|bits| text(write_rules, bits)).collect()),
    ]
}

/// A screened row's keys into `dictionaries`; none is null (a reflex test
/// that is not needed is '', as flags and rules without any are).
pub(crate) fn row_keys(s: &Screened) -> [Option<i8>; 5] {
    let flags = s.flag_bits() as i8;
    [
        Some(category_index(s.category) as i8),
        Some(risk_index(s.risk) as i8),
        Some(flags),
        Some(i8::from(s.reflex().is_some())),
        Some(flags),
    ]
}

/// The flags, joined with `|`.
pub(crate) fn write_flags(out: &mut Vec<u8>, bits: u8) {
    for (i, f) in Flag::of_bits(bits).enumerate() {
        if i > 0 {
            out.push(b'|');
        }
        out.extend_from_slice(f.as_str().as_bytes());
    }
}

/// The rules behind the flags, joined with `|`.
pub(crate) fn write_rules(out: &mut Vec<u8>, bits: u8) {
    for (i, r) in Flag::of_bits(bits).flat_map(|f| f.rules()).enumerate() {
        if i > 0 {
            out.push(b'|');
        }
        out.extend_from_slice(r.as_bytes());
    }
}

/// A CSV field, quoted when it has to be. A cell a spreadsheet would run as a
/// formula (starting with `= + - @`, a tab or a carriage return) starts with
/// an apostrophe instead (B24; OWASP "CSV injection").
pub(crate) fn csv_field(out: &mut Vec<u8>, bytes: &[u8]) {
    let formula = matches!(
        bytes.first(),
        Some(b'=' | b'+' | b'-' | b'@' | b'\t' | b'\r')
    );
    if bytes
        .iter()
        .any(|b| matches!(b, b',' | b'"' | b'\n' | b'\r'))
    {
        out.push(b'"');
        if formula {
            out.push(b'\'');
        }
        for &b in bytes {
            if b == b'"' {
                out.push(b'"');
            }
            out.push(b);
        }
        out.push(b'"');
    } else {
        if formula {
            out.push(b'\'');
        }
        out.extend_from_slice(bytes);
    }
}

/// Appends the CSV output row.
pub(crate) fn csv_row(out: &mut Vec<u8>, id: &[u8], s: &Screened) {
    csv_field(out, id);
    csv_suffix(out, s);
}

/// The CSV row after the patient id: it depends on the status, risk group
/// and flags only, so `Suffixes` formats each combination once.
fn csv_suffix(out: &mut Vec<u8>, s: &Screened) {
    out.push(b',');
    out.extend_from_slice(s.category.as_str().as_bytes());
    out.push(b',');
    out.extend_from_slice(s.risk.as_str().as_bytes());
    out.push(b',');
    write_flags(out, s.flag_bits());
    out.push(b',');
    if let Some(r) = s.reflex() {
        out.extend_from_slice(r.as_bytes());
    }
    out.push(b',');
    write_rules(out, s.flag_bits());
    out.push(b'\n');
}

/// The CSV row suffixes met so far, by `Counted::key`.
#[derive(Default)]
pub(crate) struct Suffixes {
    bytes: Vec<u8>,
    spans: Vec<Option<(u32, u32)>>,
}

impl Suffixes {
    #[inline]
    pub(crate) fn write(&mut self, out: &mut Vec<u8>, s: &Screened, counted: Counted) {
        let key = counted.key();
        if self.spans.len() <= key {
            self.spans.resize(key + 1, None);
        }
        let (start, end) = match self.spans[key] {
            Some(span) => span,
            None => {
                let start = self.bytes.len() as u32;
                csv_suffix(&mut self.bytes, s);
                let span = (start, self.bytes.len() as u32);
                self.spans[key] = Some(span);
                span
            }
        };
        out.extend_from_slice(&self.bytes[start as usize..end as usize]);
    }
}

/// A rejects row: the input line (or row) number, why, and the row as read.
/// Bytes that are not UTF-8 are written as `\xNN`, so that the rejects file
/// stays readable text (N04, B32) and the bytes can still be told.
pub(crate) fn reject_line(out: &mut Vec<u8>, line: u64, reason: &str, raw: &[u8]) {
    out.extend_from_slice(itoa::Buffer::new().format(line).as_bytes());
    out.push(b',');
    csv_field(out, reason.as_bytes());
    out.push(b',');
    if std::str::from_utf8(raw).is_ok() {
        csv_field(out, raw);
    } else {
        let mut shown = Vec::with_capacity(raw.len() + 8);
        for chunk in raw.utf8_chunks() {
            shown.extend_from_slice(chunk.valid().as_bytes());
            for b in chunk.invalid() {
                shown.extend_from_slice(format!("\\x{b:02X}").as_bytes());
            }
        }
        csv_field(out, &shown);
    }
    out.push(b'\n');
}
