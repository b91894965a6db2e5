//! Test fixture: a library whose root module claims plugin ABI 2.0.0 (the host speaks 1.x), as a
//! plugin built against a future, incompatible major of `orderflow-tool-sdk` would. The host must refuse
//! it with an error naming both versions.

// abi_stable's export macros expand to `unsafe` items.
#![allow(
    unsafe_code,
    missing_docs,
    missing_debug_implementations,
    non_local_definitions
)]

use abi_stable::{
    StableAbi, declare_root_module_statics, export_root_module, library::RootModule,
    prefix_type::PrefixTypeTrait, sabi_extern_fn, sabi_types::VersionStrings, std_types::RString,
};

#[repr(C)]
#[derive(StableAbi)]
#[sabi(kind(Prefix(prefix_ref = FutureModRef)))]
pub struct FutureMod {
    #[sabi(last_prefix_field)]
    pub name: extern "C" fn() -> RString,
}

impl RootModule for FutureModRef {
    declare_root_module_statics! {FutureModRef}
    const BASE_NAME: &'static str = "orderflow_plugin";
    const NAME: &'static str = "orderflow_plugin";
    const VERSION_STRINGS: VersionStrings = VersionStrings::new("2.0.0");
}

#[sabi_extern_fn]
fn name() -> RString {
    "future".into()
}

#[export_root_module]
pub fn get_library() -> FutureModRef {
    FutureMod { name }.leak_into_prefix()
}
