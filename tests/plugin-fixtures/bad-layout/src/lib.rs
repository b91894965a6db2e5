//! Test fixture: a library that claims the host's ABI version (1.4.0) but whose root module has
//! another layout, as a plugin built from a modified SDK would. The host must refuse it with a
//! layout error, never call into it.

// abi_stable's export macros expand to `unsafe` items.
#![allow(
    unsafe_code,
    missing_docs,
    missing_debug_implementations,
    non_local_definitions
)]

use abi_stable::{
    StableAbi, declare_root_module_statics, export_root_module, library::RootModule,
    prefix_type::PrefixTypeTrait, sabi_extern_fn, sabi_types::VersionStrings,
};

#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = OtherModRef)))]
pub struct OtherMod {
    #[sabi(last_prefix_field)]
    pub answer: extern "C" fn() -> u64,
}

impl RootModule for OtherModRef {
    declare_root_module_statics! {OtherModRef}
    const BASE_NAME: &'static str = "orderflow_plugin";
    const NAME: &'static str = "orderflow_plugin";
    const VERSION_STRINGS: VersionStrings = VersionStrings::new("1.4.0");
}

#[sabi_extern_fn]
fn answer() -> u64 {
    42
}

#[export_root_module]
pub fn get_library() -> OtherModRef {
    OtherMod { answer }.leak_into_prefix()
}
