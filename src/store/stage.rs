//! A sync's staged advisories ([`Store::stage_advisories`](super::Store::stage_advisories)): one
//! unnamed file per feed in the store directory, written as the sync goes and read once by the
//! feed's commit.
//!
//! Why a file and not a tree of the database: a staged batch then takes no write transaction, so
//! one feed stages while another feed's commit holds the store; the commit reads the file in
//! order instead of ranging over a tree and deleting each record from it; and staging writes
//! nothing into the database file, which keeps no free pages from it. The file is created with
//! [`tempfile::tempfile_in`]: it has no name, so it is gone however the process ends — a crash
//! before the commit loses only what the next sync stages again, as before. A sync that fails drops
//! its stage at once ([`Store::discard_staged`](super::Store::discard_staged)). A full disk fails
//! the staging write, which fails the feed's sync; the store is untouched.
//!
//! Records, in the order staged: the key's length (u32 LE) and the key, the number of vendor keys
//! (u32 LE) and each as its length and bytes, then the value's length and the value, encoded as
//! `advisories` keeps it. The commit writes them in that order, so a later record of the same
//! advisory replaces an earlier one, as the commit's own advisories replace staged ones.
//!
//! The `stage` tree of older stores is no longer written; a feed's commit drops what an
//! unfinished sync of an earlier firmwatch left in it.

use std::collections::{BTreeSet, HashMap};
use std::fs::File;
use std::io::{BufReader, BufWriter, Read, Seek, Write};
use std::path::PathBuf;
use std::sync::{Mutex, PoisonError};

use super::layout::{check_of_feed, Encoded, EncodedAdvisory};
use super::{EngineError, StoreError};
use crate::model::FeedId;

/// The staged advisories of the feeds whose syncs are in progress on one open store.
#[derive(Debug)]
pub(super) struct Stages {
    dir: PathBuf,
    files: Mutex<HashMap<FeedId, File>>,
}

fn io(what: &str) -> impl FnOnce(std::io::Error) -> StoreError + '_ {
    move |e| StoreError::Io {
        what: what.to_string(),
        source: EngineError::new(e),
    }
}

impl Stages {
    /// Stages kept in the store directory `dir`.
    pub(super) fn new(dir: PathBuf) -> Stages {
        Stages {
            dir,
            files: Mutex::new(HashMap::new()),
        }
    }

    /// Append encoded advisories to the feed's stage; `first` starts it afresh (dropping what an
    /// unfinished sync left).
    pub(super) fn put(
        &self,
        feed: &FeedId,
        items: &[EncodedAdvisory],
        first: bool,
    ) -> Result<(), StoreError> {
        let what = format!("staged advisories of feed {feed}");
        check_of_feed(feed, items, &what)?;
        let held = self.lock().remove(feed);
        let mut file = match (held, first) {
            (Some(file), false) => file,
            (None, false) => {
                return Err(StoreError::Io {
                    what,
                    source: EngineError::new(std::io::Error::other(
                        "the batches staged before are gone",
                    )),
                })
            }
            (_, true) => tempfile::tempfile_in(&self.dir).map_err(io(&what))?,
        };
        // Not put back when a write fails: the sync fails with it, and the next one starts afresh.
        let mut w = BufWriter::new(&mut file);
        for item in items {
            write_record(&mut w, item).map_err(io(&what))?;
        }
        w.flush().map_err(io(&what))?;
        drop(w);
        self.lock().insert(feed.clone(), file);
        Ok(())
    }

    /// Take the feed's stage to read it from the start; an error if nothing was staged.
    pub(super) fn take(&self, feed: &FeedId) -> Result<Staged, StoreError> {
        let what = format!("staged advisories of feed {feed}");
        let Some(mut file) = self.lock().remove(feed) else {
            return Err(StoreError::Io {
                what,
                source: EngineError::new(std::io::Error::other(
                    "the commit expects staged advisories, and none were staged",
                )),
            });
        };
        file.rewind().map_err(io(&what))?;
        Ok(Staged {
            what,
            reader: BufReader::new(file),
        })
    }

    /// Drop the feed's stage (a sync that failed before its commit).
    pub(super) fn discard(&self, feed: &FeedId) {
        self.lock().remove(feed);
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<FeedId, File>> {
        self.files.lock().unwrap_or_else(PoisonError::into_inner)
    }
}

/// A feed's stage, read in order by its commit (the file goes when this does).
pub(super) struct Staged {
    what: String,
    reader: BufReader<File>,
}

impl Staged {
    /// The next records, up to `max_items` of them or until `max_bytes` of values are read;
    /// empty at the end.
    pub(super) fn next_batch(
        &mut self,
        max_items: usize,
        max_bytes: usize,
    ) -> Result<Encoded, StoreError> {
        let mut batch = Vec::new();
        let mut bytes = 0;
        while batch.len() < max_items && bytes < max_bytes {
            match read_record(&mut self.reader).map_err(io(&self.what))? {
                Some(item) => {
                    bytes += item.value.len();
                    batch.push(item);
                }
                None => break,
            }
        }
        Ok(batch)
    }
}

fn write_bytes(w: &mut impl Write, b: &[u8]) -> std::io::Result<()> {
    let len = u32::try_from(b.len()).map_err(std::io::Error::other)?;
    w.write_all(&len.to_le_bytes())?;
    w.write_all(b)
}

fn write_record(w: &mut impl Write, item: &EncodedAdvisory) -> std::io::Result<()> {
    write_bytes(w, item.key.as_bytes())?;
    let n = u32::try_from(item.vendors.len()).map_err(std::io::Error::other)?;
    w.write_all(&n.to_le_bytes())?;
    for v in &item.vendors {
        write_bytes(w, v.as_bytes())?;
    }
    write_bytes(w, &item.value)
}

/// A u32 LE; `None` at a clean end of the file.
fn read_len(r: &mut impl Read) -> std::io::Result<Option<usize>> {
    let mut b = [0u8; 4];
    let mut got = 0;
    while got < 4 {
        match r.read(&mut b[got..])? {
            0 if got == 0 => return Ok(None),
            0 => return Err(std::io::ErrorKind::UnexpectedEof.into()),
            n => got += n,
        }
    }
    Ok(Some(u32::from_le_bytes(b) as usize))
}

/// A u32 LE that must be there.
fn read_count(r: &mut impl Read) -> std::io::Result<usize> {
    read_len(r)?.ok_or_else(|| std::io::ErrorKind::UnexpectedEof.into())
}

/// `len` bytes.
fn read_n(r: &mut impl Read, len: usize) -> std::io::Result<Vec<u8>> {
    let mut b = vec![0u8; len];
    r.read_exact(&mut b)?;
    Ok(b)
}

fn utf8(b: Vec<u8>) -> std::io::Result<String> {
    String::from_utf8(b).map_err(std::io::Error::other)
}

fn read_record(r: &mut impl Read) -> std::io::Result<Option<EncodedAdvisory>> {
    let Some(len) = read_len(r)? else {
        return Ok(None);
    };
    let key = utf8(read_n(r, len)?)?;
    let vendors = (0..read_count(r)?)
        .map(|_| read_count(r).and_then(|n| read_n(r, n)).and_then(utf8))
        .collect::<std::io::Result<BTreeSet<String>>>()?;
    let value = read_count(r).and_then(|n| read_n(r, n))?;
    Ok(Some(EncodedAdvisory {
        key,
        value,
        vendors,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn item(key: &str, value: &[u8], vendors: &[&str]) -> EncodedAdvisory {
        EncodedAdvisory {
            key: key.to_string(),
            value: value.to_vec(),
            vendors: vendors.iter().map(|v| v.to_string()).collect(),
        }
    }

    #[test]
    fn batches_come_back_in_order_and_a_first_batch_starts_afresh() {
        let dir = tempfile::tempdir().unwrap();
        let stages = Stages::new(dir.path().to_path_buf());
        let f: FeedId = "f1".parse().unwrap();
        let g: FeedId = "f2".parse().unwrap();
        stages.put(&f, &[item("f1/OLD", b"x", &[])], true).unwrap();
        let a = item("f1/A", b"{\"a\":1}", &["dell", "netapp"]);
        let b = item("f1/B", &[7u8; 100_000], &["hpe"]);
        let c = item("f1/A", b"{\"a\":2}", &[]);
        stages.put(&f, std::slice::from_ref(&a), true).unwrap();
        stages.put(&g, &[item("f2/X", b"y", &[])], true).unwrap();
        stages.put(&f, &[b.clone(), c.clone()], false).unwrap();
        let mut staged = stages.take(&f).unwrap();
        // Batches end at the item count or once the byte budget is reached.
        assert_eq!(staged.next_batch(1, usize::MAX).unwrap(), vec![a]);
        assert_eq!(staged.next_batch(10, 50_000).unwrap(), vec![b]);
        assert_eq!(staged.next_batch(10, 50_000).unwrap(), vec![c]);
        assert!(staged.next_batch(10, 50_000).unwrap().is_empty());
        // Taken: a commit that expects a stage and finds none is an error, not an empty stage.
        let err = stages.take(&f).err().unwrap();
        assert!(err.to_string().contains("feed f1"), "{err}");
        let err = stages.put(&f, &[], false).unwrap_err();
        assert!(err.to_string().contains("gone"), "{err}");
        assert_eq!(
            stages.take(&g).unwrap().next_batch(10, 10).unwrap().len(),
            1
        );
        // A failed sync's stage is dropped.
        stages.put(&g, &[item("f2/Y", b"z", &[])], true).unwrap();
        stages.discard(&g);
        assert!(stages.take(&g).is_err());
        // The files have no names: nothing is left in the store directory.
        assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
    }

    #[test]
    fn an_advisory_of_another_feed_is_refused() {
        let dir = tempfile::tempdir().unwrap();
        let stages = Stages::new(dir.path().to_path_buf());
        let f: FeedId = "f1".parse().unwrap();
        for key in ["f2/X", "f10/X", "f1"] {
            let err = stages.put(&f, &[item(key, b"y", &[])], true).unwrap_err();
            assert!(err.to_string().contains(&format!("`{key}`")), "{err}");
        }
        stages.put(&f, &[item("f1/X", b"y", &[])], true).unwrap();
        assert_eq!(stages.take(&f).unwrap().next_batch(9, 99).unwrap().len(), 1);
    }

    #[test]
    fn a_record_cut_short_is_an_error() {
        let mut bytes = Vec::new();
        write_record(&mut bytes, &item("f1/A", b"value", &["dell"])).unwrap();
        for cut in 1..bytes.len() {
            let r = read_record(&mut &bytes[..cut]);
            assert!(r.is_err(), "cut at {cut}: {r:?}");
        }
        assert_eq!(
            read_record(&mut &bytes[..]).unwrap(),
            Some(item("f1/A", b"value", &["dell"]))
        );
    }
}
