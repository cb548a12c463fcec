// swift-tools-version:6.1
// isolationd: a multi-tenant execution-isolation service on its own HTTP/1.1 server.
// Layers (see ARCHITECTURE.md): isolationd -> ExecutionAPI -> (HTTPServer | ExecutionCore) -> Platform -> C libraries.
import PackageDescription

let settings: [SwiftSetting] = [.swiftLanguageMode(.v6), .enableUpcomingFeature("ExistentialAny")]

let package = Package(
    name: "isolationd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "isolationd", targets: ["isolationd"]),
        .executable(name: "core-bench", targets: ["core-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    ],
    targets: [
        // System libraries, linked through pkg-config (libssl-dev, zlib1g-dev).
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl",
                       providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZlib", pkgConfig: "zlib",
                       providers: [.apt(["zlib1g-dev"])]),

        // Mutex that ThreadSanitizer can follow; below both HTTPServer and ExecutionCore.
        .target(name: "VisibleLocks", swiftSettings: settings),
        // The Linux calls Glibc does not export cleanly (epoll, eventfd, pidfd, pipe2, ...), as
        // static inline C wrappers; no library to link.
        .systemLibrary(name: "CPlatform"),
        // The platform layer under both HTTPServer and ExecutionCore: the one Reactor (epoll,
        // timers, cross-thread tasks), ReactorThread, LoopBound, MonotonicClock.
        .target(name: "Platform", dependencies: ["CPlatform", "VisibleLocks"], swiftSettings: settings),

        // Sockets, epoll, HTTP/1.1, TLS, gzip, SSE and WebSocket. Knows no domain word.
        .target(name: "HTTPServer",
                dependencies: ["COpenSSL", "CZlib", "Platform", "VisibleLocks", .product(name: "Logging", package: "swift-log")],
                swiftSettings: settings),
        // Contexts, factory, engines, agents, event hub. Knows no HTTP word, imports no socket.
        .target(name: "ExecutionCore",
                dependencies: ["Platform", "VisibleLocks", .product(name: "Logging", package: "swift-log")],
                swiftSettings: settings),
        // The only layer that knows both: routes, auth, problem+json, streams.
        .target(name: "ExecutionAPI",
                dependencies: ["HTTPServer", "ExecutionCore", "COpenSSL", "Platform", "VisibleLocks",
                               .product(name: "Logging", package: "swift-log")],
                swiftSettings: settings),
        // The executable's configuration (file, environment overrides, validation, the redacted
        // view) and its log line format. Used by isolationd only, never by ExecutionAPI: that
        // takes plain settings values from its caller.
        .target(name: "IsolationdConfiguration",
                dependencies: ["ExecutionAPI", "HTTPServer", "ExecutionCore", "Platform", "VisibleLocks",
                               .product(name: "Logging", package: "swift-log")],
                swiftSettings: settings),
        // The core's shared stores on PostgreSQL (issue 13): engine slots, idempotency records,
        // replica leases, and the schema's migrations. Knows no HTTP word; the core knows no SQL.
        .target(name: "PostgresStore",
                dependencies: ["ExecutionCore", "PostgresClient", "VisibleLocks", .product(name: "Logging", package: "swift-log")],
                swiftSettings: settings),
        .executableTarget(name: "isolationd",
                          dependencies: ["ExecutionAPI", "HTTPServer", "ExecutionCore", "Platform", "VisibleLocks",
                                         "IsolationdConfiguration", "PostgresClient", "PostgresStore",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser"),
                                         .product(name: "Logging", package: "swift-log")],
                          swiftSettings: settings,
                          // Release builds carry the Swift runtime in the binary, as the container's
                          // build (--static-swift-stdlib) does: `swift run -c release isolationd` then
                          // idles at about 15 MiB instead of 18 (no shared Swift libraries to map and
                          // relocate). FoundationEssentials (through ArgumentParser) needs
                          // its two helper archives named when linked statically this way.
                          linkerSettings: [.unsafeFlags(["-static-stdlib", "-l_FoundationCollections", "-l_FoundationCShims"],
                                                        .when(platforms: [.linux], configuration: .release))]),
        .executableTarget(name: "core-bench", dependencies: ["ExecutionCore", "Platform", "VisibleLocks"], swiftSettings: settings),

        // PostgreSQL's C client, loaded at run time (see its header): built against libpq-dev's
        // header, linked to nothing of it, so the embedded default never maps libpq.
        .target(name: "CLibPQ", linkerSettings: [.linkedLibrary("dl")]),
        // A PostgreSQL client on its own Reactor: a pool of pipelined libpq connections, LISTEN,
        // migrations. Knows no HTTP and no domain word.
        .target(name: "PostgresClient",
                dependencies: ["CLibPQ", "Platform", "VisibleLocks", .product(name: "Logging", package: "swift-log")],
                swiftSettings: settings),
        // Test support: a throw-away PostgreSQL cluster (initdb into a temporary directory).
        .target(name: "PostgresTesting", dependencies: ["PostgresClient", "Platform", "VisibleLocks"], swiftSettings: settings),

        // Shared by every test target: ephemeral-port servers, raw-socket HTTP, SSE and WebSocket clients.
        .target(name: "IsolationdTesting", dependencies: ["HTTPServer", "ExecutionCore", "Platform", "VisibleLocks"], swiftSettings: settings),

        .testTarget(name: "PlatformTests", dependencies: ["Platform", "IsolationdTesting", "VisibleLocks"], swiftSettings: settings),
        .testTarget(name: "HTTPServerTests", dependencies: ["HTTPServer", "IsolationdTesting", "Platform", "VisibleLocks"], swiftSettings: settings),
        .testTarget(name: "ExecutionCoreTests", dependencies: ["ExecutionCore", "IsolationdTesting", "Platform", "VisibleLocks"], swiftSettings: settings),
        .testTarget(name: "ExecutionAPITests", dependencies: ["ExecutionAPI", "IsolationdTesting", "VisibleLocks"], swiftSettings: settings),
        .testTarget(name: "IsolationdConfigurationTests",
                    dependencies: ["IsolationdConfiguration", "ExecutionAPI", "HTTPServer", "ExecutionCore", "IsolationdTesting", "Platform", "VisibleLocks",
                                   .product(name: "Logging", package: "swift-log")],
                    swiftSettings: settings),
        .testTarget(name: "PostgresClientTests",
                    dependencies: ["PostgresClient", "PostgresTesting", "Platform", "VisibleLocks",
                                   .product(name: "Logging", package: "swift-log")],
                    swiftSettings: settings),
        .testTarget(name: "PostgresStoreTests",
                    dependencies: ["PostgresStore", "PostgresClient", "PostgresTesting", "ExecutionCore", "IsolationdTesting",
                                   .product(name: "Logging", package: "swift-log")],
                    swiftSettings: settings),
        .testTarget(name: "IntegrationTests",
                    dependencies: ["ExecutionAPI", "HTTPServer", "ExecutionCore", "IsolationdTesting", "VisibleLocks",
                                   "IsolationdConfiguration", "PostgresTesting"],
                    swiftSettings: settings),
    ]
)
