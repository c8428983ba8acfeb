#!/usr/bin/env python3
"""Who tests the tester: runs chat-conform against chat-server (every check must PASS), against
chat-server-mutant --mutant NAME[,NAME...] (the run must fail, with a FAIL mapped to a clause
the mutant or stack breaks), and against its legal variants (every check must PASS). What each
entry breaks comes from `chat-server-mutant --list-mutants`, the one source of truth. Renders
the kill matrix as a Markdown table.

  mutation_selftest.py --conform BIN --server BIN --mutant-server BIN --work-dir DIR names
  ... reference              the reference server passes every check (SHUT-1 included)
  ... mutant NAME[,NAME...]  a mutant, stack or profile is killed by a clause it breaks; a
                             legal variant (breaks nothing) passes every check
  ... matrix [--jobs N] [--out FILE]   every catalogue entry; writes the kill matrix (Markdown)
"""
import argparse
import json
import os
import re
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

# Legal variants that today's runner still fails, with the reason: ctest lists their tests as
# disabled (not run) until the runner is fixed; delete an entry to enable its test again.
RUNNER_GAPS = {}

# A process that dies ends the run incomplete (exit 2); the death itself must be the FAIL.
DIES = {"crash-after-drop"}


def timeout_scale():
    """CHAT_CONFORM_TIMEOUT_SCALE: sanitizer builds run slower; the verdicts must not change."""
    return float(os.environ.get("CHAT_CONFORM_TIMEOUT_SCALE", "1"))


def load_catalogue(mutant_server):
    """{name: {"kind", "breaks", "description"[, "members"]}} from --list-mutants."""
    out = subprocess.run([mutant_server, "--list-mutants"], stdout=subprocess.PIPE, text=True,
                         check=True, timeout=30).stdout
    return json.loads(out)


def members(catalogue, name):
    """The single entries a name, stack ("a,b") or profile stands for."""
    out = []
    for part in name.split(","):
        entry = catalogue.get(part)
        if entry is None:
            raise KeyError(part)
        for m in entry.get("members", [part]):
            if m not in out:
                out.append(m)
    return out


def plan(catalogue, name):
    """(clauses the stack breaks, accepted exit codes, is a variant). Every run is the whole
    catalogue: precision is judged over every clause."""
    singles = members(catalogue, name)
    breaks = set()
    for part in name.split(","):
        breaks |= set(catalogue[part]["breaks"])
    variant = not breaks
    codes = {0} if variant else ({1, 2} if DIES & set(singles) else {1})
    return breaks, codes, variant


def start_server(argv, log_path, timeout=15.0):
    """Starts a server on port 0 and returns (process, base URL) once it says where it listens."""
    log = open(log_path, "w")
    proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with open(log_path) as f:
            m = re.search(r"listening on (https?://\S+?):(\d+)", f.read())
        if m:
            return proc, "http://127.0.0.1:" + m.group(2)
        if proc.poll() is not None:
            break
        time.sleep(0.02)
    proc.kill()
    with open(log_path) as f:
        raise RuntimeError("server did not start: " + " ".join(argv) + "\n" + f.read()[-2000:])


def stop_server(proc):
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def run_conform(args, url, name, extra):
    report_dir = os.path.join(args.work_dir, name)
    cmd = [args.conform, "run", url, "--report-dir", report_dir, "--format", "json,md",
           "--run-id", re.sub(r"[^a-z0-9]", "", name)[:12] + str(os.getpid() % 1000), "--quiet"] + extra
    start = time.monotonic()
    done = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace", timeout=150)
    seconds = time.monotonic() - start
    report = None
    path = os.path.join(report_dir, "chat-conform.json")
    if os.path.exists(path):
        with open(path) as f:
            report = json.load(f)
    return done.returncode, seconds, report, done.stdout, cmd


def failures(report):
    """(check id, clause) for every FAIL in any repetition, and every WARN (a SHOULD broken)."""
    out = []
    for c in report["checks"]:
        for r in c["runs"]:
            if r["outcome"] in ("FAIL", "WARN") and r["clause_broken"]:
                out.append((c["id"], r["clause_broken"]))
    return out


def violated(report):
    """The clauses the report says are violated (FAIL or WARN in its clause table)."""
    return {c["id"] for c in report["clauses"] if c["outcome"] in ("FAIL", "WARN")}


def same_words(report):
    """Findings whose expected and actual read the same: a verdict that tells nobody anything."""
    out = []
    for c in report["checks"]:
        for f in c["findings"]:
            if f["expected"].strip() == f["actual"].strip():
                out.append(f"{c['id']} ({f['clause']}): {f['actual']}")
    return out


def judge_mutant(args, catalogue, name):
    clauses, codes, variant = plan(catalogue, name)
    os.makedirs(args.work_dir, exist_ok=True)
    proc, url = start_server([args.mutant_server, "--address", "127.0.0.1", "--port", "0",
                              "--mutant", name], os.path.join(args.work_dir, name + ".server.log"))
    extra = ["--timeout-scale", str(timeout_scale() * (2 if "broadcast-delay-20ms" in name.split(",") else 1))]
    if variant:
        extra += ["--server-pid", str(proc.pid)]  # SHUT-1 too: a variant passes everything
    try:
        code, seconds, report, output, cmd = run_conform(args, url, name, extra)
    finally:
        stop_server(proc)
    fails = failures(report) if report else []
    reported = violated(report) if report else set()
    killers = sorted({f"{check} ({clause})" for check, clause in fails if clause in clauses})
    found = sorted(reported & clauses)
    others = sorted(reported - clauses)
    vague = same_words(report) if report else []
    not_passed = [f"{c['id']}: {c['outcome']}" for c in (report or {}).get("checks", [])
                  if c["outcome"] != "PASS"]
    if variant:
        ok = code == 0 and report is not None and not not_passed
        verdict = "PASSES (legal variant)" if ok else "WRONGLY FAILED"
    elif reported == clauses and code in codes and not vague:
        verdict, ok = "EXACT", True
    elif found:
        verdict, ok = ("IMPRECISE" if others or vague else "INCOMPLETE"), False
    else:
        verdict, ok = "SURVIVED", False
    if report and report["verdict"].get("highlights"):
        headline = report["verdict"]["highlights"][0]
    else:
        headline = report["verdict"]["summary"] if report else ""
    result = {"mutant": name, "expected_clauses": sorted(clauses), "selection": ["(all)"],
              "reported_clauses": sorted(reported), "same_words": vague, "headline": headline,
              "exit_code": code, "accepted_exit_codes": sorted(codes), "killed_by": killers,
              "clauses_found": found, "clauses_missed": sorted(set(clauses) - set(found)),
              "other_clauses_failed": others, "checks_not_passed": not_passed if variant else [],
              "verdict": verdict, "ok": ok,
              "seconds": round(seconds, 2), "command": " ".join(cmd)}
    with open(os.path.join(args.work_dir, name + ".result.json"), "w") as f:
        json.dump(result, f, indent=2)
    return result, output


def judge_reference(args):
    os.makedirs(args.work_dir, exist_ok=True)
    proc, url = start_server([args.server, "--address", "127.0.0.1", "--port", "0"],
                             os.path.join(args.work_dir, "reference.server.log"))
    try:
        # --server-pid: SHUT-1 is judged too (the server is stopped by the last check)
        code, seconds, report, output, _ = run_conform(
            args, url, "reference",
            ["--server-pid", str(proc.pid), "--timeout-scale", str(timeout_scale())])
        proc.wait(timeout=15)
    finally:
        stop_server(proc)
    bad = [f"{c['id']}: {c['outcome']} {c.get('actual') or ''}" for c in report["checks"] if c["outcome"] != "PASS"]
    return code, seconds, bad, output, proc.returncode


def markdown(results):
    lines = ["| mutant | breaks | checks run | killed by (clause) | breaks not found | "
             "also blamed | exit | verdict |",
             "|---|---|---|---|---|---|---|---|"]
    for r in results:
        lines.append("| `{}` | {} | {} | {} | {} | {} | {} | {} |".format(
            r["mutant"], ", ".join(r["expected_clauses"]) or "nothing (legal variant)",
            ", ".join(f"`{s}`" for s in r["selection"]), "<br>".join(r["killed_by"]) or "-",
            ", ".join(r["clauses_missed"]) or "-", ", ".join(r["other_clauses_failed"]) or "-",
            r["exit_code"], ("**" + r["verdict"] + "**") if not r["ok"] else r["verdict"]))
    killed = sum(1 for r in results if r["clauses_found"] and r["expected_clauses"])
    exact = sum(1 for r in results if r["ok"] and r["expected_clauses"])
    total = sum(1 for r in results if r["expected_clauses"])
    true_pos = sum(len(r["clauses_found"]) for r in results)
    broken = sum(len(r["expected_clauses"]) for r in results)
    reported = sum(len(r["reported_clauses"]) for r in results)
    variants = [r for r in results if not r["expected_clauses"]]
    lines.append("")
    lines.append(f"{killed} of {total} mutants killed by a check mapped to a clause they break; "
                 f"{exact} of {total} reported with exactly the clauses they break.")
    lines.append(f"Recall {true_pos}/{broken} = {true_pos / max(1, broken):.3f} (clauses broken "
                 f"that were reported); precision {true_pos}/{reported} = "
                 f"{true_pos / max(1, reported):.3f} (clauses reported that are broken).")
    lines.append(f"{sum(1 for r in variants if r['ok'])} of {len(variants)} legal variants pass "
                 "every check.")
    return "\n".join(lines) + "\n"


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--conform")
    p.add_argument("--server")
    p.add_argument("--mutant-server")
    p.add_argument("--work-dir", default="selftest")
    p.add_argument("command", choices=["names", "reference", "mutant", "matrix"])
    p.add_argument("name", nargs="?", help="an entry of --list-mutants, or several joined by ','")
    p.add_argument("--jobs", type=int, default=2)
    p.add_argument("--out")
    args = p.parse_args()
    if args.command == "reference":
        pass
    elif not args.mutant_server:
        p.error("--mutant-server is required: the catalogue comes from its --list-mutants")
    else:
        catalogue = load_catalogue(args.mutant_server)
    if args.command == "names":
        # One line per entry: NAME KIND [runner-gap] (the ctest script names its tests by kind
        # and disables those of runner gaps).
        for name, entry in catalogue.items():
            if entry["kind"] == "cluster-mutant":
                continue  # judged across three nodes: tests/cluster.sh mutant NAME
            print(name, entry["kind"], *(["runner-gap"] if name in RUNNER_GAPS else []))
        return 0
    if args.command == "reference":
        code, seconds, bad, output, server_code = judge_reference(args)
        print(output)
        print(f"reference: exit {code} in {seconds:.2f} s; server exited {server_code}")
        if code != 0 or bad:
            print("checks that did not PASS:\n  " + "\n  ".join(bad))
            return 1
        return 0
    if args.command == "mutant":
        try:
            members(catalogue, args.name or "")
        except KeyError as e:
            print(f"unknown mutant {e}; known: {' '.join(catalogue)}")
            return 2
        result, output = judge_mutant(args, catalogue, args.name)
        print(output)
        print(json.dumps(result, indent=2))
        return 0 if result["ok"] else 1
    if args.command == "matrix":
        with ThreadPoolExecutor(max_workers=max(1, args.jobs)) as pool:
            singles = [n for n in catalogue if catalogue[n]["kind"] != "cluster-mutant"]
            results = [r for r, _ in pool.map(lambda n: judge_mutant(args, catalogue, n), singles)]
        table = markdown(results)
        if args.out:
            with open(args.out, "w") as f:
                f.write("# Kill matrix: chat-conform against chat-server-mutant\n\n" + table)
        print(table)
        return 0 if all(r["ok"] for r in results) else 1
    return 2


if __name__ == "__main__":
    sys.exit(main())
