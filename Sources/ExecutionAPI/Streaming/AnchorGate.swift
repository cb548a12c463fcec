import HTTPServer
import VisibleLocks

/// A stream's response on a journal (SSE headers, the WebSocket 101): sent once the stream is
/// both made and anchored, whichever comes second (the anchor may come on the database's thread
/// before `open` returns).
final class AnchorGate: Sendable {
    private struct State {
        var response: HTTPResponse?
        var anchored = false
    }
    private let state = VisibleMutex(State())
    private let answer: LaterAnswer.Answer

    init(_ answer: @escaping LaterAnswer.Answer) { self.answer = answer }

    func opened(_ response: HTTPResponse) {
        if state.withLock({ state in state.response = response; return state.anchored }) { answer(.success(response)) }
    }

    func anchored() {
        if let response = state.withLock({ state -> HTTPResponse? in state.anchored = true; return state.response }) {
            answer(.success(response))
        }
    }
}
