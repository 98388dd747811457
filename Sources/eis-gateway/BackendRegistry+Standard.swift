public import EISBackend
import EISNativePlugin
import KServeV2Plugin
import MatmulJSONPlugin

extension BackendRegistry {
    /// Every plugin that ships with EIS. A new plugin adds one `register` line here.
    ///
    /// It lives in the executable, not in the gateway library: the library knows only the
    /// plugin API (EISBackend), and the program that runs it decides which plugins it has, as
    /// `main` bootstraps a logging or metrics backend once. Tests import it from here.
    public static var standard: BackendRegistry {
        var registry = BackendRegistry()
        registry.register(EISNativeBackend.Factory())
        registry.register(MatmulJSONBackend.Factory())
        registry.register(KServeV2Backend.Factory())
        return registry
    }
}
