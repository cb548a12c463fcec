import ExecutionCore

/// The `cursor` of a list: the `ListingKey` of the last item of the previous page, with the list
/// it belongs to, as `v1.<list>.<created_at ns>.<id>`. Clients treat it as opaque (the version
/// lets the key change without breaking them); it is plain text rather than an encoding of it so
/// that the OpenAPI document can state exactly which values the server accepts (`pattern`): a
/// cursor of another list, or one that does not parse, is refused as the rest of the API refuses
/// a bad query value (422 naming it).
enum ListCursor {
    static let version = "v1"

    static func encode(_ key: ListingKey, list: String) -> String {
        "\(version).\(list).\(key.createdAt.nanoseconds).\(key.id)"
    }

    static func decode(_ text: String, list: String) throws(ProblemDetails) -> ListingKey {
        // The id is last and may itself hold dots; the other parts cannot.
        let parts = text.split(separator: ".", maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == version, parts[1] == list,
              parts[2].utf8.count <= maxInstantDigits, parts[2].utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }),
              let nanoseconds = Int64(parts[2]), APIRequest.isPlausibleID(String(parts[3])) else { throw invalid }
        return ListingKey(createdAt: Timestamp(nanoseconds: nanoseconds), id: String(parts[3]))
    }

    /// Digits of the largest instant (`Int64.max` nanoseconds).
    static let maxInstantDigits = String(Int64.max).utf8.count

    /// The values `decode` accepts for `list`, as a regular expression (for the OpenAPI document).
    static func pattern(list: String) -> String {
        "^" + version + "\\." + list + "\\." + DecimalPattern.notAbove(UInt64(Int64.max)) + "\\."
            + OpenAPIContract.identifierCharacters + "{1,\(APIRequest.maxIDBytes)}$"
    }

    static let invalid = ProblemDetails.validation(
        field: "cursor", "cursor must be a value from a previous page's next link of this list")
}
