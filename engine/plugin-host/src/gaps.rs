//! Intervals of incomplete venue data, from the inputs a codec sees and the notices it gives:
//! from a disconnect until frames flow again (venue-wide), and from a book's sequence gap or
//! checksum mismatch until its resync (per symbol). One tracker per venue; the live driver and
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
    /// Open gaps by symbol (`*`: the whole venue): (from, reason, detail).
    open: BTreeMap<String, (u64, &'static str, String)>,
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
        self.open.entry("*".into()).or_insert((
            ts,
            "disconnect",
            format!("connection {conn} closed"),
        ));
    }

    /// A frame arrived at `ts`: a venue-wide gap ends.
    pub fn frame(&mut self, ts: u64) -> Vec<DataGap> {
        if self.open.contains_key("*") {
            self.close(ts, |k, _| k == "*")
        } else {
            Vec::new()
        }
    }

    /// A codec notice at `ts`: a gap or checksum mismatch opens a book gap, a resync closes it.
    pub fn notice(&mut self, kind: NoticeKind, detail: &str, ts: u64) -> Vec<DataGap> {
        match kind {
            NoticeKind::Gap | NoticeKind::ChecksumMismatch => {
                let sym = notice_symbol(detail, &self.symbols).unwrap_or_else(|| "*".into());
                self.open.entry(sym).or_insert((
                    ts,
                    "book_resync",
                    format!("{}: {detail}", kind.name()),
                ));
                Vec::new()
            }
            NoticeKind::Resync => match notice_symbol(detail, &self.symbols) {
                Some(sym) => self.close(ts, |k, r| k == sym && r == "book_resync"),
                None => self.close(ts, |k, r| k != "*" && r == "book_resync"),
            },
            _ => Vec::new(),
        }
    }

    fn close(&mut self, ts: u64, pred: impl Fn(&str, &'static str) -> bool) -> Vec<DataGap> {
        let keys: Vec<String> = self
            .open
            .iter()
            .filter(|(k, (_, r, _))| pred(k, r))
            .map(|(k, _)| k.clone())
            .collect();
        keys.into_iter()
            .filter_map(|k| self.open.remove(&k).map(|v| (k, v)))
            .map(|(symbol, (from, reason, detail))| DataGap {
                venue: self.venue.clone(),
                stream: if symbol == "*" { "all" } else { "book" },
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
    fn a_book_gap_lasts_until_its_symbols_resync() {
        let mut t = tracker();
        assert!(
            t.notice(NoticeKind::Gap, "instrument 1: Gap", 10)
                .is_empty()
        );
        // Another symbol's resync does not close it.
        assert!(t.notice(NoticeKind::Resync, "BTC-USDT-SWAP", 15).is_empty());
        let g = t.notice(NoticeKind::Resync, "ETH-USDT-SWAP", 20);
        assert_eq!(g.len(), 1);
        assert_eq!(
            (g[0].symbol.as_str(), g[0].stream, g[0].from_ns, g[0].to_ns),
            ("ETHUSDT", "book", 10, 20)
        );
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
