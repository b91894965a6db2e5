//! Everything that crosses the plugin boundary. All types are `#[repr(C)]` + `StableAbi`.

mod codec;
mod emulator;
mod error;
mod events;
mod root;
mod tool;

pub use codec::*;
pub use emulator::*;
pub use error::*;
pub use events::*;
pub use root::*;
pub use tool::*;
