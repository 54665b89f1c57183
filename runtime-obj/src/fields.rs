//! `Fields`: a byte string cut at one separator byte, for the runtime's small text parsers
//! (GODEBUG items, /proc and cgroup files).
//!
//! Invariants: it yields exactly what `slice::split` with the same separator yields (an empty
//! input gives one empty field, a trailing separator a final empty field), and `rest` is what
//! a `splitn` would give as its last part. It is one concrete type with a plain loop, where
//! each `split(|&c| c == b'x')` closure is a type of its own whose iterator code opt-level z
//! outlines once per closure, in every program that links the parser.

pub struct Fields<'a> {
    rest: Option<&'a [u8]>,
    sep: u8,
}

impl<'a> Fields<'a> {
    pub fn new(s: &'a [u8], sep: u8) -> Fields<'a> {
        Fields { rest: Some(s), sep }
    }

    /// Everything not yet yielded, separators included (None once the last field is out).
    pub fn rest(self) -> Option<&'a [u8]> {
        self.rest
    }
}

impl<'a> Iterator for Fields<'a> {
    type Item = &'a [u8];

    #[inline(never)]
    fn next(&mut self) -> Option<&'a [u8]> {
        let s = self.rest?;
        let mut i = 0;
        while i < s.len() {
            if s[i] == self.sep {
                self.rest = Some(&s[i + 1..]);
                return Some(&s[..i]);
            }
            i += 1;
        }
        self.rest = None;
        Some(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_fields_as_split() {
        for s in [&b""[..], b",", b"a", b"a,", b",a", b"a,,b", b"ab,cd,ef", b",,"] {
            let want: Vec<&[u8]> = s.split(|&c| c == b',').collect();
            let got: Vec<&[u8]> = Fields::new(s, b',').collect();
            assert_eq!(got, want, "{}", String::from_utf8_lossy(s));
        }
    }

    #[test]
    fn rest_is_splitn_last_part() {
        let mut f = Fields::new(b"0::/a:b", b':');
        assert_eq!((f.next(), f.next()), (Some(&b"0"[..]), Some(&b""[..])));
        assert_eq!(f.rest(), Some(&b"/a:b"[..]));
        let mut f = Fields::new(b"x", b':');
        f.next();
        assert_eq!(f.rest(), None);
    }
}
