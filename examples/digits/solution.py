"""Example solution for the digits competition: a support vector classifier
from scikit-learn, which the competition's environment provides (the node
has no scikit-learn of its own). Reads /data/train.csv and /data/test.csv,
writes submission.csv with the header id,label."""
import numpy as np
from sklearn.svm import SVC

train = np.loadtxt("/data/train.csv", delimiter=",", skiprows=1)
test = np.loadtxt("/data/test.csv", delimiter=",", skiprows=1)
model = SVC(gamma=0.001, C=10).fit(train[:, 1:], train[:, 0].astype(int))
labels = model.predict(test[:, 1:])
with open("submission.csv", "w") as out:
    out.write("id,label\n")
    for identifier, label in zip(test[:, 0].astype(int), labels):
        out.write(f"{identifier},{label}\n")
