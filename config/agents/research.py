#!/usr/bin/python3
"""research: answers a question from a small bundled set of notes.

A process agent for isolationd (Python 3, standard library only). Protocol:
  stdin   one JSON document {"context": {...}, "input": {"question": "...", "limit": 3}}
  stdout  JSON lines: agent_thinking, tool_executing / tool_completed pairs, then one
          agent_completed {"result": ...} or agent_error {"message": ...}
"""
import json
import re
import sys
import time

NOTES = [
    ("Process groups", "Each process agent runs in its own process group, so a cancel reaches every "
                       "child it started: SIGTERM first, SIGKILL after a grace period."),
    ("Event replay", "Every user has an ordered event log with a bounded replay ring. Clients resume "
                     "with Last-Event-ID and are told explicitly when events fell out of the ring."),
    ("Per-user limits", "Engines, contexts, queued runs and open streams are capped per user and the "
                        "caps are checked atomically, so racing requests cannot exceed them."),
    ("Slow consumers", "A subscriber whose bounded queue fills up is cut off with the reason "
                       "slow_consumer instead of growing memory; publishers never wait."),
    ("Clean environment", "A child process sees only the environment variables its configuration "
                          "allows, runs in a configured directory and under resource limits."),
    ("Timeouts", "A run past its timeout ends as timed_out and its process group is killed; every "
                 "timeout is enforced by the engine, never left to the agent."),
    ("Isolation", "One user's contexts, engines, runs and events are never visible to another "
                  "user: identity is bound when the request is authenticated."),
]

STOPWORDS = set("a an and are as at be by does do for from how in is it its of on or so that the "
                "their this to what when where which who why with".split())


def emit(event):
    print(json.dumps(event, separators=(",", ":")), flush=True)


def words(text):
    return [w for w in re.findall(r"[a-z0-9]+", text.lower()) if w not in STOPWORDS and len(w) > 2]


def search_notes(question, limit):
    wanted = set(words(question))
    scored = []
    for title, text in NOTES:
        overlap = wanted & set(words(title + " " + text))
        if overlap:
            scored.append({"title": title, "snippet": text, "score": len(overlap),
                           "matched": sorted(overlap)})
    scored.sort(key=lambda hit: (-hit["score"], hit["title"]))
    return scored[:limit]


def keywords(text, count=5):
    frequency = {}
    for word in words(text):
        frequency[word] = frequency.get(word, 0) + 1
    ranked = sorted(frequency.items(), key=lambda item: (-item[1], item[0]))
    return [word for word, _ in ranked[:count]]


def timed(function, *arguments):
    started = time.monotonic()
    result = function(*arguments)
    return result, round((time.monotonic() - started) * 1000, 3)


def main():
    document = json.loads(sys.stdin.readline() or "{}")
    request = document.get("input") or {}
    question = request.get("question") if isinstance(request, dict) else None
    if not isinstance(question, str) or not question.strip():
        emit({"type": "agent_error", "message": "input.question (a non-empty string) is required"})
        return
    limit = request.get("limit", 3)
    if not isinstance(limit, int) or not 1 <= limit <= 10:
        limit = 3

    emit({"type": "agent_thinking",
          "data": {"reasoning": "Looking for notes that share words with the question", "step": 1, "progress": 0.1}})

    emit({"type": "tool_executing", "data": {"tool_name": "search_notes",
                                             "parameters": {"question": question, "limit": limit}}})
    hits, elapsed = timed(search_notes, question, limit)
    emit({"type": "tool_completed", "data": {"tool_name": "search_notes",
                                             "result": {"hits": hits, "total": len(hits)}, "duration_ms": elapsed}})

    corpus = " ".join(hit["snippet"] for hit in hits) or question
    emit({"type": "tool_executing", "data": {"tool_name": "extract_keywords",
                                             "parameters": {"characters": len(corpus)}}})
    found, elapsed = timed(keywords, corpus)
    emit({"type": "tool_completed", "data": {"tool_name": "extract_keywords",
                                             "result": {"keywords": found}, "duration_ms": elapsed}})

    emit({"type": "agent_thinking",
          "data": {"reasoning": "Writing the answer from %d note(s)" % len(hits), "step": 2, "progress": 0.9}})
    if hits:
        answer = hits[0]["snippet"]
        if len(hits) > 1:
            answer += " See also: " + ", ".join(hit["title"] for hit in hits[1:]) + "."
    else:
        answer = "None of the notes covers that question."
    emit({"type": "agent_completed",
          "result": {"answer": answer, "sources": [hit["title"] for hit in hits], "keywords": found}})


if __name__ == "__main__":
    main()
