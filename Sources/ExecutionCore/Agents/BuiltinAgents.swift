/// The builtin agents' behaviour. Each returns its outcome; progress goes to `output` as it
/// happens. All of them throw `CancellationError` as soon as their task is cancelled.
enum BuiltinAgents {
    static func echo(_ request: AgentRunRequest, output: any AgentRunOutput) async throws -> AgentOutcome {
        try Task.checkCancellation()
        output.progress(.agentThinking, data: .object(["reasoning": .string("Echoing the input back"),
                                                       "step": .integer(1), "progress": .double(0.5)]))
        await Task.yield()
        try Task.checkCancellation()
        return .completed(result: .object(["echo": request.input]))
    }

    static func sleep(_ request: AgentRunRequest, output: any AgentRunOutput, clock: any ExecutionClock) async throws -> AgentOutcome {
        let requested = request.input["seconds"]
        let seconds: Double
        switch requested {
        case nil, .null?: seconds = 1
        case let value?:
            guard let number = value.doubleValue, number >= 0, number <= 3600 else {
                return .failed(kind: "bad_input", message: "input.seconds must be a number from 0 to 3600")
            }
            seconds = number
        }
        output.progress(.agentThinking, data: .object(["reasoning": .string("Sleeping for \(seconds) s"),
                                                       "step": .integer(1), "progress": .double(0)]))
        try await clock.sleep(for: .nanoseconds(Int64(seconds * 1e9)))
        try Task.checkCancellation()
        return .completed(result: .object(["slept_seconds": .double(seconds)]))
    }

    static func tools(_ request: AgentRunRequest, output: any AgentRunOutput, clock: any ExecutionClock) async throws -> AgentOutcome {
        let query = request.input["query"]?.stringValue ?? request.input.stringValue ?? "how are runs isolated"
        output.progress(.agentThinking, data: .object([
            "reasoning": .string("Splitting the question into a note search and a text analysis"),
            "step": .integer(1), "progress": .double(0.1)]))
        try await pause()

        let searchParameters: JSONValue = .object(["query": .string(query), "limit": .integer(3)])
        output.progress(.toolExecuting, data: .object(["tool_name": .string("search_notes"), "parameters": searchParameters]))
        var started = clock.now()
        let hits = NoteSearch.search(query, limit: 3)
        try await pause()
        output.progress(.toolCompleted, data: .object([
            "tool_name": .string("search_notes"),
            "result": .object(["hits": .array(hits.map(\.json)), "total": .integer(Int64(hits.count))]),
            "duration_ms": .double(milliseconds(since: started, clock))]))

        output.progress(.toolExecuting, data: .object(["tool_name": .string("text_statistics"),
                                                       "parameters": .object(["text": .string(query)])]))
        started = clock.now()
        let statistics = TextStatistics(query)
        try await pause()
        output.progress(.toolCompleted, data: .object([
            "tool_name": .string("text_statistics"), "result": statistics.json,
            "duration_ms": .double(milliseconds(since: started, clock))]))

        output.progress(.agentThinking, data: .object([
            "reasoning": .string("Combining \(hits.count) notes with the text statistics"),
            "step": .integer(2), "progress": .double(0.9)]))
        try await pause()
        let answer = hits.first.map { "Most relevant note: \($0.title). \($0.text)" } ?? "No note matches \"\(query)\"."
        return .completed(result: .object([
            "answer": .string(answer),
            "sources": .array(hits.map { .string($0.title) }),
            "tools_used": .array([.string("search_notes"), .string("text_statistics")]),
            "query_words": .integer(Int64(statistics.words))]))
    }

    /// Lets other work run between steps, and stops here when cancelled.
    private static func pause() async throws {
        await Task.yield()
        try Task.checkCancellation()
    }

    private static func milliseconds(since start: Timestamp, _ clock: any ExecutionClock) -> Double {
        let elapsed = clock.now() - start
        return (elapsed.secondsDouble * 1e6).rounded() / 1e3
    }
}

/// The `tools` agent's search tool: word-overlap ranking over a few built-in notes.
enum NoteSearch {
    struct Hit {
        var title: String
        var text: String
        var score: Int
        var json: JSONValue {
            .object(["title": .string(title), "snippet": .string(text), "score": .integer(Int64(score))])
        }
    }

    static let notes: [(title: String, text: String)] = [
        ("Process groups", "Each process agent runs in its own process group, so cancel reaches every child it started."),
        ("Event replay", "Every user has an ordered event log; clients resume after the last id they saw."),
        ("Per-user limits", "Engines, contexts, queued runs and open streams are capped per user and checked atomically."),
        ("Slow consumers", "A subscriber whose queue fills up is cut off with a reason instead of growing memory."),
        ("Clean environment", "A child process sees only the environment variables its configuration allows."),
        ("Timeouts", "A run past its timeout is cancelled: SIGTERM to its group, then SIGKILL after a grace period."),
    ]

    static func words(_ text: String) -> Set<String> {
        var out: Set<String> = []
        var current = ""
        for scalar in text.lowercased().unicodeScalars {
            if scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) {
                current.unicodeScalars.append(scalar)
            } else if !current.isEmpty {
                if current.count > 2 { out.insert(current) }
                current = ""
            }
        }
        if current.count > 2 { out.insert(current) }
        return out
    }

    static func search(_ query: String, limit: Int) -> [Hit] {
        let wanted = words(query)
        return notes.map { note in
            Hit(title: note.title, text: note.text, score: wanted.intersection(words(note.title + " " + note.text)).count)
        }
        .filter { $0.score > 0 }
        .sorted { $0.score != $1.score ? $0.score > $1.score : $0.title < $1.title }
        .prefix(limit)
        .map { $0 }
    }
}

/// The `tools` agent's analysis tool.
struct TextStatistics {
    var words: Int
    var characters: Int
    var uniqueWords: Int
    var longestWord: String

    init(_ text: String) {
        let tokens = text.split(whereSeparator: { $0.isWhitespace || $0.isPunctuation }).map { $0.lowercased() }
        words = tokens.count
        characters = text.count
        uniqueWords = Set(tokens).count
        longestWord = tokens.max { $0.count != $1.count ? $0.count < $1.count : $0 > $1 } ?? ""
    }

    var json: JSONValue {
        .object(["words": .integer(Int64(words)), "characters": .integer(Int64(characters)),
                 "unique_words": .integer(Int64(uniqueWords)), "longest_word": .string(longestWord)])
    }
}
