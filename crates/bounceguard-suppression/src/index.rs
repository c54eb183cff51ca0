//! The in-memory suppression index: which normalised addresses are suppressed, and why.
//!
//! Each entry is one `u64`: the xxh3-64 hash of the normalised address with its lowest bit
//! replaced by the reason (0 = `BOUNCE`, 1 = `COMPLAINT`). Two hashes that differ only in that
//! bit are the same key, so the index compares 63 bits of the hash. The entries live in
//! `hashbrown::HashTable<u64>`s (8 bytes plus one control byte per bucket, no separate value),
//! split into [`SHARDS`] shards, each behind its own `RwLock` so that writers block only a
//! sixty-fourth of the readers and a growing table rehashes only its own shard.
//!
//! Measured (criterion bench `benches/index.rs`): see the crate's report in BENCHMARKS.md.
//!
//! **A hit means "probably suppressed".** With 10 M entries the chance that some address not
//! on the list shares its 63-bit key with one that is, is about 10⁷ / 2⁶³ ≈ 1e-12 per lookup;
//! the caller that must be exact confirms a hit against the store (the source of truth) by
//! the address itself. A miss is exact: an address whose entry was inserted is always found.
//!
//! Hand-written layout (the reason folded into the key, the shard split): no crate offers a
//! mutable, concurrent set of 64-bit keys with a one-bit payload in 9 bytes per bucket;
//! `hashbrown` does the hashing table itself.

use std::sync::{PoisonError, RwLock, RwLockReadGuard, RwLockWriteGuard};

use bounceguard_guard::SuppressionReason;
use hashbrown::HashTable;
use hashbrown::hash_table::Entry;

/// Number of shards (a power of two). Chosen from the low bits 1..=6 of the hash.
pub const SHARDS: usize = 64;

/// The key bit that carries the reason instead of the hash.
const REASON_BIT: u64 = 1;

/// The xxh3-64 hash of a normalised address: the key of [`SuppressionIndex`], and the integer
/// the store persists so that start-up loads integers only.
///
/// The caller passes the *normalised* address (bounceguard-guard's `normalize`); hashing an
/// address as typed would miss entries that differ only in the domain's case.
pub fn hash(normalised_address: &str) -> u64 {
    xxhash_rust::xxh3::xxh3_64(normalised_address.as_bytes())
}

/// Something the index can be keyed by: a hash from [`hash`] (as the store returns it), or a
/// normalised address, which is hashed with [`hash`].
pub trait IndexKey {
    /// The xxh3-64 hash this key stands for.
    fn index_hash(&self) -> u64;
}

impl IndexKey for u64 {
    fn index_hash(&self) -> u64 {
        *self
    }
}

impl IndexKey for &str {
    fn index_hash(&self) -> u64 {
        hash(self)
    }
}

impl IndexKey for &String {
    fn index_hash(&self) -> u64 {
        hash(self)
    }
}

/// The stored form: the hash with its lowest bit replaced by the reason.
fn entry_of(hash: u64, reason: SuppressionReason) -> u64 {
    let bit = match reason {
        SuppressionReason::Bounce => 0,
        SuppressionReason::Complaint => REASON_BIT,
    };
    (hash & !REASON_BIT) | bit
}

/// The reason stored in an entry.
fn reason_of(entry: u64) -> SuppressionReason {
    if entry & REASON_BIT == 0 {
        SuppressionReason::Bounce
    } else {
        SuppressionReason::Complaint
    }
}

/// Whether two hashes or entries are the same key (all bits but the reason bit agree).
fn same_key(a: u64, b: u64) -> bool {
    (a ^ b) & !REASON_BIT == 0
}

/// Which shard a hash lives in: bits 1..=6 (bit 0 is the reason).
fn shard_of(hash: u64) -> usize {
    // Masked to 6 bits before the cast, so nothing is truncated.
    ((hash >> 1) & (SHARDS as u64 - 1)) as usize
}

/// The hash hashbrown sees. hashbrown takes its bucket index from the low bits and its tag
/// from the top 7 bits, but within one shard bits 1..=6 are all equal, so the key is mixed
/// (a folded 64×64→128 multiply) to spread every bit over both ends.
fn table_hash(entry: u64) -> u64 {
    let product = u128::from(entry >> 1) * 0x9E37_79B9_7F4A_7C15_u128;
    // Folding the two halves is the point: truncation of each half is intended.
    (product as u64) ^ ((product >> 64) as u64)
}

/// The in-memory account suppression list: a thread-safe map from the xxh3-64 hash of a
/// normalised address to its [`SuppressionReason`]. All methods take `&self`.
pub struct SuppressionIndex {
    shards: Box<[RwLock<HashTable<u64>>]>,
}

impl Default for SuppressionIndex {
    fn default() -> Self {
        Self::new()
    }
}

impl std::fmt::Debug for SuppressionIndex {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SuppressionIndex")
            .field("len", &self.len())
            .field("heap_bytes", &self.heap_bytes())
            .finish()
    }
}

impl SuppressionIndex {
    /// An empty index.
    pub fn new() -> Self {
        Self::from_tables((0..SHARDS).map(|_| HashTable::new()).collect())
    }

    fn from_tables(tables: Vec<HashTable<u64>>) -> Self {
        Self {
            shards: tables.into_iter().map(RwLock::new).collect(),
        }
    }

    /// Builds an index from `(hash, reason)` pairs, as the store's start-up load yields them.
    /// A hash given twice keeps its last reason. The shards are filled on up to
    /// `available_parallelism` threads; the call blocks (about 0.2 s for 10 M entries, see the
    /// bench), so async code runs it in `spawn_blocking`.
    pub fn build<I>(entries: I) -> Self
    where
        I: IntoIterator<Item = (u64, SuppressionReason)>,
    {
        let entries = entries.into_iter();
        let per_shard = entries.size_hint().0 / SHARDS;
        let mut buckets: Vec<Vec<u64>> = (0..SHARDS)
            .map(|_| Vec::with_capacity(per_shard + per_shard / 16))
            .collect();
        for (hash, reason) in entries {
            if let Some(bucket) = buckets.get_mut(shard_of(hash)) {
                bucket.push(entry_of(hash, reason));
            }
        }
        let threads = std::thread::available_parallelism()
            .map_or(1, usize::from)
            .clamp(1, SHARDS);
        let mut tables: Vec<HashTable<u64>> = Vec::with_capacity(SHARDS);
        if threads == 1 {
            tables.extend(buckets.into_iter().map(table_from));
        } else {
            let chunk = SHARDS.div_ceil(threads);
            let mut groups: Vec<Vec<Vec<u64>>> = Vec::with_capacity(threads);
            let mut buckets = buckets.into_iter();
            loop {
                let group: Vec<Vec<u64>> = buckets.by_ref().take(chunk).collect();
                if group.is_empty() {
                    break;
                }
                groups.push(group);
            }
            std::thread::scope(|scope| {
                let handles: Vec<_> = groups
                    .into_iter()
                    .map(|group| {
                        scope.spawn(move || group.into_iter().map(table_from).collect::<Vec<_>>())
                    })
                    .collect();
                for handle in handles {
                    match handle.join() {
                        Ok(part) => tables.extend(part),
                        Err(panic) => std::panic::resume_unwind(panic),
                    }
                }
            });
        }
        Self::from_tables(tables)
    }

    fn read(&self, hash: u64) -> Option<RwLockReadGuard<'_, HashTable<u64>>> {
        // A panic cannot leave a table half-changed (no caller code runs under the lock), so
        // a poisoned lock is still sound to use.
        self.shards
            .get(shard_of(hash))
            .map(|lock| lock.read().unwrap_or_else(PoisonError::into_inner))
    }

    fn write(&self, hash: u64) -> Option<RwLockWriteGuard<'_, HashTable<u64>>> {
        self.shards
            .get(shard_of(hash))
            .map(|lock| lock.write().unwrap_or_else(PoisonError::into_inner))
    }

    /// Why `key` is suppressed, if its hash is on the list ("probably suppressed": see the
    /// module docs; the store confirms).
    pub fn lookup(&self, key: impl IndexKey) -> Option<SuppressionReason> {
        let hash = key.index_hash();
        let table = self.read(hash)?;
        table
            .find(table_hash(hash), |&e| same_key(e, hash))
            .map(|&e| reason_of(e))
    }

    /// Puts `key` on the list with `reason` (or changes its reason); returns the reason it had.
    pub fn insert(
        &self,
        key: impl IndexKey,
        reason: SuppressionReason,
    ) -> Option<SuppressionReason> {
        let hash = key.index_hash();
        let mut table = self.write(hash)?;
        let entry = entry_of(hash, reason);
        match table.entry(table_hash(hash), |&e| same_key(e, hash), |&e| table_hash(e)) {
            Entry::Occupied(mut occupied) => {
                let old = reason_of(*occupied.get());
                *occupied.get_mut() = entry;
                Some(old)
            }
            Entry::Vacant(vacant) => {
                vacant.insert(entry);
                None
            }
        }
    }

    /// Takes `key` off the list; returns the reason it had, if it was there.
    pub fn remove(&self, key: impl IndexKey) -> Option<SuppressionReason> {
        let hash = key.index_hash();
        let mut table = self.write(hash)?;
        match table.find_entry(table_hash(hash), |&e| same_key(e, hash)) {
            Ok(occupied) => Some(reason_of(occupied.remove().0)),
            Err(_) => None,
        }
    }

    /// Inserts every `(hash, reason)` pair (later pairs win), e.g. a batch of changes.
    pub fn extend<I>(&self, entries: I)
    where
        I: IntoIterator<Item = (u64, SuppressionReason)>,
    {
        for (hash, reason) in entries {
            self.insert(hash, reason);
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.shards
            .iter()
            .map(|lock| lock.read().unwrap_or_else(PoisonError::into_inner).len())
            .sum()
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Bytes the tables hold on the heap (buckets and control bytes; the shard array and
    /// locks add about 4 KiB).
    pub fn heap_bytes(&self) -> usize {
        let tables: usize = self
            .shards
            .iter()
            .map(|lock| {
                lock.read()
                    .unwrap_or_else(PoisonError::into_inner)
                    .allocation_size()
            })
            .sum();
        tables + self.shards.len() * std::mem::size_of::<RwLock<HashTable<u64>>>()
    }

    /// Every `(hash, reason)` pair, in no particular order (the hash's lowest bit is 0: it is
    /// the bit the reason replaces). For checks and export of the index itself.
    pub fn entries(&self) -> Vec<(u64, SuppressionReason)> {
        let mut out = Vec::with_capacity(self.len());
        for lock in self.shards.iter() {
            let table = lock.read().unwrap_or_else(PoisonError::into_inner);
            out.extend(table.iter().map(|&e| (e & !REASON_BIT, reason_of(e))));
        }
        out
    }
}

/// One shard's table, sized for its entries (a repeated key keeps its last reason).
fn table_from(entries: Vec<u64>) -> HashTable<u64> {
    let mut table = HashTable::with_capacity(entries.len());
    for entry in entries {
        match table.entry(
            table_hash(entry),
            |&e| same_key(e, entry),
            |&e| table_hash(e),
        ) {
            Entry::Occupied(mut occupied) => *occupied.get_mut() = entry,
            Entry::Vacant(vacant) => {
                vacant.insert(entry);
            }
        }
    }
    table
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;
    use SuppressionReason::{Bounce, Complaint};

    #[test]
    fn hash_is_xxh3_64_of_the_bytes() {
        // Reference value of XXH3_64bits("") from the xxHash project's test vectors.
        assert_eq!(hash(""), 0x2D06_8005_38D3_94C2);
        assert_ne!(hash("ann@example.org"), hash("Ann@example.org"));
    }

    #[test]
    fn insert_lookup_remove_by_address_and_by_hash() {
        let index = SuppressionIndex::new();
        assert!(index.is_empty());
        assert_eq!(index.insert("ann@example.org", Bounce), None);
        assert_eq!(index.lookup("ann@example.org"), Some(Bounce));
        assert_eq!(index.lookup(hash("ann@example.org")), Some(Bounce));
        assert_eq!(index.lookup("bob@example.org"), None);
        // Changing the reason answers the old one and keeps a single entry.
        assert_eq!(
            index.insert(hash("ann@example.org"), Complaint),
            Some(Bounce)
        );
        assert_eq!(index.lookup("ann@example.org"), Some(Complaint));
        assert_eq!(index.len(), 1);
        assert_eq!(index.remove("bob@example.org"), None);
        assert_eq!(
            index.remove(&"ann@example.org".to_string()),
            Some(Complaint)
        );
        assert_eq!(index.lookup("ann@example.org"), None);
        assert_eq!(index.len(), 0);
    }

    #[test]
    fn the_reason_bit_is_not_part_of_the_key() {
        let index = SuppressionIndex::new();
        index.insert(0xABCD_0000_0000_0010, Complaint);
        // The same hash with bit 0 set is the same key; bit 1 is not.
        assert_eq!(index.lookup(0xABCD_0000_0000_0011), Some(Complaint));
        assert_eq!(index.lookup(0xABCD_0000_0000_0012), None);
        assert_eq!(index.entries(), vec![(0xABCD_0000_0000_0010, Complaint)]);
    }

    #[test]
    fn build_keeps_the_last_reason_of_a_repeated_hash() {
        let pairs: Vec<(u64, SuppressionReason)> = (0..10_000u64)
            .map(|i| (i.wrapping_mul(0x9E37_79B9_7F4A_7C15) & !1, Bounce))
            .chain([(0, Complaint)])
            .collect();
        let index = SuppressionIndex::build(pairs.clone());
        assert_eq!(index.len(), 10_000);
        assert_eq!(index.lookup(0u64), Some(Complaint));
        for &(h, _) in &pairs[1..10_000] {
            assert_eq!(index.lookup(h), Some(Bounce), "{h:#x}");
        }
        assert_eq!(index.lookup(2u64), None);
    }

    #[test]
    fn heap_bytes_per_entry_is_small_at_100k() {
        let index =
            SuppressionIndex::build((0..100_000u64).map(|i| (hash(&i.to_string()), Bounce)));
        assert_eq!(index.len(), 100_000);
        let per_entry = index.heap_bytes() as f64 / 100_000.0;
        // 9 bytes per bucket at a load between 7/16 and 7/8 gives 10.3–20.6 bytes per entry.
        assert!((10.0..=21.0).contains(&per_entry), "{per_entry}");
    }

    #[test]
    fn concurrent_writers_and_readers_agree() {
        let index = SuppressionIndex::new();
        std::thread::scope(|scope| {
            for t in 0..4u64 {
                let index = &index;
                scope.spawn(move || {
                    for i in 0..5_000u64 {
                        let h = hash(&format!("{t}-{i}@x.test"));
                        index.insert(h, if i % 2 == 0 { Bounce } else { Complaint });
                        assert!(index.lookup(h).is_some());
                    }
                });
            }
        });
        assert_eq!(index.len(), 20_000);
        assert_eq!(index.lookup("3-4999@x.test"), Some(Complaint));
        assert_eq!(index.lookup("0-0@x.test"), Some(Bounce));
    }
}
