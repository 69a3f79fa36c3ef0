//! An error and its causes on one line, the way every command prints a failure.
//!
//! Error types here put their cause in their own message (`cannot open store at …: <cause>`) and
//! also return it as `source()`, so a printer that joins every message of the chain says the
//! cause twice, and an engine whose message was already long (sled's `Read corrupted data at file
//! offset None backtrace ()`) doubles a whole line. [`chain`] is the one printer: a cause whose
//! message is already part of what was printed adds nothing and is left out.

use std::error::Error;

/// `e` and its sources joined with `: `, leaving out a source whose message is already contained
/// in the text so far (an error that shows its cause in its own message).
pub fn chain(e: &(dyn Error + 'static)) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        let m = c.to_string();
        if !m.is_empty() && !s.contains(&m) {
            s.push_str(": ");
            s.push_str(&m);
        }
        src = c.source();
    }
    s
}

#[cfg(test)]
mod tests {
    use super::chain;

    /// An error with a message and an optional cause.
    #[derive(Debug)]
    struct E(String, Option<Box<E>>);

    impl std::fmt::Display for E {
        fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
            f.write_str(&self.0)
        }
    }

    impl std::error::Error for E {
        fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
            self.1.as_deref().map(|e| e as _)
        }
    }

    fn e(msg: &str, cause: Option<E>) -> E {
        E(msg.into(), cause.map(Box::new))
    }

    #[test]
    fn a_cause_already_in_the_message_is_not_repeated() {
        let engine = "Read corrupted data at file offset None";
        let err = e(
            &format!("store I/O on feeds: {engine}"),
            Some(e(engine, None)),
        );
        assert_eq!(chain(&err), format!("store I/O on feeds: {engine}"));
    }

    #[test]
    fn causes_not_in_the_message_are_joined() {
        let err = e(
            "syncing feed acme",
            Some(e(
                "GET https://x/a.json",
                Some(e("connection refused", None)),
            )),
        );
        assert_eq!(
            chain(&err),
            "syncing feed acme: GET https://x/a.json: connection refused"
        );
    }

    #[test]
    fn a_cause_repeated_further_down_is_left_out() {
        // The outer error shows its cause's message; the cause's own cause is the same text
        // again (an opaque wrapper around the engine's error).
        let err = e(
            "cannot open store at /s: disk gone",
            Some(e("disk gone", Some(e("disk gone", None)))),
        );
        assert_eq!(chain(&err), "cannot open store at /s: disk gone");
    }

    #[test]
    fn a_single_error_is_its_message() {
        assert_eq!(chain(&e("no store at /s", None)), "no store at /s");
    }
}
