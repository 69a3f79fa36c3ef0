//! What the program must never do, whatever its input: leak a secret or another owner's systems,
//! follow a link off its feed's host, or panic on a hostile document.

mod extreme_numbers;
mod hostile_input;
pub(crate) mod leaks;
mod url_policy;
