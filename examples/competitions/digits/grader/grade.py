"""Grades a digits submission: accuracy of /workspace/submission.csv (header
id,label) against the private answers, and a confusion count per digit.
Runs in the competition's environment (numpy from /env); writes
/workspace/results.jsonl, the first line with the score. A malformed
submission scores 0 with the reason."""
import csv
import json
import sys

import numpy as np

ANSWERS = "/private/answers.csv"
SUBMISSION = "/workspace/submission.csv"
RESULTS = "/workspace/results.jsonl"


def write(lines):
    with open(RESULTS, "w") as out:
        for line in lines:
            out.write(json.dumps(line) + "\n")


def main():
    with open(ANSWERS, newline="") as f:
        answers = {row["id"]: int(row["label"]) for row in csv.DictReader(f)}
    predicted = {}
    try:
        with open(SUBMISSION, newline="", encoding="utf-8-sig", errors="strict") as f:
            reader = csv.DictReader(line.replace("\r", "") for line in f)
            if reader.fieldnames is None or [n.strip().lower() for n in reader.fieldnames] != ["id", "label"]:
                write([{"score": 0.0, "error": "submission.csv must have the header 'id,label'"}])
                return
            for row in reader:
                key = (row.get("id") or "").strip()
                if key in predicted:
                    write([{"score": 0.0, "error": f"id {key[:20]} appears twice"}])
                    return
                try:
                    predicted[key] = int((row.get("label") or "").strip())
                except ValueError:
                    write([{"score": 0.0, "error": f"the label of id {key[:20]} is not a digit"}])
                    return
    except UnicodeDecodeError:
        write([{"score": 0.0, "error": "submission.csv is not UTF-8"}])
        return
    ids = sorted(answers)
    truth = np.array([answers[k] for k in ids])
    guess = np.array([predicted.get(k, -1) for k in ids])
    lines = [{"score": round(float(np.mean(truth == guess)), 6), "metric": "accuracy",
              "missing": int(np.sum(guess == -1)), "total": len(ids), "numpy": np.__version__}]
    for digit in range(10):
        mask = truth == digit
        lines.append({"digit": digit, "recall": round(float(np.mean(guess[mask] == digit)), 6)})
    write(lines)


if __name__ == "__main__":
    sys.exit(main())
