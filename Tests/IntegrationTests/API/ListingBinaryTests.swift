import ExecutionCore
import HTTPServer
import IsolationdTesting
import Testing

/// The lists (`GET /v1/contexts`, `/v1/engines`, `/v1/runs`) against the real binary over real
/// sockets: owner only, newest first, cursor pages that neither skip nor repeat while items are
/// created, filters, bad parameters, `next` links, HEAD, and summaries small enough that no page
/// nears 1 MiB.
@Suite("Lists (real binary)")
struct ListingBinaryTests {
    /// Follows `next` links from `path`; the items of each page under `list`.
    static func pages(_ client: APIClient, _ path: String, list: String,
                      between: (() async throws -> Void)? = nil) async throws -> [[JSONValue]] {
        var pages: [[JSONValue]] = []
        var link: String? = path
        while let target = link {
            let answer = try await client.call("GET", target)
            try #require(answer.status == 200, "\(target): \(answer.status) \(answer.text)")
            pages.append(try #require(answer.json?[list]?.arrayValue))
            link = answer.string("next")
            #expect(answer.header("Link") == link.map { "<\($0)>; rel=\"next\"" })
            try await between?()
            try #require(pages.count < 10_000)
        }
        return pages
    }

    static func ids(_ pages: [[JSONValue]]) -> [String] { pages.flatMap { $0 }.compactMap { $0["id"]?.stringValue } }

    /// created_at never rises down the list (the answer shows milliseconds; the order also uses
    /// the nanoseconds and the id, which the answer does not show).
    static func newestFirst(_ items: [JSONValue]) -> Bool {
        let stamps = items.map { $0["created_at"]?.stringValue ?? "" }
        return !stamps.contains("") && zip(stamps, stamps.dropFirst()).allSatisfy { $0 >= $1 }
    }

    @Test("contexts: owner only, newest first, stable pages while new ones are created, limit and next")
    func contexts() async throws {
        let users = APITestConfiguration.users(2)
        let server = try await APITestConfiguration.start(users: users, contextsPerUser: 200)
        defer { Task { await server.stop() } }
        let alice = server.client(users[0])
        let bob = server.client(users[1])
        var created: [String] = []
        for index in 0..<23 { created.append(try await alice.createContext(thread: "thread-\(index)")) }
        let bobs = try await bob.createContext(thread: "thread-bob")
        var addedDuringPaging: [String] = []
        let pages = try await Self.pages(alice, "/v1/contexts?limit=5", list: "contexts") {
            addedDuringPaging.append(try await alice.createContext(thread: "thread-late-\(addedDuringPaging.count)"))
        }
        #expect(pages.map(\.count) == [5, 5, 5, 5, 3])
        let listed = Self.ids(pages)
        #expect(listed == created.reversed(), "every context once, newest first; those made while paging are not in later pages")
        #expect(!listed.contains(bobs))
        #expect(pages.flatMap { $0 }.allSatisfy { $0["user_id"]?.stringValue == users[0].id && $0["agent_context"] == nil })
        // The first page now starts with what was made during paging, newest first.
        let first = try await alice.call("GET", "/v1/contexts")
        #expect(Self.ids([first.json?["contexts"]?.arrayValue ?? []]).prefix(5) == ArraySlice(addedDuringPaging.reversed()))
        #expect(first.json?["contexts"]?.arrayValue?.count == 28 && first.json?["next"] == nil, "default limit 50")
        let bobsList = try await bob.call("GET", "/v1/contexts")
        #expect(Self.ids([bobsList.json?["contexts"]?.arrayValue ?? []]) == [bobs])
        // A deleted context leaves the list.
        #expect(try await alice.call("DELETE", "/v1/contexts/\(created[0])").status == 204)
        let all = Self.ids(try await Self.pages(alice, "/v1/contexts?limit=200", list: "contexts"))
        #expect(all.count == 27 && !all.contains(created[0]))
    }

    @Test("bad limit or cursor, a bad filter: 422 problem+json naming the parameter; HEAD answers as GET without a body")
    func badParametersAndHead() async throws {
        let users = APITestConfiguration.users(1)
        let server = try await APITestConfiguration.start(users: users)
        defer { Task { await server.stop() } }
        let alice = server.client(users[0])
        for _ in 0..<3 { _ = try await alice.createContext(thread: "thread-x") }
        let cases: [(String, String)] = [
            ("/v1/contexts?limit=0", "limit"), ("/v1/contexts?limit=201", "limit"), ("/v1/engines?limit=-1", "limit"),
            ("/v1/runs?limit=ten", "limit"), ("/v1/runs?limit=", "limit"), ("/v1/contexts?limit=1e2", "limit"),
            ("/v1/contexts?cursor=garbage", "cursor"), ("/v1/engines?cursor=", "cursor"),
            ("/v1/runs?state=done", "state"), ("/v1/runs?engine_id=a%2Fb", "engine_id"), ("/v1/runs?thread_id=", "thread_id"),
        ]
        for (target, field) in cases {
            let answer = try await alice.call("GET", target)
            #expect(answer.status == 422, "\(target)")
            #expect(answer.contentType == "application/problem+json", "\(target)")
            #expect(answer.string("field") == field, "\(target)")
        }
        // A cursor of one list is not one of another.
        let page = try await alice.call("GET", "/v1/contexts?limit=1")
        let next = try #require(page.string("next"))
        let cursor = try #require(next.split(separator: "cursor=").last.map(String.init))
        #expect(try await alice.call("GET", "/v1/runs?cursor=\(cursor)").string("field") == "cursor")
        #expect(try await alice.call("GET", next).json?["contexts"]?.arrayValue?.count == 1)
        #expect(try await alice.call("GET", "/v1/contexts", authenticated: false).status == 401)
        for path in ["/v1/contexts?limit=2", "/v1/engines", "/v1/runs?state=completed"] {
            let get = try await alice.call("GET", path)
            let head = try await alice.call("HEAD", path)
            #expect(head.status == 200 && head.text.isEmpty, "\(path)")
            #expect(head.header("Content-Length") == get.header("Content-Length"), "\(path)")
            #expect(head.header("Link") == get.header("Link"), "\(path)")
        }
    }

    @Test("runs: owner only, newest first, filters, summaries without results; the engine read is bounded")
    func runs() async throws {
        let users = APITestConfiguration.users(2)
        let server = try await APITestConfiguration.start(users: users, enginesPerUser: 2, maxConcurrentRuns: 4, maxQueuedRuns: 40)
        defer { Task { await server.stop() } }
        let alice = server.client(users[0])
        let bob = server.client(users[1])
        let first = try await alice.createEngine(contextID: try await alice.createContext(thread: "thread-one"))
        let second = try await alice.createEngine(contextID: try await alice.createContext(thread: "thread-two"))
        let bobs = try await bob.createEngine(contextID: try await bob.createContext(thread: "thread-one"))
        var started: [String] = []
        for index in 0..<30 {
            started.append(try await alice.startRun(engineID: index % 3 == 0 ? second : first, agent: "echo",
                                                    input: #"{"n": \#(index), "pad": "\#(String(repeating: "x", count: 2000))"}"#))
        }
        let bobsRun = try await bob.startRun(engineID: bobs, agent: "echo")
        for id in started { _ = try await alice.waitForTerminalRun(id) }

        var duringPaging: [String] = []
        let pages = try await Self.pages(alice, "/v1/runs?limit=7", list: "runs") {
            duringPaging.append(try await alice.startRun(engineID: first, agent: "echo"))
        }
        let listed = pages.flatMap { $0 }
        #expect(pages.map(\.count) == [7, 7, 7, 7, 2])
        #expect(Self.ids(pages) == started.reversed())
        let ordered = Self.newestFirst(listed)
        #expect(ordered)
        #expect(listed.allSatisfy { $0["result"] == nil && $0["error"] == nil && $0["user_id"]?.stringValue == users[0].id })
        #expect(listed.allSatisfy { $0["links"]?["self"]?.stringValue == "/v1/runs/" + ($0["id"]?.stringValue ?? "") })
        #expect(try await alice.call("GET", "/v1/runs/\(started[0])").json?["result"]?["echo"]?["n"] == .integer(0), "the read keeps the result")

        let onSecond = Self.ids(try await Self.pages(alice, "/v1/runs?engine_id=\(second)&limit=4", list: "runs"))
        #expect(onSecond == started.enumerated().filter { $0.offset % 3 == 0 }.map(\.element).reversed())
        let onThread = Self.ids(try await Self.pages(alice, "/v1/runs?thread_id=thread-two", list: "runs"))
        #expect(onThread == onSecond)
        for id in duringPaging { _ = try await alice.waitForTerminalRun(id) }
        let completed = Self.ids(try await Self.pages(alice, "/v1/runs?state=completed&engine_id=\(first)&limit=200", list: "runs"))
        #expect(completed.count == 20 + duringPaging.count)
        #expect(try await alice.call("GET", "/v1/runs?state=running").json?["runs"]?.arrayValue?.isEmpty == true)
        // Another user's ids never appear, whatever the filter.
        #expect(try await alice.call("GET", "/v1/runs?engine_id=\(bobs)").json?["runs"]?.arrayValue?.isEmpty == true)
        #expect(Self.ids(try await Self.pages(bob, "/v1/runs", list: "runs")) == [bobsRun])
        let engines = Self.ids(try await Self.pages(alice, "/v1/engines?limit=1", list: "engines"))
        #expect(engines == [second, first])

        // The engine read: its 20 newest runs as summaries, and links to the rest.
        let read = try await alice.call("GET", "/v1/engines/\(first)")
        let recent = try #require(read.json?["runs"]?.arrayValue)
        let firstsRuns = Self.ids(try await Self.pages(alice, "/v1/runs?engine_id=\(first)&limit=200", list: "runs"))
        #expect(Self.ids([recent]) == Array(firstsRuns.prefix(20)))
        #expect(recent.allSatisfy { $0["result"] == nil })
        #expect(read.json?["links"]?["runs"]?.stringValue == "/v1/runs?engine_id=\(first)")
        let rest = try #require(read.json?["links"]?["runs_next"]?.stringValue)
        #expect(Self.ids(try await Self.pages(alice, rest, list: "runs")) == Array(firstsRuns.dropFirst(20)))
    }

    @Test("a page of 200 of the largest contexts stays far below 1 MiB (summaries)")
    func pagesStaySmall() async throws {
        let users = APITestConfiguration.users(1)
        let server = try await APITestConfiguration.start(users: users, contextsPerUser: 200)
        defer { Task { await server.stop() } }
        let alice = server.client(users[0])
        let long = String(repeating: "t", count: 128)
        let bulk = #", "agent_context": {"notes": "\#(String(repeating: "n", count: 60_000))"}"#
        try await withThrowingTaskGroup(of: Void.self) { group in
            for worker in 0..<4 {
                group.addTask {
                    for index in 0..<50 {
                        let thread = String((long + "-\(worker)-\(index)").suffix(128))
                        _ = try await alice.createContext(thread: thread, extra: #", "run_id": "\#(long)""# + bulk)
                    }
                }
            }
            try await group.waitForAll()
        }
        let page = try await alice.call("GET", "/v1/contexts?limit=200")
        #expect(page.json?["contexts"]?.arrayValue?.count == 200)
        #expect(page.text.utf8.count < 200 * 1024, "\(page.text.utf8.count) bytes")
    }

    @Test("10,000 contexts paged through by 200: each visited exactly once, newest first")
    func tenThousand() async throws {
        let users = APITestConfiguration.users(1)
        let server = try await APITestConfiguration.start(users: users, contextsPerUser: 10_000)
        defer { Task { await server.stop() } }
        let alice = server.client(users[0])
        let created = try await withThrowingTaskGroup(of: [String].self) { group in
            for worker in 0..<8 {
                group.addTask {
                    var ids: [String] = []
                    for index in 0..<1_250 { ids.append(try await alice.createContext(thread: "t-\(worker)-\(index)")) }
                    return ids
                }
            }
            var all: [String] = []
            for try await ids in group { all += ids }
            return all
        }
        #expect(created.count == 10_000)
        let pages = try await Self.pages(alice, "/v1/contexts?limit=200", list: "contexts")
        #expect(pages.count == 50 && pages.allSatisfy { $0.count == 200 })
        let listed = Self.ids(pages)
        #expect(listed.count == 10_000 && Set(listed).count == 10_000 && Set(listed) == Set(created))
        let ordered = Self.newestFirst(pages.flatMap { $0 })
        #expect(ordered)
    }
}
