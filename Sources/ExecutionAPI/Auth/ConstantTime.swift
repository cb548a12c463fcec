/// Comparisons whose running time does not depend on where the inputs differ, for secrets and
/// digests of secrets.
public enum ConstantTime {
    /// True when `a` and `b` hold the same bytes. Time depends only on the lengths (which are not
    /// secret: digests have a fixed size).
    @inline(never)
    public static func equals(_ a: UnsafeRawBufferPointer, _ b: UnsafeRawBufferPointer) -> Bool {
        guard a.count == b.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<a.count { difference |= a[i] ^ b[i] }
        return difference == 0
    }

    public static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        a.withUnsafeBytes { ab in b.withUnsafeBytes { bb in equals(ab, bb) } }
    }
}
