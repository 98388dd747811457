public import EISBackend
import EISNativePlugin
import KServeV2Plugin
import MatmulJSONPlugin

extension BackendRegistry {
    /// Every plugin that ships with EIS. A new plugin adds one `register` line here.
    public static var standard: BackendRegistry {
        var registry = BackendRegistry()
        registry.register(EISNativeBackend.Factory())
        registry.register(MatmulJSONBackend.Factory())
        registry.register(KServeV2Backend.Factory())
        return registry
    }
}
