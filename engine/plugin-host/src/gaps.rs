//! Intervals of incomplete venue data, from the inputs a codec sees, the notices it gives and the
//! events it emits: from a disconnect until frames flow again (venue-wide), and from a book's
//! sequence gap or checksum mismatch until the book's next snapshot (per symbol; the codec's
//! `resync` notice only says a snapshot was asked for). One tracker per venue; the live driver and
//! `orderflow replay` use the same one, so a replayed database has the live run's gaps.

use orderflow_tool_sdk::NoticeKind;
use std::collections::BTreeMap;

/// An interval in which a venue's data is incomplete.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DataGap {
    /// Venue.
    pub venue: String,
    /// Symbol (`*`: every symbol of the venue).
    pub symbol: String,
    /// `all` (disconnect) or `book`.
    pub stream: &'static str,
    /// Start, Unix ns (receive clock).
    pub from_ns: u64,
    /// End, Unix ns.
    pub to_ns: u64,
    /// `disconnect` or `book_resync`.
    pub reason: &'static str,
    /// The disconnect reason or the codec notice.
    pub detail: String,
}

/// Open gaps of one venue.
#[derive(Debug)]
pub struct GapTracker {
    venue: String,
    /// (symbol, venue symbol) in codec index order.
    symbols: Vec<(String, String)>,
    /// Open gaps by (symbol, reason) (`*`: the whole venue, or a book the notice did not
    /// name): (from, detail).
    open: BTreeMap<(String, &'static str), (u64, String)>,
}

impl GapTracker {
    /// A tracker for `venue` whose codec knows `symbols` (symbol, venue symbol), in order.
    pub fn new(venue: &str, symbols: Vec<(String, String)>) -> Self {
        Self {
            venue: venue.to_owned(),
            symbols,
            open: BTreeMap::new(),
        }
    }

    /// Connection `conn` dropped at `ts` (the driver logs and counts the reason; the detail
    /// here is what a recording holds too, so a replay writes the same row).
    pub fn disconnected(&mut self, ts: u64, conn: u32) {
        self.open
            .entry(("*".into(), "disconnect"))
            .or_insert((ts, format!("connection {conn} closed")));
    }

    /// A frame arrived at `ts`: a venue-wide gap ends.
    pub fn frame(&mut self, ts: u64) -> Vec<DataGap> {
        self.close(ts, |sym, reason| sym == "*" && reason == "disconnect")
    }

    /// A codec notice at `ts`: a sequence gap or checksum mismatch opens a book gap (handle the
    /// notices of an output before its events: a snapshot in the same output closes it).
    pub fn notice(&mut self, kind: NoticeKind, detail: &str, ts: u64) {
        if matches!(kind, NoticeKind::Gap | NoticeKind::ChecksumMismatch) {
            let sym = notice_symbol(detail, &self.symbols).unwrap_or_else(|| "*".into());
            self.open
                .entry((sym, "book_resync"))
                .or_insert((ts, format!("{}: {detail}", kind.name())));
        }
    }

    /// The codec emitted a book snapshot of its instrument `index` at `ts`: that book's gap
    /// (and one the notice could not attribute) ends.
    pub fn book_snapshot(&mut self, index: u32, ts: u64) -> Vec<DataGap> {
        if !self.open.keys().any(|(_, r)| *r == "book_resync") {
            return Vec::new();
        }
        let Some(sym) = usize::try_from(index)
            .ok()
            .and_then(|i| self.symbols.get(i))
            .map(|(s, _)| s.clone())
        else {
            return Vec::new();
        };
        self.close(ts, |k, r| r == "book_resync" && (k == sym || k == "*"))
    }

    fn close(&mut self, ts: u64, pred: impl Fn(&str, &'static str) -> bool) -> Vec<DataGap> {
        let keys: Vec<(String, &'static str)> = self
            .open
            .keys()
            .filter(|(k, r)| pred(k, r))
            .cloned()
            .collect();
        keys.into_iter()
            .filter_map(|k| self.open.remove(&k).map(|v| (k, v)))
            .map(|((symbol, reason), (from, detail))| DataGap {
                venue: self.venue.clone(),
                stream: if reason == "disconnect" {
                    "all"
                } else {
                    "book"
                },
                symbol,
                from_ns: from,
                to_ns: ts,
                reason,
                detail,
            })
            .collect()
    }
}

/// The configured symbol a codec notice is about: a venue or canonical symbol named in its
/// detail, or an instrument index after "instrument " / "book " (the form several codecs use).
fn notice_symbol(detail: &str, instruments: &[(String, String)]) -> Option<String> {
    let mut by_len: Vec<&(String, String)> = instruments.iter().collect();
    by_len.sort_by_key(|(s, v)| std::cmp::Reverse(s.len().max(v.len())));
    for (sym, vsym) in by_len {
        if (!vsym.is_empty() && detail.contains(vsym.as_str()))
            || (!sym.is_empty() && detail.contains(sym.as_str()))
        {
            return Some(sym.clone());
        }
    }
    for prefix in ["instrument ", "book "] {
        if let Some(rest) = detail.split(prefix).nth(1) {
            let digits: String = rest.chars().take_while(char::is_ascii_digit).collect();
            if let Some((sym, _)) = digits
                .parse::<usize>()
                .ok()
                .and_then(|i| instruments.get(i))
            {
                return Some(sym.clone());
            }
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tracker() -> GapTracker {
        GapTracker::new(
            "okx",
            vec![
                ("BTCUSDT".into(), "BTC-USDT-SWAP".into()),
                ("ETHUSDT".into(), "ETH-USDT-SWAP".into()),
            ],
        )
    }

    #[test]
    fn a_book_gap_lasts_until_that_books_next_snapshot() {
        let mut t = tracker();
        t.notice(NoticeKind::Gap, "instrument 1: Gap", 10);
        // The resync request and another book's snapshot do not end it.
        t.notice(NoticeKind::Resync, "ETH-USDT-SWAP", 11);
        assert!(t.book_snapshot(0, 15).is_empty());
        let g = t.book_snapshot(1, 20);
        assert_eq!(g.len(), 1);
        assert_eq!(
            (g[0].symbol.as_str(), g[0].stream, g[0].from_ns, g[0].to_ns),
            ("ETHUSDT", "book", 10, 20)
        );
        assert!(t.book_snapshot(1, 30).is_empty());
        // A disconnect is not ended by a snapshot, but by the next frame.
        t.disconnected(40, 0);
        assert!(t.book_snapshot(0, 41).is_empty());
        assert_eq!(t.frame(42).len(), 1);
    }

    #[test]
    fn a_disconnect_lasts_until_the_next_frame() {
        let mut t = tracker();
        assert!(t.frame(1).is_empty());
        t.disconnected(5, 0);
        t.disconnected(6, 1);
        let g = t.frame(9);
        assert_eq!(g.len(), 1);
        assert_eq!(
            (g[0].symbol.as_str(), g[0].from_ns, g[0].to_ns),
            ("*", 5, 9)
        );
        assert_eq!(g[0].detail, "connection 0 closed");
        assert!(t.frame(10).is_empty());
    }
}
