//! Tags for the HTTP requests a codec asks the host to make: the request kind, a generation
//! (so a superseded answer is recognised) and the instrument, packed into the `u64` the host
//! hands back with the answer.

/// Packs `kind` (8 bits), `generation` (low 24 bits) and `inst` (32 bits).
pub fn tag(kind: u64, generation: u32, inst: u32) -> u64 {
    (kind << 56) | (u64::from(generation & 0x00ff_ffff) << 32) | u64::from(inst)
}

/// Unpacks a [`tag`]: (kind, generation, instrument).
pub fn untag(tag: u64) -> (u64, u32, u32) {
    let inst = u32::try_from(tag & 0xffff_ffff).unwrap_or(u32::MAX);
    let generation = u32::try_from((tag >> 32) & 0x00ff_ffff).unwrap_or(0);
    (tag >> 56, generation, inst)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trip_and_generation_wraps_at_24_bits() {
        assert_eq!(untag(tag(2, 7, 42)), (2, 7, 42));
        assert_eq!(untag(tag(1, 0x0100_0003, u32::MAX)), (1, 3, u32::MAX));
    }
}
