// libFuzzer entry point for the HTTP/1.1 parser. Built by scripts/fuzz-parser.sh together with
// Sources/HTTPServer/{Core,Parsing} as one module, so internal names are visible here.
//
// Input layout: the first byte picks the configuration (bit 0: tiny limits, so the limit paths
// are reachable with short inputs); the rest is what a client sent.

@_cdecl("LLVMFuzzerTestOneInput")
public func parserFuzzTestOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size > 0 else { return 0 }
    let config = data[0]
    let input = UnsafeRawBufferPointer(start: data + 1, count: size - 1)
    let limits = config & 1 == 1
        ? HTTPParserLimits(maxRequestLineBytes: 40, maxHeaderBytes: 96, maxHeaderCount: 4)
        : HTTPParserLimits()
    let maxBody = config & 2 == 2 ? 16 : 4096
    FuzzInvariants.checkPipeline(input, limits: limits, maxBody: maxBody)
    FuzzInvariants.checkChunked(input, limits: limits, maxBody: maxBody)
    return 0
}
