/// What a statement returned: its rows (text format) and the count of rows it inserted,
/// updated, deleted or selected.
public struct PostgresResult: Sendable {
    public let rows: [PostgresRow]
    /// `PQcmdTuples`: rows affected by INSERT/UPDATE/DELETE (or returned by SELECT); 0 when the
    /// command reports none.
    public let affectedRows: Int
    /// The result's column names, in order.
    public var columns: [String] { cells.columns }

    let cells: ResultCells

    init(cells: ResultCells, affectedRows: Int) {
        self.cells = cells
        self.affectedRows = affectedRows
        rows = (0..<cells.rowCount).map { PostgresRow(cells: cells, row: $0) }
    }

    /// The index of the column named `name`, nil when there is none.
    public func column(named name: String) -> Int? { cells.columns.firstIndex(of: name) }
}

/// One row of a `PostgresResult`. Column indices out of range read as NULL.
public struct PostgresRow: Sendable {
    let cells: ResultCells
    let row: Int

    public var columnCount: Int { cells.columns.count }

    /// The cell's text, nil for NULL.
    public subscript(column: Int) -> String? {
        guard let range = cells.range(row: row, column: column) else { return nil }
        return String(decoding: cells.bytes[range], as: UTF8.self)
    }

    /// The cell as a whole number, nil for NULL or anything else.
    public func int(_ column: Int) -> Int64? {
        guard let range = cells.range(row: row, column: column) else { return nil }
        return Int64(String(decoding: cells.bytes[range], as: UTF8.self))
    }

    /// A boolean cell (`t`/`f`), nil for NULL or anything else.
    public func bool(_ column: Int) -> Bool? {
        guard let range = cells.range(row: row, column: column), range.count == 1 else { return nil }
        switch cells.bytes[range.lowerBound] {
        case UInt8(ascii: "t"): return true
        case UInt8(ascii: "f"): return false
        default: return nil
        }
    }

    /// A bytea cell (text format `\x` followed by hex), decoded; nil for NULL or anything else.
    public func bytes(_ column: Int) -> [UInt8]? {
        guard let range = cells.range(row: row, column: column), range.count >= 2, range.count % 2 == 0,
              cells.bytes[range.lowerBound] == UInt8(ascii: "\\"), cells.bytes[range.lowerBound + 1] == UInt8(ascii: "x")
        else { return nil }
        var decoded = [UInt8]()
        decoded.reserveCapacity((range.count - 2) / 2)
        var index = range.lowerBound + 2
        while index < range.upperBound {
            guard let high = Self.hexValue(cells.bytes[index]), let low = Self.hexValue(cells.bytes[index + 1]) else { return nil }
            decoded.append(high << 4 | low)
            index += 2
        }
        return decoded
    }

    /// Whether the cell is NULL.
    public func isNull(_ column: Int) -> Bool { cells.range(row: row, column: column) == nil }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}

/// A result's cells in one byte buffer, with each cell's start and length (length -1: NULL):
/// two allocations per result however many cells it has, shared by its rows.
final class ResultCells: Sendable {
    let columns: [String]
    let rowCount: Int
    let bytes: [UInt8]
    /// Per cell, row-major: start offset and length in `bytes`.
    let spans: [(start: Int32, length: Int32)]

    init(columns: [String], rowCount: Int, bytes: [UInt8], spans: [(start: Int32, length: Int32)]) {
        self.columns = columns
        self.rowCount = rowCount
        self.bytes = bytes
        self.spans = spans
    }

    static let empty = ResultCells(columns: [], rowCount: 0, bytes: [], spans: [])

    func range(row: Int, column: Int) -> Range<Int>? {
        guard column >= 0, column < columns.count, row >= 0, row < rowCount else { return nil }
        let span = spans[row * columns.count + column]
        guard span.length >= 0 else { return nil }
        return Int(span.start)..<Int(span.start) + Int(span.length)
    }
}
