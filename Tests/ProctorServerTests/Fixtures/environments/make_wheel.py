"""Writes a pure-Python wheel NAME-VERSION-py3-none-any.whl into DIR and
prints its SHA-256: a package the environment tests install with no index.
An optional fourth argument adds a data file of that many bytes."""
import base64
import hashlib
import sys
import zipfile

name, version, directory = sys.argv[1:4]
padding = int(sys.argv[4]) if len(sys.argv) > 4 else 0
dist = f"{name}-{version}"
files = {
    f"{name}/__init__.py": f'VERSION = "{version}"\n',
    **({f"{name}/padding.txt": "x" * padding} if padding else {}),
    f"{dist}.dist-info/METADATA": f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n",
    f"{dist}.dist-info/WHEEL": "Wheel-Version: 1.0\nGenerator: proctor-tests\nRoot-Is-Purelib: true\nTag: py3-none-any\n",
}
record = []
for path, text in files.items():
    digest = base64.urlsafe_b64encode(hashlib.sha256(text.encode()).digest()).rstrip(b"=").decode()
    record.append(f"{path},sha256={digest},{len(text.encode())}")
record.append(f"{dist}.dist-info/RECORD,,")
files[f"{dist}.dist-info/RECORD"] = "\n".join(record) + "\n"
wheel = f"{directory}/{name}-{version}-py3-none-any.whl"
with zipfile.ZipFile(wheel, "w") as archive:
    for path, text in files.items():
        archive.writestr(zipfile.ZipInfo(path, date_time=(2026, 1, 1, 0, 0, 0)), text)
print(hashlib.sha256(open(wheel, "rb").read()).hexdigest())
