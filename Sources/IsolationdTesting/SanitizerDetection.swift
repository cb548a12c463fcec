#if canImport(Glibc)
import Glibc
#endif

/// Whether the test process runs under a sanitizer, for tests whose volume (not whose
/// assertions) must adapt to it.
public enum SanitizerDetection {
    /// ThreadSanitizer's runtime is linked in (`swift test --sanitize=thread`): its entry point
    /// resolves in the process.
    public static let threadSanitizerActive: Bool = dlsym(nil, "__tsan_init") != nil  // nil: RTLD_DEFAULT
}
