"""Grades the GPU demo: root-mean-square error of /workspace/predictions.csv
against the private answers; score = 1 / (1 + RMSE)."""
import csv
import json
import math

with open("/private/answers.csv") as f:
    answers = {row["id"]: float(row["y"]) for row in csv.DictReader(f)}
lines = []
try:
    with open("/workspace/predictions.csv", encoding="utf-8") as f:
        predicted = {row["id"].strip(): float(row["y"]) for row in csv.DictReader(line.replace("\r", "") for line in f)}
    errors = [(predicted.get(k, float("nan")) - v) for k, v in answers.items()]
    if any(math.isnan(e) or math.isinf(e) for e in errors):
        lines.append({"score": 0.0, "error": "predictions.csv must have a finite y for every id"})
    else:
        rmse = math.sqrt(sum(e * e for e in errors) / len(errors))
        lines.append({"score": round(1 / (1 + rmse), 6), "metric": "1/(1+rmse)", "rmse": rmse})
except (ValueError, KeyError, UnicodeDecodeError) as error:
    lines.append({"score": 0.0, "error": f"predictions.csv is malformed: {str(error)[:200]}"})
with open("/workspace/results.jsonl", "w") as out:
    for line in lines:
        out.write(json.dumps(line) + "\n")
