//! Test fixture: a tool plugin as SDK 1.0 built it — version strings 1.0.0, and a `query`
//! entry that knows none of the queries later minors added. A 1.1 host must load it, serve its
//! tool, and treat the 1.1 query `venue_defaults` as absent.

use orderflow_tool_sdk::prelude::*;

struct PreviousMinor;

impl Plugin for PreviousMinor {
    const NAME: &'static str = "fixture_sdk_1_0";
    const VERSION: &'static str = "1.0.0";

    fn tools() -> Vec<ToolDescriptor> {
        vec![ToolDescriptor {
            name: "sdk10_echo".into(),
            description: "Echoes its `text` argument (fixture of the previous SDK minor).".into(),
            input_schema: r#"{"type":"object","properties":{"text":{"type":"string"}},"required":["text"],"additionalProperties":false}"#.into(),
            output_schema: RString::new(),
        }]
    }

    fn call_tool(name: &str, args: &str, _host: &HostViewRef<'_>) -> Result<ToolStep, SdkError> {
        let v: serde_json::Value =
            serde_json::from_str(args).map_err(|e| SdkError::invalid_args(e.to_string()))?;
        match name {
            "sdk10_echo" => Ok(ToolStep::Done(
                serde_json::json!({"echo": v["text"], "sdk": "1.0"})
                    .to_string()
                    .into(),
            )),
            other => Err(SdkError::new(
                ErrorKind::NotFound,
                format!("unknown tool {other:?}"),
            )),
        }
    }
}

/// The root module in SDK 1.0's shape.
pub fn root_module() -> orderflow_tool_sdk::abi::v1_0::PluginModRef {
    orderflow_tool_sdk::root_module_v1_0_of::<PreviousMinor>()
}

orderflow_tool_sdk::__export_root_module!(orderflow_tool_sdk::abi::v1_0::PluginModRef);
