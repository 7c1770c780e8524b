//! Endpoint presets: where each way of reaching GLM lives, how many requests it takes in
//! flight, and which environment variable holds its key. Plain data; the configuration layer
//! resolves them (`provider`, `baseUrl`, `maxConcurrency`, the key variables).

/// One way of reaching GLM. `Custom` is any OpenAI-compatible server at `baseUrl`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum Provider {
    /// Zhipu's open platform (mainland China): the default.
    #[default]
    Bigmodel,
    /// The same platform's GLM Coding Plan endpoint.
    BigmodelCoding,
    /// Z.ai, the provider's global platform.
    Zai,
    /// Z.ai's GLM Coding Plan endpoint (coding-plan keys work only here).
    ZaiCoding,
    /// The RunAPI reseller.
    Runapi,
    /// The CometAPI reseller.
    Cometapi,
    /// Any OpenAI-compatible endpoint (llama.cpp, vLLM, Ollama, a gateway): needs `baseUrl`.
    Custom,
}

/// Accepted by every provider, and checked first: it is this program's own variable.
pub const GENERIC_KEY_VARIABLE: &str = "GLM_API_KEY";

impl Provider {
    pub const ALL: [Provider; 7] = [
        Provider::Bigmodel,
        Provider::BigmodelCoding,
        Provider::Zai,
        Provider::ZaiCoding,
        Provider::Runapi,
        Provider::Cometapi,
        Provider::Custom,
    ];

    /// The setting's value.
    pub fn id(self) -> &'static str {
        match self {
            Provider::Bigmodel => "bigmodel",
            Provider::BigmodelCoding => "bigmodel-coding",
            Provider::Zai => "zai",
            Provider::ZaiCoding => "zai-coding",
            Provider::Runapi => "runapi",
            Provider::Cometapi => "cometapi",
            Provider::Custom => "custom",
        }
    }

    pub fn parse(id: &str) -> Option<Provider> {
        Provider::ALL.into_iter().find(|provider| provider.id() == id.trim())
    }

    /// Who runs the endpoint, for `doctor`.
    pub fn description(self) -> &'static str {
        match self {
            Provider::Bigmodel => "Zhipu open platform",
            Provider::BigmodelCoding => "Zhipu GLM Coding Plan",
            Provider::Zai => "Z.ai platform",
            Provider::ZaiCoding => "Z.ai GLM Coding Plan",
            Provider::Runapi => "RunAPI reseller",
            Provider::Cometapi => "CometAPI reseller",
            Provider::Custom => "a custom OpenAI-compatible endpoint",
        }
    }

    /// The base URL (without `/chat/completions`); `None` for `Custom`.
    pub fn base_url(self) -> Option<&'static str> {
        match self {
            Provider::Bigmodel => Some("https://open.bigmodel.cn/api/paas/v4"),
            Provider::BigmodelCoding => Some("https://open.bigmodel.cn/api/coding/paas/v4"),
            Provider::Zai => Some("https://api.z.ai/api/paas/v4"),
            Provider::ZaiCoding => Some("https://api.z.ai/api/coding/paas/v4"),
            Provider::Runapi => Some("https://runapi.ai/v1"),
            Provider::Cometapi => Some("https://api.cometapi.com/v1"),
            Provider::Custom => None,
        }
    }

    /// The provider's own key variable, read after `GLM_API_KEY`.
    pub fn key_variable(self) -> Option<&'static str> {
        match self {
            Provider::Bigmodel | Provider::BigmodelCoding => Some("ZHIPUAI_API_KEY"),
            Provider::Zai | Provider::ZaiCoding => Some("ZAI_API_KEY"),
            Provider::Runapi => Some("RUNAPI_KEY"),
            Provider::Cometapi => Some("COMETAPI_KEY"),
            Provider::Custom => None,
        }
    }

    /// The variables a key is read from, in order.
    pub fn key_variables(self) -> Vec<&'static str> {
        std::iter::once(GENERIC_KEY_VARIABLE).chain(self.key_variable()).collect()
    }

    /// Requests in flight when `maxConcurrency` is not set. The Coding Plans' smaller tiers
    /// allow about one; more would only collect 429s (code 1302).
    pub fn max_concurrency(self) -> usize {
        match self {
            Provider::BigmodelCoding | Provider::ZaiCoding => 1,
            _ => 5,
        }
    }

    /// The model when `model` is not set: glm-4.7, but CometAPI lists the GLM-4.5 family.
    pub fn default_model(self) -> &'static str {
        match self {
            Provider::Cometapi => "glm-4.5",
            _ => "glm-4.7",
        }
    }

    /// Whether `GET {base}/models` lists the models: Z.ai has no such route; the others are
    /// OpenAI-compatible and may (`doctor` tries and says what it found).
    pub fn has_models_route(self) -> bool {
        !matches!(self, Provider::Zai | Provider::ZaiCoding)
    }

    /// The preset whose base URL this is (ignoring a trailing slash), else `Custom`.
    pub fn for_base_url(url: &str) -> Provider {
        let url = url.trim().trim_end_matches('/');
        Provider::ALL.into_iter().find(|provider| provider.base_url() == Some(url)).unwrap_or(Provider::Custom)
    }

    /// The preset a key variable belongs to, when only that variable is set.
    pub fn for_key_variable(variable: &str) -> Option<Provider> {
        match variable {
            "ZHIPUAI_API_KEY" => Some(Provider::Bigmodel),
            "ZAI_API_KEY" => Some(Provider::Zai),
            "RUNAPI_KEY" => Some(Provider::Runapi),
            "COMETAPI_KEY" => Some(Provider::Cometapi),
            _ => None,
        }
    }
}

/// Every provider-specific key variable, in the order a key is looked for when no provider
/// is chosen.
pub const PROVIDER_KEY_VARIABLES: [&str; 4] = ["ZHIPUAI_API_KEY", "ZAI_API_KEY", "RUNAPI_KEY", "COMETAPI_KEY"];

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_round_trip_and_urls_map_back() {
        for provider in Provider::ALL {
            assert_eq!(Provider::parse(provider.id()), Some(provider));
            if let Some(url) = provider.base_url() {
                assert_eq!(Provider::for_base_url(url), provider);
                assert_eq!(Provider::for_base_url(&format!("{url}/")), provider);
            }
        }
        assert_eq!(Provider::for_base_url("http://127.0.0.1:8080/v1"), Provider::Custom);
        assert_eq!(Provider::parse("openai"), None);
    }

    #[test]
    fn coding_plans_take_one_request_at_a_time() {
        assert_eq!(Provider::ZaiCoding.max_concurrency(), 1);
        assert_eq!(Provider::BigmodelCoding.max_concurrency(), 1);
        assert_eq!(Provider::Zai.max_concurrency(), 5);
    }

    #[test]
    fn every_provider_accepts_the_generic_variable_first() {
        for provider in Provider::ALL {
            assert_eq!(provider.key_variables()[0], GENERIC_KEY_VARIABLE);
        }
        assert_eq!(Provider::ZaiCoding.key_variables(), ["GLM_API_KEY", "ZAI_API_KEY"]);
        assert_eq!(Provider::Custom.key_variables(), ["GLM_API_KEY"]);
    }
}
