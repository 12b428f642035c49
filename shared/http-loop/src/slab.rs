//! A slab: connections in a `Vec`, addressed by index, with freed indexes reused.
//!
//! mio names each registered socket by a `Token` (a `usize`), and hands the token back with
//! every event. Using the index of the connection in a `Vec` as its token makes the lookup one
//! bounds-checked index. Freed indexes go on a free list and are reused first, so the `Vec`
//! never grows past the most connections ever open at once.
//!
//! Reuse has a trap: an answer computed on another thread for the connection at index 5 may
//! arrive after that connection closed and a *new* connection took index 5. Each entry
//! therefore carries a generation, bumped when the entry is freed, and a [`Key`] is an index
//! *and* a generation: a key from before the reuse no longer matches, and the stale answer is
//! dropped instead of being sent to a stranger.
//!
//! The generation is a `u64`. Freed indexes are reused last-freed-first, so under churn one
//! index can take nearly every new connection; a `u32` would wrap after 4 billion of them
//! (half a day at 100,000 connections a second on that slot), and a stale answer that waited
//! exactly that long would match again. A `u64` wraps after 584,000 years at a million a
//! second, and costs nothing: `Key` is 16 bytes either way, the `usize` index fixing its
//! alignment.

// The claim above, checked by the compiler.
#[cfg(target_pointer_width = "64")]
const _: () = assert!(std::mem::size_of::<Key>() == 16);

/// Names one entry: where it is and which occupant of that place it was.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    /// The index in the slab (and, offset, the mio token).
    pub index: usize,
    /// Which occupant of the index.
    pub generation: u64,
}

enum Entry<T> {
    Occupied { generation: u64, value: T },
    Vacant { generation: u64 },
}

/// A `Vec` of entries with a free list.
pub struct Slab<T> {
    entries: Vec<Entry<T>>,
    /// Indexes of vacant entries; the most recently freed is reused first.
    free: Vec<usize>,
    len: usize,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab {
            entries: Vec::new(),
            free: Vec::new(),
            len: 0,
        }
    }
}

impl<T> Slab<T> {
    /// The number of occupied entries.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no entry is occupied.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    // ANCHOR: insert
    /// Stores `value`, reusing a freed index if there is one.
    pub fn insert(&mut self, value: T) -> Key {
        self.len += 1;
        if let Some(index) = self.free.pop() {
            let generation = match self.entries[index] {
                Entry::Vacant { generation } => generation,
                Entry::Occupied { .. } => unreachable!("the free list holds vacant entries only"),
            };
            self.entries[index] = Entry::Occupied { generation, value };
            Key { index, generation }
        } else {
            self.entries.push(Entry::Occupied {
                generation: 0,
                value,
            });
            Key {
                index: self.entries.len() - 1,
                generation: 0,
            }
        }
    }
    // ANCHOR_END: insert

    /// The occupant of `index`, whatever its generation, with its key (for mio events, which
    /// name an index only).
    pub fn get_by_index(&mut self, index: usize) -> Option<(Key, &mut T)> {
        match self.entries.get_mut(index)? {
            Entry::Occupied { generation, value } => Some((
                Key {
                    index,
                    generation: *generation,
                },
                value,
            )),
            Entry::Vacant { .. } => None,
        }
    }

    // ANCHOR: generations
    /// The entry named by `key`, if it still holds the same occupant.
    pub fn get_mut(&mut self, key: Key) -> Option<&mut T> {
        match self.entries.get_mut(key.index)? {
            Entry::Occupied { generation, value } if *generation == key.generation => Some(value),
            _ => None,
        }
    }

    /// Removes and returns the entry named by `key`, freeing its index for reuse.
    pub fn remove(&mut self, key: Key) -> Option<T> {
        let entry = self.entries.get_mut(key.index)?;
        if !matches!(entry, Entry::Occupied { generation, .. } if *generation == key.generation) {
            return None;
        }
        let vacant = Entry::Vacant {
            generation: key.generation.wrapping_add(1),
        };
        let Entry::Occupied { value, .. } = std::mem::replace(entry, vacant) else {
            unreachable!("checked above");
        };
        self.free.push(key.index);
        self.len -= 1;
        Some(value)
    }
    // ANCHOR_END: generations

    /// The keys of every occupied entry.
    pub fn keys(&self) -> Vec<Key> {
        self.entries
            .iter()
            .enumerate()
            .filter_map(|(index, entry)| match entry {
                Entry::Occupied { generation, .. } => Some(Key {
                    index,
                    generation: *generation,
                }),
                Entry::Vacant { .. } => None,
            })
            .collect()
    }

    /// Removes every entry, returning them.
    pub fn drain(&mut self) -> Vec<T> {
        self.free.clear();
        self.len = 0;
        std::mem::take(&mut self.entries)
            .into_iter()
            .filter_map(|entry| match entry {
                Entry::Occupied { value, .. } => Some(value),
                Entry::Vacant { .. } => None,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_freed_index_is_reused_under_a_new_generation() {
        let mut slab = Slab::default();
        let first = slab.insert("first");
        assert_eq!(slab.remove(first), Some("first"));

        let second = slab.insert("second");
        assert_eq!(second.index, first.index, "the index is reused");
        assert_ne!(second, first, "but the key is not");
        assert_eq!(slab.get_mut(first), None, "a stale key finds nothing");
        assert_eq!(slab.get_mut(second), Some(&mut "second"));
        assert_eq!(
            slab.remove(first),
            None,
            "nor can it remove the new occupant"
        );
        assert_eq!(slab.len(), 1);
    }
}
