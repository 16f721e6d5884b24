//! The glue every target shares. Built with `--cfg fuzzing` (run.sh, or cargo-fuzz), the target
//! exports `LLVMFuzzerTestOneInput` for libFuzzer's `main`; built without it, it is a plain
//! program that runs the target on each file named on the command line (or on stdin): that
//! replays a crash file, and is what AFL++ drives.

#[macro_export]
macro_rules! fuzz_entry {
    ($run:path) => {
        #[cfg(fuzzing)]
        #[no_mangle]
        pub extern "C" fn LLVMFuzzerTestOneInput(data: *const u8, size: usize) -> i32 {
            let bytes: &[u8] = if data.is_null() || size == 0 {
                &[]
            } else {
                // SAFETY: libFuzzer passes a buffer of `size` readable bytes that it keeps alive
                // and unchanged for the duration of this call; it is not null here.
                unsafe { std::slice::from_raw_parts(data, size) }
            };
            $run(bytes);
            0
        }

        #[cfg(not(fuzzing))]
        fn main() {
            use std::io::Read;
            let args: Vec<String> = std::env::args().skip(1).collect();
            if args.is_empty() {
                let mut data = Vec::new();
                std::io::stdin().read_to_end(&mut data).expect("read stdin");
                $run(&data);
            }
            for a in args {
                let data = std::fs::read(&a).expect("read input file");
                $run(&data);
                println!("ok: {}", a);
            }
        }
    };
}
