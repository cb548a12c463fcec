@testable import ExecutionAPI
import Testing

@Suite("Prometheus text writer")
struct PrometheusExpositionTests {
    static func text(_ build: (inout PrometheusExposition) -> Void) -> String {
        var out = PrometheusExposition()
        build(&out)
        return String(decoding: out.bytes, as: UTF8.self)
    }

    @Test("a counter family: HELP, TYPE, then its sample")
    func counterFamily() {
        let text = Self.text { $0.single("demo_jobs_total", .counter, help: "Jobs done.", 42) }
        #expect(text == "# HELP demo_jobs_total Jobs done.\n# TYPE demo_jobs_total counter\ndemo_jobs_total 42\n")
    }

    @Test("a gauge family with labelled samples, labels in the order given")
    func gaugeFamily() {
        let text = Self.text { out in
            out.family("demo_state", .gauge, help: "One per state.")
            out.sample("demo_state", [("state", "open"), ("side", "left")], 1)
            out.sample("demo_state", [("state", "closed"), ("side", "left")], 0)
        }
        #expect(text == """
            # HELP demo_state One per state.
            # TYPE demo_state gauge
            demo_state{state="open",side="left"} 1
            demo_state{state="closed",side="left"} 0

            """)
    }

    @Test("a histogram's TYPE line names the family; its series carry the suffixes")
    func histogramFamily() {
        let text = Self.text { out in
            out.family("demo_duration_seconds", .histogram, help: "How long.")
            out.sample("demo_duration_seconds_bucket", [("le", "+Inf")], 3)
            out.sample("demo_duration_seconds_sum", formatted: "0.25")
            out.sample("demo_duration_seconds_count", [], 3)
        }
        #expect(text.contains("# TYPE demo_duration_seconds histogram\n"))
        #expect(text.contains("demo_duration_seconds_bucket{le=\"+Inf\"} 3\ndemo_duration_seconds_sum 0.25\ndemo_duration_seconds_count 3\n"))
    }

    @Test("label values escape backslash, double quote and line feed, and nothing else")
    func labelEscaping() {
        let text = Self.text { $0.sample("demo_info", [("value", "a\\b\"c\nd'e{f}=g,h é")], 1) }
        #expect(text == #"demo_info{value="a\\b\"c\nd'e{f}=g,h é"} 1"# + "\n")
    }

    @Test("HELP text escapes backslash and line feed; a double quote stays")
    func helpEscaping() {
        let text = Self.text { $0.family("demo_x", .gauge, help: "path C:\\tmp\nsecond \"line\"") }
        #expect(text.hasPrefix(#"# HELP demo_x path C:\\tmp\nsecond "line""# + "\n# TYPE demo_x gauge\n"))
    }

    @Test("floats: integral values plainly, fractions round-trip, infinities and NaN as the format spells them")
    func floats() {
        #expect(PrometheusExposition.format(3) == "3")
        #expect(PrometheusExposition.format(0.04) == "0.04")
        #expect(PrometheusExposition.format(1_796_299_269.2) == "1796299269.2")
        #expect(PrometheusExposition.format(.infinity) == "+Inf")
        #expect(PrometheusExposition.format(-.infinity) == "-Inf")
        #expect(PrometheusExposition.format(.nan) == "NaN")
        #expect(Double(PrometheusExposition.format(0.000_01)) == 0.000_01)
    }

    @Test("build_info: version and revision as labels, unknown when no revision is given")
    func buildInfo() {
        let known = Self.text { BuildInfo(version: "1.2.3", revision: " abc1234\n").write(to: &$0) }
        #expect(known.contains(#"isolationd_build_info{version="1.2.3",revision="abc1234"} 1"#))
        #expect(known.hasPrefix("# HELP isolationd_build_info "))
        #expect(known.contains("# TYPE isolationd_build_info gauge\n"))
        #expect(BuildInfo(version: "1", revision: nil).revision == "unknown")
        #expect(BuildInfo(version: "1", revision: "  ").revision == "unknown")
        let odd = Self.text { BuildInfo(version: "1\"2", revision: "a\\b").write(to: &$0) }
        #expect(odd.contains(#"{version="1\"2",revision="a\\b"} 1"#))
    }
}

@Suite("The exposition lint used by the metrics tests")
struct ExpositionLintTests {
    @Test("it finds what promtool would refuse")
    func findsProblems() {
        #expect(ExpositionLint.problems("# HELP a_total A.\n# TYPE a_total counter\na_total 1\n").isEmpty)
        #expect(!ExpositionLint.problems("# TYPE a_total counter\na_total 1\n").isEmpty, "no HELP")
        #expect(!ExpositionLint.problems("b 1\n").isEmpty, "no TYPE")
        #expect(!ExpositionLint.problems("# HELP c C.\n# TYPE c counter\nc 1\n").isEmpty, "counter without _total")
        #expect(!ExpositionLint.problems("# HELP d_total D.\n# TYPE d_total gauge\nd_total 1\n").isEmpty, "gauge with _total")
        #expect(!ExpositionLint.problems("# HELP e E.\n# TYPE e gauge\ne 1\n# HELP f F.\n# TYPE f gauge\nf 1\n# HELP e E.\n# TYPE e gauge\ne 2\n").isEmpty,
                "a family split in two")
        #expect(!ExpositionLint.problems("# HELP g G.\n# TYPE g gauge\ng_count 1\n").isEmpty, "a series of another family")
    }
}
