#![cfg_attr(fuzzing, no_main)]
// Same entry point and invariants as tests/mutation.rs (harness::fuzz_capture).
#[path = "../../tests/harness/mod.rs"]
mod harness;
#[macro_use]
#[path = "entry.rs"]
mod entry;

fuzz_entry!(harness::fuzz_capture);
