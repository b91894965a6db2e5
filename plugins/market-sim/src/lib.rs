//! # orderflow-market-sim — a seeded synthetic market for venue emulators
//!
//! Each instrument has a fair mid that follows a random walk with volatility bursts (a two-state
//! regime switch), an L2 book with depth (sizes grow away from the touch), trades whose arrivals
//! follow a self-exciting Hawkes process and consume the book (sweeping levels when large), mark /
//! index prices with a funding rate, open interest, and liquidations that cluster in bursts.
//!
//! The schedule lives in *simulated* time: every change has its own timestamp drawn from the
//! seeded RNG, and [`MarketSim::advance`] returns the changes due up to `now`. The same seed
//! therefore produces the same market however the caller chunks its `advance` calls. Prices are
//! integer ticks and sizes integer lots; venue emulators format them with the instrument's tick
//! and lot sizes.
//!
//! ```
//! use orderflow_market_sim::{MarketSim, SimInstrument};
//! let mut sim = MarketSim::new(7, vec![SimInstrument::new(600_000, 10)], 1_000.0, 0);
//! let changes = sim.advance(1_000_000_000); // one simulated second
//! assert!(changes.len() > 500);
//! assert!(sim.best_bid(0) < sim.best_ask(0));
//! ```

mod book;
mod sim;

pub use book::{Book, BookSide};
pub use sim::{MarketSim, SimChange, SimChangeKind, SimInstrument, SimLevel};
