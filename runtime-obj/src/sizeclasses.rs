//! Size classes for small objects (Go: sizeclasses.go), computed by the compiler from Go's
//! recipe (mksizeclasses.go) rather than pasted in: `const fn generate` is the script, run at
//! build time, and the host tests check the properties the allocator relies on.
//!
//! The recipe, for sizes up to MAX_SMALL (32 KiB) on 8 KiB pages:
//! - Candidate sizes step by an alignment that grows with the size: 16 up to 128 bytes, then
//!   size/8 (so at most 12.5% is lost to rounding) up to 2 KiB, then 256.
//! - Each candidate gets the fewest pages whose tail (the bytes left over after the last whole
//!   object) is at most 1/8 of the span.
//! - A candidate that needs as many pages and fits as many objects as the class before it
//!   replaces that class's size instead of making a new class.
//! - Last, each class grows to the largest size that still fits the same number of objects in
//!   its span, keeping 128-byte alignment (LARGE_STEP), which is what `size_to_class` needs.
//!
//! Invariants (tested): sizes are multiples of 16 and strictly increase, the last is
//! MAX_SMALL; every size above 1,024 bytes is a multiple of 128; a power-of-two class exists
//! for every power of two from 16 to 8 KiB (aligned allocation uses them); class 0 means "not
//! small"; no class has more than MAX_OBJECTS objects per span.
pub const PAGE_SHIFT: usize = 13;
pub const PAGE_SIZE: usize = 1 << PAGE_SHIFT;
/// The largest small object; bigger ones get spans of their own.
pub const MAX_SMALL: usize = 32 << 10;
/// Every object is aligned to this, as C's max_align_t requires.
pub const MIN_ALIGN: usize = 16;
/// Up to SMALL_LIMIT, `size_to_class` looks up size / 16; above it, size / LARGE_STEP.
const SMALL_LIMIT: usize = 1024;
const LARGE_STEP: usize = 128;
/// The most objects any span holds (a page of 16-byte objects): the span bitmap's capacity.
pub const MAX_OBJECTS: usize = PAGE_SIZE / MIN_ALIGN;

const CAP: usize = 96;

struct Table {
    n: usize,
    size: [u32; CAP],
    npages: [u8; CAP],
}

const fn generate() -> Table {
    // Class 0 is "not small": size 0, no pages.
    let mut t = Table {
        n: 1,
        size: [0; CAP],
        npages: [0; CAP],
    };
    let mut align = MIN_ALIGN;
    let mut size = MIN_ALIGN;
    while size <= MAX_SMALL {
        if size.is_power_of_two() {
            if size >= 2048 {
                align = 256;
            } else if size >= 128 {
                align = size / 8;
            }
        }
        let mut alloc = PAGE_SIZE;
        while alloc % size > alloc / 8 {
            alloc += PAGE_SIZE;
        }
        let npages = alloc / PAGE_SIZE;
        let prev = t.n - 1;
        if prev > 0 && npages == t.npages[prev] as usize && alloc / size == alloc / t.size[prev] as usize {
            t.size[prev] = size as u32;
        } else {
            t.size[t.n] = size as u32;
            t.npages[t.n] = npages as u8;
            t.n += 1;
        }
        size += align;
    }
    let mut c = 1;
    while c < t.n {
        let span = t.npages[c] as usize * PAGE_SIZE;
        let bigger = (span / (span / t.size[c] as usize)) & !(LARGE_STEP - 1);
        if bigger > t.size[c] as usize {
            t.size[c] = bigger as u32;
        }
        c += 1;
    }
    t
}

const TABLE: Table = generate();
/// Classes, counting class 0.
pub const NUM_CLASSES: usize = TABLE.n;

const fn trim<T: Copy, const N: usize>(from: &[T; CAP]) -> [T; N] {
    let mut out = [from[0]; N];
    let mut i = 0;
    while i < N {
        out[i] = from[i];
        i += 1;
    }
    out
}

/// Object size of each class.
pub static CLASS_SIZE: [u32; NUM_CLASSES] = trim(&TABLE.size);
/// Pages in each class's spans.
pub static CLASS_NPAGES: [u8; NUM_CLASSES] = trim(&TABLE.npages);

/// The smallest class whose size is at least `size`, by a linear search (build time only).
const fn search(size: usize) -> u8 {
    let mut c = 1;
    while (TABLE.size[c] as usize) < size {
        c += 1;
    }
    c as u8
}

const SMALL_INDEX: usize = SMALL_LIMIT / MIN_ALIGN + 1;
const LARGE_INDEX: usize = (MAX_SMALL - SMALL_LIMIT) / LARGE_STEP + 1;

static CLASS_BY_16: [u8; SMALL_INDEX] = {
    let mut t = [0u8; SMALL_INDEX];
    let mut i = 0;
    while i < SMALL_INDEX {
        t[i] = search(i * MIN_ALIGN);
        i += 1;
    }
    t
};

static CLASS_BY_128: [u8; LARGE_INDEX] = {
    let mut t = [0u8; LARGE_INDEX];
    let mut i = 0;
    while i < LARGE_INDEX {
        t[i] = search(SMALL_LIMIT + i * LARGE_STEP);
        i += 1;
    }
    t
};

/// The class for an object of `size` bytes (at most MAX_SMALL; bigger sizes get the last
/// class): one table lookup, no search, no bounds check left.
#[inline(always)]
pub fn size_to_class(size: usize) -> usize {
    if size <= SMALL_LIMIT {
        CLASS_BY_16[size.div_ceil(MIN_ALIGN)] as usize
    } else {
        CLASS_BY_128[(size - SMALL_LIMIT).div_ceil(LARGE_STEP).min(LARGE_INDEX - 1)] as usize
    }
}

/// Objects in one span of class `c`.
#[inline(always)]
pub fn class_objects(c: usize) -> usize {
    CLASS_NPAGES[c] as usize * PAGE_SIZE / CLASS_SIZE[c] as usize
}

/// Objects an mcache takes from (or gives back to) mcentral at once: 64 KiB worth, between 2
/// and 32 (tcmalloc's num_objects_to_move); a table, since free checks it every time.
pub static CLASS_BATCH: [u8; NUM_CLASSES] = {
    let mut t = [0u8; NUM_CLASSES];
    let mut c = 1;
    while c < NUM_CLASSES {
        let b = (64 << 10) / TABLE.size[c];
        t[c] = if b < 2 {
            2
        } else if b > 32 {
            32
        } else {
            b as u8
        };
        c += 1;
    }
    t
};

#[inline(always)]
pub fn batch(c: usize) -> u32 {
    u32::from(CLASS_BATCH[c])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_are_aligned_increasing_and_end_at_max_small() {
        assert_eq!(CLASS_SIZE[0], 0);
        assert_eq!(*CLASS_SIZE.last().unwrap() as usize, MAX_SMALL);
        for c in 1..NUM_CLASSES {
            let s = CLASS_SIZE[c] as usize;
            assert_eq!(s % MIN_ALIGN, 0, "class {c} size {s}");
            assert!(c == 1 || s > CLASS_SIZE[c - 1] as usize, "class {c} size {s}");
            if s > SMALL_LIMIT {
                assert_eq!(s % LARGE_STEP, 0, "class {c} size {s}");
            }
            assert!(class_objects(c) <= MAX_OBJECTS && class_objects(c) >= 1);
        }
    }

    #[test]
    fn the_table_is_gos_without_its_8_and_24_byte_classes() {
        // Go's sizeclasses.go (1.19, sizes and pages), less the two classes 16-byte alignment
        // rules out.
        let go: [(u32, u8); 65] = [
            (16, 1),
            (32, 1),
            (48, 1),
            (64, 1),
            (80, 1),
            (96, 1),
            (112, 1),
            (128, 1),
            (144, 1),
            (160, 1),
            (176, 1),
            (192, 1),
            (208, 1),
            (224, 1),
            (240, 1),
            (256, 1),
            (288, 1),
            (320, 1),
            (352, 1),
            (384, 1),
            (416, 1),
            (448, 1),
            (480, 1),
            (512, 1),
            (576, 1),
            (640, 1),
            (704, 1),
            (768, 1),
            (896, 1),
            (1024, 1),
            (1152, 1),
            (1280, 1),
            (1408, 2),
            (1536, 1),
            (1792, 2),
            (2048, 1),
            (2304, 2),
            (2688, 1),
            (3072, 3),
            (3200, 2),
            (3456, 3),
            (4096, 1),
            (4864, 3),
            (5376, 2),
            (6144, 3),
            (6528, 4),
            (6784, 5),
            (6912, 6),
            (8192, 1),
            (9472, 7),
            (9728, 6),
            (10240, 5),
            (10880, 4),
            (12288, 3),
            (13568, 5),
            (14336, 7),
            (16384, 2),
            (18432, 9),
            (19072, 7),
            (20480, 5),
            (21760, 8),
            (24576, 3),
            (27264, 10),
            (28672, 7),
            (32768, 4),
        ];
        assert_eq!(NUM_CLASSES, 66);
        for (c, &(size, pages)) in go.iter().enumerate() {
            assert_eq!(
                (CLASS_SIZE[c + 1], CLASS_NPAGES[c + 1]),
                (size, pages),
                "class {}",
                c + 1
            );
        }
    }

    #[test]
    fn waste_is_bounded_like_gos() {
        for c in 1..NUM_CLASSES {
            let (s, span) = (CLASS_SIZE[c] as usize, CLASS_NPAGES[c] as usize * PAGE_SIZE);
            assert!(span % s <= span / 8, "class {c}: tail {} of {span}", span % s);
            // The worst case, an object one byte bigger than the class below, wastes at most
            // Go's worst above 128 bytes (15.8%: 4,864 after 4,096).
            if s > 128 {
                let worst = (s - CLASS_SIZE[c - 1] as usize - 1) as f64 / s as f64;
                assert!(worst < 0.158, "class {c} ({s} bytes) wastes {worst}");
            }
        }
    }

    #[test]
    fn size_to_class_is_the_smallest_class_that_fits_for_every_size() {
        for size in 0..=MAX_SMALL {
            let c = size_to_class(size);
            assert!(CLASS_SIZE[c] as usize >= size, "size {size} -> class {c}");
            assert!(
                c == 1 || (CLASS_SIZE[c - 1] as usize) < size,
                "size {size} -> class {c}"
            );
        }
    }

    #[test]
    fn every_power_of_two_up_to_a_page_has_a_class() {
        let mut a = MIN_ALIGN;
        while a <= PAGE_SIZE {
            assert_eq!(CLASS_SIZE[size_to_class(a)] as usize, a);
            a *= 2;
        }
    }

    #[test]
    fn batches_are_64_kib_within_2_and_32() {
        assert_eq!(batch(1), 32);
        assert_eq!(batch(NUM_CLASSES - 1), 2);
        for (c, &size) in CLASS_SIZE.iter().enumerate().skip(1) {
            assert_eq!(batch(c), ((64 << 10) / size).clamp(2, 32), "class {c}");
        }
    }
}
