#!/bin/sh
# Test grader: behaves according to what the solution wrote.
out=/workspace/out.txt
case "$(cat $out)" in
  crash-grader) echo "grader exploded" >&2; exit 3 ;;
  bad-results) echo "this is not json" > /workspace/results.jsonl ;;
  no-results) ;;
  wrong-rows) printf '{"invalid_submission": "expected 150 rows, got 3\\u0007"}\n' > /workspace/results.jsonl; exit 1 ;;
  leak) echo "the answer is $(cat /private/answer.txt)"; printf '{"score": 0.5}\n' > /workspace/results.jsonl ;;
  spy) printf '{"score": 1, "seen": "%s", "private": "%s"}\n' "$(ls /workspace | tr '\n' ' ')" "$(cat /private/answer.txt)" > /workspace/results.jsonl ;;
  *) printf '{"score": %s}\n{"note": "ok"}\n' "$(head -c 20 $out | tr -cd '0-9.')" > /workspace/results.jsonl ;;
esac
