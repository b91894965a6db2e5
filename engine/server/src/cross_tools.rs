//! Cross-exchange tools: views of the latest cross-venue features of a symbol (dispersion,
//! basis, funding spread, aggregates, lead-lag, consolidated quote, arbitrage net of fees), the
//! fee schedule, and the stored history of the `cross_venue` table. Also the answer of
//! `GET /features/{symbol}` without a venue.

use crate::{ApiError, AppState};
use orderflow_crossvenue::catalogue::CROSS_FEATURES;
use orderflow_crossvenue::{CrossVenue, FeeSchedule};
use orderflow_plugin_host::registry::{BuiltinTool, ToolInfo};
use orderflow_plugin_host::{ToolError, now_ns};
use serde_json::{Value, json};
use std::sync::{Arc, OnceLock};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    All,
    Dispersion,
    Basis,
    Funding,
    Cvd,
    OpenInterest,
    Liquidations,
    LeadLag,
    Quote,
    Arbitrage,
    FundingArbitrage,
    Fees,
    Summary,
    History,
}

const ALL: [Kind; 14] = [
    Kind::All,
    Kind::Dispersion,
    Kind::Basis,
    Kind::Funding,
    Kind::Cvd,
    Kind::OpenInterest,
    Kind::Liquidations,
    Kind::LeadLag,
    Kind::Quote,
    Kind::Arbitrage,
    Kind::FundingArbitrage,
    Kind::Fees,
    Kind::Summary,
    Kind::History,
];

/// A cross-exchange tool bound to the app state (set once the state exists).
#[derive(Debug)]
pub struct CrossTool {
    kind: Kind,
    state: Arc<OnceLock<Arc<AppState>>>,
    symbols: Vec<String>,
}

/// Every cross-exchange tool.
pub fn cross_tools(
    state: Arc<OnceLock<Arc<AppState>>>,
    symbols: &[String],
) -> Vec<Arc<dyn BuiltinTool>> {
    ALL.iter()
        .map(|&kind| {
            Arc::new(CrossTool {
                kind,
                state: state.clone(),
                symbols: symbols.to_vec(),
            }) as Arc<dyn BuiltinTool>
        })
        .collect()
}

/// The latest cross-venue features of `symbol`.
///
/// # Errors
/// [`ApiError::NotFound`] for a symbol not configured; [`ToolError::Unavailable`] before the
/// first feature snapshot.
pub(crate) fn cross_venue_of(st: &AppState, symbol: &str) -> Result<CrossVenue, ApiError> {
    let symbol = symbol.to_ascii_uppercase();
    if !st.universe.iter().any(|i| i.symbol == symbol) {
        return Err(ApiError::NotFound(format!("{symbol} is not configured")));
    }
    st.cross_venue.lock().get(&symbol).cloned().ok_or_else(|| {
        ToolError::Unavailable(format!(
            "no cross-venue snapshot of {symbol} yet (computed at each feature snapshot)"
        ))
        .into()
    })
}

/// The answer of `GET /features/{symbol}` without `venue`: the cross-venue features.
pub(crate) fn cross_venue_json(st: &AppState, symbol: &str) -> Result<Value, ApiError> {
    let cv = cross_venue_of(st, symbol)?;
    let mut v = json!(cv);
    v["time_ns"] = json!(cv.time);
    v["age_ms"] = json!(now_ns().saturating_sub(cv.time) as f64 / 1e6);
    v["per_venue"] = json!(
        st.universe
            .iter()
            .filter(|i| i.symbol == cv.symbol)
            .map(|i| format!("/features/{}?venue={}", i.symbol, i.venue))
            .collect::<Vec<_>>()
    );
    Ok(v)
}

fn head(cv: &CrossVenue) -> Value {
    json!({"symbol": cv.symbol, "time_ns": cv.time,
           "age_ms": now_ns().saturating_sub(cv.time) as f64 / 1e6})
}

fn with(mut base: Value, extra: Value) -> Value {
    if let (Some(b), Value::Object(e)) = (base.as_object_mut(), extra) {
        b.extend(e);
    }
    base
}

fn feature(cv: &CrossVenue, name: &str) -> Value {
    json!(cv.features.get(name))
}

/// Funding carry of one symbol: long where funding is lowest, short where it is highest.
fn funding_carry(cv: &CrossVenue, fees: &FeeSchedule) -> Option<Value> {
    let f = cv.funding.as_ref()?;
    let carry_bps_8h = f.spread_8h * 1e4;
    // Open and close both legs as a taker: two fees per venue.
    let cost_bps = match (fees.get(&f.lowest), fees.get(&f.highest)) {
        (Some(a), Some(b)) => Some(2.0 * (a.taker_bps + b.taker_bps)),
        _ => None,
    };
    let breakeven_h = cost_bps
        .filter(|_| carry_bps_8h > 0.0)
        .map(|c| c / carry_bps_8h * 8.0);
    Some(json!({
        "symbol": cv.symbol,
        "long_venue": f.lowest, "long_rate_8h": f.lowest_rate_8h,
        "short_venue": f.highest, "short_rate_8h": f.highest_rate_8h,
        "carry_bps_per_8h": carry_bps_8h,
        "carry_annualized": f.spread_annualized,
        "round_trip_taker_cost_bps": cost_bps,
        "breakeven_hours": breakeven_h,
        "note": "funding rates are the venues' current (predicted) rates on an 8-hour basis; the carry holds only while they persist"
    }))
}

impl CrossTool {
    fn state(&self) -> Result<&Arc<AppState>, ToolError> {
        self.state
            .get()
            .ok_or_else(|| ToolError::Unavailable("server is starting".into()))
    }

    fn symbol_schema(&self, required: bool) -> Value {
        json!({"type": "object", "additionalProperties": false,
               "required": if required { vec!["symbol"] } else { vec![] },
               "properties": {"symbol": {"type": "string", "enum": self.symbols,
                 "description": "orderflow symbol; every venue that lists it takes part"}}})
    }

    fn info(&self) -> (&'static str, String, Value) {
        let one = self.symbol_schema(true);
        match self.kind {
            Kind::All => (
                "get_cross_venue_features",
                "Every cross-venue feature of a symbol over all venues that list it: dispersion, basis per venue pair, consolidated quote, funding spread, aggregated CVD/OI/liquidations, lead-lag and arbitrage net of taker fees (docs/cross-venue.md).".into(),
                one,
            ),
            Kind::Dispersion => (
                "get_price_dispersion",
                "How far the venues' mids are apart: each venue's mid and freshness, price_dispersion_bps (std / mean) and price_range_bps.".into(),
                one,
            ),
            Kind::Basis => (
                "get_basis_matrix",
                "Basis between each pair of venues, 10⁴ · (mid_a − mid_b) / mid_b in bps, as a list and as a matrix (spot vs perpetual pairs are the classic basis).".into(),
                one,
            ),
            Kind::Funding => (
                "get_funding_spread",
                "Funding across venues on a common 8-hour basis: each venue's funding_rate_8h, the highest and lowest, their spread and its annualised value.".into(),
                one,
            ),
            Kind::Cvd => (
                "get_aggregated_cvd",
                "Cumulative volume delta and 5-minute net flow summed over venues, with each venue's contribution and its share of 5-minute volume.".into(),
                one,
            ),
            Kind::OpenInterest => (
                "get_aggregated_open_interest",
                "Open interest summed over the venues that report it (base units and quote notional), with each venue's part.".into(),
                one,
            ),
            Kind::Liquidations => (
                "get_aggregated_liquidations",
                "Long and short liquidation value over the last 5 minutes summed over venues, their imbalance, and each venue's part.".into(),
                one,
            ),
            Kind::LeadLag => (
                "get_lead_lag",
                "Which venue's mid moves first: for each venue pair the lag (in feature-snapshot samples and ms) of the highest correlation of mid returns, and the leading venue.".into(),
                one,
            ),
            Kind::Quote => (
                "get_consolidated_quote",
                "Best bid and best ask across venues (price, size, venue) and the consolidated spread (negative when venues cross).".into(),
                one,
            ),
            Kind::Arbitrage => (
                "get_arbitrage_opportunities",
                "Buy-at-ask / sell-at-bid between venues, net of both taker fees: gross and net edge (bps), size at both touches and net profit; for one symbol or all, filtered by a minimum net edge.".into(),
                json!({"type": "object", "additionalProperties": false, "properties": {
                    "symbol": {"type": "string", "enum": self.symbols, "description": "one symbol; default: every symbol"},
                    "min_net_bps": {"type": "number", "default": 0, "minimum": -1000, "maximum": 1000,
                                    "description": "list only pairs whose net edge is at least this (negative to see near misses)"}}}),
            ),
            Kind::FundingArbitrage => (
                "get_funding_arbitrage",
                "Funding carry between venues: long where funding is lowest, short where it is highest; carry per 8 h and per year, the round-trip taker cost of both legs and the holding time that pays for it; for one symbol or all, best first.".into(),
                self.symbol_schema(false),
            ),
            Kind::Fees => (
                "get_fee_schedule",
                "The taker and maker fee of each venue (bps) used for arbitrage net of costs (`[fees]` in the configuration).".into(),
                json!({"type": "object", "additionalProperties": false, "properties": {}}),
            ),
            Kind::Summary => (
                "get_cross_venue_summary",
                "One row per symbol: venues quoting, price dispersion, largest basis, funding spread, best arbitrage net edge and the lead-lag leader.".into(),
                json!({"type": "object", "additionalProperties": false, "properties": {}}),
            ),
            Kind::History => (
                "get_cross_venue_history",
                "A stored cross-venue feature of a symbol over the last N minutes, bucketed (last value per bucket), from the DuckDB cross_venue table.".into(),
                json!({"type": "object", "additionalProperties": false, "required": ["symbol", "feature"], "properties": {
                    "symbol": {"type": "string", "enum": self.symbols},
                    "feature": {"type": "string", "enum": CROSS_FEATURES.iter().map(|f| f.name).collect::<Vec<_>>()},
                    "minutes": {"type": "integer", "minimum": 1, "maximum": 10080, "default": 60},
                    "interval": {"type": "string", "enum": ["1s", "10s", "1m", "5m", "15m", "1h"], "default": "1m"}}}),
            ),
        }
    }

    fn one(&self, st: &AppState, args: &Value) -> Result<CrossVenue, ToolError> {
        let symbol = args
            .get("symbol")
            .and_then(Value::as_str)
            .ok_or_else(|| ToolError::InvalidArgs("symbol is required".into()))?;
        cross_venue_of(st, symbol).map_err(|e| match e {
            ApiError::Tool(t) => t,
            other => ToolError::InvalidArgs(other.to_string()),
        })
    }

    fn all(st: &AppState) -> Vec<CrossVenue> {
        st.cross_venue.lock().values().cloned().collect()
    }

    fn history(&self, st: &AppState, args: &Value) -> Result<Value, ToolError> {
        let history = st
            .history
            .as_ref()
            .ok_or_else(|| ToolError::Unavailable("storage is disabled".into()))?;
        let symbol = args.get("symbol").and_then(Value::as_str).unwrap_or("");
        let feature = args.get("feature").and_then(Value::as_str).unwrap_or("");
        // Both values are checked against the configured lists (the registry validated the
        // schema; checked again so the SQL below only ever sees known names).
        if !self.symbols.iter().any(|s| s == symbol)
            || !CROSS_FEATURES.iter().any(|f| f.name == feature)
        {
            return Err(ToolError::InvalidArgs(format!(
                "unknown symbol {symbol:?} or feature {feature:?}"
            )));
        }
        let minutes = args.get("minutes").and_then(Value::as_u64).unwrap_or(60);
        let secs = match args.get("interval").and_then(Value::as_str).unwrap_or("1m") {
            "1s" => 1,
            "10s" => 10,
            "5m" => 300,
            "15m" => 900,
            "1h" => 3600,
            _ => 60,
        };
        let sql = format!(
            "WITH w AS (SELECT max(ts_ns) AS last FROM cross_venue WHERE symbol = '{symbol}' AND feature = '{feature}') \
             SELECT to_timestamp((ts_ns // {b}) * {s}) AS bucket, arg_max(value, ts_ns) AS value, count(*) AS samples \
             FROM cross_venue, w WHERE symbol = '{symbol}' AND feature = '{feature}' AND ts_ns > w.last - {window} \
             GROUP BY ts_ns // {b} ORDER BY bucket",
            b = secs * 1_000_000_000u64,
            s = secs,
            window = minutes * 60 * 1_000_000_000,
        );
        let r = crate::history_tools::governed_query(history, &sql, 10_000, false)?;
        let mut v = json!(r);
        v["sql"] = Value::from(sql);
        Ok(v)
    }
}

impl BuiltinTool for CrossTool {
    fn descriptor(&self) -> ToolInfo {
        let (name, description, schema) = self.info();
        ToolInfo {
            name: name.to_owned(),
            description,
            category: "cross_exchange".to_owned(),
            input_schema: schema,
            output_schema: None,
        }
    }

    fn call(&self, args: &Value) -> Result<Value, ToolError> {
        let st = self.state()?;
        Ok(match self.kind {
            Kind::All => json!(self.one(st, args)?),
            Kind::Dispersion => {
                let cv = self.one(st, args)?;
                with(
                    head(&cv),
                    json!({
                        "venue_count": feature(&cv, "venue_count"),
                        "price_dispersion_bps": feature(&cv, "price_dispersion_bps"),
                        "price_range_bps": feature(&cv, "price_range_bps"),
                        "venues": cv.venues.iter().map(|v| json!({"venue": v.venue, "mid": v.mid, "fresh": v.fresh, "book_age_ms": v.book_age_ms})).collect::<Vec<_>>(),
                    }),
                )
            }
            Kind::Basis => {
                let cv = self.one(st, args)?;
                let names: Vec<&str> = cv
                    .venues
                    .iter()
                    .filter(|v| v.fresh && v.mid.is_some())
                    .map(|v| v.venue.as_str())
                    .collect();
                let matrix: Vec<Vec<Option<f64>>> = names
                    .iter()
                    .map(|a| {
                        names
                            .iter()
                            .map(|b| {
                                if a == b {
                                    return Some(0.0);
                                }
                                cv.basis.iter().find_map(|x| {
                                    if x.a == *a && x.b == *b {
                                        Some(x.basis_bps)
                                    } else if x.a == *b && x.b == *a {
                                        // (a − b) / a from (b − a) / a … recomputed from mids.
                                        let ma = cv.venues.iter().find(|v| v.venue == *a)?.mid?;
                                        let mb = cv.venues.iter().find(|v| v.venue == *b)?.mid?;
                                        Some(1e4 * (ma - mb) / mb)
                                    } else {
                                        None
                                    }
                                })
                            })
                            .collect()
                    })
                    .collect();
                with(
                    head(&cv),
                    json!({"pairs": cv.basis, "venues": names, "matrix_bps": matrix,
                           "max_abs_basis_bps": feature(&cv, "max_abs_basis_bps"),
                           "definition": "matrix_bps[i][j] = 10⁴ · (mid_i − mid_j) / mid_j"}),
                )
            }
            Kind::Funding => {
                let cv = self.one(st, args)?;
                with(
                    head(&cv),
                    json!({"venues": cv.venues.iter().filter(|v| v.funding_rate_8h.is_some()).map(|v| json!({"venue": v.venue, "funding_rate_8h": v.funding_rate_8h})).collect::<Vec<_>>(),
                           "spread": cv.funding}),
                )
            }
            Kind::Cvd => {
                let cv = self.one(st, args)?;
                with(
                    head(&cv),
                    json!({"cvd_total": feature(&cv, "cvd_total"), "net_flow_5m_total": feature(&cv, "net_flow_5m_total"),
                           "volume_5m_total": feature(&cv, "volume_5m_total"),
                           "venues": cv.venues.iter().map(|v| json!({"venue": v.venue, "cvd": v.cvd, "net_flow_5m": v.net_flow_5m, "volume_5m": v.volume_5m, "volume_share_5m": v.volume_share_5m})).collect::<Vec<_>>()}),
                )
            }
            Kind::OpenInterest => {
                let cv = self.one(st, args)?;
                with(
                    head(&cv),
                    json!({"open_interest_total": feature(&cv, "open_interest_total"), "oi_notional_total": feature(&cv, "oi_notional_total"),
                           "venues": cv.venues.iter().filter(|v| v.open_interest.is_some()).map(|v| json!({"venue": v.venue, "open_interest": v.open_interest, "oi_notional": v.oi_notional})).collect::<Vec<_>>()}),
                )
            }
            Kind::Liquidations => {
                let cv = self.one(st, args)?;
                with(
                    head(&cv),
                    json!({"long_liquidation_value_5m_total": feature(&cv, "long_liquidation_value_5m_total"),
                           "short_liquidation_value_5m_total": feature(&cv, "short_liquidation_value_5m_total"),
                           "liquidation_imbalance_5m_total": feature(&cv, "liquidation_imbalance_5m_total"),
                           "venues": cv.venues.iter().filter(|v| v.long_liquidation_value_5m.is_some() || v.short_liquidation_value_5m.is_some()).map(|v| json!({"venue": v.venue, "long_liquidation_value_5m": v.long_liquidation_value_5m, "short_liquidation_value_5m": v.short_liquidation_value_5m})).collect::<Vec<_>>()}),
                )
            }
            Kind::LeadLag => {
                let cv = self.one(st, args)?;
                with(
                    head(&cv),
                    json!({"lead_lag": cv.lead_lag,
                           "note": "resolution is the feature-snapshot cadence; absent until the window holds enough mid samples"}),
                )
            }
            Kind::Quote => {
                let cv = self.one(st, args)?;
                with(
                    head(&cv),
                    json!({"best_bid": cv.best_bid, "best_ask": cv.best_ask,
                           "consolidated_spread_bps": feature(&cv, "consolidated_spread_bps"),
                           "venues": cv.venues.iter().map(|v| json!({"venue": v.venue, "bid": v.bid, "ask": v.ask, "fresh": v.fresh})).collect::<Vec<_>>()}),
                )
            }
            Kind::Arbitrage => {
                let min = args
                    .get("min_net_bps")
                    .and_then(Value::as_f64)
                    .unwrap_or(0.0);
                let list = match args.get("symbol").and_then(Value::as_str) {
                    Some(_) => vec![self.one(st, args)?],
                    None => Self::all(st),
                };
                let mut rows: Vec<Value> = Vec::new();
                for cv in &list {
                    for a in cv.arbitrage.iter().filter(|a| a.net_bps >= min) {
                        let mut v = json!(a);
                        v["symbol"] = json!(cv.symbol);
                        v["time_ns"] = json!(cv.time);
                        rows.push(v);
                    }
                }
                rows.sort_by(|x, y| {
                    y["net_bps"]
                        .as_f64()
                        .unwrap_or(f64::MIN)
                        .total_cmp(&x["net_bps"].as_f64().unwrap_or(f64::MIN))
                });
                json!({"min_net_bps": min, "count": rows.len(), "opportunities": rows,
                       "fees": "taker fee of both legs, from [fees] (get_fee_schedule)",
                       "caveat": "top-of-book only, at the last feature snapshot; no latency, transfer or funding cost"})
            }
            Kind::FundingArbitrage => {
                let list = match args.get("symbol").and_then(Value::as_str) {
                    Some(_) => vec![self.one(st, args)?],
                    None => Self::all(st),
                };
                let mut rows: Vec<Value> = list
                    .iter()
                    .filter_map(|cv| funding_carry(cv, &st.fees))
                    .collect();
                rows.sort_by(|x, y| {
                    y["carry_bps_per_8h"]
                        .as_f64()
                        .unwrap_or(0.0)
                        .total_cmp(&x["carry_bps_per_8h"].as_f64().unwrap_or(0.0))
                });
                json!({"count": rows.len(), "carries": rows})
            }
            Kind::Fees => json!({
                "venues": st.fees.iter().map(|(v, f)| json!({"venue": v, "taker_bps": f.taker_bps, "maker_bps": f.maker_bps})).collect::<Vec<_>>(),
                "source": "[fees] in the configuration (defaults: each venue's published base tier)"
            }),
            Kind::Summary => {
                let rows: Vec<Value> = Self::all(st)
                    .iter()
                    .map(|cv| {
                        json!({"symbol": cv.symbol, "time_ns": cv.time,
                               "venue_count": feature(cv, "venue_count"),
                               "price_dispersion_bps": feature(cv, "price_dispersion_bps"),
                               "max_abs_basis_bps": feature(cv, "max_abs_basis_bps"),
                               "funding_spread_8h": feature(cv, "funding_spread_8h"),
                               "arbitrage_best_net_bps": feature(cv, "arbitrage_best_net_bps"),
                               "leader": cv.lead_lag.as_ref().and_then(|l| l.leader.clone())})
                    })
                    .collect();
                json!({"count": rows.len(), "symbols": rows})
            }
            Kind::History => self.history(st, args)?,
        })
    }
}
