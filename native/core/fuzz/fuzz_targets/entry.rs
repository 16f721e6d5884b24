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

        // AFL++ persistent mode: `--cfg afl` plus AFL's runtime (see README.md). The two
        // signature strings tell afl-fuzz to use persistent mode and a deferred fork server.
        #[cfg(all(afl, not(fuzzing)))]
        fn main() {
            use std::io::Read;
            extern "C" {
                fn __afl_persistent_loop(max: u32) -> i32;
                fn __afl_manual_init();
            }
            #[used]
            static PERSISTENT_SIG: [u8; 23] = *b"##SIG_AFL_PERSISTENT##\0";
            #[used]
            static DEFER_SIG: [u8; 26] = *b"##SIG_AFL_DEFER_FORKSRV##\0";
            // SAFETY: AFL's runtime (linked in by the build flags) exports these with these C
            // signatures; they are called from the main thread only.
            unsafe { __afl_manual_init() };
            let mut data = Vec::new();
            // SAFETY: as above.
            while unsafe { __afl_persistent_loop(10_000) } != 0 {
                data.clear();
                if std::io::stdin().read_to_end(&mut data).is_ok() {
                    $run(&data);
                }
            }
        }

        #[cfg(not(any(fuzzing, afl)))]
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
