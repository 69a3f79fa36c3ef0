//! A large JSON inventory's systems parsed while the first pass is still reading the file.
//!
//! The first pass over a JSON file (`load::parse_json`) checks the whole file's syntax on one core
//! and keeps each system as its text; the systems are nearly all of a generated estate's bytes.
//! Here each system's text is handed to the other cores as soon as the first pass has read it
//! ([`Handed`]), in batches of about [`BATCH_BYTES`], so they parse the systems read so far while
//! the first pass reads on; when it ends, the calling thread parses what is left beside them.
//!
//! The result is what parsing the texts after the first pass gives: the systems in file order,
//! and the error of the first system (in order) that does not parse. A syntax error anywhere is
//! the first pass's, as before, and what the other cores parsed is then dropped.
//!
//! How a system's text reaches the queue: serde drives the first pass, and a `Deserialize` impl
//! cannot be handed the queue, so [`Handed`] finds it in a thread-local that [`parse_systems`]
//! sets on the calling thread for the length of the first pass and takes away after it.

use std::cell::RefCell;
use std::collections::VecDeque;
use std::sync::{Arc, Condvar, Mutex, PoisonError};

use serde::{Deserialize, Deserializer};
use serde_json::value::RawValue;

use super::raw::RawSystem;

/// Bytes of system text per batch handed to a parsing thread.
pub(super) const BATCH_BYTES: usize = 256 << 10;

/// A system's byte range in the file's text.
type Span = (usize, usize);

/// Systems handed on, from the `first` system on (in file order).
struct Batch {
    first: usize,
    spans: Vec<Span>,
}

/// The batches not yet taken, and whether the first pass has ended (no more will come).
#[derive(Default)]
struct Queue {
    state: Mutex<(VecDeque<Batch>, bool)>,
    ready: Condvar,
}

impl Queue {
    fn push(&self, batch: Batch) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.0.push_back(batch);
        self.ready.notify_one();
    }

    /// No more batches come; the threads waiting for one stop once the queue is empty.
    fn close(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.1 = true;
        self.ready.notify_all();
    }

    /// Nothing more is parsed: the batches still queued are dropped.
    fn abandon(&self) {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        state.0.clear();
    }

    /// The next batch, waiting for one while the first pass runs; `None` once it has ended and
    /// every batch is taken.
    fn take(&self) -> Option<Batch> {
        let mut state = self.state.lock().unwrap_or_else(PoisonError::into_inner);
        loop {
            if let Some(b) = state.0.pop_front() {
                return Some(b);
            }
            if state.1 {
                return None;
            }
            state = self
                .ready
                .wait(state)
                .unwrap_or_else(PoisonError::into_inner);
        }
    }
}

/// The calling thread's end of the queue during the first pass.
struct Hand {
    /// The address of the text's first byte: a system's span is its text's offset from it.
    base: usize,
    queue: Arc<Queue>,
    /// The batch being gathered, of the systems from `first` on, `bytes` of text in all.
    batch: Vec<Span>,
    first: usize,
    bytes: usize,
}

impl Hand {
    fn hand(&mut self, system: &str) {
        let from = system.as_ptr() as usize - self.base;
        self.batch.push((from, from + system.len()));
        self.bytes += system.len();
        if self.bytes >= BATCH_BYTES {
            self.flush();
        }
    }

    fn flush(&mut self) {
        if self.batch.is_empty() {
            return;
        }
        let spans = std::mem::take(&mut self.batch);
        let first = self.first;
        (self.first, self.bytes) = (first + spans.len(), 0);
        self.queue.push(Batch { first, spans });
    }
}

thread_local! {
    /// Set by [`parse_systems`] on its calling thread while the first pass runs there.
    static HAND: RefCell<Option<Hand>> = const { RefCell::new(None) };
}

/// A system of the first pass: its text, read as raw JSON, is handed to the parsing threads
/// instead of kept. Only [`parse_systems`]'s first pass reads one.
pub(super) struct Handed;

impl<'de> Deserialize<'de> for Handed {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Handed, D::Error> {
        let raw = <&'de RawValue>::deserialize(d)?;
        HAND.with_borrow_mut(|hand| {
            hand.as_mut()
                .expect("a system is handed on only during parse_systems' first pass")
                .hand(raw.get());
        });
        Ok(Handed)
    }
}

/// A system that does not parse: its error and the span of its text.
pub(super) type SystemError = (serde_json::Error, Span);

/// Run `first_pass` over `text` on this thread, with every system it reads as a [`Handed`]
/// parsed on `threads − 1` other threads as it goes, then on this one too. When the first pass
/// succeeds: its result, and the systems in file order or the first one's error.
pub(super) fn parse_systems<T, E>(
    text: &str,
    threads: usize,
    first_pass: impl FnOnce() -> Result<T, E>,
) -> Result<(T, Result<Vec<RawSystem>, SystemError>), E> {
    let queue = Arc::new(Queue::default());
    let parse = |queue: &Queue| {
        let mut done: Vec<(usize, Vec<Result<RawSystem, SystemError>>)> = Vec::new();
        while let Some(batch) = queue.take() {
            let parsed = batch.spans.into_iter().map(|(from, to)| {
                serde_json::from_str::<RawSystem>(&text[from..to]).map_err(|e| (e, (from, to)))
            });
            done.push((batch.first, parsed.collect()));
        }
        done
    };
    std::thread::scope(|scope| {
        let others: Vec<_> = (1..threads.max(1))
            .map(|_| scope.spawn(|| parse(&queue)))
            .collect();
        let result = {
            // Ends the hand-off however the first pass ends (a panic too), so that the other
            // threads stop waiting for batches.
            let _guard = Installed::new(text, queue.clone());
            first_pass()
        };
        let mut done = match &result {
            Ok(_) => parse(&queue),
            Err(_) => {
                queue.abandon();
                Vec::new()
            }
        };
        for t in others {
            done.extend(t.join().unwrap_or_else(|p| std::panic::resume_unwind(p)));
        }
        let first = result?;
        done.sort_unstable_by_key(|(first, _)| *first);
        let systems = done.into_iter().flat_map(|(_, parsed)| parsed).collect();
        Ok((first, systems))
    })
}

/// The hand-off set up on this thread for the first pass; on drop, the last batch is queued and
/// the queue closed.
struct Installed(Arc<Queue>);

impl Installed {
    fn new(text: &str, queue: Arc<Queue>) -> Installed {
        HAND.set(Some(Hand {
            base: text.as_ptr() as usize,
            queue: queue.clone(),
            batch: Vec::new(),
            first: 0,
            bytes: 0,
        }));
        Installed(queue)
    }
}

impl Drop for Installed {
    fn drop(&mut self) {
        if let Some(mut hand) = HAND.take() {
            hand.flush();
        }
        self.0.close();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `n` systems' JSON, each padded to about `pad` bytes, as a `systems` array.
    fn systems(n: usize, pad: usize) -> String {
        let one = |i: usize| {
            format!(
                r#"{{"id":"s{i}","vendor":"V","model":"{}","owner":"o","firmware":"1.{i}"}}"#,
                "m".repeat(pad)
            )
        };
        format!("[{}]", (0..n).map(one).collect::<Vec<_>>().join(","))
    }

    #[test]
    fn systems_handed_on_come_back_in_file_order_on_any_number_of_threads() {
        let text = systems(300, 4_000);
        assert!(text.len() > 4 * BATCH_BYTES, "several batches");
        for threads in [1, 2, 3] {
            let (handed, parsed) = parse_systems(&text, threads, || {
                serde_json::from_str::<Vec<Handed>>(&text)
            })
            .unwrap();
            assert_eq!(handed.len(), 300);
            let ids: Vec<String> = parsed.unwrap().into_iter().map(|s| s.id).collect();
            let expected: Vec<String> = (0..300).map(|i| format!("s{i}")).collect();
            assert_eq!(ids, expected, "{threads} threads");
        }
    }

    #[test]
    fn the_first_failing_system_in_file_order_is_the_error() {
        let text = systems(300, 4_000)
            .replace(r#""id":"s250","#, r#""id":"s250","colour":1,"#)
            .replace(r#""id":"s40","#, r#""id":"s40","size":2,"#);
        let (_, parsed) =
            parse_systems(&text, 2, || serde_json::from_str::<Vec<Handed>>(&text)).unwrap();
        let (e, (from, to)) = parsed.unwrap_err();
        assert!(e.to_string().contains("unknown field `size`"), "{e}");
        assert!(text[from..to].contains(r#""id":"s40""#));
    }

    #[test]
    fn a_failed_or_panicking_first_pass_stops_the_other_threads() {
        let text = systems(300, 4_000);
        // A syntax error near the end: the systems before it were handed on already.
        let broken = format!("{}x", &text[..text.len() - 1]);
        let r = parse_systems(&broken, 2, || serde_json::from_str::<Vec<Handed>>(&broken));
        assert!(r.is_err());
        let panicked = std::panic::catch_unwind(|| {
            parse_systems(&text, 2, || -> Result<(), ()> {
                let _ = serde_json::from_str::<Vec<Handed>>(&text);
                panic!("in the first pass")
            })
        });
        assert!(
            panicked.is_err(),
            "the panic reaches the caller, no thread left waiting"
        );
        // The hand-off is gone from this thread with the pass.
        assert!(HAND.with_borrow(Option::is_none));
    }
}
