// core-bench: micro-benchmarks of ExecutionCore and the Platform reactor.
// Usage: core-bench [contexts|engines|events|events-publish|events-fanout|process|reactor|all] [seconds]
// A thin dispatcher: each area's bench lives in its own file.
let arguments = CommandLine.arguments.dropFirst()
let area = arguments.first ?? "all"
let seconds = arguments.dropFirst().first.flatMap(Double.init) ?? 3

switch area {
case "contexts": ContextBench.run(seconds: seconds)
case "engines": EngineBench.run(seconds: seconds)
case "events": EventBench.run(seconds: seconds)
case "events-publish": EventBench.run(seconds: seconds, part: "publish")
case "events-fanout": EventBench.run(seconds: seconds, part: "fanout")
case "process": ProcessBench.run(seconds: seconds)
case "reactor": ReactorBench.run(seconds: seconds)
case "all":
    ContextBench.run(seconds: seconds)
    EngineBench.run(seconds: seconds)
    EventBench.run(seconds: seconds)
    ProcessBench.run(seconds: seconds)
    ReactorBench.run(seconds: seconds)
default:
    print("usage: core-bench [contexts|engines|events|events-publish|events-fanout|process|reactor|all] [seconds]")
}
