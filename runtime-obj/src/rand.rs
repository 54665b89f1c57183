//! The runtime's cheap random numbers (Go: rand.go's cheaprand), seeded by `randinit` from the
//! kernel's AT_RANDOM bytes. wyrand: one add and one 64x64->128 multiply per number; not for
//! cryptography, only for decisions like the order in which to steal from other Ps.
use crate::global::Global;

static SEED: Global<u64> = Global::new(0);

/// One wyrand step.
pub fn wyrand(state: &mut u64) -> u64 {
    *state = state.wrapping_add(0xa076_1d64_78bd_642f);
    let t = u128::from(*state) * u128::from(*state ^ 0xe703_7ed1_a0b4_28db);
    ((t >> 64) as u64) ^ (t as u64)
}

/// Seeds the generator from the second half of AT_RANDOM (the first half is the canary).
///
/// # Safety
/// `random` must point to 16 readable bytes; called on m0 during the bootstrap.
pub unsafe fn randinit(random: usize) -> u64 {
    // SAFETY: as documented.
    unsafe {
        let s = ((random + 8) as *const u64).read_unaligned();
        *SEED.get() = s;
        s
    }
}

/// A seed for a new M's own generator, distinct per call.
pub fn mseed(id: i64) -> u64 {
    // SAFETY: SEED is written by randinit before any M exists and read here on m0.
    let mut s = unsafe { *SEED.get() } ^ (id as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    wyrand(&mut s)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wyrand_spreads_bits() {
        let mut s = 1;
        let v: Vec<u64> = (0..1000).map(|_| wyrand(&mut s)).collect();
        let ones: u32 = v.iter().map(|x| x.count_ones()).sum();
        assert!((30_000..34_000).contains(&ones), "{ones}");
        assert_ne!(mseed(0), mseed(1));
    }
}
