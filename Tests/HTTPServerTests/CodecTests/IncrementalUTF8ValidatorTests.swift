import Testing
@testable import HTTPServer

@Suite("Incremental UTF-8 validator")
struct IncrementalUTF8ValidatorTests {
    @Test("agrees with the standard library on random bytes, fed whole and split")
    func differential() {
        var generator = SplitMix64(seed: 11)
        for _ in 0..<3000 {
            let count = Int.random(in: 0...8, using: &generator)
            // Bias towards bytes that start or continue multi-byte sequences.
            let bytes = (0..<count).map { _ in
                Bool.random(using: &generator) ? UInt8.random(in: 0x80...0xF5, using: &generator) : UInt8.random(in: 0...255, using: &generator)
            }
            let expected = String(validating: bytes, as: UTF8.self) != nil
            var whole = IncrementalUTF8Validator()
            #expect((whole.feed(bytes) && whole.isAtCodePointBoundary) == expected, "\(bytes)")
            let cut = Int.random(in: 0...count, using: &generator)
            var split = IncrementalUTF8Validator()
            let result = split.feed(Array(bytes[..<cut])) && split.feed(Array(bytes[cut...])) && split.isAtCodePointBoundary
            #expect(result == expected, "\(bytes) cut at \(cut)")
        }
    }

    @Test("boundary code points")
    func boundaries() {
        for scalar in [0x7F, 0x80, 0x7FF, 0x800, 0xD7FF, 0xE000, 0xFFFF, 0x10000, 0x10FFFF] {
            var validator = IncrementalUTF8Validator()
            let text = String(Character(Unicode.Scalar(UInt32(scalar))!))
            #expect(validator.feed(Array(text.utf8)) && validator.isAtCodePointBoundary, "U+\(String(scalar, radix: 16))")
        }
    }
}
