//! Runtime output without `core::fmt`: a fixed line buffer, `throw`, and the C API's
//! `rt_write`/`rt_print`.
//!
//! `Buf` never allocates and never fails: what does not fit in its 512 bytes is dropped, so a
//! runtime message can be built anywhere, including in a signal handler. Writes go straight to
//! the fd with `write(2)`, retried on EINTR and short writes.
use core::sync::atomic::AtomicPtr;
use core::sync::atomic::Ordering::Relaxed;

use crate::sys_linux;

pub const BUF_CAP: usize = 512;

pub struct Buf {
    data: [u8; BUF_CAP],
    len: usize,
}

impl Default for Buf {
    fn default() -> Self {
        Self::new()
    }
}

impl Buf {
    pub const fn new() -> Self {
        Buf {
            data: [0; BUF_CAP],
            len: 0,
        }
    }

    pub fn as_bytes(&self) -> &[u8] {
        &self.data[..self.len]
    }

    #[inline(never)]
    pub fn bytes(&mut self, s: &[u8]) -> &mut Self {
        let n = s.len().min(BUF_CAP - self.len);
        crate::mem::copy(&mut self.data[self.len..], &s[..n]);
        self.len += n;
        self
    }

    pub fn str(&mut self, s: &str) -> &mut Self {
        self.bytes(s.as_bytes())
    }

    pub fn byte(&mut self, c: u8) -> &mut Self {
        self.bytes(&[c])
    }

    /// Unsigned decimal.
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.digits(v, 10)
    }

    /// `v` in `base`, lower case, without a prefix.
    #[inline(never)]
    fn digits(&mut self, v: u64, base: u64) -> &mut Self {
        let mut tmp = [0u8; 20];
        let n = fmt_u64(v, base, false, &mut tmp);
        self.bytes(&tmp[20 - n..])
    }

    /// Signed decimal.
    pub fn i64(&mut self, v: i64) -> &mut Self {
        if v < 0 {
            self.byte(b'-');
        }
        self.u64(v.unsigned_abs())
    }

    /// `key` then `v` in decimal: one call where a trace line names a value.
    #[inline(never)]
    pub fn kv(&mut self, key: &str, v: u64) -> &mut Self {
        self.str(key).u64(v)
    }

    /// `key` then `v` in hexadecimal.
    #[inline(never)]
    pub fn kx(&mut self, key: &str, v: u64) -> &mut Self {
        self.str(key).hex(v)
    }

    /// `0x`-prefixed lower-case hexadecimal.
    pub fn hex(&mut self, v: u64) -> &mut Self {
        self.str("0x").digits(v, 16)
    }

    /// Nanoseconds as milliseconds with three decimals, the unit of Go's inittrace.
    pub fn ms(&mut self, ns: i64) -> &mut Self {
        // The microseconds' digits over a field of zeros, at least four of them: the last
        // three are the fraction.
        let mut tmp = [b'0'; 20];
        let n = fmt_u64(ns.max(0) as u64 / 1000, 10, false, &mut tmp).max(4);
        self.bytes(&tmp[20 - n..17]).byte(b'.').bytes(&tmp[17..])
    }

    /// Thousandths as a decimal: 1500 -> `1.5`, 2000 -> `2`.
    pub fn milli(&mut self, m: u64) -> &mut Self {
        self.u64(m / 1000);
        let mut frac = m % 1000;
        if frac != 0 {
            self.byte(b'.');
            let mut div = 100;
            while frac != 0 {
                self.byte(b'0' + (frac / div) as u8);
                frac %= div;
                div /= 10;
            }
        }
        self
    }

    /// A byte count in KiB.
    pub fn kib(&mut self, bytes: usize) -> &mut Self {
        self.u64((bytes >> 10) as u64).str(" KiB")
    }

    /// `[lo, hi)` in hexadecimal.
    pub fn range(&mut self, lo: usize, hi: usize) -> &mut Self {
        self.byte(b'[').hex(lo as u64).str(", ").hex(hi as u64).byte(b')')
    }

    pub fn flush(&mut self, fd: i32) {
        write_all(fd, self.as_bytes());
        self.len = 0;
    }
}

/// Formats `v` in `base` right-aligned into `out`; returns the number of digits used.
pub fn fmt_u64(mut v: u64, base: u64, upper: bool, out: &mut [u8; 20]) -> usize {
    let digits: &[u8; 16] = if upper {
        b"0123456789ABCDEF"
    } else {
        b"0123456789abcdef"
    };
    let mut i = out.len();
    loop {
        i -= 1;
        out[i] = digits[(v % base) as usize];
        v /= base;
        if v == 0 {
            return out.len() - i;
        }
    }
}

/// Writes all of `s`, retrying short writes and EINTR. Returns false on any other error.
pub fn write_all(fd: i32, s: &[u8]) -> bool {
    let mut off = 0;
    while off < s.len() {
        // SAFETY: `s[off..]` is a live slice, readable for its length.
        let n = unsafe { sys_linux::write(fd, s[off..].as_ptr(), s.len() - off) };
        if n == -sys_linux::EINTR {
            continue;
        }
        if n <= 0 {
            return false;
        }
        off += n as usize;
    }
    true
}

/// `write_all` for the program's own output (rt_write, rt_print, rt_printf): once goroutines
/// exist, `enable_ms` points this at the form that lets the P go while the thread is blocked
/// (syscall.rs). A pointer, so a program that starts no goroutine does not link that form.
pub static USER_WRITE: AtomicPtr<()> = AtomicPtr::new(write_all as *mut ());

/// Writes through `USER_WRITE`.
#[inline(always)]
pub fn user_write(fd: i32, s: &[u8]) -> bool {
    // SAFETY: USER_WRITE holds write_all or syscall::write_all_blocking, both of this type.
    let f: fn(i32, &[u8]) -> bool = unsafe { core::mem::transmute(USER_WRITE.load(Relaxed)) };
    f(fd, s)
}

/// Go's `throw`: `fatal error: msg` on stderr, the traceback from the caller, exit status 2.
#[cold]
pub fn throw(msg: &str) -> ! {
    Buf::new().str("fatal error: ").str(msg).byte(b'\n').flush(2);
    die()
}

/// How every fatal error that is not a signal ends, once its `fatal error:` line is out: the
/// traceback from the caller of the function this is inlined into, then exit status 2.
#[inline(always)]
pub fn die() -> ! {
    #[cfg(not(any(test, feature = "host")))]
    {
        let bp: usize;
        // SAFETY: reads the frame pointer only (the runtime keeps frame pointers).
        unsafe { core::arch::asm!("mov {}, rbp", out(reg) bp, options(nomem, nostack, preserves_flags)) };
        crate::traceback::fatal(0, bp, 0);
    }
    sys_linux::exit_group(2)
}

/// C API: writes all `n` bytes of `buf` to `fd`. Returns `n`, or -1 on error.
///
/// # Safety
/// `buf` must be readable for `n` bytes.
#[cfg(not(any(test, feature = "host")))]
#[no_mangle]
pub unsafe extern "C" fn rt_write(fd: i32, buf: *const u8, n: usize) -> isize {
    if n == 0 {
        return 0;
    }
    // SAFETY: the caller guarantees `buf` is readable for `n` bytes.
    let s = unsafe { core::slice::from_raw_parts(buf, n) };
    if user_write(fd, s) {
        n as isize
    } else {
        -1
    }
}

/// C API: writes the NUL-terminated string `s` to stdout. Returns its length, or -1.
///
/// # Safety
/// `s` must point to a NUL-terminated string.
#[cfg(not(any(test, feature = "host")))]
#[no_mangle]
pub unsafe extern "C" fn rt_print(s: *const u8) -> isize {
    // SAFETY: the caller guarantees a NUL-terminated string; strlen finds its end.
    unsafe { rt_write(1, s, crate::mem::strlen(s)) }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_and_ms() {
        let mut b = Buf::new();
        b.milli(1500)
            .byte(b' ')
            .milli(2000)
            .byte(b' ')
            .milli(1005)
            .byte(b' ')
            .u64(0)
            .byte(b' ')
            .i64(-42)
            .byte(b' ')
            .hex(0x401234)
            .byte(b' ')
            .ms(41_500)
            .byte(b' ')
            .ms(1_234_567_890);
        assert_eq!(b.as_bytes(), b"1.5 2 1.005 0 -42 0x401234 0.041 1234.567");
    }

    #[test]
    fn overflow_is_truncated_not_fatal() {
        let mut b = Buf::new();
        for _ in 0..100 {
            b.str("0123456789");
        }
        assert_eq!(b.as_bytes().len(), BUF_CAP);
    }
}
