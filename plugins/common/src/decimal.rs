//! Decimal helpers several venues need.

use orderflow_tool_sdk::FixedDecimal;

/// The 24 h open from the last price and the 24 h change in percent, rounded half to even at
/// the last price's decimals — for venues that send the change but not the open (Deribit,
/// Gate.io). `None` when the change is -100 % or the result is out of range.
pub fn open_from_change(last: FixedDecimal, change_pct: FixedDecimal) -> Option<FixedDecimal> {
    let open = last.to_f64() / (1.0 + change_pct.to_f64() / 100.0);
    if !open.is_finite() || open <= 0.0 {
        return None;
    }
    let m = (open * 10f64.powi(i32::from(last.scale))).round_ties_even();
    (m.abs() < 9.0e18).then(|| FixedDecimal::new(m as i64, last.scale))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn open_from_last_and_change() {
        let d = |s| FixedDecimal::parse(s).unwrap();
        // 118.4 / 1.0077 = 117.4952…
        assert_eq!(open_from_change(d("118.4"), d("0.77")), Some(d("117.5")));
        assert_eq!(open_from_change(d("100"), d("-100")), None);
    }
}
