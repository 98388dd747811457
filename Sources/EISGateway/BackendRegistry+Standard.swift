public import EISBackend
import EISNativePlugin

extension BackendRegistry {
    /// Every plugin that ships with EIS. A new plugin adds one `register` line here.
    public static var standard: BackendRegistry {
        var registry = BackendRegistry()
        registry.register(EISNativeBackend.Factory())
        return registry
    }
}
