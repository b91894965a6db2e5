//! # orderflow-plugin-common — plumbing shared by venue plugins
//!
//! An rlib linked into each plugin cdylib (never into the engine): tools that any venue plugin
//! computes from the host's live state ([`derived`]), and the test-data reader ([`fixtures`]). Each plugin keeps its own tool names and
//! descriptions and routes the call here with its venue id.

pub mod args;
pub mod dedup;
pub mod derived;
pub mod fixtures;
