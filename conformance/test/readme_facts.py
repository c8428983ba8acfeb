#!/usr/bin/env python3
"""The README states how many checks chat-conform has and which clauses have none; this keeps
those words true: it compares them with `chat-conform list --json`.

  readme_facts.py README.md CHAT_CONFORM_BINARY
"""
import json
import re
import subprocess
import sys


def main():
    readme, conform = sys.argv[1], sys.argv[2]
    text = open(readme, encoding="utf-8").read()
    listing = json.loads(subprocess.run([conform, "list", "--json"], stdout=subprocess.PIPE,
                                        text=True, check=True, timeout=30).stdout)
    failures = []
    m = re.search(r"(\d+) checks cover every MUST and SHOULD clause of `SPEC.md` ([\d.]+)", text)
    if not m:
        failures.append("README no longer says 'N checks cover every MUST and SHOULD clause of "
                        "`SPEC.md` V'")
    else:
        if int(m.group(1)) != len(listing["checks"]):
            failures.append(f"README says {m.group(1)} checks; chat-conform list has "
                            f"{len(listing['checks'])}")
        if m.group(2) != listing["spec_version"]:
            failures.append(f"README says SPEC.md {m.group(2)}; the clause table is "
                            f"{listing['spec_version']}")
    u = re.search(r"today the \w+ MAY clauses ([A-Z0-9, -]+?)\)", text)
    uncovered = sorted(listing["uncovered_clauses"])
    said = sorted(x.strip() for x in u.group(1).split(",")) if u else None
    if said != uncovered:
        failures.append(f"README names {said} as clauses without a check; chat-conform list "
                        f"says {uncovered}")
    for f in failures:
        print("FAIL:", f)
    if not failures:
        print("README's check count, SPEC version and uncovered clauses match chat-conform list")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
