"""Grades an Iris submission: accuracy of /workspace/submission.csv against
the private answers. Writes /workspace/results.jsonl: one JSON object per
line, the first with the score. A malformed submission scores 0 with the
reason; only a bug here would make this grader crash."""
import csv
import json
import sys

ANSWERS = "/private/answers.csv"
SUBMISSION = "/workspace/submission.csv"
RESULTS = "/workspace/results.jsonl"


def write(lines):
    with open(RESULTS, "w") as out:
        for line in lines:
            out.write(json.dumps(line) + "\n")


def main():
    with open(ANSWERS, newline="") as f:
        answers = {row["id"]: row["species"] for row in csv.DictReader(f)}
    try:
        with open(SUBMISSION, newline="", encoding="utf-8-sig", errors="strict") as f:
            reader = csv.DictReader(line.replace("\r", "") for line in f)
            if reader.fieldnames is None or [n.strip().lower() for n in reader.fieldnames] != ["id", "species"]:
                write([{"score": 0.0, "error": "submission.csv must have the header 'id,species'"}])
                return
            predicted = {}
            for row in reader:
                key = (row.get("id") or "").strip()
                if key in predicted:
                    write([{"score": 0.0, "error": f"id {key[:20]} appears twice"}])
                    return
                predicted[key] = (row.get("species") or "").strip().lower()
    except UnicodeDecodeError:
        write([{"score": 0.0, "error": "submission.csv is not UTF-8"}])
        return
    correct = sum(1 for key, species in answers.items() if predicted.get(key) == species)
    missing = sum(1 for key in answers if key not in predicted)
    lines = [{"score": round(correct / len(answers), 6), "metric": "accuracy", "correct": correct, "total": len(answers), "missing": missing}]
    for species in sorted(set(answers.values())):
        ids = [k for k, v in answers.items() if v == species]
        lines.append({"class": species, "recall": round(sum(1 for k in ids if predicted.get(k) == species) / len(ids), 6)})
    write(lines)


if __name__ == "__main__":
    sys.exit(main())
