enum ProcessBench {
    static func run(seconds: Double) {}
}
