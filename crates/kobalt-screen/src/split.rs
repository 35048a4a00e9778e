//! Where the delimiters and line ends of a block are, eight bytes at a time.
//!
//! Lab exports have a field every three or four bytes, so a byte loop
//! mispredicts a branch at most of them; this finds the separators of a word
//! with a few arithmetic operations and walks its bits instead.

const ONES: u64 = u64::from_ne_bytes([0x01; 8]);
const LOW7: u64 = u64::from_ne_bytes([0x7f; 8]);

/// The high bit of every byte of `x` that is zero, and no other bit (the
/// exact form: no borrow runs from one byte into the next).
#[inline]
fn zero_bytes(x: u64) -> u64 {
    !(((x & LOW7) + LOW7) | x | LOW7)
}

/// The positions of `delim` and `\n` in `data`, in order.
pub(crate) struct Separators<'a> {
    data: &'a [u8],
    delim: u64,
    /// Start of the word `mask` belongs to.
    word: usize,
    /// Separators of the current word not yet returned (high bit of each byte).
    mask: u64,
}

impl<'a> Separators<'a> {
    pub(crate) fn new(data: &'a [u8], delim: u8) -> Separators<'a> {
        let mut s = Separators {
            data,
            delim: ONES * u64::from(delim),
            word: 0,
            mask: 0,
        };
        s.mask = s.word_mask(0);
        s
    }

    /// The separators of the eight bytes at `at` (fewer at the end).
    #[inline]
    fn word_mask(&self, at: usize) -> u64 {
        let rest = self.data.get(at..).unwrap_or_default();
        let (w, n) = match rest.first_chunk::<8>() {
            Some(word) => (u64::from_le_bytes(*word), 8),
            None => {
                let mut bytes = [0u8; 8];
                bytes[..rest.len()].copy_from_slice(rest);
                (u64::from_le_bytes(bytes), rest.len())
            }
        };
        let found = zero_bytes(w ^ self.delim) | zero_bytes(w ^ (ONES * u64::from(b'\n')));
        // Padding bytes past the end are not separators (a zero delimiter would match them).
        if n < 8 {
            found & ((1u64 << (n * 8)) - 1)
        } else {
            found
        }
    }
}

impl Iterator for Separators<'_> {
    type Item = usize;

    #[inline]
    fn next(&mut self) -> Option<usize> {
        while self.mask == 0 {
            self.word += 8;
            if self.word >= self.data.len() {
                return None;
            }
            self.mask = self.word_mask(self.word);
        }
        let at = self.word + (self.mask.trailing_zeros() / 8) as usize;
        self.mask &= self.mask - 1;
        Some(at)
    }
}

#[cfg(test)]
mod tests {
    use super::Separators;
    use proptest::prelude::*;

    proptest! {
        #[test]
        fn finds_exactly_the_delimiters_and_line_ends(
            data in proptest::collection::vec(prop_oneof![Just(b','), Just(b'\n'), Just(b';'), Just(0u8), Just(0x80u8), any::<u8>()], 0..200),
            delim in prop_oneof![Just(b','), Just(b';'), Just(b'\t'), Just(0u8), any::<u8>()],
        ) {
            let expected: Vec<usize> = data
                .iter()
                .enumerate()
                .filter(|(_, b)| **b == delim || **b == b'\n')
                .map(|(i, _)| i)
                .collect();
            let found: Vec<usize> = Separators::new(&data, delim).collect();
            prop_assert_eq!(found, expected);
        }
    }
}
