#!/usr/bin/python3
"""summarise: an extractive summary of a text (the highest-scoring sentences, in order).

A process agent for isolationd (Python 3, standard library only). Protocol:
  stdin   one JSON document {"context": {...}, "input": {"text": "...", "sentences": 2}}
  stdout  JSON lines: agent_thinking, tool_executing / tool_completed, then agent_completed
          {"result": {"summary": ..., ...}} or agent_error {"message": ...}
"""
import json
import re
import sys
import time

STOPWORDS = set("a an and are as at be but by for from has have in is it its of on or that the "
                "their there this to was were will with".split())


def emit(event):
    print(json.dumps(event, separators=(",", ":")), flush=True)


def split_sentences(text):
    parts = re.split(r"(?<=[.!?])\s+", text.strip())
    return [part.strip() for part in parts if part.strip()]


def score_sentences(sentences):
    frequency = {}
    tokenised = []
    for sentence in sentences:
        tokens = [w for w in re.findall(r"[a-z0-9']+", sentence.lower()) if w not in STOPWORDS]
        tokenised.append(tokens)
        for token in tokens:
            frequency[token] = frequency.get(token, 0) + 1
    top = max(frequency.values()) if frequency else 1
    scores = []
    for tokens in tokenised:
        if not tokens:
            scores.append(0.0)
            continue
        scores.append(round(sum(frequency[t] / top for t in tokens) / len(tokens) ** 0.5, 4))
    return scores


def main():
    document = json.loads(sys.stdin.readline() or "{}")
    request = document.get("input") or {}
    text = request.get("text") if isinstance(request, dict) else None
    if not isinstance(text, str) or not text.strip():
        emit({"type": "agent_error", "message": "input.text (a non-empty string) is required"})
        return
    wanted = request.get("sentences", 2)
    if not isinstance(wanted, int) or wanted < 1:
        wanted = 2

    sentences = split_sentences(text)
    emit({"type": "agent_thinking",
          "data": {"reasoning": "The text has %d sentence(s); keeping the %d most central"
                                % (len(sentences), min(wanted, len(sentences))), "step": 1, "progress": 0.2}})

    emit({"type": "tool_executing", "data": {"tool_name": "score_sentences",
                                             "parameters": {"sentences": len(sentences)}}})
    started = time.monotonic()
    scores = score_sentences(sentences)
    elapsed = round((time.monotonic() - started) * 1000, 3)
    ranked = sorted(range(len(sentences)), key=lambda i: (-scores[i], i))[:wanted]
    emit({"type": "tool_completed", "data": {"tool_name": "score_sentences",
                                             "result": {"scores": scores, "chosen": sorted(ranked)},
                                             "duration_ms": elapsed}})

    summary = " ".join(sentences[i] for i in sorted(ranked))
    emit({"type": "agent_completed",
          "result": {"summary": summary, "sentence_count": len(sentences),
                     "kept": len(ranked), "compression": round(len(summary) / max(1, len(text)), 3)}})


if __name__ == "__main__":
    main()
