//! Where the delimiters and line ends of a block are, 64 bytes at a time.
//!
//! Lab exports have a field every three or four bytes, so a byte loop
//! mispredicts a branch at most of them; this finds the separators of 64
//! bytes as two bit masks with vector compares and walks their bits instead.

use wide::u8x16;

/// A separator: its position, and whether it ends a line (else it is the delimiter).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Separator {
    pub at: usize,
    pub line_end: bool,
}

/// The positions of `delim` and `\n` in `data`, in order.
pub(crate) struct Separators<'a> {
    data: &'a [u8],
    delim: u8,
    /// Start of the chunk the masks belong to.
    chunk: usize,
    /// Separators of the chunk not yet returned (bit i: byte `chunk + i`).
    separators: u64,
    /// Line ends of the chunk.
    line_ends: u64,
}

impl<'a> Separators<'a> {
    pub(crate) fn new(data: &'a [u8], delim: u8) -> Separators<'a> {
        let mut s = Separators {
            data,
            delim,
            chunk: 0,
            separators: 0,
            line_ends: 0,
        };
        s.load(0);
        s
    }

    /// The masks of the 64 bytes at `at` (fewer at the end).
    #[inline]
    fn load(&mut self, at: usize) {
        let rest = self.data.get(at..).unwrap_or_default();
        let (delims, line_ends) = match rest.first_chunk::<64>() {
            Some(chunk) => masks(chunk, self.delim),
            None => {
                let mut chunk = [0u8; 64];
                chunk[..rest.len()].copy_from_slice(rest);
                let (d, l) = masks(&chunk, self.delim);
                // Padding bytes past the end are not separators (a zero delimiter would match them).
                let real = (1u64 << rest.len()) - 1;
                (d & real, l & real)
            }
        };
        self.chunk = at;
        self.separators = delims | line_ends;
        self.line_ends = line_ends;
    }
}

impl Iterator for Separators<'_> {
    type Item = Separator;

    #[inline]
    fn next(&mut self) -> Option<Separator> {
        while self.separators == 0 {
            let next = self.chunk + 64;
            if next >= self.data.len() {
                return None;
            }
            self.load(next);
        }
        let bit = self.separators.trailing_zeros();
        self.separators &= self.separators - 1;
        Some(Separator {
            at: self.chunk + bit as usize,
            line_end: self.line_ends >> bit & 1 != 0,
        })
    }
}

/// Whether `data` has a `\r` that is not followed by `\n`: a line end the
/// `csv` crate honours and the vector splitter does not.
pub(crate) fn has_lone_cr(data: &[u8]) -> bool {
    memchr::memchr_iter(b'\r', data).any(|at| data.get(at + 1) != Some(&b'\n'))
}

/// Where the last complete record of `data` ends (just past its `\n`),
/// reading as the `csv` crate does (RFC 4180): a quote opens a quoted field
/// only at the start of a field, `""` inside one is a quote, and a line end
/// inside one is part of the field. `data` starts at a record's start.
pub(crate) fn last_record_end(data: &[u8], delim: u8) -> Option<usize> {
    #[derive(Clone, Copy, PartialEq)]
    enum State {
        FieldStart,
        Unquoted,
        Quoted,
        QuoteInQuoted,
    }
    // Cuts are made at `\n` only: a `\r\n` is never split in two.
    if memchr::memchr(b'"', data).is_none() {
        return memchr::memrchr(b'\n', data).map(|at| at + 1);
    }
    let mut state = State::FieldStart;
    let mut last = None;
    for (at, &b) in data.iter().enumerate() {
        state = match (state, b) {
            (State::Quoted, b'"') => State::QuoteInQuoted,
            (State::Quoted, _) => State::Quoted,
            (State::QuoteInQuoted, b'"') | (State::FieldStart, b'"') => State::Quoted,
            (_, b'\n') => {
                last = Some(at + 1);
                State::FieldStart
            }
            (_, b'\r') => State::FieldStart,
            (_, b) if b == delim => State::FieldStart,
            _ => State::Unquoted,
        };
    }
    last
}

/// Bit masks of the bytes equal to `delim` and to `\n` in `chunk` (vector
/// compares: SSE2 on x86-64, NEON on ARM, plain code elsewhere).
#[inline]
fn masks(chunk: &[u8; 64], delim: u8) -> (u64, u64) {
    let (d, n) = (u8x16::splat(delim), u8x16::splat(b'\n'));
    let (mut delims, mut line_ends) = (0u64, 0u64);
    for (i, part) in chunk.chunks_exact(16).enumerate() {
        let v = u8x16::new(part.try_into().unwrap_or_default());
        delims |= u64::from(v.simd_eq(d).to_bitmask()) << (16 * i);
        line_ends |= u64::from(v.simd_eq(n).to_bitmask()) << (16 * i);
    }
    (delims, line_ends)
}

#[cfg(test)]
mod tests {
    use super::{Separator, Separators};
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn finds_exactly_the_delimiters_and_line_ends(
            data in proptest::collection::vec(prop_oneof![Just(b','), Just(b'\n'), Just(b';'), Just(0u8), Just(0x80u8), any::<u8>()], 0..300),
            delim in prop_oneof![Just(b','), Just(b';'), Just(b'\t'), Just(0u8), any::<u8>()],
        ) {
            let expected: Vec<Separator> = data
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == delim || **b == b'\n')
                .map(|(at, b)| Separator { at, line_end: *b == b'\n' })
                .collect();
            let found: Vec<Separator> = Separators::new(&data, delim).collect();
            prop_assert_eq!(found, expected);
        }
    }
}
