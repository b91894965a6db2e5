//! OKX order-book checksum: CRC32 over the best 25 levels, bids and asks interleaved
//! (`bid1px:bid1sz:ask1px:ask1sz:bid2px:…`; when one side is shorter the other side's remaining
//! levels follow alone), using the price and size strings exactly as the venue sent them, read
//! as a signed 32-bit integer.

/// Levels per side that the checksum covers.
pub const CHECKSUM_LEVELS: usize = 25;

/// The checksum of a book given its best-first bids and asks as wire strings.
pub fn okx_checksum<'a, B, A>(bids: B, asks: A) -> i32
where
    B: IntoIterator<Item = (&'a str, &'a str)>,
    A: IntoIterator<Item = (&'a str, &'a str)>,
{
    let bids: Vec<_> = bids.into_iter().take(CHECKSUM_LEVELS).collect();
    let asks: Vec<_> = asks.into_iter().take(CHECKSUM_LEVELS).collect();
    // One buffer, one CRC call: many tiny updates would take crc32fast's slow short-input path.
    let mut buf = String::with_capacity(32 * (bids.len() + asks.len()));
    let mut put = |(p, s): (&str, &str)| {
        if !buf.is_empty() {
            buf.push(':');
        }
        buf.push_str(p);
        buf.push(':');
        buf.push_str(s);
    };
    for i in 0..bids.len().max(asks.len()) {
        if let Some(&b) = bids.get(i) {
            put(b);
        }
        if let Some(&a) = asks.get(i) {
            put(a);
        }
    }
    let crc = crc32fast::hash(buf.as_bytes());
    // The venue publishes the CRC as a signed 32-bit integer: same bits.
    i32::from_ne_bytes(crc.to_ne_bytes())
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values computed independently with Python's zlib.crc32 over the joined string.
    #[test]
    fn interleaves_bids_and_asks() {
        // "3366.1:7:3366.8:9:3366:6:3368:8"
        let c = okx_checksum(
            [("3366.1", "7"), ("3366", "6")],
            [("3366.8", "9"), ("3368", "8")],
        );
        assert_eq!(c, -1_881_014_294);
    }

    #[test]
    fn uneven_sides_append_the_rest() {
        // "3366.1:7:3366.8:9:3368:8:3372:8"
        let c = okx_checksum(
            [("3366.1", "7")],
            [("3366.8", "9"), ("3368", "8"), ("3372", "8")],
        );
        assert_eq!(c, 831_078_360);
    }

    #[test]
    fn only_25_levels_count() {
        let bids: Vec<(String, String)> = (0..30)
            .map(|i| (format!("{}", 100 - i), "1".to_owned()))
            .collect();
        let a = okx_checksum(bids.iter().map(|(p, s)| (p.as_str(), s.as_str())), []);
        let b = okx_checksum(
            bids.iter().take(25).map(|(p, s)| (p.as_str(), s.as_str())),
            [],
        );
        assert_eq!(a, b);
    }
}
