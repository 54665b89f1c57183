//! rust_nostd.rs: a `#![no_std]` Rust object whose `main` the runtime calls.
//! Build: rustc --edition 2021 --crate-type lib --emit obj -C panic=abort -C opt-level=2 \
//!        -C relocation-model=static rust_nostd.rs -o rust_nostd.o
#![no_std]

extern "C" {
    fn rt_write(fd: i32, buf: *const u8, n: usize) -> isize;
    fn rt_goid() -> i64;
    fn rt_exit(code: i32) -> !;
}

fn print(s: &[u8]) {
    // SAFETY: s is a live slice; rt_write only reads it.
    unsafe { rt_write(1, s.as_ptr(), s.len()) };
}

#[no_mangle]
pub extern "C" fn main(_argc: i32, _argv: *const *const u8, _envp: *const *const u8) -> i32 {
    print(b"hello from no_std Rust on goroutine ");
    // SAFETY: the runtime is running; rt_goid reads the current goroutine.
    let id = unsafe { rt_goid() };
    print(&[b'0' + (id % 10) as u8, b'\n']);
    0
}

#[panic_handler]
fn panic(_: &core::panic::PanicInfo) -> ! {
    print(b"rust panic\n");
    // SAFETY: ends the process; nothing returns.
    unsafe { rt_exit(101) }
}
