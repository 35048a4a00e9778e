//! Cutting a wide export into blocks of whole lines.
//!
//! A plain file is cut by byte ranges that every worker reads for itself
//! (positional reads, no reader thread): a block holds the lines that start
//! in its range, so the line that crosses the range's end is read on past it
//! and skipped by the next block. A stream (gzip) is read by one thread that
//! carries the partial last line over to the next block.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::FileExt;

use crossbeam_channel::{Receiver, Sender};

use crate::row::Block;
use crate::split::last_record_end;

/// The byte range of a plain file whose lines one block holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Range {
    pub index: u64,
    pub start: u64,
    pub end: u64,
    /// The first range starts at the first data line; the others may start mid-line.
    pub first: bool,
}

/// The ranges of `block` bytes from `start` to `size`.
pub(crate) struct Ranges {
    next: u64,
    size: u64,
    block: u64,
    index: u64,
}

impl Ranges {
    pub(crate) fn new(start: u64, size: u64, block: u64) -> Ranges {
        Ranges {
            next: start,
            size,
            block: block.max(1),
            index: 0,
        }
    }
}

impl Iterator for Ranges {
    type Item = Range;

    fn next(&mut self) -> Option<Range> {
        if self.next >= self.size {
            return None;
        }
        let range = Range {
            index: self.index,
            start: self.next,
            end: (self.next + self.block).min(self.size),
            first: self.index == 0,
        };
        self.index += 1;
        self.next = range.end;
        Some(range)
    }
}

/// Reads `at..at + len` (less at the end of the file) onto `buf`.
fn read_at(file: &File, at: u64, len: usize, buf: &mut Vec<u8>) -> std::io::Result<usize> {
    let start = buf.len();
    buf.resize(start + len, 0);
    let mut filled = start;
    while filled < buf.len() {
        match file.read_at(&mut buf[filled..], at + (filled - start) as u64) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                buf.truncate(filled);
                return Err(e);
            }
        }
    }
    buf.truncate(filled);
    Ok(filled - start)
}

/// Where the first line starting at or after `at` begins, if before `end`.
fn first_line_start(file: &File, mut at: u64, end: u64) -> std::io::Result<Option<u64>> {
    // The byte before tells whether `at` starts a line.
    at -= 1;
    let mut probe = [0u8; 4096];
    while at < end {
        let want = probe.len().min((end - at) as usize);
        let n = match file.read_at(&mut probe[..want], at) {
            Ok(0) => return Ok(None),
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        if let Some(nl) = memchr::memchr(b'\n', &probe[..n]) {
            let start = at + nl as u64 + 1;
            return Ok((start < end).then_some(start));
        }
        at += n as u64;
    }
    Ok(None)
}

/// The whole lines that start in `range`, into `buf` (a recycled buffer).
pub(crate) fn read_lines(
    file: &File,
    range: Range,
    size: u64,
    buf: &mut Vec<u8>,
) -> std::io::Result<()> {
    buf.clear();
    let begin = if range.first {
        range.start
    } else {
        match first_line_start(file, range.start, range.end)? {
            Some(begin) => begin,
            // No line starts in this range: an earlier block holds them.
            None => return Ok(()),
        }
    };
    let read = read_at(file, begin, (range.end - begin) as usize, buf)?;
    // The last line runs on past the range: read up to its end.
    let mut at = begin + read as u64;
    while buf.last() != Some(&b'\n') && at < size {
        let from = buf.len();
        let n = read_at(file, at, 1 << 16, buf)?;
        if n == 0 {
            break;
        }
        at += n as u64;
        if let Some(nl) = memchr::memchr(b'\n', &buf[from..]) {
            buf.truncate(from + nl + 1);
        }
    }
    Ok(())
}

/// Reads up to `want` more bytes onto `block`, fewer only at the end of the
/// input.
fn fill(reader: &mut dyn Read, block: &mut Vec<u8>, want: usize) -> std::io::Result<usize> {
    let start = block.len();
    block.resize(start + want, 0);
    let mut filled = start;
    let result = loop {
        match reader.read(&mut block[filled..]) {
            Ok(0) => break Ok(filled - start),
            Ok(n) => {
                filled += n;
                if filled == block.len() {
                    break Ok(filled - start);
                }
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => break Err(e),
        }
    };
    block.truncate(filled);
    result
}

/// Reads a stream into blocks of whole lines, numbered in input order, starting
/// with `rest` (what the header read left); buffers come back on `pool`.
/// Returns why the input ended early, if it did (a truncated gzip): its
/// complete lines are sent, the partial last one as a truncated block.
pub(crate) fn stream(
    reader: &mut dyn Read,
    rest: Vec<u8>,
    delim: u8,
    block_bytes: usize,
    blocks: &Sender<Block>,
    pool: &Receiver<Vec<u8>>,
    input: &str,
) -> Option<String> {
    let mut carry = rest;
    let mut index = 0u64;
    loop {
        // A block: the partial line left over, then up to block_bytes more.
        let mut block = pool
            .try_recv()
            .unwrap_or_else(|_| Vec::with_capacity(block_bytes + (1 << 16)));
        block.clear();
        block.append(&mut carry);
        let eof = match fill(reader, &mut block, block_bytes) {
            Ok(n) => n == 0,
            Err(e) => {
                let cut = last_record_end(&block, delim).unwrap_or(0);
                let partial = block.split_off(cut);
                let _ = blocks.send(Block::lines(index, block));
                if !partial.is_empty() {
                    let _ = blocks.send(Block::partial(index + 1, partial));
                }
                return Some(format!("{input}: {e}"));
            }
        };
        if eof {
            if !block.is_empty() {
                let _ = blocks.send(Block::lines(index, block));
            }
            return None;
        }
        // Cut after the last whole record: a quoted field may hold line breaks (B03).
        match last_record_end(&block, delim) {
            Some(end) => {
                carry = block.split_off(end);
                if blocks.send(Block::lines(index, block)).is_err() {
                    return None;
                }
                index += 1;
            }
            None => carry = block,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Ranges, read_lines};
    use proptest::prelude::*;

    proptest! {
        /// Whatever the block size, the blocks hold every line once, in order.
        #[test]
        fn blocks_hold_every_line_once(
            lines in proptest::collection::vec("[a-z,]{0,30}", 0..40),
            trailing_newline in any::<bool>(),
            block in 1u64..50,
        ) {
            let mut text = String::from("header\n");
            let start = text.len() as u64;
            text.push_str(&lines.join("\n"));
            if trailing_newline && !lines.is_empty() {
                text.push('\n');
            }
            let path = std::env::temp_dir().join(format!(
                "kobalt-blocks-{}-{:?}",
                std::process::id(),
                std::thread::current().id()
            ));
            std::fs::write(&path, &text).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let file = std::fs::File::open(&path).map_err(|e| TestCaseError::fail(e.to_string()))?;
            let size = text.len() as u64;
            let mut joined = Vec::new();
            let mut buf = Vec::new();
            for range in Ranges::new(start, size, block) {
                read_lines(&file, range, size, &mut buf).map_err(|e| TestCaseError::fail(e.to_string()))?;
                joined.extend_from_slice(&buf);
            }
            let _ = std::fs::remove_file(&path);
            prop_assert_eq!(String::from_utf8_lossy(&joined), &text[start as usize..]);
        }
    }
}
