//! `rt_printf`/`rt_vprintf`: a small printf for programs without libc.
//!
//! Conversions: `%d %i %u %x %X %p %s %c %%`, with flags `-` and `0`, a field width, a
//! precision (digits for integers, bytes for `%s`), and the length modifiers `hh h l ll z j t`.
//! No floating point. Arguments come through a System V `va_list`, which `rt_printf` (asm)
//! builds over its register save area and the caller's stack, so both entry points share one
//! formatter. Output is buffered and written to fd 1 when the buffer fills and at the end;
//! the return value is the number of bytes produced.
use crate::print::fmt_u64;
#[cfg(not(any(test, feature = "host")))]
use crate::print::user_write;

/// The System V x86-64 `va_list` (one element of the array type `va_list` is).
#[repr(C)]
pub struct VaList {
    pub gp_offset: u32,
    pub fp_offset: u32,
    pub overflow_arg_area: *mut u64,
    pub reg_save_area: *mut u8,
}

impl VaList {
    /// The next integer-class argument.
    ///
    /// # Safety
    /// The va_list must be live and the format must match the arguments passed.
    unsafe fn next(&mut self) -> u64 {
        // SAFETY: the save area holds 6 integer registers (48 bytes); past them the
        // arguments are consecutive 8-byte slots in the overflow area.
        unsafe {
            if self.gp_offset < 48 {
                let v = *(self.reg_save_area.add(self.gp_offset as usize) as *const u64);
                self.gp_offset += 8;
                v
            } else {
                let v = *self.overflow_arg_area;
                self.overflow_arg_area = self.overflow_arg_area.add(1);
                v
            }
        }
    }
}

/// Where formatted bytes go.
pub trait Sink {
    fn put(&mut self, s: &[u8]);
}

/// Buffers output for fd 1.
#[cfg(not(any(test, feature = "host")))]
struct Stdout {
    buf: [u8; 256],
    len: usize,
}

#[cfg(not(any(test, feature = "host")))]
impl Sink for Stdout {
    fn put(&mut self, s: &[u8]) {
        if self.len + s.len() > self.buf.len() {
            self.flush();
            if s.len() > self.buf.len() {
                user_write(1, s);
                return;
            }
        }
        crate::mem::copy(&mut self.buf[self.len..], s);
        self.len += s.len();
    }
}

#[cfg(not(any(test, feature = "host")))]
impl Stdout {
    fn flush(&mut self) {
        user_write(1, &self.buf[..self.len]);
        self.len = 0;
    }
}

/// Counts what passes through to the sink.
struct Counter<'a, S: Sink> {
    sink: &'a mut S,
    n: usize,
}

impl<S: Sink> Counter<'_, S> {
    fn put(&mut self, s: &[u8]) {
        self.n += s.len();
        self.sink.put(s);
    }

    fn pad(&mut self, c: u8, n: usize) {
        for _ in 0..n {
            self.put(&[c]);
        }
    }
}

#[derive(Default)]
struct Spec {
    left: bool,
    zero: bool,
    width: usize,
    prec: Option<usize>,
}

/// Formats `fmt` with arguments from `ap` into `sink`; returns the bytes produced.
///
/// # Safety
/// `fmt` must be NUL-terminated and the arguments in `ap` must match its conversions (`%s`
/// arguments NUL-terminated or null).
pub unsafe fn format<S: Sink>(sink: &mut S, fmt: *const u8, ap: &mut VaList) -> usize {
    let mut out = Counter { sink, n: 0 };
    // SAFETY: fmt is NUL-terminated (the caller's guarantee).
    let f = unsafe { crate::runtime1::cstr_bytes(fmt) };
    let mut i = 0;
    while i < f.len() {
        let lit = f[i..].iter().position(|&c| c == b'%').unwrap_or(f.len() - i);
        out.put(&f[i..i + lit]);
        i += lit + 1;
        if i > f.len() {
            break;
        }
        let mut sp = Spec::default();
        while i < f.len() && (f[i] == b'-' || f[i] == b'0') {
            sp.left |= f[i] == b'-';
            sp.zero |= f[i] == b'0';
            i += 1;
        }
        while i < f.len() && f[i].is_ascii_digit() {
            sp.width = sp.width * 10 + usize::from(f[i] - b'0');
            i += 1;
        }
        if i < f.len() && f[i] == b'.' {
            i += 1;
            let mut p = 0;
            while i < f.len() && f[i].is_ascii_digit() {
                p = p * 10 + usize::from(f[i] - b'0');
                i += 1;
            }
            sp.prec = Some(p);
        }
        let mut bits = 32;
        while i < f.len() && matches!(f[i], b'h' | b'l' | b'z' | b'j' | b't') {
            bits = match f[i] {
                b'h' if bits == 16 => 8,
                b'h' => 16,
                _ => 64,
            };
            i += 1;
        }
        let Some(&conv) = f.get(i) else { break };
        i += 1;
        let takes_arg = matches!(conv, b'd' | b'i' | b'u' | b'x' | b'X' | b'p' | b'c' | b's');
        // SAFETY: the argument's class matches the conversion (the caller's guarantee).
        let raw = if takes_arg { unsafe { ap.next() } } else { 0 };
        match conv {
            b'd' | b'i' => {
                let v = sign_extend(raw, bits);
                integer(
                    &mut out,
                    &sp,
                    v.unsigned_abs(),
                    10,
                    false,
                    if v < 0 { b"-" } else { b"" },
                );
            }
            b'u' => integer(&mut out, &sp, truncate(raw, bits), 10, false, b""),
            b'x' => integer(&mut out, &sp, truncate(raw, bits), 16, false, b""),
            b'X' => integer(&mut out, &sp, truncate(raw, bits), 16, true, b""),
            b'p' if raw == 0 => field(&mut out, &sp, b"(nil)"),
            b'p' => integer(&mut out, &sp, raw, 16, false, b"0x"),
            b'c' => field(&mut out, &sp, &[raw as u8]),
            b's' => {
                let s: &[u8] = if raw == 0 {
                    b"(null)"
                } else {
                    // SAFETY: %s arguments are NUL-terminated strings.
                    unsafe { crate::runtime1::cstr_bytes(raw as *const u8) }
                };
                field(&mut out, &sp, &s[..sp.prec.unwrap_or(s.len()).min(s.len())]);
            }
            b'%' => out.put(b"%"),
            other => out.put(&[b'%', other]),
        }
    }
    out.n
}

fn sign_extend(v: u64, bits: u32) -> i64 {
    let shift = 64 - bits;
    ((v << shift) as i64) >> shift
}

fn truncate(v: u64, bits: u32) -> u64 {
    if bits == 64 {
        v
    } else {
        v & ((1u64 << bits) - 1)
    }
}

fn field<S: Sink>(out: &mut Counter<'_, S>, sp: &Spec, s: &[u8]) {
    let pad = sp.width.saturating_sub(s.len());
    if !sp.left {
        out.pad(b' ', pad);
    }
    out.put(s);
    if sp.left {
        out.pad(b' ', pad);
    }
}

fn integer<S: Sink>(out: &mut Counter<'_, S>, sp: &Spec, v: u64, base: u64, upper: bool, prefix: &[u8]) {
    let mut tmp = [0u8; 20];
    let mut n = fmt_u64(v, base, upper, &mut tmp);
    if sp.prec == Some(0) && v == 0 {
        n = 0;
    }
    let digits = &tmp[20 - n..];
    let zeros = sp.prec.map_or(0, |p| p.saturating_sub(n));
    let len = prefix.len() + zeros + n;
    let pad = sp.width.saturating_sub(len);
    let zero_pad = sp.zero && !sp.left && sp.prec.is_none();
    if !sp.left && !zero_pad {
        out.pad(b' ', pad);
    }
    out.put(prefix);
    out.pad(b'0', zeros + if zero_pad { pad } else { 0 });
    out.put(digits);
    if sp.left {
        out.pad(b' ', pad);
    }
}

/// C API: `vprintf` to stdout.
///
/// # Safety
/// As for [`format`].
#[cfg(not(any(test, feature = "host")))]
#[no_mangle]
pub unsafe extern "C" fn rt_vprintf(fmt: *const u8, ap: *mut VaList) -> i32 {
    let mut out = Stdout { buf: [0; 256], len: 0 };
    // SAFETY: forwarded to the caller's guarantee; ap is a live va_list.
    let n = unsafe { format(&mut out, fmt, &mut *ap) };
    out.flush();
    n as i32
}

#[cfg(test)]
mod tests {
    use super::*;

    impl Sink for Vec<u8> {
        fn put(&mut self, s: &[u8]) {
            self.extend_from_slice(s);
        }
    }

    /// Formats with `args` laid out as rt_printf's va_list would be (5 in registers after
    /// fmt, the rest on the "stack").
    fn fmt(f: &str, args: &[u64]) -> String {
        let mut regs = [0u64; 6];
        let k = args.len().min(5);
        regs[1..1 + k].copy_from_slice(&args[..k]);
        let mut stack: Vec<u64> = args[k..].to_vec();
        stack.push(0);
        let mut ap = VaList {
            gp_offset: 8,
            fp_offset: 176,
            overflow_arg_area: stack.as_mut_ptr(),
            reg_save_area: regs.as_mut_ptr() as *mut u8,
        };
        let cf = std::ffi::CString::new(f).unwrap();
        let mut out = Vec::new();
        // SAFETY: args match the conversions in every test below.
        let n = unsafe { format(&mut out, cf.as_ptr() as *const u8, &mut ap) };
        assert_eq!(n, out.len());
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn integers() {
        assert_eq!(
            fmt("%d %i %u", &[(-5i64) as u64, 7, u32::MAX as u64]),
            "-5 7 4294967295"
        );
        assert_eq!(fmt("%d", &[0xffff_ffff]), "-1");
        assert_eq!(
            fmt("%ld %lld %zu", &[(-5i64) as u64, i64::MIN as u64, u64::MAX]),
            "-5 -9223372036854775808 18446744073709551615"
        );
        assert_eq!(fmt("%x %X %lx", &[255, 255, 0xdead_beef_cafe]), "ff FF deadbeefcafe");
        assert_eq!(fmt("%hhd %hu", &[0x1ff, 0x1_0001]), "-1 1");
        assert_eq!(
            fmt("[%5d|%-5d|%05d|%.3d|%8.3x]", &[42, 42, (-42i64) as u64, 7, 10]),
            "[   42|42   |-0042|007|     00a]"
        );
    }

    #[test]
    fn strings_chars_pointers() {
        let s = std::ffi::CString::new("hello").unwrap();
        let p = s.as_ptr() as u64;
        assert_eq!(
            fmt("%s|%8s|%-8s|%.2s|%c|%%", &[p, p, p, p, b'Z' as u64]),
            "hello|   hello|hello   |he|Z|%"
        );
        assert_eq!(fmt("%s %p %p", &[0, 0, 0x401000]), "(null) (nil) 0x401000");
    }

    #[test]
    fn stack_arguments_after_five_registers() {
        assert_eq!(
            fmt("%d %d %d %d %d %d %d %d", &[1, 2, 3, 4, 5, 6, 7, 8]),
            "1 2 3 4 5 6 7 8"
        );
    }

    #[test]
    fn odd_formats() {
        assert_eq!(fmt("100%", &[]), "100");
        assert_eq!(fmt("%q", &[0]), "%q");
        assert_eq!(fmt("plain", &[]), "plain");
    }
}
