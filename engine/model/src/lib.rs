//! # orderflow-model — domain types only
//!
//! Instruments ([`Universe`], [`InstrumentId`]), exact fixed-point numbers ([`Fixed`]) and
//! normalized events ([`Event`]). No timely, tokio, DuckDB or I/O here: every other engine crate
//! depends on this one, and it depends on nothing of the engine.

mod book;
mod event;
mod ids;
mod num;

pub use book::L2Book;
pub use event::{Event, EventKind, Level, Side};
pub use ids::{Instrument, InstrumentId, Universe, UniverseError, VENUES};
pub use num::{FIXED_SCALE, Fixed, FixedError};
