extension Timestamp {
    /// The same text as `iso8601` ("2026-11-26T07:27:23.123Z") through the event encoder's fast
    /// writer (one allocation, no `gmtime_r`): contexts stamp their audit metadata with it on the
    /// request path.
    var contextStamp: String { EventJSON.timestampText(self) }
}
