#!/usr/bin/env python3
"""House rules that a reviewer would otherwise check by eye (docs/ARCHITECTURE.md, Rules):
no Swift source file over 300 lines, and no type with more than 15 stored properties, except
configuration values (types named ...Configuration, ...Settings, ...Section, ...Limits, which
mirror a configuration file's keys). Exits 1 and lists every offender.

    python3 scripts/check-structure.py [Sources]

The property count is a brace-depth heuristic: `let`/`var` declarations directly inside a
class, struct, actor or enum body, not static, not computed (`var x: T { ... }`)."""
import pathlib, re, sys

MAX_LINES, MAX_STORED = 300, 15
EXEMPT = re.compile(r'(Configuration|Settings|Section|Limits)$')
DECL = re.compile(r'^\s*(?:(?:public|private|fileprivate|internal|package|final|open|indirect|@\w+(?:\([^)]*\))?)\s+)*'
                  r'(class|struct|actor|enum)\s+(\w+)')
PROP = re.compile(r'^\s*(?:(?:public|private|fileprivate|internal|package|weak|lazy|unowned(?:\(\w+\))?|'
                  r'nonisolated(?:\(unsafe\))?|@\w+(?:\([^)]*\))?|(?:private|public|fileprivate|package)\(set\))\s+)*'
                  r'(let|var)\s+(\w+)')


def stored_counts(path):
    stack, depth, pending = [], 0, None
    for number, line in enumerate(path.read_text().splitlines(), 1):
        code = re.sub(r'"(?:[^"\\]|\\.)*"', '""', re.sub(r'//.*', '', line))
        match = DECL.match(code)
        if match:
            pending = (match.group(2), number)
        if stack and depth == stack[-1][1] + 1:
            prop = PROP.match(code)
            if prop and 'static ' not in code[:prop.start(1)] and 'class ' not in code[:prop.start(1)]:
                rest = code[prop.end():]
                computed = prop.group(1) == 'var' and '{' in rest and '=' not in rest.split('{')[0]
                if not computed:
                    stack[-1][2] += 1
        for char in code:
            if char == '{':
                if pending:
                    stack.append([pending[0], depth, 0, pending[1]])
                    pending = None
                depth += 1
            elif char == '}':
                depth -= 1
                if stack and depth == stack[-1][1]:
                    name, _, count, line_number = stack.pop()
                    yield name, count, line_number


def main():
    root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else 'Sources')
    problems = []
    for path in sorted(root.rglob('*.swift')):
        lines = len(path.read_text().splitlines())
        if lines > MAX_LINES:
            problems.append(f"{path}: {lines} lines (at most {MAX_LINES})")
        for name, count, line_number in stored_counts(path):
            if count > MAX_STORED and not EXEMPT.search(name):
                problems.append(f"{path}:{line_number}: {name} has {count} stored properties (at most {MAX_STORED})")
    for problem in problems:
        print(problem)
    print(f"check-structure: {len(problems)} problem(s)")
    sys.exit(1 if problems else 0)


if __name__ == '__main__':
    main()
