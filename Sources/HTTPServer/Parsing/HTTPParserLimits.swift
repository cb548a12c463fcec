/// Size bounds applied while parsing a request head (and chunked trailers). Every bound is
/// checked as bytes arrive, so a peer can never make the parser buffer more than the limits.
public struct HTTPParserLimits: Sendable, Equatable {
    /// Longest request line, method through version, excluding its CRLF. Over it: 414.
    /// Also bounds the empty lines tolerated before a request line and a chunk-size line.
    public var maxRequestLineBytes: Int
    /// Largest header block: every field line with its CRLF plus the final empty line. Over it: 431.
    public var maxHeaderBytes: Int
    /// Most field lines in one header block (or trailer section). Over it: 431.
    public var maxHeaderCount: Int

    public init(maxRequestLineBytes: Int = 8192, maxHeaderBytes: Int = 16384, maxHeaderCount: Int = 100) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderBytes = maxHeaderBytes
        self.maxHeaderCount = maxHeaderCount
    }
}
