/// The rules `promtool check metrics` applies that matter here, for unit tests that run without
/// promtool: every sample's family was opened by `# HELP` then `# TYPE` lines, a family's samples
/// are together and it is opened once, counter names end in `_total` and only counters' do,
/// histogram series carry `_bucket`, `_sum` or `_count`.
enum ExpositionLint {
    static func problems(_ text: String) -> [String] {
        var problems: [String] = []
        var types: [String: String] = [:]
        var helped: Set<String> = []
        var current: String?
        var closed: Set<String> = []
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) where !line.isEmpty {
            let words = line.split(separator: " ", maxSplits: 3).map(String.init)
            if line.hasPrefix("# HELP ") {
                if let current { closed.insert(current) }
                current = nil
                if helped.contains(words[2]) { problems.append("second HELP for \(words[2])") }
                helped.insert(words[2])
                if words.count < 4 || words[3].isEmpty { problems.append("empty HELP for \(words[2])") }
            } else if line.hasPrefix("# TYPE ") {
                let name = words[2], type = words.count > 3 ? words[3] : ""
                if types[name] != nil || closed.contains(name) { problems.append("second TYPE for \(name)") }
                if !helped.contains(name) { problems.append("TYPE before HELP for \(name)") }
                types[name] = type
                current = name
                if (type == "counter") != name.hasSuffix("_total") { problems.append("\(type) \(name) and _total disagree") }
            } else if line.hasPrefix("#") {
                continue
            } else {
                let series = String(line.prefix { $0 != "{" && $0 != " " })
                guard let family = current, types[family] != nil else { problems.append("\(series) has no TYPE"); continue }
                let allowed = types[family] == "histogram"
                    ? [family + "_bucket", family + "_sum", family + "_count"] : [family]
                if !allowed.contains(series) { problems.append("\(series) sampled under family \(family)") }
                guard let value = line.split(separator: " ").last, Double(value) != nil || ["+Inf", "-Inf", "NaN"].contains(value) else {
                    problems.append("unreadable value: \(line)"); continue
                }
            }
        }
        return problems
    }
}
