//! Strings interned to dense `u32` ids, and the fast hash the resolver's maps use: identities are
//! compared by integers, and each distinct string is stored once.
//!
//! Invariant: ids are handed out densely in the order strings are first interned, so the ids (and
//! everything sorted by them) depend only on the input order, never on hashing or threads.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// FxHash: a fast multiplicative hash. The keys are normalised strings and the maps live for one
/// run; SipHash's resistance to chosen keys costs a third of the time at a million identities.
#[derive(Debug, Default, Clone, Copy)]
pub struct FxHasher {
    hash: u64,
}

impl FxHasher {
    fn add(&mut self, word: u64) {
        self.hash = (self.hash.rotate_left(5) ^ word).wrapping_mul(0x517c_c1b7_2722_0a95);
    }
}

impl Hasher for FxHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut chunks = bytes.chunks_exact(8);
        for c in &mut chunks {
            let mut w = [0u8; 8];
            w.copy_from_slice(c);
            self.add(u64::from_le_bytes(w));
        }
        let rest = chunks.remainder();
        if !rest.is_empty() {
            let mut w = [0u8; 8];
            w[..rest.len()].copy_from_slice(rest);
            self.add(u64::from_le_bytes(w));
        }
    }

    fn write_u8(&mut self, i: u8) {
        self.add(u64::from(i));
    }

    fn write_u32(&mut self, i: u32) {
        self.add(u64::from(i));
    }

    fn write_u64(&mut self, i: u64) {
        self.add(i);
    }

    fn write_usize(&mut self, i: usize) {
        self.add(i as u64);
    }

    fn finish(&self) -> u64 {
        self.hash
    }
}

/// A `HashMap` with [`FxHasher`].
pub type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FxHasher>>;

/// Strings interned to dense ids so pairs compare integers, not text. All the text lives in one
/// arena `String`; an id's text is the span between its end and the previous id's end, and the
/// lookup table is open addressing over ids: about 12 bytes per distinct string beyond its text,
/// where a map of owned strings costs near a hundred.
#[derive(Debug, Default)]
pub struct Interner {
    text: String,
    /// End offset in `text` of each id's string.
    ends: Vec<usize>,
    /// A power of two in length, at most half full.
    table: Vec<Slot>,
}

/// One slot of the lookup table: empty, or an id with its hash tag. The tag (the hash's high half)
/// spares comparing text on most probes, and holds the slot bits, so growing never reads the text
/// again. Packed as `id + 1` (0 for empty) beside the tag, so that a slot is 8 bytes: the table is
/// the largest part of an interner after its text. Read only through these methods.
#[derive(Debug, Clone, Copy)]
struct Slot {
    id_plus_one: u32,
    tag: u32,
}

impl Slot {
    const EMPTY: Slot = Slot {
        id_plus_one: 0,
        tag: 0,
    };

    fn holding(id: u32, tag: u32) -> Slot {
        Slot {
            id_plus_one: id + 1,
            tag,
        }
    }

    /// The id held, none for an empty slot.
    fn id(self) -> Option<u32> {
        self.id_plus_one.checked_sub(1)
    }

    fn is_empty(self) -> bool {
        self.id_plus_one == 0
    }
}

impl Interner {
    /// The id of `s`, if it was interned.
    pub fn find(&self, s: &str) -> Option<u32> {
        if self.table.is_empty() {
            return None;
        }
        self.probe(s, hash_str(s)).ok()
    }

    /// `Ok(id)` of `s`, or `Err(slot)`: the empty slot where it would go.
    fn probe(&self, s: &str, hash: u64) -> Result<u32, usize> {
        let mut pos = self.slot(hash);
        loop {
            let slot = self.table[pos];
            let Some(found) = slot.id() else {
                return Err(pos);
            };
            if slot.tag == tag_of(hash) && self.get(found) == s {
                return Ok(found);
            }
            pos = (pos + 1) & (self.table.len() - 1);
        }
    }

    /// The id of `s`, adding it if new.
    pub fn intern(&mut self, s: &str) -> u32 {
        if (self.ends.len() + 1) * 2 > self.table.len() {
            self.grow();
        }
        let hash = hash_str(s);
        let pos = match self.probe(s, hash) {
            Ok(id) => return id,
            Err(pos) => pos,
        };
        let id = self.ends.len() as u32;
        self.text.push_str(s);
        self.ends.push(self.text.len());
        self.table[pos] = Slot::holding(id, tag_of(hash));
        id
    }

    /// The text of an id handed out by [`Interner::intern`] (empty for any other).
    pub fn get(&self, id: u32) -> &str {
        let id = id as usize;
        let end = self.ends.get(id).copied().unwrap_or(0);
        let start = if id == 0 {
            0
        } else {
            self.ends.get(id - 1).copied().unwrap_or(end)
        };
        self.text.get(start..end).unwrap_or("")
    }

    /// How many distinct strings.
    pub fn len(&self) -> usize {
        self.ends.len()
    }

    pub fn is_empty(&self) -> bool {
        self.ends.is_empty()
    }

    /// The strings in id order.
    pub fn iter(&self) -> impl Iterator<Item = &str> {
        (0..self.ends.len() as u32).map(|id| self.get(id))
    }

    /// The first slot to probe for `s`: the high bits of its hash (the low bits of a
    /// multiplicative hash are weak).
    fn slot(&self, hash: u64) -> usize {
        self.slot_of_tag(tag_of(hash))
    }

    /// The slot bits are the tag's top bits (ids are `u32`, so the table never outgrows them).
    fn slot_of_tag(&self, tag: u32) -> usize {
        let bits = self.table.len().trailing_zeros();
        (u64::from(tag) >> (32 - bits)) as usize
    }

    fn grow(&mut self) {
        let size = (self.table.len() * 2).max(16);
        let old = std::mem::replace(&mut self.table, vec![Slot::EMPTY; size]);
        for slot in old.into_iter().filter(|slot| !slot.is_empty()) {
            let mut pos = self.slot_of_tag(slot.tag);
            while !self.table[pos].is_empty() {
                pos = (pos + 1) & (size - 1);
            }
            self.table[pos] = slot;
        }
    }
}

/// The tag kept per slot: the hash's high half.
fn tag_of(hash: u64) -> u32 {
    (hash >> 32) as u32
}

/// FxHash of the bytes and the length, mixed so that both halves depend on every byte (the slot
/// takes the high bits, the tag the low ones).
fn hash_str(s: &str) -> u64 {
    let mut h = FxHasher::default();
    h.write(s.as_bytes());
    h.write_usize(s.len());
    let mut x = h.finish();
    x ^= x >> 31;
    x = x.wrapping_mul(0x9e37_79b9_7f4a_7c15);
    x ^ (x >> 29)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interner_finds_every_string_after_growing_from_tags() {
        // The table grows from its stored tags without rereading text: every string keeps its id
        // across many growths, and absent strings are not found.
        let mut interner = Interner::default();
        let strings: Vec<String> = (0..20_000).map(|k| format!("h{k}x")).collect();
        for (k, s) in strings.iter().enumerate() {
            assert_eq!(interner.intern(s), k as u32);
        }
        for (k, s) in strings.iter().enumerate() {
            assert_eq!(interner.find(s), Some(k as u32));
            assert_eq!(interner.get(k as u32), s);
        }
        assert_eq!(interner.find("h20000x"), None);
        assert_eq!(Interner::default().find("a"), None);
    }

    #[test]
    fn interner_hands_out_dense_stable_ids_across_growth() {
        let mut i = Interner::default();
        let words: Vec<String> = (0..1000).map(|k| format!("w{k}")).collect();
        for (k, w) in words.iter().enumerate() {
            assert_eq!(i.intern(w), k as u32);
        }
        for (k, w) in words.iter().enumerate() {
            assert_eq!(i.intern(w), k as u32, "{w}");
            assert_eq!(i.get(k as u32), w);
        }
        assert_eq!(i.intern(""), 1000);
        assert_eq!(i.get(1000), "");
        assert_eq!(i.len(), 1001);
        assert_eq!(i.get(5000), "");
        assert_eq!(i.iter().nth(7), Some("w7"));
    }
}
