//! The duplicate-patient check, decided on the ids themselves (B26: two
//! different ids with one 64-bit hash were one patient).
//!
//! Exports are usually sorted by patient: while every id is greater than the
//! one before (shorter first, then bytewise), a repeat can only be the
//! previous id, and the ids are only kept. At the first id out of order they
//! go into hash sets, which take over for the rest of the file. A numeric id
//! (digits, no leading zero, at most 19) is its own key, exactly; any other is
//! kept whole and found by its hash, the bytes deciding.
//!
//! Memory per patient (ARCHITECTURE.md): sorted, 8 bytes for a numeric id and
//! the id's length + 16 for any other; unsorted, about 16 more (hash tables).

use std::hash::Hasher;

use rustc_hash::{FxHashMap, FxHashSet};

use crate::id_order;

/// An id's key: the id itself when it is a number, else its hash.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum IdKey {
    Number(u64),
    Hash(u64),
}

impl IdKey {
    #[inline]
    pub(crate) fn of(id: &[u8]) -> IdKey {
        let numeric = (1..=19).contains(&id.len())
            && (id.len() == 1 || id[0] != b'0')
            && id.iter().all(u8::is_ascii_digit);
        if numeric {
            IdKey::Number(id.iter().fold(0u64, |n, d| n * 10 + u64::from(d - b'0')))
        } else {
            let mut h = rustc_hash::FxHasher::default();
            h.write(id);
            IdKey::Hash(h.finish())
        }
    }
}

/// Ids one after the other.
#[derive(Default)]
pub(crate) struct Arena {
    bytes: Vec<u8>,
    ends: Vec<u64>,
}

impl Arena {
    fn push(&mut self, id: &[u8]) -> usize {
        self.bytes.extend_from_slice(id);
        self.ends.push(self.bytes.len() as u64);
        self.ends.len() - 1
    }

    fn get(&self, i: usize) -> &[u8] {
        let start = i.checked_sub(1).map_or(0, |p| self.ends[p]) as usize;
        &self.bytes[start..self.ends[i] as usize]
    }

    fn len(&self) -> usize {
        self.ends.len()
    }
}

/// The ids not numeric, found by hash and decided by their bytes.
#[derive(Default)]
pub(crate) struct Texts {
    arena: Arena,
    /// Hash → the first id with it.
    by_hash: FxHashMap<u64, usize>,
    /// Ids whose hash an earlier, different id has (rare).
    collided: FxHashSet<Box<[u8]>>,
}

impl Texts {
    /// False when the id was seen before.
    fn insert(&mut self, id: &[u8], hash: u64) -> bool {
        match self.by_hash.get(&hash) {
            None => {
                let i = self.arena.push(id);
                self.by_hash.insert(hash, i);
                true
            }
            Some(&i) if self.arena.get(i) == id => false,
            Some(_) => self.collided.insert(id.into()),
        }
    }
}

pub(crate) enum Seen {
    Sorted {
        last: Vec<u8>,
        numbers: Vec<u64>,
        /// Other ids, with their hashes (the keys the workers computed).
        texts: Arena,
        hashes: Vec<u64>,
    },
    Hashed {
        numbers: FxHashSet<u64>,
        texts: Texts,
    },
}

impl Seen {
    pub(crate) fn new(expected_rows: usize) -> Seen {
        Seen::Sorted {
            last: Vec::new(),
            numbers: Vec::with_capacity(expected_rows),
            texts: Arena::default(),
            hashes: Vec::new(),
        }
    }

    fn sorted_is_empty(numbers: &[u64], texts: &Arena) -> bool {
        numbers.is_empty() && texts.len() == 0
    }

    /// A block of ids in ascending order from `first` to `last_of_block`:
    /// kept at once when the ids so far are sorted and all below `first`;
    /// false (nothing done) otherwise.
    pub(crate) fn append_ascending<'i>(
        &mut self,
        first: &[u8],
        last_of_block: &[u8],
        block: impl Iterator<Item = (&'i [u8], IdKey)>,
    ) -> bool {
        match self {
            Seen::Sorted {
                last,
                numbers,
                texts,
                hashes,
            } if Self::sorted_is_empty(numbers, texts) || id_order(first, last).is_gt() => {
                for (id, key) in block {
                    match key {
                        IdKey::Number(n) => numbers.push(n),
                        IdKey::Hash(h) => {
                            texts.push(id);
                            hashes.push(h);
                        }
                    }
                }
                last.clear();
                last.extend_from_slice(last_of_block);
                true
            }
            _ => false,
        }
    }

    /// False when the patient was seen before.
    pub(crate) fn insert(&mut self, id: &[u8], key: IdKey) -> bool {
        if let Seen::Sorted {
            last,
            numbers,
            texts,
            hashes,
        } = self
        {
            match id_order(id, last) {
                std::cmp::Ordering::Greater => {
                    last.clear();
                    last.extend_from_slice(id);
                    match key {
                        IdKey::Number(n) => numbers.push(n),
                        IdKey::Hash(h) => {
                            texts.push(id);
                            hashes.push(h);
                        }
                    }
                    return true;
                }
                std::cmp::Ordering::Equal if !Self::sorted_is_empty(numbers, texts) => {
                    return false;
                }
                _ => self.switch_to_hashing(),
            }
        }
        match self {
            Seen::Hashed { numbers, texts } => match key {
                IdKey::Number(n) => numbers.insert(n),
                IdKey::Hash(h) => texts.insert(id, h),
            },
            // `switch_to_hashing` ran above.
            Seen::Sorted { .. } => true,
        }
    }

    /// The first id out of order: the ids kept so far go into hash sets.
    fn switch_to_hashing(&mut self) {
        let Seen::Sorted {
            numbers,
            texts,
            hashes,
            ..
        } = self
        else {
            return;
        };
        let mut set = FxHashSet::with_capacity_and_hasher(numbers.len() * 2, Default::default());
        set.extend(numbers.iter().copied());
        let mut hashed = Texts::default();
        for (i, h) in hashes.iter().enumerate() {
            hashed.insert(texts.get(i), *h);
        }
        *self = Seen::Hashed {
            numbers: set,
            texts: hashed,
        };
    }
}

#[cfg(test)]
mod tests {
    use super::{IdKey, Seen};

    /// B26: two different ids with one hash are two patients; the same id
    /// twice is one, in either mode.
    #[test]
    fn different_ids_with_one_hash_are_two_patients() {
        let same = IdKey::Hash(42);
        for sorted_first in [true, false] {
            let mut seen = Seen::new(0);
            if !sorted_first {
                // Out of order first: the hash sets decide from here on.
                assert!(seen.insert(b"zz", IdKey::of(b"zz")));
                assert!(seen.insert(b"aa", IdKey::of(b"aa")));
            }
            assert!(seen.insert(b"patient-a", same));
            assert!(seen.insert(b"patient-b", same), "a different id, same hash");
            assert!(!seen.insert(b"patient-b", same), "the same id again");
            assert!(
                seen.insert(b"patient-0", IdKey::of(b"patient-0")),
                "out of order"
            );
            assert!(!seen.insert(b"patient-a", same));
            assert!(seen.insert(b"patient-c", same));
            assert!(!seen.insert(b"patient-c", same));
        }
    }

    #[test]
    fn numeric_ids_are_their_own_keys() {
        assert_eq!(IdKey::of(b"123"), IdKey::Number(123));
        assert!(
            matches!(IdKey::of(b"0123"), IdKey::Hash(_)),
            "a leading zero is text"
        );
        assert!(matches!(IdKey::of(b"12345678901234567890"), IdKey::Hash(_)));
        let mut seen = Seen::new(0);
        for id in ["3", "1", "2", "0123", "123"] {
            assert!(seen.insert(id.as_bytes(), IdKey::of(id.as_bytes())), "{id}");
        }
        assert!(!seen.insert(b"0123", IdKey::of(b"0123")));
        assert!(!seen.insert(b"2", IdKey::of(b"2")));
    }
}
