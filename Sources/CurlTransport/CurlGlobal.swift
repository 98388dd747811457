import CCurl

/// Process-wide libcurl initialisation.
enum CurlGlobal {
    /// curl_global_init must run once before any other curl call; Swift runs a static let's
    /// initialiser exactly once and thread-safely, which is that guarantee. Never cleaned up:
    /// clients may exist until process exit.
    static let initResult: CURLcode = curl_global_init(Int(CURL_GLOBAL_DEFAULT))
}
