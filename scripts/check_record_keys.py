#!/usr/bin/python3
"""Checks that no stored record's JSON key is read outside the module of its codec.

A stored record (a search trial, a run's details, a study definition, a research study's
result) is written and read by one codec in the lowest module that needs it. Any other
module must go through that codec's typed record. This script collects the keys each codec
reads and writes, then looks for reads of those keys by name (j["key"], .at("key"),
.contains("key"), .value("key", ...), number_at(j, "key"), jnum(j, "key"), ...) in the
sources of every other module. Exit 1 naming each such read; 0 when there is none.
Usage: scripts/check_record_keys.py [REPO_ROOT]
"""
import pathlib
import re
import sys

root = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else pathlib.Path(__file__).resolve().parent.parent)
src = root / "src"

# codec files -> the module (folder under src/, or a sub-folder) that owns them
CODECS = {
    "store/trial.cpp": "store",
    "store/run_details.cpp": "store",
    "search/spec.cpp": "search",
}
for p in sorted((src / "study" / "results").glob("*.cpp")):
    CODECS[str(p.relative_to(src))] = "study/results"

KEY = r'"([a-z][a-z0-9_]*)"'
WRITE_OR_READ = [
    r'\{' + KEY + r',',                       # {"key", value}
    r'\[' + KEY + r'\]',                      # j["key"]
    r'_at\([^,()]+,\s*' + KEY,                # number_at(j, "key"), text_at(...)
    r'\b(?:number|text|boolean|required|flag|jnum|jstr|jget|jbool)\([^,()]+,\s*' + KEY,
    r'\.(?:contains|at|value|find)\(' + KEY,
]
READ = [
    r'\[' + KEY + r'\](?!\s*=[^=])(?!\[[^\]]*\]\s*=[^=])',  # j["key"], not j["key"] = ... or j["key"]["x"] = ... (writing)
    r'_at\([^,()]+,\s*' + KEY,
    r'\b(?:jnum|jstr|jget|jbool|jint)\([^,()]+,\s*' + KEY,
    r'\.(?:contains|at|value)\(' + KEY,
]
# Keys so generic that every JSON document has them; they identify no record.
# Hyperparameter names (batch_size) belong to search spaces, not to a record.
GENERIC = {"schema", "name", "kind", "status", "type", "id", "value", "values", "config", "path", "batch_size"}


def strip_comments(text):
    text = re.sub(r'/\*.*?\*/', '', text, flags=re.S)
    return re.sub(r'//[^\n]*', '', text)


def module_of(path):
    rel = path.relative_to(src)
    if rel.parts[:2] == ("study", "results"):
        return "study/results"
    return rel.parts[0]


keys = {}  # key -> set of owning modules
for rel, module in CODECS.items():
    text = strip_comments((src / rel).read_text())
    for pattern in WRITE_OR_READ:
        for key in re.findall(pattern, text):
            if key not in GENERIC:
                keys.setdefault(key, set()).add(module)

problems = []
for path in sorted(src.rglob("*")):
    if path.suffix not in (".cpp", ".h"):
        continue
    module = module_of(path)
    text = strip_comments(path.read_text())
    for pattern in READ:
        for m in re.finditer(pattern, text):
            key = m.group(1)
            owners = keys.get(key)
            if owners and module not in owners:
                line = text.count("\n", 0, m.start()) + 1
                problems.append(f"{path.relative_to(root)}:{line}: reads \"{key}\", a key of a record whose codec is in "
                                f"{', '.join(sorted(owners))}: use the typed record instead")

for p in problems:
    print(p)
print(f"check_record_keys: {len(keys)} keys of {len(CODECS)} codecs; {len(problems)} reads outside their module")
sys.exit(1 if problems else 0)
