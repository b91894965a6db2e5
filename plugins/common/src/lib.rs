//! # orderflow-plugin-common — plumbing shared by venue plugins
//!
//! An rlib linked into each plugin cdylib (never into the engine), so that a plugin declares its
//! protocol specifics and nothing else:
//! * [`emulator`]: the emulator core — instruments and wire formatting, the seeded market,
//!   connections and subscriptions, trade tape, fault injection, standard control commands;
//! * [`tools`]: the tool framework — a table of tool specs (live-state, derived, REST) turned
//!   into descriptors with JSON Schemas and dispatched with checked arguments;
//! * [`derived`]: tools any venue computes from the host's live state;
//! * [`sequencer`]: book continuity for consecutive sequence numbers; [`snapshot_sync`]: the
//!   REST-snapshot + buffered-diff book rule; [`tags`]: tags of codec HTTP requests;
//! * [`args`]: argument checks and answer formatting; [`decimal`]: decimal helpers;
//!   [`dedup`]: trade de-duplication;
//! * [`fixtures`]: the test-data reader.

pub mod args;
pub mod decimal;
pub mod dedup;
pub mod derived;
pub mod emulator;
pub mod fixtures;
pub mod sequencer;
pub mod snapshot_sync;
pub mod tags;
pub mod tools;
