"""A nearest-centroid classifier for the Iris demo, in plain Python.
Reads /data/train.csv and /data/test.csv, writes submission.csv."""
import csv

FEATURES = ["sepal_length", "sepal_width", "petal_length", "petal_width"]

with open("/data/train.csv") as f:
    train = list(csv.DictReader(f))
centroids = {}
for species in sorted({row["species"] for row in train}):
    rows = [row for row in train if row["species"] == species]
    centroids[species] = [sum(float(r[c]) for r in rows) / len(rows) for c in FEATURES]

with open("/data/test.csv") as f, open("submission.csv", "w", newline="") as out:
    writer = csv.writer(out)
    writer.writerow(["id", "species"])
    for row in csv.DictReader(f):
        x = [float(row[c]) for c in FEATURES]
        best = min(centroids, key=lambda s: sum((a - b) ** 2 for a, b in zip(x, centroids[s])))
        writer.writerow([row["id"], best])
print("wrote submission.csv")
