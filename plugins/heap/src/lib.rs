//! # orderflow-plugin-heap — a plugin's global allocator that counts its heap
//!
//! Linking this crate (`extern crate orderflow_plugin_heap;` in the plugin's `lib.rs`) makes
//! [`orderflow_tool_sdk::heap::CountingAlloc`] the library's global allocator, so the plugin
//! answers the SDK's `heap` query and the host exports its live heap
//! (`orderflow_plugin_heap_bytes{plugin}` in `/metrics`).
//!
//! It is a crate of its own because a program has exactly one global allocator: a test binary
//! that links several plugin crates links this crate once, and the host binary, which links no
//! plugin, keeps its own allocator. Memory still comes from the system allocator; the wrapper
//! only counts.

#[global_allocator]
static HEAP: orderflow_tool_sdk::heap::CountingAlloc = orderflow_tool_sdk::heap::CountingAlloc;
