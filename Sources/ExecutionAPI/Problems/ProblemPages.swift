import HTTPServer

/// `GET /problems/{name}`: what each problem `type` means, as a short HTML page (RFC 9457 §3.1.1:
/// a type should lead to documentation for people); `GET /problems`: the table of them all.
/// The pages are made once, from `ProblemType.all`, at start; no credentials needed.
enum ProblemPages {
    static let contentType = "text/html; charset=utf-8"

    static func install(on router: inout Router) {
        let pages = Dictionary(uniqueKeysWithValues: ProblemType.all.map { ($0.name, Array(page($0).utf8)) })
        let index = Array(self.index().utf8)
        router.get("/problems") { _ in answer(index) }
        router.get("/problems/:name") { request in
            guard let name = request.pathParameters["name"], let page = pages[name] else {
                return ProblemDetails.notFound("no problem type has this name; GET /problems lists them").response()
            }
            return answer(page)
        }
    }

    private static func answer(_ page: [UInt8]) -> HTTPResponse {
        HTTPResponse(status: .ok, contentType: contentType, body: page,
                     headers: ["Cache-Control": "public, max-age=86400"])
    }

    static func page(_ type: ProblemType) -> String {
        document(title: "\(type.title) (\(type.status.code))", body: """
            <h1>\(escape(type.title))</h1>
            <p>HTTP status \(type.status.code). Problem type <code>\(escape(type.uri))</code>.</p>
            <p>\(escape(type.summary))</p>
            <p>The problem's <code>detail</code> says what happened this time; its <code>instance</code> \
            (<code>\(escape(ProblemDetails.instancePrefix))&lt;id&gt;</code>) names the request by its \
            <code>X-Request-ID</code>.</p>
            <p><a href="/problems">All problem types</a></p>
            """)
    }

    static func index() -> String {
        var rows = ""
        for type in ProblemType.all {
            rows += "<tr><td>\(type.status.code)</td><td><a href=\"\(escape(type.page))\">\(escape(type.name))</a></td>"
                + "<td>\(escape(type.title))</td></tr>\n"
        }
        return document(title: "Problem types", body: """
            <h1>Problem types</h1>
            <p>Every error answer is <code>application/problem+json</code> (RFC 9457) whose <code>type</code> is \
            <code>\(escape(ProblemDetails.typePrefix))&lt;name&gt;</code>.</p>
            <table><tr><th>Status</th><th>Name</th><th>Title</th></tr>
            \(rows)</table>
            """)
    }

    private static func document(title: String, body: String) -> String {
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>\(escape(title))</title></head>\n<body>\n"
            + body + "\n</body></html>\n"
    }

    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for character in text {
            switch character {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            default: out.append(character)
            }
        }
        return out
    }
}
